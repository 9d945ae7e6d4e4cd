r"""Tucker- and CP-constrained least squares on trace-regression data, batched (003 Eq. 8).

The model is the reduced form of Corollary 1 (:mod:`tensorcnn.estimators.structured`):
y_i = ⟨M_i, B̃ᵀ Ã⟩ with M_i of shape (P, L), B̃ (R, P) and the kernel stack Ã (L, R)
either G ×_1 H^(1) ⋯ ×_N H^(N) (Tucker, orthonormal H^(j)) or [[h^(1), …, h^(N)]] (CP,
unit columns). ŷ is linear in every block (B̃, each H^(j), G), which the two solvers use:

* :func:`als_sweeps` — alternating least squares, one block at a time; the data are
  contracted with B̃ once per sweep (Y_i = B̃ M_i, shape (L, R)), so a sweep costs
  O(n P L R) plus O(n L) per kernel block.
* :func:`levenberg_marquardt` — variable projection: B̃ is always the least-squares B̃ of the
  current kernels; the step δ = (JᵀJ + λ diag JᵀJ)⁻¹ Jᵀ r moves the kernel blocks only
  (Kaufman's VarPro step), B̃ is re-solved after it, the step is accepted when f does not
  rise (Nielsen's damping rule), and a start stops when an accepted step lowers f by less
  than ``tol`` relative, or when no damping up to 1e8 gives a decrease (stationary).

**Batches.** Every array carries a leading member axis B (starts of one fit, or
replications at one n): each member has its own iterate, damping and convergence flag, and
a member that has converged is frozen while the others go on, so a member's numbers do not
depend on what else is in its batch (tests). The data M (B or 1, n, P, L) may be shared:
with one M for B starts (a multi-start screen), each pass over M serves all of them (one
matrix product with B·R columns instead of B products with R).

**Backends.** Only array-API calls (:mod:`array_api_compat`): the same code runs on numpy
arrays and torch tensors (CPU or CUDA); float64 results agree to rounding (tests).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from array_api_compat import device as _device

from .._validation import check_bool, check_instance, check_int, check_nonnegative
from ._batch import lstsq, mode_dot, namespace, psd_solve, select

# als_sweeps, levenberg_marquardt and optimal_b_tilde are fit_multistart's building blocks:
# importable (tests, studies), but array-level and unchecked, so not the public surface
__all__ = ["CPStructure", "StructuredFit", "StructuredState", "TuckerStructure",
           "fit_multistart"]

#: Damping above which no descent direction is left: the start is stationary.
_MAX_DAMPING = 1e8
#: λ of a start's first Levenberg–Marquardt step (relative to diag JᵀJ).
_INITIAL_DAMPING = 1e-4


def _check_shape(value: Any, name: str) -> tuple[int, ...]:
    """A non-empty sequence of positive ints, as a tuple."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a non-empty sequence of positive ints, got "
                        f"{value!r}")
    if len(value) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of positive ints, got "
                         f"{value!r}")
    return tuple(check_int(v, f"{name} entries") for v in value)


def _check_problem(structure: Any, M: Any, y: Any, starts: Any, check_data: bool) -> None:
    """fit_multistart's inputs: one structure, arrays of matching shapes on one backend."""
    check_instance(structure, (TuckerStructure, CPStructure), "structure",
                   "a TuckerStructure or CPStructure")
    for value, name in ((M, "M"), (y, "y"), (starts, "starts")):
        try:
            xp = namespace(value)
        except TypeError:
            raise TypeError(f"{name} must be a numpy array or torch tensor, got "
                            f"{type(value).__name__}") from None
        if not xp.isdtype(value.dtype, "real floating"):
            raise TypeError(f"{name} must be a real floating array, got dtype {value.dtype}")
    L = math.prod(structure.kernel_shape)
    if M.ndim != 4 or M.shape[3] != L or M.shape[1] == 0:
        raise ValueError(f"M must have shape (G, n, P, L) with n >= 1 and L = {L} (the "
                         f"kernel's entries), got {tuple(M.shape)}")
    G, n = M.shape[:2]
    if tuple(y.shape) != (G, n):
        raise ValueError(f"y must have shape (G, n) = ({G}, {n}), got {tuple(y.shape)}")
    R = structure.n_components
    if starts.ndim != 4 or (starts.shape[0], starts.shape[2], starts.shape[3]) != (G, R, L) \
            or starts.shape[1] == 0:
        raise ValueError(f"starts must have shape (G, S, R, L) = ({G}, S >= 1, {R}, {L}), "
                         f"got {tuple(starts.shape)}")
    arrays = ((M, "M"), (y, "y"), (starts, "starts")) if check_data else (
        (y, "y"), (starts, "starts"))
    for value, name in arrays:
        if not bool(namespace(value).all(namespace(value).isfinite(value))):
            raise ValueError(f"{name} must hold finite values only (NaN or inf found)")


