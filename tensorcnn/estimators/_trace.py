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

from ..cnn import CNNSpec
from ..tenalg import interleave_kron

__all__ = ["design_to_trace", "theta_to_weight", "weight_to_theta"]


def _split_order(n_modes: int, n_lead: int) -> list[int]:
    # (lead, p_1, l_1, …, p_N, l_N) → (lead, p_1, …, p_N, l_1, …, l_N)
    lead = list(range(n_lead))
    return lead + [n_lead + 2 * j for j in range(n_modes)] + [
        n_lead + 2 * j + 1 for j in range(n_modes)]


def design_to_trace(spec: CNNSpec, Z: np.ndarray) -> np.ndarray:
    """M_i of the trace regression from the design tensors Z_i.

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
    pairs = [s for p, l in zip(spec.pooled_shape, spec.kernel_shape) for s in (p, l)]
    n = Z.shape[0]
    split = Z.reshape(n, *pairs).transpose(_split_order(spec.n_modes, 1))
    return np.ascontiguousarray(split).reshape(n, math.prod(spec.pooled_shape),
                                               *spec.kernel_shape)


def theta_to_weight(spec: CNNSpec, theta: np.ndarray) -> np.ndarray:
    """W (shape (l_j p_j)_j) from Θ (shape (P, L)): the inverse of :func:`weight_to_theta`."""
    full = np.reshape(theta, (*spec.pooled_shape, *spec.kernel_shape))
    return interleave_kron(full, spec.pooled_shape, spec.kernel_shape)


def weight_to_theta(spec: CNNSpec, W: np.ndarray) -> np.ndarray:
    """Θ (shape (P, L)) from W (shape (l_j p_j)_j)."""
    return design_to_trace(spec, np.asarray(W)[None]).reshape(
        math.prod(spec.pooled_shape), math.prod(spec.kernel_shape))
