r"""Tucker- and CP-constrained least squares for compressed CNNs (003 §3, Eq. 8, Theorem 2).

The fitted model is the reduced form of Corollary 1: a compressed CNN with K kernels equals
one with R kernels (R = R_{N+1} for Tucker, R for CP),

.. math::
    W = \sum_{r=1}^{R} \tilde B_r \otimes \tilde A_r, \qquad
    \tilde A_{\mathrm{stack}} = G \times_1 H^{(1)} \cdots \times_N H^{(N)}
    \ \text{(Tucker, } G \in R^{R_1\times\cdots\times R_N\times R}),
    \quad \tilde A_r = h_r^{(1)} \circ \cdots \circ h_r^{(N)} \ \text{(CP)}.

Every W of a Tucker (CP) CNN with K ≥ R kernels has this form and vice versa
(B̃ = H^(N+1)ᵀ B), so the least-squares W is the same and the reduced form has no
redundant K-mode factor to iterate over.

Solver: alternating least squares over the blocks B̃, H^(1), …, H^(N) (and G for Tucker),
each an ordinary least-squares problem on n rows because y_i = ⟨M_i, Θ⟩ is linear in
every block; the data are contracted with B̃ once per sweep (Y_i = B̃ M_i), so a sweep costs
O(n P L R). Tucker factors are kept orthonormal (QR, the triangular part moved into G);
CP columns are normalised (the scale moved into B̃). Initialisation: the rank-R truncated
SVD of the moment matrix (1/n) Σ y_i M_i, then a truncated HOSVD (Tucker) or the leading
singular vectors of each unfolding (CP); ALS has bad local minima here, so ``n_init`` starts
(that one and random ones) are screened for ``n_screen`` sweeps and the best is finished.
Stop when a sweep lowers the objective by less than ``tol`` relative to it, or at
``max_iter`` sweeps (``converged_ = False`` and a warning).

The design alone may not identify W (docs/interpretations.md: U_F^(j) is rank deficient in
T1–T4); the constrained least-squares estimate is what Theorem 2 is about, and the
simulation reports ‖Ŵ − W*‖_F together with the identified part ‖(Ŵ − W*) ×_j U_F^(j)‖_F.
"""

from __future__ import annotations

import copy
import math
import string
from collections.abc import Sequence

import numpy as np
import tensorly as tl
from tensorly.cp_tensor import CPTensor
from tensorly.tucker_tensor import TuckerTensor

from ..cnn import CNNSpec
from ..compressed import check_cp_rank, check_tucker_ranks, cp_n_params, tucker_n_params
from ..data._rng import as_generator
from ._base import CNNRegressorMixin, check_positive, warn_not_converged
from ._trace import theta_to_weight
from .lowrank import solve_psd

__all__ = ["CPRegressor", "TuckerRegressor"]


