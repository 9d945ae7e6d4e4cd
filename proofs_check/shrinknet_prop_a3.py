"""Proposition A.3 of 002: problem (6) has no minimiser for lam > 0 — unless X^T grad f(0) = 0.

Along (2^k A, beta / 2^k) the product diag(beta) A, hence the data fit, is unchanged and
lam ||beta||_1 halves: the objective strictly decreases, so no point with beta != 0 is a
minimiser. Checked from random points and from the group-lasso-like solution of the
regularised problem, squared and multinomial.

Exception (the statement as printed is false there): when G = X^T grad f(0) = 0 — X^T Y = 0
for the squared loss, X^T (Y - 1/K) = 0 for the multinomial — f(XW) >= f(0), so every
(A, 0) is a minimiser. The statement that holds: (6) has a minimiser iff G = 0. Checked
on data with G = 0 (Y projected off the columns of X; balanced classes with each row of X
repeated once per class) and on generic data (a point below f(0) is exhibited).
Exit status 1 on failure.
"""

from __future__ import annotations

import sys

import _shrinknet_cli as cli
import numpy as np

from tensorcnn.sparsity import shrinknet, shrinknet_objective
from tensorcnn.sparsity.datasets import make_group_sparse_regression
from tensorcnn.sparsity.propositions import Check, check_prop_a3, check_prop_a3_exception

CHECK = {"result": "(6) has no minimiser iff X^T grad f(0) != 0: strict decrease along "
                   "(2A, beta/2); minimisers (A, 0) when X^T Y = 0",
         "paper": "002", "section": "App. A.1, Prop. A.3",
         "tolerance": "strict, 30 halvings"}


def sn_objective(X, Y, lam, loss):
    """Objective (6) (no lam2 term)."""
    return lambda A, beta: shrinknet_objective(X, Y, A, beta, lam, 0.0, 2, loss)


def run(seed: int = 0, make_objective=sn_objective) -> list[Check]:
    rng = np.random.default_rng(seed)
    checks = []
    for loss in ("squared", "multinomial"):
        X, Y, _ = make_group_sparse_regression(60, 8, 3, 3, loss=loss, rng=seed)
        for lam in (0.01, 0.1):
            starts = [("random", rng.standard_normal((8, 3)), rng.standard_normal(8))]
            A, beta = shrinknet(X, Y, lam, 0.01, 2, loss)
            if np.any(beta != 0):
                starts.append(("regularised solution", A, beta))
            for label, A0, b0 in starts:
                check = check_prop_a3(make_objective(X, Y, lam, loss), A0, b0)
                check.name += f" [{loss}, lam={lam}, from {label}]"
                checks.append(check)
    for loss, (X, Y) in exception_data(seed).items():
        for label, Y_used in (("G = 0", Y), ("generic", None)):
            if Y_used is None:  # the same X with generic targets: no minimiser
                Y_used = (rng.standard_normal(Y.shape) if loss == "squared"
                          else np.eye(2)[rng.integers(0, 2, X.shape[0])])
            for lam in (0.01, 0.1):
                check = check_prop_a3_exception(X, Y_used, lam, loss,
                                                make_objective(X, Y_used, lam, loss), rng=seed)
                check.name += f" [{loss}, {label}, lam={lam}]"
                checks.append(check)
    return checks


def exception_data(seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Data with X^T grad f(0) = 0: squared Y = (I - P_X) Z; multinomial: two balanced
    classes, each row of X once per class, so X^T (Y - 1/2) = 0."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 6))
    Z = rng.standard_normal((40, 3))
    Y = Z - X @ np.linalg.lstsq(X, Z, rcond=None)[0]
    Xm = np.repeat(rng.standard_normal((20, 4)), 2, axis=0)
    Ym = np.eye(2)[np.tile([0, 1], 20)]
    return {"squared": (X, Y), "multinomial": (Xm, Ym)}


def main(argv=None) -> int:
    return cli.main(run, "Proposition A.3", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
