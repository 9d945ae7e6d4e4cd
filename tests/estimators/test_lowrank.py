"""Rank-K least squares (Theorem 1 estimator) and the paper's GD baseline."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tensorcnn.cnn import CNNSpec
from tensorcnn.data import plain_weights
from tensorcnn.estimators import ConvergenceWarning, PaperGDRegressor, RankKRegressor
from tensorcnn.estimators._quadratic import QuadraticObjective
from tensorcnn.estimators._trace import design_to_trace, weight_to_theta
from tensorcnn.tenalg import kron

from .strategies import full_rank_spec


def _data(spec, n, seed, noise=1.0):
    rng = np.random.default_rng(seed)
    truth = plain_weights(spec, rng)
    X = rng.standard_normal((n, *spec.input_shape))
    Z = spec.design(X)
    y = Z.reshape(n, -1) @ truth.W.ravel() + noise * rng.standard_normal(n)
    return truth, X, Z, y


def _noisy_fit(spec, n, seed):
    """Data of :func:`_data` (noise 1) and the default fit: (truth, Z, y, estimator)."""
    truth, X, Z, y = _data(spec, n, seed)
    return truth, Z, y, RankKRegressor(spec).fit_design(Z, y)


def _objective(Z, y, W):
    return float(np.mean((y - Z.reshape(len(y), -1) @ W.ravel()) ** 2))


@given(spec=full_rank_spec(), seed=st.integers(0, 2**31))
def test_noiseless_recovery(spec, seed):
    P, L = math.prod(spec.pooled_shape), math.prod(spec.kernel_shape)
    n = max(spec.n_params, P * L) + 10
    truth, X, Z, y = _data(spec, n, seed, noise=0.0)
    est = RankKRegressor(spec).fit(X, y)
    assert np.linalg.norm(est.W_ - truth.W) <= 1e-8 * max(1.0, np.linalg.norm(truth.W))
    # the fitted factors reproduce W_ by the definition W = Σ_k B_k ⊗ A_k
    rebuilt = sum(kron(est.B_[k], est.A_[k]) for k in range(spec.n_kernels))
    np.testing.assert_allclose(rebuilt, est.W_, atol=1e-10)


@given(spec=full_rank_spec(), seed=st.integers(0, 2**31))
def test_orthogonal_design_gives_the_truncated_svd(spec, seed):
    # With (1/n) Σ vec(M_i) vec(M_i)ᵀ = I the objective is ‖Θ − H‖² + const, so the rank-K
    # minimiser is the rank-K truncated SVD of H (Eckart–Young), whatever the solver.
    P, L = math.prod(spec.pooled_shape), math.prod(spec.kernel_shape)
    n = P * L + 3
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, P * L)))
    M = (np.sqrt(n) * q).reshape(n, P, *spec.kernel_shape)
    y = rng.standard_normal(n)
    if n < spec.n_params:
        return
    est = RankKRegressor(spec)
    est._model_params()
    est._fit_trace(M, y)
    H = (M.reshape(n, -1).T @ y / n).reshape(P, L)
    u, s, vt = np.linalg.svd(H)
    K = spec.n_kernels
    best = (u[:, :K] * s[:K]) @ vt[:K]
    # unique when s_K > s_{K+1}; hypothesis data has a gap almost surely
    if K < len(s) and s[K - 1] - s[K] < 1e-6:
        return
    np.testing.assert_allclose(est.theta_, best, atol=1e-7 * max(1.0, s[0]))


@settings(max_examples=25)
@given(spec=full_rank_spec(), seed=st.integers(0, 2**31))
def test_noisy_fit_is_stationary_and_beats_the_truth(spec, seed):
    truth, Z, y, est = _noisy_fit(spec, 4 * spec.n_params + 20, seed)
    assert est.converged_
    # W* is feasible, so a global minimiser can only be better
    assert est.objective_ <= _objective(Z, y, truth.W) * (1 + 1e-12)
    assert est.objective_ == pytest.approx(_objective(Z, y, est.W_), rel=1e-12)
    assert est.stationarity_ < 1e-5


def test_void_rank_constraint_is_ordinary_least_squares():
    spec = CNNSpec((3, 3), (2, 1), (2, 1), n_kernels=2)      # P = 2, L = 2: K = min(P, L)
    truth, X, Z, y = _data(spec, 40, 0)
    est = RankKRegressor(spec).fit(X, y)
    M = design_to_trace(spec, Z).reshape(40, -1)
    ls = np.linalg.lstsq(M, y, rcond=None)[0]
    np.testing.assert_allclose(weight_to_theta(spec, est.W_).ravel(), ls, atol=1e-10)
    assert est.n_iter_ == 0


def test_gd_baseline_never_beats_als():
    spec = CNNSpec((7, 5, 7), (2, 2, 2), (3, 2, 3), n_kernels=3)
    for seed in range(3):
        truth, X, Z, y = _data(spec, 300, seed)
        als = RankKRegressor(spec).fit_design(Z, y)
        gd = PaperGDRegressor(spec, rng=seed).fit_design(Z, y)
        assert gd.converged_
        assert als.objective_ <= gd.objective_ * (1 + 1e-9)


def test_gd_iteration_cap_warns_and_flags():
    spec = CNNSpec((5, 5), (2, 2), (2, 2), n_kernels=1)
    truth, X, Z, y = _data(spec, 60, 1)
    with pytest.warns(ConvergenceWarning):
        gd = PaperGDRegressor(spec, max_iter=3).fit_design(Z, y)
    assert not gd.converged_ and gd.n_iter_ == 3


def test_bad_input_before_any_work():
    spec = CNNSpec((7, 5, 7), (2, 2, 2), (3, 2, 3), n_kernels=3)     # d_M = 51
    X = np.zeros((50, 7, 5, 7))
    with pytest.raises(ValueError, match="smaller than the number of parameters"):
        RankKRegressor(spec).fit(X, np.zeros(50))
    with pytest.raises(ValueError, match="y must have shape"):
        RankKRegressor(spec).fit(np.zeros((60, 7, 5, 7)), np.zeros(59))
    with pytest.raises(ValueError, match="X must have shape"):
        RankKRegressor(spec).fit(np.zeros((60, 7, 5)), np.zeros(60))
    with pytest.raises(ValueError, match="tol"):
        RankKRegressor(spec, tol=-1.0).fit(np.zeros((60, 7, 5, 7)), np.zeros(60))
    with pytest.raises(ValueError, match="momentum"):
        PaperGDRegressor(spec, momentum=1.0).fit(np.zeros((60, 7, 5, 7)), np.zeros(60))
    with pytest.raises(TypeError, match="spec"):
        RankKRegressor("S1").fit(X, np.zeros(50))
    with pytest.raises(ValueError, match="NaN"):
        RankKRegressor(spec).fit(np.full((60, 7, 5, 7), np.nan), np.zeros(60))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RankKRegressor(spec).fit(np.random.default_rng(0).standard_normal((60, 7, 5, 7)),
                                 np.zeros(60))


# ---------------------------------------------------------------------------------------
# The variable-projection Newton solver: global minimum, stationarity, starts, warnings.


def _trace_problem(rng, n, P, L, rank, condition=100.0, noise=0.5):
    """M (n, P, L) with correlated entries (condition number ~ ``condition``) and y."""
    mixing = np.linalg.qr(rng.standard_normal((P * L, P * L)))[0]
    mixing *= np.geomspace(1.0, 1.0 / condition, P * L)
    M = (rng.standard_normal((n, P * L)) @ mixing.T).reshape(n, P, L)
    theta = rng.standard_normal((P, rank)) @ rng.standard_normal((rank, L))
    y = M.reshape(n, -1) @ theta.ravel() + noise * rng.standard_normal(n)
    return M, y


def _fit_theta(M, y, K, **kwargs):
    """Θ̂ and the fitted estimator of a trace-regression problem (no CNN geometry needed)."""
    est = RankKRegressor(CNNSpec((2, 2), (1, 1), (1, 1), n_kernels=K), **kwargs)
    return est._multi_start(QuadraticObjective(M, y), K), est


def _objective_trace(M, y, theta):
    return float(np.mean((y - M.reshape(len(y), -1) @ theta.ravel()) ** 2))


def _projective_grid(P, size):
    """Unit vectors covering the projective space RP^{P−1} (P = 2 or 3) finely."""
    if P == 2:
        angle = np.linspace(0.0, np.pi, size, endpoint=False)
        return np.stack([np.cos(angle), np.sin(angle)], axis=1)
    k = np.arange(size) + 0.5                      # Fibonacci points on the upper hemisphere
    z = k / size
    azimuth = np.pi * (1 + 5**0.5) * k
    radius = np.sqrt(1 - z**2)
    return np.stack([radius * np.cos(azimuth), radius * np.sin(azimuth), z], axis=1)


@settings(max_examples=30)
@given(seed=st.integers(0, 2**31), P=st.integers(2, 3), L=st.integers(2, 5),
       rank=st.integers(1, 2), transpose=st.booleans(), hard=st.booleans())
@example(seed=1, P=3, L=2, rank=2, transpose=False, hard=True)   # ~1 start in 10 finds it
def test_rank_one_fit_is_the_brute_force_global_minimum(seed, P, L, rank, transpose, hard):
    # K = 1: φ(u) = min_a f(u aᵀ) depends on the direction of u only, so a fine grid of
    # RP^{P−1} brackets the global minimum from above; the solver must not be above it
    # (a start stuck in a spurious minimum would be, by far more than the grid error).
    # Designs with condition number 100 and a rank-2 truth have spurious minima with large
    # basins: there the screened default misses the global one in ~6 % of such problems, so
    # 64 unscreened starts are used; with condition number 10 the default must find it.
    rng = np.random.default_rng(seed)
    n = P * L + int(rng.integers(2, 3 * P * L))
    M, y = _trace_problem(rng, n, P, L, rank, condition=100.0 if hard else 10.0)
    if transpose:       # the short side is then the second one (the transposed problem)
        M = M.transpose(0, 2, 1).copy()
    theta, est = _fit_theta(M, y, 1, **(dict(n_init=64, n_screen=64) if hard else {}))
    flat = M.reshape(n, -1)
    G4 = (flat.T @ flat / n).reshape(M.shape[1], M.shape[2], M.shape[1], M.shape[2])
    H = (flat.T @ y / n).reshape(M.shape[1], M.shape[2])
    if transpose:
        G4, H = G4.transpose(1, 0, 3, 2), H.T
    u = _projective_grid(P, 4000 if P == 2 else 40000)
    S = np.einsum("np,nq,paqb->nab", u, u, G4)
    r = u @ H
    phi = np.mean(y**2) - np.einsum("na,na->n", r, np.linalg.solve(S, r[..., None])[..., 0])
    assert est.converged_
    assert _objective_trace(M, y, theta) <= phi.min() + 1e-10 * np.mean(y**2)


@settings(max_examples=25)
@given(spec=full_rank_spec(), seed=st.integers(0, 2**31))
def test_default_starts_reach_the_many_start_optimum(spec, seed):
    # The screened default (2 spectral + 2 random starts, more only if they disagree) against
    # 32 starts all run to the end, from other random starts, on CNN designs.
    truth, Z, y, est = _noisy_fit(spec, 2 * spec.n_params + 10, seed)
    ref = RankKRegressor(spec, n_init=32, n_screen=32, rng=seed + 1).fit_design(Z, y)
    if spec.n_kernels < min(math.prod(spec.pooled_shape), math.prod(spec.kernel_shape)):
        assert ref.n_starts_ == 32
        assert est.n_starts_ in (est.n_screen, est.n_init)
    assert est.objective_ <= ref.objective_ * (1 + 1e-9)


@settings(max_examples=20)
@given(spec=full_rank_spec(), seed=st.integers(0, 2**31))
def test_fit_is_a_local_minimum_of_the_data_objective(spec, seed):
    # KKT from the raw data (not the sufficient statistics the solver uses): ∇_A f, ∇_B f
    # vanish, and no small step in (A, B) lowers f (second-order necessary condition).
    n = 3 * spec.n_params + 20
    truth, Z, y, est = _noisy_fit(spec, n, seed)
    K = spec.n_kernels
    M = design_to_trace(spec, Z).reshape(n, math.prod(spec.pooled_shape), -1)
    A, B = est.A_.reshape(K, -1), est.B_.reshape(K, -1)
    residual = M.reshape(n, -1) @ (B.T @ A).ravel() - y
    grad_theta = 2.0 * np.einsum("i,ipl->pl", residual, M) / n
    scale = np.linalg.norm(2.0 * np.einsum("i,ipl->pl", y, M) / n) * np.sqrt(
        np.linalg.norm(B.T @ A)) + 1e-300
    # tol = 1e-12 bounds the remaining decrease of f, so the gradient is ~√tol relative
    assert np.linalg.norm(B @ grad_theta) / scale < 1e-5
    assert np.linalg.norm(A @ grad_theta.T) / scale < 1e-5
    assert est.stationarity_ < 1e-5
    f0 = _objective(Z, y, est.W_)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        dA, dB = rng.standard_normal(A.shape), rng.standard_normal(B.shape)
        for step in (1e-3, 1e-2):
            theta = (B + step * dB).T @ (A + step * dA)
            f = float(np.mean((y - M.reshape(n, -1) @ theta.ravel()) ** 2))
            assert f >= f0 - 1e-12 * max(f0, 1.0)


def test_transposed_problem_gives_the_transposed_fit():
    # P > L is solved as the transposed problem: the answers must agree.
    rng = np.random.default_rng(3)
    M, y = _trace_problem(rng, 80, 3, 6, rank=2)
    theta, _ = _fit_theta(M, y, 1)
    theta_t, _ = _fit_theta(M.transpose(0, 2, 1).copy(), y, 1)
    np.testing.assert_allclose(theta_t, theta.T, atol=1e-9 * np.abs(theta).max())


def test_screen_stops_early_on_one_basin_and_runs_all_starts_otherwise():
    spec = CNNSpec((7, 5, 7), (2, 2, 2), (3, 2, 3), n_kernels=1)
    truth, X, Z, y = _data(spec, 2000, 0, noise=0.1)       # well determined: one basin
    est = RankKRegressor(spec).fit_design(Z, y)
    assert est.n_starts_ == est.n_screen == 4 and est.best_start_ in range(4)
    est = RankKRegressor(spec, n_init=6, n_screen=6).fit_design(Z, y)
    assert est.n_starts_ == 6
    est = RankKRegressor(spec, n_init=1).fit_design(Z, y)
    assert est.n_starts_ == 1 and est.best_start_ == 0 and est.converged_


def test_newton_iteration_cap_warns_and_flags():
    spec = CNNSpec((7, 5, 7), (2, 2, 2), (3, 2, 3), n_kernels=3)
    truth, X, Z, y = _data(spec, 200, 1)
    with pytest.warns(ConvergenceWarning, match="RankKRegressor"):
        est = RankKRegressor(spec, tol=0.0, max_iter=1).fit_design(Z, y)
    assert not est.converged_
    assert est.n_starts_ == est.n_init            # no converged minimum: no early stop
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = RankKRegressor(spec).fit_design(Z, y)
    assert est.converged_ and est.n_iter_ > 0


def test_random_starts_follow_the_rng():
    spec = CNNSpec((7, 5, 7), (2, 2, 2), (3, 2, 3), n_kernels=3)
    truth, X, Z, y = _data(spec, 150, 4)
    fits = [RankKRegressor(spec, rng=rng).fit_design(Z, y)
            for rng in (5, 5, np.random.default_rng(5))]
    assert fits[0].n_iter_ == fits[1].n_iter_ == fits[2].n_iter_
    np.testing.assert_array_equal(fits[0].W_, fits[1].W_)
    np.testing.assert_allclose(fits[0].W_, fits[2].W_, atol=1e-12)


def test_simulated_fits_that_ended_on_a_damped_step_converge():
    # found over 20 truths x 200 replications of S4: a start reached its minimum with
    # damping left over from earlier trust-region steps; the damped step's gain was below
    # the rounding floor and the start was flagged not converged (after ~90 iterations)
    from tensorcnn.data import preset
    from tensorcnn.simulation import fit_replication, sample_sizes

    setting = preset("S4")
    sizes = [int(n) for n in sample_sizes(setting.n_params, 10)]
    for seed, rep in ((4, 153), (9, 90), (9, 98), (9, 175)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            rows = fit_replication(setting, sizes, rep, seed)
        assert all(row["converged"] for row in rows)
        assert max(row["n_iter"] for row in rows) < 60
