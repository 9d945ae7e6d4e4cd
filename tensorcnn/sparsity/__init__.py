"""Group sparsity vs ShrinkNet (paper 002, SPEC.md §7).

* :func:`group_lasso`, :func:`group_lasso_path` — problem (7), squared (scikit-learn's
  ``MultiTaskLasso``) and multinomial (FISTA) losses.
* :func:`shrinknet`, :func:`shrinknet_path` — problems (6)/(8), block coordinate descent.
* :mod:`.propositions` — numerical checks of Propositions A.1–A.4.
* :class:`Switch`, :func:`shrinknet_penalty`, killing strategies, :func:`collect_garbage`,
  :func:`fold_switches` — the Switch layer and neuron removal.
* :mod:`.datasets` — the synthetic group-sparse generator and loaders of the paper's data.

See ``docs/shrinknet.md`` for the math-to-code map.
"""

from .datafits import Multinomial, Quadratic
from .folding import fold_switches
from .garbage import GCReport, collect_garbage, count_parameters
from .group_lasso import (
    group_lasso,
    group_lasso_kkt,
    group_lasso_lambda_max,
    group_lasso_objective,
    group_lasso_path,
)
from .killing import KillStrategy, SignChangeKill, SignVarianceKill, ThresholdKill
from .penalties import L1, GroupL2, SquaredL2
from .shrinknet import (
    balanced_split,
    reduced_penalty,
    reduced_penalty_constant,
    ridge_fit,
    shrinknet,
    shrinknet_objective,
    shrinknet_path,
    shrinknet_stationarity,
)
from .solvers import ConvergenceWarning, fista
from .switch import Switch, shrinknet_penalty, switches

__all__ = [
    "ConvergenceWarning", "GCReport", "KillStrategy", "SignChangeKill", "SignVarianceKill",
    "Switch", "ThresholdKill", "collect_garbage", "count_parameters", "fold_switches",
    "shrinknet_penalty", "switches", "GroupL2", "L1", "Multinomial", "Quadratic", "SquaredL2",
    "balanced_split", "fista", "group_lasso", "group_lasso_kkt", "group_lasso_lambda_max",
    "group_lasso_objective", "group_lasso_path", "reduced_penalty",
    "reduced_penalty_constant", "ridge_fit", "shrinknet", "shrinknet_objective",
    "shrinknet_path", "shrinknet_stationarity",
]
