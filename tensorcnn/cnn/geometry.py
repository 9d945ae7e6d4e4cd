"""Geometry of one conv → average-pool stage, and its positioning matrices (003 §2.2, App. A.1).

Everything here is fixed by the architecture alone, so it is computed once, in float64
numpy, and converted to the backend of the data when it is used.

Conventions (0-based indices; see ``docs/conventions.md``):

* conv output size ``m_j = ⌊(d_j + 2π_j − l_j)/s_c⌋ + 1`` and pooled size
  ``p_j = ⌊(m_j − q_j)/s_p⌋ + 1``, exactly as ``torch.nn.functional.conv*d`` and
  ``avg_pool*d`` (``ceil_mode=False``) compute them; input positions after the last window
  simply get zero rows.
* U_i^(j) ∈ R^{d_j × l_j} (003 Eq. 2/9) places the kernel at window ``i``: entry
  ``[i s_c + a − π_j, a] = 1``. Rows that fall into the zero padding are dropped, so
  U_i^(j) keeps the unpadded input size.
* U_{F,b}^(j) = q_j^{-1} Σ_{i ∈ window b} U_i^(j), window b = {b s_p, …, b s_p + q_j − 1},
  and U_F^(j) = [U_{F,0}^(j), …, U_{F,p_j−1}^(j)] ∈ R^{d_j × l_j p_j}.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._validation import check_int

__all__ = [
    "StageGeometry",
    "conv_output_size",
    "conv_positioning_matrices",
    "normalize_shape",
    "normalize_per_mode",
    "pool_output_size",
    "pooled_positioning_factor",
]


def normalize_shape(value: Sequence[int] | int, name: str, n_modes: int | None = None,
                    minimum: int = 1) -> tuple[int, ...]:
    """A shape argument as a tuple of ints ≥ ``minimum``, with a clear error otherwise."""
    if n_modes is not None:
        n_modes = check_int(n_modes, "n_modes")
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value),)
    try:
        entries = tuple(value)
    except TypeError as error:
        raise TypeError(f"{name} must be a tuple of ints, got {value!r}") from error
    if not entries:
        raise ValueError(f"{name} must have at least one mode, got {value!r}")
    for entry in entries:
        if isinstance(entry, bool) or not isinstance(entry, numbers.Integral):
            raise TypeError(f"{name} must contain ints, got {value!r}")
        if entry < minimum:
            raise ValueError(f"{name} entries must be >= {minimum}, got {value!r}")
    if n_modes is not None and len(entries) != n_modes:
        raise ValueError(
            f"{name} must have {n_modes} entries (one per input mode), got {value!r}"
        )
    return tuple(int(e) for e in entries)


def normalize_per_mode(value: Sequence[int] | int, name: str, n_modes: int,
                       minimum: int) -> tuple[int, ...]:
    """An int (same for every mode) or a tuple with one int per mode."""
    n_modes = check_int(n_modes, "n_modes")
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
        return (int(value),) * n_modes
    return normalize_shape(value, name, n_modes, minimum)


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Number of convolution windows, ⌊(d + 2π − l)/s_c⌋ + 1.

    Raises
    ------
    TypeError, ValueError
        If a size is not a positive integer (padding: non-negative), or the kernel does
        not fit in the padded input (no window).
    """
    size, kernel = check_int(size, "size"), check_int(kernel, "kernel")
    stride, padding = check_int(stride, "stride"), check_int(padding, "padding", minimum=0)
    if kernel > size + 2 * padding:
        raise ValueError(f"kernel = {kernel} exceeds the padded input size size + 2 * padding "
                         f"= {size + 2 * padding}")
    return (size + 2 * padding - kernel) // stride + 1


def pool_output_size(size: int, window: int, stride: int) -> int:
    """Number of pooling windows, ⌊(m − q)/s_p⌋ + 1 (``ceil_mode=False``).

    Raises
    ------
    TypeError, ValueError
        If a size is not a positive integer or the window exceeds ``size``.
    """
    size, window, stride = check_int(size, "size"), check_int(window, "window"), \
        check_int(stride, "stride")
    if window > size:
        raise ValueError(f"window = {window} exceeds size = {size}")
    return (size - window) // stride + 1


def conv_positioning_matrices(size: int, kernel: int, stride: int = 1,
                              padding: int = 0) -> np.ndarray:
    """All conv positioning matrices U_i of one mode (003 Eq. 2/9), stacked.

    Parameters
    ----------
    size, kernel, stride, padding : int
        d_j, l_j, s_c and the zero padding π_j of this mode.

    Returns
    -------
    ndarray of shape (m_j, d_j, l_j)
        ``U[i]`` is U_{i+1}^(j) of the paper (1-based there); rows in the padding dropped.
    """
    n_windows = conv_output_size(size, kernel, stride, padding)
    window, offset = np.meshgrid(np.arange(n_windows), np.arange(kernel), indexing="ij")
    row = window * stride + offset - padding
    inside = (row >= 0) & (row < size)
    matrices = np.zeros((n_windows, size, kernel))
    matrices[window[inside], row[inside], offset[inside]] = 1.0
    return matrices


