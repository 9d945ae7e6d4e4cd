r"""Rank-K least squares for the CNN (003 Eq. 6; trace regression, SPEC.md §3).

.. math::
    \hat\Theta = \arg\min_{\mathrm{rank}(\Theta) \le K}
    \frac1n \sum_{i=1}^n (y_i - \langle M_i, \Theta\rangle)^2,
    \qquad \Theta = \sum_k \mathrm{vec}(B_k)\,\mathrm{vec}(A_k)^\top = B^\top A,

and Ŵ = Σ_k B̂_k ⊗ Â_k. Solver (ours, not the paper's), on the sufficient statistics
(:class:`~tensorcnn.estimators._quadratic.QuadraticObjective`; nothing below depends on n):

* **Variable projection.** f is an exact quadratic in the factor of the longer side (A when
  P ≤ L): for fixed B its minimiser A(B) solves one K·L × K·L positive definite system, and
  the reduced objective φ(B) = f(A(B), B) depends on the row space of B only (B → T B,
  A → T⁻ᵀ A leaves Θ unchanged). φ lives on the Grassmannian of K-planes in R^P — K(P − K)
  dimensions: 7, 15, 3 and 3 for S1–S4.
* **Newton in an affine chart.** B = [I_K, X] up to a column permutation (the first K
  columns if that keeps |X| ≤ 2, else pivoted QR; re-chosen when an entry of X exceeds 2),
  so X has no gauge freedom and a straight line in X is a curve of row spaces: the
  Euclidean Hessian of φ in X is exact. Gradient and Hessian of φ come in closed form from
  G (envelope theorem; Schur complement of the (A, B) Hessian). Trust-region steps: at most
  1 in norm, Levenberg–Marquardt damped when the Hessian is not positive definite or a step
  fails the ratio test.
* **Convergence criterion.** A start stops when the Hessian is positive definite (a strict
  local minimum to second order) and the Newton decrement ½ gᵀ H⁻¹ g — the decrease one more
  Newton step predicts — is at most ``tol`` · max(f, 1e-14 · mean(y²)). Below that floor
  f is rounding (a difference of O(mean(y²)) terms): steps predicting less are taken without
  the ratio test (as pure Newton steps, any damping left from earlier steps dropped), and
  two of them end the start. Convergence is quadratic (2–6 iterations
  per start on S1–S4); at ``max_iter`` iterations a :class:`ConvergenceWarning` and
  ``converged_ = False``.
* **Starts.** φ has spurious local minima when the design is far from isometric (c_u ≪ C_u,
  as in S1–S4), more so for K > 1. Starts: the row spaces of the leading K left singular
  vectors of the unconstrained least-squares Θ and of the moment matrix H = (1/n) Σ y_i M_i,
  then random ones. Each gets ``_N_SWEEPS`` ALS sweeps (batched over the starts; cheaper
  than Newton steps far from a minimum), then Newton, lowest objective first. A start whose
  iterate comes within ``_JOIN_DISTANCE`` of a minimum already found (sines of the principal
  angles between row spaces, at an objective not below that minimum's) is stopped as a
  duplicate. If the first ``n_screen`` starts all end at one minimum the others are skipped;
  otherwise all ``n_init`` run. The lowest objective is kept. The screen trades robustness
  for speed: on designs with one dominant spurious basin it can stop at that minimum where
  more starts would not (``n_screen = n_init`` runs every start). The evidence (many-start
  references on S1–S4, fresh truths, VAR(1) inputs and synthetic designs) is in
  ``docs/simulations.md``, "Rank-K solver".

When K ≥ min(P, L) the rank constraint is void and Θ̂ is the unconstrained least-squares
solution.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from scipy.linalg import lapack

from .._validation import as_generator
from ..cnn import CNNSpec
from ._base import MULTI_START, CNNRegressor, warn_not_converged
from ._quadratic import QuadraticObjective
from ._trace import theta_to_weight

__all__ = ["RankKRegressor"]

#: Relative size below which a Cholesky pivot counts as zero (√ of a 1e-12 condition).
_PIVOT_RTOL = 1e-6
#: Trust-region radius of a step in the chart coordinates X.
_RADIUS = 1.0
#: Largest |X| entry before the chart is re-pivoted (keeps [I, X] well conditioned).
_CHART_LIMIT = 2.0
#: ALS sweeps before Newton: cheaper than Newton steps far from a minimum.
_N_SWEEPS = 3
#: A start this close to a known minimum (‖sin Θ‖_F of the principal angles) joins it.
#: Measured: among 37 000 swept starts within 0.2 (largest sine) of another start's minimum
#: none ended elsewhere; at 0.3, 5 did.
_JOIN_DISTANCE = 0.15


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


class RankKRegressor(CNNRegressor):
    """Least squares of the rank-K CNN (Theorem 1 of 003): variable projection + Newton.

    Parameters
    ----------
    spec : CNNSpec
        Architecture; K = ``spec.n_kernels``.
    tol : float, default 1e-12
        Stop a start when its Newton decrement (the decrease one more Newton step predicts)
        is at most ``tol · f`` at a positive definite reduced Hessian (module docstring).
    max_iter : int, default 200
        Cap on Newton iterations per start.
    n_init : int, default 12
        Most starts: the rank-K truncated SVDs of the unconstrained least-squares Θ and of
        the moment matrix (1/n) Σ y_i M_i, then random ones, in that order; the lowest
        objective is kept.
    n_screen : int, default 4
        When the first ``n_screen`` starts all end at the same minimum, the others are not
        run (the landscape shows one basin); otherwise all ``n_init`` are. ``n_screen =
        n_init`` runs every start.
    rng : numpy.random.Generator or int, default 0
        Seeds the random starts.

    Attributes
    ----------
    W_ : ndarray of shape (l_1 p_1, …, l_N p_N)
        Ŵ = Σ_k B̂_k ⊗ Â_k.
    theta_ : ndarray of shape (P, L)
    A_ : ndarray of shape (K, l_1, …, l_N)
    B_ : ndarray of shape (K, p_1, …, p_N)
        One factorisation of Ŵ (not identifiable; balanced: ‖Â_k‖ = ‖B̂_k‖).
    objective_ : float
        (1/n) Σ_i (y_i − ⟨Z_i, Ŵ⟩)², computed from the residuals.
    n_iter_ : int
        ALS sweeps and Newton iterations summed over the starts (0 when the rank constraint
        is void).
    n_starts_ : int
        Starts run (0 when the rank constraint is void).
    best_start_ : int
        Index of the start that reached the kept minimum first (−1 when void).
    converged_ : bool
        Whether the kept minimum met the convergence criterion.
    stationarity_ : float
        KKT residual max(‖∇_A f‖, ‖∇_B f‖) / (‖∇_Θ f(0)‖ ‖Θ̂‖^{1/2}); 0 at a stationary point.
    """

    _parameter_constraints: dict = {**CNNRegressor._parameter_constraints, **MULTI_START}

    def __init__(self, spec: CNNSpec, tol: float = 1e-12, max_iter: int = 200,
                 n_init: int = 12, n_screen: int = 4,
                 rng: np.random.Generator | int = 0) -> None:
        self.spec = spec
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.n_screen = n_screen
        self.rng = rng

    def _model_params(self) -> int:
        return self.spec.n_params

    def _fit_trace(self, M: np.ndarray, y: np.ndarray) -> None:
        spec = self.spec
        K = spec.n_kernels
        obj = QuadraticObjective(M, y)
        self.n_iter_, self.n_starts_, self.best_start_, self.converged_ = 0, 0, -1, True
        if K >= min(obj.P, obj.L):
            theta = _least_squares(obj, exact=True)
        else:
            theta = self._multi_start(obj, K)
        A, B = _split_rank_k(theta, K)
        theta = B.T @ A
        self.theta_ = theta
        self.W_ = theta_to_weight(spec, theta)
        self.A_ = A.reshape(K, *spec.kernel_shape)
        self.B_ = B.reshape(K, *spec.pooled_shape)
        self.objective_ = obj.exact_value(theta)
        self.stationarity_ = _stationarity(obj, A, B)      # scale-free

    def _rescale(self, ratio: float, beta: float) -> None:
        # the balanced factors stay balanced (‖Â_k‖ = ‖B̂_k‖): each side takes √ratio
        B = self.B_
        super()._rescale(ratio, beta)
        if ratio != 1.0:
            self.A_ = self.A_ * math.sqrt(ratio)
            self.B_ = B * math.sqrt(ratio)

    def _multi_start(self, obj: QuadraticObjective, K: int) -> np.ndarray:
        """Θ̂ (P × L) from the starts of the class docstring; sets the start attributes."""
        problem = _ReducedProblem(obj, K)
        theta_ls = _least_squares(obj, exact=False)
        if problem.transposed:
            theta_ls = theta_ls.T
        # the row spaces of the leading K left singular vectors (never a zero row)
        spectral = [np.linalg.svd(theta, full_matrices=False)[0][:, :K].T
                    for theta in (theta_ls, problem.cross)]
        n_random = self.n_init - len(spectral)
        random = _random_starts(self.rng, n_random, K, problem.p) if n_random > 0 else []
        starts = [*spectral, *random][: self.n_init]
        minima: list[_Result] = []
        first: list[int] = []          # the start that found each minimum
        n_iter = n_starts = 0
        # the screen, then — unless it showed one basin — the other starts
        for group in (starts[: self.n_screen], starts[self.n_screen:]):
            if not group or (n_starts and len(minima) == 1 and minima[0].converged):
                break
            swept, values = problem.sweeps(np.stack(group))
            n_iter += _N_SWEEPS * len(group)
            offset = n_starts
            # lowest objective first: the likeliest to find the global minimum, which the
            # others then join instead of running Newton to it
            for index in np.argsort(values, kind="stable"):
                result = problem.descend(swept[index], values[index], self.tol,
                                         self.max_iter, minima)
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
        self.n_iter_, self.n_starts_, self.best_start_ = n_iter, n_starts, first[best]
        self.converged_ = kept.converged
        if not kept.converged:
            stopped = None if kept.n_iter >= self.max_iter else (
                "stopped where no trust-region step gains measurably")
            warn_not_converged(type(self).__name__, self.max_iter,
                               kept.decrement / max(abs(kept.value), problem.floor), self.tol,
                               stopped)
        theta = kept.U.T @ kept.V
        return theta.T if problem.transposed else theta


def _least_squares(obj: QuadraticObjective, exact: bool) -> np.ndarray:
    """The unconstrained least-squares Θ (P × L).

    Cholesky when G is numerically definite. Otherwise (n < PL, a rank-deficient design) the
    minimum-norm solution when ``exact``; else, for a start only, the ridge solution with a
    1e-10 relative ridge — the same Θ up to ~1e-6, for a tenth of the cost of an SVD.
    """
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


@dataclass
class _Chart:
    """The statistics with the short side permuted by ``perm`` (pivots first).

    ``gpp[(p, q), (a, b)] = G[p, a, q, b]``, ``g2`` G as
    (p, (a, q, b)), ``gram_flat`` G as (pl, pl), ``cross`` H.
    """

    perm: np.ndarray
    inverse: np.ndarray
    gpp: np.ndarray
    g2: np.ndarray
    gram_flat: np.ndarray
    cross: np.ndarray


@dataclass
class _Result:
    U: np.ndarray           # (K, p): the short-side factor, original column order
    V: np.ndarray           # (K, l): its optimal long-side factor
    value: float            # f(UᵀV) from the sufficient statistics
    n_iter: int
    converged: bool
    decrement: float        # the last Newton decrement (inf if the Hessian was not PD)
    joined: int | None = None      # index of the known minimum this start ran into
    complement: np.ndarray | None = None    # projector onto the complement of U's rows


class _ReducedProblem:
    """φ(U) = min_V f(UᵀV) over U (K × p), p = min(P, L) the short side of Θ.

    When P > L the problem is transposed (Θᵀ = Aᵀ B), so U is always the factor with fewer
    columns and the eliminated factor V the one with more.
    """

    def __init__(self, obj: QuadraticObjective, n_kernels: int) -> None:
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
        self._charts: dict[tuple, _Chart] = {}

    def _stats(self, perm: np.ndarray) -> _Chart:
        p, l = self.p, self.l
        gram = self.gram.take(perm, axis=0).take(perm, axis=2)
        gpp = np.ascontiguousarray(gram.transpose(0, 2, 1, 3)).reshape(p * p, l * l)
        return _Chart(perm=perm, inverse=np.argsort(perm), gpp=gpp,
                      g2=gram.reshape(p, l * p * l), gram_flat=gram.reshape(p * l, p * l),
                      cross=self.cross[perm])

    def chart(self, U: np.ndarray) -> tuple[_Chart, np.ndarray]:
        """A chart centred on U (original column order): U → [I_K, X] on K pivot columns.

        The first K columns when that keeps |X| ≤ 2, else those of a pivoted QR. Charts are
        cached by their pivot set (pivots, then the other columns in order): starts that
        reach the same minimum share them.
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

    def _solve_v(self, chart: _Chart, U: np.ndarray
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

        U has shape (S, K, p), original columns. Returns U (rows normalised: the scale is
        free) and f(U, V) ≥ φ(U) after the last sweep, shape (S,).
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

    def evaluate(self, chart: _Chart, U: np.ndarray
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

    def descend(self, U: np.ndarray, value: float, tol: float, max_iter: int,
                minima: list[_Result]) -> _Result:
        """:meth:`newton` from a swept start (K × p) with objective ≤ ``value``, unless it is
        already near a known minimum (then ``joined``)."""
        joined = _nearby(U, value, minima)
        if joined is not None:
            return _Result(U=U, V=minima[joined].V, value=value, n_iter=0, converged=False,
                           decrement=np.inf, joined=joined)
        return self.newton(U, tol, max_iter, minima)

    def newton(self, U0: np.ndarray, tol: float, max_iter: int,
               minima: list[_Result]) -> _Result:
        """Trust-region Newton on φ from the row space of U0 (K × p, original columns).

        Stops when the criterion of the module docstring holds, at ``max_iter`` iterations,
        or — ``joined`` set — when the iterate comes within ``_JOIN_DISTANCE`` of a known
        minimum (:func:`_nearby`).
        """
        K = self.K
        chart, U = self.chart(U0)
        value, gradient, hessian, V = self.evaluate(chart, U)
        damping, n_iter, polished = 0.0, 0, 0
        converged, joined = False, None
        x_max = float(np.abs(U[:, K:]).max())
        while True:
            factor, info = lapack.dpotrf(hessian, lower=1)
            decrement = np.inf
            if info == 0:
                newton_step = lapack.dpotrs(factor, gradient, lower=1)[0]
                decrement = 0.5 * float(gradient @ newton_step)
                # f cannot resolve a gain below the floor: after two unchecked Newton steps
                # there (quadratic convergence) the attainable accuracy is reached
                if (decrement <= tol * max(value, self.floor)
                        or (decrement <= self.floor and polished >= 2)):
                    converged = True
                    break
            joined = _nearby(U[:, chart.inverse], value, minima)
            if joined is not None or n_iter == max_iter:
                break
            n_iter += 1
            if info == 0 and (damping == 0.0 or decrement <= self.floor):
                # below the floor the damping left from earlier trust-region steps has
                # nothing to guard: the quadratic model at a positive definite Hessian holds
                damping = 0.0
                step, predicted = -newton_step, decrement
            else:
                scale = _scale(hessian)
                if info != 0:   # indefinite: damp past the most negative curvature
                    damping = max(damping, -1.1 * np.linalg.eigvalsh(hessian)[0] + 1e-6 * scale)
                eye = np.eye(gradient.size)
                while True:
                    factor, info = lapack.dpotrf(hessian + damping * eye, lower=1)
                    if info == 0:
                        break
                    damping = 4.0 * damping + 1e-6 * scale
                step = -lapack.dpotrs(factor, gradient, lower=1)[0]
                predicted = -float(gradient @ step + 0.5 * step @ (hessian @ step))
            norm = math.sqrt(float(step @ step))
            if norm > _RADIUS:
                step *= _RADIUS / norm
                predicted = -float(gradient @ step + 0.5 * step @ (hessian @ step))
                norm = _RADIUS
            unchecked = predicted <= self.floor
            if unchecked and damping > 0.0:
                # no measurable gain left away from a convex point (e.g. a zero gradient
                # at a degenerate point); an exact fit still counts as converged
                converged = value <= self.floor
                break
            trial = U.copy()
            trial[:, K:] += step.reshape(K, -1)
            if damping == 0.0 and norm < _RADIUS and minima:
                # a full Newton step at a positive definite Hessian: its target estimates
                # this start's minimum; one near a known minimum is that minimum
                joined = _nearby(trial[:, chart.inverse], value, minima)
                if joined is not None:
                    break
            trial_chart, trial_max = chart, x_max + norm
            if trial_max > _CHART_LIMIT:
                trial_max = float(np.abs(trial[:, K:]).max())
                if trial_max > _CHART_LIMIT:      # re-centre: new pivots
                    trial_chart, trial = self.chart(trial[:, chart.inverse])
                    trial_max = float(np.abs(trial[:, K:]).max())
            new = self.evaluate(trial_chart, trial)
            if unchecked:
                # a pure Newton step whose gain f cannot resolve: the ratio test would
                # compare rounding; the quadratic model at a positive definite Hessian holds
                polished += 1
                ratio = 1.0
            else:
                ratio = (value - new[0]) / predicted
                if ratio > 0.75:
                    if damping > 0.0:
                        damping = damping / 10.0 if damping > 1e-6 * _scale(hessian) else 0.0
                elif ratio < 0.25:
                    damping = max(4.0 * damping, 1e-3 * _scale(hessian))
            if ratio > 1e-4:
                value, gradient, hessian, V = new
                U, chart, x_max = trial, trial_chart, trial_max
        U = U[:, chart.inverse]
        complement = None
        if joined is None:
            basis = np.linalg.qr(U.T)[0]
            complement = np.eye(self.p) - basis @ basis.T
        return _Result(U=U, V=V, value=float(value), n_iter=n_iter, converged=converged,
                       decrement=decrement, joined=joined, complement=complement)


def _random_starts(rng: np.random.Generator | int, count: int, K: int, p: int) -> np.ndarray:
    """``count`` random starts (count, K, p) with N(0, 1) entries from ``rng``."""
    if isinstance(rng, np.random.Generator):
        return rng.standard_normal((count, K, p))
    return _seeded_starts(rng, count, K, p)


@functools.lru_cache(maxsize=64)
def _seeded_starts(seed: int, count: int, K: int, p: int) -> np.ndarray:
    # the same seed gives the same starts: drawn once (building a Generator costs more than
    # a Newton step at these sizes), read-only
    starts = as_generator(seed, "rng", allow_none=False).standard_normal((count, K, p))
    starts.flags.writeable = False
    return starts


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


def _nearby(U: np.ndarray, value: float, minima: list[_Result]) -> int | None:
    """Index of a known minimum within ``_JOIN_DISTANCE`` of U's row space, not above U in f.

    ‖sin Θ‖_F² = tr((U Uᵀ)⁻¹ U (I − QᵀQ) Uᵀ) for the principal angles Θ between the row
    spaces of U and of the minimum's orthonormal Q (``complement`` = I − QᵀQ).
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


def _scale(hessian: np.ndarray) -> float:
    """The size of the Hessian's diagonal: the unit of the damping."""
    return float(np.abs(hessian.diagonal()).max()) + 1e-300


def _stationarity(obj: QuadraticObjective, A: np.ndarray, B: np.ndarray) -> float:
    grad = obj.gradient(B.T @ A)
    reference = 2.0 * np.linalg.norm(obj.cross)         # ‖∇_Θ f(0)‖ = ‖−2H‖
    if reference == 0:
        return 0.0
    scale = reference * max(np.sqrt(np.linalg.norm(B.T @ A)), 1e-300)
    return float(max(np.linalg.norm(B @ grad), np.linalg.norm(A @ grad.T)) / scale)
