r"""Rank-K least squares on trace-regression data: variable projection + trust-region Newton.

.. math::
    \hat\Theta = \arg\min_{\mathrm{rank}(\Theta) \le K} f(\Theta), \qquad
    f(\Theta) = c - 2\langle H, \Theta\rangle + \mathrm{vec}(\Theta)^\top G\,
    \mathrm{vec}(\Theta), \qquad \Theta = U^\top V,

on the sufficient statistics (G, H, c) of :class:`~tensorcnn.estimators._quadratic.
QuadraticObjective` (003 Eq. 6 as trace regression, SPEC.md §3; nothing below depends on
n). :class:`~tensorcnn.estimators.RankKRegressor` composes this solver; the measurements
behind its choices are in ``docs/simulations.md``, "Rank-K solver".

* **Variable projection** (:class:`ReducedProblem`). U (K × p) is the factor of the short
  side p = min(P, L) of Θ (the problem is transposed when P > L), V (K × l) the other. f is
  an exact quadratic in V: for fixed U its minimiser V(U) solves one K·l × K·l positive
  definite system, and the reduced objective φ(U) = f(Uᵀ V(U)) depends on the row space of
  U only (U → T U, V → T⁻ᵀ V leaves Θ unchanged): φ lives on the Grassmannian of K-planes
  in R^p, K(p − K) dimensions.
* **Newton in an affine chart** (:meth:`ReducedProblem.chart`, :meth:`ReducedProblem.
  evaluate`). U = [I_K, X] up to a column permutation (the first K columns if that keeps
  |X| ≤ 2, else pivoted QR; re-chosen when an entry of X exceeds 2), so X has no gauge
  freedom and a straight line in X is a curve of row spaces: the Euclidean Hessian of φ in X
  is exact. Gradient and Hessian of φ in closed form from G (envelope theorem; Schur
  complement of the (U, V) Hessian).
* **Trust-region steps** (:func:`newton`, one iteration = :func:`_newton_step`,
  :func:`_damped_step`, :func:`_truncate`, :func:`_ratio_test`). The Newton step when the
  Hessian is positive definite and no damping is pending, else a Levenberg–Marquardt step
  (H + λ I)⁻¹ g; at most ``_RADIUS`` in norm; a step is accepted when it realises more
  than ``_ACCEPT`` of its predicted decrease, and λ shrinks (ratio > 0.75) or grows
  (ratio < 0.25) with that ratio.
* **Convergence criterion** (:func:`_converged`). A start stops when the Hessian is
  positive definite (a strict local minimum to second order) and the Newton decrement
  ½ gᵀ H⁻¹ g — the decrease one more Newton step predicts — is at most ``tol`` ·
  max(f, floor), floor = 1e-14 · mean(y²). Below the floor f is rounding (a difference of
  O(mean(y²)) terms): steps predicting less are taken without the ratio test (as pure Newton
  steps, any damping left from earlier steps dropped), and two of them end the start. A
  damped step predicting less than the floor ends the start too (no measurable gain left;
  converged only at an exact fit). At ``max_iter`` iterations the start stops unconverged.
* **Starts** (:func:`spectral_starts`, :func:`random_starts`, :func:`fit_multistart`). The
  row spaces of the leading K left singular vectors of the unconstrained least-squares Θ
  (:func:`least_squares`) and of the moment matrix H, then random ones. Each gets
  ``_N_SWEEPS`` ALS sweeps (:meth:`ReducedProblem.sweeps`, batched over the starts), then
  Newton, lowest objective first. A start whose iterate comes within ``_JOIN_DISTANCE`` of a
  minimum already found (the sines of the principal angles between row spaces, at an
  objective not below that minimum's; :func:`_nearby`) is stopped as a duplicate. If the
  first ``n_screen`` starts all end at one converged minimum the others are skipped;
  otherwise all run. The lowest objective is kept.

When K ≥ min(P, L) the rank constraint is void and Θ̂ is :func:`least_squares` (exact).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg
from scipy.linalg import lapack

from .._validation import (
    as_generator,
    check_bool,
    check_instance,
    check_int,
    check_nonnegative,
)

if TYPE_CHECKING:
    from ..estimators._quadratic import QuadraticObjective

# the building blocks (Chart, Iterate, StartResult, newton) stay importable for tests and
# studies, but the public surface is the problem, its starts, the solver and its checks
__all__ = ["RankKFit", "ReducedProblem", "fit_multistart", "least_squares", "random_starts",
           "spectral_starts", "stationarity"]

#: Relative size below which a Cholesky pivot counts as zero (√ of a 1e-12 condition).
_PIVOT_RTOL = 1e-6
#: Trust-region radius of a step in the chart coordinates X.
_RADIUS = 1.0
#: Largest |X| entry before the chart is re-pivoted (keeps [I, X] well conditioned).
_CHART_LIMIT = 2.0
#: ALS sweeps before Newton: cheaper than Newton steps far from a minimum.
_N_SWEEPS = 3
#: A start this close to a known minimum (‖sin Θ‖_F of the principal angles) joins it
#: (docs/simulations.md, "Rank-K solver": why 0.15).
_JOIN_DISTANCE = 0.15
#: Smallest ratio (actual / predicted decrease) at which a trust-region step is accepted.
_ACCEPT = 1e-4


# --- linear algebra ------------------------------------------------------------------------

def _solve_psd(matrix: np.ndarray, rhs: np.ndarray, rcond: float = 1e-10) -> np.ndarray:
    """Solve a symmetric positive semi-definite system S x = r.

    Cholesky when S is numerically definite (its factor's diagonal ratio above √rcond);
    otherwise the minimum-norm least-squares solution, so that a singular system (fewer
    samples than unknowns, a rank-deficient design) gives a defined answer, not noise.
    """
    try:
        factor = np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        factor = None
    if factor is not None:
        diagonal = np.abs(np.diag(factor))
        if diagonal.min() > np.sqrt(rcond) * diagonal.max():
            return scipy.linalg.cho_solve((factor, True), rhs, check_finite=False)
    return np.linalg.lstsq(matrix, rhs, rcond=rcond)[0]


def _solve_psd_batched(systems: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solutions of S symmetric PSD systems (S, q, q) x = (S, q), for the ALS sweeps.

    Cholesky (LAPACK, one call per system: numpy's batched routines are no faster at these
    sizes); :func:`_solve_psd` (minimum norm) when a system is not definite — a start with a
    zero row, or fewer samples than unknowns. A sweep only prepares a start, so a definite
    but ill-conditioned system is not refined further.
    """
    out = np.empty_like(rhs)
    for index, (system, b) in enumerate(zip(systems, rhs)):
        factor, info = lapack.dpotrf(system, lower=1)
        out[index] = (lapack.dpotrs(factor, b, lower=1)[0] if info == 0
                      else _solve_psd(system, b))
    return out


def _split_rank_k(theta: np.ndarray, n_kernels: int) -> tuple[np.ndarray, np.ndarray]:
    """Balanced factors of the best rank-K approximation of Θ (P × L): Θ_K = Bᵀ A.

    Returns
    -------
    A : ndarray of shape (K, L)
    B : ndarray of shape (K, P)
        Rows k scaled by √s_k (s_k the k-th singular value); zero rows past the rank.
    """
    u, s, vt = np.linalg.svd(theta, full_matrices=False)
    K = n_kernels
    root = np.sqrt(s[:K])
    A = np.zeros((K, theta.shape[1]))
    B = np.zeros((K, theta.shape[0]))
    A[: root.size] = root[:, None] * vt[:K]
    B[: root.size] = root[:, None] * u[:, :K].T
    return A, B


def _check_objective(obj: Any) -> QuadraticObjective:
    # at call time: estimators imports this module, so a module-level import would cycle
    from ..estimators._quadratic import QuadraticObjective

    return check_instance(obj, QuadraticObjective, "obj",
                          "a QuadraticObjective(M, y) (tensorcnn.estimators._quadratic)")


def _check_factor(value: Any, name: str, shape: tuple[int, int]) -> np.ndarray:
    """A finite float array of exactly ``shape``, refused by name otherwise."""
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real numpy array of shape {shape}, got "
                        f"{type(value).__name__}")
    if value.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
    if not np.isfinite(value).all():
        raise ValueError(f"{name} must hold finite values only (NaN or inf found)")
    return value


