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
    check_prop_a3_exception,
    check_prop_a4_absent_class,
    check_prop_a4_existence,
    check_prop_a4_flips,
    check_prop_a4_network_existence,
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


def orthogonal_targets(X, Z):
    """Y = (I - P_X) Z: X^T Y = 0, the exception of Prop. A.3."""
    return Z - X @ np.linalg.lstsq(X, Z, rcond=None)[0]


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31), lam=st.floats(1e-3, 10))
def test_a3_exception_xty_zero_has_minimisers_at_beta_zero(seed, lam):
    """Issue 19: with X^T Y = 0, (A, 0) minimises (6) — A.3 as printed is false there."""
    rng, X, Z = draw(seed)
    Y = orthogonal_targets(X, Z)
    f0 = np.sum(Y * Y) / (2 * X.shape[0])
    check = check_prop_a3_exception(X, Y, lam, n_random=5, rng=seed)
    assert check.passed and check.details["has_minimiser"]
    # independent: F(A, 0) = f(0) and F >= f(0) (f(XW) = f(0) + ||XW||^2/(2n) when X^T Y = 0)
    A, beta = rng.standard_normal((5, 3)), rng.standard_normal(5)
    W = beta[:, None] * A
    assert sn_obj(X, Y, A, np.zeros(5), lam) == pytest.approx(f0, rel=1e-12)
    assert sn_obj(X, Y, A, beta, lam) == pytest.approx(
        f0 + np.sum((X @ W) ** 2) / (2 * X.shape[0]) + lam * np.abs(beta).sum(), rel=1e-9)
    # generic targets: no minimiser, a point below f(0) is exhibited
    generic = check_prop_a3_exception(X, Z, lam, n_random=5, rng=seed)
    assert generic.passed and not generic.details["has_minimiser"]
    assert generic.details["witness"] < generic.details["f0"]
    # broken variants: the regularised objective (8) where X^T Y = 0 (F(A, 0) > f(0)); on
    # generic data an objective whose fit never beats f(0)
    assert not check_prop_a3_exception(
        X, Y, lam, objective=lambda A_, b_: sn_obj(X, Y, A_, b_, lam, 1e-2), rng=seed).passed
    flat = generic.details["f0"]
    assert not check_prop_a3_exception(
        X, Z, lam, objective=lambda A_, b_: flat + lam * np.abs(b_).sum(), rng=seed).passed


def test_a3_exception_multinomial_balanced_classes():
    rng = np.random.default_rng(1)
    X = np.repeat(rng.standard_normal((10, 3)), 2, axis=0)
    Y = np.eye(2)[np.tile([0, 1], 10)]
    assert np.abs(X.T @ (Y - 0.5)).max() < 1e-12  # G = X^T (1/K - Y) / n = 0
    check = check_prop_a3_exception(X, Y, 0.1, "multinomial")
    assert check.passed and check.details["has_minimiser"]
    assert check.details["f0"] == pytest.approx(np.log(2))


def test_a3_script_covers_the_exception():
    checks = load_script(3).run(0)
    exception = [c for c in checks if "exception" in c.name]
    assert any(c.details["has_minimiser"] for c in exception)
    assert any(not c.details["has_minimiser"] for c in exception)
    assert all(c.passed for c in exception)


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


def net(rng, dims):
    return [(rng.standard_normal((a, b)), rng.standard_normal(a), rng.standard_normal(b))
            for a, b in zip(dims, dims[1:])]


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("activation", [np.tanh, lambda z: np.maximum(z, 0)])
def test_a4_fails_on_the_n_layer_network_with_free_biases(depth, activation):
    """Issue 19: Omega^rs leaves b_i free; with a class that never occurs F has no minimum."""
    rng, X, _ = draw(depth, d=4)
    Y = np.eye(3)[rng.integers(0, 2, X.shape[0])]  # class 2 absent
    layers = net(rng, [4] + [3] * (depth - 1) + [3])
    check = check_prop_a4_absent_class(X, Y, layers, 0.1, 0.01, 2, activation)
    assert check.passed
    # independent: dF/d(b_n)_2 = mean softmax_2 > 0, by central differences
    def F(t):
        moved = layers[:-1] + [(layers[-1][0], layers[-1][1], layers[-1][2] + [0, 0, t])]
        return network_objective(X, Y, moved, 0.1, 0.01, 2, activation, loss="multinomial")
    assert (F(1e-5) - F(-1e-5)) / 2e-5 > 0
    # the repair: a bias penalty makes F grow along the ray, and F coercive
    assert not check_prop_a4_absent_class(X, Y, layers, 0.1, 0.01, 2, activation,
                                          lam_bias=0.05).passed
    assert check_prop_a4_network_existence(X, Y, layers, 0.1, 0.01, 2, activation,
                                           "multinomial", lam_bias=0.05, n_rays=3).passed


def test_a4_existence_argument_needs_penalised_hidden_biases():
    rng, X, Y = draw(4, d=4, q=2)
    free = check_prop_a4_network_existence(X, Y, net(rng, [4, 3, 2]), 0.1, 0.01, n_rays=3)
    assert not free.passed and "layer 1" in free.details["non_coercive"]
    assert check_prop_a4_network_existence(X, Y, net(rng, [4, 3, 2]), 0.1, 0.01, n_rays=3,
                                           lam_bias=0.01).passed
    # one layer, squared loss: the free bias is harmless (the fit grows in b)
    assert check_prop_a4_network_existence(X, Y, net(rng, [4, 2]), 0.1, 0.01, n_rays=3).passed
    # multinomial: b_n -> b_n + t 1 leaves the softmax unchanged
    labels = np.eye(2)[rng.integers(0, 2, X.shape[0])]
    shift = check_prop_a4_network_existence(X, labels, net(rng, [4, 2]), 0.1, 0.01, 2,
                                            np.tanh, "multinomial", n_rays=3)
    assert not shift.passed and "shift" in shift.details["non_coercive"]


def test_a4_script_covers_the_n_layer_network():
    checks = load_script(4).run(0)
    assert any("free biases" in c.name and c.passed for c in checks)
    assert any("lam_bias" in c.name and c.passed for c in checks)


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
