"""DeepCNNSpec (nested-doll form, 003 Eq. 7) against the real multi-stage network."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tensorcnn import CNNSpec, ConvPoolStage, DeepCNNSpec
from tensorcnn.cnn import network_forward

from .reference import loop_network
from .strategies import pool_stride_of, pooled_shape_of, stage_geometry


@st.composite
def deep_problem(draw, n_modes, n_stages, max_size=10):
    geometries, stages = [], []
    shape = None
    for index in range(n_stages):
        geometry = draw(stage_geometry(n_modes, input_shape=shape,
                                       max_size=max_size if index == 0 else 0, max_kernel=3))
        geometries.append(geometry)
        channels = draw(st.integers(1, 3))
        stages.append(ConvPoolStage(geometry["kernel_shape"], geometry["pool_shape"], channels,
                                    geometry["stride"], geometry["padding"],
                                    geometry["pool_stride"]))
        shape = pooled_shape_of(geometry)
    spec = DeepCNNSpec(geometries[0]["input_shape"], stages)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kernels = [rng.standard_normal(s) for s in spec.kernel_shapes]
    B = rng.standard_normal(spec.fc_shape)
    X = rng.standard_normal((draw(st.integers(1, 3)), *spec.input_shape))
    loop_stages = [(g["stride"], g["padding"], g["pool_shape"], pool_stride_of(g))
                   for g in geometries]
    return spec, kernels, B, X, loop_stages


def assert_close(actual, expected):
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=0, atol=1e-8 * scale)


@given(st.data())
def test_deep_equals_torch_network(data):
    """2 and 3 stages, N <= 3, per-stage stride, padding and (overlapping) pooling."""
    n_modes = data.draw(st.integers(1, 3))
    n_stages = data.draw(st.integers(2, 3))
    spec, kernels, B, X, stages = data.draw(deep_problem(n_modes, n_stages,
                                                         max_size=14 if n_modes < 3 else 9))
    F = torch.nn.functional
    conv = (F.conv1d, F.conv2d, F.conv3d)[n_modes - 1]
    pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[n_modes - 1]
    out = torch.from_numpy(X)[:, None]
    for kernel, (stride, padding, window, pool_stride) in zip(kernels, stages):
        out = conv(out, torch.from_numpy(kernel), stride=stride, padding=padding)
        out = pool(out, window, stride=pool_stride)
    expected = (out * torch.from_numpy(B)).flatten(1).sum(1).numpy()
    assert_close(spec.forward(X, kernels, B), expected)
    assert_close(network_forward(spec, X, kernels, B).numpy(), expected)
    n = X.shape[0]
    assert_close(spec.design(X).reshape(n, -1) @ np.asarray(spec.weight(kernels, B)).ravel(),
                 expected)


@given(st.data())
def test_deep_equals_loop_reference_four_modes(data):
    spec, kernels, B, X, stages = data.draw(deep_problem(4, 2, max_size=7))
    assert_close(spec.forward(X, kernels, B), loop_network(X, kernels, B, stages))


@given(st.data())
def test_composite_weight_is_the_linear_map(data):
    n_modes = data.draw(st.integers(1, 2))
    spec, kernels, B, _, stages = data.draw(deep_problem(n_modes, 2, max_size=9))
    D = int(np.prod(spec.input_shape))
    basis = np.eye(D).reshape(D, *spec.input_shape)
    expected = loop_network(basis, kernels, B, stages).reshape(spec.input_shape)
    assert_close(spec.composite_weight(kernels, B), expected)


def test_single_channel_two_stage_is_paper_eq7():
    """C_s = 1: W = B (x) A~ (x) A, and U_DF = (U^(j) x_3 U~^(j))_(1) as in App. A.2."""
    rng = np.random.default_rng(3)
    spec = DeepCNNSpec((9, 8), [ConvPoolStage((2, 3), (2, 2)), ConvPoolStage((2, 1), (1, 2))])
    A = rng.standard_normal((1, 1, 2, 3))
    A2 = rng.standard_normal((1, 1, 2, 1))
    B = rng.standard_normal(spec.fc_shape)
    W = np.asarray(spec.weight([A, A2], B))
    expected = np.kron(np.kron(B[0], A2[0, 0]), A[0, 0])  # numpy kron: left operand slow
    np.testing.assert_allclose(W, expected, atol=1e-14)
    first = CNNSpec((9, 8), (2, 3), (2, 2), 1)
    second = CNNSpec(first.pooled_shape, (2, 1), (1, 2), 1)
    for j, nested in enumerate(spec.nested_factors()):
        U = first.positioning_factors()[j].reshape(9 if j == 0 else 8, first.pooled_shape[j], -1)
        U_tilde = second.positioning_factors()[j]  # (p_j, l~_j p~_j)
        manual = np.einsum("xia,ic->xca", U, U_tilde).reshape(U.shape[0], -1)
        np.testing.assert_allclose(nested, manual, atol=1e-15)


def test_one_stage_deep_equals_cnnspec():
    rng = np.random.default_rng(0)
    spec = CNNSpec((7, 6, 5), (2, 3, 2), (2, 2, 1), 3, stride=(1, 2, 1), padding=1)
    A = rng.standard_normal((3, 2, 3, 2))
    B = rng.standard_normal((3, *spec.pooled_shape))
    X = rng.standard_normal((4, 7, 6, 5))
    deep = spec.to_deep()
    np.testing.assert_allclose(deep.forward(X, [A[:, None]], B), spec.forward(X, A, B),
                               atol=1e-12)
    np.testing.assert_allclose(deep.nested_factors()[0], spec.positioning_factors()[0])
    assert deep.n_weights == 3 * 12 + B.size


def test_deep_bad_input():
    with pytest.raises(ValueError, match="stages"):
        DeepCNNSpec((8, 8), [])
    with pytest.raises(TypeError, match="ConvPoolStage"):
        DeepCNNSpec((8, 8), [((2, 2), (2, 2))])
    with pytest.raises(ValueError, match=r"stages\[1\].*kernel_shape"):
        DeepCNNSpec((8, 8), [ConvPoolStage((3, 3), (3, 3)), ConvPoolStage((3, 3), (1, 1))])
    spec = DeepCNNSpec((8, 8), [ConvPoolStage((3, 3), (2, 2), 2), ConvPoolStage((2, 2), (1, 1))])
    kernels = [np.ones(s) for s in spec.kernel_shapes]
    with pytest.raises(ValueError, match="one per stage"):
        spec.weight(kernels[:1], np.ones(spec.fc_shape))
    with pytest.raises(ValueError, match=r"kernels\[1\] must have shape \(1, 2, 2, 2\)"):
        spec.weight([kernels[0], np.ones((2, 2, 2))], np.ones(spec.fc_shape))
    with pytest.raises(ValueError, match="B must have shape"):
        spec.weight(kernels, np.ones((2, 2)))
