"""Proposition A.2 of 002: the ShrinkNet objective (6) is not convex in (A, beta).

The seed's scalar witness (y = 0, x > 0, s1 = (a, beta) = (0, 2), s2 = (2, 0)) generalised to
matrices: with Y = 0, s1 = (0, 2·1) and s2 = (2 A0, 0) fit exactly while the midpoint
(A0, 1) does not, so f(mid) - (f(s1) + f(s2))/2 = ||X A0||^2 / (2n) > 0. Checked on the
scalar case and on random problems, for several lam. Exit status 1 on failure.
"""

from __future__ import annotations

import sys

import _shrinknet_cli as cli
import numpy as np

from tensorcnn.sparsity import shrinknet_objective
from tensorcnn.sparsity.propositions import Check, check_prop_a2

CHECK = {"result": "ShrinkNet objective (6) is not convex (witness)",
         "paper": "002", "section": "App. A.1, Prop. A.2",
         "tolerance": "gap > 0, = ||XA0||^2/(2n) to 1e-10"}


def sn_objective(X: np.ndarray, lam: float):
    """(A, beta) -> objective (6) with Y = 0 on design X."""

    def objective(A, beta):
        return shrinknet_objective(X, np.zeros((X.shape[0], A.shape[1])), A, beta, lam)

    return objective


def run(seed: int = 0, make_objective=sn_objective) -> list[Check]:
    rng = np.random.default_rng(seed)
    checks = []
    scalar = check_prop_a2(make_objective(np.array([[1.5]]), 0.0), np.array([[1.0]]))
    scalar.name += " [scalar, seed's example]"
    checks.append(scalar)
    for lam in (0.0, 0.1, 1.0):
        X = rng.standard_normal((30, 5))
        A0 = rng.standard_normal((5, 3))
        check = check_prop_a2(make_objective(X, lam), A0)
        expected = np.sum((X @ A0) ** 2) / (2 * X.shape[0])
        check.details["expected_gap"] = float(expected)
        check.passed &= bool(np.isclose(check.details["convexity_gap"], expected, rtol=1e-10))
        check.name += f" [random 30x5x3, lam={lam}]"
        checks.append(check)
    return checks


def main(argv=None) -> int:
    return cli.main(run, "Proposition A.2", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
