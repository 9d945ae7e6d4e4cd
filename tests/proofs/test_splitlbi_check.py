"""004 Theorem 1 check: the Lyapunov descent holds, and the check catches violations."""

from __future__ import annotations

import numpy as np

from .checks import load_check


def test_descent_and_convergence_small():
    check = load_check("splitlbi_lyapunov")
    assert check.run_check(factors=(0.9,), nus=(1.0,), steps=1500) == []


def test_joint_lipschitz_is_the_hessian_norm():
    check = load_check("splitlbi_lyapunov")
    for lip, nu in [(0.0, 1.0), (1.4, 0.1), (3.0, 10.0)]:
        hessian = np.array([[lip + 1 / nu, -1 / nu], [-1 / nu, 1 / nu]])
        assert np.isclose(check.joint_lipschitz(lip, nu), np.linalg.eigvalsh(hessian).max())


def test_check_fails_under_the_papers_step_bound():
    """The printed bound 2/(κ(Lip + 1/ν)) lets SplitLBI diverge; the check reports it."""
    check = load_check("splitlbi_lyapunov")
    assert check.paper_bound_diverges()
    result = check.run_path("least squares + group lasso", 0.9, 0.1, steps=300,
                            paper_bound=True)
    assert check.descent_failures(result)


def test_check_fails_with_a_wrong_lyapunov_rate():
    """Mutation: claim a larger descent rate ρ than Lemma A.4 gives."""
    check = load_check("splitlbi_lyapunov")
    result = check.run_path("logistic + lasso", 0.9, 1.0, steps=300)
    result["rho"] *= 50
    assert any("sufficient descent" in f for f in check.descent_failures(result))
