"""Model complexity of compressed CNNs: d_M^TU and d_M^CP (003 §3, Theorem 2).

These are the paper's counts of free parameters of a conv → average-pool → FC network
whose stacked kernel A_stack ∈ R^{l_1×⋯×l_N×K} is constrained to a Tucker or CP form. After
the reduction of Corollary 1 the FC weights that matter are the R_{N+1} (or R) combined
B̃_r ∈ R^{p_1×⋯×p_N}, which is why K does not appear.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .._validation import check_int
from ..cnn.geometry import normalize_shape

__all__ = ["check_cp_rank", "check_tucker_ranks", "cp_n_free_params", "cp_n_params",
           "tucker_n_params"]


def check_tucker_ranks(ranks: Sequence[int], kernel_shape: Sequence[int],
                       n_kernels: int | None = None, name: str = "ranks") -> tuple[int, ...]:
    """Validate Tucker ranks (R_1, …, R_{N+1}) of a stacked kernel (l_1, …, l_N, K).

    Raises
    ------
    ValueError
        If ``ranks`` does not have N + 1 entries, an entry is < 1, R_j > l_j for a kernel
        mode, or R_{N+1} > K (when ``n_kernels`` is given).
    TypeError
        If an entry is not an int.
    """
    kernel_shape = normalize_shape(kernel_shape, "kernel_shape")
    n_modes = len(kernel_shape)
    ranks = normalize_shape(ranks, name)
    if len(ranks) != n_modes + 1:
        raise ValueError(
            f"{name} must have N + 1 = {n_modes + 1} entries (R_1..R_N for the kernel modes "
            f"{kernel_shape} and R_{{N+1}} for the kernel index), got {ranks}"
        )
    for j, (rank, size) in enumerate(zip(ranks[:-1], kernel_shape, strict=True)):
        if rank > size:
            raise ValueError(
                f"{name}[{j}] = {rank} exceeds the kernel mode size l_{j + 1} = {size}; a "
                "Tucker rank is at most the size of its mode"
            )
    if n_kernels is not None:
        (n_kernels,) = normalize_shape(n_kernels, "n_kernels")
        if ranks[-1] > n_kernels:
            raise ValueError(
                f"{name}[{n_modes}] = R_{{N+1}} = {ranks[-1]} exceeds the number of kernels "
                f"K = {n_kernels}"
            )
    return ranks


def check_cp_rank(rank: int, name: str = "rank") -> int:
    """Validate a CP rank R (a positive int); :func:`tensorcnn._validation.check_int`."""
    return check_int(rank, name)


def tucker_n_params(kernel_shape: Sequence[int], pooled_shape: Sequence[int],
                    ranks: Sequence[int], n_kernels: int | None = None) -> int:
    r"""d_M^TU, the model complexity of a Tucker-compressed CNN (003 §3, Theorem 2).

    .. math:: d_M^{TU} = \prod_{j=1}^{N+1} R_j + \sum_{i=1}^N l_i R_i + R_{N+1} P,
              \quad P = \prod_j p_j.

    Parameters
    ----------
    kernel_shape : tuple of N ints
        l = (l_1, …, l_N).
    pooled_shape : tuple of N ints
        p = (p_1, …, p_N), the shape of each FC weight B_k.
    ranks : tuple of N + 1 ints
        Tucker ranks (R_1, …, R_{N+1}) of A_stack ∈ R^{l_1×⋯×l_N×K}.
    n_kernels : int, optional
        K; when given, R_{N+1} ≤ K is checked as well.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        Shapes of different lengths, sizes < 1, a rank tuple of the wrong length, or a rank
        larger than its mode.

    Examples
    --------
    >>> tucker_n_params((5, 5, 3), (2, 2, 2), (2, 2, 2, 1))
    42
    """
    kernel_shape = normalize_shape(kernel_shape, "kernel_shape")
    pooled_shape = normalize_shape(pooled_shape, "pooled_shape", len(kernel_shape))
    ranks = check_tucker_ranks(ranks, kernel_shape, n_kernels)
    core = math.prod(ranks)
    factors = sum(l * r for l, r in zip(kernel_shape, ranks[:-1], strict=True))
    return core + factors + ranks[-1] * math.prod(pooled_shape)


def cp_n_params(kernel_shape: Sequence[int], pooled_shape: Sequence[int], rank: int) -> int:
    r"""d_M^CP, the model complexity of a CP-compressed CNN as the paper counts it (003 §3).

    .. math:: d_M^{CP} = R^{N+1} + R\Big(\sum_{i=1}^N l_i + P\Big).

    This is the paper's formula, which counts a CP decomposition of rank R as a Tucker
    decomposition with all ranks R (a full R^{N+1} core). A CP model has only a diagonal
    core, so its free parameters are fewer (:func:`cp_n_free_params`); the paper's value is
    kept because Theorem 2 is stated with it. R may exceed the kernel sizes (a CP rank can).

    Parameters
    ----------
    kernel_shape : tuple of N ints
        l = (l_1, …, l_N).
    pooled_shape : tuple of N ints
        p = (p_1, …, p_N).
    rank : int
        CP rank R of A_stack.

    Returns
    -------
    int

    Examples
    --------
    >>> cp_n_params((2, 2, 2), (2, 2, 2), 2)
    44
    """
    free = cp_n_free_params(kernel_shape, pooled_shape, rank)  # validates the arguments
    return int(rank) ** (len(kernel_shape) + 1) + free


def cp_n_free_params(kernel_shape: Sequence[int], pooled_shape: Sequence[int],
                     rank: int) -> int:
    r"""Free parameters of a CP-compressed CNN of rank R: R(Σ_i l_i + P).

    R rank-one kernels a_r^(1) ∘ ⋯ ∘ a_r^(N) and R FC tensors B̃_r; the R weights of the
    diagonal core are absorbed by the scales of the B̃_r. This is the count the sample-size
    checks use; Theorem 2's :func:`cp_n_params` adds a full R^{N+1} core on top.

    Parameters
    ----------
    kernel_shape : tuple of N ints
        l = (l_1, …, l_N).
    pooled_shape : tuple of N ints
        p = (p_1, …, p_N).
    rank : int
        CP rank R.

    Returns
    -------
    int

    Examples
    --------
    >>> cp_n_free_params((2, 2, 2), (2, 2, 2), 2)
    28
    """
    kernel_shape = normalize_shape(kernel_shape, "kernel_shape")
    pooled_shape = normalize_shape(pooled_shape, "pooled_shape", len(kernel_shape))
    rank = check_cp_rank(rank)
    return rank * (sum(kernel_shape) + math.prod(pooled_shape))
