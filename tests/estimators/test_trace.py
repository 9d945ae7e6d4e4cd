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


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n_modes=st.integers(1, 3))
def test_inputs_to_trace_is_the_design_rearranged(data, n_modes):
    """M straight from X (box sums and one gather) against explicit loops over every conv
    and pool window (strides, padding, overlapping pools), rearranged by the definition."""
    from tensorcnn import CNNSpec
    from tensorcnn.estimators._trace import inputs_to_trace
    from tests.cnn.reference import loop_design
    from tests.cnn.strategies import pool_stride_of, stage_geometry

    geometry = data.draw(stage_geometry(n_modes), label="geometry")
    spec = CNNSpec(geometry["input_shape"], geometry["kernel_shape"], geometry["pool_shape"],
                   1, stride=geometry["stride"], padding=geometry["padding"],
                   pool_stride=geometry["pool_stride"])
    n = data.draw(st.integers(1, 4), label="n")
    X = np.random.default_rng(data.draw(st.integers(0, 2**31), label="seed")).standard_normal(
        (n, *spec.input_shape))
    Z = loop_design(X, spec.kernel_shape, geometry["stride"], geometry["padding"],
                    geometry["pool_shape"], pool_stride_of(geometry))
    M = inputs_to_trace(spec, X)
    np.testing.assert_allclose(M, design_to_trace(spec, Z), rtol=1e-12, atol=1e-13)
    # laid out P-major: each pooled position's rows are one block
    assert np.moveaxis(M, 1, 0).flags.c_contiguous


@settings(max_examples=25, deadline=None)
@given(data=st.data(), n_modes=st.integers(1, 3))
def test_inputs_to_trace_in_blocks_is_the_one_block_result(data, n_modes):
    """Blocks of samples (here 1–4 samples each, a ragged last block) give bitwise the
    numbers of one block, and the explicit-loop design."""
    from unittest import mock

    from tensorcnn import CNNSpec
    from tensorcnn.estimators import _trace
    from tests.cnn.reference import loop_design
    from tests.cnn.strategies import pool_stride_of, stage_geometry

    geometry = data.draw(stage_geometry(n_modes), label="geometry")
    spec = CNNSpec(geometry["input_shape"], geometry["kernel_shape"], geometry["pool_shape"],
                   1, stride=geometry["stride"], padding=geometry["padding"],
                   pool_stride=geometry["pool_stride"])
    n = data.draw(st.integers(2, 11), label="n")
    rows = data.draw(st.integers(1, 4), label="rows per block")
    X = np.random.default_rng(data.draw(st.integers(0, 2**31), label="seed")).standard_normal(
        (n, *spec.input_shape))
    whole = _trace.inputs_to_trace(spec, X)
    with mock.patch.object(_trace, "_BLOCK_BYTES", 8 * math.prod(spec.input_shape) * rows):
        blocks = _trace.inputs_to_trace(spec, X)
    np.testing.assert_array_equal(blocks, whole)
    Z = loop_design(X, spec.kernel_shape, geometry["stride"], geometry["padding"],
                    geometry["pool_shape"], pool_stride_of(geometry))
    np.testing.assert_allclose(blocks, design_to_trace(spec, Z), rtol=1e-12, atol=1e-13)


def test_inputs_to_trace_refuses_bad_input():
    import pytest

    from tensorcnn import CNNSpec
    from tensorcnn.estimators._trace import inputs_to_trace

    spec = CNNSpec((5, 4), (2, 2), (2, 1), 1)
    with pytest.raises(ValueError, match="X must have shape"):
        inputs_to_trace(spec, np.ones((3, 4, 5)))
    with pytest.raises(TypeError, match="spec"):
        inputs_to_trace("spec", np.ones((3, 5, 4)))


@settings(max_examples=30)
@given(spec=full_rank_spec(), seed=st.integers(0, 2**31), n=st.integers(1, 6))
def test_trace_inner_is_the_inner_product_in_both_layouts(spec, seed, n):
    from tensorcnn.estimators._trace import trace_inner

    rng = np.random.default_rng(seed)
    M = design_to_trace(spec, rng.standard_normal((n, *spec.weight_shape)))
    theta = rng.standard_normal((M.shape[1], math.prod(spec.kernel_shape)))
    expected = np.array([np.sum(M[i].reshape(theta.shape) * theta) for i in range(n)])
    p_major = np.moveaxis(np.ascontiguousarray(np.moveaxis(M, 1, 0)), 0, 1)
    for layout in (M, p_major):
        np.testing.assert_allclose(trace_inner(layout, theta), expected, rtol=1e-12,
                                   atol=1e-12)
