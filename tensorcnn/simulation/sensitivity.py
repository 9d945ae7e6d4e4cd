"""How a run's linear fit depends on the random truth W* (one draw per setting and seed).

003 §4.1 fixes W* for a setting ("all other parameters fixed") and averages the error over
200 training sets per n; the R² of a run is then a property of one draw of W*. These
functions repeat an experiment over several root seeds — each seed draws a new W* (and Φ)
per setting, see :func:`~tensorcnn.simulation.replication.setting_truth` — and tabulate the
slope, intercept and R² per (seed, setting), so that a threshold on R² can be read as a
share of truth draws instead of one draw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .experiments import experiment_settings, run_experiment
from .replication import setting_truth
from .runner import Store

__all__ = ["r2_by_truth", "summarize_r2_by_truth"]


def r2_by_truth(name: str, seeds: Iterable[int], names: Sequence[str] | None = None,
                n_reps: int = 200, workers: int = 1,
                store_for_seed: Callable[[int], Store] | None = None,
                progress: bool = True, inputs: str = "both") -> list[dict]:
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

    Returns
    -------
    list of dict
        Keys: seed, setting, d_M, slope, intercept, r2, mean_first / mean_last (mean error
        at the smallest / largest n), truth_norm (‖W*‖_F), converged_share, wall_seconds.

    Raises
    ------
    ValueError
        An experiment without the √(d_M/n) grid, no seeds, or a negative or repeated seed.
    """
    if name not in ("theorem1", "theorem2", "fig3"):
        raise ValueError(f"name must be 'theorem1', 'theorem2' or 'fig3', got {name!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seeds must be non-negative ints, got {seed!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    settings, _ = experiment_settings(name, names, inputs)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(seeds), unit="seed", desc="truths")
    rows: list[dict] = []
    try:
        for seed in seeds:
            store = store_for_seed(int(seed)) if store_for_seed is not None else None
            result = run_experiment(name, names, n_reps=n_reps, seed=int(seed),
                                    workers=workers, store=store, progress=False,
                                    inputs=inputs)
            for setting in settings:
                entry = result.summary[setting.name]
                weights, _ = setting_truth(setting, int(seed))
                rows.append(dict(
                    seed=int(seed), setting=setting.name, d_M=entry["d_M"],
                    slope=entry["slope"], intercept=entry["intercept"], r2=entry["r2"],
                    mean_first=entry["mean"][0], mean_last=entry["mean"][-1],
                    truth_norm=float(np.linalg.norm(weights.W)),
                    converged_share=entry["converged_share"],
                    wall_seconds=float(result.wall_seconds)))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return rows


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
        ``{setting: {n_truths, share_at_least, below (seeds), r2_min, r2_q10, r2_median,
        r2_max, spearman_r2_truth_norm}}``; the Spearman correlation of R² with ‖W*‖_F is
        None with fewer than 3 truths.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold!r}")
    if not rows:
        raise ValueError("rows must be non-empty (output of r2_by_truth)")
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
            r2_median=float(np.median(r2)), r2_max=float(r2.max()),
            spearman_r2_truth_norm=rho)
    return out
