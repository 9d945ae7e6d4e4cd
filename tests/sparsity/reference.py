"""Test-only reference solver: the group lasso written in cvxpy and solved by Clarabel.

A maintained conic solver on the exact problem (7): squared loss as a sum of squares,
multinomial NLL through ``cp.log_sum_exp`` (exponential cones). Independent of the
library's solvers (scikit-learn's coordinate descent, our FISTA).
"""

from __future__ import annotations

import warnings

import numpy as np


def group_lasso_cvxpy(X: np.ndarray, Y: np.ndarray, lam: float, loss: str = "squared"
                      ) -> tuple[np.ndarray, float]:
    """(W, optimal value) of min_W f(XW) + lam sum_j ||W_j||_2 by cvxpy + Clarabel."""
    import cvxpy as cp

    n, p = X.shape
    q = Y.shape[1]
    W = cp.Variable((p, q))
    Z = X @ W
    if loss == "squared":
        fit = cp.sum_squares(Y - Z) / (2 * n)
    else:
        fit = (cp.sum(cp.log_sum_exp(Z, axis=1)) - cp.sum(cp.multiply(Y, Z))) / n
    problem = cp.Problem(cp.Minimize(fit + lam * cp.sum(cp.norm(W, 2, axis=1))))
    with warnings.catch_warnings():  # "may be inaccurate": the status is checked instead
        warnings.simplefilter("ignore", UserWarning)
        problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10,
                      tol_feas=1e-10, max_iter=500)
    assert problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE), problem.status
    return W.value, float(problem.value)
