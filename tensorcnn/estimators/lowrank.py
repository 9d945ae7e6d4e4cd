r"""Rank-K least squares for the CNN (003 Eq. 6; trace regression, SPEC.md §3).

.. math::
    \hat\Theta = \arg\min_{\mathrm{rank}(\Theta) \le K}
    \frac1n \sum_{i=1}^n (y_i - \langle M_i, \Theta\rangle)^2,
    \qquad \Theta = \sum_k \mathrm{vec}(B_k)\,\mathrm{vec}(A_k)^\top = B^\top A,

and Ŵ = Σ_k B̂_k ⊗ Â_k. Solver (ours, not the paper's): sufficient statistics
(:class:`~tensorcnn.estimators._quadratic.QuadraticObjective`), a spectral initialisation
(the rank-K truncated SVD of the minimum-norm unconstrained least-squares Θ, plus further
starts, because f has spurious local minima when the design is ill conditioned) and
alternating least squares — exact minimisation over A (K·L unknowns) with B fixed, then over
B (K·P unknowns) with A fixed. Each sweep cannot increase f; the solver stops when a sweep
lowers f by less than ``tol`` relative to f (or at ``max_iter`` sweeps, with a
:class:`ConvergenceWarning` and ``converged_ = False``). When K ≥ min(P, L) the rank
constraint is void and Θ̂ is the unconstrained least-squares solution.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ..cnn import CNNSpec
from ..data._rng import as_generator
from ._base import CNNRegressorMixin, check_positive, warn_not_converged
from ._quadratic import QuadraticObjective
from ._trace import theta_to_weight

__all__ = ["RankKRegressor", "solve_psd", "split_rank_k"]


def solve_psd(matrix: np.ndarray, rhs: np.ndarray, rcond: float = 1e-10) -> np.ndarray:
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


def split_rank_k(theta: np.ndarray, n_kernels: int) -> tuple[np.ndarray, np.ndarray]:
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


class RankKRegressor(CNNRegressorMixin):
    """Least squares of the rank-K CNN (Theorem 1 of 003) by spectral init + ALS.

    Parameters
    ----------
    spec : CNNSpec
        Architecture; K = ``spec.n_kernels``.
    tol : float, default 1e-12
        Stop when one ALS sweep lowers the objective by less than ``tol · f``.
    max_iter : int, default 2000
        Cap on ALS sweeps per start.
    n_init : int, default 8
        ALS starts: the rank-K truncated SVDs of the unconstrained least-squares Θ and of
        the moment matrix (1/n) Σ y_i M_i, then random starts; the best objective is kept.
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
        ALS sweeps over all starts (0 when the rank constraint is void).
    converged_ : bool
    stationarity_ : float
        KKT residual max(‖∇_A f‖, ‖∇_B f‖) / (‖∇_Θ f(0)‖ ‖Θ̂‖^{1/2}); 0 at a stationary point.
    """

    def __init__(self, spec: CNNSpec, tol: float = 1e-12, max_iter: int = 2000,
                 n_init: int = 8, rng: np.random.Generator | int = 0) -> None:
        self.spec = spec
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.rng = rng

    def _model_params(self) -> int:
        check_positive(self.tol, "tol", allow_zero=True)
        check_positive(self.max_iter, "max_iter", integer=True)
        check_positive(self.n_init, "n_init", integer=True)
        return self._check_spec().n_params

    def _fit_trace(self, M: np.ndarray, y: np.ndarray) -> None:
        spec = self.spec
        K = spec.n_kernels
        obj = QuadraticObjective(M, y)
        P, L = obj.P, obj.L
        theta_ls = solve_psd(obj.gram_flat, obj.cross.ravel()).reshape(P, L)
        n_iter, converged = 0, True
        if K >= min(P, L):
            A, B = split_rank_k(theta_ls, K)
        else:
            # f has spurious local minima when the design is far from isometric (c_u ≪ C_u,
            # as in S1–S4); ALS from several starts, the best kept.
            rng = as_generator(self.rng)
            starts = [split_rank_k(theta_ls, K), split_rank_k(obj.cross, K)]
            scale = np.sqrt(np.linalg.norm(theta_ls) / K)
            starts += [(scale * rng.standard_normal((K, L)) / np.sqrt(L),
                        scale * rng.standard_normal((K, P)) / np.sqrt(P))
                       for _ in range(self.n_init - 2)]
            A0 = np.stack([a for a, _ in starts[: self.n_init]])
            B0 = np.stack([b for _, b in starts[: self.n_init]])
            A, B, f, n_iter, converged, change = self._als(obj, A0, B0)
            if not converged:
                warn_not_converged(type(self).__name__, self.max_iter, change, self.tol)
        theta = B.T @ A
        self.theta_ = theta
        self.W_ = theta_to_weight(spec, theta)
        self.A_ = A.reshape(K, *spec.kernel_shape)
        self.B_ = B.reshape(K, *spec.pooled_shape)
        self.objective_ = obj.exact_value(theta)
        self.n_iter_ = n_iter
        self.converged_ = converged
        self.stationarity_ = _stationarity(obj, A, B)

    def _als(self, obj: QuadraticObjective, A: np.ndarray, B: np.ndarray):
        """ALS sweeps from S starts at once (A: (S, K, L), B: (S, K, P)), in lockstep.

        Stops when every start's last sweep lowered f by less than ``tol`` relative to it;
        returns the best start's A, B, f, the sweeps, whether it converged, its last change.
        """
        f_old = _values(obj, A, B)
        # below ~1e-14 · mean(y²) f is rounding (f is a difference of O(c) terms)
        floor = max(1e-14 * obj.const, 1e-300)
        change = np.full(f_old.shape, np.inf)
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007
            A = self._update_a(obj, B)
            B = self._update_b(obj, A)
            A, B = _balance(A, B)
            f_new = _values(obj, A, B)
            change = (f_old - f_new) / np.maximum(f_new, floor)
            f_old = f_new
            if np.all(change < self.tol):
                break
        best = int(np.argmin(f_old))
        # An objective at rounding level is an exact fit: converged, although its relative
        # change is then noise over the floor and may never drop below tol.
        converged = bool(change[best] < self.tol or f_old[best] <= floor)
        return (A[best], B[best], float(f_old[best]), n_iter, converged, float(change[best]))

    @staticmethod
    def _update_a(obj: QuadraticObjective, B: np.ndarray) -> np.ndarray:
        S, K, P = B.shape
        L = obj.L
        # system[s,k,a,j,b] = Σ_{p,q} B[s,k,p] G[p,a,q,b] B[s,j,q], as matrix products
        half = (B.reshape(S * K, P) @ obj.gram.reshape(P, -1)).reshape(S, K, L, P, L)
        half = half.transpose(0, 1, 2, 4, 3).reshape(S, K * L * L, P)
        system = np.matmul(half, B.transpose(0, 2, 1)).reshape(S, K, L, L, K)
        system = system.transpose(0, 1, 2, 4, 3).reshape(S, K * L, K * L)
        rhs = np.matmul(B, obj.cross).reshape(S, K * L)
        return solve_psd_batched(system, rhs).reshape(S, K, L)

    @staticmethod
    def _update_b(obj: QuadraticObjective, A: np.ndarray) -> np.ndarray:
        S, K, L = A.shape
        P = obj.P
        # system[s,k,p,j,q] = Σ_{a,b} A[s,k,a] G[p,a,q,b] A[s,j,b]
        gram = obj.gram.transpose(1, 0, 2, 3).reshape(L, P * P * L)          # [a, (p,q,b)]
        half = (A.reshape(S * K, L) @ gram).reshape(S, K * P * P, L)
        system = np.matmul(half, A.transpose(0, 2, 1)).reshape(S, K, P, P, K)
        system = system.transpose(0, 1, 2, 4, 3).reshape(S, K * P, K * P)
        rhs = np.matmul(A, obj.cross.T).reshape(S, K * P)
        return solve_psd_batched(system, rhs).reshape(S, K, P)


def solve_psd_batched(systems: np.ndarray, rhs: np.ndarray, rcond: float = 1e-12) -> np.ndarray:
    """Solutions of S symmetric PSD systems (S, q, q) x = (S, q).

    Batched Cholesky when every system is numerically definite; otherwise minimum-norm
    solutions through the eigen-decomposition (singular systems occur when a start has a
    zero component).
    """
    try:
        factor = np.linalg.cholesky(systems)
        diagonal = np.abs(np.diagonal(factor, axis1=1, axis2=2))
        if np.all(diagonal.min(axis=1) > np.sqrt(rcond) * diagonal.max(axis=1)):
            return np.linalg.solve(systems, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        pass
    values, vectors = np.linalg.eigh(systems)
    cutoff = rcond * np.maximum(values[:, -1:], 1e-300)
    inverse = np.where(values > cutoff, 1.0 / np.where(values > cutoff, values, 1.0), 0.0)
    projected = np.einsum("sqr,sq->sr", vectors, rhs)
    return np.einsum("sqr,sr->sq", vectors, inverse * projected)


def _values(obj: QuadraticObjective, A: np.ndarray, B: np.ndarray) -> np.ndarray:
    theta = np.matmul(B.transpose(0, 2, 1), A).reshape(A.shape[0], -1)
    return (obj.const - 2.0 * theta @ obj.cross.ravel()
            + np.sum((theta @ obj.gram_flat) * theta, axis=1))


def _balance(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # The scale of (A_k, B_k) is free; equal norms keep the ALS systems well conditioned.
    norm_a = np.linalg.norm(A, axis=-1)
    norm_b = np.linalg.norm(B, axis=-1)
    ok = (norm_a > 0) & (norm_b > 0)
    scale = np.ones_like(norm_a)
    scale[ok] = np.sqrt(norm_b[ok] / norm_a[ok])
    return A * scale[..., None], B / scale[..., None]


def _stationarity(obj: QuadraticObjective, A: np.ndarray, B: np.ndarray) -> float:
    grad = obj.gradient(B.T @ A)
    reference = np.linalg.norm(obj.gradient(np.zeros_like(grad)))
    scale = reference * max(np.sqrt(np.linalg.norm(B.T @ A)), 1e-300)
    if reference == 0:
        return 0.0
    return float(max(np.linalg.norm(B @ grad), np.linalg.norm(A @ grad.T)) / scale)
