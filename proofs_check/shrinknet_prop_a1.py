"""Proposition A.1 of 002: ShrinkNet (6) with unit-norm columns equals the group lasso (7).

Checks, on synthetic multi-target and multi-class problems and on linnerud / wine:
the map beta_j = ||A_j||_2, A'_j = A_j / beta_j sends the group-lasso minimiser to a
feasible ShrinkNet point with the same objective and every feasible ShrinkNet point maps
back with the same value (so the two minima coincide); the seed's beta_j = ||A_j||_2^2
breaks both the constraint and the equality (a typo). Exit status 1 on any failure.
"""

from __future__ import annotations

import sys

import _shrinknet_cli as cli

from tensorcnn.sparsity import group_lasso_lambda_max
from tensorcnn.sparsity.datasets import load_shipped, make_group_sparse_regression
from tensorcnn.sparsity.propositions import Check, beta_norm, beta_norm_squared, check_prop_a1

CHECK = {"result": "min (6) s.t. ||A_j||=1 equals min (7); beta_j=||A_j|| (not squared)",
         "paper": "002", "section": "App. A.1, Prop. A.1",
         "tolerance": "1e-8 relative"}


def problems(seed: int):
    X, Y, _ = make_group_sparse_regression(80, 12, 4, 4, rng=seed)
    yield "synthetic squared", X, Y, "squared"
    X, y, _ = make_group_sparse_regression(120, 10, 3, 4, noise=0.5, loss="multinomial",
                                           rng=seed + 1)
    yield "synthetic multinomial", X, y, "multinomial"
    for name in ("linnerud", "wine"):
        X, Y, loss = load_shipped(name)
        yield name, X, Y, loss


def run(seed: int = 0, beta_map=beta_norm) -> list[Check]:
    """The A.1 checks with ``beta_map`` (the correct map by default)."""
    checks = []
    for label, X, Y, loss in problems(seed):
        for frac in (0.1, 0.5):
            lam = frac * group_lasso_lambda_max(X, Y, loss)
            check = check_prop_a1(X, Y, lam, loss, beta_map=beta_map, rng=seed)
            check.name += f" [{label}, lam={frac} lam_max]"
            checks.append(check)
    return checks


def main(argv=None) -> int:
    return cli.main(run, "Proposition A.1 (with beta_j = ||A_j||_2)", __doc__, argv,
                    must_fail=lambda seed: run(seed, beta_map=beta_norm_squared),
                    must_fail_title="The seed's map beta_j = ||A_j||^2 (a typo)")


if __name__ == "__main__":
    sys.exit(main())
