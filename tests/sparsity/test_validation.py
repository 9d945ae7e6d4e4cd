"""Bad input raises ValueError/TypeError naming the argument (issue 5 acceptance)."""

import numpy as np
import pytest

from tensorcnn.sparsity import (
    group_lasso,
    group_lasso_objective,
    group_lasso_path,
    reduced_penalty,
    shrinknet,
    shrinknet_objective,
    shrinknet_path,
)
from tensorcnn.sparsity.datasets import make_group_sparse_regression

rng = np.random.default_rng(0)
X = rng.standard_normal((20, 4))
Y = rng.standard_normal((20, 2))
labels = rng.integers(0, 3, 20)


@pytest.mark.parametrize("call", [
    lambda: group_lasso(X, Y, -0.1),
    lambda: group_lasso(X, labels, -1.0, "multinomial"),
    lambda: group_lasso_path(X, Y, [0.1, -0.2]),
    lambda: shrinknet(X, Y, -0.1, 0.1),
    lambda: shrinknet_path(X, Y, [0.1, -0.1], 0.1),
    lambda: group_lasso_objective(X, Y, np.zeros((4, 2)), float("nan")),
])
def test_negative_or_nan_lambda(call):
    with pytest.raises(ValueError, match="lam"):
        call()


def test_negative_lam2():
    with pytest.raises(ValueError, match="lam2"):
        shrinknet(X, Y, 0.1, -0.1)
    with pytest.raises(ValueError, match="lam2"):
        shrinknet_objective(X, Y, np.zeros((4, 2)), np.zeros(4), 0.1, -1.0)


def test_lam2_zero_with_lam_positive_has_no_minimiser():
    with pytest.raises(ValueError, match="lam2 must be > 0"):
        shrinknet(X, Y, 0.1, 0.0)


@pytest.mark.parametrize("p", [0, -1, -0.5, float("nan")])
def test_p_not_positive(p):
    with pytest.raises(ValueError, match="p must"):
        shrinknet(X, Y, 0.1, 0.1, p=p)
    with pytest.raises(ValueError, match="p must"):
        shrinknet_objective(X, Y, np.zeros((4, 2)), np.zeros(4), 0.1, 0.1, p=p)


def test_p_outside_solver_set():
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        shrinknet(X, Y, 0.1, 0.1, p=3)
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        reduced_penalty(np.ones((2, 2)), 0.1, 0.1, p=0.5)


@pytest.mark.parametrize("call, name", [
    (lambda: group_lasso(X, Y[:10], 0.1), "Y"),
    (lambda: group_lasso(X, labels[:5], 0.1, "multinomial"), "Y"),
    (lambda: shrinknet(X, Y[:19], 0.1, 0.1), "Y"),
    (lambda: group_lasso_objective(X, Y, np.zeros((3, 2)), 0.1), "W"),
    (lambda: shrinknet_objective(X, Y, np.zeros((4, 3)), np.zeros(4), 0.1), "A"),
    (lambda: shrinknet_objective(X, Y, np.zeros((4, 2)), np.zeros(3), 0.1), "beta"),
    (lambda: group_lasso(X[0], Y, 0.1), "X"),
    (lambda: group_lasso(X, Y, 0.1, loss="hinge"), "loss"),
])
def test_shapes_that_disagree(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("call, name", [
    (lambda: group_lasso(np.where(X > 1, np.nan, X), Y, 0.1), "X"),
    (lambda: group_lasso(X, np.where(Y > 1, np.inf, Y), 0.1), "Y"),
    (lambda: shrinknet(np.where(X > 1, np.nan, X), Y, 0.1, 0.1), "X"),
    (lambda: shrinknet(X, np.where(Y > 1, np.nan, Y), 0.1, 0.1), "Y"),
    (lambda: group_lasso(X, np.where(labels > 1, np.nan, labels), 0.1, "multinomial"), "Y"),
])
def test_nan_data(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_non_numeric_data_is_a_type_error():
    with pytest.raises(TypeError, match="X"):
        group_lasso(np.array([["a", "b"]] * 20), Y, 0.1)
    with pytest.raises(TypeError, match="lam"):
        group_lasso(X, Y, "0.1")


def test_generator_arguments():
    with pytest.raises(ValueError, match="n_informative"):
        make_group_sparse_regression(10, 3, 2, 5)
    with pytest.raises(ValueError, match="noise"):
        make_group_sparse_regression(10, 3, 2, 1, noise=-1)
    a = make_group_sparse_regression(10, 3, 2, 1, rng=5)
    b = make_group_sparse_regression(10, 3, 2, 1, rng=np.random.default_rng(5))
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))