def least_squares(obj: QuadraticObjective, exact: bool) -> np.ndarray:
    """The unconstrained least-squares Θ (P × L): G vec Θ = vec H.

    Cholesky when G is numerically definite. Otherwise (n < PL, a rank-deficient design) the
    minimum-norm solution when ``exact``; else, for a start only, the ridge solution with a
    1e-10 relative ridge — the same Θ up to ~1e-6, for a tenth of the cost of an SVD.

    Parameters
    ----------
    obj : QuadraticObjective
        The sufficient statistics (G of shape (PL, PL), H of shape (P, L)).
    exact : bool
        Minimum norm (True) or ridge (False) when G is singular.

    Returns
    -------
    ndarray of shape (P, L)
    """
    _check_objective(obj)
    check_bool(exact, "exact")
    gram, rhs = obj.gram_flat, obj.cross.ravel()
    factor, info = lapack.dpotrf(gram, lower=1)
    diagonal = factor.diagonal()
    if not (info == 0 and diagonal.min() > _PIVOT_RTOL * diagonal.max()):
        if exact:
            return _solve_psd(gram, rhs).reshape(obj.P, obj.L)
        ridge = 1e-10 * np.trace(gram) / gram.shape[0] + 1e-300
        factor, info = lapack.dpotrf(gram + ridge * np.eye(gram.shape[0]), lower=1)
        if info != 0:
            return _solve_psd(gram, rhs).reshape(obj.P, obj.L)
    return lapack.dpotrs(factor, rhs, lower=1)[0].reshape(obj.P, obj.L)


