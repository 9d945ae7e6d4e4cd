"""The fitting protocol of 003 §4.1, implemented as efficiently as a competent user would.

"Gradient descent … with a learning rate of 0.01 and a momentum of 0.9. The procedure is
deemed to have reached convergence if the target function drops by less than 10⁻⁸":
full-batch ``torch.optim.SGD(lr=0.01, momentum=0.9)`` on

    f(θ) = (1/n) Σ_i (y_i − ⟨M_i, Θ(θ)⟩)²,

stopping at 0 ≤ f_old − f_new < 1e-8 · f_old (an increase, possible with momentum, does not
stop it). Per iteration exactly one pass of the data forward (the residuals r = y − M vec Θ,
which also give f at the current iterate) and one backward (∇_Θ f = −(2/n) Mᵀ r), both one
BLAS matrix–vector product on the n × PL design; autograd only maps ∇_Θ f back to the
parameters (a graph of a few small tensors). f at the new iterate is the next iteration's
forward pass, so no pass is spent on the stopping rule: the iterates and the stopping
iteration are those of the textbook loop (step, evaluate, compare).

Earlier versions of this file evaluated f twice per iteration and ran autograd through the
data einsum — 5–20× slower per iteration than this (#15); its speed-ups are withdrawn.
Shared by ``bench_estimators.py`` (rank-K CNN) and ``bench_fig3.py`` (Tucker CNN).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch


def paper_gd(design: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor,
             theta_fn: Callable[[], torch.Tensor], parameters: Sequence[torch.Tensor],
             tol: float = 1e-8, max_iter: int = 1_000_000) -> tuple[float, int]:
    """Run the protocol; returns (objective at the last iterate, steps taken).

    Parameters
    ----------
    design : array of shape (n, P·L)
        Row i is vec(M_i) (the trace-regression design of 003 Eq. 6).
    y : array of shape (n,)
    theta_fn : callable
        Returns vec Θ (P·L,) as a differentiable function of ``parameters``.
    parameters : tensors
        The model's parameters (``requires_grad=True``), updated in place.

    Stops early (with a non-finite objective) if the iteration diverges; at ``max_iter``
    steps the objective of the last iterate is returned (the fit is then capped).
    """
    design = torch.as_tensor(design, dtype=torch.float64)
    y = torch.as_tensor(y, dtype=torch.float64)
    n = y.shape[0]
    optimizer = torch.optim.SGD(list(parameters), lr=0.01, momentum=0.9)
    f_old = math.inf
    for step in range(max_iter + 1):
        optimizer.zero_grad(set_to_none=False)
        theta = theta_fn()
        with torch.no_grad():
            residual = y - torch.mv(design, theta.detach())
            f_new = float(residual @ residual) / n
            if not math.isfinite(f_new):
                return f_new, step
            drop = f_old - f_new
            if step == max_iter or 0 <= drop < tol * f_old:
                return f_new, step
            grad_theta = torch.mv(design.T, residual).mul_(-2.0 / n)
        f_old = f_new
        theta.backward(grad_theta)
        optimizer.step()
    raise AssertionError("unreachable")  # pragma: no cover


def rank_k_theta(A: torch.Tensor, B: torch.Tensor) -> Callable[[], torch.Tensor]:
    """vec Θ = vec(Bᵀ A) for A (K, L), B (K, P): the rank-K CNN (003 Eq. 6)."""
    return lambda: (B.T @ A).reshape(-1)


def tucker_theta(core: torch.Tensor, factors: Sequence[torch.Tensor], B: torch.Tensor
                 ) -> Callable[[], torch.Tensor]:
    """vec Θ of the Tucker CNN: A_stack = G ×_1 H^(1) ⋯ ×_{N+1} H^(N+1), Θ = Bᵀ A.

    ``core`` (R_1, …, R_{N+1}), ``factors`` H^(j) (l_j, R_j) and H^(N+1) (K, R_{N+1}),
    ``B`` (K, P).
    """
    def theta() -> torch.Tensor:
        stack = core
        for mode, factor in enumerate(factors):
            stack = torch.movedim(torch.tensordot(factor, stack, dims=([1], [mode])), 0, mode)
        kernels = stack.reshape(-1, B.shape[0])           # (L, K)
        return (B.T @ kernels.T).reshape(-1)
    return theta