def test_iteration_caps_warn_instead_of_hanging():
    from tensorcnn.sparsity import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match="FISTA"):
        group_lasso(X, labels, 1e-4, "multinomial", max_iter=3)
    with pytest.warns(ConvergenceWarning, match="shrinknet did not converge"):
        shrinknet(X, Y, 0.01, 0.01, max_iter=1)
    with pytest.warns(ConvergenceWarning, match="MultiTaskLasso"):
        group_lasso(X, Y, 1e-4, max_iter=1, tol=1e-14)


# ----------------------------------------------------------------- issue 14 (sparsity)
def _fista(**kwargs):
    from tensorcnn.sparsity.penalties import L1
    from tensorcnn.sparsity.solvers import fista

    args = dict(smooth=lambda W: (0.5 * float(W @ W), W), smooth_value=lambda W: 0.5 * float(W @ W),
                penalty=L1(0.1), W0=np.ones(3), L0=1.0)
    args.update(kwargs)
    return fista(**args)


@pytest.mark.parametrize("call, error, name", [
    (lambda: __import__("tensorcnn.sparsity.penalties", fromlist=["L1"]).L1(lam=-1),
     ValueError, "lam"),
    (lambda: __import__("tensorcnn.sparsity.penalties", fromlist=["L1"]).SquaredL2(np.nan),
     ValueError, "lam"),
    (lambda: __import__("tensorcnn.sparsity.penalties", fromlist=["L1"]).GroupL2(
        0.1, np.array([1.0, -1.0])), ValueError, "weights"),
    (lambda: __import__("tensorcnn.sparsity.penalties", fromlist=["L1"]).GroupL2(
        0.1, np.array([1.0, np.nan])), ValueError, "weights"),
    (lambda: _fista(L0=0), ValueError, "L0"),
    (lambda: _fista(max_iter=True), TypeError, "max_iter"),
    (lambda: _fista(max_iter=0), ValueError, "max_iter"),
    (lambda: _fista(tol=float("nan")), ValueError, "tol"),
    (lambda: shrinknet(X, Y, 0.1, 0.1, max_iter=True), TypeError, "max_iter"),
    (lambda: group_lasso(X, labels, 0.1, "multinomial", max_iter=True), TypeError, "max_iter"),
    (lambda: shrinknet_path(X, Y, [0.1], 0.1, inner_max_iter=2.5), TypeError, "inner_max_iter"),
    (lambda: __import__("tensorcnn.sparsity.datafits", fromlist=["x"]).make_datafit(
        "squared", np.where(Y > 1, np.nan, Y)), ValueError, "Y"),
    (lambda: __import__("tensorcnn.sparsity.datafits", fromlist=["x"]).make_datafit(
        "multinomial", np.full((20, 3), 1 / 3)), ValueError, "one-hot"),
    (lambda: __import__("tensorcnn.sparsity.datafits", fromlist=["x"]).Multinomial(
        np.where(np.eye(3)[labels] > 0, np.nan, 0.0)), ValueError, "Y"),
    (lambda: group_lasso(X, np.array([None] + [1] * 19, dtype=object), 0.1, "multinomial"),
     ValueError, "Y"),
    (lambda: group_lasso(X, np.array(["a", 1.0] * 10, dtype=object), 0.1, "multinomial"),
     TypeError, "Y"),
])
def test_issue14_bad_arguments_are_named(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_groupl2_weights_must_match_the_rows():
    from tensorcnn.sparsity.penalties import GroupL2

    with pytest.raises(ValueError, match="weights"):
        GroupL2(0.1, np.ones(3)).value(np.ones((4, 2)))
    # the weighted value against a direct computation
    W = rng.standard_normal((3, 2))
    w = np.array([0.5, 0.0, 2.0])
    assert GroupL2(0.3, w).value(W) == pytest.approx(0.3 * np.sum(w * np.linalg.norm(W, axis=1)))


def test_zero_design_still_solves():
    """X = 0 makes the Lipschitz estimate 0; the solvers start from L0 = 1 instead."""
    W = group_lasso(np.zeros((20, 4)), labels, 0.1, "multinomial")
    np.testing.assert_array_equal(W, 0.0)
