"""How a run's linear fit depends on the random truth W* (one draw per setting and seed).

003 §4.1 fixes W* for a setting ("all other parameters fixed") and averages the error over
200 training sets per n; the R² of a run is then a property of one draw of W*. These
functions repeat an experiment over several root seeds — each seed draws a new W* (and Φ)
per setting, see :func:`~tensorcnn.simulation.replication.setting_truth` — and tabulate the
slope, intercept and R² per (seed, setting), so that a threshold on R² can be read as a
share of truth draws instead of one draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from numbers import Real

import numpy as np

from .._validation import check_bool, check_finite
from .experiments import Experiment, ExperimentResult, experiment_plan
from .replication import setting_truth
from .runner import Store

__all__ = ["r2_by_truth", "summarize_r2_by_truth", "truth_draws", "truth_rows",
           "truth_summary"]


def _check_experiment(experiment: object) -> None:
    if not isinstance(experiment, Experiment):
        raise TypeError(f"experiment must be an Experiment (experiment_plan, load_experiment), "
                        f"got {type(experiment).__name__}")


def _check_seeds(seeds: Iterable[int]) -> list[int]:
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be an iterable of non-negative ints, got {seeds!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seeds must be non-negative ints, got {seed!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    return [int(seed) for seed in seeds]


def _check_store_for_seed(store_for_seed: object) -> None:
    if store_for_seed is not None and not callable(store_for_seed):
        raise TypeError(f"store_for_seed must be a callable seed -> Store, or None, got "
                        f"{type(store_for_seed).__name__}")


def _check_results(experiment: Experiment, results: object) -> None:
    if not isinstance(results, Mapping) or not results:
        raise ValueError("results must be a non-empty {seed: ExperimentResult} mapping "
                         "(truth_draws)")
    names = [setting.name for setting in experiment.settings]
    for seed, result in results.items():
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"results must be keyed by non-negative int seeds, got {seed!r}")
        if not isinstance(result, ExperimentResult):
            raise TypeError(f"results[{seed!r}] must be an ExperimentResult (truth_draws), "
                            f"got {type(result).__name__}")
        missing = [name for name in names if not isinstance(result.summary, Mapping)
                   or name not in result.summary]
        if missing:
            raise ValueError(f"results[{seed!r}] has no summary of the settings {missing} of "
                             "the experiment (results of another experiment?)")


def truth_draws(experiment: Experiment, seeds: Iterable[int], workers: int | None = None,
                scheduler=None, store_for_seed: Callable[[int], Store] | None = None,
                progress: bool = True) -> dict[int, ExperimentResult]:
    """Run ``experiment`` once per root seed; each seed is a new draw of every W* (and Φ).

    Parameters
    ----------
    experiment : Experiment
    seeds : iterable of int
        Distinct non-negative root seeds.
    workers, scheduler : optional
        As :meth:`Experiment.run` (default: the experiment's).
    store_for_seed : callable, optional
        ``store_for_seed(seed)`` gives the checkpoint store of that seed's sweep.
    progress : bool, default True
        A tqdm bar over seeds.

    Returns
    -------
    dict
        ``{seed: ExperimentResult}`` in the order of ``seeds``.
    """
    _check_experiment(experiment)
    seeds = _check_seeds(seeds)
    _check_store_for_seed(store_for_seed)
    check_bool(progress, "progress")
    experiment.tasks(seeds[0])      # the sweep is validated before any work
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(seeds), unit="seed", desc="truths")
    results: dict[int, ExperimentResult] = {}
    try:
        for seed in seeds:
            store = store_for_seed(seed) if store_for_seed is not None else None
            results[seed] = experiment.run(seed=seed, workers=workers, scheduler=scheduler,
                                           store=store, progress=False)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return results


def truth_rows(experiment: Experiment, results: Mapping[int, ExperimentResult]) -> list[dict]:
    """One row per (seed, setting) of :func:`truth_draws`' results (see :func:`r2_by_truth`)."""
    _check_experiment(experiment)
    _check_results(experiment, results)
    rows: list[dict] = []
    for seed, result in results.items():
        for setting in experiment.settings:
            entry = result.summary[setting.name]
            weights, _ = setting_truth(setting, int(seed))
            rows.append(dict(
                seed=int(seed), setting=setting.name, d_M=entry["d_M"],
                slope=entry["slope"], intercept=entry["intercept"], r2=entry["r2"],
                mean_first=entry["mean"][0], mean_last=entry["mean"][-1],
                truth_norm=float(np.linalg.norm(weights.W)),
                converged_share=entry["converged_share"],
                wall_seconds=float(result.wall_seconds)))
    return rows


def truth_summary(experiment: Experiment, results: Mapping[int, ExperimentResult],
                  threshold: float | None = None) -> dict:
    """Per setting: :func:`summarize_r2_by_truth` and every draw's curve (the plot's data).

    Returns
    -------
    dict
        ``{setting: {…summarize_r2_by_truth…, seeds, x, draws: [{seed, slope, intercept,
        r2, truth_norm, mean}]}}``; ``x`` is the summary's x-axis (the same for every draw).
    """
    _check_experiment(experiment)
    threshold = experiment.threshold if threshold is None else _check_threshold(threshold)
    rows = truth_rows(experiment, results)
    out = summarize_r2_by_truth(rows, threshold)
    for name, entry in out.items():
        mine = [row for row in rows if row["setting"] == name]
        entry["seeds"] = [row["seed"] for row in mine]
        entry["x"] = results[mine[0]["seed"]].summary[name]["x"]
        entry["draws"] = [dict(seed=row["seed"], slope=row["slope"],
                               intercept=row["intercept"], r2=row["r2"],
                               truth_norm=row["truth_norm"],
                               mean=results[row["seed"]].summary[name]["mean"])
                          for row in mine]
    return out


def r2_by_truth(name: str, seeds: Iterable[int], names: Sequence[str] | None = None,
                n_reps: int = 200, workers: int = 1,
                store_for_seed: Callable[[int], Store] | None = None,
                progress: bool = True, inputs: str = "both", n_points: int = 10,
                batch_size: int = 10) -> list[dict]:
    """Run experiment ``name`` once per root seed; one row per (seed, setting).

    Parameters
    ----------
    name : {"theorem1", "theorem2", "fig3"}
        The experiment (its settings use the √(d_M/n) grid of 003 §4.1).
    seeds : iterable of int
        Root seeds; each gives every setting a new truth W* (and Φ for VAR(1) inputs).
    names : sequence of str, optional
        Setting names to keep (as ``tensorcnn simulate --settings``).
    n_reps : int, default 200
        Replications per sample size, for each seed.
    workers : int, default 1
        joblib processes for each seed's sweep.
    store_for_seed : callable, optional
        ``store_for_seed(seed)`` gives the checkpoint store of that seed's sweep, so an
        interrupted study resumes without refitting finished tasks.
    progress : bool, default True
        A tqdm bar over seeds.
    inputs : {"iid", "var1", "both"}, default "both"
        Input processes of the Theorem 1 settings.
    n_points : int, default 10
        Sample sizes per setting.
    batch_size : int, default 10
        Replications per task.

    Returns
    -------
    list of dict
        Keys: seed, setting, d_M, slope, intercept, r2, mean_first / mean_last (mean error
        at the smallest / largest n), truth_norm (‖W*‖_F), converged_share, wall_seconds.

    Raises
    ------
    ValueError
        An experiment without the √(d_M/n) grid, no seeds, or a negative or repeated seed.

    See Also
    --------
    truth_draws, truth_rows : the same for any :class:`~tensorcnn.simulation.Experiment`
        (what ``tensorcnn simulate --truths K`` runs).
    """
    if name not in ("theorem1", "theorem2", "fig3"):
        raise ValueError(f"name must be 'theorem1', 'theorem2' or 'fig3', got {name!r}")
    seeds = _check_seeds(seeds)
    _check_store_for_seed(store_for_seed)
    check_bool(progress, "progress")
    plan = experiment_plan(name, names, n_reps=n_reps, inputs=inputs, n_points=n_points,
                           batch_size=batch_size, workers=workers)
    return truth_rows(plan, truth_draws(plan, seeds, store_for_seed=store_for_seed,
                                        progress=progress))


def summarize_r2_by_truth(rows: Sequence[dict], threshold: float = 0.95) -> dict:
    """Per setting: the share of truth draws whose R² reaches ``threshold``, and quantiles.

    Parameters
    ----------
    rows : sequence of dict
        Output of :func:`r2_by_truth`.
    threshold : float, default 0.95
        R² to reach (0 < threshold ≤ 1).

    Returns
    -------
    dict
        ``{setting: {n_truths, threshold, share_at_least, below (seeds), r2_min, r2_q10,
        r2_median, r2_q90, r2_max, slope_min, slope_q10, slope_median, slope_q90,
        slope_max, spearman_r2_truth_norm}}`` (quantiles: ``numpy.quantile``, linear); the
        Spearman correlation of R² with ‖W*‖_F is None with fewer than 3 truths.
    """
    threshold = _check_threshold(threshold)
    if isinstance(rows, str | bytes) or not isinstance(rows, Sequence):
        raise TypeError(f"rows must be a sequence of dicts (output of r2_by_truth), got "
                        f"{type(rows).__name__}")
    if not rows:
        raise ValueError("rows must be non-empty (output of r2_by_truth)")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"rows[{i}] must be a dict (a row of r2_by_truth), got "
                            f"{type(row).__name__}")
        missing = [key for key in ("seed", "setting", "r2", "truth_norm") if key not in row]
        if missing:
            raise ValueError(f"rows[{i}] has no {missing} (rows of r2_by_truth have seed, "
                             "setting, r2, truth_norm)")
        for key in ("r2", "truth_norm"):
            value = row[key]
            if isinstance(value, bool) or not isinstance(value, Real) \
                    or not math.isfinite(value):
                raise ValueError(f"rows[{i}][{key!r}] must be a finite number, got {value!r}")
    from scipy import stats

    out: dict = {}
    for setting in dict.fromkeys(row["setting"] for row in rows):
        mine = [row for row in rows if row["setting"] == setting]
        r2 = np.array([row["r2"] for row in mine])
        norms = np.array([row["truth_norm"] for row in mine])
        rho = (float(stats.spearmanr(r2, norms).statistic) if len(mine) >= 3 else None)
        out[setting] = dict(
            n_truths=len(mine), threshold=threshold,
            share_at_least=float(np.mean(r2 >= threshold)),
            below=[row["seed"] for row in mine if row["r2"] < threshold],
            r2_min=float(r2.min()), r2_q10=float(np.quantile(r2, 0.1)),
            r2_median=float(np.median(r2)), r2_q90=float(np.quantile(r2, 0.9)),
            r2_max=float(r2.max()), **_quantiles("slope", mine),
            spearman_r2_truth_norm=rho)
    return out


def _check_threshold(threshold: object) -> float:
    threshold = check_finite(threshold, "threshold")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold!r}")
    return threshold


def _quantiles(key: str, rows: Sequence[dict]) -> dict:
    values = np.array([row[key] for row in rows if key in row], dtype=float)
    if values.size == 0:
        return {}
    return {f"{key}_min": float(values.min()), f"{key}_q10": float(np.quantile(values, 0.1)),
            f"{key}_median": float(np.median(values)),
            f"{key}_q90": float(np.quantile(values, 0.9)), f"{key}_max": float(values.max())}
