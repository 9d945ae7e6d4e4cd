"""Plots of Fig. 3 (1)–(3) and Fig. 7 (2) of 003 from a run's summary (matplotlib, Agg)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["plot_error_curves"]


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
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