@dataclass(frozen=True)
class StructuredState:
    """The iterate of every member of a batch.

    Attributes
    ----------
    factors : tuple of N arrays or None
        Tucker: H^(j) of shape (B, l_j, R_j), None for a mode of full rank (R_j = l_j: no
        constraint, its orthogonal factor absorbed into the core). CP: h^(j), (B, l_j, R).
    core : array of shape (B, R_1, …, R_N, R) or None
        Tucker's G (R_j = l_j on the full modes); None for CP.
    b_tilde : array of shape (B, R, P) or None
        B̃; None before the first :func:`optimal_b_tilde`.
    """

    factors: tuple[Any, ...]
    core: Any
    b_tilde: Any = None


class TuckerStructure:
    """Ã = G ×_1 H^(1) ⋯ ×_N H^(N): the kernel structure of a Tucker CNN (reduced form).

    Parameters
    ----------
    kernel_shape : sequence of N ints
        (l_1, …, l_N).
    ranks : sequence of N + 1 ints
        (R_1, …, R_N, R), R_j ≤ l_j; R = R_{N+1} components.
    """

    def __init__(self, kernel_shape: Sequence[int], ranks: Sequence[int]) -> None:
        self.kernel_shape = _check_shape(kernel_shape, "kernel_shape")
        ranks = _check_shape(ranks, "ranks")
        if len(ranks) != len(self.kernel_shape) + 1 or any(
                r > l for r, l in zip(ranks, self.kernel_shape)):
            raise ValueError(f"ranks must be N + 1 = {len(self.kernel_shape) + 1} positive "
                             f"ints with R_j <= l_j for kernel_shape {self.kernel_shape}, "
                             f"got {ranks}")
        self.ranks = ranks[:-1]
        self.n_components = ranks[-1]
        self.free = tuple(j for j, (r, l) in enumerate(zip(self.ranks, self.kernel_shape))
                          if r < l)

    def init(self, kernels: Any) -> StructuredState:
        """The truncated HOSVD of each member's kernels (B, R, L), B̃ left unset."""
        xp = namespace(kernels)
        B = kernels.shape[0]
        stack = xp.moveaxis(xp.reshape(kernels, (B, self.n_components, *self.kernel_shape)),
                            1, -1)
        factors: list[Any] = [None] * len(self.kernel_shape)
        for j in self.free:
            unfolded = xp.reshape(xp.moveaxis(stack, 1 + j, 1), (B, self.kernel_shape[j], -1))
            u = xp.linalg.svd(unfolded, full_matrices=False)[0][..., : self.ranks[j]]
            if u.shape[-1] < self.ranks[j]:     # fewer singular vectors than the rank
                eye = xp.broadcast_to(xp.eye(u.shape[1], dtype=u.dtype, device=_device(u)),
                                      (B, u.shape[1], u.shape[1]))
                u = xp.linalg.qr(xp.concat([u, eye], axis=-1))[0][..., : self.ranks[j]]
            factors[j] = u
        core = stack
        for j in self.free:
            core = mode_dot(core, factors[j].mT, 1 + j)
        return StructuredState(tuple(factors), core)

    def n_kernel_params(self) -> int:
        """Unknowns of the kernel blocks (the factors of the free modes and the core)."""
        return (sum(self.kernel_shape[j] * self.ranks[j] for j in self.free)
                + math.prod(self.ranks) * self.n_components)

    def stack(self, state: StructuredState) -> Any:
        """Ã (B, L, R)."""
        xp = namespace(state.core)
        out = state.core
        for j in self.free:
            out = mode_dot(out, state.factors[j], 1 + j)
        return xp.reshape(out, (out.shape[0], -1, self.n_components))

    def _project(self, Y: Any, state: StructuredState, skip: Sequence[int] = ()) -> Any:
        """Y (B, n, l_1, …, l_N, R) ×_m H^(m)ᵀ on every free mode m not in ``skip``, the
        most shrinking first."""
        modes = sorted((m for m in self.free if m not in skip),
                       key=lambda m: self.ranks[m] / self.kernel_shape[m])
        for m in modes:
            Y = mode_dot(Y, state.factors[m].mT, 2 + m)
        return Y

    def _mode_design(self, projected: Any, core: Any, j: int) -> Any:
        """Design (B, n, l_j R_j) of H^(j): ``projected`` (Y with mode j of size l_j, every
        other mode m projected on H^(m) or not) contracted with ``core`` (G with the same
        modes m expanded by H^(m)) over every mode but j."""
        xp = namespace(projected)
        B, n = projected.shape[:2]
        T = xp.reshape(xp.moveaxis(projected, 2 + j, 2), (B, n * self.kernel_shape[j], -1))
        core_j = xp.reshape(xp.moveaxis(core, 1 + j, 1), (B, self.ranks[j], -1))
        return xp.reshape(T @ core_j.mT, (B, n, -1))

    def _expanded_core(self, state: StructuredState, modes: Sequence[int]) -> Any:
        """G ×_m H^(m) for m in ``modes`` (B, …): small, unlike Y."""
        core = state.core
        for m in modes:
            core = mode_dot(core, state.factors[m], 1 + m)
        return core

    def update_kernels(self, state: StructuredState, Y: Any, y: Any
                       ) -> tuple[StructuredState, Any]:
        """One ALS pass over the kernel blocks (each H^(j), then G) for the contracted data
        Y (B, n, l_1, …, l_N, R); returns the state and f after the core's solve (B,)."""
        xp = namespace(Y)
        factors, core = list(state.factors), state.core
        B = Y.shape[0]
        for j in self.free:
            current = replace(state, factors=tuple(factors), core=core)
            design = self._mode_design(self._project(Y, current, skip=(j,)), core, j)
            coef = lstsq(design, y)[0]
            q, r = xp.linalg.qr(xp.reshape(coef, (B, self.kernel_shape[j], self.ranks[j])))
            factors[j] = q
            core = mode_dot(core, r, 1 + j)
        current = replace(state, factors=tuple(factors), core=core)
        T = self._project(Y, current)
        coef, _, f = lstsq(xp.reshape(T, (B, Y.shape[1], -1)), y)
        return replace(current, core=xp.reshape(coef, core.shape)), f

    def designs(self, state: StructuredState, Y: Any) -> list[Any]:
        """The kernel blocks' designs (Jacobian columns of ŷ): [H^(j) for free j…, G]."""
        xp = namespace(Y)
        B, n = Y.shape[:2]
        if not self.free:
            return [xp.reshape(Y, (B, n, -1))]
        # Y is read twice: once projected on mode a (the most shrinking), once for mode a's
        # own design, contracted with the core expanded on every other mode (no projection
        # of Y, so no copy of it); the other designs contract Y_a with the core expanded on
        # the modes left
        a = min(self.free, key=lambda j: self.ranks[j] / self.kernel_shape[j])
        Y_a = mode_dot(Y, state.factors[a].mT, 2 + a)
        out = []
        for j in self.free:
            if j == a:
                core = self._expanded_core(state, [m for m in self.free if m != j])
                out.append(self._mode_design(Y, core, j))
            else:
                core = self._expanded_core(state, [m for m in self.free if m not in (j, a)])
                out.append(self._mode_design(Y_a, core, j))
        out.append(xp.reshape(self._project(Y_a, state, skip=(a,)), (B, n, -1)))
        return out

    def apply_step(self, state: StructuredState, delta: Any) -> StructuredState:
        """The kernel blocks moved by δ (B, q), back to orthonormal factors (same tensor)."""
        xp = namespace(delta)
        B = delta.shape[0]
        factors, start, moved = list(state.factors), 0, []
        for j in self.free:
            size = self.kernel_shape[j] * self.ranks[j]
            step = xp.reshape(delta[:, start:start + size], (B, self.kernel_shape[j],
                                                               self.ranks[j]))
            moved.append((j, factors[j] + step))
            start += size
        core = state.core + xp.reshape(delta[:, start:], state.core.shape)
        for j, factor in moved:
            q, r = xp.linalg.qr(factor)
            factors[j] = q
            core = mode_dot(core, r, 1 + j)
        return replace(state, factors=tuple(factors), core=core)


