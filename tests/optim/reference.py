"""Hand-written references for the optimizers, from the papers' equations only.

Nothing here imports ``tensorcnn``: each update is spelled out with plain tensor arithmetic
and explicit loops over groups, so that a test comparing the optimizers against these
functions compares two independent computations.

The test problem is separable and quadratic: f(W) = Σ c ⊙ W + ½ Σ a ⊙ W², whose gradient
is c + a ⊙ W (written by hand here, taken by autograd in the tests).
"""

from __future__ import annotations

import math

import torch


def quadratic_grad(W: torch.Tensor, c: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return c + a * W


def lasso_prox(V: torch.Tensor, lam: float) -> torch.Tensor:
    out = torch.zeros_like(V)
    flat_v, flat_o = V.reshape(-1), out.reshape(-1)
    for i in range(flat_v.numel()):
        x = float(flat_v[i])
        if x > lam:
            flat_o[i] = x - lam
        elif x < -lam:
            flat_o[i] = x + lam
    return out


def group_prox(V: torch.Tensor, lam: float, scale_by_size: bool) -> torch.Tensor:
    """Prox of Σ_g λ_g ‖Γ_g‖₂, groups = slices V[i] along the first axis."""
    out = torch.zeros_like(V)
    if V.dim() == 0:
        return lasso_prox(V, lam)
    for i in range(V.shape[0]):
        block = V[i]
        size = block.numel()
        lam_g = lam * math.sqrt(size) if scale_by_size else lam
        norm = math.sqrt(float((block * block).sum()))
        if norm > lam_g:
            out[i] = (1.0 - lam_g / norm) * block
    return out


def splitlbi_reference(W0, c, a, n_steps, *, alpha, kappa, nu, lam, momentum, weight_decay,
                       nesterov, penalty, group_scaling=False, coupling_in_momentum=True,
                       weight_decay_mode="decoupled"):
    """Iterates of Eq. (4a)-(4c), (12), (13)-(14) of 004 on the quadratic; returns (W, V, Γ)."""
    W = W0.clone()
    V = torch.zeros_like(W0)
    G = torch.zeros_like(W0)
    buf = None
    for _ in range(n_steps):
        grad = quadratic_grad(W, c, a)
        if weight_decay_mode == "gradient":
            grad = grad + weight_decay * W
        coupling = (W - G) / nu if penalty is not None else torch.zeros_like(W)
        d = grad + coupling if coupling_in_momentum else grad
        if momentum > 0:
            buf = d.clone() if buf is None else momentum * buf + d
            step = d + momentum * buf if nesterov else buf
        else:
            step = d
        if not coupling_in_momentum:
            step = step + coupling
        W_next = W - kappa * alpha * step
        if weight_decay_mode == "decoupled":
            W_next = W_next - weight_decay * W
        if penalty is not None:
            V = V - alpha * (G - W) / nu
            if penalty == "lasso":
                G = kappa * lasso_prox(V, lam)
            else:
                G = kappa * group_prox(V, lam, group_scaling)
        W = W_next
    return W, V, G


def beta_lasso_reference(theta0, c, a, n_steps, *, lr, lam, beta, momentum=0.0,
                         nesterov=False):
    """Iterates of Algorithm 1 of 001 (with an optional heavy-ball buffer) on the quadratic."""
    theta = theta0.clone()
    buf = None
    for _ in range(n_steps):
        d = quadratic_grad(theta, c, a) + lam * torch.sign(theta)
        if momentum > 0:
            buf = d.clone() if buf is None else momentum * buf + d
            d = d + momentum * buf if nesterov else buf
        theta = theta - lr * d
        theta = theta * (theta.abs() >= beta * lam).to(theta.dtype)
    return theta