def stationarity(obj: QuadraticObjective, A: np.ndarray, B: np.ndarray) -> float:
    """Scale-free KKT residual of Θ = Bᵀ A: max(‖∇_A f‖, ‖∇_B f‖) / (‖∇_Θ f(0)‖ ‖Θ‖^{1/2}).

    Parameters
    ----------
    obj : QuadraticObjective
    A : ndarray of shape (K, L)
    B : ndarray of shape (K, P)

    Returns
    -------
    float
        0 at a stationary point (and when H = 0).
    """
    _check_objective(obj)
    if isinstance(A, np.ndarray) and A.ndim != 2:
        raise ValueError(f"A must have shape (K, L) = (K, {obj.L}), got {A.shape}")
    K = A.shape[0] if isinstance(A, np.ndarray) else 0
    A = _check_factor(A, "A", (K, obj.L))
    B = _check_factor(B, "B", (K, obj.P))
    grad = obj.gradient(B.T @ A)
    reference = 2.0 * np.linalg.norm(obj.cross)         # ‖∇_Θ f(0)‖ = ‖−2H‖
    if reference == 0:
        return 0.0
    scale = reference * max(np.sqrt(np.linalg.norm(B.T @ A)), 1e-300)
    return float(max(np.linalg.norm(B @ grad), np.linalg.norm(A @ grad.T)) / scale)


# --- the reduced problem --------------------------------------------------------------------

@dataclass(frozen=True)
class Chart:
    """The statistics with the short side permuted by ``perm`` (pivots first).

    Attributes
    ----------
    perm, inverse : ndarray of ints, shape (p,)
        The column order of the chart and its inverse.
    gpp : ndarray of shape (p·p, l·l)
        ``gpp[(p, q), (a, b)] = G[p, a, q, b]``.
    g2 : ndarray of shape (p, l·p·l)
        G as (p, (a, q, b)).
    gram_flat : ndarray of shape (p·l, p·l)
        G.
    cross : ndarray of shape (p, l)
        H.
    """

    perm: np.ndarray
    inverse: np.ndarray
    gpp: np.ndarray
    g2: np.ndarray
    gram_flat: np.ndarray
    cross: np.ndarray


@dataclass(frozen=True)
class Iterate:
    """A point of one Newton run: U = [I_K, X] in ``chart`` and φ's local model there.

    Attributes
    ----------
    chart : Chart
    U : ndarray of shape (K, p)
        In the chart's column order; ``U[:, :K]`` = I.
    value : float
        φ(U) from the sufficient statistics.
    gradient : ndarray of shape (d,)
        ∇φ in X (d = K(p − K)).
    hessian : ndarray of shape (d, d)
        ∇²φ in X.
    V : ndarray of shape (K, l)
        The optimal long-side factor V(U).
    x_max : float
        An upper bound of max |X| (exact after a re-chart).
    """

    chart: Chart
    U: np.ndarray
    value: float
    gradient: np.ndarray
    hessian: np.ndarray
    V: np.ndarray
    x_max: float


@dataclass(frozen=True)
class StartResult:
    """Where one start ended.

    Attributes
    ----------
    U : ndarray of shape (K, p)
        The short-side factor, original column order.
    V : ndarray of shape (K, l)
        Its optimal long-side factor.
    value : float
        f(Uᵀ V) from the sufficient statistics.
    n_iter : int
        Newton iterations.
    converged : bool
    decrement : float
        The last Newton decrement (inf if the Hessian was not positive definite).
    joined : int or None
        Index of the known minimum this start ran into (then it is not a new minimum).
    complement : ndarray of shape (p, p) or None
        Projector onto the orthogonal complement of U's row space (None when ``joined``).
    """

    U: np.ndarray
    V: np.ndarray
    value: float
    n_iter: int
    converged: bool
    decrement: float
    joined: int | None = None
    complement: np.ndarray | None = None


