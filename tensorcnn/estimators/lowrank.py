r"""Rank-K least squares for the CNN (003 Eq. 6; trace regression, SPEC.md §3).

.. math::
    \hat\Theta = \arg\min_{\mathrm{rank}(\Theta) \le K}
    \frac1n \sum_{i=1}^n (y_i - \langle M_i, \Theta\rangle)^2,
    \qquad \Theta = \sum_k \mathrm{vec}(B_k)\,\mathrm{vec}(A_k)^\top = B^\top A,

and Ŵ = Σ_k B̂_k ⊗ Â_k. Solver (ours, not the paper's): sufficient statistics
(:class:`~tensorcnn.estimators._quadratic.QuadraticObjective`), a spectral initialisation
(the rank-K truncated SVD of the minimum-norm unconstrained least-squares Θ) and
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
        Cap on ALS sweeps.

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
        ALS sweeps (0 when the rank constraint is void).
    converged_ : bool
    stationarity_ : float
        KKT residual max(‖∇_A f‖, ‖∇_B f‖) / (‖∇_Θ f(0)‖ ‖Θ̂‖^{1/2}); 0 at a stationary point.
    """

    def __init__(self, spec: CNNSpec, tol: float = 1e-12, max_iter: int = 2000) -> None:
        self.spec = spec
        self.tol = tol
        self.max_iter = max_iter

    def _model_params(self) -> int:
        check_positive(self.tol, "tol", allow_zero=True)
        check_positive(self.max_iter, "max_iter", integer=True)
        return self._check_spec().n_params

    def _fit_trace(self, M: np.ndarray, y: np.ndarray) -> None:
        spec = self.spec
        K = spec.n_kernels
        obj = QuadraticObjective(M, y)
        P, L = obj.P, obj.L
        gram_flat = obj.gram.reshape(P * L, P * L)
        theta0 = solve_psd(gram_flat, obj.cross.ravel())
        theta0 = theta0.reshape(P, L)
        A, B = split_rank_k(theta0, K)
        n_iter, converged, change = 0, True, 0.0
        if K < min(P, L):
            f_old = obj.value(B.T @ A)
            # below ~1e-15 · mean(y²) f is rounding (f is a difference of O(c) terms)
            floor = max(1e-14 * obj.const, 1e-300)
            converged = False
            for n_iter in range(1, self.max_iter + 1):  # noqa: B007
                A = self._update_a(obj, B)
                B = self._update_b(obj, A)
                A, B = _balance(A, B)
                f_new = obj.value(B.T @ A)
                change = (f_old - f_new) / max(f_new, floor)
                f_old = f_new
                if change < self.tol:
                    converged = True
                    break
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

    @staticmethod
    def _update_a(obj: QuadraticObjective, B: np.ndarray) -> np.ndarray:
        K, L = B.shape[0], obj.L
        # Σ_{p,q} B[k,p] G[p,a,q,b] B[j,q], as two matrix products
        half = np.tensordot(B, obj.gram, axes=(1, 0))           # (K, L, P, L)
        system = np.tensordot(half, B, axes=(2, 1)).transpose(0, 1, 3, 2)
        rhs = B @ obj.cross
        return solve_psd(system.reshape(K * L, K * L), rhs.ravel()).reshape(K, L)

    @staticmethod
    def _update_b(obj: QuadraticObjective, A: np.ndarray) -> np.ndarray:
        K, P = A.shape[0], obj.P
        half = np.tensordot(obj.gram, A, axes=(3, 1))           # (P, L, P, K)
        system = np.tensordot(A, half, axes=(1, 1)).transpose(0, 1, 3, 2)
        rhs = A @ obj.cross.T
        return solve_psd(system.reshape(K * P, K * P), rhs.ravel()).reshape(K, P)


def _balance(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # The scale of (A_k, B_k) is free; equal norms keep the ALS systems well conditioned.
    norm_a = np.linalg.norm(A, axis=1)
    norm_b = np.linalg.norm(B, axis=1)
    ok = (norm_a > 0) & (norm_b > 0)
    scale = np.ones_like(norm_a)
    scale[ok] = np.sqrt(norm_b[ok] / norm_a[ok])
    return A * scale[:, None], B / scale[:, None]


def _stationarity(obj: QuadraticObjective, A: np.ndarray, B: np.ndarray) -> float:
    grad = obj.gradient(B.T @ A)
    reference = np.linalg.norm(obj.gradient(np.zeros_like(grad)))
    scale = reference * max(np.sqrt(np.linalg.norm(B.T @ A)), 1e-300)
    if reference == 0:
        return 0.0
    return float(max(np.linalg.norm(B @ grad), np.linalg.norm(A @ grad.T)) / scale)
