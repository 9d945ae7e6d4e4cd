"""One way to turn the ``rng`` argument of every random function into a Generator."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_generator"]


def as_generator(rng: np.random.Generator | int) -> np.random.Generator:
    """``rng`` as a ``numpy.random.Generator`` (an int is a seed; SPEC.md §1).

    Raises
    ------
    TypeError
        If ``rng`` is neither a Generator nor an int (``None`` is refused: every run must be
        reproducible).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral):
        raise TypeError(f"rng must be a numpy.random.Generator or an int seed, got {rng!r}")
    return np.random.default_rng(int(rng))
