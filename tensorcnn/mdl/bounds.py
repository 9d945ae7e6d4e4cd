r"""MDL generalisation bounds of 001 §3: Eq. (1) (Occam) and Eq. (2) (architecture search).

Losses are bounded in [0, 1] (the setting of Shalev-Shwartz & Ben-David, Thm 7.7). Code
lengths are in bits (log₂); the confidence term uses the natural logarithm, as in the
source theorem, where ln(2/δ) + |d| ln 2 ≤ ln(2/δ) + |d| gives the printed form.
All functions broadcast over numpy arrays.
"""

from __future__ import annotations

import numpy as np

__all__ = ["architecture_search_bound", "occam_bound", "sharing_length_bound"]


def _counts(value, name: str, minimum: int = 0) -> np.ndarray:
    """An integer (or integer array) ``>= minimum``: a count. Floats and bools are refused.

    Raises TypeError for a non-integer type (2.0 and 2.5 included, as
    :func:`tensorcnn._validation.check_int`), ValueError for a value below ``minimum``.
    """
    array = np.asarray(value)
    expected = f"an integer >= {minimum} (or an array of them)"
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must be {expected}, got {value!r}")
    if np.any(array < minimum):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return array


def _reals(value, name: str, low: float, high: float = np.inf, *, open_low: bool = False,
           open_high: bool = False) -> np.ndarray:
    """A finite real (or real array) in [low, high] (ends open where asked)."""
    array = np.asarray(value)
    interval = f"{'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a finite real number in {interval}, got {value!r}")
    array = array.astype(np.float64)
    below = array <= low if open_low else array < low
    above = array >= high if open_high else array > high
    if not np.all(np.isfinite(array)) or np.any(below | above):
        raise ValueError(f"{name} must be a finite real number in {interval}, got {value!r}")
    return array


def _validate(train_loss, m, delta):
    train_loss = _reals(train_loss, "train_loss", 0.0, 1.0)  # a bounded loss
    m = _counts(m, "m (the sample size)", 1)
    delta = _reals(delta, "delta", 0.0, 1.0, open_low=True, open_high=True)
    return train_loss, m, delta


def occam_bound(train_loss, m, description_bits, delta):
    """001 Eq. (1): L_D(h) ≤ L_S(h) + √((|d(h)| + ln(2/δ)) / (2m)).

    Parameters
    ----------
    train_loss : float or array, in [0, 1]
    m : int or array
        Training-set size.
    description_bits : float or array, finite and >= 0
        |d(h)| in bits, under a prefix-free language fixed before seeing the data.
    delta : float in (0, 1)

    Raises
    ------
    TypeError
        If m is not an integer (2.5 and 2.0 included).
    ValueError
        If m < 1, or train_loss, delta or description_bits is NaN, infinite or out of range.
    """
    train_loss, m, delta = _validate(train_loss, m, delta)
    description_bits = _reals(description_bits, "description_bits", 0.0)
    return train_loss + np.sqrt((description_bits + np.log(2 / delta)) / (2 * m))


def sharing_length_bound(n_nonzero, k, n):
    """001 Thm 2: |d(g)| ≤ ‖w‖₀ log₂(kn) + 2 log₂ n (real-valued, as printed).

    Parameters
    ----------
    n_nonzero, k, n : int or int array (broadcast)
        ‖w‖₀, the number of distinct non-zero parameters and the number of weights;
        0 <= k <= n, 0 <= n_nonzero <= n, n >= 1.

    Returns
    -------
    float or array, in bits.
    """
    n_nonzero = _counts(n_nonzero, "n_nonzero").astype(float)
    k = _counts(k, "k").astype(float)
    n = _counts(n, "n", 1).astype(float)
    if np.any(k > n) or np.any(n_nonzero > n):
        raise ValueError("need n >= 1, 0 <= k <= n and 0 <= n_nonzero <= n")
    with np.errstate(divide="ignore"):
        per_weight = np.where(n_nonzero > 0, np.log2(np.maximum(k * n, 1.0)), 0.0)
    return n_nonzero * per_weight + 2 * np.log2(n)


def architecture_search_bound(train_loss, m, k, bits, n_nonzero, n, delta,
                              sharing_bits=None):
    """001 Eq. (2): L_D(f_w) ≤ L_S(f_w) + √((k b + |d(g)| + ln(2n/δ)) / (2m)).

    Parameters
    ----------
    train_loss : float or array, in [0, 1]
    m : int
        Training-set size.
    k : int or array
        Number of distinct non-zero parameters of the found architecture.
    bits : int
        b, bits per parameter.
    n_nonzero : int or array
        ‖w‖₀.
    n : int
        Maximum number of parameters of the search space.
    delta : float in (0, 1)
    sharing_bits : float or array, optional
        |d(g)|; defaults to the theorem's bound ‖w‖₀ log₂(kn) + 2 log₂ n.

    Raises
    ------
    TypeError
        If a count (m, k, bits, n_nonzero, n) is not an integer (floats such as 2.5 or
        2.0 included) or a real argument is not a number.
    ValueError
        If a count is out of range, or train_loss, delta or sharing_bits is NaN,
        infinite or outside its range.
    """
    train_loss, m, delta = _validate(train_loss, m, delta)
    bits = _counts(bits, "bits", 1)
    k_checked = _counts(k, "k")
    n_checked = _counts(n, "n", 1)
    n_nonzero = _counts(n_nonzero, "n_nonzero")
    if sharing_bits is None:
        sharing_bits = sharing_length_bound(n_nonzero, k_checked, n_checked)
    else:
        sharing_bits = _reals(sharing_bits, "sharing_bits", 0.0)
        if np.any(k_checked > n_checked) or np.any(n_nonzero > n_checked):
            raise ValueError("need 0 <= k <= n and 0 <= n_nonzero <= n")
    complexity = k_checked * bits + sharing_bits + np.log(2 * n_checked / delta)
    return train_loss + np.sqrt(complexity / (2 * m))
