r"""The prefix-free description language of 001 Theorem 2 (proof in 001 App. B).

A parameter vector w ∈ R_b^n with weight sharing is described by k ≤ n distinct non-zero
parameter values p ∈ R_b^k and a map g from the n weight positions to {0, 1, …, k}:
w_i = p_{g(i)} when g(i) ≥ 1, and w_i = 0 when g(i) = 0 (the zero parameter is implicit,
as in the proof: "the rest of the weights will then be assigned to the parameter with value
zero").

Code of g (``encode_sharing``), as in the proof, with integer field widths:

1. a header holding ‖w‖₀ ∈ {0..n} and k ∈ {0..n} as the single integer ‖w‖₀ (n+1) + k in
   H = ⌈log₂ (n+1)²⌉ bits;
2. for each non-zero weight, in increasing position i, the pair (i, g(i) − 1) ∈ [n] × [k],
   the ‖w‖₀ pairs packed together as one base-nk integer in ⌈‖w‖₀ log₂(nk)⌉ bits.

Packing the pairs jointly (rather than ⌈log₂ n⌉ + ⌈log₂ k⌉ bits each) keeps the length
within rounding of the paper's ‖w‖₀ log(kn) + 2 log(n):

.. math:: |d(g)| \le \|w\|_0 \log_2(kn) + 2\log_2(n+1) + 2,

the n + 1 because counts run over 0..n, the + 2 from the two ceilings. The printed bound
itself is met, for n ≥ 4, by :class:`tensorcnn.mdl.KraftSharingCode` (no whole-bit code
meets it for n ≤ 3); see ``docs/interpretations.md``. The code is prefix-free because the
header has a fixed length for a given n and fixes the payload's length.

Code of the model (``encode_model``), the proof's language for f_w: k in ⌈log₂(n+1)⌉ bits,
then the k values in b bits each (IEEE bit patterns of float16/32/64), then d(g).
Bit strings are Python ``str`` of '0'/'1'.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .._validation import check_bool, check_int

__all__ = [
    "SharedWeights",
    "decode_model",
    "decode_sharing",
    "encode_model",
    "encode_sharing",
    "model_code_length",
    "share_weights",
    "sharing_code_length",
]

_FLOAT_TYPES = {16: (np.float16, np.uint16), 32: (np.float32, np.uint32),
                64: (np.float64, np.uint64)}


@dataclass(frozen=True)
class SharedWeights:
    """A weight vector as (p, g): ``values`` p (k,) and ``assignment`` g (n,) in 0..k."""

    values: np.ndarray
    assignment: np.ndarray

    def __post_init__(self) -> None:
        values, assignment = np.asarray(self.values), np.asarray(self.assignment)
        if values.ndim != 1 or values.dtype.kind != "f":
            raise TypeError(f"values must be a 1-D float array (k,), got {self.values!r}")
        if assignment.ndim != 1 or assignment.dtype.kind not in "iu":
            raise TypeError(f"assignment must be a 1-D integer array (n,), got "
                            f"{self.assignment!r}")
        if assignment.size and (assignment.min() < 0 or assignment.max() > values.size):
            raise ValueError(f"assignment values must lie in 0..k = {values.size}, got "
                             f"values in [{assignment.min()}, {assignment.max()}]")

    @property
    def n_params(self) -> int:
        """k, the number of distinct non-zero parameters."""
        return int(self.values.size)

    @property
    def n_nonzero(self) -> int:
        """‖w‖₀."""
        return int(np.count_nonzero(self.assignment))

    def weights(self) -> np.ndarray:
        """w with w_i = p_{g(i)} (0 where g(i) = 0), shape (n,)."""
        padded = np.concatenate([np.zeros(1, dtype=self.values.dtype), self.values])
        return padded[self.assignment]


def _check_bits(bits: int) -> tuple[type, type]:
    if bits not in _FLOAT_TYPES:
        raise ValueError(f"bits must be 16, 32 or 64 (IEEE floats), got {bits!r}")
    return _FLOAT_TYPES[bits]


def _check_size(n: int, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def _check_code(code: str, name: str = "code") -> str:
    """A bit string: a ``str`` of '0' and '1' only."""
    if not isinstance(code, str):
        raise TypeError(f"{name} must be a str of '0'/'1' characters, got {type(code).__name__}")
    if code.strip("01"):
        bad = sorted(set(code) - {"0", "1"})
        raise ValueError(f"{name} must contain only '0' and '1', found {bad!r}")
    return code


def _check_trailing(code: str, used: int, allow_trailing: bool, what: str) -> None:
    if not allow_trailing and used != len(code):
        raise ValueError(f"code has {len(code) - used} trailing bits after the {what} "
                         f"({used} of {len(code)} bits read); pass allow_trailing=True to "
                         "read a description at the start of a longer string")


def _width(n_values: int) -> int:
    """Bits to write any integer in [0, n_values): ⌈log₂ n_values⌉ (0 for one value)."""
    return (n_values - 1).bit_length()


def _power_width(base: int, exponent: int) -> int:
    """⌈exponent · log₂ base⌉ = bits for any integer in [0, base^exponent), exactly.

    The float estimate is exact unless exponent · log₂ base lies within rounding of an
    integer (it is irrational unless base is a power of two); only then use big integers.
    """
    if base <= 1 or exponent == 0:
        return 0
    estimate = exponent * math.log2(base)
    nearest = round(estimate)
    if abs(estimate - nearest) > 1e-12 * max(1.0, estimate) and base & (base - 1):
        return math.ceil(estimate)
    return _width(base ** exponent)


def share_weights(w, bits: int = 32) -> SharedWeights:
    """Find the weight sharing of w: its distinct non-zero values at b-bit precision.

    Parameters
    ----------
    w : array of shape (n,) (any shape is flattened)
    bits : {16, 32, 64}
        b, the precision of the parameter values.

    Returns
    -------
    SharedWeights
        p in order of first appearance, g with 0 for zero weights.
    """
    float_type, _ = _check_bits(bits)
    w = np.asarray(w, dtype=np.float64).ravel()
    if w.size == 0:
        raise ValueError("w must have at least one entry")
    if not np.isfinite(w).all():
        raise ValueError("w contains NaN or infinite values")
    quantised = w.astype(float_type)
    nonzero = quantised != 0
    unique, first, inverse = np.unique(quantised[nonzero], return_index=True,
                                       return_inverse=True)
    order = np.argsort(first)  # first appearance keeps the code deterministic and readable
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    assignment = np.zeros(w.size, dtype=np.int64)
    assignment[nonzero] = rank[inverse] + 1
    return SharedWeights(unique[order], assignment)


def sharing_code_length(n_nonzero: int, k: int, n: int) -> int:
    """|d(g)| in bits for ‖w‖₀ = ``n_nonzero`` weights sharing k parameters out of n."""
    n = _check_size(n)
    k = check_int(k, "k", minimum=0)
    n_nonzero = check_int(n_nonzero, "n_nonzero", minimum=0)
    if not 0 <= k <= n or not 0 <= n_nonzero <= n:
        raise ValueError(f"need 0 <= k <= n and 0 <= n_nonzero <= n, got k={k}, "
                         f"n_nonzero={n_nonzero}, n={n}")
    if n_nonzero > 0 and k == 0:
        raise ValueError("non-zero weights need k >= 1 parameters")
    if n_nonzero == 0:
        return _width((n + 1) ** 2)
    return _width((n + 1) ** 2) + _power_width(n * k, n_nonzero)


def encode_sharing(assignment, k: int) -> str:
    """d(g): the prefix-free code of a weight-sharing map g (see the module docstring).

    Parameters
    ----------
    assignment : int array of shape (n,), values in 0..k
    k : int
        Number of non-zero parameters.
    """
    g = np.asarray(assignment)
    if g.ndim != 1 or g.size == 0 or g.dtype.kind not in "iu":
        raise ValueError(f"assignment must be a non-empty 1-D integer array, got {g!r}")
    n = g.size
    k = check_int(k, "k", minimum=0)
    if not 0 <= k <= n or g.min() < 0 or g.max() > k:
        raise ValueError(f"assignment values must lie in 0..k with 0 <= k <= n; got k={k}, "
                         f"values in [{g.min()}, {g.max()}], n={n}")
    positions = np.flatnonzero(g)
    header = len(positions) * (n + 1) + k
    code = format(header, "b").zfill(_width((n + 1) ** 2))
    if len(positions):
        base = n * k
        packed = 0
        for position in positions[::-1]:
            packed = packed * base + int(position) * k + int(g[position]) - 1
        width = _power_width(base, len(positions))
        code += format(packed, "b").zfill(width) if width else ""
    return code


def decode_sharing(code: str, n: int, *, allow_trailing: bool = False
                   ) -> tuple[np.ndarray, int, int]:
    """Read d(g) from ``code``.

    Parameters
    ----------
    code : str of '0'/'1'
    n : int >= 1
        Number of weights.
    allow_trailing : bool, default False
        Read d(g) at the start of a longer string (the code is prefix-free, so where it ends
        is known); by default bits after d(g) are an error.

    Returns
    -------
    assignment : int array of shape (n,)
    k : int
    n_bits : int
        How many bits of ``code`` the description used.

    Raises
    ------
    ValueError
        If ``code`` is not a valid description for this n, or has trailing bits (unless
        ``allow_trailing``).
    """
    allow_trailing = check_bool(allow_trailing, "allow_trailing")
    code = _check_code(code)
    n = _check_size(n)
    header_width = _width((n + 1) ** 2)
    if len(code) < header_width:
        raise ValueError(f"code ends inside the header ({len(code)} < {header_width} bits)")
    header = int(code[:header_width], 2) if header_width else 0
    n_nonzero, k = divmod(header, n + 1)
    if n_nonzero > n or (n_nonzero and not k):
        raise ValueError("code does not describe a valid weight sharing for this n")
    assignment = np.zeros(n, dtype=np.int64)
    used = header_width
    if n_nonzero:
        base = n * k
        width = _power_width(base, n_nonzero)
        if len(code) < used + width:
            raise ValueError("code ends inside the weight assignments")
        packed = int(code[used: used + width], 2) if width else 0
        used += width
        for _ in range(n_nonzero):
            packed, digit = divmod(packed, base)
            position, parameter = divmod(digit, k)
            assignment[position] = parameter + 1
    _check_trailing(code, used, allow_trailing, "weight sharing d(g)")
    return assignment, k, used


def model_code_length(n_nonzero: int, k: int, n: int, bits: int = 32) -> int:
    """Length of the full code of f_w: ⌈log₂(n+1)⌉ + k b + |d(g)|."""
    _check_bits(bits)
    length = sharing_code_length(n_nonzero, k, n)     # checks n_nonzero, k and n
    return _width(int(n) + 1) + int(k) * bits + length


def encode_model(w, bits: int = 32) -> str:
    """The proof's code of f_w: k, then the k parameter values, then d(g). n = w.size."""
    _, uint_type = _check_bits(bits)
    shared = share_weights(w, bits)
    n = shared.assignment.size
    code = format(shared.n_params, "b").zfill(_width(n + 1))
    code += "".join(format(int(v), "b").zfill(bits) for v in shared.values.view(uint_type))
    return code + encode_sharing(shared.assignment, shared.n_params)


