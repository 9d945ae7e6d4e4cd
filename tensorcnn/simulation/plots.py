"""Plots of Fig. 3 (1)–(3) and Fig. 7 (2) of 003 from a run's summary (matplotlib, Agg)."""

from __future__ import annotations

import os
from pathlib import Path

from .._figures import save_figure

__all__ = ["plot_error_curves", "plot_r2_by_truth", "plot_truth_curves"]


def plot_error_curves(summary: dict, path: str | os.PathLike, title: str = "",
                      xlabel: str = r"$\sqrt{d_M / n}$", show_bound: bool = True) -> Path:
    """Mean error ± 1 sd per setting against x, the linear fit, and the bound if defined.

    The bound is drawn on a second (right) axis: with the paper's constants it is several
    orders of magnitude above the errors; where it is vacuous (c_u = 0) the legend says so.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    bound_ax = None
    notes = []
    for name, entry in summary.items():
        if name.startswith("_"):
            continue
        x = np.asarray(entry["x"])
        mean, sd = np.asarray(entry["mean"]), np.asarray(entry["sd"])
        line = ax.errorbar(x, mean, yerr=sd, marker="o", ms=4, capsize=3, lw=1.2,
                           label=f"{name} (R² = {entry['r2']:.3f})")
        color = line[0].get_color()
        grid = np.linspace(x.min(), x.max(), 50)
        ax.plot(grid, entry["slope"] * grid + entry["intercept"], ls=":", color=color, lw=1)
        bound = entry.get("bound")
        if show_bound and bound is not None:
            if bound["defined"]:
                if bound_ax is None:
                    bound_ax = ax.twinx()
                    bound_ax.set_ylabel("Theorem bound (dashed)")
                bound_ax.plot(x, bound["values"], ls="--", color=color, lw=1)
            else:
                notes.append(name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(r"mean $\|\hat W - W^*\|_F$ (± 1 sd)")
    if notes:
        ax.plot([], [], ls="--", color="grey",
                label=f"bound vacuous (c_u = 0): {', '.join(notes)}")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title)
    return save_figure(fig, path)


def plot_r2_by_truth(rows: list[dict], path: str | os.PathLike, threshold: float = 0.95,
                     title: str = "") -> Path:
    """R² of each (seed, setting) as points, one column per setting, and the threshold.

    ``rows`` are those of :func:`tensorcnn.simulation.sensitivity.r2_by_truth`.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(dict.fromkeys(row["setting"] for row in rows))
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(names) + 2.0), 4.2))
    jitter = np.random.default_rng(0)   # fixed: the figure is reproducible
    labels, lowest = [], threshold
    for column, name in enumerate(names):
        r2 = np.array([row["r2"] for row in rows if row["setting"] == name])
        x = column + jitter.uniform(-0.15, 0.15, r2.size)
        low = r2 < threshold
        ax.scatter(x[~low], r2[~low], s=12, color="tab:blue")
        ax.scatter(x[low], r2[low], s=12, color="tab:red")
        labels.append(f"{name}\n{np.mean(~low):.0%}")
        lowest = min(lowest, float(r2.min()))
    ax.axhline(threshold, ls="--", color="grey", lw=1, label=f"R² = {threshold}")
    ax.set_xticks(range(len(names)), labels)
    ax.set_ylim(lowest - 0.01, 1.0)
    ax.set_ylabel(r"R² of mean error against $\sqrt{d_M / n}$")
    ax.set_title(title or f"one point per truth draw; under each setting: share with "
                 f"R² ≥ {threshold}", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    return save_figure(fig, path)


def plot_truth_curves(summary: dict, path: str | os.PathLike, title: str = "",
                      xlabel: str = r"$\sqrt{d_M / n}$") -> Path:
    """One panel per setting with truth draws: the mean-error curve of every draw of W*.

    ``summary`` is a run's ``summary.json`` whose entries carry ``truths``
    (:func:`tensorcnn.simulation.sensitivity.truth_summary`); the run's own (fixed) truth
    is drawn bold, draws whose R² is below the threshold in red.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = [n for n, e in summary.items() if not n.startswith("_") and "truths" in e]
    if not names:
        raise ValueError("summary has no setting with truth draws (a 'truths' entry)")
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.4 * columns, 3.6 * rows),
                             squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        truths = summary[name]["truths"]
        x = np.asarray(truths["x"])
        fixed = truths["seeds"][0]
        for draw in truths["draws"]:
            low = draw["r2"] < truths["threshold"]
            bold = draw["seed"] == fixed
            ax.plot(x, draw["mean"], marker="o" if bold else None, ms=3,
                    lw=2.0 if bold else 0.8, alpha=1.0 if bold else 0.6,
                    color="tab:red" if low else ("black" if bold else "tab:blue"))
        ax.set_title(f"{name}: R² ≥ {truths['threshold']} for "
                     f"{truths['share_at_least']:.0%} of {truths['n_truths']} truths",
                     fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(r"mean $\|\hat W - W^*\|_F$")
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)
