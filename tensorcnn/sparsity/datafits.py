"""Data-fit terms on the linear predictor Z = X W (skglm-style: data fit / penalty / solver).

Each data fit is a function of the linear predictor ``Z`` of shape (n_samples, n_outputs)
so that the group lasso (Z = X W) and ShrinkNet (Z = X diag(beta) A) share it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

__all__ = ["Quadratic", "Multinomial", "make_datafit"]


def _check_matrix(Y: np.ndarray, name: str = "Y") -> np.ndarray:
    """Y as a finite float64 matrix (n_samples, n_outputs), n_samples >= 1."""
    Y = np.asarray(Y)
    if Y.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real-valued array, got dtype {Y.dtype}")
    Y = Y.astype(np.float64)
    if Y.ndim != 2 or Y.shape[0] < 1:
        raise ValueError(f"{name} must be a 2-D array (n_samples, n_outputs), got shape "
                         f"{Y.shape}")
    if not np.isfinite(Y).all():
        raise ValueError(f"{name} contains NaN or infinite values; expected finite targets")
    return Y


class Quadratic:
    r"""Multi-target least squares, the data fit of Eq. (6)-(7) of 002 rescaled by 1/(2n).

    .. math:: f(Z) = \frac{1}{2n} \lVert Y - Z \rVert_F^2, \qquad
              \nabla f(Z) = \frac{1}{n}(Z - Y).

    Parameters
    ----------
    Y : ndarray, shape (n_samples, n_targets), finite

    Raises
    ------
    ValueError
        If Y is not a finite 2-D array.
    """

    name = "squared"

    def __init__(self, Y: np.ndarray):
        self.Y = _check_matrix(Y)
        self.n = self.Y.shape[0]  # of the checked array: Y may be a nested list
        #: Lipschitz constant of the gradient with respect to Z.
        self.curvature = 1.0 / self.n

    def value(self, Z: np.ndarray) -> float:
        R = self.Y - Z
        return float(np.sum(R * R) / (2 * self.n))

    def value_grad(self, Z: np.ndarray) -> tuple[float, np.ndarray]:
        R = Z - self.Y
        return float(np.sum(R * R) / (2 * self.n)), R / self.n

    def null_value(self) -> float:
        """f at W = 0 (the loss used to normalise curves to [0, 1])."""
        return self.value(np.zeros_like(self.Y))


class Multinomial:
    r"""Mean multinomial negative log-likelihood with one-hot targets (no intercept).

    .. math:: f(Z) = \frac{1}{n}\sum_i \Big(\log\sum_k e^{Z_{ik}} - \langle Y_i, Z_i\rangle
              \Big), \qquad \nabla f(Z) = \frac{1}{n}(\operatorname{softmax}(Z) - Y).

    The gradient is Lipschitz in Z with constant 1/(2n) (Böhning's bound on the Hessian of
    log-sum-exp, (1/2)(I - 11^T/K) <= I/2).

    Parameters
    ----------
    Y : ndarray, shape (n_samples, n_classes), one-hot

    Raises
    ------
    ValueError
        If Y is not a finite one-hot matrix with at least 2 columns.
    """

    name = "multinomial"

    def __init__(self, Y: np.ndarray):
        Y = _check_matrix(Y)
        if Y.shape[1] < 2 or not (np.isin(Y, (0.0, 1.0)).all() and (Y.sum(axis=1) == 1).all()):
            raise ValueError(f"Y must be one-hot (n_samples, n_classes >= 2): rows of 0/1 "
                             f"with a single 1; got shape {Y.shape} with row sums in "
                             f"[{Y.sum(axis=1).min():g}, {Y.sum(axis=1).max():g}]")
        self.Y = Y
        self.n = Y.shape[0]
        self.curvature = 0.5 / self.n

    def value(self, Z: np.ndarray) -> float:
        return float(np.sum(logsumexp(Z, axis=1) - np.sum(self.Y * Z, axis=1)) / self.n)

    def value_grad(self, Z: np.ndarray) -> tuple[float, np.ndarray]:
        shifted = Z - Z.max(axis=1, keepdims=True)
        E = np.exp(shifted)
        total = E.sum(axis=1, keepdims=True)
        value = np.sum(np.log(total[:, 0]) - np.sum(self.Y * shifted, axis=1)) / self.n
        return float(value), (E / total - self.Y) / self.n

    def null_value(self) -> float:
        """f at W = 0, that is log K."""
        return self.value(np.zeros_like(self.Y))


def make_datafit(loss: str, Y: np.ndarray) -> Quadratic | Multinomial:
    """The data-fit object for ``loss`` ("squared" or "multinomial").

    ``Y`` is the checked target matrix: (n, q) finite for "squared", one-hot (n, K) for
    "multinomial" (labels are one-hot encoded by ``check_targets`` before this).
    """
    if loss not in ("squared", "multinomial"):
        raise ValueError(f"loss must be 'squared' or 'multinomial', got {loss!r}")
    return Quadratic(Y) if loss == "squared" else Multinomial(Y)