class CPStructure:
    """Ã_r = h_r^(1) ∘ ⋯ ∘ h_r^(N): R rank-one kernels, unit columns (scale in B̃).

    Parameters
    ----------
    kernel_shape : sequence of N ints
    rank : int
        R.
    """

    def __init__(self, kernel_shape: Sequence[int], rank: int) -> None:
        self.kernel_shape = _check_shape(kernel_shape, "kernel_shape")
        self.n_components = check_int(rank, "rank")

    def init(self, kernels: Any) -> StructuredState:
        """Each kernel's leading singular vector of each unfolding (B, R, L) → h^(j)."""
        xp = namespace(kernels)
        B, R = kernels.shape[:2]
        shaped = xp.reshape(kernels, (B, R, *self.kernel_shape))
        factors = []
        for j, size in enumerate(self.kernel_shape):
            unfolded = xp.reshape(xp.moveaxis(shaped, 2 + j, 2), (B, R, size, -1))
            u = xp.linalg.svd(unfolded, full_matrices=False)[0][..., 0]      # (B, R, l_j)
            factors.append(u.mT)
        return StructuredState(tuple(factors), None)

    def n_kernel_params(self) -> int:
        return sum(self.kernel_shape) * self.n_components

    def stack(self, state: StructuredState) -> Any:
        """Ã (B, L, R): the Khatri–Rao product of the factors."""
        xp = namespace(state.factors[0])
        out = state.factors[0]
        for factor in state.factors[1:]:
            B, rows, R = out.shape
            out = xp.reshape(out[:, :, None, :] * factor[:, None, :, :],
                             (B, rows * factor.shape[1], R))
        return out

    def _mode_design(self, Y: Any, state: StructuredState, j: int) -> Any:
        """Design (B, n, l_j R) of h^(j): Y contracted with the other modes' columns."""
        xp = namespace(Y)
        B, n = Y.shape[:2]
        T = Y
        N = len(self.kernel_shape)
        for m in reversed(range(N)):            # the last first: axis numbers stay valid
            if m == j:
                continue
            # h^(m) broadcast against T (B, n, …, l_m at axis 2 + m, …, R)
            shape = [B] + [1] * (T.ndim - 2) + [self.n_components]
            shape[2 + m] = self.kernel_shape[m]
            T = xp.sum(T * xp.reshape(state.factors[m], tuple(shape)), axis=2 + m)
        return xp.reshape(T, (B, n, -1))

    def _normalised(self, factor: Any) -> tuple[Any, Any]:
        xp = namespace(factor)
        norms = xp.sqrt(xp.sum(factor * factor, axis=1))                     # (B, R)
        norms = xp.where(norms == 0, 1.0, norms)
        return factor / norms[:, None, :], norms

    def update_kernels(self, state: StructuredState, Y: Any, y: Any
                       ) -> tuple[StructuredState, Any]:
        xp = namespace(Y)
        B = Y.shape[0]
        factors, b_tilde = list(state.factors), state.b_tilde
        f = None
        for j, size in enumerate(self.kernel_shape):
            current = replace(state, factors=tuple(factors))
            coef, _, f = lstsq(self._mode_design(Y, current, j), y)
            factors[j], norms = self._normalised(
                xp.reshape(coef, (B, size, self.n_components)))
            # the scale of component r moves into B̃_r (and into Y, which is linear in B̃)
            b_tilde = b_tilde * norms[:, :, None]
            Y = Y * xp.reshape(norms, (B,) + (1,) * (Y.ndim - 2) + (self.n_components,))
        return replace(state, factors=tuple(factors), b_tilde=b_tilde), f

    def designs(self, state: StructuredState, Y: Any) -> list[Any]:
        return [self._mode_design(Y, state, j) for j in range(len(self.kernel_shape))]

    def apply_step(self, state: StructuredState, delta: Any) -> StructuredState:
        xp = namespace(delta)
        factors, b_tilde, start = [], state.b_tilde, 0
        for factor in state.factors:
            size = factor.shape[1] * factor.shape[2]
            new, norms = self._normalised(
                factor + xp.reshape(delta[:, start:start + size], factor.shape))
            start += size
            factors.append(new)
            if b_tilde is not None:
                b_tilde = b_tilde * norms[:, :, None]
        return replace(state, factors=tuple(factors), b_tilde=b_tilde)


