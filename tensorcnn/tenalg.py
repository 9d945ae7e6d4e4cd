"""Tensor Kronecker products in the convention of SPEC.md §1.

For B of shape (p_1, …, p_N) and A of shape (l_1, …, l_N), the Kronecker product
B ⊗ A has shape (l_1 p_1, …, l_N p_N) and entries

.. math:: (B \\otimes A)[i_1, …, i_N] = B[b_1, …, b_N] A[a_1, …, a_N],
          \\quad i_j = b_j l_j + a_j,

so B carries the slow index of every mode. This matches the column blocks of the pooled
positioning factor U_F^(j) = [U_{F,1}^(j), …, U_{F,p_j}^(j)] (003 Eq. 4): column
``b * l_j + a`` of U_F^(j) is column ``a`` of U_{F,b}^(j).

Vectorisation is row-major (``tl.tensor_to_vec`` / C order) throughout the toolkit. With
it, vec(X ×_1 M_1 ⋯ ×_N M_N) = (M_1 ⊗ ⋯ ⊗ M_N) vec(X); see ``docs/conventions.md``.

All functions here are backend-agnostic: they run on the backend of their inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import tensorly as tl

from ._backend import on_backend_of
from ._validation import check_int

__all__ = ["deinterleave_kron", "interleave_kron", "kron", "kron_sum", "kron_to_matrix",
           "mode_products"]


def _shape(value: Any, name: str) -> tuple[int, ...]:
    """The shape of an array argument (numpy or torch); ``TypeError`` for anything else.

    Cheap on purpose (these functions run inside the estimators' inner loops): the type
    and the shape are checked, the values (NaN included, which propagates as arithmetic
    says) are not."""
    shape = getattr(value, "shape", None)
    if shape is None or not hasattr(value, "reshape"):
        raise TypeError(f"{name} must be a numpy array or torch tensor, got "
                        f"{type(value).__name__}")
    return tuple(shape)


def _check_lead(n_lead: Any, n_dims: int, needed: int, name: str = "n_lead") -> int:
    n_lead = check_int(n_lead, name, minimum=0)
    if n_lead + needed != n_dims:
        raise ValueError(f"{name} = {n_lead} leaves {n_dims - n_lead} modes of the tensor "
                         f"(ndim {n_dims}), expected {needed}")
    return n_lead


def _sizes(value: Any, name: str) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a sequence of positive ints, got {value!r}")
    return tuple(check_int(size, f"{name}[{j}]") for j, size in enumerate(value))


def _check_pair(slow_shape: Any, fast_shape: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    slow, fast = (_sizes(slow_shape, "slow_shape"), _sizes(fast_shape, "fast_shape"))
    if len(fast) != len(slow):
        raise ValueError(
            f"slow_shape and fast_shape must have the same length, got {slow} and {fast}")
    return slow, fast


def interleave_kron(
    tensor: Any, slow_shape: Sequence[int], fast_shape: Sequence[int], n_lead: int = 0
) -> Any:
    """Merge paired modes into Kronecker modes.

    Parameters
    ----------
    tensor : array of shape (*lead, s_1, …, s_N, f_1, …, f_N)
        ``n_lead`` leading (batch) modes, then the N slow modes, then the N fast modes.
    slow_shape, fast_shape : sequences of N ints
        (s_1, …, s_N) and (f_1, …, f_N).
    n_lead : int
        Number of leading modes kept as they are.

    Returns
    -------
    array of shape (*lead, s_1 f_1, …, s_N f_N)
        Entry ``[..., i_1, …, i_N]`` with ``i_j = b_j f_j + a_j`` equals
        ``tensor[..., b_1, …, b_N, a_1, …, a_N]``.
    """
    slow_shape, fast_shape = _check_pair(slow_shape, fast_shape)
    n_modes = len(slow_shape)
    shape = _shape(tensor, "tensor")
    n_lead = _check_lead(n_lead, len(shape), 2 * n_modes)
    if shape[n_lead:] != slow_shape + fast_shape:
        raise ValueError(f"tensor must have shape (*lead, *slow_shape, *fast_shape) = (*lead, "
                         f"{slow_shape + fast_shape}), got {shape}")
    with on_backend_of(tensor):
        lead = tuple(tl.shape(tensor)[:n_lead])
        order = list(range(n_lead))
        for j in range(n_modes):
            order += [n_lead + j, n_lead + n_modes + j]
        merged = tl.transpose(tensor, order)
        return tl.reshape(merged, lead + tuple(s * f for s, f in zip(slow_shape, fast_shape)))


def kron(B: Any, A: Any) -> Any:
    """Kronecker product B ⊗ A of two N-mode tensors (B slow), shape (l_j p_j)_j.

    Parameters
    ----------
    B : array of shape (p_1, …, p_N)
    A : array of shape (l_1, …, l_N)

    Returns
    -------
    array of shape (l_1 p_1, …, l_N p_N)
    """
    # .ndim/.shape are read from the arrays: tl.ndim would dispatch on the global backend.
    _shape(B, "B"), _shape(A, "A")
    if B.ndim != A.ndim:
        raise ValueError(
            f"B and A must have the same number of modes, got shapes {tuple(B.shape)} and "
            f"{tuple(A.shape)}"
        )
    with on_backend_of(B):
        outer = tl.reshape(tl.tensor_to_vec(B)[:, None] * tl.tensor_to_vec(A)[None, :],
                           tuple(B.shape) + tuple(A.shape))
    return interleave_kron(outer, tuple(B.shape), tuple(A.shape))


def kron_sum(B: Any, A: Any) -> Any:
    """Sum of Kronecker products W = Σ_k B_k ⊗ A_k (003 Eq. 5).

    Computed as one matrix product: Θ = Σ_k vec(B_k) vec(A_k)ᵀ (the P × L matrix of the
    trace-regression view, SPEC.md §3), then re-indexed into the Kronecker layout.

    Parameters
    ----------
    B : array of shape (K, p_1, …, p_N)
        Fully-connected weights B_k.
    A : array of shape (K, l_1, …, l_N)
        Kernels A_k.

    Returns
    -------
    array of shape (l_1 p_1, …, l_N p_N)
    """
    _shape(B, "B"), _shape(A, "A")
    if B.ndim != A.ndim or B.ndim < 1 or B.shape[0] != A.shape[0]:
        raise ValueError(
            "B and A must be stacks (K, *p) and (K, *l) with the same K and number of modes, "
            f"got shapes {tuple(B.shape)} and {tuple(A.shape)}"
        )
    n_terms = B.shape[0]
    p_shape, l_shape = tuple(B.shape[1:]), tuple(A.shape[1:])
    with on_backend_of(B):
        theta = tl.dot(tl.transpose(tl.reshape(B, (n_terms, -1))), tl.reshape(A, (n_terms, -1)))
        theta = tl.reshape(theta, p_shape + l_shape)
    return interleave_kron(theta, p_shape, l_shape)


def deinterleave_kron(tensor: Any, slow_shape: Sequence[int], fast_shape: Sequence[int],
                      n_lead: int = 0) -> Any:
    """Inverse of :func:`interleave_kron`: split each Kronecker mode into (slow, fast).

    Parameters
    ----------
    tensor : array of shape (*lead, s_1 f_1, …, s_N f_N)
    slow_shape, fast_shape : sequences of N ints

    Returns
    -------
    array of shape (*lead, s_1, …, s_N, f_1, …, f_N)
    """
    slow_shape, fast_shape = _check_pair(slow_shape, fast_shape)
    n_modes = len(slow_shape)
    n_lead = _check_lead(n_lead, len(_shape(tensor, "tensor")), n_modes)
    with on_backend_of(tensor):
        lead = tuple(tl.shape(tensor)[:n_lead])
        expected = tuple(s * f for s, f in zip(slow_shape, fast_shape))
        if tuple(tl.shape(tensor)[n_lead:]) != expected:
            raise ValueError(f"tensor must have shape (*lead, {expected}) for slow_shape "
                             f"{tuple(slow_shape)} and fast_shape {tuple(fast_shape)}, got "
                             f"{tuple(tl.shape(tensor))}")
        paired = tl.reshape(tensor, lead + tuple(
            size for pair in zip(slow_shape, fast_shape) for size in pair))
        order = list(range(n_lead))
        order += [n_lead + 2 * j for j in range(n_modes)]
        order += [n_lead + 2 * j + 1 for j in range(n_modes)]
        return tl.transpose(paired, order)


def kron_to_matrix(W: Any, slow_shape: Sequence[int], fast_shape: Sequence[int]) -> Any:
    """The rearrangement T(W) = Σ_k vec(B_k) vec(A_k)ᵀ of W = Σ_k B_k ⊗ A_k (003 Lemma 1).

    This is the map T_K of the proof of Lemma 1 of 003 (Van Loan–Pitsianis rearrangement):
    it is linear, preserves the Frobenius norm and inner products, and rank(T(W)) ≤ K
    exactly when W is a sum of K Kronecker products. :func:`kron_sum` is its inverse on
    the factors.

    Parameters
    ----------
    W : array of shape (s_1 f_1, …, s_N f_N)
    slow_shape : sequence of N ints
        p = (p_1, …, p_N), the shape of the slow factors B_k.
    fast_shape : sequence of N ints
        l = (l_1, …, l_N), the shape of the fast factors A_k.

    Returns
    -------
    array of shape (P, L), P = Π p_j, L = Π l_j (row-major vec)
    """
    _shape(W, "W")
    split = deinterleave_kron(W, slow_shape, fast_shape)
    with on_backend_of(W):
        return tl.reshape(split, (math.prod(slow_shape), math.prod(fast_shape)))


#: Below this many entries after the contracted mode, a mode product moves the mode last
#: and does one matrix product (a copy) rather than one small product per lead index.
SMALL_TRAIL = 16


def mode_products(tensor: Any, matrices: Sequence[Any], n_lead: int = 1,
                  transpose: bool = False) -> Any:
    """X ×_1 M_1 ⋯ ×_N M_N over the modes after ``n_lead`` batch modes, as matrix products.

    The same numbers as ``tl.tenalg.multi_mode_dot(X, matrices, modes=[n_lead, …],
    transpose=transpose)``, without unfolding: each mode product is one (batched) matrix
    product on a reshaped view, and the modes that shrink the tensor most go first. For a
    batch of 4-mode inputs this is ~10× faster than unfold/fold (benchmarks/bench_operator.py).

    Parameters
    ----------
    tensor : array of shape (*lead, d_1, …, d_N)
    matrices : sequence of N arrays or None
        M_j of shape (c_j, d_j), or (d_j, c_j) with ``transpose=True``; None leaves mode j
        as it is (c_j = d_j).
    n_lead : int, default 1
    transpose : bool, default False

    Returns
    -------
    array of shape (*lead, c_1, …, c_N), on the backend of ``tensor``
    """
    # array methods and ``@`` only (numpy and torch share them): no backend dispatch, whose
    # per-call cost dominates on the small tensors of an ALS sweep
    shape = list(_shape(tensor, "tensor"))
    if isinstance(matrices, str | bytes) or not isinstance(matrices, Sequence):
        raise TypeError(f"matrices must be a sequence of matrices, got {type(matrices).__name__}")
    n_lead = check_int(n_lead, "n_lead", minimum=0)
    if len(matrices) != len(shape) - n_lead:
        raise ValueError(f"matrices must hold one matrix per mode of tensor after the "
                         f"n_lead = {n_lead} lead modes ({len(shape) - n_lead}), got "
                         f"{len(matrices)}")
    ops = [m.T if transpose and m is not None else m for m in matrices]
    for j, op in enumerate(ops):
        if op is not None and (len(_shape(op, f"matrices[{j}]")) != 2
                               or tuple(op.shape)[1] != shape[n_lead + j]):
            raise ValueError(f"matrices[{j}] has shape {tuple(op.shape)} (after "
                             f"transpose={transpose}); mode {n_lead + j} of tensor has size "
                             f"{shape[n_lead + j]}")
    active = [j for j, op in enumerate(ops) if op is not None]
    order = sorted(active, key=lambda j: ops[j].shape[0] / ops[j].shape[1])
    out = tensor
    for j in order:
        axis = n_lead + j
        lead, size, trail = math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])
        op = ops[j]
        if trail == 1:
            out = out.reshape(lead, size) @ op.T
        elif trail < SMALL_TRAIL:
            # few trailing entries: one product per lead index would be a loop of tiny
            # products; bring the mode last (one copy) and do a single product instead
            flat = out.reshape(lead, size, trail).swapaxes(1, 2).reshape(lead * trail, size)
            out = (flat @ op.T).reshape(lead, trail, op.shape[0]).swapaxes(1, 2)
        else:
            out = op @ out.reshape(lead, size, trail)
        shape[axis] = op.shape[0]
        out = out.reshape(tuple(shape))
    return out