def _lstsq(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Least squares and its mean squared residual (min-norm when rank deficient).

    Through the normal equations: the blocks have few unknowns (q ≤ a few dozen) and many
    rows, and a q × q solve is what keeps one ALS sweep at O(n q²).
    """
    coef = solve_psd(design.T @ design, design.T @ y)
    residual = y - design @ coef
    return coef, float(residual @ residual / y.size)


class _StructuredRegressor(CNNRegressorMixin):
    """ALS on (B̃, factors[, core]); subclasses define the kernel structure."""

    def __init__(self, spec: CNNSpec, tol: float = 1e-8, max_iter: int = 500,
                 n_init: int = 4, n_screen: int = 5,
                 rng: np.random.Generator | int = 0) -> None:
        self.spec = spec
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.n_screen = n_screen
        self.rng = rng

    def _check_common(self) -> None:
        check_positive(self.tol, "tol", allow_zero=True)
        check_positive(self.max_iter, "max_iter", integer=True)
        check_positive(self.n_init, "n_init", integer=True)
        check_positive(self.n_screen, "n_screen", integer=True)
        self._check_spec()

    # -- the pieces shared by Tucker and CP -------------------------------------------
    def _fit_trace(self, M: np.ndarray, y: np.ndarray) -> None:
        spec = self.spec
        n, P = M.shape[:2]
        L = math.prod(spec.kernel_shape)
        R = self._n_components()
        # (n, L, P) layout: both contractions of a sweep are single (batched) matrix products
        M_lp = np.ascontiguousarray(M.reshape(n, P, L).transpose(0, 2, 1))
        # below ~1e-15 · mean(y²) the objective is rounding: a noiseless fit stops there
        floor = max(1e-15 * float(y @ y) / n, 1e-300)
        moment = M.reshape(n, P, L).T @ y / n        # (L, P)
        _, s, vt = np.linalg.svd(moment.T, full_matrices=False)
        kernels = np.zeros((R, L))
        kernels[: min(R, s.size)] = vt[:R]
        rng = as_generator(self.rng)
        starts = [kernels] + [rng.standard_normal((R, L)) for _ in range(self.n_init - 1)]
        # ALS has bad local minima here (seen in T1–T4: objective ~3σ² instead of ~σ²);
        # screen every start for a few sweeps and finish the best.
        best, n_iter = None, 0
        for start in starts:
            self._init_kernels(start.reshape(R, *spec.kernel_shape))
            f, done, converged, change = self._sweeps(M_lp, y, self.n_screen, np.inf, floor)
            n_iter += done
            if best is None or f < best[0]:
                best = (f, converged, change, self._state())
        f, converged, change, state = best
        self._restore(state)
        if not converged:
            f, done, converged, change = self._sweeps(M_lp, y, self.max_iter, f, floor)
            n_iter += done
        if not converged:
            warn_not_converged(type(self).__name__, self.max_iter, change, self.tol)
        stack = self._kernel_stack()
        B_tilde = self._B_tilde
        theta = B_tilde.T @ stack.reshape(L, R).T
        residual = y - M.reshape(n, -1) @ theta.ravel()
        self.theta_ = theta
        self.W_ = theta_to_weight(spec, theta)
        self.A_ = np.moveaxis(stack, -1, 0).copy()
        self.B_ = B_tilde.reshape(R, *spec.pooled_shape)
        self.objective_ = float(residual @ residual / n)
        self.n_iter_ = n_iter
        self.converged_ = converged

    def _sweeps(self, M_lp: np.ndarray, y: np.ndarray, n_sweeps: int, f_old: float,
                floor: float) -> tuple[float, int, bool, float]:
        """Up to n_sweeps ALS sweeps; returns (f, sweeps done, converged, last change)."""
        n, L, P = M_lp.shape
        R = self._n_components()
        change = np.inf
        for done in range(1, n_sweeps + 1):
            stack = self._kernel_stack().reshape(L, R)
            design = np.matmul(stack.T, M_lp).reshape(n, R * P)      # ⟨M_i, e_p Ã_rᵀ⟩
            B_tilde, _ = _lstsq(design, y)
            B_tilde = B_tilde.reshape(R, P)
            Y = (M_lp.reshape(n * L, P) @ B_tilde.T).reshape(n, *self.spec.kernel_shape, R)
            f_new = self._update_kernels(Y, y, B_tilde)
            change = (f_old - f_new) / max(f_new, floor) if np.isfinite(f_old) else np.inf
            f_old = f_new
            if change < self.tol:
                return f_new, done, True, change
        return f_old, n_sweeps, False, change

    def _state(self) -> dict:
        return {k: copy.deepcopy(v) for k, v in vars(self).items()
                if k in ("_factors", "_core", "_B_tilde")}

    def _restore(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, key, value)

    def _n_components(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError


class TuckerRegressor(_StructuredRegressor):
    """Least squares of the Tucker-compressed CNN (003 Eq. 8, Theorem 2) by ALS.

    Parameters
    ----------
    spec : CNNSpec
        Architecture; K = ``spec.n_kernels`` must be ≥ R_{N+1}.
    ranks : tuple of N + 1 ints
        (R_1, …, R_{N+1}), R_j ≤ l_j.
    tol : float, default 1e-8
    max_iter : int, default 500
    n_init : int, default 4
        Starts: the spectral one and n_init − 1 random ones (seeded by ``rng``); each runs
        ``n_screen`` sweeps and the best is run to convergence.
    n_screen : int, default 5
    rng : numpy.random.Generator or int, default 0

    Attributes
    ----------
    W_ : ndarray of shape (l_1 p_1, …, l_N p_N)
    A_ : ndarray of shape (R_{N+1}, l_1, …, l_N)
        The equivalent kernels Ã_r of Corollary 1.
    B_ : ndarray of shape (R_{N+1}, p_1, …, p_N)
        B̃_r.
    stacked_ : TuckerTensor
        Ã_stack = G ×_1 H^(1) ⋯ ×_N H^(N) (last mode r), orthonormal H^(j).
    objective_, n_iter_, converged_, theta_
    """

    def __init__(self, spec: CNNSpec, ranks: Sequence[int], tol: float = 1e-8,
                 max_iter: int = 500, n_init: int = 4, n_screen: int = 5,
                 rng: np.random.Generator | int = 0) -> None:
        super().__init__(spec, tol, max_iter, n_init, n_screen, rng)
        self.ranks = ranks

    def _model_params(self) -> int:
        self._check_common()
        spec = self.spec
        ranks = check_tucker_ranks(self.ranks, spec.kernel_shape, spec.n_kernels)
        return tucker_n_params(spec.kernel_shape, spec.pooled_shape, ranks)

    def _n_components(self) -> int:
        return int(self.ranks[-1])

    def _init_kernels(self, kernels: np.ndarray) -> None:
        ranks = tuple(self.ranks[:-1])
        stack = np.moveaxis(kernels, 0, -1)
        factors = []
        for j, rank in enumerate(ranks):
            u = np.linalg.svd(tl.unfold(stack, j), full_matrices=False)[0][:, :rank]
            if u.shape[1] < rank:  # fewer singular vectors than the rank: pad orthonormally
                u = np.linalg.qr(np.hstack([u, np.eye(u.shape[0])]))[0][:, :rank]
            factors.append(u)
        self._factors = factors
        self._core = tl.tenalg.multi_mode_dot(stack, factors, modes=list(range(len(ranks))),
                                              transpose=True)

    def _kernel_stack(self) -> np.ndarray:
        modes = list(range(len(self._factors)))
        return tl.tenalg.multi_mode_dot(self._core, self._factors, modes=modes)

    def _update_kernels(self, Y: np.ndarray, y: np.ndarray, B_tilde: np.ndarray) -> float:
        n_modes = len(self._factors)
        n = Y.shape[0]
        self._B_tilde = B_tilde
        f = np.inf
        for j in range(n_modes):
            others = [m for m in range(n_modes) if m != j]
            T = tl.tenalg.multi_mode_dot(Y, [self._factors[m] for m in others],
                                         modes=[m + 1 for m in others], transpose=True)
            T = np.moveaxis(T, j + 1, 1).reshape(n, T.shape[j + 1], -1)   # (n, l_j, rest)
            core_j = np.moveaxis(self._core, j, 0).reshape(self._core.shape[j], -1)
            design = (T @ core_j.T).reshape(n, -1)                          # (n, l_j R_j)
            coef, f = _lstsq(design, y)
            q, r = np.linalg.qr(coef.reshape(T.shape[1], core_j.shape[0]))
            self._factors[j] = q
            self._core = tl.tenalg.mode_dot(self._core, r, j)
        T = tl.tenalg.multi_mode_dot(Y, self._factors, modes=list(range(1, n_modes + 1)),
                                     transpose=True)
        coef, f = _lstsq(T.reshape(n, -1), y)
        self._core = coef.reshape(self._core.shape)
        return f

    def _fit_trace(self, M: np.ndarray, y: np.ndarray) -> None:
        super()._fit_trace(M, y)
        R = self._core.shape[-1]
        self.stacked_ = TuckerTensor((self._core.copy(),
                                      [f.copy() for f in self._factors] + [np.eye(R)]))


class CPRegressor(_StructuredRegressor):
    """Least squares of the CP-compressed CNN by ALS: R rank-one kernels (003 §3).

    Parameters
    ----------
    spec : CNNSpec
    rank : int
        R, the CP rank of the stacked kernel (= the number of equivalent rank-one kernels).
    tol : float, default 1e-8
    max_iter : int, default 500
    n_init, n_screen, rng
        Multi-start as in :class:`TuckerRegressor`.

    Attributes
    ----------
    W_, A_ (R, l_1, …, l_N), B_ (R, p_1, …, p_N), stacked_ (CPTensor of Ã_stack with unit
    weights), objective_, n_iter_, converged_, theta_
    """

    def __init__(self, spec: CNNSpec, rank: int, tol: float = 1e-8,
                 max_iter: int = 500, n_init: int = 4, n_screen: int = 5,
                 rng: np.random.Generator | int = 0) -> None:
        super().__init__(spec, tol, max_iter, n_init, n_screen, rng)
        self.rank = rank

    def _model_params(self) -> int:
        self._check_common()
        rank = check_cp_rank(self.rank)
        spec = self.spec
        # Free parameters of R rank-one kernels and B̃ (the paper's d_M^CP counts an R^{N+1}
        # core on top; for the sample-size check the real count is the relevant one).
        free = rank * (sum(spec.kernel_shape) + math.prod(spec.pooled_shape))
        cp_n_params(spec.kernel_shape, spec.pooled_shape, rank)  # validates the shapes
        return free

    def _n_components(self) -> int:
        return int(self.rank)

    def _init_kernels(self, kernels: np.ndarray) -> None:
        factors = []
        for j in range(kernels.ndim - 1):
            columns = []
            for r in range(kernels.shape[0]):
                u = np.linalg.svd(tl.unfold(kernels[r], j), full_matrices=False)[0][:, 0]
                columns.append(u)
            factors.append(np.stack(columns, axis=1))
        self._factors = factors

    def _kernel_stack(self) -> np.ndarray:
        R = self._factors[0].shape[1]
        return tl.cp_to_tensor(CPTensor((np.ones(R), [*self._factors, np.eye(R)])))

    def _update_kernels(self, Y: np.ndarray, y: np.ndarray, B_tilde: np.ndarray) -> float:
        n_modes = len(self._factors)
        n = Y.shape[0]
        letters = string.ascii_letters[: n_modes]
        f = np.inf
        Y = Y.copy()
        for j in range(n_modes):
            others = [m for m in range(n_modes) if m != j]
            subscripts = (f"z{letters}r," + ",".join(f"{letters[m]}r" for m in others)
                          + f"->z{letters[j]}r")
            T = np.einsum(subscripts, Y, *[self._factors[m] for m in others], optimize=True)
            coef, f = _lstsq(T.reshape(n, -1), y)
            factor = coef.reshape(T.shape[1], T.shape[2])
            norms = np.linalg.norm(factor, axis=0)
            norms[norms == 0] = 1.0
            self._factors[j] = factor / norms
            # the scale of component r moves into B̃_r (and into Y, which is linear in B̃)
            B_tilde = B_tilde * norms[:, None]
            Y *= norms
        self._B_tilde = B_tilde
        return f

    def _fit_trace(self, M: np.ndarray, y: np.ndarray) -> None:
        super()._fit_trace(M, y)
        self.stacked_ = CPTensor((np.ones(self.rank),
                                  [f.copy() for f in self._factors] + [np.eye(self.rank)]))