def _at_least(values: Any, bound: float) -> Any:
    """max(values, bound) elementwise for a Python scalar bound (any backend)."""
    xp = namespace(values)
    return xp.where(values > bound, values, bound)


def _batch_size(state: StructuredState) -> int:
    return next(a for a in (*state.factors, state.core) if a is not None).shape[0]


def _pooled_rows(M: Any) -> Any:
    """M (G, n, P, L) as (G, P, n·L): each pooled position's n rows in one block — a view
    when M is laid out P-major (:func:`~tensorcnn.estimators._trace.inputs_to_trace`, or
    :func:`fit_multistart`'s one copy), a copy otherwise."""
    xp = namespace(M)
    G, n, P, L = M.shape
    return xp.reshape(xp.permute_dims(M, (0, 2, 1, 3)), (G, P, n * L))


def _pass_kernels(M: Any, stack: Any) -> Any:
    """⟨M_i, e_p Ã_rᵀ⟩: the design (B, n, P·R) of B̃ — one pass over M (G, n, P, L).

    The B = G·S members come in G groups of S consecutive members sharing one data set:
    each group's pass serves its S members in one matrix product with S·R columns. A
    member's numbers depend on S, never on G (the groups are a batch axis).
    """
    xp = namespace(M, stack)
    B, L, R = stack.shape
    G, n, P = M.shape[:3]
    S = B // G
    columns = xp.reshape(xp.permute_dims(xp.reshape(stack, (G, S, L, R)), (0, 2, 1, 3)),
                         (G, 1, L, S * R))
    # one product per pooled position p: its n rows of L entries are contiguous
    out = xp.reshape(_pooled_rows(M), (G, P, n, L)) @ columns             # (G, P, n, S·R)
    out = xp.permute_dims(xp.reshape(out, (G, P, n, S, R)), (0, 3, 2, 1, 4))
    # a contiguous copy whatever G (a view's least-squares products round differently:
    # a member's numbers would depend on G)
    return xp.reshape(out, (B, n, P * R), copy=True)


