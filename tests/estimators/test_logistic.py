"""Logistic CNN estimators (003 App. A.4) against statsmodels' Logit / MNLogit."""

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.discrete.discrete_model import Logit, MNLogit

from tensorcnn.cnn import CNNSpec
from tensorcnn.estimators import LogisticCNNClassifier
from tensorcnn.estimators._trace import design_to_trace, weight_to_theta

# P = 2, L = 2, K = 2 = min(P, L): the rank constraint is void, so the MLE is the plain
# (multinomial) logistic regression on the 4 features vec(M_i), which statsmodels computes.
SPEC = CNNSpec((3, 3), (2, 1), (2, 1), n_kernels=2)


def _labels(Z, W, rng):
    n = Z.shape[0]
    eta = np.concatenate([np.zeros((n, 1)), Z.reshape(n, -1) @ W.reshape(W.shape[0], -1).T],
                         axis=1)
    p = scipy.special.softmax(eta, axis=1)
    return (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)


@settings(max_examples=8)
@given(seed=st.integers(0, 2**31), n_classes=st.integers(2, 3))
def test_matches_statsmodels_when_unconstrained(seed, n_classes):
    rng = np.random.default_rng(seed)
    W = 0.7 * rng.standard_normal((n_classes - 1, *SPEC.weight_shape))
    n = 400
    X = rng.standard_normal((n, *SPEC.input_shape))
    Z = SPEC.design(X)
    y = _labels(Z, W, rng)
    if np.bincount(y, minlength=n_classes).min() < 5:
        return
    est = LogisticCNNClassifier(SPEC, n_classes=n_classes, tol=1e-10).fit(X, y)
    features = design_to_trace(SPEC, Z).reshape(n, -1)
    if n_classes == 2:
        reference = Logit(y, features).fit(disp=0, method="newton", tol=1e-12).params[None]
    else:
        reference = MNLogit(y, features).fit(disp=0, method="newton", tol=1e-12).params.T
    ours = np.stack([weight_to_theta(SPEC, w).ravel() for w in est.W_])
    np.testing.assert_allclose(ours, reference, atol=1e-5)
    assert est.converged_


def test_rank_constrained_fit_is_stationary_and_beats_the_truth():
    spec = CNNSpec((7, 5, 7), (2, 2, 2), (3, 2, 3), n_kernels=1)
    rng = np.random.default_rng(3)
    W = spec.weight(rng.standard_normal((1, 2, 2, 2)), rng.standard_normal((1, 2, 2, 2)))[None]
    X = rng.standard_normal((800, *spec.input_shape))
    Z = spec.design(X)
    y = _labels(Z, W, rng)
    est = LogisticCNNClassifier(spec).fit_design(Z, y)
    eta = Z.reshape(800, -1) @ W.reshape(1, -1).T
    nll_truth = float(np.mean(np.logaddexp(0, eta[:, 0]) - y * eta[:, 0]))
    assert est.converged_ and est.objective_ <= nll_truth
    assert est.predict(X).shape == (800,)
    np.testing.assert_allclose(est.predict_proba(X).sum(axis=1), 1.0)


def test_bad_labels_and_sizes():
    X = np.random.default_rng(0).standard_normal((30, 3, 3))
    with pytest.raises(ValueError, match="class labels"):
        LogisticCNNClassifier(SPEC).fit(X, np.full(30, 2))
    with pytest.raises(ValueError, match="class labels"):
        LogisticCNNClassifier(SPEC).fit(X, np.full(30, 0.5))
    with pytest.raises(ValueError, match="n_classes"):
        LogisticCNNClassifier(SPEC, n_classes=1).fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="smaller than the number of parameters"):
        LogisticCNNClassifier(SPEC).fit(X[:5], np.zeros(5))
