"""Theory checks of issue 6 §5: inverse scale space, agreement with an independent LBI,
and convergence below the step-size bound of Theorem 1 of 004; prox optimality."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tensorcnn.optim import GroupLasso, Lasso, SplitLBI


def regression(n=200, seed=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, 8)))
    X = q * np.sqrt(n)  # X^T X / n = I: Lip of ∇L_n is 1
    beta = np.array([6.0, 4.0, 2.5, 1.5, 0.0, 0.0, 0.0, 0.0])
    y = X @ beta + 0.1 * rng.standard_normal(n)
    return X, y, beta


def numpy_split_lbi(X, y, n_steps, alpha, kappa, nu, lam):
    """Split LBI for least squares (Huang et al. 2016 / Eq. (4) of 004), written in numpy."""
    n, p = X.shape
    W, V, G = np.zeros(p), np.zeros(p), np.zeros(p)
    path = []
    for _ in range(n_steps):
        grad = X.T @ (X @ W - y) / n
        W_new = W - kappa * alpha * (grad + (W - G) / nu)
        V = V + alpha * (W - G) / nu
        G = kappa * np.sign(V) * np.maximum(np.abs(V) - lam, 0.0)
        W = W_new
        path.append(G.copy())
    return np.array(path)


def torch_split_lbi(X, y, n_steps, **hyper):
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    W = torch.nn.Parameter(torch.zeros(X.shape[1], dtype=torch.float64))
    opt = SplitLBI([W], penalty="lasso", **hyper)
    path, losses = [], []
    for _ in range(n_steps):
        opt.zero_grad()
        loss = 0.5 * ((Xt @ W - yt) ** 2).mean()
        loss.backward()
        opt.step()
        path.append(opt.gamma(W).clone().numpy())
        losses.append(float(loss.detach()))
    return np.array(path), np.array(losses), W.detach().numpy()


def test_regularisation_path_matches_numpy_lbi_and_shows_inverse_scale_space():
    X, y, beta = regression()
    hyper = dict(lr=0.02, kappa=5.0, nu=1.0, lam=1.0)
    path, _, _ = torch_split_lbi(X, y, 400, **hyper)
    reference = numpy_split_lbi(X, y, 400, alpha=0.02, kappa=5.0, nu=1.0, lam=1.0)
    np.testing.assert_allclose(path, reference, rtol=0, atol=1e-10)

    nonzero = path != 0
    entry = np.where(nonzero.any(axis=0), nonzero.argmax(axis=0), np.inf)
    strong = np.argsort(-np.abs(beta[:4]))
    # Stronger coefficients enter supp(Γ) first; null coefficients after all of them.
    assert np.all(np.diff(entry[strong]) > 0), entry
    assert entry[4:].min() > entry[:4].max(), entry
    # Once the signal is in, Γ estimates it (the bias shrinks as the path goes on).
    np.testing.assert_allclose(path[-1][:4], beta[:4], atol=0.1)


def test_converges_below_the_step_bound_of_theorem_1():
    """004 Thm 1: α < 2/(κ(Lip + 1/ν)) ⇒ W_k → a critical point of L_n (logistic loss)."""
    rng = np.random.default_rng(1)
    n, p = 120, 5
    X = rng.standard_normal((n, p))
    y = (X @ rng.standard_normal(p) + rng.standard_normal(n) > 0).astype(float)
    lip = np.linalg.eigvalsh(X.T @ X / n).max() / 4  # Hessian of mean logistic loss <= X^TX/4n
    kappa, nu = 2.0, 5.0
    alpha = 0.9 * SplitLBI.max_stable_lr(kappa, nu, lip)
    joint = (lip + 2 / nu + np.sqrt(lip**2 + 4 / nu**2)) / 2  # largest eigenvalue of ∇²L̄
    assert alpha == pytest.approx(0.9 * 2 / (kappa * joint))
    assert SplitLBI.max_stable_lr(kappa, nu, lip, printed=True) == pytest.approx(
        2 / (kappa * (lip + 1 / nu)))
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    W = torch.nn.Parameter(torch.zeros(p, dtype=torch.float64))
    opt = SplitLBI([W], lr=alpha, kappa=kappa, nu=nu, lam=0.05, penalty="lasso")
    losses = []
    for _ in range(1500):
        with torch.no_grad():  # ∇ of the mean logistic loss, by hand: autograd is slower here
            logits = Xt @ W
            W.grad = Xt.T @ (torch.sigmoid(logits) - yt) / n
            losses.append(float(torch.nn.functional.softplus(logits).mean()
                                - (yt * logits).mean()))
        opt.step()
    W.grad = None
    loss = torch.nn.functional.binary_cross_entropy_with_logits(Xt @ W, yt)
    (grad,) = torch.autograd.grad(loss, W)
    assert float(grad.norm()) < 1e-6
    assert abs(losses[-1] - losses[-2]) < 1e-12
    assert torch.allclose(opt.gamma(W), W.detach(), atol=1e-5)  # the split closes: Γ = W


@pytest.mark.parametrize("fraction,diverges", [(0.9, False), (0.9 * 2, True)])
def test_printed_step_bound_is_not_sufficient(fraction, diverges):
    """Lip = 0, λ = 0: W − Γ is multiplied by 1 − 2κα/ν per step (docs/interpretations.md).

    α = 0.9 · ν/κ (= 0.9 × the corrected bound) converges; α = 1.8 · ν/κ, which is below
    the printed 2ν/κ, diverges.
    """
    kappa, nu = 2.0, 0.5
    assert SplitLBI.max_stable_lr(kappa, nu, 0.0) == pytest.approx(nu / kappa)
    assert SplitLBI.max_stable_lr(kappa, nu, 0.0, printed=True) == pytest.approx(2 * nu / kappa)
    alpha = fraction * nu / kappa
    W = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    opt = SplitLBI([W], lr=alpha, kappa=kappa, nu=nu, lam=0.0, penalty="lasso")
    for _ in range(120):
        W.grad = torch.zeros_like(W)  # L_n = 0
        opt.step()
    gap = float((W.detach() - opt.gamma(W)).abs().max())
    assert (gap > 1e3) if diverges else (gap < 1e-6)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
                  elements=st.floats(-5, 5)),
       st.floats(0, 3), st.booleans())
def test_group_prox_satisfies_optimality(V, lam, scale):
    """Γ = Prox(V) iff V − Γ ∈ λ_g ∂‖Γ_g‖₂ for every group g (slices on the first axis)."""
    Vt = torch.from_numpy(V)
    G = GroupLasso(scale_by_size=scale).prox(Vt, lam).numpy()
    for Vg, Gg in zip(V.reshape(V.shape[0], -1), G.reshape(V.shape[0], -1), strict=True):
        lam_g = lam * np.sqrt(Vg.size) if scale else lam
        norm = np.linalg.norm(Gg)
        if norm == 0:
            assert np.linalg.norm(Vg) <= lam_g + 1e-12
        else:
            np.testing.assert_allclose(Vg - Gg, lam_g * Gg / norm, atol=1e-10)


@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=5),
                  elements=st.floats(-5, 5)), st.floats(0, 3))
def test_lasso_prox_satisfies_optimality(V, lam):
    G = Lasso().prox(torch.from_numpy(V), lam).numpy()
    zero = G == 0
    assert np.all(np.abs(V[zero]) <= lam + 1e-12)
    np.testing.assert_allclose((V - G)[~zero], lam * np.sign(G[~zero]), atol=1e-10)