def _pass_b_tilde(M: Any, b_tilde: Any, kernel_shape: Sequence[int]) -> Any:
    """Y_i = B̃ M_i, as (B, n, l_1, …, l_N, R) — one pass over M (G, n, P, L), groups as in
    :func:`_pass_kernels`."""
    xp = namespace(M, b_tilde)
    B, R, P = b_tilde.shape
    G, n, L = M.shape[0], M.shape[1], M.shape[3]
    S = B // G
    # one matrix–vector product per group on P long rows (P-major M), not n small products
    out = xp.reshape(b_tilde, (G, S * R, P)) @ _pooled_rows(M)           # (G, S·R, n·L)
    out = xp.permute_dims(xp.reshape(out, (G, S, R, n, L)), (0, 1, 3, 4, 2))
    # one contiguous copy here (none for S·R = 1), not one per mode product on Y
    return xp.reshape(out, (B, n, *kernel_shape, R), copy=R > 1 or S > 1)


def _member_rows(y: Any, n_members: int) -> Any:
    """y (G, n) repeated for the S = B / G members of each group: (B, n)."""
    xp = namespace(y)
    G, n = y.shape
    if n_members == G:
        return y
    S = n_members // G
    return xp.reshape(xp.broadcast_to(y[:, None, :], (G, S, n)), (n_members, n))


