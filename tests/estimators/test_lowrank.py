"""Rank-K least squares (Theorem 1 estimator) and the paper's GD baseline."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorcnn.cnn import CNNSpec
from tensorcnn.data import plain_weights
from tensorcnn.estimators import ConvergenceWarning, PaperGDRegressor, RankKRegressor
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
    n = 4 * spec.n_params + 20
    truth, X, Z, y = _data(spec, n, seed)
    est = RankKRegressor(spec).fit_design(Z, y)
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
