r"""Group lasso over input features (problem (7) of 002), squared and multinomial losses.

Objective (groups = rows W_j of the coefficient matrix = columns of the paper's A):

.. math:: \min_W f(XW) + \lambda \sum_{j=1}^{p} \lVert W_{j,:} \rVert_2

with :math:`f(Z) = \frac{1}{2n}\lVert Y - Z\rVert_F^2` ("squared") or the mean multinomial
negative log-likelihood ("multinomial").

Scaling. 002 writes (7) as :math:`\lVert Y - XW\rVert^2 + \lambda' \sum_j \sqrt{\#\theta_j}
\lVert W_j \rVert_2` (Eq. (4)-(5), the sqrt(#theta_j) = sqrt(q) absorbed in lambda'). Dividing
by 2n gives our objective with :math:`\lambda = \lambda' \sqrt{q} / (2n)` (or
:math:`\lambda'/(2n)` when, as in Eq. (5), sqrt(q) is already inside lambda'). scikit-learn's
``MultiTaskLasso`` minimises exactly :math:`\frac{1}{2n}\lVert Y - XW\rVert_F^2 + \alpha
\lVert W \rVert_{2,1}`, so ``alpha = lam``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.linear_model import MultiTaskLasso

from .._backend import as_array, to_numpy
from .._validation import check_bool, check_int, check_nonnegative, check_positive
from ._validation import check_design, check_lams, check_problem
from .datafits import make_datafit
from .penalties import GroupL2
from .solvers import ConvergenceWarning, fista

__all__ = ["group_lasso", "group_lasso_path", "group_lasso_objective", "group_lasso_kkt",
           "group_lasso_lambda_max"]


def group_lasso_objective(X: Any, Y: Any, W: Any, lam: float, loss: str = "squared",
                          intercept: Any = None) -> float:
    r"""Value of :math:`f(XW + 1 b^T) + \lambda \sum_j \lVert W_j\rVert_2` (problem (7)).

    Parameters
    ----------
    X : (n, p); Y : (n, q) targets, or labels (n,) / one-hot (n, K) for "multinomial";
    W : (p, q) or (p, K); lam : float >= 0; intercept : (q,) or (K,), unpenalised.
    """
    X, Y, loss = check_problem(X, Y, loss)
    lam = check_nonnegative(lam, "lam")
    W = _check_coef(W, X, Y)
    if intercept is not None:
        intercept = np.asarray(to_numpy(as_array(intercept, "intercept")), dtype=np.float64)
        if intercept.shape != (Y.shape[1],):
            raise ValueError(f"intercept must have shape (n_outputs,) = ({Y.shape[1]},), got "
                             f"{intercept.shape}")
    Z = X @ W if intercept is None else X @ W + intercept[None, :]
    return make_datafit(loss, Y).value(Z) + GroupL2(lam).value(W)


def _check_coef(W: Any, X: np.ndarray, Y: np.ndarray, name: str = "W") -> np.ndarray:
    W = check_design(W, name)
    if W.shape != (X.shape[1], Y.shape[1]):
        raise ValueError(f"{name} must have shape (n_features, n_outputs) = "
                         f"{(X.shape[1], Y.shape[1])}, got {W.shape}")
    return W


def group_lasso_kkt(X: Any, Y: Any, W: Any, lam: float, loss: str = "squared") -> float:
    r"""Largest KKT violation of problem (7) at W (no intercept): 0 exactly at the optimum.

    Non-zero row j: :math:`\nabla_j f + \lambda W_j/\lVert W_j\rVert = 0`; zero row:
    :math:`\lVert \nabla_j f\rVert_2 \le \lambda`, with :math:`\nabla f = X^T \nabla_Z f(XW)`.
    """
    X, Y, loss = check_problem(X, Y, loss)
    lam = check_nonnegative(lam, "lam")
    W = _check_coef(W, X, Y)
    _, gZ = make_datafit(loss, Y).value_grad(X @ W)
    return GroupL2(lam).kkt_violation(W, X.T @ gZ)


def group_lasso_lambda_max(X: Any, Y: Any, loss: str = "squared") -> float:
    r"""Smallest lam for which W = 0 solves (7) (no intercept): max_j ||X_j^T grad_Z f(0)||."""
    X, Y, loss = check_problem(X, Y, loss)
    _, gZ = make_datafit(loss, Y).value_grad(np.zeros_like(Y))
    return float(np.linalg.norm(X.T @ gZ, axis=1).max())


def group_lasso(X: Any, Y: Any, lam: float, loss: str = "squared", *,
                fit_intercept: bool = False, tol: float = 1e-10, max_iter: int = 100_000,
                W0: Any = None) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    r"""Solve the group lasso (problem (7) of 002) for one lam.

    Parameters
    ----------
    X : array, shape (n_samples, n_features)
    Y : array, shape (n_samples, n_targets) for "squared"; labels (n_samples,) or one-hot
        (n_samples, n_classes) for "multinomial".
    lam : float >= 0
        Weight of :math:`\sum_j \lVert W_j\rVert_2` (see the module note for the paper's
        scaling; for "squared" it is scikit-learn's ``alpha``).
    loss : {"squared", "multinomial"}
    fit_intercept : bool, default False
        Add an unpenalised intercept; the function then returns ``(W, intercept)``.
    tol : float
        "squared": scikit-learn's duality-gap tolerance; "multinomial": the FISTA
        gradient-mapping tolerance (see :func:`~tensorcnn.sparsity.solvers.fista`).
    W0 : array (n_features, n_outputs), optional warm start (multinomial only).

    Returns
    -------
    W : ndarray, shape (n_features, n_targets or n_classes)
    intercept : ndarray, shape (n_outputs,) — only when ``fit_intercept``.
    """
    path = group_lasso_path(X, Y, [lam], loss, fit_intercept=fit_intercept, tol=tol,
                            max_iter=max_iter, W0=W0)
    if fit_intercept:
        return path["coefs"][0], path["intercepts"][0]
    return path["coefs"][0]


def group_lasso_path(X: Any, Y: Any, lams: Sequence[float], loss: str = "squared", *,
                     fit_intercept: bool = False, tol: float = 1e-10,
                     max_iter: int = 100_000, W0: Any = None) -> dict[str, Any]:
    r"""Group lasso along a regularisation path with warm starts.

    The path is solved from the largest lam down (the sparse end first, each solution the
    warm start of the next); results are returned in the order of ``lams``.

    Returns
    -------
    dict with ``lams`` (n_lams,), ``coefs`` (n_lams, p, q), ``intercepts`` (n_lams, q),
    ``objectives`` (n_lams,), ``n_iter`` (n_lams,).
    """
    X, Y, loss = check_problem(X, Y, loss)
    lams = check_lams(lams)
    fit_intercept = check_bool(fit_intercept, "fit_intercept")
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter")
    n, p = X.shape
    q = Y.shape[1]
    order = np.argsort(-lams, kind="stable")
    coefs = np.zeros((lams.size, p, q))
    intercepts = np.zeros((lams.size, q))
    objectives = np.zeros(lams.size)
    n_iter = np.zeros(lams.size, dtype=int)
    datafit = make_datafit(loss, Y)
    if loss == "squared":
        model = MultiTaskLasso(alpha=1.0, fit_intercept=fit_intercept, tol=tol,
                               max_iter=max_iter, warm_start=True)
        if W0 is not None:
            model.coef_ = np.ascontiguousarray(_check_coef(W0, X, Y, "W0").T)
        for i in order:
            if lams[i] == 0:
                raise ValueError("lam must be > 0 for the squared loss (scikit-learn's "
                                 "MultiTaskLasso needs alpha > 0); use least squares")
            model.set_params(alpha=lams[i])
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", SklearnConvergenceWarning)
                model.fit(X, Y)
            for warning in caught:
                if issubclass(warning.category, SklearnConvergenceWarning):
                    warnings.warn(f"MultiTaskLasso did not converge at lam={lams[i]:g}: "
                                  f"{warning.message}", ConvergenceWarning, stacklevel=2)
                else:
                    warnings.warn_explicit(warning.message, warning.category,
                                           warning.filename, warning.lineno)
            coefs[i] = model.coef_.T
            intercepts[i] = np.broadcast_to(model.intercept_, (q,))
            n_iter[i] = model.n_iter_
    else:
        Xa = np.hstack([X, np.ones((n, 1))]) if fit_intercept else X
        weights = np.r_[np.ones(p), 0.0] if fit_intercept else None
        L0 = datafit.curvature * np.linalg.norm(Xa, 2) ** 2 or 1.0  # X = 0: f constant
        W = np.zeros((Xa.shape[1], q))
        if W0 is not None:
            W[:p] = _check_coef(W0, X, Y, "W0")

        def smooth(V):
            value, gZ = datafit.value_grad(Xa @ V)
            return value, Xa.T @ gZ

        def smooth_value(V):
            return datafit.value(Xa @ V)

        for i in order:
            result = fista(smooth, smooth_value, GroupL2(lams[i], weights), W, L0, tol=tol,
                           max_iter=max_iter)
            W = result.W
            coefs[i] = W[:p]
            if fit_intercept:
                intercepts[i] = W[p]
            n_iter[i] = result.n_iter
    for i in range(lams.size):
        Z = X @ coefs[i] + intercepts[i][None, :]
        objectives[i] = datafit.value(Z) + GroupL2(lams[i]).value(coefs[i])
    return dict(lams=lams, coefs=coefs, intercepts=intercepts, objectives=objectives,
                n_iter=n_iter)
