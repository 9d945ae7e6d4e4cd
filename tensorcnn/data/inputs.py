r"""Input generators of the simulations of 003 §4.1 / App. A.5.1: iid Gaussian and VAR(1).

Both return a batch X of shape (n_samples, d_1, …, d_N); the row-major vec of X_t is the
vector x_t of the paper.

* iid: x_t ~ N(0, I_d), independent, d = Π d_j.
* VAR(1): x_t = Φ x_{t−1} + e_t, e_t ~ N(0, I_d), x_0 = 0; the first ``burn_in`` = 50
  draws are discarded (003 App. A.5.1). Stationarity needs the spectral radius of Φ below 1;
  the paper draws Φ with ‖Φ‖_2 < 1, which :func:`random_transition` does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.linalg

from .._validation import as_generator, check_finite, check_int
from ..cnn.geometry import normalize_shape

__all__ = [
    "BURN_IN",
    "check_transition",
    "iid_inputs",
    "random_transition",
    "var1_autocovariance",
    "var1_inputs",
]

#: Draws discarded at the start of a VAR(1) series (003 App. A.5.1).
BURN_IN = 50

#: A transition's spectral radius must be below 1 − this (rounding of |λ| = 1 included).
STATIONARITY_MARGIN = 1e-9


def iid_inputs(n_samples: int, input_shape: Sequence[int],
               rng: np.random.Generator | int) -> np.ndarray:
    r"""Independent standard normal inputs, X_t[i] ~ N(0, 1) iid (003 §4.1).

    Parameters
    ----------
    n_samples : int
        Number of inputs T.
    input_shape : tuple of N ints
        d = (d_1, …, d_N).
    rng : numpy.random.Generator or int seed

    Returns
    -------
    ndarray of shape (n_samples, d_1, …, d_N), float64
    """
    n_samples = check_int(n_samples, "n_samples")
    input_shape = normalize_shape(input_shape, "input_shape")
    return as_generator(rng, "rng", allow_none=False).standard_normal((n_samples, *input_shape))


def check_transition(transition: np.ndarray, dim: int | None = None) -> np.ndarray:
    """Validate a VAR(1) transition matrix Φ: real, square, finite, spectral radius < 1.

    The radius must be below ``1 - STATIONARITY_MARGIN``: a Φ whose radius is 1 up to
    rounding (a rotation, whose computed radius may come out as 0.9999999999999999) has no
    stationary distribution either.

    Parameters
    ----------
    transition : array of shape (d, d)
        Φ, real (a complex array is refused, not cast).
    dim : int, optional
        The d it must have (d = prod(input_shape)).

    Returns
    -------
    ndarray of shape (d, d), float64

    Raises
    ------
    TypeError
        If Φ is not a real numeric array (complex, strings, objects).
    ValueError
        If Φ is not a finite square (dim × dim) matrix, or if its spectral radius is
        ≥ 1 − ``STATIONARITY_MARGIN`` (the process x_t = Φ x_{t−1} + e_t then has no
        stationary distribution).
    """
    raw = np.asarray(transition)
    if raw.dtype.kind not in "biuf":
        raise TypeError(f"transition must be a real numeric matrix, got dtype {raw.dtype}")
    transition = raw.astype(float)
    if transition.ndim != 2 or transition.shape[0] != transition.shape[1] or not transition.size:
        raise ValueError(f"transition must be a square matrix, got shape {transition.shape}")
    if dim is not None and transition.shape[0] != dim:
        raise ValueError(
            f"transition must be {dim} x {dim} (d = prod(input_shape)), got {transition.shape}"
        )
    if not np.isfinite(transition).all():
        raise ValueError("transition contains NaN or infinite values")
    radius = float(np.abs(np.linalg.eigvals(transition)).max())
    if radius >= 1.0 - STATIONARITY_MARGIN:
        raise ValueError(
            f"transition has spectral radius {radius:.17g} >= 1 - {STATIONARITY_MARGIN:g}: the "
            "VAR(1) process is not stationary (need all eigenvalues of Phi strictly inside "
            "the unit circle)"
        )
    return transition


def random_transition(dim: int, spectral_norm: float,
                      rng: np.random.Generator | int) -> np.ndarray:
    r"""A random VAR(1) transition matrix Φ with ‖Φ‖_2 = ``spectral_norm`` < 1.

    Φ = ρ G / ‖G‖_2 with G a dim × dim standard normal matrix and ρ = ``spectral_norm``, so
    the spectral radius is at most ρ < 1 and the process is stationary (003 App. A.5.1
    asks only for "a transition matrix with spectral norm less than 1").

    Returns
    -------
    ndarray of shape (dim, dim)

    Raises
    ------
    ValueError
        If ``spectral_norm`` is not in [0, 1).
    """
    dim = check_int(dim, "dim")
    spectral_norm = check_finite(spectral_norm, "spectral_norm")
    if not 0.0 <= spectral_norm < 1.0:
        raise ValueError(f"spectral_norm must be in [0, 1) for stationarity, got {spectral_norm!r}")
    gaussian = as_generator(rng, "rng", allow_none=False).standard_normal((dim, dim))
    transition = float(spectral_norm) * gaussian / np.linalg.norm(gaussian, 2)
    achieved = np.linalg.norm(transition, 2)
    if not math.isclose(achieved, spectral_norm, rel_tol=1e-10, abs_tol=1e-14):
        raise RuntimeError(f"random_transition: ||Phi||_2 = {achieved} != {spectral_norm}")
    return transition


def var1_inputs(n_samples: int, input_shape: Sequence[int], transition: np.ndarray,
                rng: np.random.Generator | int, burn_in: int = BURN_IN) -> np.ndarray:
    r"""A stationary VAR(1) series reshaped into input tensors (003 §4.1, App. A.5.1).

    .. math:: x_t = \Phi x_{t-1} + e_t, \quad e_t \sim N(0, I_d), \quad x_0 = 0,

    t = 1, …, burn_in + n_samples; the first ``burn_in`` vectors are dropped and each
    remaining x_t ∈ R^d (d = Π d_j) is reshaped (row-major) to ``input_shape``. For the
    paper's protocol call it with n_samples = n + 200 and keep the last 200 as test set.

    Parameters
    ----------
    n_samples : int
    input_shape : tuple of N ints
    transition : ndarray of shape (d, d)
        Φ; its spectral radius must be < 1.
    rng : numpy.random.Generator or int seed
    burn_in : int, default 50

    Returns
    -------
    ndarray of shape (n_samples, d_1, …, d_N), float64

    Raises
    ------
    ValueError
        If Φ is not d × d or not stationary, or counts are invalid (checked before drawing).
    """
    n_samples = check_int(n_samples, "n_samples")
    burn_in = check_int(burn_in, "burn_in", minimum=0)
    input_shape = normalize_shape(input_shape, "input_shape")
    dim = math.prod(input_shape)
    transition = check_transition(transition, dim)
    noise = as_generator(rng, "rng", allow_none=False).standard_normal((burn_in + n_samples, dim))
    # Row form x_tᵀ = x_{t−1}ᵀ Φᵀ + e_tᵀ, written in place over the noise.
    transition_t = transition.T
    for t in range(1, noise.shape[0]):
        noise[t] += noise[t - 1] @ transition_t
    return noise[burn_in:].reshape(n_samples, *input_shape)


def var1_autocovariance(transition: np.ndarray, lag: int = 0) -> np.ndarray:
    r"""Stationary autocovariance Γ(h) = E[x_{t+h} x_tᵀ] of the VAR(1) with unit noise.

    Γ(0) solves the discrete Lyapunov equation Γ(0) = Φ Γ(0) Φᵀ + I; Γ(h) = Φ^h Γ(0).

    Returns
    -------
    ndarray of shape (d, d)
    """
    transition = check_transition(transition)
    lag = check_int(lag, "lag", minimum=0)
    gamma0 = scipy.linalg.solve_discrete_lyapunov(transition, np.eye(transition.shape[0]))
    return np.linalg.matrix_power(transition, lag) @ gamma0