def pooled_positioning_factor(size: int, kernel: int, stride: int, padding: int,
                              pool: int, pool_stride: int) -> np.ndarray:
    """Pooled positioning factor U_F^(j) of one mode (003 §2.2).

    Returns
    -------
    ndarray of shape (d_j, l_j p_j)
        Column ``b * l_j + a`` is column ``a`` of U_{F,b}^(j) = q_j^{-1} Σ_{i∈window b} U_i^(j).
    """
    positioning = conv_positioning_matrices(size, kernel, stride, padding)
    n_conv = positioning.shape[0]
    pool, pool_stride = check_int(pool, "pool"), check_int(pool_stride, "pool_stride")
    if pool > n_conv:
        raise ValueError(f"pool = {pool} exceeds the convolution output size {n_conv}")
    n_pooled = pool_output_size(n_conv, pool, pool_stride)
    # Pooling matrix Q (p_j × m_j): Q[b, i] = 1/q for i in window b.
    pooling = np.zeros((n_pooled, n_conv))
    for b in range(n_pooled):
        pooling[b, b * pool_stride: b * pool_stride + pool] = 1.0 / pool
    pooled = np.einsum("bi,ixa->xba", pooling, positioning)
    return pooled.reshape(size, n_pooled * kernel)


@dataclass(frozen=True)
class StageGeometry:
    """Validated geometry of one conv → average-pool stage on an N-mode input.

    Attributes
    ----------
    input_shape, kernel_shape, stride, padding, pool_shape, pool_stride : tuple of N ints
        d, l, s_c, π, q and s_p per mode.
    conv_shape : tuple of N ints
        m, the convolution output size.
    pooled_shape : tuple of N ints
        p, the pooled output size.
    """

    input_shape: tuple[int, ...]
    kernel_shape: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    pool_shape: tuple[int, ...]
    pool_stride: tuple[int, ...]
    conv_shape: tuple[int, ...]
    pooled_shape: tuple[int, ...]

    def __post_init__(self) -> None:
        """A geometry made directly (not by :meth:`build`) must be consistent: m and p are
        what d, l, s_c, π, q and s_p give."""
        rebuilt = StageGeometry.build.__func__(_Unchecked, self.input_shape, self.kernel_shape,
                                               self.pool_shape, self.stride, self.padding,
                                               self.pool_stride)
        for name in ("stride", "padding", "pool_stride", "conv_shape", "pooled_shape"):
            if tuple(getattr(self, name)) != getattr(rebuilt, name):
                raise ValueError(f"{name} must be {getattr(rebuilt, name)} for this geometry, "
                                 f"got {getattr(self, name)!r}")

    @classmethod
    def build(cls, input_shape, kernel_shape, pool_shape, stride=1, padding=0,
              pool_stride=None, input_name: str = "input_shape") -> StageGeometry:
        """Validate the arguments and compute m and p; raise ``ValueError`` when invalid."""
        d = normalize_shape(input_shape, input_name)
        n_modes = len(d)
        l = normalize_shape(kernel_shape, "kernel_shape", n_modes)
        q = normalize_shape(pool_shape, "pool_shape", n_modes)
        s_c = normalize_per_mode(stride, "stride", n_modes, minimum=1)
        pad = normalize_per_mode(padding, "padding", n_modes, minimum=0)
        s_p = q if pool_stride is None else normalize_per_mode(
            pool_stride, "pool_stride", n_modes, minimum=1)
        if any(lj > dj + 2 * pj for lj, dj, pj in zip(l, d, pad)):
            raise ValueError(
                f"kernel_shape {l} is larger than the padded input "
                f"{tuple(dj + 2 * pj for dj, pj in zip(d, pad))} ({input_name} {d}, "
                f"padding {pad}) in some mode; expected l_j <= d_j + 2*padding_j"
            )
        m = tuple(conv_output_size(*args) for args in zip(d, l, s_c, pad))
        if any(qj > mj for qj, mj in zip(q, m)):
            raise ValueError(
                f"pool_shape {q} is larger than the convolution output {m} in some mode; "
                "expected q_j <= m_j"
            )
        p = tuple(pool_output_size(*args) for args in zip(m, q, s_p))
        return cls(d, l, s_c, pad, q, s_p, m, p)

    @property
    def n_modes(self) -> int:
        """N, the number of tensor modes."""
        return len(self.input_shape)

    def conv_positioning_matrices(self) -> list[np.ndarray]:
        """[U^(1), …, U^(N)], each of shape (m_j, d_j, l_j) (003 Eq. 2)."""
        return [conv_positioning_matrices(d, l, s, p) for d, l, s, p in
                zip(self.input_shape, self.kernel_shape, self.stride, self.padding)]

    def pooled_factors(self) -> list[np.ndarray]:
        """[U_F^(1), …, U_F^(N)], each of shape (d_j, l_j p_j) (003 Eq. 4)."""
        return [pooled_positioning_factor(*args) for args in
                zip(self.input_shape, self.kernel_shape, self.stride, self.padding,
                    self.pool_shape, self.pool_stride)]


class _Unchecked:
    """What :meth:`StageGeometry.build` returns inside ``StageGeometry.__post_init__``."""

    def __init__(self, input_shape, kernel_shape, stride, padding, pool_shape, pool_stride,
                 conv_shape, pooled_shape) -> None:
        self.stride, self.padding, self.pool_stride = stride, padding, pool_stride
        self.conv_shape, self.pooled_shape = conv_shape, pooled_shape
