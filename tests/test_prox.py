"""The shared proximal maps against explicit per-entry / per-group formulas, numpy and torch."""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tensorcnn._prox import group_shrinkage, soft_threshold

finite = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 4)), elements=finite),
       st.floats(0, 50))
def test_soft_threshold_is_sign_times_excess(x, t):
    expected = np.array([[math.copysign(max(abs(v) - t, 0.0), v) for v in row] for row in x])
    np.testing.assert_allclose(soft_threshold(x, t), expected, rtol=1e-15, atol=1e-12)
    np.testing.assert_allclose(soft_threshold(torch.tensor(x), t).numpy(), expected,
                               rtol=1e-15, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 4)), elements=finite),
       st.floats(0, 50))
def test_group_shrinkage_is_the_block_soft_threshold(V, t):
    expected = []
    for row in V:
        norm = math.sqrt(sum(v * v for v in row))
        expected.append(row * (max(0.0, 1 - t / norm) if norm > 0 else 0.0))
    tiny = np.finfo(float).tiny
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    np.testing.assert_allclose(V * group_shrinkage(norms, t, tiny), expected, atol=1e-12)
    Vt = torch.tensor(V)
    got = Vt * group_shrinkage(torch.linalg.vector_norm(Vt, dim=1, keepdim=True), t, tiny)
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)


def test_zero_group_has_zero_prox_even_at_zero_threshold():
    zero = np.zeros((2, 3))
    assert np.all(zero * group_shrinkage(np.zeros((2, 1)), 0.0, 1e-300) == 0)
