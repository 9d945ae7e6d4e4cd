"""Hypothesis strategies for valid CNN geometries."""

from __future__ import annotations

from hypothesis import strategies as st

from .reference import pool_starts, window_starts


@st.composite
def stage_geometry(draw, n_modes: int, input_shape=None, max_size: int = 6,
                   max_kernel: int = 3):
    """Per-mode (d, l, stride, padding, q, pool_stride or None) of a valid stage."""
    d_out, l_out, s_out, pad_out, q_out, sp_out = [], [], [], [], [], []
    overlapping = draw(st.booleans())
    for j in range(n_modes):
        l = draw(st.integers(1, max_kernel))
        pad = draw(st.integers(0, 1))
        s = draw(st.integers(1, 2))
        if input_shape is None:
            d = draw(st.integers(max(1, l - 2 * pad), max_size))
        else:
            d = input_shape[j]
            if d + 2 * pad < l:
                l = d + 2 * pad
        m = len(window_starts(d, l, s, pad))
        q = draw(st.integers(1, min(m, 3)))
        sp = draw(st.integers(1, q + 1)) if overlapping else q
        d_out.append(d), l_out.append(l), s_out.append(s), pad_out.append(pad)
        q_out.append(q), sp_out.append(sp)
    return dict(input_shape=tuple(d_out), kernel_shape=tuple(l_out), stride=tuple(s_out),
                padding=tuple(pad_out), pool_shape=tuple(q_out),
                pool_stride=None if not overlapping else tuple(sp_out))


def pooled_shape_of(geometry) -> tuple[int, ...]:
    """p by enumeration (independent of the library)."""
    shape = []
    for j, d in enumerate(geometry["input_shape"]):
        m = len(window_starts(d, geometry["kernel_shape"][j], geometry["stride"][j],
                              geometry["padding"][j]))
        q = geometry["pool_shape"][j]
        sp = q if geometry["pool_stride"] is None else geometry["pool_stride"][j]
        shape.append(len(pool_starts(m, q, sp)))
    return tuple(shape)


def pool_stride_of(geometry) -> tuple[int, ...]:
    return geometry["pool_shape"] if geometry["pool_stride"] is None else geometry["pool_stride"]
