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

__all__ = ["design_to_trace", "theta_to_weight", "weight_to_theta"]


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