def optimal_b_tilde(structure: TuckerStructure | CPStructure, state: StructuredState,
                    M: Any, y: Any) -> tuple[StructuredState, Any, Any, Any]:
    """B̃ by least squares for each member's kernels.

    Returns
    -------
    state : StructuredState (with ``b_tilde``)
    design : array (B, n, P·R)
    residual : array (B, n)
    f : array (B,)
    """
    xp = namespace(M)
    design = _pass_kernels(M, structure.stack(state))
    coef, residual, f = lstsq(design, _member_rows(y, design.shape[0]))
    B, P, R = design.shape[0], M.shape[2], structure.n_components
    b_tilde = xp.reshape(coef, (B, P, R)).mT
    return replace(state, b_tilde=b_tilde), design, residual, f


def _change(f_old: Any, f_new: Any, floor: Any) -> Any:
    xp = namespace(f_new)
    relative = (f_old - f_new) / xp.where(f_new > floor, f_new, floor)
    return xp.where(xp.isfinite(f_old), relative, xp.inf)


def _select_state(mask: Any, new: StructuredState, old: StructuredState) -> StructuredState:
    return StructuredState(
        tuple(None if a is None else select(mask, a, b) for a, b in zip(new.factors,
                                                                        old.factors)),
        None if new.core is None else select(mask, new.core, old.core),
        # before its first sweep a member has no B̃: take the new one whatever the mask
        new.b_tilde if old.b_tilde is None else select(mask, new.b_tilde, old.b_tilde))


@dataclass(frozen=True)
class StructuredFit:
    """What a solver returns for each member of its batch.

    Attributes
    ----------
    state : StructuredState
    f : array (B,)
        (1/n) Σ (y_i − ŷ_i)² from the last least-squares solve.
    n_iter : array of ints (B,)
        Sweeps or steps done.
    converged : array of bools (B,)
    change : array (B,)
        The last relative decrease of f.
    """

    state: StructuredState
    f: Any
    n_iter: Any
    converged: Any
    change: Any


def als_sweeps(structure: TuckerStructure | CPStructure, state: StructuredState, M: Any,
               y: Any, n_sweeps: int, tol: float, floor: Any, f_old: Any = None,
               active: Any = None) -> StructuredFit:
    """Up to ``n_sweeps`` ALS sweeps (B̃, then the kernel blocks) per member.

    A member stops when a sweep lowers f by less than ``tol`` relative to it.

    Parameters
    ----------
    state : StructuredState
        B members, in G groups of S = B / G consecutive members (:func:`_pass_kernels`).
    M : array (G, n, P, L)
    y : array (G, n)
    floor : array (B,) or float
        f below which the relative change is measured against ``floor`` (rounding).
    f_old : array (B,), optional
        The objective before the first sweep (default inf: none).
    active : array of bools (B,), optional
        The members to run (default all); the others are returned as they are.
    """
    xp = namespace(M)
    B = _batch_size(state)
    where = _device(M)
    f = xp.full((B,), xp.inf, dtype=M.dtype, device=where) if f_old is None else f_old
    if active is None:
        active = xp.ones((B,), dtype=xp.bool, device=where)
    done = xp.zeros((B,), dtype=xp.int64, device=where)
    change = xp.full((B,), xp.inf, dtype=M.dtype, device=where)
    stopped = xp.zeros((B,), dtype=xp.bool, device=where)
    rows = _member_rows(y, B)
    for _ in range(n_sweeps):
        if not bool(xp.any(active)):
            break
        trial = optimal_b_tilde(structure, state, M, y)[0]
        Y = _pass_b_tilde(M, trial.b_tilde, structure.kernel_shape)
        trial, f_new = structure.update_kernels(trial, Y, rows)
        state = _select_state(active, trial, state)
        step_change = _change(f, f_new, floor)
        change = xp.where(active, step_change, change)
        f = xp.where(active, f_new, f)
        done = done + xp.astype(active, xp.int64)
        converged = active & (step_change < tol)
        stopped = stopped | converged
        active = active & ~converged
    return StructuredFit(state, f, done, stopped, change)


