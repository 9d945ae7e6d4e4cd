"""The sample sizes of 003 §4.1: √(d_M/n) equally spaced on [0.15, 0.60]."""

from __future__ import annotations

import numpy as np

from .._validation import check_finite, check_int

__all__ = ["sample_sizes"]


def sample_sizes(n_params: int, n_points: int = 10, low: float = 0.15,
                 high: float = 0.60) -> np.ndarray:
    """n_j = round(d_M / g_j²) for g_j equally spaced on [low, high] (003 §4.1).

    Returns
    -------
    ndarray of n_points ints, decreasing (g increasing); the x-axis of the plots is the
    realised √(d_M / n_j), not g_j.

    Raises
    ------
    TypeError
        For a non-integer n_params or n_points, or non-numeric low or high.
    ValueError
        For n_points < 2, a non-positive or empty interval, or rounding that makes two sizes
        equal or an n below d_M (then the fit is not determined).
    """
    n_params = check_int(n_params, "n_params")
    n_points = check_int(n_points, "n_points", minimum=2)
    low, high = check_finite(low, "low"), check_finite(high, "high")
    if not 0 < low < high < 1:
        raise ValueError(f"need 0 < low < high < 1 (so that n > d_M), got low={low}, high={high}")
    grid = np.linspace(low, high, n_points)
    sizes = np.rint(n_params / grid**2).astype(int)
    if np.unique(sizes).size != sizes.size:
        raise ValueError(f"d_M = {n_params} is too small for {n_points} distinct sample sizes")
    return sizes
