"""Stacked kernels A_stack ∈ R^{l_1×⋯×l_N×K} in Tucker or CP form (003 §3, Eq. 8).

The stacked kernel is a TensorLy ``TuckerTensor`` (core G of shape (R_1, …, R_{N+1}) and
factors H^(j) of shape (l_j, R_j), H^(N+1) of shape (K, R_{N+1})) or ``CPTensor`` (weights
of length R and factors of shape (l_j, R), (K, R)). Its last mode indexes the kernels, so
A_k = A_stack[..., k]; the operator :class:`~tensorcnn.cnn.CNNSpec` takes them as a stack
of shape (K, l_1, …, l_N).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorly as tl
from tensorly.cp_tensor import CPTensor
from tensorly.tucker_tensor import TuckerTensor

from .._backend import as_array, on_backend_of
from .._validation import as_generator
from ..cnn import CNNSpec
from ..cnn.geometry import normalize_shape
from .counts import check_cp_rank, check_tucker_ranks

__all__ = [
    "check_stacked",
    "compressed_composite_weight",
    "kr_ratio",
    "orthonormal_columns",
    "random_cp_stack",
    "random_tucker_stack",
    "stacked_rank",
    "unstack_kernels",
]


def orthonormal_columns(n_rows: int, n_columns: int,
                        rng: np.random.Generator | int) -> np.ndarray:
    """A random n_rows × n_columns matrix with orthonormal columns (Haar-distributed).

    Q of the QR factorisation of a standard normal matrix, with the signs of R's diagonal
    moved into Q so that the distribution is uniform on the Stiefel manifold.

    Raises
    ------
    ValueError
        If ``n_columns > n_rows`` (no such matrix exists).
    """
    (n_rows, n_columns) = normalize_shape((n_rows, n_columns), "(n_rows, n_columns)")
    if n_columns > n_rows:
        raise ValueError(
            f"cannot draw {n_columns} orthonormal columns of length {n_rows}: n_columns must "
            "be <= n_rows"
        )
    gaussian = as_generator(rng, "rng", allow_none=False).standard_normal((n_rows, n_columns))
    q, r = np.linalg.qr(gaussian)
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    return q * signs


def random_tucker_stack(kernel_shape: Sequence[int], n_kernels: int, ranks: Sequence[int],
                        rng: np.random.Generator | int) -> TuckerTensor:
    """A random Tucker stacked kernel as in 003 §4.1: standard normal core, orthonormal factors.

    A_stack = G ×_1 H^(1) ⋯ ×_{N+1} H^(N+1) (003 Eq. 8), float64 numpy.

    Parameters
    ----------
    kernel_shape : tuple of N ints
        l.
    n_kernels : int
        K.
    ranks : tuple of N + 1 ints
        (R_1, …, R_{N+1}), with R_j ≤ l_j and R_{N+1} ≤ K.
    rng : numpy.random.Generator or int seed

    Returns
    -------
    TuckerTensor
        core of shape (R_1, …, R_{N+1}); factors of shapes (l_j, R_j) and (K, R_{N+1}).
    """
    kernel_shape = normalize_shape(kernel_shape, "kernel_shape")
    (n_kernels,) = normalize_shape(n_kernels, "n_kernels")
    ranks = check_tucker_ranks(ranks, kernel_shape, n_kernels)
    rng = as_generator(rng, "rng", allow_none=False)
    core = rng.standard_normal(ranks)
    factors = [orthonormal_columns(size, rank, rng)
               for size, rank in zip((*kernel_shape, n_kernels), ranks, strict=True)]
    with tl.backend_context("numpy"):  # TensorLy validates on the global backend
        return TuckerTensor((core, factors))


def random_cp_stack(kernel_shape: Sequence[int], n_kernels: int, rank: int,
                    rng: np.random.Generator | int, orthonormal: bool = True) -> CPTensor:
    """A random CP stacked kernel A_stack = Σ_r h_r^(1) ∘ ⋯ ∘ h_r^(N+1) (003 App. A.5.1).

    Parameters
    ----------
    kernel_shape : tuple of N ints
        l.
    n_kernels : int
        K.
    rank : int
        R.
    rng : numpy.random.Generator or int seed
    orthonormal : bool, default True
        Factor matrices with orthonormal columns, as in the paper (needs R ≤ l_j and R ≤ K).
        With False, each column is an independent uniformly random unit vector, which allows
        R larger than the mode sizes.

    Returns
    -------
    CPTensor
        weights = ones(R); factors of shapes (l_j, R) and (K, R).
    """
    kernel_shape = normalize_shape(kernel_shape, "kernel_shape")
    (n_kernels,) = normalize_shape(n_kernels, "n_kernels")
    rank = check_cp_rank(rank)
    if not isinstance(orthonormal, bool | np.bool_):
        raise TypeError(f"orthonormal must be a bool, got {orthonormal!r}")
    rng = as_generator(rng, "rng", allow_none=False)
    sizes = (*kernel_shape, n_kernels)
    if orthonormal:
        too_small = [size for size in sizes if size < rank]
        if too_small:
            raise ValueError(
                f"rank = {rank} exceeds a mode size of the stacked kernel {sizes}; orthonormal "
                "factor columns need rank <= every mode size (pass orthonormal=False)"
            )
        factors = [orthonormal_columns(size, rank, rng) for size in sizes]
    else:
        factors = []
        for size in sizes:
            columns = rng.standard_normal((size, rank))
            factors.append(columns / np.linalg.norm(columns, axis=0, keepdims=True))
    with tl.backend_context("numpy"):
        return CPTensor((np.ones(rank), factors))


def check_stacked(stacked: Any, name: str = "stacked") -> TuckerTensor | CPTensor:
    """Validate a Tucker or CP stacked kernel and return it (its shapes are consistent)."""
    if isinstance(stacked, TuckerTensor):
        core, factors = stacked
        if len(core.shape) != len(factors) or len(factors) < 2:
            raise ValueError(f"{name}: the core must have one mode per factor (N + 1 >= 2)")
        for j, factor in enumerate(factors):
            if len(factor.shape) != 2 or tuple(factor.shape)[1] != tuple(core.shape)[j]:
                raise ValueError(
                    f"{name}: factor {j} must have shape (size, {tuple(core.shape)[j]}), got "
                    f"{tuple(factor.shape)}"
                )
        return stacked
    if isinstance(stacked, CPTensor):
        weights, factors = stacked
        if len(factors) < 2:
            raise ValueError(f"{name}: a stacked kernel has N + 1 >= 2 modes")
        rank = tuple(factors[0].shape)[1]
        if any(len(f.shape) != 2 or tuple(f.shape)[1] != rank for f in factors):
            raise ValueError(f"{name}: all CP factors must have shape (size, R) with one R")
        if weights is not None and tuple(weights.shape) != (rank,):
            raise ValueError(f"{name}: CP weights must have shape ({rank},)")
        return stacked
    raise TypeError(
        f"{name} must be a tensorly TuckerTensor or CPTensor of A_stack (l_1, ..., l_N, K), "
        f"got {type(stacked).__name__}"
    )


def stacked_rank(stacked: TuckerTensor | CPTensor) -> int:
    """R_{N+1} (Tucker) or R (CP): the rank of A_stack along the kernel mode."""
    stacked = check_stacked(stacked)
    if isinstance(stacked, TuckerTensor):
        return int(tuple(stacked.core.shape)[-1])
    return int(tuple(stacked.factors[0].shape)[1])


def kr_ratio(stacked: TuckerTensor | CPTensor) -> float:
    """t = K / R_{N+1} (Tucker) or K / R (CP), the K/R ratio of 003 §3 and §4.2."""
    stacked = check_stacked(stacked)
    return tuple(stacked.factors[-1].shape)[0] / stacked_rank(stacked)


def unstack_kernels(stacked: TuckerTensor | CPTensor) -> Any:
    """The kernels A_k = A_stack[..., k] as one array of shape (K, l_1, …, l_N).

    Uses ``tl.tucker_to_tensor`` / ``tl.cp_to_tensor`` on the backend of the factors.
    """
    stacked = check_stacked(stacked)
    with on_backend_of(stacked.factors[0]):
        if isinstance(stacked, TuckerTensor):
            full = tl.tucker_to_tensor(stacked)
        else:
            full = tl.cp_to_tensor(stacked)
        return tl.moveaxis(full, -1, 0)


def compressed_composite_weight(spec: CNNSpec, stacked: TuckerTensor | CPTensor, B: Any) -> Any:
    """W_X of a CNN whose stacked kernel is compressed (003 Eq. 4 with Eq. 8).

    Parameters
    ----------
    spec : CNNSpec
        The architecture; ``spec.kernel_shape`` must be (l_1, …, l_N) and
        ``spec.n_kernels`` must be K of ``stacked``.
    stacked : TuckerTensor or CPTensor
        A_stack of shape (l_1, …, l_N, K).
    B : array of shape (K, p_1, …, p_N)

    Returns
    -------
    array of shape (d_1, …, d_N)
    """
    if not isinstance(spec, CNNSpec):
        raise TypeError(f"spec must be a CNNSpec, got {type(spec).__name__}")
    A = unstack_kernels(stacked)
    expected = (spec.n_kernels, *spec.kernel_shape)
    if tuple(A.shape) != expected:
        raise ValueError(
            f"stacked has shape {(*A.shape[1:], A.shape[0])} (l_1..l_N, K), but spec expects "
            f"{(*spec.kernel_shape, spec.n_kernels)}"
        )
    return spec.composite_weight(A, as_array(B, "B", reference=A))