def levenberg_marquardt(structure: TuckerStructure | CPStructure, state: StructuredState,
                        M: Any, y: Any, n_steps: int, tol: float, floor: Any,
                        active: Any = None) -> StructuredFit:
    """Up to ``n_steps`` variable-projection Levenberg–Marquardt steps per member.

    Same parameters and returns as :func:`als_sweeps` (the module docstring has the step;
    f before the first step is that of the least-squares B̃, so there is no ``f_old``). A
    member not ``active`` comes back with B̃ re-solved and no step taken.
    """
    xp = namespace(M)
    n = M.shape[1]
    state, design_b, residual, f = optimal_b_tilde(structure, state, M, y)
    B = f.shape[0]
    n_b = design_b.shape[-1]
    device = _device(M)
    damping = xp.full((B,), _INITIAL_DAMPING, dtype=M.dtype, device=device)
    growth = xp.full((B,), 2.0, dtype=M.dtype, device=device)
    change = xp.full((B,), xp.inf, dtype=M.dtype, device=device)
    if active is None:
        active = xp.ones((B,), dtype=xp.bool, device=device)
    converged = xp.zeros((B,), dtype=xp.bool, device=device)
    steps = xp.zeros((B,), dtype=xp.int64, device=device)
    for _ in range(n_steps):
        if not bool(xp.any(active)):
            break
        steps = steps + xp.astype(active, xp.int64)
        Y = _pass_b_tilde(M, state.b_tilde, structure.kernel_shape)
        jacobian = xp.concat([design_b, *structure.designs(state, Y)], axis=-1)
        transposed = jacobian.mT
        normal = transposed @ jacobian
        gradient = xp.squeeze(transposed @ residual[..., None], axis=-1)
        diagonal = xp.linalg.diagonal(normal)
        largest = _at_least(xp.max(diagonal, axis=-1, keepdims=True), 1e-300)
        scale = xp.where(diagonal > 1e-12 * largest, diagonal, 1e-12 * largest)
        eye = xp.eye(normal.shape[-1], dtype=M.dtype, device=device)
        # the members still looking for an acceptable step at this iteration
        pending = active
        new_state, new_design, new_residual, f_new = state, design_b, residual, f
        while bool(xp.any(pending)):
            damped = normal + (damping[:, None] * scale)[:, :, None] * eye
            delta = psd_solve(damped, gradient)
            trial = structure.apply_step(state, delta[:, n_b:])
            t_state, t_design, t_residual, t_f = optimal_b_tilde(structure, trial, M, y)
            predicted = xp.sum(delta * (2.0 * gradient - xp.squeeze(
                normal @ delta[..., None], axis=-1)), axis=-1)
            accepted = pending & (t_f <= f) & (predicted > 0)
            ratio = n * (f - t_f) / xp.where(predicted > 0, predicted, 1.0)
            # Nielsen's rule: a step that realises little of its predicted decrease is kept
            # but the next one is damped more
            shrink = _at_least(damping * _at_least(1.0 - (2.0 * ratio - 1.0) ** 3, 1.0 / 3.0),
                               1e-12)
            damping = xp.where(accepted, shrink, damping)
            growth = xp.where(accepted, 2.0, growth)
            new_state = _select_state(accepted, t_state, new_state)
            new_design = select(accepted, t_design, new_design)
            new_residual = select(accepted, t_residual, new_residual)
            f_new = xp.where(accepted, t_f, f_new)
            rejected = pending & ~accepted
            damping = xp.where(rejected, damping * growth, damping)
            growth = xp.where(rejected, growth * 2.0, growth)
            # no damping gives a decrease: no descent direction left, a stationary point
            stationary = rejected & (damping > _MAX_DAMPING)
            converged = converged | stationary
            change = xp.where(stationary, 0.0, change)
            active = active & ~stationary
            pending = rejected & ~stationary
        moved = active            # the members that accepted a step this iteration
        step_change = _change(f, f_new, floor)
        change = xp.where(moved, step_change, change)
        state = _select_state(moved, new_state, state)
        design_b = select(moved, new_design, design_b)
        residual = select(moved, new_residual, residual)
        f = xp.where(moved, f_new, f)
        done = moved & (step_change < tol)
        converged = converged | done
        active = active & ~done
    return StructuredFit(state, f, steps, converged, change)


