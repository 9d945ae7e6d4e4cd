"""001 Theorem 2: the prefix-free description languages for weight sharing.

Checks the codes of ``tensorcnn.mdl``.

Header code (``encode_sharing``, any n): (1) exhaustively for n ≤ 4, every weight-sharing
map g: [n] → {0..k} (k ≤ n) gets a codeword, no codeword is a prefix of another and the
Kraft sum is ≤ 1; (2) on random sparse, weight-shared vectors up to n = 400, encode → decode
round-trips exactly (the sharing code and the full model code with b = 16/32/64) and
|d(g)| ≤ ‖w‖₀ log₂(kn) + 2 log₂(n+1) + 2 (the theorem's bound with integer rounding).

Kraft code (``KraftSharingCode``, the printed bound): (3) the exact Kraft sum
K_n = Σ C(n,m) k^m 2^−⌊‖w‖₀ log₂(kn) + 2 log₂ n⌋ is > 1 for n ≤ 3 and ≤ 1 for 4 ≤ n ≤ 64
(for n ≥ 6 it is < 2(en + 1)/n² ≤ 1); (4) exhaustively for n ≤ 5: prefix-free, every
codeword decodes to its (k, g), and for n ≥ 4 every length meets the printed bound
(2^|d(g)| ≤ (kn)^‖w‖₀ n², integers); for n ≤ 3 the overshoot is the least any whole-bit
code allows (lengths ⌊b + t⌋ violate Kraft for t just below it); (5) random vectors up to
n = 256: round trip and the bound.
"""

from __future__ import annotations

import itertools
import math
import sys
from fractions import Fraction

import numpy as np
from _report import report