class ReducedProblem:
    """φ(U) = min_V f(UᵀV) over U (K × p), p = min(P, L) the short side of Θ.

    When P > L the problem is transposed (Θᵀ = Aᵀ B), so U is always the factor with fewer
    columns and the eliminated factor V the one with more.

    Parameters
    ----------
    obj : QuadraticObjective
        G (P, L, P, L), H (P, L), c.
    n_kernels : int
        K < min(P, L).

    Attributes
    ----------
    transposed : bool
        P > L.
    gram : ndarray of shape (p, l, p, l)
    cross : ndarray of shape (p, l)
    p, l, K : int
    const : float
        c = mean(y²).
    floor : float
        1e-14 · c: below it f is rounding.
    """

    def __init__(self, obj: QuadraticObjective, n_kernels: int) -> None:
        _check_objective(obj)
        n_kernels = check_int(n_kernels, "n_kernels")
        if n_kernels >= min(obj.P, obj.L):
            raise ValueError(f"n_kernels must be < min(P, L) = {min(obj.P, obj.L)} (the rank "
                             f"constraint is void otherwise: use least_squares), got "
                             f"{n_kernels}")
        gram, cross = obj.gram, obj.cross
        self.transposed = obj.P > obj.L
        if self.transposed:
            gram, cross = gram.transpose(1, 0, 3, 2), cross.T
        self.gram, self.cross = gram, np.ascontiguousarray(cross)
        self.p, self.l = cross.shape
        self.K = n_kernels
        self.const = obj.const
        # below ~1e-14 · mean(y²) f is rounding (f is a difference of O(c) terms)
        self.floor = max(1e-14 * obj.const, 1e-300)
        self._kron_eye = np.eye(n_kernels)[:, None, :, None]
        self._identity = self._stats(np.arange(self.p))
        self._charts: dict[tuple, Chart] = {}

    def _stats(self, perm: np.ndarray) -> Chart:
        p, l = self.p, self.l
        gram = self.gram.take(perm, axis=0).take(perm, axis=2)
        gpp = np.ascontiguousarray(gram.transpose(0, 2, 1, 3)).reshape(p * p, l * l)
        return Chart(perm=perm, inverse=np.argsort(perm), gpp=gpp,
                     g2=gram.reshape(p, l * p * l), gram_flat=gram.reshape(p * l, p * l),
                     cross=self.cross[perm])

    def chart(self, U: np.ndarray) -> tuple[Chart, np.ndarray]:
        """A chart centred on U (K × p, original column order): U → [I_K, X] on K pivots.

        The first K columns when that keeps |X| ≤ 2, else those of a pivoted QR. Charts are
        cached by their pivot set (pivots, then the other columns in order): starts that
        reach the same minimum share them. Returns the chart and [I_K, X] in its columns.
        """
        K = self.K
        X = _to_chart(U)
        if X is not None:
            return self._identity, X
        pivots = sorted(lapack.dgeqp3(U)[1][:K] - 1)
        key = tuple(pivots)
        chart = self._charts.get(key)
        if chart is None:
            perm = np.array(pivots + [j for j in range(self.p) if j not in key])
            chart = self._charts[key] = self._stats(perm)
        U = U[:, chart.perm]
        X = _to_chart(U)
        return chart, X if X is not None else lapack.dgesv(U[:, :K], U)[2]

    def _solve_v(self, chart: Chart, U: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """V (K, l) minimising f for U (K, p); the right-hand side U H (K·l,), the Cholesky
        factor of the system S_V (None if not definite) and S_V (K·l, K·l)."""
        K, p, l = self.K, self.p, self.l
        KL = K * l
        UU = (U[:, None, :, None] * U[None, :, None, :]).reshape(K * K, p * p)
        s_v = (UU @ chart.gpp).reshape(K, K, l, l).transpose(0, 2, 1, 3).reshape(KL, KL)
        rhs = (U @ chart.cross).reshape(KL)
        factor, info = lapack.dpotrf(s_v, lower=1)
        diagonal = factor.diagonal()
        if info == 0 and diagonal.min() > _PIVOT_RTOL * diagonal.max():
            return lapack.dpotrs(factor, rhs, lower=1)[0].reshape(K, l), rhs, factor, s_v
        # a start with a (near-)zero row, or fewer samples than K·l
        return _solve_psd(s_v, rhs).reshape(K, l), rhs, None, s_v

    def sweeps(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``_N_SWEEPS`` ALS sweeps (V exactly, then U exactly) from S starts at once.

        Parameters
        ----------
        U : ndarray of shape (S, K, p)
            Original column order.

        Returns
        -------
        U : ndarray of shape (S, K, p)
            Rows normalised (the scale is free).
        values : ndarray of shape (S,)
            f(U, V) ≥ φ(U) after the last sweep.
        """
        S, K, p = U.shape
        l = self.l
        KL, KP = K * l, K * p
        gpp = self._identity.gpp
        for _ in range(_N_SWEEPS):
            U_old = U
            UU = (U[:, :, None, :, None] * U[:, None, :, None, :]).reshape(S * K * K, p * p)
            s_v = (UU @ gpp).reshape(S, K, K, l, l).transpose(0, 1, 3, 2, 4)
            V = _solve_psd_batched(s_v.reshape(S, KL, KL), (U @ self.cross).reshape(S, KL))
            V = V.reshape(S, K, l)
            VV = (V[:, :, None, :, None] * V[:, None, :, None, :]).reshape(S * K * K, l * l)
            s_u = (gpp @ VV.T).reshape(p, p, S, K, K).transpose(2, 3, 0, 4, 1)
            rhs = (V @ self.cross.T).reshape(S, KP)
            U = _solve_psd_batched(s_u.reshape(S, KP, KP), rhs)
            values = self.const - np.einsum("si,si->s", rhs, U)
            new = U.reshape(S, K, p)
            norms = np.sqrt(np.einsum("skp,skp->sk", new, new))[..., None]
            # a zero row (V orthogonal to H, e.g. y = 0) keeps the previous one
            U = np.where(norms > 0, new / np.where(norms > 0, norms, 1.0), U_old)
        return U, values

    def evaluate(self, chart: Chart, U: np.ndarray
                 ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """φ, its gradient (d,) and Hessian (d, d) in X (d = K(p − K)), and V, at U = [I, X].

        With R = G vec Θ − H (half of ∇_Θ f) and S_V the V-block of the (U, V) Hessian over 2,
        ∇_U f = 2 V Rᵀ (envelope theorem: V is optimal) and ∇²φ = 2 (S_UU − S_UVᵀ S_V⁻¹ S_UV).
        """
        K, p, l = self.K, self.p, self.l
        KL, free = K * l, p - K
        V, rhs, factor, s_v = self._solve_v(chart, U)
        residual = (chart.gram_flat @ (U.T @ V).reshape(-1) - chart.cross.reshape(-1))
        residual = residual.reshape(p, l)
        # S_UV[k, a, j, q] = Σ_{p', b} U[k, p'] G[p', a, q, b] V[j, b] + δ_kj R[q, a], q ≥ K
        s_uv = ((U @ chart.g2).reshape(KL * p, l) @ V.T).reshape(K, l, p, K)[:, :, K:]
        s_uv = (s_uv.transpose(0, 1, 3, 2) + self._kron_eye * residual[K:].T[:, None, :])
        s_uv = s_uv.reshape(KL, K * free)
        VV = (V[:, None, :, None] * V[None, :, None, :]).reshape(K * K, l * l)
        s_uu = (chart.gpp @ VV.T).reshape(p, p, K, K)[K:, K:].transpose(2, 0, 3, 1)
        if factor is not None:
            solved = lapack.dpotrs(factor, s_uv, lower=1)[0]
        else:
            solved = _solve_psd(s_v, s_uv)
        hessian = 2.0 * (s_uu.reshape(K * free, K * free) - s_uv.T @ solved)
        gradient = 2.0 * (V @ residual[K:].T).reshape(-1)
        value = self.const - float(rhs @ V.reshape(-1))
        return value, gradient, hessian, V

    def iterate(self, chart: Chart, U: np.ndarray, x_max: float) -> Iterate:
        """:meth:`evaluate` at U = [I, X] (chart columns) as an :class:`Iterate`."""
        value, gradient, hessian, V = self.evaluate(chart, U)
        return Iterate(chart=chart, U=U, value=value, gradient=gradient, hessian=hessian,
                       V=V, x_max=x_max)


def _to_chart(U: np.ndarray) -> np.ndarray | None:
    """U scaled to [I_K, X] on its first K columns, or None if an |X| entry would exceed 2."""
    K = U.shape[0]
    if K == 1:
        pivot = U[0, 0]
        if pivot == 0 or abs(pivot) * _CHART_LIMIT < np.abs(U).max():
            return None
        return U / pivot
    X, info = lapack.dgesv(U[:, :K], U)[2:]
    return X if info == 0 and np.abs(X).max() <= _CHART_LIMIT else None  # False for NaN


def _nearby(U: np.ndarray, value: float, minima: Sequence[StartResult]) -> int | None:
    """Index of a known minimum within ``_JOIN_DISTANCE`` of U's row space, not above U in f.

    ‖sin Θ‖_F² = tr((U Uᵀ)⁻¹ U (I − QᵀQ) Uᵀ) for the principal angles Θ between the row
    spaces of U (K × p, original columns) and of the minimum's orthonormal Q
    (``complement`` = I − QᵀQ).
    """
    for index, known in enumerate(minima):
        if known.complement is None or known.value > value + 1e-12 * abs(value):
            continue
        inside = (U @ known.complement) @ U.T
        if U.shape[0] == 1:
            sines = inside[0, 0] / float(U[0] @ U[0])
        else:
            _, ratio, info = lapack.dposv(U @ U.T, inside)
            sines = np.trace(ratio) if info == 0 else np.inf
        if sines < _JOIN_DISTANCE**2:
            return index
    return None


# --- one trust-region Newton iteration -----------------------------------------------------

def _scale(hessian: np.ndarray) -> float:
    """The size of the Hessian's diagonal: the unit of the damping."""
    return float(np.abs(hessian.diagonal()).max()) + 1e-300


def _model_decrease(gradient: np.ndarray, hessian: np.ndarray, step: np.ndarray) -> float:
    """The decrease −(gᵀs + ½ sᵀHs) that the quadratic model of φ predicts for step s."""
    return -float(gradient @ step + 0.5 * step @ (hessian @ step))


def _newton_step(gradient: np.ndarray, hessian: np.ndarray
                 ) -> tuple[np.ndarray | None, float]:
    """H⁻¹g and the Newton decrement ½ gᵀH⁻¹g when H (d × d) is positive definite.

    Returns (None, inf) when the Cholesky factorisation of H fails (H not positive definite:
    no Newton decrement, the start cannot have converged).
    """
    factor, info = lapack.dpotrf(hessian, lower=1)
    if info != 0:
        return None, np.inf
    solved = lapack.dpotrs(factor, gradient, lower=1)[0]
    return solved, 0.5 * float(gradient @ solved)


def _converged(decrement: float, value: float, tol: float, floor: float,
               polished: int) -> bool:
    """The convergence criterion at a positive definite Hessian (module docstring).

    The Newton decrement is at most ``tol`` · max(f, floor), or — f no longer resolving the
    gain — at most the floor after ``polished`` ≥ 2 unchecked Newton steps below it
    (quadratic convergence: the attainable accuracy is reached).
    """
    return decrement <= tol * max(value, floor) or (decrement <= floor and polished >= 2)


def _damped_step(gradient: np.ndarray, hessian: np.ndarray, damping: float,
                 definite: bool) -> tuple[np.ndarray, float, float]:
    """The Levenberg–Marquardt step s = −(H + λ I)⁻¹ g and the decrease the model predicts.

    At an indefinite H (``definite`` False) λ is first raised past the most negative
    curvature (1.1 |λ_min| + 1e-6 · scale); then λ ← 4 λ + 1e-6 · scale until H + λ I has
    a Cholesky factor (scale: :func:`_scale`). Returns (s, predicted decrease, λ).
    """
    scale = _scale(hessian)
    if not definite:    # indefinite: damp past the most negative curvature
        damping = max(damping, -1.1 * np.linalg.eigvalsh(hessian)[0] + 1e-6 * scale)
    eye = np.eye(gradient.size)
    while True:
        factor, info = lapack.dpotrf(hessian + damping * eye, lower=1)
        if info == 0:
            break
        damping = 4.0 * damping + 1e-6 * scale
    step = -lapack.dpotrs(factor, gradient, lower=1)[0]
    return step, _model_decrease(gradient, hessian, step), damping


def _truncate(step: np.ndarray, predicted: float, gradient: np.ndarray,
              hessian: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The step cut back to the trust region ‖s‖ ≤ ``_RADIUS`` (its predicted decrease
    recomputed when cut). Returns (s, predicted decrease, ‖s‖)."""
    norm = math.sqrt(float(step @ step))
    if norm > _RADIUS:
        step *= _RADIUS / norm
        predicted = _model_decrease(gradient, hessian, step)
        norm = _RADIUS
    return step, predicted, norm


def _ratio_test(actual: float, predicted: float, damping: float,
                hessian: np.ndarray) -> tuple[float, float]:
    """The ratio ρ = actual / predicted decrease of a checked step and the next damping.

    ρ > 0.75: the model holds — λ ÷ 10 (to 0 once below 1e-6 · scale); ρ < 0.25: it does
    not — λ ← max(4 λ, 1e-3 · scale). The step is accepted when ρ > ``_ACCEPT``.
    """
    ratio = actual / predicted
    if ratio > 0.75:
        if damping > 0.0:
            damping = damping / 10.0 if damping > 1e-6 * _scale(hessian) else 0.0
    elif ratio < 0.25:
        damping = max(4.0 * damping, 1e-3 * _scale(hessian))
    return ratio, damping


def _recentred(problem: ReducedProblem, chart: Chart, trial: np.ndarray,
               bound: float) -> tuple[Chart, np.ndarray, float]:
    """``trial`` ([I, X] in ``chart``) in a chart where max |X| ≤ 2, and that maximum.

    ``bound`` ≥ max |X| (the previous maximum plus the step's norm): no entry is looked at
    while it is ≤ 2; above, the exact maximum decides, and a new chart is centred on the
    trial point (new pivots) only when that exceeds 2 too.
    """
    K = problem.K
    if bound > _CHART_LIMIT:
        bound = float(np.abs(trial[:, K:]).max())
        if bound > _CHART_LIMIT:      # re-centre: new pivots
            chart, trial = problem.chart(trial[:, chart.inverse])
            bound = float(np.abs(trial[:, K:]).max())
    return chart, trial, bound


# --- one start -----------------------------------------------------------------------------

def newton(problem: ReducedProblem, U0: np.ndarray, tol: float, max_iter: int,
           minima: Sequence[StartResult] = ()) -> StartResult:
    """Trust-region Newton on φ from the row space of U0 (K × p, original columns).

    Each iteration: the Newton step and decrement (:func:`_newton_step`); the stopping
    test (:func:`_converged`); the step — pure Newton when H is positive definite and no
    damping is pending (or the decrement is below the floor), else damped
    (:func:`_damped_step`) — cut to the trust region (:func:`_truncate`); the ratio test and
    damping update (:func:`_ratio_test`; skipped for a step predicting less than the floor,
    which f cannot resolve); acceptance when ρ > ``_ACCEPT``.

    Stops when the criterion of the module docstring holds, at ``max_iter`` iterations,
    when a damped step predicts no measurable gain, or — ``joined`` set — when the iterate
    (or the target of a full Newton step) comes within ``_JOIN_DISTANCE`` of a minimum in
    ``minima`` (:func:`_nearby`).
    """
    K, floor = problem.K, problem.floor
    chart, U = problem.chart(U0)
    point = problem.iterate(chart, U, float(np.abs(U[:, K:]).max()))
    damping, n_iter, polished = 0.0, 0, 0
    converged, joined = False, None
    while True:
        newton_step, decrement = _newton_step(point.gradient, point.hessian)
        definite = newton_step is not None
        if definite and _converged(decrement, point.value, tol, floor, polished):
            converged = True
            break
        joined = _nearby(point.U[:, point.chart.inverse], point.value, minima)
        if joined is not None or n_iter == max_iter:
            break
        n_iter += 1
        if definite and (damping == 0.0 or decrement <= floor):
            # below the floor the damping left from earlier trust-region steps has
            # nothing to guard: the quadratic model at a positive definite Hessian holds
            damping = 0.0
            step, predicted = -newton_step, decrement
        else:
            step, predicted, damping = _damped_step(point.gradient, point.hessian, damping,
                                                    definite)
        step, predicted, norm = _truncate(step, predicted, point.gradient, point.hessian)
        unchecked = predicted <= floor
        if unchecked and damping > 0.0:
            # no measurable gain left away from a convex point (e.g. a zero gradient
            # at a degenerate point); an exact fit still counts as converged
            converged = point.value <= floor
            break
        trial = point.U.copy()                  # [I, X + s] in the current chart
        trial[:, K:] += step.reshape(K, -1)
        if damping == 0.0 and norm < _RADIUS and minima:
            # a full Newton step at a positive definite Hessian: its target estimates
            # this start's minimum; one near a known minimum is that minimum
            joined = _nearby(trial[:, point.chart.inverse], point.value, minima)
            if joined is not None:
                break
        new = problem.iterate(*_recentred(problem, point.chart, trial, point.x_max + norm))
        if unchecked:
            # a pure Newton step whose gain f cannot resolve: the ratio test would
            # compare rounding; the quadratic model at a positive definite Hessian holds
            polished += 1
            ratio = 1.0
        else:
            ratio, damping = _ratio_test(point.value - new.value, predicted, damping,
                                         point.hessian)
        if ratio > _ACCEPT:
            point = new
    U = point.U[:, point.chart.inverse]
    complement = None
    if joined is None:
        basis = np.linalg.qr(U.T)[0]
        complement = np.eye(problem.p) - basis @ basis.T
    return StartResult(U=U, V=point.V, value=float(point.value), n_iter=n_iter,
                       converged=converged, decrement=decrement, joined=joined,
                       complement=complement)


def _descend(problem: ReducedProblem, U: np.ndarray, value: float, tol: float,
             max_iter: int, minima: Sequence[StartResult]) -> StartResult:
    """:func:`newton` from a swept start (K × p) with objective ≤ ``value``, unless it is
    already near a known minimum (then ``joined``, no iteration)."""
    joined = _nearby(U, value, minima)
    if joined is not None:
        return StartResult(U=U, V=minima[joined].V, value=value, n_iter=0, converged=False,
                           decrement=np.inf, joined=joined)
    return newton(problem, U, tol, max_iter, minima)


# --- starts and the multi-start ------------------------------------------------------------

def spectral_starts(problem: ReducedProblem, obj: QuadraticObjective) -> list[np.ndarray]:
    """The two deterministic starts (K × p each): the leading K left singular vectors
    (as rows; never a zero row) of the least-squares Θ (:func:`least_squares`, ridge when G
    is singular) and of H, both on the short side."""
    check_instance(problem, ReducedProblem, "problem", "a ReducedProblem(obj, n_kernels)")
    _check_objective(obj)
    theta_ls = least_squares(obj, exact=False)
    if problem.transposed:
        theta_ls = theta_ls.T
    return [np.linalg.svd(theta, full_matrices=False)[0][:, :problem.K].T
            for theta in (theta_ls, problem.cross)]


def random_starts(rng: np.random.Generator | int, count: int, K: int, p: int) -> np.ndarray:
    """``count`` random starts (count, K, p) with N(0, 1) entries from ``rng``.

    A seed (int) gives the same starts every time: they are drawn once and cached
    read-only (building a Generator costs more than a Newton step at these sizes).
    """
    if not isinstance(rng, np.random.Generator):
        rng = check_int(rng, "rng", minimum=0)
    count = check_int(count, "count", minimum=0)
    K, p = check_int(K, "K"), check_int(p, "p")
    if isinstance(rng, np.random.Generator):
        return rng.standard_normal((count, K, p))
    return _seeded_starts(rng, count, K, p)


@functools.lru_cache(maxsize=64)
def _seeded_starts(seed: int, count: int, K: int, p: int) -> np.ndarray:
    starts = as_generator(seed, "rng", allow_none=False).standard_normal((count, K, p))
    starts.flags.writeable = False
    return starts


@dataclass(frozen=True)
class RankKFit:
    """What :func:`fit_multistart` returns.

    Attributes
    ----------
    theta : ndarray of shape (P, L)
        Θ̂ = UᵀV of the kept minimum, in the problem's original orientation.
    value : float
        Its objective from the sufficient statistics.
    n_iter : int
        ALS sweeps and Newton iterations summed over the starts.
    n_starts : int
        Starts run.
    best_start : int
        Index (in ``starts``) of the start that found the kept minimum first.
    converged : bool
        Whether the kept minimum met the convergence criterion.
    decrement : float
        Its last Newton decrement.
    capped : bool
        Whether the kept minimum's start stopped at ``max_iter`` (else, unconverged, it
        stopped where no trust-region step gains measurably).
    floor : float
        The problem's rounding floor of f (:class:`ReducedProblem`).
    """

    theta: np.ndarray
    value: float
    n_iter: int
    n_starts: int
    best_start: int
    converged: bool
    decrement: float
    capped: bool
    floor: float

    @property
    def relative_decrement(self) -> float:
        """The decrement relative to max(|f|, floor): what the criterion compares to tol."""
        return self.decrement / max(abs(self.value), self.floor)


def fit_multistart(problem: ReducedProblem, starts: Sequence[np.ndarray], n_screen: int,
                   tol: float, max_iter: int) -> RankKFit:
    """The lowest minimum of φ from ``starts``, screened (module docstring, "Starts").

    The first ``n_screen`` starts are swept (:meth:`ReducedProblem.sweeps`) and run by
    :func:`newton` in order of their swept objective, lowest first; the other starts only
    when the screen did not end at one converged minimum. A start joining a known minimum
    (or ending at its objective to 1e-9 relative) adds none.

    Parameters
    ----------
    problem : ReducedProblem
    starts : sequence of ndarrays of shape (K, p)
        Original column order; at least one.
    n_screen : int
    tol : float
        Of the convergence criterion.
    max_iter : int
        Newton iterations per start.

    Returns
    -------
    RankKFit
    """
    check_instance(problem, ReducedProblem, "problem", "a ReducedProblem(obj, n_kernels)")
    if isinstance(starts, str | bytes) or not isinstance(starts, Sequence | np.ndarray):
        raise TypeError(f"starts must be a sequence of (K, p) arrays, got "
                        f"{type(starts).__name__}")
    if len(starts) == 0:
        raise ValueError("starts must hold at least one start, got none")
    for i, start in enumerate(starts):
        _check_factor(start, f"starts[{i}]", (problem.K, problem.p))
    n_screen = check_int(n_screen, "n_screen")
    tol = check_nonnegative(tol, "tol")
    max_iter = check_int(max_iter, "max_iter")
    starts = list(starts)
    minima: list[StartResult] = []
    first: list[int] = []          # the start that found each minimum
    n_iter = n_starts = 0
    # the screen, then — unless it showed one basin — the other starts
    for group in (starts[:n_screen], starts[n_screen:]):
        if not group or (n_starts and len(minima) == 1 and minima[0].converged):
            break
        swept, values = problem.sweeps(np.stack(group))
        n_iter += _N_SWEEPS * len(group)
        offset = n_starts
        # lowest objective first: the likeliest to find the global minimum, which the
        # others then join instead of running Newton to it
        for index in np.argsort(values, kind="stable"):
            result = _descend(problem, swept[index], values[index], tol, max_iter, minima)
            n_iter += result.n_iter
            same = result.joined
            if same is None:
                same = next((m for m, known in enumerate(minima) if abs(result.value
                             - known.value) <= 1e-9 * abs(known.value)), None)
            if same is None:
                minima.append(result)
                first.append(offset + int(index))
            n_starts += 1
    best = min(range(len(minima)), key=lambda m: minima[m].value)
    kept = minima[best]
    theta = kept.U.T @ kept.V
    return RankKFit(theta=theta.T if problem.transposed else theta, value=kept.value,
                    n_iter=n_iter, n_starts=n_starts, best_start=first[best],
                    converged=kept.converged, decrement=kept.decrement,
                    capped=kept.n_iter >= max_iter, floor=problem.floor)
