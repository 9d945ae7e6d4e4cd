"""Theorem 1/2 constants against independent computations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorcnn.bounds import bound_constants, error_bound, input_bounds, tucker_constant
from tensorcnn.data import preset, random_transition, var1_autocovariance


@given(rho=st.floats(0.0, 0.95))
def test_scalar_var1_spectral_bounds(rho):
    # Φ = ρ I: 2π f(θ) = |1 − ρ e^{−iθ}|^{-2} I, extremes at θ = π and θ = 0
    c_x, C_x = input_bounds(rho * np.eye(3))
    assert c_x == pytest.approx(1 / (1 + rho) ** 2) and C_x == pytest.approx(1 / (1 - rho) ** 2)


@settings(max_examples=20)
@given(dim=st.integers(1, 6), rho=st.floats(0.05, 0.9), seed=st.integers(0, 2**31))
def test_var1_bounds_contain_the_covariance_spectrum(dim, rho, seed):
    transition = random_transition(dim, rho, seed)
    c_x, C_x = input_bounds(transition, n_freq=257)
    eigenvalues = np.linalg.eigvalsh(var1_autocovariance(transition, 0))
    assert c_x <= eigenvalues.min() * (1 + 1e-9) and eigenvalues.max() <= C_x * (1 + 1e-3)


def test_theorem1_bound_by_hand():
    spec = preset("S3").spec
    constants = bound_constants(spec)
    c_u, C_u = spec.rip_constants()
    n = np.array([100, 400])
    expected = 16 * np.sqrt(1.5 * C_u) / (c_u / 2) * (np.sqrt(32 / n) + np.sqrt(1 / n))
    np.testing.assert_allclose(error_bound(constants, 32, n), expected)
    assert tucker_constant(3) == pytest.approx(16 * np.log(5))


def test_rank_deficient_design_gives_no_bound():
    constants = bound_constants(preset("T3").spec, compressed=True)
    assert not constants.defined and error_bound(constants, 94, np.array([500])) is None
