"""The CNN estimators as scikit-learn estimators (issue #13): clone, params, search, pickle.

Every estimator of :mod:`tensorcnn.estimators` is a :class:`sklearn.base.BaseEstimator`
(regressors with :class:`~sklearn.base.RegressorMixin`, the logistic classifier with
:class:`~sklearn.base.ClassifierMixin`), whose ``__init__`` only stores its arguments and
whose parameters are validated at fit time by scikit-learn's ``_parameter_constraints``.

Checks of :mod:`sklearn.utils.estimator_checks` run here
--------------------------------------------------------
The estimators take CNN-structured inputs X of shape (n, *spec.input_shape), so the checks
that fit on scikit-learn's own 2-D tables (n, n_features) apply only to a 1-D CNN whose
input width d is that table's n_features: those run on ``CNNSpec((d,), (2,), (1,), 1)``
(n_classes = 3 for the classifier: the checks' labels are 0, 1, 2).

* Without data, on the package's 2-D and 3-D specs (``API_CHECKS``):
  ``check_estimator_cloneable``, ``check_estimator_repr``, ``check_no_attributes_set_in_init``,
  ``check_parameters_default_constructible``, ``check_get_params_invariance``,
  ``check_set_params``, ``check_do_not_raise_errors_in_init_or_set_params``,
  ``check_mixin_order``, ``check_estimator_tags_renamed``, ``check_valid_tag_types``,
  ``check_estimators_unfitted`` and ``check_param_validation`` (it fits on a (20, 5) table:
  the parameters are validated before X is looked at, so any spec will do).
* On 1-D CNNs of the check's width (``FIT_CHECKS``): d = 2 ``check_estimators_fit_returns_self``,
  ``check_fit_check_is_fitted``, ``check_fit_idempotent``, ``check_readonly_memmap_input``,
  ``check_estimators_overwrite_params``; d = 3 ``check_dont_overwrite_parameters``,
  ``check_dict_unchanged``, ``check_estimators_pickle``, ``check_f_contiguous_array_estimator``,
  ``check_fit_score_takes_y``, ``check_methods_sample_order_invariance``,
  ``check_methods_subset_invariance``, ``check_pipeline_consistency``,
  ``check_estimators_nan_inf``, ``check_inplace_ensure_writeable``; d = 5
  ``check_estimators_dtypes``; d = 10 (regressors) ``check_regressors_train``,
  ``check_regressors_int``, ``check_regressor_data_not_an_array``; d = 2 (classifier)
  ``check_classifier_data_not_an_array``.

  ``check_estimators_overwrite_params`` hashes the parameters before and after fit;
  :class:`~tensorcnn.cnn.CNNSpec` fills a cache (its positioning factors, a
  ``cached_property``) on first use, which the hash sees as a change, so the 1-D specs are
  used once before the checks.

Skipped, and why
----------------
* Any 2-D table of another width than the spec's input (``check_n_features_in*``,
  ``check_fit2d_1feature``, ``check_fit2d_predict1d``, ``check_fit1d``,
  ``check_dataframe_column_names_consistency``, ``check_regressors_no_decision_function``,
  ``check_non_transformer_estimators_n_iter``): the input shape is fixed by ``spec``; there
  is no ``n_features_in_`` (X need not be a table).
* Error-message wording (``check_estimators_empty_data_messages``, ``check_fit2d_1sample``,
  ``check_requires_y_none``, ``check_dtype_object``, ``check_complex_data``): the errors are
  raised (ValueError / TypeError) with the package's own messages, e.g. "n = 1 samples is
  smaller than the number of parameters", not the phrases those checks look for.
* Features the estimators do not have: ``sample_weight`` (``check_sample_weights_*``,
  ``check_all_zero_sample_weights_error``), sparse input (``check_estimator_sparse_*``),
  2-D targets (``check_supervised_y_2d``, ``check_*_multioutput``), pandas/polars output,
  array API, partial_fit, transformers, clusterers and outlier detectors.
* Classifier checks that need the classes from y (``check_classifiers_train``,
  ``check_classifiers_classes``, ``check_classifiers_one_label``,
  ``check_classifiers_regression_target``): M is the ``n_classes`` parameter, not inferred
  from y, and labels must be 0, …, M − 1; ``check_decision_proba_consistency``:
  ``decision_function`` returns the (n, M) logits with the reference column, not
  scikit-learn's (n,) binary score.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.utils import estimator_checks
from sklearn.utils._param_validation import InvalidParameterError

from tensorcnn.cnn import CNNSpec
from tensorcnn.data import cp_weights, iid_inputs, plain_weights
from tensorcnn.estimators import (
    ConvergenceWarning,
    CPRegressor,
    LogisticCNNClassifier,
    PaperGDRegressor,
    RankKRegressor,
    TuckerRegressor,
)

SPEC_2D = CNNSpec((3, 3), (2, 1), (2, 1), n_kernels=2)             # d_M = 12
SPEC_3D = CNNSpec((6, 6, 3), (3, 3, 2), (3, 3, 2), n_kernels=3)    # P = 1, L = 18

#: One instance of every CNN estimator, with non-default values where there are some.
ESTIMATORS: dict[str, Callable[[], BaseEstimator]] = {
    "RankKRegressor": lambda: RankKRegressor(SPEC_2D, n_init=5, rng=3),
    "PaperGDRegressor": lambda: PaperGDRegressor(SPEC_2D, learning_rate=0.05, max_iter=3000),
    "TuckerRegressor": lambda: TuckerRegressor(SPEC_3D, (2, 2, 1, 1), finish="als"),
    "CPRegressor": lambda: CPRegressor(SPEC_3D, 2, tol=1e-6, warm_start=True),
    "LogisticCNNClassifier": lambda: LogisticCNNClassifier(SPEC_2D, n_classes=3),
}

API_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimators_unfitted",
    "check_param_validation",
]

#: check name → input width d of the data the check fits on.
FIT_CHECKS = {
    "check_estimators_fit_returns_self": 2,
    "check_fit_check_is_fitted": 2,
    "check_fit_idempotent": 2,
    "check_readonly_memmap_input": 2,
    "check_estimators_overwrite_params": 2,
    "check_dont_overwrite_parameters": 3,
    "check_dict_unchanged": 3,
    "check_estimators_pickle": 3,
    "check_f_contiguous_array_estimator": 3,
    "check_fit_score_takes_y": 3,
    "check_methods_sample_order_invariance": 3,
    "check_methods_subset_invariance": 3,
    "check_pipeline_consistency": 3,
    "check_estimators_nan_inf": 3,
    "check_inplace_ensure_writeable": 3,
    "check_estimators_dtypes": 5,
}
REGRESSOR_FIT_CHECKS = {
    "check_regressors_train": 10,
    "check_regressors_int": 10,
    "check_regressor_data_not_an_array": 10,
}
CLASSIFIER_FIT_CHECKS = {"check_classifier_data_not_an_array": 2}


def _one_d(name: str, width: int) -> BaseEstimator:
    """The estimator ``name`` on a 1-D CNN taking (n, width) tables, its spec used once."""
    spec = CNNSpec((width,), (2,), (1,), n_kernels=1)
    spec.design(np.zeros((1, width)))        # fills the spec's cache (module docstring)
    return {
        "RankKRegressor": lambda: RankKRegressor(spec),
        # the width-2 checks fit on inputs near 100: a smaller step, or GD diverges
        "PaperGDRegressor": lambda: PaperGDRegressor(
            spec, learning_rate=1e-6 if width == 2 else 3e-4, max_iter=5000),
        "TuckerRegressor": lambda: TuckerRegressor(spec, (1, 1)),
        "CPRegressor": lambda: CPRegressor(spec, 1),
        "LogisticCNNClassifier": lambda: LogisticCNNClassifier(spec, n_classes=3),
    }[name]()


def _data(spec: CNNSpec, n: int, seed: int, truth_W: np.ndarray | None = None,
          noise: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (n, *d) and responses y = ⟨Z_i, W*⟩ + noise, W* ~ :func:`plain_weights`."""
    X = iid_inputs(n, spec.input_shape, seed)
    W = plain_weights(spec, seed).W if truth_W is None else truth_W
    y = spec.design(X).reshape(n, -1) @ W.ravel()
    return X, y + noise * np.random.default_rng(seed + 1).standard_normal(n)


