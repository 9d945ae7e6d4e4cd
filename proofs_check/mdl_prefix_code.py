"""001 Theorem 2: the prefix-free description language for weight sharing.

Checks the code of ``tensorcnn.mdl``: (1) exhaustively for n ≤ 4, every weight-sharing map
g: [n] → {0..k} (k ≤ n) gets a codeword, no codeword is a prefix of another and the Kraft
sum is ≤ 1; (2) on random sparse, weight-shared vectors up to n = 400, encode → decode
round-trips exactly (the sharing code and the full model code with b = 16/32/64) and
|d(g)| ≤ ‖w‖₀ log₂(kn) + 2 log₂(n+1) + 2 (the theorem's bound with integer rounding).
"""

from __future__ import annotations

import itertools
import math
import sys

import numpy as np
from _report import report

CHECK = {
    "result": "Thm 2 prefix-free code: round-trip, prefix-free, Kraft <= 1, length bound",
    "paper": "001",
    "section": "§3 Thm 2, App. B",
    "tolerance": "exact (bits)",
}


def all_codewords(n: int, encoder) -> list[str]:
    """Codewords of every (k, g) with g: [n] -> {0..k}, k = 0..n."""
    words = []
    for k in range(n + 1):
        for g in itertools.product(range(k + 1), repeat=n):
            words.append(encoder(np.array(g, dtype=np.int64), k))
    return words


def prefix_violations(words: list[str]) -> list[tuple[str, str]]:
    ordered = sorted(words)
    # In sorted order, a word that is a prefix of another is immediately followed by one.
    return [(a, b) for a, b in zip(ordered, ordered[1:]) if b.startswith(a)]


def run_check(encoder=None, decoder=None, max_exhaustive_n: int = 4, n_random: int = 300,
              seed: int = 0) -> list[str]:
    """Return failure descriptions (empty when every property holds)."""
    from tensorcnn import mdl

    encoder = encoder or mdl.encode_sharing
    decoder = decoder or mdl.decode_sharing
    failures = []
    for n in range(1, max_exhaustive_n + 1):
        words = all_codewords(n, encoder)
        bad = prefix_violations(words)
        if bad:
            failures.append(f"n={n}: {len(bad)} prefix pairs, e.g. {bad[0]}")
        kraft = sum(2.0 ** -len(w) for w in words)
        if kraft > 1 + 1e-12:
            failures.append(f"n={n}: Kraft sum {kraft:.4f} > 1")
    rng = np.random.default_rng(seed)
    for _ in range(n_random):
        n = int(rng.integers(1, 400))
        density = rng.uniform(0, 1)
        k = int(rng.integers(1, n + 1))
        values = rng.standard_normal(k)
        w = np.where(rng.uniform(size=n) < density, values[rng.integers(0, k, n)], 0.0)
        shared = mdl.share_weights(w, bits=64)
        code = encoder(shared.assignment, shared.n_params) + "1011"  # trailing bits unread
        assignment, k_read, used = decoder(code, n)
        if k_read != shared.n_params or not np.array_equal(assignment, shared.assignment):
            failures.append(f"n={n}: sharing code does not round-trip")
            continue
        if used != len(code) - 4:
            failures.append(f"n={n}: decoder read {used} bits of {len(code) - 4}")
        bound = (shared.n_nonzero * math.log2(max(shared.n_params * n, 1))
                 + 2 * math.log2(n + 1) + 2)
        if used > bound + 1e-9:
            failures.append(f"n={n}: |d(g)| = {used} > bound {bound:.2f}")
        for bits in (16, 32, 64):
            quantised = w.astype({16: np.float16, 32: np.float32, 64: np.float64}[bits])
            full = mdl.encode_model(quantised, bits=bits)
            decoded, used_full = mdl.decode_model(full, n, bits=bits)
            if not np.array_equal(decoded, quantised) or used_full != len(full):
                failures.append(f"n={n}, b={bits}: model code does not round-trip")
            shared_b = mdl.share_weights(quantised, bits=bits)
            if len(full) != mdl.model_code_length(shared_b.n_nonzero, shared_b.n_params, n,
                                                  bits):
                failures.append(f"n={n}, b={bits}: model_code_length disagrees")
    return failures


def main() -> int:
    failures = run_check()
    return report(failures, (
        "Exhaustive n <= 4: every weight sharing g: [n] -> {0..k}, k <= n, encoded; "
        "prefix-freeness and Kraft sum <= 1 checked. 300 random sparse shared vectors "
        "(n < 400): round-trip of d(g) and of the full model code (b = 16, 32, 64); "
        "|d(g)| <= ||w||_0 log2(kn) + 2 log2(n+1) + 2."))


if __name__ == "__main__":
    sys.exit(main())
