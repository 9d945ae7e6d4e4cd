"""Kronecker conventions: against numpy's kron and explicit index arithmetic."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

from tensorcnn.tenalg import deinterleave_kron, kron, kron_sum, kron_to_matrix, mode_products


@st.composite
def factor_stacks(draw):
    n_modes = draw(st.integers(1, 4))
    p = tuple(draw(st.lists(st.integers(1, 3), min_size=n_modes, max_size=n_modes)))
    l = tuple(draw(st.lists(st.integers(1, 3), min_size=n_modes, max_size=n_modes)))
    K = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.standard_normal((K, *p)), rng.standard_normal((K, *l))


@given(factor_stacks())
def test_kron_matches_numpy_kron_and_indices(stacks):
    B, A = stacks[0][0], stacks[1][0]
    W = kron(B, A)
    if B.ndim == 2:
        np.testing.assert_array_equal(W, np.kron(B, A))
    for b in np.ndindex(*B.shape):
        for a in np.ndindex(*A.shape):
            index = tuple(bj * lj + aj for bj, aj, lj in zip(b, a, A.shape))
            assert W[index] == B[b] * A[a]


@given(factor_stacks())
def test_kron_sum_and_its_rearrangement(stacks):
    B, A = stacks
    W = kron_sum(B, A)
    np.testing.assert_allclose(W, sum(kron(B[k], A[k]) for k in range(len(B))), atol=1e-12)
    theta = kron_to_matrix(W, B.shape[1:], A.shape[1:])
    expected = B.reshape(len(B), -1).T @ A.reshape(len(A), -1)
    np.testing.assert_allclose(theta, expected, atol=1e-12)
    assert np.linalg.matrix_rank(theta) <= len(B)
    np.testing.assert_allclose(np.linalg.norm(theta), np.linalg.norm(W))
    split = deinterleave_kron(W, B.shape[1:], A.shape[1:])
    assert split.shape == (*B.shape[1:], *A.shape[1:])
    # Torch in, torch out, same numbers.
    Wt = kron_sum(torch.from_numpy(B), torch.from_numpy(A))
    assert isinstance(Wt, torch.Tensor)
    np.testing.assert_allclose(Wt.numpy(), W, atol=1e-12)


def test_global_backend_is_never_relied_on():
    """tltorch switches TensorLy's global backend to pytorch on import; numpy inputs must
    still compute on numpy (and torch inputs on torch when the global backend is numpy)."""
    import tensorly as tl

    from tensorcnn import CNNSpec, ConvPoolStage, DeepCNNSpec

    rng = np.random.default_rng(0)
    spec = CNNSpec((6, 5), (2, 2), (2, 2), 2)
    deep = DeepCNNSpec((9, 8), [ConvPoolStage((2, 2), (2, 2), 2), ConvPoolStage((2, 1), (1, 1))])
    A, B = rng.standard_normal((2, 2, 2)), rng.standard_normal((2, *spec.pooled_shape))
    kernels = [rng.standard_normal(s) for s in deep.kernel_shapes]
    Bd = rng.standard_normal(deep.fc_shape)
    X, Xd = rng.standard_normal((3, 6, 5)), rng.standard_normal((3, 9, 8))
    expected = (spec.forward(X, A, B), spec.design(X), deep.forward(Xd, kernels, Bd))
    with tl.backend_context("pytorch"):
        got = (spec.forward(X, A, B), spec.design(X), deep.forward(Xd, kernels, Bd))
        assert all(isinstance(g, np.ndarray) for g in got)
        tensor_in = spec.forward(*map(torch.from_numpy, (X, A, B)))
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, atol=1e-12)
    np.testing.assert_allclose(tensor_in.numpy(), expected[0], atol=1e-12)
    with tl.backend_context("numpy"):
        assert isinstance(kron_sum(torch.from_numpy(B), torch.from_numpy(A)), torch.Tensor)


@st.composite
def batched_mode_problems(draw):
    n_lead = draw(st.integers(0, 2))
    n_modes = draw(st.integers(1, 4))
    lead = draw(st.lists(st.integers(1, 3), min_size=n_lead, max_size=n_lead))
    sizes = draw(st.lists(st.integers(1, 5), min_size=n_modes, max_size=n_modes))
    out = draw(st.lists(st.integers(1, 5), min_size=n_modes, max_size=n_modes))
    transpose = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    tensor = rng.standard_normal((*lead, *sizes))
    matrices = [rng.standard_normal((d, c) if transpose else (c, d)) for d, c in zip(sizes, out)]
    skip = draw(st.lists(st.booleans(), min_size=n_modes, max_size=n_modes))
    matrices = [None if s else m for s, m in zip(skip, matrices)]
    return tensor, matrices, n_lead, transpose


@given(batched_mode_problems())
def test_mode_products_match_explicit_contraction(problem):
    tensor, matrices, n_lead, transpose = problem
    expected = tensor
    for j, matrix in enumerate(matrices):   # contract mode n_lead + j with np.tensordot
        if matrix is None:
            continue
        op = matrix.T if transpose else matrix
        expected = np.moveaxis(np.tensordot(op, expected, axes=([1], [n_lead + j])), 0,
                               n_lead + j)
    result = mode_products(tensor, matrices, n_lead=n_lead, transpose=transpose)
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)
    torch_result = mode_products(torch.tensor(tensor),
                                 [None if m is None else torch.tensor(m) for m in matrices],
                                 n_lead=n_lead, transpose=transpose)
    assert isinstance(torch_result, torch.Tensor)
    np.testing.assert_allclose(torch_result.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_mode_products_rejects_mismatched_matrices():
    import pytest

    with pytest.raises(ValueError, match="one matrix per mode"):
        mode_products(np.zeros((2, 3, 4)), [np.zeros((3, 3))])
    with pytest.raises(ValueError, match="mode 2 of tensor has size 4"):
        mode_products(np.zeros((2, 3, 4)), [np.zeros((3, 3)), np.zeros((2, 5))])
