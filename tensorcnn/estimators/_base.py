"""What every CNN least-squares estimator shares: input checks and the fitted attributes."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._backend import as_array, to_numpy
from ..cnn import CNNSpec
from ._trace import design_to_trace

__all__ = ["CNNRegressorMixin", "ConvergenceWarning", "check_positive", "warn_not_converged"]


class ConvergenceWarning(UserWarning):
    """A solver stopped at its iteration cap before its convergence criterion held."""


def warn_not_converged(name: str, max_iter: int, change: float, tol: float,
                       stopped: str | None = None) -> None:
    """A :class:`ConvergenceWarning`; ``stopped`` says why the fit ended, if not at max_iter."""
    stopped = stopped or f"stopped after max_iter={max_iter} iterations"
    warnings.warn(
        f"{name} {stopped} with relative objective "
        f"change {change:.3g} > tol={tol:.3g}; the fit is flagged converged_=False",
        ConvergenceWarning, stacklevel=3,
    )


def check_positive(value: Any, name: str, integer: bool = False, allow_zero: bool = False) -> Any:
    """A positive (or non-negative) number, with a clear error otherwise."""
    ok_type = (isinstance(value, int | np.integer) if integer
               else isinstance(value, int | float | np.integer | np.floating))
    if isinstance(value, bool) or not ok_type:
        kind = "an int" if integer else "a number"
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if not (value >= 0 if allow_zero else value > 0) or not np.isfinite(value):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return value


class CNNRegressorMixin:
    """Shared ``fit(X, y)`` / ``fit_design(Z, y)`` plumbing for the CNN estimators.

    Subclasses define ``spec`` (a :class:`CNNSpec`), ``n_params_`` logic through
    ``_model_params()`` and ``_fit_trace(M, y)`` on the trace-regression data.
    """

    spec: CNNSpec

    def _model_params(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_spec(self) -> CNNSpec:
        if not isinstance(self.spec, CNNSpec):
            raise TypeError(f"spec must be a CNNSpec, got {type(self.spec).__name__}")
        return self.spec

    def _check_design(self, Z: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        spec = self._check_spec()
        Z = to_numpy(as_array(Z, "Z")).astype(np.float64, copy=False)
        y = to_numpy(as_array(y, "y")).astype(np.float64, copy=False)
        if Z.ndim != spec.n_modes + 1 or tuple(Z.shape[1:]) != spec.weight_shape:
            raise ValueError(
                f"Z must have shape (n, *weight_shape) = (n, "
                f"{', '.join(map(str, spec.weight_shape))}), got {Z.shape}"
            )
        self._check_response(Z.shape[0], y)
        return Z, y

    def _check_response(self, n_samples: int, y: np.ndarray) -> None:
        if y.ndim != 1 or y.shape[0] != n_samples:
            raise ValueError(f"y must have shape (n,) = ({n_samples},), got {y.shape}")
        n_params = self._model_params()
        if n_samples < n_params:
            raise ValueError(
                f"n = {n_samples} samples is smaller than the number of parameters "
                f"d_M = {n_params} of the model: the unregularised least-squares fit is not "
                "determined (use more samples or a smaller model)"
            )

    def fit(self, X: Any, y: Any):
        """Fit on raw inputs X of shape (n, d_1, …, d_N) and responses y of shape (n,).

        Returns
        -------
        self
        """
        spec = self._check_spec()
        self._model_params()  # validates the hyper-parameters before the design is built
        X = to_numpy(as_array(X, "X"))
        if X.ndim != spec.n_modes + 1 or tuple(X.shape[1:]) != spec.input_shape:
            raise ValueError(f"X must have shape (n, *{spec.input_shape}), got {X.shape}")
        y = to_numpy(as_array(y, "y"))
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have shape (n,) = ({X.shape[0]},), got {y.shape}")
        if X.shape[0] < self._model_params():
            self._check_design(np.zeros((X.shape[0], *spec.weight_shape)), y)
        return self.fit_design(spec.design(X), y)

    def fit_design(self, Z: Any, y: Any):
        """Fit on design tensors Z of shape (n, l_1 p_1, …, l_N p_N) (003 Eq. 5).

        Returns
        -------
        self
        """
        Z, y = self._check_design(Z, y)
        M = design_to_trace(self.spec, Z)
        self._fit_trace(M, y)
        return self

    def fit_trace(self, M: Any, y: Any):
        """Fit on the trace-regression data M_i (SPEC.md §3): y_i = ⟨M_i, Θ⟩.

        The same fit as :meth:`fit_design` on the design Z_i that M_i rearranges (Z_i's
        Kronecker modes split, the pooled ones first), without that rearrangement per call:
        a sweep over sample sizes computes M once and fits its prefixes.

        Parameters
        ----------
        M : array of shape (n, P, l_1, …, l_N)
        y : array of shape (n,)

        Returns
        -------
        self
        """
        spec = self._check_spec()
        M = to_numpy(as_array(M, "M")).astype(np.float64, copy=False)
        y = to_numpy(as_array(y, "y")).astype(np.float64, copy=False)
        expected = (math.prod(spec.pooled_shape), *spec.kernel_shape)
        if M.ndim != spec.n_modes + 2 or tuple(M.shape[1:]) != expected:
            raise ValueError(f"M must have shape (n, P, *kernel_shape) = (n, "
                             f"{', '.join(map(str, expected))}), got {M.shape}")
        self._check_response(M.shape[0], y)
        self._fit_trace(M, y)
        return self

    def _fit_trace(self, M: np.ndarray, y: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError

    def predict(self, X: Any) -> np.ndarray:
        """Predictions ⟨Z_i, Ŵ⟩ for inputs X of shape (n, d_1, …, d_N)."""
        if not hasattr(self, "W_"):
            raise AttributeError(f"{type(self).__name__} is not fitted yet: call fit first")
        Z = self.spec.design(X)
        return Z.reshape(Z.shape[0], -1) @ self.W_.ravel()
