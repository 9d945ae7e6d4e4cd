"""Bad input gives a ValueError/TypeError that names the argument and the expectation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tensorcnn import CNNSpec

SPEC = CNNSpec((7, 5, 7), (2, 2, 2), (3, 2, 3), 3)
GOOD_A = np.ones((3, 2, 2, 2))
GOOD_B = np.ones((3, 2, 2, 2))
GOOD_X = np.ones((4, 7, 5, 7))


@given(d=st.integers(1, 8), extra=st.integers(1, 5), pad=st.integers(0, 2))
def test_kernel_larger_than_padded_input(d, extra, pad):
    with pytest.raises(ValueError, match="kernel_shape"):
        CNNSpec((d, 4), (d + 2 * pad + extra, 1), (1, 1), 1, padding=pad)


@given(d=st.integers(1, 8), l=st.integers(1, 8), extra=st.integers(1, 4))
def test_pool_larger_than_conv_output(d, l, extra):
    if l > d:
        return
    m = d - l + 1
    with pytest.raises(ValueError, match="pool_shape"):
        CNNSpec((d,), (l,), (m + extra,), 1)


@pytest.mark.parametrize("kwargs, match", [
    (dict(kernel_shape=(2, 2)), "kernel_shape must have 3 entries"),
    (dict(pool_shape=(1, 1, 1, 1)), "pool_shape must have 3 entries"),
    (dict(input_shape=(7, 0, 7)), "input_shape entries must be >= 1"),
    (dict(kernel_shape=(2, -1, 2)), "kernel_shape entries must be >= 1"),
    (dict(n_kernels=0), "n_kernels must be >= 1"),
    (dict(stride=0), "stride must be >= 1"),
    (dict(stride=(1, 1)), "stride must have 3 entries"),
    (dict(padding=-1), "padding must be >= 0"),
    (dict(pool_stride=(0, 1, 1)), "pool_stride entries must be >= 1"),
    (dict(input_shape=()), "input_shape must have at least one mode"),
])
def test_bad_geometry_values(kwargs, match):
    arguments = dict(input_shape=(7, 5, 7), kernel_shape=(2, 2, 2), pool_shape=(3, 2, 3),
                     n_kernels=3) | kwargs
    with pytest.raises(ValueError, match=match):
        CNNSpec(**arguments)


@pytest.mark.parametrize("kwargs, match", [
    (dict(kernel_shape=(2, 2.5, 2)), "kernel_shape must contain ints"),
    (dict(input_shape="abc"), "input_shape must contain ints"),
    (dict(n_kernels=2.0), "n_kernels"),
    (dict(stride=True), "stride"),
    (dict(pool_shape=None), "pool_shape must be a tuple of ints"),
])
def test_bad_geometry_types(kwargs, match):
    arguments = dict(input_shape=(7, 5, 7), kernel_shape=(2, 2, 2), pool_shape=(3, 2, 3),
                     n_kernels=3) | kwargs
    with pytest.raises(TypeError, match=match):
        CNNSpec(**arguments)


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=5))
def test_wrong_weight_shapes(shape):
    shape = tuple(shape)
    if shape != GOOD_A.shape:
        with pytest.raises(ValueError, match=r"A must have shape \(3, 2, 2, 2\)"):
            SPEC.composite_weight(np.ones(shape), GOOD_B)
    if shape != GOOD_B.shape:
        with pytest.raises(ValueError, match=r"B must have shape \(3, 2, 2, 2\)"):
            SPEC.forward(GOOD_X, GOOD_A, np.ones(shape))


@given(shape=st.lists(st.integers(1, 8), min_size=0, max_size=5))
def test_wrong_input_shapes(shape):
    shape = tuple(shape)
    if len(shape) == 4 and shape[1:] == (7, 5, 7):
        return
    with pytest.raises(ValueError, match=r"X must have shape \(n, 7, 5, 7\)"):
        SPEC.design(np.ones(shape))
    with pytest.raises(ValueError, match="X must have shape"):
        SPEC.forward(np.ones(shape), GOOD_A, GOOD_B)


@given(bad=st.sampled_from([np.nan, np.inf, -np.inf]), which=st.sampled_from("XAB"),
       use_torch=st.booleans())
def test_non_finite_values(bad, which, use_torch):
    arrays = {"X": GOOD_X.copy(), "A": GOOD_A.copy(), "B": GOOD_B.copy()}
    arrays[which].flat[0] = bad
    if use_torch:
        arrays = {k: torch.from_numpy(v) for k, v in arrays.items()}
    with pytest.raises(ValueError, match=f"{which} contains NaN or infinite values"):
        SPEC.forward(arrays["X"], arrays["A"], arrays["B"])


def test_non_numeric_arrays():
    with pytest.raises(TypeError, match="X must be a real numeric array"):
        SPEC.design(np.array([["a"]]))
    with pytest.raises(TypeError, match="A must be real-valued"):
        SPEC.weight(torch.ones((3, 2, 2, 2), dtype=torch.complex64), GOOD_B)
    with pytest.raises(TypeError, match="A must be a real numeric array"):
        SPEC.weight(GOOD_A.astype(complex), GOOD_B)


def test_integer_and_list_inputs_are_promoted():
    y = SPEC.forward(GOOD_X.astype(int).tolist(), GOOD_A.astype(int), GOOD_B)
    np.testing.assert_allclose(y, SPEC.forward(GOOD_X, GOOD_A, GOOD_B))
