"""The trace-regression rearrangements (SPEC.md §3) against their entrywise definitions."""

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorcnn.estimators._trace import design_to_trace, theta_to_weight, weight_to_theta
from tensorcnn.tenalg import kron

from .strategies import full_rank_spec


@settings(max_examples=30)
@given(spec=full_rank_spec(), seed=st.integers(0, 2**31))
def test_design_to_trace_is_the_definition(spec, seed):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((3, *spec.weight_shape))
    M = design_to_trace(spec, Z)
    P, p, l = math.prod(spec.pooled_shape), spec.pooled_shape, spec.kernel_shape
    assert M.shape == (3, P, *l) and M.flags.c_contiguous
    for b, bs in enumerate(itertools.product(*map(range, p))):       # row-major b
        for a in itertools.product(*map(range, l)):
            index = tuple(bj * lj + aj for bj, lj, aj in zip(bs, l, a))
            np.testing.assert_array_equal(M[(slice(None), b, *a)], Z[(slice(None), *index)])


@settings(max_examples=30)
@given(spec=full_rank_spec(), seed=st.integers(0, 2**31))
def test_weight_to_theta_rearranges_kronecker_sums(spec, seed):
    rng = np.random.default_rng(seed)
    K = spec.n_kernels
    A = rng.standard_normal((K, *spec.kernel_shape))
    B = rng.standard_normal((K, *spec.pooled_shape))
    W = sum(kron(B[k], A[k]) for k in range(K))
    theta = weight_to_theta(spec, W)
    expected = sum(np.outer(B[k].ravel(), A[k].ravel()) for k in range(K))
    np.testing.assert_allclose(theta, expected, rtol=1e-12, atol=1e-12)
    assert theta.flags.c_contiguous
    np.testing.assert_array_equal(theta_to_weight(spec, theta), W)     # a permutation
    # ⟨Z_i, W⟩ = ⟨M_i, Θ⟩
    Z = rng.standard_normal((4, *spec.weight_shape))
    np.testing.assert_allclose(design_to_trace(spec, Z).reshape(4, -1) @ theta.ravel(),
                               Z.reshape(4, -1) @ W.ravel(), rtol=1e-12, atol=1e-12)
