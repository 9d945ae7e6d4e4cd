"""CNNSpec against independent computations: explicit loops, torch's conv, brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tensorcnn import CNNSpec
from tensorcnn.cnn import network_forward

from .reference import block_positioning, loop_design, loop_network, window_starts
from .strategies import pool_stride_of, pooled_shape_of, stage_geometry


def make_spec(geometry, n_kernels):
    return CNNSpec(geometry["input_shape"], geometry["kernel_shape"], geometry["pool_shape"],
                   n_kernels, stride=geometry["stride"], padding=geometry["padding"],
                   pool_stride=geometry["pool_stride"])


def draw_problem(data, n_modes, max_size=6):
    geometry = data.draw(stage_geometry(n_modes, max_size=max_size), label="geometry")
    n_kernels = data.draw(st.integers(1, 4), label="K")
    n = data.draw(st.integers(1, 3), label="n")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    p_shape = pooled_shape_of(geometry)
    A = rng.standard_normal((n_kernels, *geometry["kernel_shape"]))
    B = rng.standard_normal((n_kernels, *p_shape))
    X = rng.standard_normal((n, *geometry["input_shape"]))
    return geometry, A, B, X


def loop_forward(geometry, X, A, B):
    stage = (geometry["stride"], geometry["padding"], geometry["pool_shape"],
             pool_stride_of(geometry))
    return loop_network(X, [A[:, None]], B, [stage])


def assert_close(actual, expected, rtol=1e-8):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rtol * scale)


def test_acceptance_example():
    spec = CNNSpec(input_shape=(7, 5, 7), kernel_shape=(2, 2, 2), pool_shape=(3, 2, 3),
                   n_kernels=3)
    assert spec.conv_shape == (6, 4, 6)
    assert spec.pooled_shape == (2, 2, 2)
    assert spec.n_params == 51


@given(st.data())
def test_shapes_and_n_params_by_enumeration(data):
    n_modes = data.draw(st.integers(1, 4))
    geometry = data.draw(stage_geometry(n_modes, max_size=9))
    K = data.draw(st.integers(1, 4))
    spec = make_spec(geometry, K)
    conv = tuple(len(window_starts(*args)) for args in zip(
        geometry["input_shape"], geometry["kernel_shape"], geometry["stride"],
        geometry["padding"]))
    assert spec.conv_shape == conv
    assert spec.pooled_shape == pooled_shape_of(geometry)
    P, L = math.prod(spec.pooled_shape), math.prod(geometry["kernel_shape"])
    assert spec.n_params == K * (P + L + 1)


@given(st.data())
def test_forward_equals_torch_network(data):
    """forward == torch conv{1,2,3}d + avg_pool + FC, N <= 3 (the issue's first check)."""
    n_modes = data.draw(st.integers(1, 3))
    geometry, A, B, X = draw_problem(data, n_modes)
    spec = make_spec(geometry, A.shape[0])
    F = {1: torch.nn.functional, 2: torch.nn.functional, 3: torch.nn.functional}[n_modes]
    conv = (F.conv1d, F.conv2d, F.conv3d)[n_modes - 1]
    pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[n_modes - 1]
    # Written out here rather than through tensorcnn.cnn.network_forward: fully independent.
    out = conv(torch.from_numpy(X)[:, None], torch.from_numpy(A)[:, None],
               stride=geometry["stride"], padding=geometry["padding"])
    out = pool(out, geometry["pool_shape"], stride=pool_stride_of(geometry))
    expected = (out * torch.from_numpy(B)).flatten(1).sum(1).numpy()
    assert_close(spec.forward(X, A, B), expected)
    assert_close(network_forward(spec, X, A, B).numpy(), expected)


@given(st.data())
def test_forward_equals_loop_reference_any_n(data):
    """forward == explicit loops for N = 1..4 (N = 4 has no torch convolution)."""
    n_modes = data.draw(st.integers(1, 4))
    geometry, A, B, X = draw_problem(data, n_modes, max_size=5 if n_modes == 4 else 6)
    spec = make_spec(geometry, A.shape[0])
    assert_close(spec.forward(X, A, B), loop_forward(geometry, X, A, B))


@given(st.data())
def test_tucker_like_identities(data):
    """forward = <X, W_X> = <Z, sum_k B_k (x) A_k>, each side from the loop reference."""
    n_modes = data.draw(st.integers(1, 4))
    geometry, A, B, X = draw_problem(data, n_modes, max_size=5)
    spec = make_spec(geometry, A.shape[0])
    n = X.shape[0]
    # W_X by brute force: the linear map's response to every basis input.
    D = math.prod(geometry["input_shape"])
    basis = np.eye(D).reshape(D, *geometry["input_shape"])
    W_X = loop_forward(geometry, basis, A, B).reshape(geometry["input_shape"])
    assert_close(spec.composite_weight(A, B), W_X)
    # Z by brute force: pooled windows of the padded input.
    Z = loop_design(X, geometry["kernel_shape"], geometry["stride"], geometry["padding"],
                    geometry["pool_shape"], pool_stride_of(geometry))
    assert_close(spec.design(X), Z)
    # W = sum_k B_k (x) A_k entry by entry, index i_j = b_j l_j + a_j.
    W = np.zeros(spec.weight_shape)
    for k in range(A.shape[0]):
        for b in np.ndindex(*spec.pooled_shape):
            for a in np.ndindex(*spec.kernel_shape):
                index = tuple(bj * l + aj for bj, aj, l in zip(b, a, spec.kernel_shape))
                W[index] += B[k][b] * A[k][a]
    assert_close(spec.weight(A, B), W)
    y = loop_forward(geometry, X, A, B)
    assert_close(X.reshape(n, -1) @ W_X.ravel(), y)
    assert_close(Z.reshape(n, -1) @ W.ravel(), y)


@given(st.data())
def test_positioning_factors_from_the_papers_block_form(data):
    """U_F^(j) = [U_F,1 .. U_F,p], U_F,b = q^-1 sum of the block matrices [0; I; 0]."""
    n_modes = data.draw(st.integers(1, 4))
    geometry = data.draw(stage_geometry(n_modes, max_size=8))
    spec = make_spec(geometry, 1)
    factors = spec.positioning_factors()
    conv_mats = spec.conv_positioning_matrices()
    sp = pool_stride_of(geometry)
    for j, (d, l, s, pad, q) in enumerate(zip(
            geometry["input_shape"], geometry["kernel_shape"], geometry["stride"],
            geometry["padding"], geometry["pool_shape"])):
        m, p = spec.conv_shape[j], spec.pooled_shape[j]
        blocks = [block_positioning(d, l, s, pad, i) for i in range(m)]
        np.testing.assert_array_equal(conv_mats[j], np.stack(blocks))
        expected = np.hstack([sum(blocks[b * sp[j] + k] for k in range(q)) / q
                              for b in range(p)])
        assert factors[j].shape == (d, l * p)
        np.testing.assert_allclose(factors[j], expected, rtol=0, atol=1e-15)
    if math.prod(geometry["input_shape"]) * math.prod(spec.weight_shape) <= 200_000:
        U_G = spec.design_matrix()
        expected = factors[0]
        for factor in factors[1:]:
            expected = np.kron(expected, factor)
        np.testing.assert_allclose(U_G, expected, rtol=0, atol=1e-15)


@given(st.data())
def test_design_matrix_gives_vec_z(data):
    """vec(Z) = U_G^T vec(X) with row-major vec."""
    n_modes = data.draw(st.integers(1, 3))
    geometry, _, _, X = draw_problem(data, n_modes, max_size=5)
    spec = make_spec(geometry, 1)
    Z = spec.design(X).reshape(X.shape[0], -1)
    assert_close(Z, X.reshape(X.shape[0], -1) @ spec.design_matrix())


def test_design_matrix_refuses_huge():
    spec = CNNSpec((32, 32, 16), (8, 8, 16), (5, 5, 1), 8)
    with pytest.raises(ValueError, match="max_entries"):
        spec.design_matrix()


@given(st.data())
def test_torch_backend_matches_numpy(data):
    """The same code on torch float64 tensors gives the numpy numbers, and stays torch."""
    n_modes = data.draw(st.integers(1, 4))
    geometry, A, B, X = draw_problem(data, n_modes, max_size=5)
    spec = make_spec(geometry, A.shape[0])
    At, Bt, Xt = map(torch.from_numpy, (A, B, X))
    for name, numpy_value, torch_value in [
        ("forward", spec.forward(X, A, B), spec.forward(Xt, At, Bt)),
        ("design", spec.design(X), spec.design(Xt)),
        ("composite_weight", spec.composite_weight(A, B), spec.composite_weight(At, Bt)),
        ("weight", spec.weight(A, B), spec.weight(At, Bt)),
    ]:
        assert isinstance(torch_value, torch.Tensor), name
        assert torch_value.dtype == torch.float64, name
        assert_close(torch_value.numpy(), numpy_value)
    # Mixed inputs compute on the backend of X.
    mixed = spec.forward(Xt, A, B)
    assert isinstance(mixed, torch.Tensor)
    assert_close(mixed.numpy(), spec.forward(X, A, B))


def test_torch_float32_and_gradients():
    spec = CNNSpec((6, 5), (2, 2), (2, 2), 2)
    rng = np.random.default_rng(0)
    A = torch.tensor(rng.standard_normal((2, 2, 2)), dtype=torch.float32, requires_grad=True)
    B = torch.tensor(rng.standard_normal((2, *spec.pooled_shape)), dtype=torch.float32,
                     requires_grad=True)
    X = torch.tensor(rng.standard_normal((4, 6, 5)), dtype=torch.float32)
    y = spec.forward(X, A, B)
    assert y.dtype == torch.float32
    y.sum().backward()
    reference = network_forward(spec, X, A.detach(), B.detach())
    torch.testing.assert_close(y.detach(), reference, rtol=1e-5, atol=1e-5)
    assert A.grad is not None and B.grad is not None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu():  # pragma: no cover - CI has no GPU
    spec = CNNSpec((7, 5, 7), (2, 2, 2), (3, 2, 3), 3)
    rng = np.random.default_rng(0)
    A = torch.tensor(rng.standard_normal((3, 2, 2, 2)))
    B = torch.tensor(rng.standard_normal((3, 2, 2, 2)))
    X = torch.tensor(rng.standard_normal((16, 7, 5, 7)))
    y = spec.forward(X.cuda(), A.cuda(), B.cuda())
    assert y.device.type == "cuda"
    torch.testing.assert_close(y.cpu(), spec.forward(X, A, B))
    torch.testing.assert_close(spec.design(X.cuda()).cpu(), spec.design(X))
