r"""MDL generalisation bounds of 001 §3: Eq. (1) (Occam) and Eq. (2) (architecture search).

Losses are bounded in [0, 1] (the setting of Shalev-Shwartz & Ben-David, Thm 7.7). Code
lengths are in bits (log₂); the confidence term uses the natural logarithm, as in the
source theorem, where ln(2/δ) + |d| ln 2 ≤ ln(2/δ) + |d| gives the printed form.
All functions broadcast over numpy arrays.
"""

from __future__ import annotations

import numpy as np

__all__ = ["architecture_search_bound", "occam_bound", "sharing_length_bound"]


def _validate(train_loss, m, delta):
    train_loss = np.asarray(train_loss, dtype=float)
    if np.any((train_loss < 0) | (train_loss > 1)) or not np.all(np.isfinite(train_loss)):
        raise ValueError("train_loss must lie in [0, 1] (a bounded loss)")
    if np.any(np.asarray(m) < 1):
        raise ValueError(f"m (the sample size) must be >= 1, got {m!r}")
    if np.any((np.asarray(delta) <= 0) | (np.asarray(delta) >= 1)):
        raise ValueError(f"delta must lie in (0, 1), got {delta!r}")
    return train_loss


def occam_bound(train_loss, m, description_bits, delta):
    """001 Eq. (1): L_D(h) ≤ L_S(h) + √((|d(h)| + ln(2/δ)) / (2m)).

    Parameters
    ----------
    train_loss : float or array, in [0, 1]
    m : int or array
        Training-set size.
    description_bits : float or array
        |d(h)| in bits, under a prefix-free language fixed before seeing the data.
    delta : float in (0, 1)
    """
    train_loss = _validate(train_loss, m, delta)
    if np.any(np.asarray(description_bits) < 0):
        raise ValueError("description_bits must be >= 0")
    return train_loss + np.sqrt((np.asarray(description_bits) + np.log(2 / np.asarray(delta)))
                                / (2 * np.asarray(m)))


def sharing_length_bound(n_nonzero, k, n):
    """001 Thm 2: |d(g)| ≤ ‖w‖₀ log₂(kn) + 2 log₂ n (real-valued, as printed)."""
    n_nonzero, k, n = (np.asarray(x, dtype=float) for x in (n_nonzero, k, n))
    if np.any(n < 1) or np.any((k < 0) | (k > n)) or np.any((n_nonzero < 0) | (n_nonzero > n)):
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
    """
    train_loss = _validate(train_loss, m, delta)
    if np.any(np.asarray(bits) < 1):
        raise ValueError(f"bits must be >= 1, got {bits!r}")
    if sharing_bits is None:
        sharing_bits = sharing_length_bound(n_nonzero, k, n)
    complexity = np.asarray(k) * bits + np.asarray(sharing_bits) + np.log(2 * np.asarray(n)
                                                                          / delta)
    return train_loss + np.sqrt(complexity / (2 * np.asarray(m)))
