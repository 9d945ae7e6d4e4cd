"""FISTA with backtracking and adaptive restart: min_W f(W) + g(W), f smooth, g with a prox."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._backend import as_array, to_numpy
from .._validation import (
    ConvergenceWarning,
    check_bool,
    check_callable,
    check_int,
    check_positive,
)

__all__ = ["FistaResult", "fista", "ConvergenceWarning"]


@dataclass
class FistaResult:
    """Outcome of :func:`fista`.

    Attributes
    ----------
    W : ndarray
        The last iterate (the prox step z_k).
    objective : float
        f(W) + g(W) at the returned W.
    n_iter : int
    converged : bool
        Whether ||L (y_k - z_k)||_inf <= tol was reached.
    step_inverse : float
        The final backtracking constant L (useful as a warm start).
    """

    W: np.ndarray
    objective: float
    n_iter: int
    converged: bool
    step_inverse: float


def fista(smooth: Callable[[np.ndarray], tuple[float, np.ndarray]],
          smooth_value: Callable[[np.ndarray], float],
          penalty, W0: np.ndarray, L0: float, tol: float = 1e-9, max_iter: int = 10_000,
          warn: bool = True) -> FistaResult:
    r"""Accelerated proximal gradient (Beck & Teboulle 2009) with backtracking on L and
    function-value restart (O'Donoghue & Candès 2015).

    Convergence criterion: the gradient mapping :math:`G = L (y_k - z_k)` with
    :math:`z_k = \operatorname{prox}_{g/L}(y_k - \nabla f(y_k)/L)` satisfies
    :math:`\lVert G \rVert_\infty \le` ``tol``. Since
    :math:`\operatorname{dist}(0, \partial F(z_k)) \le 2 \lVert G \rVert` when L bounds the
    local Lipschitz constant, this is a KKT-residual test on the returned iterate.

    Parameters
    ----------
    smooth : callable W -> (f(W), grad f(W))
    smooth_value : callable W -> f(W)
    penalty : object with ``value(W)`` and ``prox(W, step)``
    W0 : ndarray, starting point (warm start)
    L0 : float > 0, initial estimate of the Lipschitz constant of grad f
    tol : float > 0
    max_iter : int >= 1
        Stopping rule; a :class:`ConvergenceWarning` is issued at the cap.

    Raises
    ------
    ValueError, TypeError
        If ``L0`` or ``tol`` is not a finite number > 0, ``max_iter`` not an integer >= 1,
        ``warn`` not a bool, ``W0`` not a finite numeric array, ``smooth`` or
        ``smooth_value`` not callable, or ``penalty`` without ``value`` and ``prox``.
    """
    check_callable(smooth, "smooth")
    check_callable(smooth_value, "smooth_value")
    if not (callable(getattr(penalty, "value", None)) and callable(getattr(penalty, "prox",
                                                                            None))):
        raise TypeError(f"penalty must have value(W) and prox(W, step) methods (e.g. L1, "
                        f"GroupL2), got {type(penalty).__name__} {penalty!r:.80}")
    L = max(check_positive(L0, "L0"), 1e-12)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter")
    warn = check_bool(warn, "warn")
    x = np.array(to_numpy(as_array(W0, "W0")), dtype=np.float64)
    y = x
    t = 1.0
    F_x = smooth_value(x) + penalty.value(x)
    converged = False
    k = 0
    for k in range(1, max_iter + 1):  # noqa: B007
        f_y, g_y = smooth(y)
        for _ in range(100):  # backtracking; rounding slack 1e-13 max(1, |f|)
            z = penalty.prox(y - g_y / L, 1.0 / L)
            d = z - y
            f_z = smooth_value(z)
            if (not np.any(d) or f_z <= f_y + np.sum(g_y * d) + 0.5 * L * np.sum(d * d)
                    + 1e-13 * max(1.0, abs(f_y))):
                break
            L *= 2.0
        else:
            raise FloatingPointError(f"FISTA backtracking failed (L = {L:.3g}): the smooth "
                                     "part is not Lipschitz-smooth or not finite here")
        gap = L * float(np.abs(d).max(initial=0.0))
        F_z = f_z + penalty.value(z)
        if F_z > F_x and t > 1.0:  # restart: drop the momentum, redo from x
            y, t = x, 1.0
            continue
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        y = z + ((t - 1.0) / t_next) * (z - x)
        x, F_x, t = z, F_z, t_next
        if gap <= tol:
            converged = True
            break
    if not converged and warn:
        warnings.warn(f"FISTA did not reach tol={tol:g} in {max_iter} iterations "
                      f"(last gradient-mapping norm {gap:.3g})", ConvergenceWarning,
                      stacklevel=2)
    return FistaResult(W=x, objective=float(F_x), n_iter=k, converged=converged,
                       step_inverse=L)
