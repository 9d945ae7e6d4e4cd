"""Sample-complexity simulations of 003 §4.1 / App. A.5.1 (Fig. 3, Fig. 7 (2)), and your own.

Library: :func:`simulate_regression` (the data simulator), :func:`fit_replication`,
:func:`fit_replications` (a batch of replications in one solve; numpy or torch devices),
:func:`make_tasks`, :func:`run_sweep`, :func:`summarize`, :func:`sample_sizes`,
:class:`Experiment` (settings, how they are swept, the run's options; :meth:`Experiment.run`),
:func:`experiment_plan` and :func:`run_experiment` (the named experiments of the CLI),
:func:`load_experiment` (an experiment file, ``tensorcnn simulate --config``),
:func:`r2_by_truth`, :func:`truth_draws` and :func:`summarize_r2_by_truth` (the linear fit
over many draws of W*). Files, plots and reports: :mod:`tensorcnn.simulation.io`,
:mod:`tensorcnn.simulation.plots`, :mod:`tensorcnn.simulation.report`.
"""

from .batched import fit_replications
from .config import ConfigError, dumps_experiment, load_experiment, parse_experiment
from .experiments import (
    EXPERIMENTS,
    Experiment,
    ExperimentResult,
    Panel,
    SettingRun,
    experiment_plan,
    experiment_settings,
    run_experiment,
)
from .grid import sample_sizes
from .replication import N_TEST, RegressionData, fit_replication, simulate_regression
from .report import load_run, write_report
from .runner import Task, make_tasks, run_sweep, run_task
from .sensitivity import (
    r2_by_truth,
    summarize_r2_by_truth,
    truth_draws,
    truth_rows,
    truth_summary,
)
from .summary import linear_fit, summarize

__all__ = [
    "ConfigError",
    "EXPERIMENTS",
    "Experiment",
    "ExperimentResult",
    "N_TEST",
    "Panel",
    "RegressionData",
    "SettingRun",
    "Task",
    "dumps_experiment",
    "experiment_plan",
    "experiment_settings",
    "fit_replication",
    "fit_replications",
    "linear_fit",
    "load_experiment",
    "load_run",
    "make_tasks",
    "parse_experiment",
    "r2_by_truth",
    "run_experiment",
    "run_sweep",
    "run_task",
    "sample_sizes",
    "simulate_regression",
    "summarize",
    "summarize_r2_by_truth",
    "truth_draws",
    "truth_rows",
    "truth_summary",
    "write_report",
]
