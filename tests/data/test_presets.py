"""Presets S1–S4, T1–T4 and the CP study: counts by hand, true weights by definition."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tensorcnn.compressed import equivalent_kernels
from tensorcnn.data import Setting, cp_study_settings, preset, theorem1_settings
from tensorcnn.tenalg import kron


def _weight_by_definition(A, B):
    return sum(kron(B[k], A[k]) for k in range(A.shape[0]))


def test_theorem1_counts():
    # d_M = K (P + L + 1) with P, L by hand from 003 Table 1 (stride 1, m = d - l + 1)
    assert [s.n_params for s in theorem1_settings()] == [1 * (8 + 8 + 1), 3 * 17,
                                                         1 * (4 + 27 + 1), 3 * 32]


def test_theorem2_counts_with_the_channel_mode():
    # T1: ranks (2,2,2,3,1): core 24, factors 5·2+5·2+3·2+3·3, R_{N+1} P = 8
    assert preset("T1").n_params == 24 + 35 + 8
    # T3: ranks (2,3,2,3,1): core 36, factors 7·2+7·3+3·2+3·3, P = 2·2·2·1
    assert preset("T3").n_params == 36 + 50 + 8
    assert preset("T1").spec.kernel_shape == (5, 5, 3, 3)
    assert preset("T3").spec.pooled_shape == (2, 2, 2, 1)


@given(seed=st.integers(0, 2**31), name=st.sampled_from(["S2", "S4", "T1", "T4"]))
def test_true_weights(seed, name):
    setting = preset(name)
    truth = setting.draw_weights(seed)
    np.testing.assert_allclose(truth.W, _weight_by_definition(truth.A, truth.B), atol=1e-12)
    if setting.model == "tucker":
        factors = truth.stacked.factors
        for factor in factors:  # orthonormal columns (003 §4.1)
            np.testing.assert_allclose(factor.T @ factor, np.eye(factor.shape[1]), atol=1e-12)
        A_t, B_t = equivalent_kernels(truth.stacked, truth.B)
        np.testing.assert_allclose(_weight_by_definition(A_t, B_t), truth.W, atol=1e-10)


def test_cp_study_unit_norm_and_counts():
    settings = cp_study_settings()
    assert [s.n_kernels for s in settings] == [8, 16, 24, 32]
    s = settings[0]
    assert s.spec.pooled_shape == (5, 5, 1)
    truth = s.draw_weights(0)
    assert np.linalg.norm(truth.W) == pytest.approx(1.0)
    assert s.n_free_params == 8 * (8 + 8 + 16 + 25)


def test_var1_suffix_and_transition():
    s = preset("S3-var1")
    assert s.inputs == "var1" and s.name == "S3-var1"
    transition = s.draw_transition(0)
    assert transition.shape == (math.prod(s.input_shape),) * 2
    assert np.linalg.norm(transition, 2) == pytest.approx(0.5)
    X = s.draw_inputs(7, 1, transition)
    assert X.shape == (7, 8, 8, 3)


def test_bad_settings():
    with pytest.raises(ValueError, match="unknown setting"):
        preset("S9")
    with pytest.raises(ValueError, match="exceeds the kernel mode"):
        Setting("x", (6, 6), (3, 3), (2, 2), 2, model="tucker", ranks=(4, 2, 1))
    with pytest.raises(ValueError, match="exceeds the number of kernels"):
        Setting("x", (6, 6), (3, 3), (2, 2), 2, model="tucker", ranks=(2, 2, 3))
    with pytest.raises(ValueError, match="CP rank"):
        Setting("x", (6, 6), (3, 3), (2, 2), 2, model="cp", ranks=(3,))
    with pytest.raises(ValueError, match="spectral_norm"):
        Setting("x", (6, 6), (3, 3), (2, 2), 1, spectral_norm=1.0)