def decode_model(code: str, n: int, bits: int = 32, *, allow_trailing: bool = False
                 ) -> tuple[np.ndarray, int]:
    """Inverse of :func:`encode_model`.

    Parameters
    ----------
    code : str of '0'/'1'
    n : int >= 1
        Number of weights.
    bits : {16, 32, 64}
    allow_trailing : bool, default False
        Read the model at the start of a longer string; by default bits after the model's
        description are an error.

    Returns
    -------
    w : array of shape (n,), float of ``bits`` bits
    n_bits : int
        Bits of ``code`` used.

    Raises
    ------
    ValueError
        If ``code`` is not a model description for this n and b, or has trailing bits
        (unless ``allow_trailing``).
    """
    allow_trailing = check_bool(allow_trailing, "allow_trailing")
    code = _check_code(code)
    float_type, uint_type = _check_bits(bits)
    n = _check_size(n)
    k_width = _width(n + 1)
    if len(code) < k_width:
        raise ValueError(f"code ends inside the parameter count ({len(code)} < {k_width} "
                         "bits)")
    k = int(code[:k_width], 2) if k_width else 0
    if k > n:
        raise ValueError(f"code's parameter count k = {k} exceeds n = {n}")
    used = k_width + k * bits
    if len(code) < used:
        raise ValueError("code ends inside the parameter values")
    raw = np.array([int(code[k_width + i * bits: k_width + (i + 1) * bits], 2)
                    for i in range(k)], dtype=uint_type)
    values = raw.view(float_type)
    assignment, k_sharing, sharing_bits = decode_sharing(code[used:], n, allow_trailing=True)
    if k_sharing != k:
        raise ValueError("the parameter count in d(g) disagrees with the model header")
    _check_trailing(code, used + sharing_bits, allow_trailing, "model description")
    return SharedWeights(values, assignment).weights(), used + sharing_bits
