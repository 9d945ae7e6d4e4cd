"""Group lasso (problem (7) of 002) against cvxpy + Clarabel, KKT residuals, paths."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorcnn.sparsity import (
    group_lasso,
    group_lasso_kkt,
    group_lasso_lambda_max,
    group_lasso_objective,
    group_lasso_path,
)
from tensorcnn.sparsity.datasets import load_shipped


def group_lasso_cvxpy(*args, **kwargs):
    """The cvxpy reference (skips the test where cvxpy is not installed)."""
    pytest.importorskip("cvxpy")
    from .reference import group_lasso_cvxpy as reference

    return reference(*args, **kwargs)

FRACTIONS = (0.9, 0.5, 0.2, 0.05)


def random_problem(seed, n, p, q, loss):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if loss == "squared":
        Y = X[:, : max(1, p // 2)] @ rng.standard_normal((max(1, p // 2), q))
        Y = Y + rng.standard_normal((n, q))
    else:
        Y = np.eye(q)[rng.integers(0, q, n)]
    return X, Y


def assert_path_matches_reference(X, Y, loss, fractions=FRACTIONS):
    lam_max = group_lasso_lambda_max(X, Y, loss)
    lams = [f * lam_max for f in fractions]
    path = group_lasso_path(X, Y, lams, loss)
    for lam, W, value in zip(lams, path["coefs"], path["objectives"], strict=True):
        _, ref = group_lasso_cvxpy(X, Y, lam, loss)
        assert value == pytest.approx(group_lasso_objective(X, Y, W, lam, loss), rel=1e-12)
        assert abs(value - ref) <= 1e-6 * abs(ref)
        assert group_lasso_kkt(X, Y, W, lam, loss) <= 1e-6


@settings(max_examples=8)
@given(seed=st.integers(0, 2**31), n=st.integers(8, 40), p=st.integers(2, 6),
       q=st.integers(2, 4), loss=st.sampled_from(["squared", "multinomial"]))
def test_path_objective_equals_cvxpy_on_random_problems(seed, n, p, q, loss):
    X, Y = random_problem(seed, n, p, q, loss)
    assert_path_matches_reference(X, Y, loss)


@pytest.mark.parametrize("name", ["linnerud", "wine"])
def test_path_objective_equals_cvxpy_on_shipped_data(name):
    X, Y, loss = load_shipped(name)
    if loss == "multinomial":
        Y = np.eye(int(Y.max()) + 1)[Y]
    assert_path_matches_reference(X, Y, loss)


def test_digits_one_lambda_equals_cvxpy():
    X, y, loss = load_shipped("digits")
    X, y = X[:100], y[:100]
    X = X[:, X.std(axis=0) > 0]  # constant pixels make the conic reference inaccurate
    Y = np.eye(10)[y]
    lam = 0.2 * group_lasso_lambda_max(X, Y, loss)
    W = group_lasso(X, Y, lam, loss)
    _, ref = group_lasso_cvxpy(X, Y, lam, loss)
    assert abs(group_lasso_objective(X, Y, W, lam, loss) - ref) <= 1e-6 * ref


@pytest.mark.parametrize("loss", ["squared", "multinomial"])
def test_kkt_residual_detects_a_perturbation(loss):
    X, Y = random_problem(3, 50, 6, 3, loss)
    lam = 0.3 * group_lasso_lambda_max(X, Y, loss)
    W = group_lasso(X, Y, lam, loss)
    assert group_lasso_kkt(X, Y, W, lam, loss) <= 1e-7
    W_bad = W.copy()
    W_bad[np.argmax(np.linalg.norm(W, axis=1))] *= 1.01
    assert group_lasso_kkt(X, Y, W_bad, lam, loss) > 1e-5


@pytest.mark.parametrize("loss", ["squared", "multinomial"])
def test_lambda_max_is_the_zero_threshold(loss):
    X, Y = random_problem(4, 40, 5, 3, loss)
    lam_max = group_lasso_lambda_max(X, Y, loss)
    assert np.all(group_lasso(X, Y, 1.0001 * lam_max, loss) == 0)
    assert np.any(group_lasso(X, Y, 0.95 * lam_max, loss) != 0)


@pytest.mark.parametrize("loss", ["squared", "multinomial"])
def test_path_warm_start_matches_cold_solves(loss):
    X, Y = random_problem(5, 40, 5, 3, loss)
    lams = [f * group_lasso_lambda_max(X, Y, loss) for f in (0.1, 0.6, 0.3)]
    path = group_lasso_path(X, Y, lams, loss)
    for lam, W in zip(lams, path["coefs"], strict=True):
        cold = group_lasso(X, Y, lam, loss)
        assert np.allclose(W, cold, atol=1e-6)


def test_multinomial_intercept_is_unpenalised_and_stationary():
    X, Y = random_problem(6, 60, 4, 3, "multinomial")
    Y = np.vstack([Y, np.tile([1.0, 0, 0], (30, 1))])  # unbalanced classes
    X = np.vstack([X, np.random.default_rng(0).standard_normal((30, 4))])
    lam = 1.0001 * group_lasso_lambda_max(X, Y, "multinomial") * 5
    W, b = group_lasso(X, Y, lam, "multinomial", fit_intercept=True)
    assert np.all(W == 0)
    freq = Y.mean(axis=0)
    P = np.exp(b - b.max())
    assert np.allclose(P / P.sum(), freq, atol=1e-7)


def test_labels_and_one_hot_agree():
    X, Y = random_problem(7, 40, 4, 3, "multinomial")
    labels = Y.argmax(axis=1)
    lam = 0.3 * group_lasso_lambda_max(X, Y, "multinomial")
    assert np.allclose(group_lasso(X, labels, lam, "multinomial"),
                       group_lasso(X, Y, lam, "multinomial"), atol=1e-10)


def test_multinomial_intercept_equals_cvxpy():
    cp = pytest.importorskip("cvxpy")
    X, Y = random_problem(8, 50, 4, 3, "multinomial")
    lam = 0.3 * group_lasso_lambda_max(X, Y, "multinomial")
    W, b = group_lasso(X, Y, lam, "multinomial", fit_intercept=True)
    Wv, bv = cp.Variable((4, 3)), cp.Variable(3)
    Z = X @ Wv + np.ones((50, 1)) @ cp.reshape(bv, (1, 3), order="C")
    fit = (cp.sum(cp.log_sum_exp(Z, axis=1)) - cp.sum(cp.multiply(Y, Z))) / 50
    problem = cp.Problem(cp.Minimize(fit + lam * cp.sum(cp.norm(Wv, 2, axis=1))))
    problem.solve(solver=cp.CLARABEL)
    ours = group_lasso_objective(X, Y, W, lam, "multinomial", intercept=b)
    assert abs(ours - problem.value) <= 1e-6 * abs(problem.value)
