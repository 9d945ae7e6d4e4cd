r"""A whole-bit prefix code for weight sharings that meets 001 Thm 2's printed bound (n ≥ 4).

Theorem 2 of 001 claims a prefix-free d with :math:`|d(g)| \le \|w\|_0 \log_2(kn) + 2\log_2 n`
for every weight sharing g. The codewords are the pairs (k, g), k ∈ {0..n} and
g: [n] → {0..k} (0 = the implicit zero parameter), as in :mod:`tensorcnn.mdl.code`. Put
m = ‖w‖₀ and

.. math:: b(m, k) = m \log_2(kn) + 2 \log_2 n = \log_2 N(m, k), \qquad N(m, k) = (kn)^m n^2 .

A whole-bit code meets the bound for g iff :math:`|d(g)| \le \lfloor b(m, k) \rfloor`. By
Kraft–McMillan such a code (even one only uniquely decodable) exists iff

.. math:: K_n = \sum_{k=0}^{n} \sum_{m=0}^{n} \binom{n}{m} k^m \, 2^{-\lfloor b(m,k)\rfloor}
          \le 1

(C(n, m) k^m sharings have counts (m, k); 0⁰ = 1). Exactly: K_1 = 3, K_2 = 1.375,
K_3 = 1.184, K_4 = 0.710, K_5 = 0.854, K_64 = 0.0539. For n ≥ 6,
:math:`K_n < 2 \sum 2^{-b} = 2((1 + 1/n)^n n + 1)/n^2 < 2(e n + 1)/n^2 \le 1`. So the bound
can be met for every g exactly when n ≥ 4, and for no n ≤ 3.

Construction (:class:`KraftSharingCode`): lengths L(m, k) = ⌊b(m, k)⌋; where K_n > 1
(n ≤ 3) the lengths are raised one bit at a time, always the class whose excess L − b is
smallest (the lengths ⌊b + t⌋ for the least overshoot t that satisfies Kraft: the code
minimises max_g |d(g)| − b). The code is the canonical prefix code of these lengths:
classes sorted by (L, m, k), codeword = the L-bit integer first_code(L) + (sharings of the
earlier classes of that length) + rank of g in its class. The rank of g orders the
position set (combinatorial number system, colex) and then the parameter indices (base k).
Building the tables costs O(n²) big-integer operations, so they are built for
n ≤ :data:`MAX_KRAFT_N` only; for larger n use :func:`tensorcnn.mdl.encode_sharing`
(≤ bound + 2 log₂((n+1)/n) + 2 bits, any n).
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

from .._validation import check_int
from .code import _check_code, _check_trailing

__all__ = ["MAX_KRAFT_N", "KraftSharingCode", "bound_attainable", "floor_bound_length",
           "kraft_sharing_code"]

#: Largest n for which :class:`KraftSharingCode` builds its tables (O(n²) classes).
MAX_KRAFT_N = 256


def floor_bound_length(n_nonzero: int, k: int, n: int) -> int:
    """⌊‖w‖₀ log₂(kn) + 2 log₂ n⌋ exactly (integer arithmetic): the longest codeword that
    meets the printed bound of 001 Thm 2 for a sharing with these counts."""
    n = check_int(n, "n")
    k = check_int(k, "k", minimum=0)
    n_nonzero = check_int(n_nonzero, "n_nonzero", minimum=0)
    if k > n or n_nonzero > n or (n_nonzero and not k):
        raise ValueError(f"need 0 <= k <= n, 0 <= n_nonzero <= n and k >= 1 when n_nonzero "
                         f"> 0; got n_nonzero={n_nonzero}, k={k}, n={n}")
    return ((k * n) ** n_nonzero * n * n).bit_length() - 1


def _subset_rank(positions: np.ndarray) -> int:
    """Colex rank of a sorted set of positions p_0 < ... < p_{m-1}: sum_i C(p_i, i + 1)."""
    return sum(math.comb(int(p), i + 1) for i, p in enumerate(positions))


def _subset_unrank(rank: int, m: int, n: int) -> list[int]:
    """Inverse of :func:`_subset_rank` for m-subsets of range(n)."""
    positions = []
    top = n
    for i in range(m, 0, -1):
        p = top - 1
        while math.comb(p, i) > rank:
            p -= 1
        positions.append(p)
        rank -= math.comb(p, i)
        top = p
    return positions[::-1]


class KraftSharingCode:
    r"""Canonical prefix code of the weight sharings (k, g) of n weights, lengths ⌊b⌋.

    See the module docstring. For n ≥ 4 every codeword meets the printed bound,
    :math:`|d(g)| \le \|w\|_0 \log_2(kn) + 2 \log_2 n`; for n ≤ 3 no whole-bit prefix code
    does, and this one exceeds it by at most :attr:`overshoot` bits.

    Parameters
    ----------
    n : int, 1 <= n <= MAX_KRAFT_N
        Number of weights.

    Attributes
    ----------
    n : int
    kraft_floor : Fraction
        K_n, the Kraft sum of the lengths ⌊b⌋ (≤ 1 iff n ≥ 4).
    kraft_sum : Fraction
        The Kraft sum of the code's lengths (≤ 1).
    overshoot : float
        max over sharings of |d(g)| − b(m, k) (≤ 0 iff the code meets the bound).
    meets_bound : bool
        Whether every codeword meets the printed bound (exact integer test).
    """

    def __init__(self, n: int):
        n = check_int(n, "n")
        if n > MAX_KRAFT_N:
            raise ValueError(f"n must be <= MAX_KRAFT_N = {MAX_KRAFT_N} (the tables have "
                             f"(n+1)^2 classes), got {n}; use mdl.encode_sharing for large n")
        self.n = n
        classes = [(m, k) for k in range(n + 1) for m in range(n + 1) if k or not m]
        self._count = {c: math.comb(n, c[0]) * c[1] ** c[0] for c in classes}
        self._N = {(m, k): (k * n) ** m * n * n for m, k in classes}  # b = log2 N
        lengths = {c: self._N[c].bit_length() - 1 for c in classes}
        self.kraft_floor = kraft = self._kraft(lengths)
        # Raise the class of least excess L - b = log2(2^L / N) while Kraft fails (n <= 3).
        while kraft > 1:
            c = min(classes, key=lambda c: (Fraction(2 ** lengths[c], self._N[c]), c))
            lengths[c] += 1
            kraft = self._kraft(lengths)
        self._length = lengths
        self.kraft_sum = kraft
        self.meets_bound = all(2 ** lengths[c] <= self._N[c] for c in classes)
        self.overshoot = max(lengths[c] - math.log2(self._N[c]) for c in classes)
        # canonical code: classes sorted by (L, m, k); first codeword of each length
        by_length: dict[int, list[tuple[int, int]]] = {}
        for c in sorted(classes, key=lambda c: (lengths[c], c)):
            by_length.setdefault(lengths[c], []).append(c)
        self._lengths = sorted(by_length)
        self._by_length = by_length
        self._first, self._total = {}, {}
        code, previous = 0, self._lengths[0]
        for L in self._lengths:
            code <<= L - previous
            total = sum(self._count[c] for c in by_length[L])
            self._first[L], self._total[L] = code, total
            code += total
            previous = L
        if code > 1 << previous:  # Kraft, as the canonical construction sees it
            raise AssertionError("canonical code overflows: Kraft sum > 1")

    def _kraft(self, lengths: dict[tuple[int, int], int]) -> Fraction:
        top = max(lengths.values())
        return Fraction(sum(self._count[c] << (top - L) for c, L in lengths.items()),
                        1 << top)

    def length(self, n_nonzero: int, k: int) -> int:
        """|d(g)| in bits for a sharing with ‖w‖₀ = ``n_nonzero`` and k parameters."""
        n_nonzero = check_int(n_nonzero, "n_nonzero", minimum=0)
        k = check_int(k, "k", minimum=0)
        if (n_nonzero, k) not in self._length:
            raise ValueError(f"need 0 <= k <= n = {self.n}, 0 <= n_nonzero <= n and k >= 1 "
                             f"when n_nonzero > 0; got n_nonzero={n_nonzero}, k={k}")
        return self._length[(n_nonzero, k)]

    def _offset(self, c: tuple[int, int]) -> int:
        L = self._length[c]
        before = self._by_length[L][: self._by_length[L].index(c)]
        return self._first[L] + sum(self._count[b] for b in before)

    def encode(self, assignment, k: int) -> str:
        """d(g) for g = ``assignment`` (int array (n,), values in 0..k) with k parameters."""
        g = np.asarray(assignment)
        if g.ndim != 1 or g.size != self.n or g.dtype.kind not in "iu":
            raise ValueError(f"assignment must be a 1-D integer array of length n = {self.n}, "
                             f"got {g!r}")
        k = check_int(k, "k", minimum=0)
        if k > self.n or g.min() < 0 or g.max() > k:
            raise ValueError(f"assignment values must lie in 0..k with 0 <= k <= n; got k={k}, "
                             f"values in [{g.min()}, {g.max()}], n={self.n}")
        positions = np.flatnonzero(g)
        m = positions.size
        rank = _subset_rank(positions)
        for position in positions[::-1]:  # base-k digits, first position least significant
            rank = rank * k + int(g[position]) - 1
        c = (m, k)
        L = self._length[c]
        word = self._offset(c) + rank
        return format(word, "b").zfill(L) if L else ""

    def decode(self, code: str, *, allow_trailing: bool = False
               ) -> tuple[np.ndarray, int, int]:
        """Read d(g) from ``code``: (assignment (n,), k, bits used).

        Raises ValueError if ``code`` does not start with a codeword, or has bits after it
        (unless ``allow_trailing``).
        """
        code = _check_code(code)
        value, read = 0, 0
        for L in self._lengths:
            if len(code) < L:
                raise ValueError(f"code ends before a codeword of n = {self.n} is complete "
                                 f"({len(code)} bits)")
            value = (value << (L - read)) | (int(code[read:L], 2) if L > read else 0)
            read = L
            index = value - self._first[L]
            if 0 <= index < self._total[L]:
                break
        else:
            raise ValueError(f"code does not start with a codeword of the n = {self.n} code")
        for c in self._by_length[L]:
            if index < self._count[c]:
                break
            index -= self._count[c]
        m, k = c
        subset_rank, digits = divmod(index, k ** m)
        assignment = np.zeros(self.n, dtype=np.int64)
        for position in _subset_unrank(subset_rank, m, self.n):
            digits, digit = divmod(digits, k)
            assignment[position] = digit + 1
        _check_trailing(code, L, allow_trailing, "weight sharing d(g)")
        return assignment, k, L


@lru_cache(maxsize=16)
def kraft_sharing_code(n: int) -> KraftSharingCode:
    """The (cached) :class:`KraftSharingCode` for n weights."""
    return KraftSharingCode(n)


def bound_attainable(n: int) -> bool:
    """Whether a whole-bit prefix code can meet 001 Thm 2's bound for every g: n ≥ 4.

    K_n ≤ 1 is computed exactly for n ≤ 5 (and by the check up to n = 64) and proved for
    n ≥ 6 in the module docstring.
    """
    return check_int(n, "n") >= 4