CHECK = {
    "result": "Thm 2 prefix-free codes: round-trip, prefix-free, Kraft; printed bound met "
              "for n >= 4",
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
        assignment, k_read, used = decoder(code, n, allow_trailing=True)
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


def floor_kraft_sum(n: int) -> Fraction:
    """K_n from scratch: sum over (m, k) of C(n, m) k^m 2^-floor(m log2(kn) + 2 log2 n)."""
    terms = []
    for k in range(n + 1):
        for m in range(n + 1):
            if m and not k:
                continue
            length = math.floor((m * math.log2(k * n) if m else 0.0) + 2 * math.log2(n))
            N = (k * n) ** m * n * n  # guard the float floor with integers: 2^L <= N < 2^(L+1)
            while 2 ** length > N:
                length -= 1
            while 2 ** (length + 1) <= N:
                length += 1
            terms.append((math.comb(n, m) * k ** m, length))
    top = max(length for _, length in terms)
    return Fraction(sum(count << (top - length) for count, length in terms), 1 << top)


def meets(length: int, m: int, k: int, n: int) -> bool:
    """length <= m log2(kn) + 2 log2 n, exactly: 2^length <= (kn)^m n^2."""
    return 2 ** length <= (k * n) ** m * n * n


RANDOM_SIZES = (4, 5, 6, 7, 8, 9, 16, 31, 64, 100, 128, 256)


def run_kraft_check(make_code=None, max_exhaustive_n: int = 5, max_kraft_n: int = 64,
                    n_random: int = 100, sizes=RANDOM_SIZES, seed: int = 0
                    ) -> tuple[list[str], list[str]]:
    """Return (failures, report lines) for the code that meets the printed bound.

    ``make_code(n)`` builds the code under test (default ``mdl.kraft_sharing_code``); the
    random sharings use the n in ``sizes``.
    """
    from tensorcnn import mdl

    make_code = make_code or mdl.kraft_sharing_code
    failures, lines = [], []
    sums = {n: floor_kraft_sum(n) for n in range(1, max_kraft_n + 1)}
    for n, total in sums.items():
        if (total <= 1) != (n >= 4):
            failures.append(f"n={n}: K_n = {float(total):.4f}, expected {'<=' if n >= 4 else '>'}"
                            " 1")
    for n in range(6, max_kraft_n + 1):
        if not sums[n] < 2 * (math.e * n + 1) / n**2 <= 1:
            failures.append(f"n={n}: K_n = {float(sums[n]):.4f} not < 2(en+1)/n^2 <= 1")
    lines.append("K_n: " + ", ".join(f"n={n}: {float(sums[n]):.4g}" for n in (1, 2, 3, 4, 5, 64)
                                    if n in sums))
    for n in range(1, max_exhaustive_n + 1):
        code = make_code(n)
        words, worst = [], -math.inf
        for k, g_tuple in ((kk, g) for kk in range(n + 1)
                           for g in itertools.product(range(kk + 1), repeat=n)):
            g = np.array(g_tuple, dtype=np.int64)
            word = code.encode(g, k)
            words.append(word)
            m = int(np.count_nonzero(g))
            worst = max(worst, len(word) - (m * math.log2(k * n) if m else 0)
                        - 2 * math.log2(n))
            try:
                back, k_back, used = code.decode(word + "10", allow_trailing=True)
            except ValueError as error:
                failures.append(f"Kraft code n={n}: {word!r} does not decode ({error})")
                continue
            if k_back != k or not np.array_equal(back, g) or used != len(word):
                failures.append(f"Kraft code n={n}: (k={k}, g={g.tolist()}) does not "
                                "round-trip")
            if n >= 4 and not meets(len(word), m, k, n):
                failures.append(f"Kraft code n={n}: |d(g)| = {len(word)} exceeds the printed "
                                f"bound for m={m}, k={k}")
        bad = prefix_violations(words)
        if bad or len(set(words)) != len(words):
            failures.append(f"Kraft code n={n}: {len(bad)} prefix pairs, e.g. {bad[:1]}")
        if n <= 3:  # the overshoot is the least possible: lengths floor(b + t), t below it
            t = worst - 1e-9
            lengths = Fraction(0)
            for k in range(n + 1):
                for m in range(n + 1):
                    if m and not k:
                        continue
                    b = (m * math.log2(k * n) if m else 0) + 2 * math.log2(n)
                    lengths += Fraction(math.comb(n, m) * k ** m, 2 ** math.floor(b + t))
            if lengths <= 1:
                failures.append(f"Kraft code n={n}: overshoot {worst:.3f} is not minimal")
            lines.append(f"n={n}: no whole-bit code meets the bound (K_n > 1); this code's "
                         f"largest |d(g)| - bound = {worst:.3f} bits (minimal)")
    rng = np.random.default_rng(seed)
    for _ in range(n_random):
        n = int(rng.choice(sizes))
        k = int(rng.integers(1, n + 1))
        g = np.where(rng.uniform(size=n) < rng.uniform(), rng.integers(1, k + 1, n), 0)
        code = make_code(n)
        word = code.encode(g, k)
        back, k_back, used = code.decode(word)
        m = int(np.count_nonzero(g))
        if k_back != k or not np.array_equal(back, g) or used != len(word):
            failures.append(f"Kraft code n={n}: random sharing does not round-trip")
        if not meets(len(word), m, k, n):
            failures.append(f"Kraft code n={n}: |d(g)| = {len(word)} exceeds the bound")
    return failures, lines


def main() -> int:
    failures = run_check()
    kraft_failures, lines = run_kraft_check()
    return report(failures + kraft_failures, (
        "Header code: exhaustive n <= 4: every weight sharing g: [n] -> {0..k}, k <= n, "
        "encoded; prefix-freeness and Kraft sum <= 1 checked. 300 random sparse shared "
        "vectors (n < 400): round-trip of d(g) and of the full model code (b = 16, 32, 64); "
        "|d(g)| <= ||w||_0 log2(kn) + 2 log2(n+1) + 2.\n"
        "Kraft code: exact K_n for n <= 64 (> 1 iff n <= 3); exhaustive n <= 5 (prefix-free, "
        "round-trip, printed bound met for n >= 4, minimal overshoot n <= 3); 100 random "
        "sharings, n in 4..256 (round-trip, printed bound)."), lines)


if __name__ == "__main__":
    sys.exit(main())