def fit_multistart(structure: TuckerStructure | CPStructure, M: Any, y: Any, starts: Any,
                   n_screen: int, max_iter: int, tol: float, finish: str = "lm",
                   check_data: bool = True) -> tuple[StructuredFit, Any]:
    """For each of G data sets: screen S starts for ``n_screen`` ALS sweeps, finish the best.

    ALS has bad local minima here (seen in T1–T4: objective ~3σ² instead of ~σ²): every
    start runs the screen (a data set's S starts at once, each pass over its M shared), the
    lowest objective is finished by ``finish`` ("lm" or "als") up to ``max_iter`` steps
    unless the screen already converged it. A single start (S = 1) is not screened.

    Parameters
    ----------
    M : array (G, n, P, L)
        Any layout; P-major memory ((G, P, n, L) seen through a transpose, as
        :func:`~tensorcnn.estimators._trace.inputs_to_trace` gives, prefixes in n included)
        is used as it is, any other is copied to it once.
    y : array (G, n)
    starts : array (G, S, R, L)
        Initial kernel stacks per data set.
    n_screen, max_iter : int
    tol : float
    finish : {"lm", "als"}
    check_data : bool, default True
        Refuse a non-finite M (one pass over it); callers that checked M already pass
        False. The shapes, y and the starts are always checked.

    Returns
    -------
    fit : StructuredFit
        The kept start of each data set (batch G); ``n_iter`` sums its screen's sweeps (all
        S starts) and its finish's steps.
    index : array of ints (G,)
        The kept start of each data set.
    """
    _check_problem(structure, M, y, starts, check_bool(check_data, "check_data"))
    n_screen, max_iter = check_int(n_screen, "n_screen"), check_int(max_iter, "max_iter")
    tol = check_nonnegative(tol, "tol")
    if finish not in ("lm", "als"):
        raise ValueError(f"finish must be 'lm' or 'als', got {finish!r}")
    xp = namespace(M)
    G, S = starts.shape[:2]
    where = _device(M)
    # P-major once (a view if M is so already, else one copy): every pass over M is then
    # a product on long contiguous rows
    M = xp.permute_dims(xp.reshape(_pooled_rows(M), (G, M.shape[2], M.shape[1], M.shape[3])),
                        (0, 2, 1, 3))
    floor = _at_least(1e-15 * xp.sum(y * y, axis=-1) / y.shape[-1], 1e-300)
    state = structure.init(xp.reshape(starts, (G * S, *starts.shape[2:])))
    if S == 1:
        state, _, _, f = optimal_b_tilde(structure, state, M, y)
        screened = StructuredFit(state, f, xp.zeros((G,), dtype=xp.int64, device=where),
                                 xp.zeros((G,), dtype=xp.bool, device=where),
                                 xp.full((G,), xp.inf, dtype=M.dtype, device=where))
        index = xp.zeros((G,), dtype=xp.int64, device=where)
    else:
        screen = als_sweeps(structure, state, M, y, n_screen, tol,
                            xp.reshape(xp.broadcast_to(floor[:, None], (G, S)), (G * S,)))
        index = xp.argmin(xp.reshape(screen.f, (G, S)), axis=1)
        kept = xp.arange(G, dtype=index.dtype, device=where) * S + index
        screened = StructuredFit(
            _take_state(screen.state, kept), xp.take(screen.f, kept, axis=0),
            xp.sum(xp.reshape(screen.n_iter, (G, S)), axis=1),
            xp.take(screen.converged, kept, axis=0), xp.take(screen.change, kept, axis=0))
    running = ~screened.converged
    if not bool(xp.any(running)):
        return screened, index
    if finish == "lm":
        done = levenberg_marquardt(structure, screened.state, M, y, max_iter, tol, floor,
                                   active=running)
    else:
        done = als_sweeps(structure, screened.state, M, y, max_iter, tol, floor,
                          f_old=screened.f, active=running)
    # a data set whose screen converged keeps the screen's result as it is
    fit = StructuredFit(_select_state(running, done.state, screened.state),
                        xp.where(running, done.f, screened.f),
                        done.n_iter + screened.n_iter,
                        xp.where(running, done.converged, screened.converged),
                        xp.where(running, done.change, screened.change))
    return fit, index


def _take_state(state: StructuredState, members: Any) -> StructuredState:
    """The members ``members`` (indices) of a batch state."""
    xp = namespace(members)

    def take(array: Any) -> Any:
        return None if array is None else xp.take(array, members, axis=0)

    return StructuredState(tuple(take(a) for a in state.factors), take(state.core),
                           take(state.b_tilde))
