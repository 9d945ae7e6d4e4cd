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
from sklearn.utils._param_validation import StrOptions
from tensorly.cp_tensor import CPTensor
from tensorly.tucker_tensor import TuckerTensor

from .._validation import as_generator
from ..cnn import CNNSpec
from ..compressed import (
    check_cp_rank,
    check_tucker_ranks,
    cp_n_free_params,
    tucker_n_params,
)
from ..tenalg import mode_products
from ._base import MULTI_START, POSITIVE_INT, CNNRegressor, warn_not_converged
from ._trace import theta_to_weight
from .lowrank import _solve_psd

__all__ = ["CPRegressor", "TuckerRegressor"]


def _lstsq(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Least squares and its mean squared residual (min-norm when rank deficient).

    Through the normal equations: the blocks have few unknowns (q ≤ a few dozen) and many
    rows, and a q × q solve is what keeps one ALS sweep at O(n q²).
    """
    coef = _solve_psd(design.T @ design, design.T @ y)
    residual = y - design @ coef
    return coef, float(residual @ residual / y.size)


class _StructuredRegressor(CNNRegressor):
    """ALS on (B̃, factors[, core]); subclasses define the kernel structure."""

    _parameter_constraints: dict = {
        **CNNRegressor._parameter_constraints,
        **MULTI_START,
        "warm_start": ["boolean"],
        "finish": [StrOptions({"lm", "als"})],
    }

    def __init__(self, spec: CNNSpec, tol: float = 1e-8, max_iter: int = 500,
                 n_init: int = 4, n_screen: int = 5,
                 rng: np.random.Generator | int = 0, warm_start: bool = False,
                 finish: str = "lm") -> None:
        self.spec = spec
        self.warm_start = warm_start
        self.finish = finish
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.n_screen = n_screen
        self.rng = rng

    # -- the pieces shared by Tucker and CP -------------------------------------------
    def _fit_trace(self, M: np.ndarray, y: np.ndarray) -> None:
        spec = self.spec
        n, P = M.shape[:2]
        L = math.prod(spec.kernel_shape)
        R = self._n_components()
        # (n·P, L) rows: both contractions of a sweep are matrix products on M as it is (a
        # transposed copy of M would cost more than a sweep)
        M_rows = M.reshape(n * P, L)
        # below ~1e-15 · mean(y²) the objective is rounding: a noiseless fit stops there
        floor = max(1e-15 * float(y @ y) / n, 1e-300)
        starts = self._starts(M, y)
        # ALS has bad local minima here (seen in T1–T4: objective ~3σ² instead of ~σ²);
        # screen every start for a few sweeps and finish the best.
        best, n_iter = None, 0
        for start in starts:
            self._init_kernels(start.reshape(R, *spec.kernel_shape))
            if len(starts) == 1:        # nothing to screen: B̃ for this start, then finish
                f = self._optimal_b_tilde(M_rows, y)[2]
                best = (f, False, np.inf, None)
                break
            f, done, converged, change = self._sweeps(M_rows, y, self.n_screen, np.inf, floor)
            n_iter += done
            if best is None or f < best[0]:
                best = (f, converged, change, self._state())
        f, converged, change, state = best
        if state is not None:
            self._restore(state)
        if not converged:
            finish = self._levenberg_marquardt if self.finish == "lm" else self._sweeps
            f, done, converged, change = finish(M_rows, y, self.max_iter, f, floor)
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

    def _starts(self, M: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """Initial kernel stacks (R, L): [previous fit if warm_start,] spectral, random."""
        n, P = M.shape[:2]
        R = self._n_components()
        L = M[0, 0].size
        warm = (self.warm_start and hasattr(self, "A_")
                and self.A_.shape == (R, *self.spec.kernel_shape))
        starts = [self.A_.reshape(R, L)] if warm else []
        if len(starts) < self.n_init:
            moment = (y @ M.reshape(n, P * L)).reshape(P, L) / n
            _, s, vt = np.linalg.svd(moment, full_matrices=False)
            kernels = np.zeros((R, L))
            kernels[: min(R, s.size)] = vt[:R]
            starts.append(kernels)
        rng = as_generator(self.rng, "rng", allow_none=False)
        starts += [rng.standard_normal((R, L)) for _ in range(self.n_init - len(starts))]
        return starts

    def _sweeps(self, M_rows: np.ndarray, y: np.ndarray, n_sweeps: int, f_old: float,
                floor: float) -> tuple[float, int, bool, float]:
        """Up to n_sweeps ALS sweeps; returns (f, sweeps done, converged, last change).

        ``M_rows`` is M of shape (n·P, L): row (i, p) holds M_i[p, :].
        """
        n = y.shape[0]
        L = M_rows.shape[1]
        P = M_rows.shape[0] // n
        R = self._n_components()
        change = np.inf
        for done in range(1, n_sweeps + 1):
            self._optimal_b_tilde(M_rows, y)                      # design ⟨M_i, e_p Ã_rᵀ⟩
            B_tilde = self._B_tilde
            Y = np.matmul(B_tilde, M_rows.reshape(n, P, L))       # (n, R, L): Σ_p B̃_rp M_i[p]
            Y = (Y.reshape(n, L, 1) if R == 1 else Y.transpose(0, 2, 1)).reshape(
                n, *self.spec.kernel_shape, R)
            f_new = self._update_kernels(Y, y, B_tilde)
            change = (f_old - f_new) / max(f_new, floor) if np.isfinite(f_old) else np.inf
            f_old = f_new
            if change < self.tol:
                return f_new, done, True, change
        return f_old, n_sweeps, False, change

    def _levenberg_marquardt(self, M_rows: np.ndarray, y: np.ndarray, n_steps: int,
                             f_old: float, floor: float) -> tuple[float, int, bool, float]:
        """Up to n_steps Levenberg–Marquardt steps on all blocks at once.

        ŷ_i is linear in every block, so the Jacobian's columns are the blocks' ALS designs
        at the current point: [⟨M_i, e_p Ã_rᵀ⟩ | kernel blocks' designs]. Variable
        projection: B̃ is always the least-squares B̃ of the current kernels, the step
        δ = (JᵀJ + λ diag JᵀJ)⁻¹ Jᵀ r moves the kernel blocks only (Kaufman's VarPro step: its
        kernel part is the Gauss–Newton step with B̃ eliminated), and B̃ is re-solved after
        it; accepted when it lowers f (then λ ↓), else λ ↑. Re-solving B̃ removes the
        bilinear B̃–kernel coupling that made plain LM crawl (its steps reached ~1 % of the
        predicted decrease) and that makes ALS zig-zag. Stop when an accepted step lowers f
        by less than ``tol`` relative to it, or when no damping gives a decrease (a
        stationary point). Same returns as :meth:`_sweeps`.
        """
        n = y.shape[0]
        L = M_rows.shape[1]
        P = M_rows.shape[0] // n
        R = self._n_components()
        design_b, residual, f = self._optimal_b_tilde(M_rows, y)
        damping, growth, change = 1e-4, 2.0, np.inf
        for step in range(1, n_steps + 1):
            Y = np.matmul(self._B_tilde, M_rows.reshape(n, P, L))
            Y = (Y.reshape(n, L, 1) if R == 1 else Y.transpose(0, 2, 1)).reshape(
                n, *self.spec.kernel_shape, R)
            jacobian = np.hstack([design_b, *self._kernel_designs(Y)])
            normal = jacobian.T @ jacobian
            gradient = jacobian.T @ residual
            scale = np.maximum(np.diag(normal), 1e-12 * max(np.diag(normal).max(), 1e-300))
            state = self._state()
            while True:
                delta = _solve_psd(normal + damping * np.diag(scale), gradient)
                self._B_tilde = state["_B_tilde"].copy()
                self._apply_kernel_step(delta[P * R:], state)
                new_design, new_residual, f_new = self._optimal_b_tilde(M_rows, y)
                predicted = float(delta @ (2.0 * gradient - normal @ delta))
                if f_new <= f and predicted > 0:
                    # Nielsen's rule: a step that realises little of its predicted decrease
                    # (a direction where the model is far from linear) is kept but the next
                    # one is damped more; plain "decrease → less damping" crawled there
                    ratio = n * (f - f_new) / predicted
                    damping = max(damping * max(1.0 / 3.0, 1.0 - (2.0 * ratio - 1.0) ** 3),
                                  1e-12)
                    growth = 2.0
                    break
                damping *= growth
                growth *= 2.0
                if damping > 1e8:                    # no descent direction left: stationary
                    self._restore(state)
                    return f, step, True, 0.0
            change = (f - f_new) / max(f_new, floor)
            f, design_b, residual = f_new, new_design, new_residual
            if change < self.tol:
                return f, step, True, change
        return f, n_steps, False, change

    def _optimal_b_tilde(self, M_rows: np.ndarray, y: np.ndarray):
        """B̃ by least squares for the current kernels; returns (design, residual, f)."""
        n = y.shape[0]
        P = M_rows.shape[0] // n
        R = self._n_components()
        design = (M_rows @ self._kernel_stack().reshape(-1, R)).reshape(n, P * R)
        coef, _ = _lstsq(design, y)
        self._B_tilde = np.ascontiguousarray(coef.reshape(P, R).T)
        residual = y - design @ coef
        return design, residual, float(residual @ residual) / n

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
                 rng: np.random.Generator | int = 0, warm_start: bool = False,
                 finish: str = "lm") -> None:
        super().__init__(spec, tol, max_iter, n_init, n_screen, rng, warm_start, finish)
        self.ranks = ranks

    _parameter_constraints: dict = {
        **_StructuredRegressor._parameter_constraints, "ranks": ["array-like"]}

    def _model_params(self) -> int:
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
            if rank == stack.shape[j]:
                # a full-rank mode is no constraint: its orthogonal factor is absorbed into the
                # core and never updated (one block fewer per sweep)
                factors.append(np.eye(rank))
                continue
            u = np.linalg.svd(tl.unfold(stack, j), full_matrices=False)[0][:, :rank]
            if u.shape[1] < rank:  # fewer singular vectors than the rank: pad orthonormally
                u = np.linalg.qr(np.hstack([u, np.eye(u.shape[0])]))[0][:, :rank]
            factors.append(u)
        self._factors = factors
        self._core = mode_products(stack, self._projections(), n_lead=0)

    def _projections(self, skip: Sequence[int] = ()) -> list[np.ndarray | None]:
        """H^(m)ᵀ for every compressed mode m not in skip (None: mode left as is), R last."""
        ranks = self.ranks[:-1]
        return [None if m in skip or ranks[m] == factor.shape[0] else factor.T
                for m, factor in enumerate(self._factors)] + [None]

    def _kernel_stack(self) -> np.ndarray:
        lift = [None if f.shape[0] == f.shape[1] else f for f in self._factors] + [None]
        return mode_products(self._core, lift, n_lead=0)

    def _update_kernels(self, Y: np.ndarray, y: np.ndarray, B_tilde: np.ndarray) -> float:
        ranks = self.ranks[:-1]
        n = Y.shape[0]
        self._B_tilde = B_tilde
        f = np.inf
        for j, rank in enumerate(ranks):
            if rank == self._factors[j].shape[0]:
                continue
            # ⟨Y_i, G ×_j H^(j) ×_{m≠j} H^(m)⟩ is linear in H^(j)
            coef, f = _lstsq(self._mode_design(Y, j), y)
            q, r = np.linalg.qr(coef.reshape(self._factors[j].shape))
            self._factors[j] = q
            self._core = tl.tenalg.mode_dot(self._core, r, j)
        T = mode_products(Y, self._projections())
        coef, f = _lstsq(T.reshape(n, -1), y)
        self._core = coef.reshape(self._core.shape)
        return f

    def _mode_design(self, Y: np.ndarray, j: int, projected: Sequence[int] = ()) -> np.ndarray:
        """Design (n, l_j R_j) of H^(j): Y projected on the other factors, then on the core.

        ``projected``: modes of Y already projected on their factors.
        """
        n = Y.shape[0]
        T = mode_products(Y, self._projections(skip=(j, *projected)))
        T = np.moveaxis(T, j + 1, 1).reshape(n, T.shape[j + 1], -1)       # (n, l_j, rest)
        core_j = np.moveaxis(self._core, j, 0).reshape(self._core.shape[j], -1)
        return (T @ core_j.T).reshape(n, -1)

    def _kernel_designs(self, Y: np.ndarray) -> list[np.ndarray]:
        free = [j for j, rank in enumerate(self.ranks[:-1]) if rank < self._factors[j].shape[0]]
        if not free:
            return [Y.reshape(Y.shape[0], -1)]
        # every design but mode a's starts from Y projected on mode a (the most shrinking):
        # two passes over Y instead of one per block
        a = min(free, key=lambda j: self.ranks[j] / self._factors[j].shape[0])
        Y_a = mode_products(Y, [self._factors[a].T if m == a else None
                                for m in range(len(self._factors))] + [None])
        designs = [self._mode_design(Y, j) if j == a else self._mode_design(Y_a, j, (a,))
                   for j in free]
        core = mode_products(Y_a, self._projections(skip=(a,)))
        return designs + [core.reshape(Y.shape[0], -1)]

    def _apply_kernel_step(self, delta: np.ndarray, state: dict) -> None:
        factors = [f.copy() for f in state["_factors"]]
        start = 0
        updates = []
        for j, factor in enumerate(factors):
            if self.ranks[j] < factor.shape[0]:
                updates.append((j, factor + delta[start:start + factor.size].reshape(factor.shape)))
                start += factor.size
        core = state["_core"] + delta[start:].reshape(state["_core"].shape)
        for j, factor in updates:       # back to orthonormal factors, the same Tucker tensor
            q, r = np.linalg.qr(factor)
            factors[j] = q
            core = tl.tenalg.mode_dot(core, r, j)
        self._factors, self._core = factors, core

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
                 rng: np.random.Generator | int = 0, warm_start: bool = False,
                 finish: str = "lm") -> None:
        super().__init__(spec, tol, max_iter, n_init, n_screen, rng, warm_start, finish)
        self.rank = rank

    _parameter_constraints: dict = {
        **_StructuredRegressor._parameter_constraints, "rank": POSITIVE_INT}

    def _model_params(self) -> int:
        # The real count, not the paper's d_M^CP with its R^{N+1} core: the sample-size
        # check is about the parameters the fit has.
        return cp_n_free_params(self.spec.kernel_shape, self.spec.pooled_shape,
                                check_cp_rank(self.rank))

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

    def _mode_design(self, Y: np.ndarray, j: int) -> np.ndarray:
        """Design (n, l_j R) of h^(j): Y contracted with the other modes' columns."""
        n_modes = len(self._factors)
        letters = string.ascii_letters[: n_modes]
        others = [m for m in range(n_modes) if m != j]
        # (for N = 1 there are no other modes: the design is Y itself)
        subscripts = (",".join([f"z{letters}r", *(f"{letters[m]}r" for m in others)])
                      + f"->z{letters[j]}r")
        T = np.einsum(subscripts, Y, *[self._factors[m] for m in others], optimize=True)
        return T.reshape(Y.shape[0], -1)

    def _kernel_designs(self, Y: np.ndarray) -> list[np.ndarray]:
        return [self._mode_design(Y, j) for j in range(len(self._factors))]

    def _apply_kernel_step(self, delta: np.ndarray, state: dict) -> None:
        factors, start = [], 0
        for factor in state["_factors"]:
            new = factor + delta[start:start + factor.size].reshape(factor.shape)
            start += factor.size
            norms = np.linalg.norm(new, axis=0)
            norms[norms == 0] = 1.0
            factors.append(new / norms)
            self._B_tilde = self._B_tilde * norms[:, None]    # unit columns, scale into B̃
        self._factors = factors

    def _update_kernels(self, Y: np.ndarray, y: np.ndarray, B_tilde: np.ndarray) -> float:
        n_modes = len(self._factors)
        f = np.inf
        Y = Y.copy()
        for j in range(n_modes):
            coef, f = _lstsq(self._mode_design(Y, j), y)
            factor = coef.reshape(self._factors[j].shape)
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
