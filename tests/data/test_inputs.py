"""Input generators: iid and VAR(1) against statsmodels and the Lyapunov equation."""

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.tsa.vector_ar.var_model import VARProcess

from tensorcnn.data import (
    iid_inputs,
    random_transition,
    var1_autocovariance,
    var1_inputs,
)


def _statsmodels_acf(transition, lags):
    dim = transition.shape[0]
    process = VARProcess(transition[None], None, np.eye(dim))
    return process.acf(lags)


def test_iid_shape_and_seed():
    a = iid_inputs(5, (3, 2), 7)
    b = iid_inputs(5, (3, 2), np.random.default_rng(7))
    assert a.shape == (5, 3, 2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, iid_inputs(5, (3, 2), 8))


@given(dim=st.integers(1, 12), norm=st.floats(0.0, 0.99), seed=st.integers(0, 2**31))
def test_random_transition_has_the_target_spectral_norm(dim, norm, seed):
    transition = random_transition(dim, norm, seed)
    assert np.linalg.norm(transition, 2) == pytest.approx(norm, abs=1e-12)


@given(dim=st.integers(1, 8), norm=st.floats(0.05, 0.95), seed=st.integers(0, 2**31))
def test_autocovariance_matches_statsmodels_and_lyapunov(dim, norm, seed):
    transition = random_transition(dim, norm, seed)
    gamma0, gamma1 = var1_autocovariance(transition, 0), var1_autocovariance(transition, 1)
    acf = _statsmodels_acf(transition, 1)
    np.testing.assert_allclose(gamma0, acf[0], atol=1e-10)
    np.testing.assert_allclose(gamma1, acf[1], atol=1e-10)
    # Γ(0) = Φ Γ(0) Φᵀ + I, independently of scipy's solver
    np.testing.assert_allclose(transition @ gamma0 @ transition.T + np.eye(dim), gamma0,
                               atol=1e-10)


@pytest.mark.parametrize("seed", [0, 1])
def test_var1_series_autocovariances_within_sampling_error(seed):
    dim, n = 4, 40_000
    transition = random_transition(dim, 0.7, seed)
    X = var1_inputs(n, (2, 2), transition, seed + 100).reshape(n, dim)
    acf = _statsmodels_acf(transition, 1)
    lag0 = X.T @ X / n
    lag1 = X[1:].T @ X[:-1] / (n - 1)          # E[x_{t+1} x_tᵀ]
    # Bartlett-type standard error of an autocovariance entry: ≲ max Γ(0) · c / √n with
    # c ≈ √(Σ_h ρ(h)²) ≤ √(1 / (1 − 0.7²)) ≈ 1.4; 5 standard errors
    tol = 5 * 1.4 * 2 * np.abs(acf[0]).max() / np.sqrt(n)
    assert np.abs(lag0 - acf[0]).max() < tol
    assert np.abs(lag1 - acf[1]).max() < tol
    # and the test can tell Φ from Φᵀ (a wrong orientation of the recursion)
    wrong = _statsmodels_acf(transition.T, 1)[1]
    if np.abs(wrong - acf[1]).max() > 3 * tol:
        assert np.abs(lag1 - wrong).max() > tol


def test_burn_in_is_dropped():
    transition = 0.5 * np.eye(3)
    long = var1_inputs(10, (3,), transition, 3, burn_in=50)
    noise = np.random.default_rng(3).standard_normal((60, 3))
    x = np.zeros(3)
    series = []
    for e in noise:
        x = transition @ x + e
        series.append(x)
    np.testing.assert_allclose(long, np.array(series[50:]) * 1.0, atol=1e-12)
    # x_1 = e_1 (x_0 = 0): the recursion is the paper's, started at zero
    np.testing.assert_allclose(series[0], noise[0])


@pytest.mark.parametrize("transition", [np.eye(2), np.diag([1.2, 0.1]),
                                        np.array([[0.0, 2.0], [-2.0, 0.0]])])
def test_non_stationary_transition_is_refused(transition):
    with pytest.raises(ValueError, match="spectral radius"):
        var1_inputs(10, (2,), transition, 0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="spectral_norm"):
        random_transition(3, 1.0, 0)
    with pytest.raises(ValueError, match="must be 4 x 4"):
        var1_inputs(5, (2, 2), np.zeros((3, 3)), 0)
    with pytest.raises(ValueError, match="n_samples"):
        iid_inputs(0, (2,), 0)
    with pytest.raises(TypeError, match="rng"):
        iid_inputs(2, (2,), None)
    assert scipy.linalg.norm(random_transition(3, 0.0, 1)) == 0.0
