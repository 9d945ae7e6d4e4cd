"""Explicit-loop reference CNN, written from the definitions and sharing no library code.

Used as the independent computation for every public value of ``tensorcnn.cnn``.
"""

from __future__ import annotations

import itertools

import numpy as np


def window_starts(size: int, kernel: int, stride: int, padding: int) -> list[int]:
    """Start positions (in the padded input) of every full window, by enumeration."""
    starts, start = [], 0
    while start + kernel <= size + 2 * padding:
        starts.append(start)
        start += stride
    return starts


def pool_starts(size: int, window: int, stride: int) -> list[int]:
    starts, start = [], 0
    while start + window <= size:
        starts.append(start)
        start += stride
    return starts


def loop_conv(X, A, stride, padding):
    """Cross-correlation. X (n, C_in, *d), A (C_out, C_in, *l) -> (n, C_out, *m)."""
    n_modes = X.ndim - 2
    Xp = np.pad(X, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    starts = [window_starts(X.shape[2 + j], A.shape[2 + j], stride[j], padding[j])
              for j in range(n_modes)]
    out = np.zeros((X.shape[0], A.shape[0], *map(len, starts)))
    axes = list(range(1, n_modes + 2))
    for index in itertools.product(*(range(len(s)) for s in starts)):
        window = Xp[(slice(None), slice(None)) + tuple(
            slice(starts[j][i], starts[j][i] + A.shape[2 + j]) for j, i in enumerate(index))]
        out[(slice(None), slice(None)) + index] = np.tensordot(window, A, axes=(axes, axes))
    return out


def loop_avg_pool(Y, window, stride):
    """Average pooling without padding, floor mode. Y (n, C, *m) -> (n, C, *p)."""
    n_modes = Y.ndim - 2
    starts = [pool_starts(Y.shape[2 + j], window[j], stride[j]) for j in range(n_modes)]
    out = np.zeros((*Y.shape[:2], *map(len, starts)))
    for index in itertools.product(*(range(len(s)) for s in starts)):
        block = Y[(slice(None), slice(None)) + tuple(
            slice(starts[j][i], starts[j][i] + window[j]) for j, i in enumerate(index))]
        out[(slice(None), slice(None)) + index] = block.reshape(*Y.shape[:2], -1).mean(-1)
    return out


def loop_network(X, kernels, B, stages):
    """Deep network. ``stages``: list of (stride, padding, pool, pool_stride) tuples."""
    out = X[:, None]
    for kernel, (stride, padding, pool, pool_stride) in zip(kernels, stages):
        out = loop_avg_pool(loop_conv(out, kernel, stride, padding), pool, pool_stride)
    return (out * B[None]).reshape(out.shape[0], -1).sum(axis=1)


def loop_design(X, kernel_shape, stride, padding, pool, pool_stride):
    """Z[n, (b_j l_j + a_j)_j] = mean over pooled window b of X_pad[n, start_k + a]."""
    n_modes = X.ndim - 1
    Xp = np.pad(X, [(0, 0)] + [(p, p) for p in padding])
    conv = [window_starts(X.shape[1 + j], kernel_shape[j], stride[j], padding[j])
            for j in range(n_modes)]
    pools = [pool_starts(len(conv[j]), pool[j], pool_stride[j]) for j in range(n_modes)]
    p_shape = [len(s) for s in pools]
    Z = np.zeros((X.shape[0], *(l * p for l, p in zip(kernel_shape, p_shape))))
    for b in itertools.product(*(range(p) for p in p_shape)):
        members = [conv[j][pools[j][b[j]]: pools[j][b[j]] + pool[j]] for j in range(n_modes)]
        for a in itertools.product(*(range(l) for l in kernel_shape)):
            values = [Xp[(slice(None),) + tuple(k + a[j] for j, k in enumerate(pos))]
                      for pos in itertools.product(*members)]
            Z[(slice(None),) + tuple(bj * l + aj for bj, aj, l in zip(b, a, kernel_shape))] = (
                np.mean(values, axis=0))
    return Z


def block_positioning(size, kernel, stride, padding, index):
    """U_i as in 003 Eq. (2): [0_{i s}; I_l; 0_rest] on the padded input, padding rows cut."""
    padded = size + 2 * padding
    full = np.vstack([np.zeros((index * stride, kernel)), np.eye(kernel),
                      np.zeros((padded - index * stride - kernel, kernel))])
    return full[padding: padding + size]
