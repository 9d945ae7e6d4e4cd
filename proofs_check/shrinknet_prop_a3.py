"""Proposition A.3 of 002: problem (6) has no minimiser for lam > 0.

Along (2^k A, beta / 2^k) the product diag(beta) A, hence the data fit, is unchanged and
lam ||beta||_1 halves: the objective strictly decreases, so no point is a minimiser (the
infimum f(X W) is approached, not attained). Checked from random points and from the
group-lasso-like solution of the regularised problem, squared and multinomial.
Exit status 1 on failure.
"""

from __future__ import annotations

import sys

import _shrinknet_cli as cli
import numpy as np

from tensorcnn.sparsity import shrinknet, shrinknet_objective
from tensorcnn.sparsity.datasets import make_group_sparse_regression
from tensorcnn.sparsity.propositions import Check, check_prop_a3

CHECK = {"result": "(6) has no minimiser: strict decrease along (2A, beta/2)",
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
    return checks


def main(argv=None) -> int:
    return cli.main(run, "Proposition A.3", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
