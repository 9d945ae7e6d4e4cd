"""Geometry: output sizes as torch computes them, positioning-factor ranks, RIP constants."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tensorcnn import CNNSpec
from tensorcnn.cnn import conv_output_size, pool_output_size, pooled_positioning_factor

from .strategies import stage_geometry


@given(d=st.integers(1, 40), l=st.integers(1, 12), s=st.integers(1, 5), pad=st.integers(0, 4),
       q=st.integers(1, 6), sp=st.integers(1, 6))
def test_output_sizes_follow_torch(d, l, s, pad, q, sp):
    """m and p as torch's conv1d / avg_pool1d produce them, floor mode."""
    if l > d + 2 * pad:  # no window: refused, by name, instead of a size < 1
        with pytest.raises(ValueError, match="kernel"):
            conv_output_size(d, l, s, pad)
        return
    m = conv_output_size(d, l, s, pad)
    x = torch.zeros(1, 1, d)
    out = torch.nn.functional.conv1d(x, torch.zeros(1, 1, l), stride=s, padding=pad)
    assert out.shape[-1] == m
    if q <= m:
        pooled = torch.nn.functional.avg_pool1d(out, q, stride=sp)
        assert pooled.shape[-1] == pool_output_size(m, q, sp)


def test_paper_full_rank_claim_is_not_sufficient():
    """003 §2.2: 'full column rank given p_j l_j <= d_j'. A counterexample (d=6, l=3, q=2):
    columns (b=0, a=2) and (b=1, a=0) are both (e_2 + e_3)/2."""
    U = pooled_positioning_factor(6, 3, 1, 0, 2, 2)
    p, l = 2, 3
    assert p * l <= 6
    np.testing.assert_array_equal(U[:, 2], U[:, 3])
    assert np.linalg.matrix_rank(U) == 5 < U.shape[1]


@given(d=st.integers(1, 14), l=st.integers(1, 6), s=st.integers(1, 3), q=st.integers(1, 5),
       sp_offset=st.integers(-4, 1))
def test_full_column_rank_condition(d, l, s, q, sp_offset):
    """Without padding, U_F has full column rank iff p = 1 or l <= s_c * s_p.

    Column (b, a) is x^(a + b s_p s_c) * sum_k x^(k s_c) as a polynomial, so the columns are
    independent iff the exponents a + b s_p s_c are distinct.
    """
    sp = max(1, q + sp_offset)
    if l > d or q > conv_output_size(d, l, s, 0):
        return
    U = pooled_positioning_factor(d, l, s, 0, q, sp)
    p = U.shape[1] // l
    full = np.linalg.matrix_rank(U) == U.shape[1]
    assert full == (p == 1 or l <= s * sp)
    if full:
        assert p * l <= d  # the paper's condition is necessary


@given(st.data())
def test_rip_constants_match_eigenvalues_of_ug(data):
    n_modes = data.draw(st.integers(1, 3))
    geometry = data.draw(stage_geometry(n_modes, max_size=6))
    spec = CNNSpec(geometry["input_shape"], geometry["kernel_shape"], geometry["pool_shape"], 1,
                   stride=geometry["stride"], padding=geometry["padding"],
                   pool_stride=geometry["pool_stride"])
    U_G = spec.design_matrix()
    eigenvalues = np.linalg.eigvalsh(U_G.T @ U_G)
    c_u, C_u = spec.rip_constants()
    assert math.isclose(C_u, eigenvalues.max(), rel_tol=1e-9)
    assert abs(c_u - max(eigenvalues.min(), 0.0)) <= 1e-9 * max(1.0, C_u)


def test_paper_settings_rip():
    """S1-S4 satisfy Assumption 3; T1's 4-mode model with a fully spanned channel mode does
    not (l = 5 > q = 3 with p = 2)."""
    for input_shape, kernel, pool in [((7, 5, 7), (2, 2, 2), (3, 2, 3)),
                                      ((8, 8, 3), (3, 3, 3), (3, 3, 1))]:
        assert CNNSpec(input_shape, kernel, pool, 1).rip_constants()[0] > 1e-6
    t1 = CNNSpec((10, 10, 8, 3), (5, 5, 3, 3), (3, 3, 3, 1), 2)
    assert t1.rip_constants()[0] < 1e-12


def test_exhaustive_small_rank_table():
    """Exhaustive over small 1-D geometries (no padding): the condition never fails."""
    for d, l, s, q in itertools.product(range(1, 10), range(1, 5), range(1, 3), range(1, 4)):
        for sp in range(1, q + 1):
            if l > d or q > conv_output_size(d, l, s, 0):
                continue
            U = pooled_positioning_factor(d, l, s, 0, q, sp)
            p = U.shape[1] // l
            assert (np.linalg.matrix_rank(U) == U.shape[1]) == (p == 1 or l <= s * sp)
