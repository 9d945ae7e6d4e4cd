r"""The least-squares objective of Eq. (6) of 003 in sufficient statistics.

.. math::
    f(\Theta) = \frac1n \sum_i (y_i - \langle M_i, \Theta\rangle)^2
              = c - 2\langle H, \Theta\rangle + \mathrm{vec}(\Theta)^\top G\,\mathrm{vec}(\Theta),

with G = (1/n) Σ_i vec(M_i) vec(M_i)ᵀ (PL × PL), H = (1/n) Σ_i y_i M_i and
c = (1/n) Σ_i y_i². Once G, H, c are formed (one pass over the data, O(n (PL)²)), every
evaluation and every block update costs nothing that grows with n.
"""

from __future__ import annotations

import numpy as np

from .._backend import as_array, to_numpy

__all__ = ["QuadraticObjective"]


class QuadraticObjective:
    """f(Θ) of Eq. (6) for Θ of shape (P, L), from M (n, P, l_1, …, l_N) and y (n,).

    Raises
    ------
    TypeError
        If ``M`` or ``y`` is not a real numeric array.
    ValueError
        If ``M`` has fewer than 3 axes or no sample, ``y`` is not of shape (n,), or either
        holds NaN or infinite entries.
    """

    def __init__(self, M: np.ndarray, y: np.ndarray) -> None:
        # checked once per fit (an O(size) pass, far below the O(n (PL)²) Gram product)
        M, y = to_numpy(as_array(M, "M")), to_numpy(as_array(y, "y"))
        if M.ndim < 3 or M.shape[0] == 0 or 0 in M.shape[1:]:
            raise ValueError(f"M must have shape (n, P, l_1, …, l_N) with n >= 1 and no empty "
                             f"axis, got {M.shape}")
        if y.shape != (M.shape[0],):
            raise ValueError(f"y must have shape (n,) = ({M.shape[0]},), got {y.shape}")
        n, P = M.shape[:2]
        flat = M.reshape(n, -1)
        L = flat.shape[1] // P
        self.n, self.P, self.L = n, P, L
        self.gram_flat = flat.T @ flat / n
        self.gram = self.gram_flat.reshape(P, L, P, L)
        self.cross = (flat.T @ y / n).reshape(P, L)
        self.const = float(y @ y / n)
        self._flat, self._y = flat, y

    def value(self, theta: np.ndarray) -> float:
        """f(Θ) from the sufficient statistics (rounding ~ 1e-16 · c)."""
        vec = theta.ravel()
        quad = float(vec @ (self.gram_flat @ vec))
        return self.const - 2.0 * float(np.vdot(self.cross, theta)) + quad

    def exact_value(self, theta: np.ndarray) -> float:
        """f(Θ) from the data: the mean squared residual, no cancellation."""
        residual = self._y - self._flat @ theta.ravel()
        return float(residual @ residual / self.n)

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """∇f(Θ) = 2 (G vec Θ − H), shape (P, L)."""
        return 2.0 * ((self.gram_flat @ theta.ravel()).reshape(self.P, self.L) - self.cross)
