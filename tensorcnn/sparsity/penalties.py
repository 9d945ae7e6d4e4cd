"""Penalties with their proximal operators (value, prox) for the proximal-gradient solver."""

from __future__ import annotations

import numbers

import numpy as np

from .._prox import group_shrinkage, soft_threshold
from .._validation import check_nonnegative

__all__ = ["GroupL2", "L1", "SquaredL2", "lp_power"]


class GroupL2:
    r"""Group-lasso penalty over rows (Eq. (5) of 002, groups = input features).

    .. math:: g(W) = \lambda \sum_j \omega_j \lVert W_{j,:} \rVert_2

    ``weights`` (omega, default 1) allows Eq. (4)'s sqrt(#theta_j) and an unpenalised
    intercept row (weight 0).

    Parameters
    ----------
    lam : float >= 0
    weights : array of shape (n_rows,), finite and >= 0, optional
    """

    def __init__(self, lam: float, weights: np.ndarray | None = None):
        self.lam = check_nonnegative(lam, "lam")
        if weights is not None:
            weights = np.asarray(weights)
            if weights.dtype.kind not in "iuf":  # bools are not weights
                raise TypeError(f"weights must be a 1-D array of real numbers, got dtype "
                                f"{weights.dtype}")
            weights = weights.astype(np.float64)
            if weights.ndim != 1:
                raise ValueError(f"weights must be a 1-D array (n_rows,), got shape "
                                 f"{weights.shape}")
            if not np.all(np.isfinite(weights)) or np.any(weights < 0):
                raise ValueError(f"weights must be finite and >= 0, got {weights!r}")
        self.weights = weights

    def _w(self, n_rows: int) -> np.ndarray:
        if self.weights is None:
            return np.ones(n_rows)
        if self.weights.shape[0] != n_rows:
            raise ValueError(f"weights has {self.weights.shape[0]} entries but W has {n_rows} "
                             "rows; they must agree")
        return self.weights

    def value(self, W: np.ndarray) -> float:
        return float(self.lam * np.sum(self._w(W.shape[0]) * np.linalg.norm(W, axis=1)))

    def prox(self, W: np.ndarray, step: float) -> np.ndarray:
        """Block soft-thresholding of each row by step * lam * omega_j."""
        norms = np.linalg.norm(W, axis=1, keepdims=True)
        thresh = step * self.lam * self._w(W.shape[0])[:, None]
        return W * group_shrinkage(norms, thresh, np.finfo(np.result_type(W.dtype, float)).tiny)

    def kkt_violation(self, W: np.ndarray, grad: np.ndarray) -> float:
        r"""Largest violation of the optimality conditions of min f + g.

        Non-zero row: grad_j + lam omega_j W_j / ||W_j|| = 0; zero row: ||grad_j|| <= lam
        omega_j. Returns the max over rows of the norm of the residual / excess.
        """
        w = self._w(W.shape[0])
        norms = np.linalg.norm(W, axis=1)
        nz = norms > 0
        res = np.zeros(W.shape[0])
        res[nz] = np.linalg.norm(grad[nz] + (self.lam * w[nz] / norms[nz])[:, None] * W[nz],
                                 axis=1)
        res[~nz] = np.maximum(np.linalg.norm(grad[~nz], axis=1) - self.lam * w[~nz], 0.0)
        return float(res.max(initial=0.0))


class L1:
    r"""Lasso penalty :math:`\lambda \lVert W \rVert_1` (the lam ||beta||_1 of Eq. (6)).

    Parameters
    ----------
    lam : float >= 0
    """

    def __init__(self, lam: float):
        self.lam = check_nonnegative(lam, "lam")

    def value(self, W: np.ndarray) -> float:
        return float(self.lam * np.abs(W).sum())

    def prox(self, W: np.ndarray, step: float) -> np.ndarray:
        return soft_threshold(W, step * self.lam)


class SquaredL2:
    r"""Ridge penalty :math:`\lambda \lVert W \rVert_2^2` (lam2 ||A||_2^2 of Eq. (8)-(9)).

    Parameters
    ----------
    lam : float >= 0
    """

    def __init__(self, lam: float):
        self.lam = check_nonnegative(lam, "lam")

    def value(self, W: np.ndarray) -> float:
        return float(self.lam * np.sum(W * W))

    def prox(self, W: np.ndarray, step: float) -> np.ndarray:
        return W / (1.0 + 2.0 * step * self.lam)


def lp_power(lam2: float, p: float) -> L1 | SquaredL2:
    r"""The penalty :math:`\lambda_2 \lVert A \rVert_p^p` for p in {1, 2}.

    Raises
    ------
    TypeError, ValueError
        ``p`` not 1 or 2; ``lam2`` not a finite number ≥ 0.
    """
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {p!r}")
    lam2 = check_nonnegative(lam2, "lam2")
    return L1(lam2) if p == 1 else SquaredL2(lam2)
