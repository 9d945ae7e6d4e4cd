r"""The constants of Theorems 1 and 2 of 003 and the bound curves they give.

Theorem 1 (003 §2.3): under Assumptions 1–3 and n ≳ (κ_U/κ_L)² d_M,

.. math::
    \|\hat W - W^*\|_F \le \frac{16\sigma\sqrt{\alpha_{RSM}}}{\alpha_{RSC}}
    \Big(\sqrt{\tfrac{d_M}{n}} + \sqrt{\tfrac{\delta}{n}}\Big),\quad
    \alpha_{RSC} = \kappa_L/2,\ \alpha_{RSM} = 3\kappa_U/2,\
    \kappa_L = c_x c_u,\ \kappa_U = C_x C_u.

Theorem 2 (§3): the same with c_N d_M, c_N = 2^{N+1} log(N + 2), and d_M^TU or d_M^CP.

Assumption 1: c_x I ⪯ Σ ⪯ C_x I. For iid N(0, I) inputs c_x = C_x = 1. For a stationary
series with spectral density f_X(θ), 003 takes c_x = inf_θ λ_min(f_X(θ)) and
C_x = sup_θ λ_max(f_X(θ)) (Basu & Michailidis 2015). With the convention
f_X(θ) = (2π)^{-1} Σ_h Γ(h) e^{−ihθ}, the covariance of the stacked series satisfies
2π inf λ_min(f) ≤ λ(Σ) ≤ 2π sup λ_max(f); we use the 2π-scaled values so that white noise
gives c_x = C_x = 1, as the iid case. For the VAR(1) x_t = Φ x_{t−1} + e_t with
e_t ~ N(0, I): 2π f(θ) = (I − Φe^{−iθ})^{-1}(I − Φe^{−iθ})^{−H}, so
c_x = min_θ σ_max(I − Φe^{−iθ})^{−2}, C_x = max_θ σ_min(I − Φe^{−iθ})^{−2}, evaluated on a
grid of θ ∈ [0, π] (f(−θ) is the conjugate of f(θ)).

Assumption 3 needs c_u > 0. It fails (c_u = 0) when a U_F^(j) is rank deficient — the
paper's T1–T4 (``docs/interpretations.md``); the bound is then reported as not defined,
with the reason, never as inf or NaN.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .._validation import check_int, check_nonnegative
from ..cnn import CNNSpec
from ..data.inputs import check_transition

__all__ = [
    "BoundConstants",
    "bound_constants",
    "design_bounds",
    "error_bound",
    "input_bounds",
    "tucker_constant",
]

#: c_u below this fraction of C_u is treated as 0 (a rank-deficient U_G up to rounding).
RANK_TOL = 1e-10


def input_bounds(transition: np.ndarray | None = None, n_freq: int = 33) -> tuple[float, float]:
    """(c_x, C_x) of Assumption 1: 1, 1 for iid N(0, I); VAR(1) spectral-density bounds.

    Parameters
    ----------
    transition : ndarray of shape (d, d), optional
        Φ of a stationary VAR(1) with unit noise; None for iid inputs.
    n_freq : int, default 33
        Number of equally spaced frequencies θ ∈ [0, π] (both ends included), >= 2.

    Returns
    -------
    (float, float)
        0 < c_x ≤ C_x < ∞.

    Raises
    ------
    TypeError, ValueError
        If ``n_freq`` is not an integer >= 2, or ``transition`` is not a stationary Φ
        (:func:`tensorcnn.data.check_transition`).
    """
    n_freq = check_int(n_freq, "n_freq", minimum=2)
    if transition is None:
        return 1.0, 1.0
    transition = check_transition(transition)
    # σ²(I − Φe^{−iθ}) are the eigenvalues of the Hermitian
    # (I − Φe^{−iθ})^H (I − Φe^{−iθ}) = I + ΦᵀΦ − e^{−iθ}Φ − e^{iθ}Φᵀ (eigvalsh ≪ svd in cost)
    base = np.eye(transition.shape[0]) + transition.T @ transition
    smallest, largest = np.inf, 0.0
    for theta in np.linspace(0.0, np.pi, n_freq):
        rotation = np.exp(-1j * theta) * transition
        values = np.linalg.eigvalsh(base - rotation - rotation.conj().T)
        smallest = min(smallest, float(values[0]))
        largest = max(largest, float(values[-1]))
    return 1.0 / largest, 1.0 / smallest


def design_bounds(spec: CNNSpec) -> tuple[float, float]:
    """(c_u, C_u) of Assumption 3, with c_u set to 0 below ``RANK_TOL`` · C_u.

    Raises
    ------
    TypeError
        If ``spec`` is not a :class:`~tensorcnn.cnn.CNNSpec`.
    """
    _check_spec(spec)
    c_u, C_u = spec.rip_constants()
    return (0.0 if c_u < RANK_TOL * C_u else c_u), C_u


def tucker_constant(n_modes: int) -> float:
    """c_N = 2^{N+1} log(N + 2) of Theorem 2 (N the number of kernel modes).

    Raises
    ------
    TypeError, ValueError
        If ``n_modes`` is not a positive integer.
    """
    n_modes = check_int(n_modes, "n_modes")
    return 2.0 ** (n_modes + 1) * math.log(n_modes + 2)


@dataclass(frozen=True)
class BoundConstants:
    """Constants of Theorem 1/2: Assumption 1 and 3 bounds and what they give."""

    c_x: float
    C_x: float
    c_u: float
    C_u: float
    kappa_L: float
    kappa_U: float
    alpha_RSC: float
    alpha_RSM: float
    complexity_factor: float
    defined: bool
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def bound_constants(spec: CNNSpec, transition: np.ndarray | None = None,
                    compressed: bool = False, n_freq: int = 33) -> BoundConstants:
    """κ_L = c_x c_u, κ_U = C_x C_u, α_RSC = κ_L/2, α_RSM = 3κ_U/2 (Theorem 1/2 of 003).

    ``compressed=True`` uses Theorem 2's factor c_N (N = number of kernel modes).

    Parameters
    ----------
    spec : CNNSpec
    transition : ndarray of shape (d, d), optional
        Φ of the VAR(1) inputs, d = prod(spec.input_shape); None for iid inputs.
    compressed : bool, default False
    n_freq : int, default 33
        As :func:`input_bounds`.

    Raises
    ------
    TypeError, ValueError
        If ``spec`` is not a CNNSpec, ``compressed`` not a bool, or ``transition`` not a
        stationary d × d matrix (checked before any spectral computation).
    """
    _check_spec(spec)
    if not isinstance(compressed, bool | np.bool_):
        raise TypeError(f"compressed must be a bool, got {compressed!r}")
    if transition is not None:
        transition = check_transition(transition, math.prod(spec.input_shape))
    c_x, C_x = input_bounds(transition, n_freq)
    c_u, C_u = design_bounds(spec)
    kappa_L, kappa_U = c_x * c_u, C_x * C_u
    factor = tucker_constant(spec.n_modes) if compressed else 1.0
    defined = kappa_L > 0
    reason = ("" if defined else
              "c_u = 0: U_G = U_F^(1) ⊗ … ⊗ U_F^(N) is rank deficient (some p_j > 1 with "
              "l_j > s_c s_p), Assumption 3 fails and the bound is vacuous")
    return BoundConstants(c_x, C_x, c_u, C_u, kappa_L, kappa_U, kappa_L / 2, 1.5 * kappa_U,
                          factor, defined, reason)


def error_bound(constants: BoundConstants, n_params: int, n_samples: np.ndarray,
                noise_sd: float = 1.0, delta: float = 1.0) -> np.ndarray | None:
    r"""The Theorem 1/2 bound on ‖Ŵ − W*‖_F at each n, or None where it is vacuous.

    .. math:: \frac{16\sigma\sqrt{\alpha_{RSM}}}{\alpha_{RSC}}
              \Big(\sqrt{c\, d_M / n} + \sqrt{\delta / n}\Big)

    Parameters
    ----------
    constants : BoundConstants
    n_params : int
        d_M (or d_M^TU, d_M^CP).
    n_samples : array of ints
    noise_sd : float
        σ (the noise is N(0, σ²), σ²-sub-Gaussian).
    delta : float, default 1
        δ of the probability statement (1 − … − exp{−d_M − 8δ}).

    Returns
    -------
    ndarray of the shape of ``n_samples``, or None if c_u = 0 (``constants.reason``).

    Raises
    ------
    TypeError, ValueError
        If ``constants`` is not a BoundConstants, ``n_params`` not a positive integer,
        ``n_samples`` not finite numbers > 0, ``noise_sd`` or ``delta`` not finite >= 0.
    """
    if not isinstance(constants, BoundConstants):
        raise TypeError(f"constants must be a BoundConstants (from bound_constants), got "
                        f"{type(constants).__name__}")
    n_params = check_int(n_params, "n_params")
    noise_sd = check_nonnegative(noise_sd, "noise_sd")
    delta = check_nonnegative(delta, "delta")
    raw = np.asarray(n_samples)
    if raw.dtype.kind not in "iuf":
        raise TypeError(f"n_samples must be numbers (sample sizes), got dtype {raw.dtype}")
    n = raw.astype(float)
    if not (np.isfinite(n).all() and (n > 0).all()):
        raise ValueError(f"n_samples must be finite sample sizes > 0, got {n_samples!r}")
    if not constants.defined:
        return None
    scale = 16.0 * noise_sd * math.sqrt(constants.alpha_RSM) / constants.alpha_RSC
    return scale * (np.sqrt(constants.complexity_factor * n_params / n) + np.sqrt(delta / n))


def _check_spec(spec: object) -> None:
    if not isinstance(spec, CNNSpec):
        raise TypeError(f"spec must be a CNNSpec, got {type(spec).__name__}")


def sample_size_condition(constants: BoundConstants, n_params: int) -> float:
    """(κ_U/κ_L)² d_M, the order of n Theorem 1 needs (inf when κ_L = 0)."""
    if not constants.defined:
        return math.inf
    return (constants.kappa_U / constants.kappa_L) ** 2 * n_params
