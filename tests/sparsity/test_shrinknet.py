"""ShrinkNet regression (problems (6), (8) of 002): objective, stationarity, reduced penalty."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from tensorcnn.sparsity import (
    balanced_split,
    reduced_penalty,
    reduced_penalty_constant,
    shrinknet,
    shrinknet_objective,
    shrinknet_path,
    shrinknet_stationarity,
)
from tensorcnn.sparsity.datafits import make_datafit
from tensorcnn.sparsity.datasets import make_group_sparse_regression


def problem(seed, loss, n=60, d=6, q=3):
    X, Y, _ = make_group_sparse_regression(n, d, q, 3, loss=loss, rng=seed)
    if loss == "multinomial":
        Y = np.eye(q)[Y]
    return X, Y


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31), loss=st.sampled_from(["squared", "multinomial"]),
       p=st.sampled_from([1, 2]), lam=st.floats(0.005, 0.1), lam2=st.floats(0.001, 0.1))
def test_solution_is_stationary_and_balanced(seed, loss, p, lam, lam2):
    X, Y = problem(seed, loss)
    A, beta, info = shrinknet(X, Y, lam, lam2, p, loss, return_info=True)
    assert info["converged"]
    assert info["objective"] == pytest.approx(
        shrinknet_objective(X, Y, A, beta, lam, lam2, p, loss), rel=1e-12)
    assert info["stationarity"] <= 1e-5
    # at a minimiser over the split the penalty equals the reduced (group l_{2/3}) one
    W = beta[:, None] * A
    fit = make_datafit(loss, Y).value(X @ W)
    assert info["objective"] == pytest.approx(fit + reduced_penalty(W, lam, lam2, p),
                                              rel=1e-6)
    # and no better than... the start (ridge, balanced) is never better (monotone descent)
    assert info["objective"] <= make_datafit(loss, Y).null_value() + 1e-12


def test_stationarity_detects_a_perturbation():
    X, Y = problem(1, "squared")
    A, beta = shrinknet(X, Y, 0.02, 0.01)
    assert shrinknet_stationarity(X, Y, A, beta, 0.02, 0.01) <= 1e-5
    assert shrinknet_stationarity(X, Y, A * 1.05, beta, 0.02, 0.01) > 1e-3


@settings(max_examples=30)
@given(seed=st.integers(0, 2**31), p=st.sampled_from([1, 2]), lam=st.floats(1e-3, 10),
       lam2=st.floats(1e-3, 10))
def test_reduced_penalty_is_the_minimum_over_splits(seed, p, lam, lam2):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((4, 3))
    W[rng.integers(0, 4)] = 0.0
    expected = 0.0
    for w in W:
        size = np.abs(w).sum() if p == 1 else np.sum(w * w)
        if size == 0:
            continue
        res = minimize_scalar(lambda s, size=size: lam * np.exp(s) + lam2 * size
                              / np.exp(s) ** p, bounds=(-30, 30), method="bounded",
                              options=dict(xatol=1e-12))
        expected += res.fun
    assert reduced_penalty(W, lam, lam2, p) == pytest.approx(expected, rel=1e-7)
    A, beta = balanced_split(W, lam, lam2, p)
    assert np.allclose(beta[:, None] * A, W, atol=1e-12)
    penalty = lam * np.abs(beta).sum() + lam2 * np.sum(np.abs(A) ** p)
    assert penalty == pytest.approx(expected, rel=1e-7)


def test_reduced_penalty_constant():
    # c = 3 * 2^(-2/3) lam^(2/3) lam2^(1/3); lam = 8, lam2 = 1 -> 3 * 2^(-2/3) * 4
    assert reduced_penalty_constant(8.0, 1.0) == pytest.approx(12 * 2 ** (-2 / 3), rel=1e-14)


def test_path_order_and_warm_starts():
    X, Y = problem(2, "squared", n=100, d=10)
    lams = [0.2, 0.01, 0.05]
    path = shrinknet_path(X, Y, lams, 0.01)
    assert path["converged"].all()
    nnz = (np.abs(path["coefs"]).max(axis=2) > 1e-3).sum(axis=1)
    assert nnz[0] <= nnz[2] <= nnz[1]  # larger lam, sparser
    for i, lam in enumerate(lams):
        assert path["objectives"][i] == pytest.approx(
            shrinknet_objective(X, Y, path["A"][i], path["beta"][i], lam, 0.01), rel=1e-12)


def test_lam_zero_is_least_squares_in_product_form():
    X, Y = problem(3, "squared")
    A, beta = shrinknet(X, Y, 0.0, 1e-9)
    W_ls = np.linalg.lstsq(X, Y, rcond=None)[0]
    assert np.allclose(beta[:, None] * A, W_ls, atol=1e-5)
