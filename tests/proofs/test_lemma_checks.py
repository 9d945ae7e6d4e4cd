"""The 003 lemma checks pass, and fail on deliberately wrong variants."""

from __future__ import annotations

import numpy as np

from .checks import load_check


def test_lemma1_split_holds():
    assert load_check("lemma1_orthogonal_split").run_check(n_cases=40) == []


def test_lemma1_check_fails_for_a_naive_split():
    """Mutation: split Δ into two halves Δ/2 + Δ/2 instead of by the SVD of T(Δ).
    The parts add up and have Kronecker rank <= 2K, but they are not orthogonal."""
    check = load_check("lemma1_orthogonal_split")

    def halves(delta, p, l, K):
        return 0.5 * delta, 0.5 * delta

    failures = check.run_check(split=halves, n_cases=20)
    assert len(failures) == 20
    assert all("<W1, W2>" in f for f in failures)


def test_lemma2_frequencies_and_a_wrong_interval():
    check = load_check("lemma2_restricted_eigenvalues")
    failures, table = check.run_check(n_directions=50)
    assert failures == []
    assert all(row[50][0] == 1.0 for row in table.values())
    # Mutation: claim the empirical norm exceeds 3 κ_U/2 (α_RSM as a lower bound).
    from tensorcnn import CNNSpec

    spec = CNNSpec((7, 5, 7), (2, 2, 2), (3, 2, 3), 1)
    C_u = spec.rip_constants()[1]
    failures, _ = check.run_check(n_directions=20, interval=(1.5 * C_u, np.inf))
    assert len(failures) == 4


def test_lemma7_holds_and_fails_with_a_smaller_proxy():
    check = load_check("lemma7_subgaussian")
    assert check.run_check() == []
    assert check.run_check(variance_proxy=0.2)
