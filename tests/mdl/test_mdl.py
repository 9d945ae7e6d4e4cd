"""The MDL code and bounds of 001 §3, against brute force and the check's mutations."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

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
    decoded, used = mdl.decode_model(code + "0110", quantised.size, bits=bits,
                                     allow_trailing=True)
    np.testing.assert_array_equal(decoded, quantised)
    assert used == len(code)
    decoded, used = mdl.decode_model(code, quantised.size, bits=bits)
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


def test_paper_bound_is_unattainable_for_integer_codes_at_n_1():
    """For n = 1 the printed bound allows 0 bits, yet two maps (w = 0, w != 0) exist."""
    assert mdl.sharing_length_bound(1, 1, 1) == 0.0
    assert mdl.sharing_code_length(1, 1, 1) >= 1
    assert not mdl.bound_attainable(1)


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
    (lambda: mdl.occam_bound(0.1, 10, float("nan"), 0.1), "description_bits"),
    (lambda: mdl.occam_bound(0.1, 10, 1, float("nan")), "delta"),
    (lambda: mdl.occam_bound(float("nan"), 10, 1, 0.1), "train_loss"),
    (lambda: mdl.architecture_search_bound(0.1, 100, 2, 32, 5, 10, 0.05,
                                           sharing_bits=float("nan")), "sharing_bits"),
    (lambda: mdl.architecture_search_bound(0.1, 100, 20, 32, 5, 10, 0.05), "k <= n"),
    (lambda: mdl.decode_model(mdl.encode_model(np.array([0.0, 1.0, 0.0, 2.0])) + "01", 4),
     "trailing bits"),
    (lambda: mdl.decode_sharing(mdl.encode_sharing(np.array([0, 1]), 1) + "1", 2),
     "trailing bits"),
    (lambda: mdl.decode_model("1_0", 1), "only '0' and '1'"),
    (lambda: mdl.KraftSharingCode(mdl.MAX_KRAFT_N + 1), "MAX_KRAFT_N"),
    (lambda: mdl.KraftSharingCode(4).decode("0"), "ends before a codeword"),
    (lambda: mdl.KraftSharingCode(4).decode(mdl.KraftSharingCode(4).encode(
        np.array([0, 1, 0, 0]), 1) + "0"), "trailing bits"),
    (lambda: mdl.KraftSharingCode(3).encode(np.array([0, 2, 0]), 1), "0..k"),
    (lambda: mdl.floor_bound_length(1, 0, 4), "k >= 1"),
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


# ------------------------------------------------------------------ issue 14: bad counts
@pytest.mark.parametrize("call, match", [
    (lambda: mdl.occam_bound(0.1, float("nan"), 1, 0.1), "m "),
    (lambda: mdl.occam_bound(0.1, 10.5, 1, 0.1), "m "),
    (lambda: mdl.occam_bound(0.1, 10.0, 1, 0.1), "m "),
    (lambda: mdl.architecture_search_bound(0.1, 100, float("nan"), 32, 5, 10, 0.05), "k "),
    (lambda: mdl.architecture_search_bound(0.1, 100, 2.5, 32, 5, 10, 0.05), "k "),
    (lambda: mdl.architecture_search_bound(0.1, 100, 2, 32.5, 5, 10, 0.05), "bits"),
    (lambda: mdl.architecture_search_bound(0.1, 100, 2, 32, 5.5, 10, 0.05), "n_nonzero"),
    (lambda: mdl.architecture_search_bound(0.1, 100, 2, 32, float("nan"), 10, 0.05),
     "n_nonzero"),
    (lambda: mdl.architecture_search_bound(0.1, 100, 2, 32, 5, 10.5, 0.05), "n "),
    (lambda: mdl.architecture_search_bound(0.1, 100, 2, 32, 5, float("nan"), 0.05), "n "),
    (lambda: mdl.architecture_search_bound(0.1, 100.5, 2, 32, 5, 10, 0.05), "m "),
    (lambda: mdl.sharing_length_bound(2.5, 2, 10), "n_nonzero"),
    (lambda: mdl.sharing_length_bound(np.array([1, np.nan]), 2, 10), "n_nonzero"),
    (lambda: mdl.KraftSharingCode(True), "n "),
    (lambda: mdl.decode_model(101, 1), "code"),
])
def test_fractional_or_nan_counts_are_type_errors(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_bounds_accept_integer_arrays():
    curve = mdl.architecture_search_bound(0.0, 5000, k=np.arange(1, 5), bits=32,
                                          n_nonzero=np.arange(1, 5), n=100, delta=0.05)
    assert curve.shape == (4,) and np.all(np.isfinite(curve))


# --------------------------------------------- issue 19: a code that meets the printed bound
def kraft_sum_floor(n):
    """K_n by floats (independent of the library's integer arithmetic)."""
    total = 0.0
    for k in range(n + 1):
        for m in range(n + 1):
            if m and not k:
                continue
            b = (m * math.log2(k * n) if m else 0.0) + 2 * math.log2(n)
            total += math.comb(n, m) * k**m * 2.0 ** -math.floor(b + 1e-12)
    return total


@pytest.mark.parametrize("n, expected", [(1, 3.0), (2, 1.375), (3, 1.1843), (4, 0.7098),
                                         (5, 0.8541), (64, 0.0539)])
def test_floor_kraft_sum_matches_the_issue(n, expected):
    code = mdl.kraft_sharing_code(n)
    assert float(code.kraft_floor) == pytest.approx(kraft_sum_floor(n), rel=1e-12)
    assert float(code.kraft_floor) == pytest.approx(expected, abs=1e-4)
    assert code.meets_bound == (n >= 4) == mdl.bound_attainable(n)
    assert code.kraft_sum <= 1


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_kraft_code_exhaustively(n):
    """Every (k, g): prefix-free, decodes, and for n >= 4 meets the printed bound."""
    code = mdl.KraftSharingCode(n)
    words = []
    for k in range(n + 1):
        for g in itertools.product(range(k + 1), repeat=n):
            g = np.array(g, dtype=np.int64)
            word = code.encode(g, k)
            words.append(word)
            back, k_back, used = code.decode(word)
            assert k_back == k and used == len(word)
            np.testing.assert_array_equal(back, g)
            m = int(np.count_nonzero(g))
            assert len(word) == code.length(m, k)
            excess = len(word) - float(mdl.sharing_length_bound(m, k, n))
            assert excess <= code.overshoot + 1e-12
            if n >= 4:
                assert excess <= 1e-12
                assert len(word) == mdl.floor_bound_length(m, k, n)
    ordered = sorted(words)
    assert len(set(words)) == len(words)
    assert not any(b.startswith(a) for a, b in zip(ordered, ordered[1:]))
    assert sum(2.0 ** -len(w) for w in words) == pytest.approx(float(code.kraft_sum))


def test_kraft_code_overshoot_below_4_is_the_least_possible():
    """n <= 3: lengths floor(b + t) for t just under the overshoot violate Kraft."""
    for n, overshoot in ((1, 2.0), (2, 1.0), (3, 0.2451)):
        code = mdl.KraftSharingCode(n)
        assert code.overshoot == pytest.approx(overshoot, abs=1e-4)
        t = code.overshoot - 1e-9
        total = sum(math.comb(n, m) * k**m * 2.0 ** -math.floor(
            (m * math.log2(k * n) if m else 0.0) + 2 * math.log2(n) + t)
            for k in range(n + 1) for m in range(n + 1) if k or not m)
        assert total > 1


@given(n=st.sampled_from([4, 5, 7, 16, 33, 64]), data=st.data())
def test_kraft_code_random_sharings_meet_the_bound(n, data):
    k = data.draw(st.integers(1, n))
    g = np.array(data.draw(st.lists(st.integers(0, k), min_size=n, max_size=n)))
    code = mdl.kraft_sharing_code(n)
    word = code.encode(g, k)
    back, k_back, used = code.decode(word + "1", allow_trailing=True)
    np.testing.assert_array_equal(back, g)
    assert (k_back, used) == (k, len(word))
    m = int(np.count_nonzero(g))
    assert 2 ** len(word) <= (k * n) ** m * n * n  # |d(g)| <= m log2(kn) + 2 log2 n, exactly
    assert len(word) <= len(mdl.encode_sharing(g, k))


def test_kraft_proofs_check_passes_and_catches_the_header_code():
    check = load_check("mdl_prefix_code")
    failures, _ = check.run_kraft_check(max_exhaustive_n=4, max_kraft_n=12, n_random=10,
                                        sizes=(4, 8, 16))
    assert failures == []

    class HeaderCode:  # mutation: the proof's header code misses the bound by ~2 bits
        def __init__(self, n):
            self.n = n

        def encode(self, g, k):
            return mdl.encode_sharing(g, k)

        def decode(self, word, allow_trailing=False):
            return mdl.decode_sharing(word, self.n, allow_trailing=allow_trailing)

    failures, _ = check.run_kraft_check(HeaderCode, max_exhaustive_n=4, max_kraft_n=4,
                                        n_random=5, sizes=(8,))
    assert any("exceeds the printed bound" in f for f in failures)


def test_docs_state_where_the_printed_bound_can_be_met():
    """Issue 19: the docs claimed whole-bit codes cannot meet the bound; they can, n >= 4."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "interpretations.md").read_text()
    start = text.index("## 001")
    section = text[start:text.index("\n## ", start)]
    assert "cannot hold for a code made of whole bits" not in section
    assert "KraftSharingCode" in section and "n ≥ 4" in section and "n ≤ 3" in section
