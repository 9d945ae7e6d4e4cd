"""The one validation module (issue #13): each check's accept/refuse cases and messages, the
``rng`` policy, and one ``ConvergenceWarning`` that scikit-learn's filter catches."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import sklearn.exceptions
from hypothesis import given
from hypothesis import strategies as st

from tensorcnn import _validation
from tensorcnn._validation import (
    ConvergenceWarning,
    as_generator,
    check_bool,
    check_finite,
    check_int,
    check_nonnegative,
    check_positive,
)
from tensorcnn.cnn import CNNSpec
from tensorcnn.estimators import PaperGDRegressor
from tensorcnn.sparsity import group_lasso, shrinknet

NOT_NUMBERS = [True, False, None, "1", [1], (1,), np.ones(1), 1j, object()]


# ------------------------------------------------------------------------------ check_int

@given(st.integers(min_value=1, max_value=2**70))
def test_check_int_accepts_positive_integers(value):
    assert check_int(value, "n") == value and type(check_int(value, "n")) is int


@pytest.mark.parametrize("value", [np.int8(3), np.int64(3), np.uint16(3)])
def test_check_int_accepts_numpy_integers(value):
    result = check_int(value, "n")
    assert result == 3 and type(result) is int


@given(st.integers(max_value=0))
def test_check_int_refuses_non_positive_integers(value):
    with pytest.raises(ValueError, match=rf"^n_kernels must be a positive integer, got {value}$"):
        check_int(value, "n_kernels")


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_check_int_refuses_every_float(value):
    with pytest.raises(TypeError, match="n_kernels must be a positive integer, got"):
        check_int(value, "n_kernels")


@pytest.mark.parametrize("value", NOT_NUMBERS + [2.5, 2.0, np.float64(2.0)])
def test_check_int_refuses_non_integers_and_bools(value):
    with pytest.raises(TypeError, match="^n must be a positive integer, got "):
        check_int(value, "n")


def test_check_int_message_names_argument_value_and_expectation():
    with pytest.raises(TypeError) as info:
        check_int(2.5, "n_kernels")
    assert str(info.value) == "n_kernels must be a positive integer, got 2.5"
    with pytest.raises(ValueError, match=r"^lag must be a non-negative integer, got -1$"):
        check_int(-1, "lag", minimum=0)
    with pytest.raises(ValueError, match=r"^n_points must be an integer >= 2, got 1$"):
        check_int(1, "n_points", minimum=2)
    assert check_int(0, "lag", minimum=0) == 0
    assert check_int(-3, "shift", minimum=-3) == -3


# --------------------------------------------------------------------------- check_finite

@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-2**60, 2**60))
def test_check_finite_accepts_finite_reals(value):
    result = check_finite(value, "x")
    assert result == float(value) and type(result) is float


@pytest.mark.parametrize("value", [np.float32(0.5), np.float64(-2.0), np.int64(4),
                                   Fraction(1, 3)])
def test_check_finite_accepts_numpy_scalars_and_fractions(value):
    assert check_finite(value, "x") == float(value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float32("nan")])
def test_check_finite_refuses_nan_and_infinity(value):
    with pytest.raises(ValueError, match="^x must be a finite real number, got "):
        check_finite(value, "x")


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_check_finite_refuses_non_numbers(value):
    with pytest.raises(TypeError, match="^x must be a finite real number, got "):
        check_finite(value, "x")


# ----------------------------------------------------------- check_positive / nonnegative

@given(st.floats(min_value=0, exclude_min=True, allow_infinity=False)
       | st.integers(1, 2**60))
def test_check_positive_accepts_positive_numbers(value):
    result = check_positive(value, "tol")
    assert result == float(value) and type(result) is float


@given(st.floats(max_value=0) | st.integers(max_value=0)
       | st.sampled_from([math.nan, math.inf, -math.inf]))
def test_check_positive_refuses_non_positive_and_non_finite(value):
    with pytest.raises(ValueError, match="^tol must be a finite number > 0, got "):
        check_positive(value, "tol")


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_check_positive_refuses_non_numbers(value):
    with pytest.raises(TypeError, match="^tol must be a finite number > 0, got "):
        check_positive(value, "tol")
    with pytest.raises(TypeError, match="^lam must be a finite number >= 0, got "):
        check_nonnegative(value, "lam")


def test_check_positive_options():
    assert check_positive(0.0, "tol", allow_zero=True) == 0.0
    assert check_positive(3, "max_iter", integer=True) == 3
    assert type(check_positive(np.int32(3), "max_iter", integer=True)) is int
    assert check_positive(0, "n", integer=True, allow_zero=True) == 0
    with pytest.raises(ValueError, match=r"^max_iter must be a positive integer, got 0$"):
        check_positive(0, "max_iter", integer=True)
    with pytest.raises(TypeError, match=r"^max_iter must be a positive integer, got 3.0$"):
        check_positive(3.0, "max_iter", integer=True)
    with pytest.raises(ValueError, match=r"^n must be a non-negative integer, got -1$"):
        check_positive(-1, "n", integer=True, allow_zero=True)


@given(st.floats(min_value=0, allow_infinity=False) | st.integers(0, 2**60))
def test_check_nonnegative_accepts_zero_and_positive(value):
    assert check_nonnegative(value, "lam") == float(value)


@given(st.floats(max_value=0, exclude_max=True) | st.integers(max_value=-1)
       | st.sampled_from([math.nan, math.inf]))
def test_check_nonnegative_refuses_negative_and_non_finite(value):
    with pytest.raises(ValueError, match="^lam must be a finite number >= 0, got "):
        check_nonnegative(value, "lam")


# ----------------------------------------------------------------------------- check_bool

@pytest.mark.parametrize("value", [True, False, np.bool_(True), np.bool_(False)])
def test_check_bool_accepts_bools(value):
    result = check_bool(value, "bias")
    assert result is bool(value) and type(result) is bool


@pytest.mark.parametrize("value", ["yes", "no", "", 0, 1, 0.0, None, [True], np.ones(1, bool),
                                   object()])
def test_check_bool_refuses_truthy_stand_ins(value):
    with pytest.raises(TypeError, match=r"^batch_norm must be a bool \(True or False\), got "):
        check_bool(value, "batch_norm")


def test_check_bool_message_shows_the_value():
    with pytest.raises(TypeError) as info:
        check_bool("yes", "augment")
    assert str(info.value) == "augment must be a bool (True or False), got 'yes'"


# --------------------------------------------------------------------------- as_generator

def test_as_generator_passes_a_generator_through():
    gen = np.random.default_rng(0)
    assert as_generator(gen) is gen
    assert as_generator(gen, allow_none=False) is gen


@given(st.integers(0, 2**64 - 1))
def test_as_generator_int_is_a_seed(seed):
    a, b = as_generator(seed), as_generator(np.uint64(seed))
    assert a.integers(2**62) == b.integers(2**62) == np.random.default_rng(seed).integers(2**62)


def test_as_generator_none_is_a_fresh_unseeded_generator_unless_refused():
    a, b = as_generator(None), as_generator(None)
    assert isinstance(a, np.random.Generator) and a is not b
    with pytest.raises(TypeError, match="^random_state must be .*None is refused"):
        as_generator(None, "random_state", allow_none=False)


@pytest.mark.parametrize("rng", [True, 1.0, "seed", [1], np.random.RandomState(0)])
def test_as_generator_refuses_other_types(rng):
    with pytest.raises(TypeError, match="^rng must be a numpy.random.Generator, an int seed "
                                        "or None, got "):
        as_generator(rng)


def test_as_generator_refuses_negative_seeds():
    with pytest.raises(ValueError, match=r"^rng must be a non-negative int seed, got -1$"):
        as_generator(-1)


# --------------------------------------------------------------------- ConvergenceWarning

def test_one_convergence_warning_at_every_public_location():
    import tensorcnn.estimators
    import tensorcnn.sparsity
    import tensorcnn.sparsity.solvers

    assert issubclass(ConvergenceWarning, sklearn.exceptions.ConvergenceWarning)
    assert issubclass(ConvergenceWarning, UserWarning)
    assert (tensorcnn.estimators.ConvergenceWarning is tensorcnn.sparsity.ConvergenceWarning
            is tensorcnn.sparsity.solvers.ConvergenceWarning is ConvergenceWarning)
    assert "ConvergenceWarning" in _validation.__all__


def _estimator_fit_at_cap() -> None:
    spec = CNNSpec((5, 5), (2, 2), (2, 2), n_kernels=1)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5, 5))
    y = rng.standard_normal(60)
    PaperGDRegressor(spec, max_iter=1).fit(X, y)


def _rng_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((20, 4)), rng.standard_normal((20, 2)), rng.integers(0, 3, 20)


@pytest.mark.parametrize("fit", [
    _estimator_fit_at_cap,
    lambda: shrinknet(*_rng_data()[:2], 0.01, 0.01, max_iter=1),               # BCD sweeps
    lambda: group_lasso(_rng_data()[0], _rng_data()[2], 1e-4, "multinomial",   # FISTA
                        max_iter=1),
], ids=["estimator", "shrinknet", "fista"])
def test_sklearn_filter_catches_the_package_warnings(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("error", sklearn.exceptions.ConvergenceWarning)
        with pytest.raises(sklearn.exceptions.ConvergenceWarning) as info:
            fit()
    assert type(info.value) is ConvergenceWarning
