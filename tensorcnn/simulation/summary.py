"""Per-setting summaries of a sweep: per-n mean/sd, the linear fit of mean error on √(d_M/n),
and the Theorem 1/2 bound next to it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats
from threadpoolctl import threadpool_limits

from ..bounds import bound_constants, error_bound
from ..data.presets import Setting
from .replication import setting_truth

__all__ = ["linear_fit", "summarize"]


def linear_fit(x: np.ndarray, y: np.ndarray) -> dict:
    """Least-squares line y ≈ slope · x + intercept and its R² (scipy.stats.linregress)."""
    fit = stats.linregress(np.asarray(x, float), np.asarray(y, float))
    return dict(slope=float(fit.slope), intercept=float(fit.intercept),
                r2=float(fit.rvalue**2))


def summarize(rows: Sequence[dict], settings: Sequence[Setting], seed: int,
              metric: str = "error", x_key: str = "x", wall_seconds: float | None = None,
              with_bounds: bool = True) -> dict:
    """Summary per setting (the ``summary.json`` of a run).

    Keys per setting: d_M, model, inputs, solver, n, x, mean, sd, n_reps, slope, intercept,
    r2 (of the per-n mean of ``metric`` against ``x_key``), mean_identified,
    mean_prediction, fit_seconds and cpu_seconds (sums), converged_share, bound (values or
    the reason it is vacuous) and the constants κ_L, κ_U, c_u, C_u, c_x, C_x.
    """
    out: dict = {}
    for setting in settings:
        mine = [r for r in rows if r["setting"] == setting.name]
        if not mine:
            continue
        ns = sorted({r["n"] for r in mine})
        by_n = [[r for r in mine if r["n"] == n] for n in ns]
        mean = [float(np.mean([r[metric] for r in g])) for g in by_n]
        sd = [float(np.std([r[metric] for r in g], ddof=1)) if len(g) > 1 else 0.0
              for g in by_n]
        x = [float(g[0][x_key]) for g in by_n]
        entry = dict(
            d_M=setting.n_params, model=setting.model, inputs=setting.inputs,
            solver=mine[0]["solver"], metric=metric, x_name=x_key, n=ns, x=x, mean=mean,
            sd=sd, n_reps=[len(g) for g in by_n],
            mean_identified=[float(np.mean([r["error_identified"] for r in g])) for g in by_n],
            mean_prediction=[float(np.mean([r["prediction_error"] for r in g])) for g in by_n],
            fit_seconds=float(sum(r["fit_seconds"] for r in mine)),
            cpu_seconds=float(sum(r.get("cpu_seconds", np.nan) for r in mine)),
            converged_share=float(np.mean([r["converged"] for r in mine])),
            **linear_fit(x, mean),
        )
        if with_bounds:
            # one BLAS thread, as in the workers: the constants (and Φ, if drawn here
            # first) come out bit-identical whichever backend ran the fits
            with threadpool_limits(1):
                _, transition = setting_truth(setting, seed)
                constants = bound_constants(setting.spec, transition,
                                            compressed=setting.kind.compressed)
            bound = error_bound(constants, setting.n_params, np.array(ns), setting.noise_sd)
            entry["constants"] = constants.as_dict()
            entry["bound"] = (dict(defined=True, values=[float(b) for b in bound])
                              if bound is not None else
                              dict(defined=False, reason=constants.reason))
        out[setting.name] = entry
    if wall_seconds is not None:
        out["_run"] = dict(wall_seconds=float(wall_seconds), n_fits=len(rows))
    return out
