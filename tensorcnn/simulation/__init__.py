"""Sample-complexity simulations of 003 §4.1 / App. A.5.1 (Fig. 3, Fig. 7 (2)).

Library: :func:`simulate_regression` (the data simulator), :func:`fit_replication`,
:func:`make_tasks`, :func:`run_sweep`, :func:`summarize`, :func:`sample_sizes`,
:func:`run_experiment` (the named experiments of the CLI), :func:`r2_by_truth` and
:func:`summarize_r2_by_truth` (the linear fit over many draws of W*). Files and plots:
:mod:`tensorcnn.simulation.io`, :mod:`tensorcnn.simulation.plots`.
"""

from .experiments import EXPERIMENTS, experiment_settings, run_experiment
from .grid import sample_sizes
from .replication import N_TEST, RegressionData, fit_replication, simulate_regression
from .runner import Task, make_tasks, run_sweep, run_task
from .sensitivity import r2_by_truth, summarize_r2_by_truth
from .summary import linear_fit, summarize

__all__ = [
    "EXPERIMENTS",
    "N_TEST",
    "RegressionData",
    "Task",
    "experiment_settings",
    "fit_replication",
    "linear_fit",
    "make_tasks",
    "r2_by_truth",
    "run_experiment",
    "run_sweep",
    "run_task",
    "sample_sizes",
    "simulate_regression",
    "summarize",
    "summarize_r2_by_truth",
]
