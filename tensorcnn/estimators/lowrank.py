r"""Rank-K least squares for the CNN (003 Eq. 6; trace regression, SPEC.md §3).

.. math::
    \hat\Theta = \arg\min_{\mathrm{rank}(\Theta) \le K}
    \frac1n \sum_{i=1}^n (y_i - \langle M_i, \Theta\rangle)^2,
    \qquad \Theta = \sum_k \mathrm{vec}(B_k)\,\mathrm{vec}(A_k)^\top = B^\top A,

and Ŵ = Σ_k B̂_k ⊗ Â_k. Solver (:mod:`tensorcnn.solvers.rank_k`, ours, not the paper's): on
the sufficient statistics (:class:`~tensorcnn.estimators._quadratic.QuadraticObjective`),
variable projection (the factor of the longer side of Θ solved exactly) and trust-region
Newton on the Grassmannian of the shorter one, from screened spectral and random starts;
the algorithm and the convergence criterion are in that module's docstring, the evidence
for its choices in ``docs/simulations.md``, "Rank-K solver". :class:`RankKRegressor`
composes the model (the CNN geometry, the balanced factors, the scikit-learn attributes)
and the solver: it draws the random starts from its ``rng`` and passes them with the
spectral ones to :func:`~tensorcnn.solvers.rank_k.fit_multistart`.

When K ≥ min(P, L) the rank constraint is void and Θ̂ is the unconstrained least-squares
solution.
"""

from __future__ import annotations

import math

import numpy as np

from ..cnn import CNNSpec
from ..solvers.rank_k import (
    ReducedProblem,
    _split_rank_k,
    fit_multistart,
    least_squares,
    spectral_starts,
    stationarity,
)
from ..solvers.rank_k import random_starts as _random_starts  # module-level: tests spy on it
from ._base import MULTI_START, CNNRegressor, warn_not_converged
from ._quadratic import QuadraticObjective
from ._trace import theta_to_weight

__all__ = ["RankKRegressor"]


class RankKRegressor(CNNRegressor):
    """Least squares of the rank-K CNN (Theorem 1 of 003): variable projection + Newton.

    Parameters
    ----------
    spec : CNNSpec
        Architecture; K = ``spec.n_kernels``.
    tol : float, default 1e-12
        Stop a start when its Newton decrement (the decrease one more Newton step predicts)
        is at most ``tol · f`` at a positive definite reduced Hessian
        (:mod:`tensorcnn.solvers.rank_k`).
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
            theta = least_squares(obj, exact=True)
        else:
            theta = self._multi_start(obj, K)
        A, B = _split_rank_k(theta, K)
        theta = B.T @ A
        self.theta_ = theta
        self.W_ = theta_to_weight(spec, theta)
        self.A_ = A.reshape(K, *spec.kernel_shape)
        self.B_ = B.reshape(K, *spec.pooled_shape)
        self.objective_ = obj.exact_value(theta)
        self.stationarity_ = stationarity(obj, A, B)      # scale-free

    def _rescale(self, ratio: float, beta: float) -> None:
        # the balanced factors stay balanced (‖Â_k‖ = ‖B̂_k‖): each side takes √ratio
        B = self.B_
        super()._rescale(ratio, beta)
        if ratio != 1.0:
            self.A_ = self.A_ * math.sqrt(ratio)
            self.B_ = B * math.sqrt(ratio)

    def _multi_start(self, obj: QuadraticObjective, K: int) -> np.ndarray:
        """Θ̂ (P × L) by :func:`~tensorcnn.solvers.rank_k.fit_multistart` from the starts of
        the class docstring; sets the start attributes and warns when not converged."""
        problem = ReducedProblem(obj, K)
        spectral = spectral_starts(problem, obj)
        n_random = self.n_init - len(spectral)
        random = _random_starts(self.rng, n_random, K, problem.p) if n_random > 0 else []
        fit = fit_multistart(problem, [*spectral, *random][: self.n_init], self.n_screen,
                             self.tol, self.max_iter)
        self.n_iter_, self.n_starts_ = fit.n_iter, fit.n_starts
        self.best_start_, self.converged_ = fit.best_start, fit.converged
        if not fit.converged:
            stopped = None if fit.capped else (
                "stopped where no trust-region step gains measurably")
            warn_not_converged(type(self).__name__, self.max_iter, fit.relative_decrement,
                               self.tol, stopped)
        return fit.theta
