"""Kronecker conventions: against numpy's kron and explicit index arithmetic."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

from tensorcnn.tenalg import deinterleave_kron, kron, kron_sum, kron_to_matrix


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