def _fitted(name: str) -> tuple[BaseEstimator, np.ndarray, np.ndarray]:
    est = ESTIMATORS[name]()
    X, y = _data(est.spec, 120, 0)
    if isinstance(est, ClassifierMixin):
        y = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))           # three balanced classes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y), X, y


def _same_params(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], CNNSpec):
            assert repr(a[key]) == repr(b[key])           # CNNSpec has no __eq__
        else:
            assert a[key] == b[key], key


@pytest.mark.parametrize("name", ESTIMATORS)
def test_hierarchy(name):
    est = ESTIMATORS[name]()
    assert isinstance(est, BaseEstimator)
    if name == "LogisticCNNClassifier":
        assert isinstance(est, ClassifierMixin) and not isinstance(est, RegressorMixin)
    else:
        assert isinstance(est, RegressorMixin) and not isinstance(est, ClassifierMixin)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_clone_of_a_fitted_estimator_is_unfitted_with_equal_params(name):
    est, X, _ = _fitted(name)
    copy = clone(est)
    assert type(copy) is type(est)
    _same_params(copy.get_params(), est.get_params())
    assert copy.get_params()["spec"] is not est.spec         # a deep copy
    assert not hasattr(copy, "W_")
    with pytest.raises(NotFittedError):
        copy.predict(X)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_get_params_set_params_round_trip(name):
    est = ESTIMATORS[name]()
    params = est.get_params()
    other = clone(ESTIMATORS[name]())
    # defaults everywhere except the required arguments, then every parameter set back
    required = {k: params[k] for k in ("spec", "ranks", "rank") if k in params}
    fresh = type(est)(**required)
    assert fresh.set_params(**params) is fresh
    _same_params(fresh.get_params(), params)
    _same_params(other.get_params(), params)
    with pytest.raises(ValueError, match="Invalid parameter"):
        fresh.set_params(not_a_parameter=1)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_invalid_parameters_raise_at_fit_not_at_construction(name):
    est = ESTIMATORS[name]()
    bad = type(est)(**{**est.get_params(), "max_iter": 0})      # stored as given
    assert bad.max_iter == 0
    X, y = _data(est.spec, 40, 0)
    with pytest.raises(InvalidParameterError, match="'max_iter' parameter of"):
        bad.fit(X, np.zeros_like(y))


