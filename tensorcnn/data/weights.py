r"""True weights of the simulations (003 §4.1, App. A.5.1): plain, Tucker and CP CNNs.

Every generator returns a :class:`TrueWeights` with the kernels A_k, the FC weights B_k
and W = Σ_k B_k ⊗ A_k (003 Eq. 5), the coefficient tensor of the design Z.

* plain: A_k, B_k with iid N(0, 1) entries.
* Tucker: A_stack = G ×_1 H^(1) ⋯ ×_{N+1} H^(N+1) (003 Eq. 8), core N(0, 1), factors with
  orthonormal columns (``tensorcnn.compressed.random_tucker_stack``); B_k N(0, 1).
* CP: A_stack = Σ_r h_r^(1) ∘ ⋯ ∘ h_r^(N+1), orthonormal factor columns
  (``tensorcnn.compressed.random_cp_stack``); B_k N(0, 1); optionally W scaled to unit
  Frobenius norm by scaling B (003 App. A.5.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tensorly.cp_tensor import CPTensor
from tensorly.tucker_tensor import TuckerTensor

from .._validation import as_generator
from ..cnn import CNNSpec
from ..compressed import random_cp_stack, random_tucker_stack, unstack_kernels

__all__ = ["TrueWeights", "cp_weights", "plain_weights", "tucker_weights"]


@dataclass(frozen=True)
class TrueWeights:
    """True parameters of one simulated CNN.

    Attributes
    ----------
    A : ndarray of shape (K, l_1, …, l_N)
    B : ndarray of shape (K, p_1, …, p_N)
    W : ndarray of shape (l_1 p_1, …, l_N p_N)
        W* = Σ_k B_k ⊗ A_k.
    stacked : TuckerTensor or CPTensor or None
        A_stack of shape (l_1, …, l_N, K) for compressed models.
    """

    A: np.ndarray
    B: np.ndarray
    W: np.ndarray
    stacked: TuckerTensor | CPTensor | None = None


def _check_spec(spec: object) -> None:
    if not isinstance(spec, CNNSpec):
        raise TypeError(f"spec must be a CNNSpec, got {type(spec).__name__}")


def plain_weights(spec: CNNSpec, rng: np.random.Generator | int) -> TrueWeights:
    """A_k, B_k with standard normal entries (003 §4.1, Theorem 1 settings)."""
    _check_spec(spec)
    rng = as_generator(rng, "rng", allow_none=False)
    A = rng.standard_normal((spec.n_kernels, *spec.kernel_shape))
    B = rng.standard_normal((spec.n_kernels, *spec.pooled_shape))
    return TrueWeights(A, B, spec.weight(A, B))


def tucker_weights(spec: CNNSpec, ranks: Sequence[int],
                   rng: np.random.Generator | int) -> TrueWeights:
    """Tucker stacked kernel with ranks (R_1, …, R_{N+1}) and N(0, 1) FC weights (003 §4.1).

    Raises
    ------
    ValueError
        If the ranks do not fit the kernel shape or exceed K (before drawing anything).
    """
    _check_spec(spec)
    rng = as_generator(rng, "rng", allow_none=False)
    stacked = random_tucker_stack(spec.kernel_shape, spec.n_kernels, ranks, rng)
    A = unstack_kernels(stacked)
    B = rng.standard_normal((spec.n_kernels, *spec.pooled_shape))
    return TrueWeights(A, B, spec.weight(A, B), stacked)


def cp_weights(spec: CNNSpec, rank: int, rng: np.random.Generator | int,
               unit_norm: bool = False) -> TrueWeights:
    """CP stacked kernel of rank R with orthonormal factor columns (003 App. A.5.1).

    Parameters
    ----------
    spec : CNNSpec
    rank : int
        R ≤ every mode size of A_stack (l_1, …, l_N, K).
    rng : numpy.random.Generator or int seed
    unit_norm : bool, default False
        Scale B so that ‖W‖_F = 1 ("normalize it to have unit Frobenius norm").
    """
    _check_spec(spec)
    if not isinstance(unit_norm, bool | np.bool_):
        raise TypeError(f"unit_norm must be a bool, got {unit_norm!r}")
    rng = as_generator(rng, "rng", allow_none=False)
    stacked = random_cp_stack(spec.kernel_shape, spec.n_kernels, rank, rng)
    A = unstack_kernels(stacked)
    B = rng.standard_normal((spec.n_kernels, *spec.pooled_shape))
    W = spec.weight(A, B)
    if unit_norm:
        scale = float(np.linalg.norm(W))
        B, W = B / scale, W / scale
    return TrueWeights(A, B, W, stacked)
