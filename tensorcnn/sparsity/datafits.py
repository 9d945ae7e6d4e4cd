"""Data-fit terms on the linear predictor Z = X W (skglm-style: data fit / penalty / solver).

Each data fit is a function of the linear predictor ``Z`` of shape (n_samples, n_outputs)
so that the group lasso (Z = X W) and ShrinkNet (Z = X diag(beta) A) share it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

__all__ = ["Quadratic", "Multinomial", "make_datafit"]


class Quadratic:
    r"""Multi-target least squares, the data fit of Eq. (6)-(7) of 002 rescaled by 1/(2n).

    .. math:: f(Z) = \frac{1}{2n} \lVert Y - Z \rVert_F^2, \qquad
              \nabla f(Z) = \frac{1}{n}(Z - Y).

    Parameters
    ----------
    Y : ndarray, shape (n_samples, n_targets)
    """

    name = "squared"

    def __init__(self, Y: np.ndarray):
        self.Y = Y
        self.n = Y.shape[0]
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
    """

    name = "multinomial"

    def __init__(self, Y: np.ndarray):
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
    """The data-fit object for ``loss`` ("squared" or "multinomial")."""
    return Quadratic(Y) if loss == "squared" else Multinomial(Y)
