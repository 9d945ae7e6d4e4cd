"""Estimators of the CNN weights (003 §2.3, §3, App. A.4), sklearn-style.

* :class:`RankKRegressor` — least squares with rank(Θ) ≤ K (Eq. 6, Theorem 1): variable
  projection and trust-region Newton on the Grassmannian, on sufficient statistics, from
  screened spectral and random starts.
* :class:`TuckerRegressor`, :class:`CPRegressor` — Tucker/CP-constrained least squares
  (Eq. 8, Theorem 2) in the reduced form of Corollary 1: screened ALS starts, then a
  variable-projection Levenberg–Marquardt finish; ``warm_start`` for sweeps over n.
* :class:`PaperGDRegressor` — the paper's protocol (GD, lr 0.01, momentum 0.9, stop at a
  1e-8 relative drop), the baseline of the benchmarks.
* :class:`LogisticCNNClassifier` — the logistic (binary and M-class) estimators of App. A.4.

``fit(X, y)`` takes inputs (n, d_1, …, d_N); ``fit_design(Z, y)`` design tensors
(n, l_1 p_1, …); ``fit_trace(M, y)`` the trace-regression matrices (n, P, l_1, …, l_N)
(SPEC.md §3; the least-squares estimators). Fitted attributes: ``W_``, ``A_``, ``B_``,
``objective_``, ``n_iter_``, ``converged_``.

They are scikit-learn estimators (:class:`sklearn.base.BaseEstimator`; the regressors with
:class:`~sklearn.base.RegressorMixin`, ``score`` = R², the classifier with
:class:`~sklearn.base.ClassifierMixin`, ``score`` = accuracy): ``__init__`` only stores the
arguments, which are validated at fit time (``_parameter_constraints``), so ``clone``,
``get_params`` / ``set_params``, pickling and ``GridSearchCV`` work (``tests/test_sklearn_api.py``
lists the ``sklearn.utils.estimator_checks`` that pass). Inputs keep their CNN shape
(n, d_1, …, d_N), not a 2-D table.
"""

from ._base import ConvergenceWarning
from .gd import PaperGDRegressor
from .logistic import LogisticCNNClassifier
from .lowrank import RankKRegressor
from .structured import CPRegressor, TuckerRegressor

__all__ = [
    "CPRegressor",
    "ConvergenceWarning",
    "LogisticCNNClassifier",
    "PaperGDRegressor",
    "RankKRegressor",
    "TuckerRegressor",
]
