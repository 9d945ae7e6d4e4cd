"""Propositions A.1–A.4 of 002: each check passes, and fails on a deliberately broken variant."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorcnn.sparsity import group_lasso_lambda_max, group_lasso_objective, reduced_penalty
from tensorcnn.sparsity import shrinknet_objective as sn_obj
from tensorcnn.sparsity.propositions import (
    beta_norm,
    beta_norm_squared,
    check_prop_a1,
    check_prop_a2,
    check_prop_a3,
    check_prop_a4_existence,
    check_prop_a4_flips,
    check_reduced_penalty,
    network_objective,
)

PROOFS = Path(__file__).resolve().parents[2] / "proofs_check"


def load_script(number):
    sys.path.insert(0, str(PROOFS))
    try:
        name = f"shrinknet_prop_a{number}"
        spec = importlib.util.spec_from_file_location(name, PROOFS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(PROOFS))


def draw(seed, n=30, d=5, q=3):
    rng = np.random.default_rng(seed)
    return rng, rng.standard_normal((n, d)), rng.standard_normal((n, q))


# ------------------------------------------------------------------------------- A.1
@settings(max_examples=15)
@given(seed=st.integers(0, 2**31), frac=st.floats(0.05, 0.9),
       loss=st.sampled_from(["squared", "multinomial"]))
def test_a1_holds_with_the_norm_and_fails_with_the_seeds_square(seed, frac, loss):
    rng, X, Y = draw(seed)
    if loss == "multinomial":
        Y = np.eye(3)[rng.integers(0, 3, X.shape[0])]
    lam = frac * group_lasso_lambda_max(X, Y, loss)
    assert check_prop_a1(X, Y, lam, loss, beta_norm, n_random=5, rng=seed).passed
    assert not check_prop_a1(X, Y, lam, loss, beta_norm_squared, n_random=5, rng=seed).passed


# ------------------------------------------------------------------------------- A.2
@settings(max_examples=20)
@given(seed=st.integers(0, 2**31), lam=st.floats(0, 10))
def test_a2_witness_found_for_shrinknet_not_for_a_convex_objective(seed, lam):
    rng, X, _ = draw(seed)
    A0 = rng.standard_normal((5, 3))
    Y0 = np.zeros((X.shape[0], 3))
    check = check_prop_a2(lambda A, b: sn_obj(X, Y0, A, b, lam), A0)
    assert check.passed
    assert check.details["convexity_gap"] == pytest.approx(
        np.sum((X @ A0) ** 2) / (2 * X.shape[0]), rel=1e-9)
    # broken variant: the (convex) group-lasso objective of A alone has no such witness
    assert not check_prop_a2(lambda A, b: group_lasso_objective(X, Y0, A, lam), A0).passed


# ------------------------------------------------------------------------------- A.3
@settings(max_examples=20)
@given(seed=st.integers(0, 2**31), lam=st.floats(1e-3, 10))
def test_a3_strict_decrease_and_broken_variants(seed, lam):
    rng, X, Y = draw(seed)
    A, beta = rng.standard_normal((5, 3)), rng.standard_normal(5)
    assert check_prop_a3(lambda A_, b_: sn_obj(X, Y, A_, b_, lam), A, beta).passed
    # broken: the regularised problem (8) grows along the ray; lam = 0 is flat
    assert not check_prop_a3(lambda A_, b_: sn_obj(X, Y, A_, b_, lam, 1e-3), A, beta).passed
    assert not check_prop_a3(lambda A_, b_: sn_obj(X, Y, A_, b_, 0.0), A, beta).passed


# ------------------------------------------------------------------------------- A.4
def two_layers(rng):
    return [(rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal(3)),
            (rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal(2))]


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31), p=st.sampled_from([0.5, 1.0, 2.0]))
def test_a4_sign_flips_equal_and_broken_variants(seed, p):
    rng, X, Y = draw(seed, d=4, q=2)
    layers = two_layers(rng)

    def objective(ls, multiplier=lambda b: b):
        return network_objective(X, Y, ls, 0.1, 0.01, p, np.tanh, multiplier)

    assert check_prop_a4_flips(objective, layers).passed
    # broken: relu(theta) as in the authors' code breaks the symmetry
    relu = lambda ls: objective(ls, lambda b: np.maximum(b, 0))  # noqa: E731
    assert not check_prop_a4_flips(relu, layers).passed
    # broken: flipping beta without the matching row of A
    assert not check_prop_a4_flips(objective, layers,
                                   flip=lambda layer, s: (layer[0], layer[1] * s,
                                                          layer[2])).passed


def test_a4_existence_needs_lam2():
    _, X, Y = draw(3, n=40, d=4, q=2)
    assert check_prop_a4_existence(X, Y, 0.05, 0.01, 2, n_starts=2, n_rays=5).passed
    assert not check_prop_a4_existence(X, Y, 0.05, 0.0, 2, n_starts=2, n_rays=5).passed


def test_reduced_penalty_check_fails_on_a_wrong_constant():
    W = np.random.default_rng(0).standard_normal((5, 3))
    assert check_reduced_penalty(W, 0.2, 0.05, 2, reduced_penalty).passed

    def wrong(W, lam, lam2, p):  # 3 * 2^(-1/3) instead of 3 * 2^(-2/3)
        return reduced_penalty(W, lam, lam2, p) * 2 ** (1 / 3)

    assert not check_reduced_penalty(W, 0.2, 0.05, 2, wrong).passed


# ---------------------------------------------------------------------------- scripts
@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_script_passes(number, capsys):
    assert load_script(number).main([]) == 0
    assert "verified" in capsys.readouterr().out


def test_scripts_fail_on_broken_variants():
    a1 = load_script(1)
    assert not any(c.passed for c in a1.run(0, beta_map=beta_norm_squared))
    a2 = load_script(2)

    def convex(X, lam):  # the group-lasso objective: convex, no witness
        return lambda A, b: group_lasso_objective(X, np.zeros((X.shape[0], A.shape[1])), A,
                                                  lam)

    assert not any(c.passed for c in a2.run(0, make_objective=convex))
    a3 = load_script(3)

    def regularised(X, Y, lam, loss):
        return lambda A, b: sn_obj(X, Y, A, b, lam, 1e-2, 2, loss)

    assert not any(c.passed for c in a3.run(0, make_objective=regularised))
    a4 = load_script(4)
    checks = a4.run(0, multiplier=lambda b: np.maximum(b, 0))
    assert not all(c.passed for c in checks)
    assert not any(c.passed for c in checks if "flips" in c.name)
