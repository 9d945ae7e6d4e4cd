"""Sparsity-specific argument checks (p, loss, design, targets); the generic number and
``rng`` checks are in :mod:`tensorcnn._validation`."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .._backend import as_array, to_numpy
from .._validation import check_bool, check_int, check_nonnegative, check_positive

__all__ = ["check_p", "check_design", "check_targets", "check_loss", "check_problem"]

LOSSES = ("squared", "multinomial")


def check_p(p: Any, solver: bool = True) -> float:
    """The exponent p of lam2 * ||A||_p^p: > 0, and in {1, 2} where a solver needs it."""
    p = check_positive(p, "p")
    if check_bool(solver, "solver") and p not in (1.0, 2.0):
        raise ValueError(f"p must be 1 or 2 for the ShrinkNet solver, got {p!r}")
    return p


def check_loss(loss: Any) -> str:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return loss


def _check_name(name: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"name must be a string (the argument's name), got {name!r}")


def check_design(X: Any, name: str = "X") -> np.ndarray:
    """A finite float64 matrix of shape (n_samples, n_features) with n_samples >= 1."""
    _check_name(name)
    X = np.asarray(to_numpy(as_array(X, name)), dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array (n_samples, n_features), got shape "
                         f"{X.shape}")
    return X


def check_targets(Y: Any, n_samples: int, loss: str, name: str = "Y") -> np.ndarray:
    """Targets as float64: (n, q) for the squared loss, one-hot (n, K) for multinomial.

    For ``loss="multinomial"`` ``Y`` is either a 1-D vector of class labels (any values;
    classes are ``np.unique(Y)`` in sorted order) or a one-hot matrix (n, K).
    """
    _check_name(name)
    n_samples = check_int(n_samples, "n_samples")
    loss = check_loss(loss)
    if loss == "multinomial":
        raw = np.asarray(to_numpy(Y))
        if raw.ndim == 1:
            if raw.dtype.kind == "f" and not np.isfinite(raw).all():
                raise ValueError(f"{name} contains NaN or infinite values")
            if raw.shape[0] != n_samples:
                raise ValueError(f"{name} has {raw.shape[0]} labels but X has {n_samples} "
                                 "rows; they must agree")
            if raw.dtype.kind == "O" and any(
                    v is None or (isinstance(v, numbers.Real) and not math.isfinite(v))
                    for v in raw):
                raise ValueError(f"{name} contains missing labels (None, NaN or infinite); "
                                 "expected a class label for every sample")
            try:
                classes, codes = np.unique(raw, return_inverse=True)
            except TypeError as error:
                raise TypeError(f"{name} labels must be mutually comparable (one type), "
                                f"got dtype {raw.dtype}: {error}") from None
            if classes.size < 2:
                raise ValueError(f"{name} must contain at least 2 classes, got {classes.size}")
            return np.eye(classes.size)[codes]
        Y = np.asarray(to_numpy(as_array(Y, name)), dtype=np.float64)
        if Y.ndim != 2 or Y.shape[1] < 2:
            raise ValueError(f"{name} must be labels (n,) or one-hot (n, K >= 2), got shape "
                             f"{Y.shape}")
        if not (np.isin(Y, (0.0, 1.0)).all() and np.allclose(Y.sum(axis=1), 1.0)):
            raise ValueError(f"{name} given as a matrix must be one-hot (rows of 0/1 summing "
                             "to 1)")
    else:
        Y = np.asarray(to_numpy(as_array(Y, name)), dtype=np.float64)
        if Y.ndim == 1:
            Y = Y[:, None]
        if Y.ndim != 2:
            raise ValueError(f"{name} must be 1-D or 2-D (n_samples, n_targets), got shape "
                             f"{Y.shape}")
    if Y.shape[0] != n_samples:
        raise ValueError(f"{name} has {Y.shape[0]} rows but X has {n_samples}; they must agree")
    return Y


def check_lams(lams: Any) -> np.ndarray:
    """A path of penalty levels: a non-empty sequence of finite numbers >= 0, as float64.

    An entry is named ``lams`` when the sequence has several values and ``lam`` when it
    has one (the single-lam solvers call the path functions with ``[lam]``).
    """
    if isinstance(lams, str | bytes) or not np.iterable(lams):
        raise TypeError(f"lams must be a sequence of numbers >= 0 (a list, even for one "
                        f"value), got {type(lams).__name__} {lams!r:.80}")
    lams = list(lams)
    name = "lams" if len(lams) > 1 else "lam"
    values = np.asarray([check_nonnegative(v, name) for v in lams], dtype=np.float64)
    if values.size == 0:
        raise ValueError("lams must contain at least one value")
    return values


def check_problem(X: Any, Y: Any, loss: str) -> tuple[np.ndarray, np.ndarray, str]:
    """The checked (X (n, p), Y, loss) of a group-lasso or ShrinkNet problem."""
    loss = check_loss(loss)
    X = check_design(X)
    return X, check_targets(Y, X.shape[0], loss), loss
