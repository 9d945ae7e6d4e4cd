r"""The trace-regression view of the CNN (SPEC.md §3): y_i = ⟨M_i, Θ⟩, rank(Θ) ≤ K.

With W = Σ_k B_k ⊗ A_k (B slow in every mode, ``docs/conventions.md``),

.. math::
    \langle Z_i, W\rangle = \sum_k \mathrm{vec}(B_k)^\top M_i\, \mathrm{vec}(A_k)
    = \langle M_i, \Theta\rangle, \quad
    \Theta = \sum_k \mathrm{vec}(B_k)\mathrm{vec}(A_k)^\top,

where M_i ∈ R^{P×L} is Z_i with its Kronecker modes (b_j, a_j) separated and the b's moved
first. The map W ↔ Θ is a permutation, so ‖Ŵ − W*‖_F = ‖Θ̂ − Θ*‖_F.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_instance
from ..cnn import CNNSpec
from ..tenalg import deinterleave_kron, interleave_kron, kron_to_matrix

__all__ = ["design_to_trace", "inputs_to_trace", "theta_to_weight", "trace_inner",
           "weight_to_theta"]

#: Input bytes per block of samples in :func:`inputs_to_trace`: its box sums then stay in a
#: core's 2 MiB L2 cache (T3, one noisy run: blocks of 32–64 samples, 0.7–1.3 MiB, fastest).
_BLOCK_BYTES = 2**20


def _check_array(value, name: str, shape: tuple[int, ...], what: str) -> None:
    """Refuse a non-array or an array of another shape (``-1``: any length), naming it.

    Only the type and shape are checked (cheap; these maps run inside every fit), not the
    values: NaN propagates as arithmetic says.
    """
    if not hasattr(value, "shape") or not hasattr(value, "dtype") or isinstance(value, str):
        raise TypeError(f"{name} must be an array of shape {what}, got {type(value).__name__}")
    got = tuple(value.shape)
    if len(got) != len(shape) or any(w != -1 and g != w for g, w in zip(got, shape)):
        raise ValueError(f"{name} must have shape {what} = "
                         f"({', '.join('n' if w == -1 else str(w) for w in shape)}), got {got}")


def design_to_trace(spec: CNNSpec, Z: np.ndarray) -> np.ndarray:
    """M_i of the trace regression from the design tensors Z_i.

    :func:`~tensorcnn.tenalg.deinterleave_kron` of Z (its Kronecker modes split into
    (p_j, l_j), the p's first), in one contiguous array.

    Parameters
    ----------
    spec : CNNSpec
    Z : ndarray of shape (n, l_1 p_1, …, l_N p_N)

    Returns
    -------
    ndarray of shape (n, P, l_1, …, l_N)
        ``M[i, b, a_1, …, a_N] = Z[i, b_1 l_1 + a_1, …]`` with b the row-major index of
        (b_1, …, b_N); reshape the trailing modes to L for the P × L matrix M_i.
    """
    check_instance(spec, CNNSpec, "spec", "a CNNSpec")
    _check_array(Z, "Z", (-1, *spec.weight_shape), "(n, l_1 p_1, …, l_N p_N)")
    split = deinterleave_kron(Z, spec.pooled_shape, spec.kernel_shape, n_lead=1)
    return np.ascontiguousarray(split).reshape(Z.shape[0], math.prod(spec.pooled_shape),
                                               *spec.kernel_shape)


def inputs_to_trace(spec: CNNSpec, X: np.ndarray) -> np.ndarray:
    r"""M_i of the trace regression straight from the inputs X_i, stored P-major.

    The numbers of ``design_to_trace(spec, spec.design(X))`` up to rounding, without Z: on
    mode j, column b l_j + a of U_F^(j) sums q_j entries of X (the conv window a of the pool
    window b, 003 §2.2), so with X zero-padded by π_j and

    .. math::
        S[t] = q_j^{-1} \sum_{u<q_j} X[t + u s_c]
        \quad\Rightarrow\quad Z[b l_j + a] = S[b\, s_p s_c + a],

    M_i[b, a] = S_i[b ∘ s_p s_c + a] on all modes at once: q_j − 1 slice additions per mode
    and one gather, in place of N dense mode products and a rearrangement.

    Parameters
    ----------
    spec : CNNSpec
    X : ndarray of shape (n, d_1, …, d_N)

    Returns
    -------
    ndarray of shape (n, P, l_1, …, l_N)
        As :func:`design_to_trace`, but a view of memory laid out (P, n, l_1, …, l_N): a
        prefix ``M[:n']`` keeps each pooled position's rows contiguous, so that the
        structured solver's passes over M are matrix–vector products on long rows
        (:mod:`tensorcnn.solvers.structured`).
    """
    check_instance(spec, CNNSpec, "spec", "a CNNSpec")
    _check_array(X, "X", (-1, *spec.input_shape), "(n, d_1, …, d_N)")
    geometry = spec.geometry
    N, n = len(spec.input_shape), X.shape[0]
    steps = [sp * sc for sp, sc in zip(geometry.pool_stride, geometry.stride)]
    pooled = (slice(None),) + tuple(slice(0, p * step, step)
                                    for p, step in zip(spec.pooled_shape, steps))
    P = math.prod(spec.pooled_shape)
    out = np.empty((P, n, *spec.kernel_shape))
    target = out.reshape(*spec.pooled_shape, n, *spec.kernel_shape)
    # a block of samples at a time: its box sums stay in cache instead of N full passes
    # over memory (T3: 0.22 → 0.09 s); every sample's arithmetic is the same, so the
    # numbers are those of one block
    rows = max(1, _BLOCK_BYTES // (8 * math.prod(spec.input_shape)))
    for start in range(0, n, rows):
        box = np.asarray(X[start:start + rows], dtype=float)
        for j in range(N):
            box = _pool_mean(box, 1 + j, geometry.padding[j], geometry.pool_shape[j],
                             geometry.stride[j])
        windows = np.lib.stride_tricks.sliding_window_view(box, spec.kernel_shape,
                                                            axis=tuple(range(1, N + 1)))
        np.copyto(target[(slice(None),) * N + (slice(start, start + rows),)],
                  np.moveaxis(windows[pooled], 0, N))
    return np.moveaxis(out, 0, 1)


def _pool_mean(box: np.ndarray, axis: int, pad: int, pool: int, stride: int) -> np.ndarray:
    """S[t] = q⁻¹ Σ_{u<q} X[t + u s_c] along ``axis`` of X zero-padded by π on each side."""
    if pad:
        widths = [(0, 0)] * box.ndim
        widths[axis] = (pad, pad)
        box = np.pad(box, widths)
    if pool == 1:
        return box
    length = box.shape[axis] - (pool - 1) * stride
    lead = (slice(None),) * axis
    total = box[lead + (slice(0, length),)] + box[lead + (slice(stride, stride + length),)]
    for u in range(2, pool):
        total += box[lead + (slice(u * stride, u * stride + length),)]
    total *= 1.0 / pool
    return total


def trace_inner(M: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """⟨M_i, Θ⟩ for every i, without a copy of M whatever its layout.

    Parameters
    ----------
    M : ndarray of shape (n, P, l_1, …, l_N)
        n-major (:func:`design_to_trace`) or P-major (:func:`inputs_to_trace`).
    theta : ndarray of shape (P, L)

    Returns
    -------
    ndarray of shape (n,)
    """
    _check_array(theta, "theta", (-1, -1), "(P, L)")
    if not hasattr(M, "shape") or not hasattr(M, "dtype") or isinstance(M, str):
        raise TypeError(f"M must be an array of shape (n, P, l_1, …, l_N), got "
                        f"{type(M).__name__}")
    if M.ndim < 3 or M.shape[1] != theta.shape[0] or math.prod(M.shape[2:]) != theta.shape[1]:
        raise ValueError(f"M must have shape (n, P, l_1, …, l_N) with P = {theta.shape[0]} "
                         f"and L = l_1 ⋯ l_N = {theta.shape[1]} (theta's shape), got "
                         f"{tuple(M.shape)}")
    n, P = M.shape[:2]
    # one matrix–vector product per pooled position p (P-major: on its contiguous rows)
    per_position = np.moveaxis(M.reshape(n, P, -1), 1, 0) @ theta[:, :, None]
    return per_position[:, :, 0].sum(axis=0)


def theta_to_weight(spec: CNNSpec, theta: np.ndarray) -> np.ndarray:
    """W (shape (l_j p_j)_j) from Θ (shape (P, L)): the inverse of :func:`weight_to_theta`."""
    check_instance(spec, CNNSpec, "spec", "a CNNSpec")
    _check_array(theta, "theta", (math.prod(spec.pooled_shape), math.prod(spec.kernel_shape)),
                 "(P, L)")
    full = np.reshape(theta, (*spec.pooled_shape, *spec.kernel_shape))
    return interleave_kron(full, spec.pooled_shape, spec.kernel_shape)


def weight_to_theta(spec: CNNSpec, W: np.ndarray) -> np.ndarray:
    """Θ (shape (P, L)) from W (shape (l_j p_j)_j): :func:`~tensorcnn.tenalg.kron_to_matrix`."""
    check_instance(spec, CNNSpec, "spec", "a CNNSpec")
    _check_array(W, "W", tuple(spec.weight_shape), "(l_1 p_1, …, l_N p_N)")
    return np.ascontiguousarray(kron_to_matrix(np.asarray(W), spec.pooled_shape,
                                               spec.kernel_shape))
