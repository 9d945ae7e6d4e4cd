"""The MDL code and bounds of 001 §3, against brute force and the check's mutations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tensorcnn import mdl

from ..proofs.checks import load_check


@st.composite
def shared_vectors(draw):
    n = draw(st.integers(1, 60))
    k = draw(st.integers(1, n))
    values = draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False).filter(lambda v: v != 0),
                           min_size=k, max_size=k))
    g = draw(st.lists(st.integers(0, k), min_size=n, max_size=n))
    return np.array([0.0] + values)[g]


@given(shared_vectors(), st.sampled_from([16, 32, 64]))
def test_model_code_round_trips(w, bits):
    dtype = {16: np.float16, 32: np.float32, 64: np.float64}[bits]
    quantised = w.astype(dtype)
    code = mdl.encode_model(quantised, bits=bits)
    assert set(code) <= {"0", "1"}
    decoded, used = mdl.decode_model(code + "0110", quantised.size, bits=bits)
    np.testing.assert_array_equal(decoded, quantised)
    assert used == len(code)


@given(shared_vectors())
def test_share_weights_by_brute_force(w):
    shared = mdl.share_weights(w, bits=64)
    np.testing.assert_array_equal(shared.weights(), w)
    distinct = {v for v in w.tolist() if v != 0}
    assert shared.n_params == len(distinct)
    assert shared.n_nonzero == int(np.count_nonzero(w))
    code = mdl.encode_sharing(shared.assignment, shared.n_params)
    assert len(code) == mdl.sharing_code_length(shared.n_nonzero, shared.n_params, w.size)


def test_paper_bound_is_unattainable_for_integer_codes():
    """For n = 1 the printed bound allows 0 bits, yet two maps (w = 0, w != 0) exist."""
    assert mdl.sharing_length_bound(1, 1, 1) == 0.0
    assert mdl.sharing_code_length(1, 1, 1) >= 1


def test_proofs_check_passes():
    assert load_check("mdl_prefix_code").run_check(max_exhaustive_n=3, n_random=40) == []


def test_check_fails_without_the_length_header():
    """Mutation: drop the header (‖w‖₀, k). The code is no longer prefix-free."""
    check = load_check("mdl_prefix_code")

    def headerless(assignment, k):
        n = len(assignment)
        return mdl.encode_sharing(assignment, k)[(((n + 1) ** 2) - 1).bit_length():]

    failures = check.run_check(encoder=headerless, n_random=0)
    assert any("prefix" in f for f in failures)


def test_check_fails_with_fixed_width_payload_without_k():
    """Mutation: pairs written with the wrong base (n instead of n k) lose information."""
    check = load_check("mdl_prefix_code")

    def lossy(assignment, k):
        g = np.where(assignment > 0, 1, 0)
        return mdl.encode_sharing(g, min(k, 1))

    assert check.run_check(encoder=lossy, max_exhaustive_n=2, n_random=10)


def test_occam_and_search_bounds_by_hand():
    value = mdl.occam_bound(0.1, 1000, 200, 0.05)
    assert value == pytest.approx(0.1 + math.sqrt((200 + math.log(40)) / 2000))
    bound = mdl.architecture_search_bound(0.2, 5000, k=30, bits=32, n_nonzero=100, n=10_000,
                                          delta=0.01)
    d_g = 100 * math.log2(30 * 10_000) + 2 * math.log2(10_000)
    assert bound == pytest.approx(0.2 + math.sqrt((30 * 32 + d_g + math.log(2e4 / 0.01))
                                                  / 10_000))
    # broadcasting over sparsity levels, monotone in ‖w‖₀
    curve = mdl.architecture_search_bound(0.0, 5000, k=np.arange(1, 50), bits=32,
                                          n_nonzero=np.arange(1, 50), n=100, delta=0.05)
    assert np.all(np.diff(curve) > 0)


@pytest.mark.parametrize("call, match", [
    (lambda: mdl.occam_bound(1.5, 10, 1, 0.1), "train_loss"),
    (lambda: mdl.occam_bound(0.1, 0, 1, 0.1), "m "),
    (lambda: mdl.occam_bound(0.1, 10, 1, 1.0), "delta"),
    (lambda: mdl.occam_bound(0.1, 10, -1, 0.1), "description_bits"),
    (lambda: mdl.sharing_length_bound(5, 4, 3), "k <= n"),
    (lambda: mdl.share_weights([1.0, np.nan]), "NaN"),
    (lambda: mdl.share_weights([1.0], bits=8), "bits must be 16, 32 or 64"),
    (lambda: mdl.encode_sharing(np.array([0, 3]), 2), "0..k"),
    (lambda: mdl.decode_sharing("0", 5), "header"),
    (lambda: mdl.sharing_code_length(2, 0, 4), "k >= 1"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@given(base=st.integers(1, 5000), exponent=st.integers(0, 300))
def test_power_width_is_exact(base, exponent):
    from tensorcnn.mdl.code import _power_width

    assert _power_width(base, exponent) == (base**exponent - 1).bit_length()
