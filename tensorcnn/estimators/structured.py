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

Solver (:mod:`tensorcnn.solvers.structured`; these estimators are its batch of one):
alternating least squares over the blocks B̃, H^(1), …, H^(N) (and G for Tucker),
each an ordinary least-squares problem on n rows because y_i = ⟨M_i, Θ⟩ is linear in
every block; the data are contracted with B̃ once per sweep (Y_i = B̃ M_i), so a sweep costs
O(n P L R). Tucker factors are kept orthonormal (QR, the triangular part moved into G);
CP columns are normalised (the scale moved into B̃). Initialisation: the rank-R truncated
SVD of the moment matrix (1/n) Σ y_i M_i, then a truncated HOSVD (Tucker) or the leading
singular vectors of each unfolding (CP); ALS has bad local minima here, so ``n_init`` starts
(that one and random ones) are screened for ``n_screen`` sweeps and the best is finished.
The finish is a variable-projection Levenberg–Marquardt (``finish="lm"``) or more ALS
sweeps (``"als"``). Stop when an iteration lowers the objective by less than ``tol``
relative to it, or at ``max_iter`` (``converged_ = False`` and a warning).

The design alone may not identify W (docs/interpretations.md: U_F^(j) is rank deficient in
T1–T4); the constrained least-squares estimate is what Theorem 2 is about, and the
simulation reports ‖Ŵ − W*‖_F together with the identified part ‖(Ŵ − W*) ×_j U_F^(j)‖_F.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.utils._param_validation import StrOptions
from tensorly.cp_tensor import CPTensor
from tensorly.tucker_tensor import TuckerTensor

from .._backend import to_numpy
from .._validation import as_generator
from ..cnn import CNNSpec
from ..compressed import (
    check_cp_rank,
    check_tucker_ranks,
    cp_n_free_params,
    tucker_n_params,
)
from ..solvers.structured import (
    CPStructure,
    StructuredFit,
    StructuredState,
    TuckerStructure,
    fit_multistart,
)
from ._base import MULTI_START, POSITIVE_INT, CNNRegressor, warn_not_converged
from ._trace import theta_to_weight

__all__ = ["CPRegressor", "TuckerRegressor"]


class _StructuredRegressor(CNNRegressor):
    """Multi-start ALS / VarPro-LM (:mod:`tensorcnn.solvers.structured`); subclasses name
    the kernel structure."""

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

    def _fit_trace(self, M: np.ndarray, y: np.ndarray) -> None:
        n, P = M.shape[:2]
        starts = np.stack(self._starts(M, y))
        fit, _ = fit_multistart(self._structure(), M.reshape(1, n, P, -1), y[None],
                                starts[None], self.n_screen, self.max_iter, self.tol,
                                self.finish, check_data=False)    # M checked by the fit
        self._store_fit(M, y, fit, 0)

    def _store_fit(self, M: np.ndarray, y: np.ndarray, fit: StructuredFit,
                   member: int) -> None:
        """The fitted attributes from member ``member`` of a solver's batch ``fit`` (numpy
        or torch), fitted on M (n, P, l_1, …, l_N) and y (n,) in the solver's units."""
        spec = self.spec
        converged = bool(fit.converged[member])
        if not converged:
            warn_not_converged(type(self).__name__, self.max_iter,
                               float(fit.change[member]), self.tol)
        state = _numpy_member(fit.state, member)
        stack = self._structure().stack(state)[0]                          # (L, R)
        B_tilde = state.b_tilde[0]                                         # (R, P)
        theta = B_tilde.T @ stack.T
        self.theta_ = theta
        self.W_ = theta_to_weight(spec, theta)
        self.A_ = np.moveaxis(stack.reshape(*spec.kernel_shape, -1), -1, 0).copy()
        self.B_ = B_tilde.reshape(-1, *spec.pooled_shape)
        # the solver's f is (1/n)‖y − ŷ‖² of this very state (its last least-squares
        # solve): no further pass over M to recompute it
        self.objective_ = float(fit.f[member])
        self.n_iter_ = int(fit.n_iter[member])
        self.converged_ = converged
        self._store_state(state)

    def _store_state(self, state: StructuredState) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _starts(self, M: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """Initial kernel stacks (R, L): [previous fit if warm_start,] spectral, random."""
        n, P = M.shape[:2]
        R = self._n_components()
        L = M[0, 0].size
        warm = (self.warm_start and hasattr(self, "A_")
                and self.A_.shape == (R, *self.spec.kernel_shape))
        starts = [self.A_.reshape(R, L)] if warm else []
        if len(starts) < self.n_init:
            # per pooled position p: no copy of M, n-major or P-major
            moment = (y @ np.moveaxis(M.reshape(n, P, L), 1, 0)) / n
            _, s, vt = np.linalg.svd(moment, full_matrices=False)
            kernels = np.zeros((R, L))
            kernels[: min(R, s.size)] = vt[:R]
            starts.append(kernels)
        rng = as_generator(self.rng, "rng", allow_none=False)
        starts += [rng.standard_normal((R, L)) for _ in range(self.n_init - len(starts))]
        return starts

    def _n_components(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _structure(self):  # pragma: no cover - abstract
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

    def _structure(self) -> TuckerStructure:
        return TuckerStructure(self.spec.kernel_shape, self.ranks)

    def _store_state(self, state: StructuredState) -> None:
        core = state.core[0].copy()
        factors = [np.eye(size) if factor is None else factor[0].copy()
                   for size, factor in zip(self.spec.kernel_shape, state.factors)]
        self.stacked_ = TuckerTensor((core, factors + [np.eye(core.shape[-1])]))


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

    def _structure(self) -> CPStructure:
        return CPStructure(self.spec.kernel_shape, self.rank)

    def _store_state(self, state: StructuredState) -> None:
        self.stacked_ = CPTensor((np.ones(self.rank), [factor[0].copy() for factor in
                                                       state.factors] + [np.eye(self.rank)]))


def _numpy_member(state: StructuredState, member: int) -> StructuredState:
    """Member ``member`` of a batch state as a numpy batch of one."""
    def pick(array):
        return None if array is None else to_numpy(array[member:member + 1])

    return StructuredState(tuple(pick(a) for a in state.factors), pick(state.core),
                           pick(state.b_tilde))