@pytest.mark.parametrize("name", ESTIMATORS)
def test_pickle_round_trip_predicts_identically(name):
    est, X, _ = _fitted(name)
    copy = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(copy.predict(X), est.predict(X))
    np.testing.assert_array_equal(copy.W_, est.W_)
    if name == "LogisticCNNClassifier":
        np.testing.assert_array_equal(copy.predict_proba(X), est.predict_proba(X))


@pytest.mark.parametrize("name", ESTIMATORS)
def test_score_is_r2_or_accuracy(name):
    est, X, y = _fitted(name)
    prediction = est.predict(X)
    assert prediction.shape == (X.shape[0],)
    if name == "LogisticCNNClassifier":
        assert est.score(X, y) == accuracy_score(y, prediction)
        np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    else:
        assert est.score(X, y) == r2_score(y, prediction)
        assert est.score(X, y) > 0.5


def test_grid_search_over_the_cp_rank():
    spec = CNNSpec((6, 6, 3), (3, 3, 2), (3, 3, 2), n_kernels=3)
    truth = cp_weights(spec, 2, 4)
    X, y = _data(spec, 160, 4, truth.W, noise=0.1)
    search = GridSearchCV(CPRegressor(spec, 1), {"rank": [1, 2]}, cv=2).fit(X, y)
    assert search.best_params_ == {"rank": 2}
    assert search.best_estimator_.rank == 2 and hasattr(search.best_estimator_, "W_")
    assert search.cv_results_["mean_test_score"][1] > search.cv_results_["mean_test_score"][0]


def test_grid_search_over_the_number_of_kernels():
    # K is part of the architecture: search over specs that differ in n_kernels only
    specs = [CNNSpec((7, 5, 7), (2, 2, 2), (3, 2, 3), n_kernels=k) for k in (1, 2)]
    X, y = _data(specs[1], 200, 5, noise=0.1)
    search = GridSearchCV(RankKRegressor(specs[0]), {"spec": specs}, cv=2).fit(X, y)
    assert search.best_params_["spec"].n_kernels == 2


def test_grid_search_classifier():
    est, X, y = _fitted("LogisticCNNClassifier")
    search = GridSearchCV(est, {"tol": [1e-4, 1e-8]}, cv=2).fit(X, y)
    assert search.best_params_["tol"] in (1e-4, 1e-8)
    assert 0.0 <= search.best_score_ <= 1.0


@pytest.mark.filterwarnings("ignore::tensorcnn.estimators.ConvergenceWarning")
@pytest.mark.parametrize("check", API_CHECKS)
@pytest.mark.parametrize("name", ESTIMATORS)
def test_sklearn_api_checks(name, check):
    getattr(estimator_checks, check)(name, ESTIMATORS[name]())


def _fit_cases() -> list[tuple[str, str, int]]:
    cases = [(name, check, d) for check, d in FIT_CHECKS.items() for name in ESTIMATORS]
    cases += [(name, check, d) for check, d in REGRESSOR_FIT_CHECKS.items()
              for name in ESTIMATORS if name != "LogisticCNNClassifier"]
    cases += [("LogisticCNNClassifier", check, d) for check, d in CLASSIFIER_FIT_CHECKS.items()]
    return cases


@pytest.mark.filterwarnings("ignore::tensorcnn.estimators.ConvergenceWarning")
@pytest.mark.parametrize(("name", "check", "width"), _fit_cases())
def test_sklearn_fit_checks_on_a_1d_cnn(name, check, width):
    getattr(estimator_checks, check)(name, _one_d(name, width))
