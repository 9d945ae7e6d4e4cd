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
    """Least-squares line y ≈ slope · x + intercept and its R² (scipy.stats.linregress).

    Parameters
    ----------
    x, y : arrays of shape (m,), m >= 2, finite; ``x`` not constant

    Returns
    -------
    dict with float slope, intercept, r2

    Raises
    ------
    TypeError, ValueError
        If x or y is not a finite 1-D numeric array, their lengths differ, m < 2 or x is
        constant (the line is not determined).
    """
    arrays = []
    for name, value in (("x", x), ("y", y)):
        array = np.asarray(value)
        if array.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a 1-D array of numbers, got dtype {array.dtype}")
        array = array.astype(float)
        if array.ndim != 1 or array.size < 2:
            raise ValueError(f"{name} must be a 1-D array of at least 2 points, got shape "
                             f"{array.shape}")
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinite values: {value!r}")
        arrays.append(array)
    x, y = arrays
    if x.shape != y.shape:
        raise ValueError(f"x and y must have one length, got {x.size} and {y.size}")
    if np.ptp(x) == 0:
        raise ValueError(f"x must not be constant (the slope is not determined), got {x!r}")
    if np.ptp(y) == 0:  # a constant y is fitted exactly: R² = 1, not linregress's 0/0
        return dict(slope=0.0, intercept=float(y[0]), r2=1.0)
    fit = stats.linregress(x, y)
    return dict(slope=float(fit.slope), intercept=float(fit.intercept),
                r2=float(fit.rvalue**2))


def summarize(rows: Sequence[dict], settings: Sequence[Setting], seed: int,
              metric: str = "error", x_key: str = "x", wall_seconds: float | None = None,
              with_bounds: bool = True) -> dict:
    """Summary per setting (the ``summary.json`` of a run).

    Keys per setting: d_M, model, inputs, solver, n, x, mean, sd, n_reps, slope, intercept,
    r2 (of the per-n mean of ``metric`` against ``x_key``; None with a single n), mean_identified,
    mean_prediction, fit_seconds and cpu_seconds (sums), converged_share, bound (values or
    the reason it is vacuous) and the constants κ_L, κ_U, c_u, C_u, c_x, C_x.

    Raises
    ------
    ValueError
        If ``rows`` or ``settings`` is empty, or no row belongs to any of ``settings`` (a
        summary of nothing is refused, not returned empty).
    """
    rows, settings = list(rows), list(settings)
    if not rows:
        raise ValueError("rows must hold at least one fit (a row dict), got none")
    if not settings:
        raise ValueError("settings must name at least one Setting, got none")
    bad = [s for s in settings if not isinstance(s, Setting)]
    if bad:
        raise TypeError(f"settings must be Setting objects, got {type(bad[0]).__name__}")
    names = {setting.name for setting in settings}
    if not any(isinstance(r, dict) and r.get("setting") in names for r in rows):
        raise ValueError(f"rows has no fit of the settings {sorted(names)}")
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
            **(linear_fit(x, mean) if len(set(x)) > 1 else
               dict(slope=None, intercept=None, r2=None)),  # one n: no line to fit
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
