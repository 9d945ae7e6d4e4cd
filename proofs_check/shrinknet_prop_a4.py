"""Proposition A.4 of 002: with lam2 ||A||_p^p added, a global minimum exists, and the
2^k sign flips (beta_ij -> -beta_ij with row j of A_i) of any point have equal objective.

n-layer network (the statement's setting): Omega^rs does not penalise the biases b_i, and
the existence part fails as printed. Counterexample (any depth): multinomial loss with a
class c that never occurs — d F / d (b_n)_c > 0 everywhere, F strictly decreases as
(b_n)_c -> -inf, no minimum. What holds: with a bias penalty lam_b sum ||b_i||^2 the proof
goes through (F coercive); without it the proof's argument (coercivity) fails for a hidden
bias and for the multinomial softmax shift; for one layer with the squared loss F is
coercive with a free bias (the fit grows in b). The sign flips hold for any depth.

Existence: F >= lam ||beta||_1 + lam2 ||A||_p^p makes the sublevel set {F <= f(0)} bounded
(checked along random rays and along the A.3 ray, and by solving from random starts);
p in {1, 2}, squared and multinomial. Flips: all 2^k patterns on 2-layer tanh/relu networks
(k = 7) and on the one-layer regression problem. Beyond the paper: the ShrinkNet penalty
reduced over splits W = diag(beta) A is the group l_{2/3} penalty
c sum_j ||w_j||^{2/3}, c = 3 2^{-2/3} lam^{2/3} lam2^{1/3} (p = 2), and
2 sum_j (lam lam2 ||w_j||_1)^{1/2} (p = 1) — checked against a 1-D numerical minimisation.
Exit status 1 on failure.
"""

from __future__ import annotations

import sys

import _shrinknet_cli as cli
import numpy as np

from tensorcnn.sparsity import reduced_penalty
from tensorcnn.sparsity.datasets import make_group_sparse_regression
from tensorcnn.sparsity.propositions import (
    Check,
    check_prop_a4_absent_class,
    check_prop_a4_existence,
    check_prop_a4_flips,
    check_prop_a4_network_existence,
    check_reduced_penalty,
    network_objective,
)

CHECK = {"result": "regularised (8) has a minimum; n-layer: none with free biases (absent "
                   "class), coercive with a bias penalty; 2^k sign flips equal; l_{2/3} "
                   "reduction",
         "paper": "002", "section": "App. A.1, Prop. A.4",
         "tolerance": "1e-12 relative (flips), 1e-7 (reduction)"}


def identity(beta):
    return beta


def run(seed: int = 0, multiplier=identity, lam2: float = 0.01) -> list[Check]:
    rng = np.random.default_rng(seed)
    checks = []
    for loss in ("squared", "multinomial"):
        X, Y, _ = make_group_sparse_regression(60, 6, 3, 3, loss=loss, rng=seed)
        for p in (1, 2):
            check = check_prop_a4_existence(X, Y, 0.02, lam2, p, loss, rng=seed)
            check.name += f" [{loss}, p={p}]"
            checks.append(check)
    X, Y, _ = make_group_sparse_regression(40, 4, 2, 2, rng=seed)
    for name, act in (("tanh", np.tanh), ("relu", lambda z: np.maximum(z, 0))):
        layers = [(rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal(3)),
                  (rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal(2))]
        for p in (0.5, 1, 2):
            def objective(ls, act=act, p=p):
                return network_objective(X, Y, ls, 0.1, max(lam2, 1e-12), p, act, multiplier)

            check = check_prop_a4_flips(objective, layers)
            check.name += f" [2-layer {name}, p={p}]"
            checks.append(check)
    checks += network_checks(rng, lam2, seed)
    for p in (1, 2):
        W = rng.standard_normal((6, 3))
        W[2] = 0.0
        checks.append(check_reduced_penalty(W, 0.1, 0.03, p, reduced_penalty))
    return checks


def network_checks(rng, lam2: float, seed: int = 0) -> list[Check]:
    """Existence on the n-layer network: what fails with free biases and what holds."""
    X, Y, _ = make_group_sparse_regression(40, 4, 2, 2, rng=seed)  # Y (40, 2)
    Y3 = np.eye(3)[rng.integers(0, 2, X.shape[0])]  # class 2 never occurs
    lam2 = max(lam2, 1e-12)

    def net(depth, q):
        dims = [4] + [3] * (depth - 1) + [q]
        return [(rng.standard_normal((a, b)), rng.standard_normal(a), rng.standard_normal(b))
                for a, b in zip(dims, dims[1:])]

    checks = []
    for depth in (1, 2, 3):
        for name, act in (("tanh", np.tanh), ("relu", lambda z: np.maximum(z, 0))):
            check = check_prop_a4_absent_class(X, Y3, net(depth, 3), 0.1, lam2, 2, act)
            check.name += f" [{depth}-layer {name}]"
            checks.append(check)
            repaired = check_prop_a4_network_existence(X, Y3, net(depth, 3), 0.1, lam2, 2, act,
                                                       "multinomial", lam_bias=0.01, rng=seed)
            repaired.name += f" [{depth}-layer {name}, multinomial, lam_bias=0.01]"
            checks.append(repaired)
    free = check_prop_a4_network_existence(X, Y, net(2, 2), 0.1, lam2, 2, np.tanh, rng=seed)
    checks.append(Check("Prop A.4 proof's argument fails for a free hidden bias [2-layer "
                        "tanh, squared]", not free.passed
                        and "layer 1" in free.details["non_coercive"], free.details))
    one = check_prop_a4_network_existence(X, Y, net(1, 2), 0.1, lam2, 2, np.tanh, rng=seed)
    one.name += " [1 layer, squared, free bias]"
    checks.append(one)
    return checks


def main(argv=None) -> int:
    return cli.main(run, "Proposition A.4", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
