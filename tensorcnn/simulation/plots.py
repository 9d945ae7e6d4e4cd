"""Plots of Fig. 3 (1)–(3) and Fig. 7 (2) of 003 from a run's summary (matplotlib, Agg)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from numbers import Real
from pathlib import Path

from .._figures import check_figure_path, save_figure
from .._validation import check_bool, check_finite, check_instance

__all__ = ["plot_error_curves", "plot_r2_by_truth", "plot_truth_curves"]


#: A bound at least this many times the observed mean error at every n is called vacuous in
#: the figure: true, but it says nothing about the size of the error.
_VACUOUS_FACTOR = 10.0


def _check_path(path: object) -> None:
    """A figure path whose suffix matplotlib can write (checked before anything is drawn)."""
    check_figure_path(path, "path")


def _check_curve(name: str, entry: object) -> None:
    """One setting's entry of a summary: x, mean, sd of one length, finite (None-free)."""
    import numpy as np

    where = f"summary[{name!r}]"
    if not isinstance(entry, Mapping):
        raise TypeError(f"{where} must be a dict (a setting's summary), got "
                        f"{type(entry).__name__}")
    missing = [key for key in ("x", "mean", "sd") if key not in entry]
    if missing:
        raise ValueError(f"{where} has no {missing} (a setting's summary has x, mean and sd, "
                         "one value per n)")
    lengths = set()
    for key in ("x", "mean", "sd"):
        try:
            values = np.asarray(entry[key], dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"{where}[{key!r}] must be a list of numbers, got "
                            f"{entry[key]!r:.80}") from None
        if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all():
            raise ValueError(f"{where}[{key!r}] must be a non-empty list of finite numbers, "
                             f"got {entry[key]!r:.80}")
        lengths.add(values.size)
    if len(lengths) != 1:
        raise ValueError(f"{where}: x, mean and sd must have one length (one value per n)")
    if entry.get("slope") is not None:
        for key in ("slope", "intercept", "r2"):
            value = entry.get(key)
            if isinstance(value, bool) or not isinstance(value, Real) \
                    or not math.isfinite(value):
                raise ValueError(f"{where}[{key!r}] must be a finite number with a slope, "
                                 f"got {value!r}")
    bound = entry.get("bound")
    if bound is not None:
        if not isinstance(bound, Mapping) or not isinstance(bound.get("defined"), bool):
            raise ValueError(f"{where}['bound'] must be a dict with a bool 'defined', got "
                             f"{bound!r:.80}")
        if bound["defined"]:
            values = np.asarray(bound.get("values", ()), dtype=float)
            if values.shape != (lengths.pop(),) or np.isnan(values).any():
                raise ValueError(f"{where}['bound']['values'] must be numbers, one per n")


def _finite_list(where: str, values: object) -> int:
    """The length of ``values``, a non-empty 1-D list of finite numbers (else an error)."""
    import numpy as np

    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{where} must be a list of numbers, got {values!r:.80}") from None
    if isinstance(values, str | bytes) or array.ndim != 1 or array.size == 0 \
            or not np.isfinite(array).all():
        raise ValueError(f"{where} must be a non-empty list of finite numbers, got "
                         f"{values!r:.80}")
    return array.size


def _check_truths(name: str, truths: object) -> None:
    """A setting's ``truths`` entry (:func:`~tensorcnn.simulation.sensitivity.truth_summary`):
    what :func:`plot_truth_curves` draws, one curve per draw, each as long as ``x``."""
    where = f"summary[{name!r}]['truths']"
    if not isinstance(truths, Mapping):
        raise TypeError(f"{where} must be a dict (truth_summary's entry), got "
                        f"{type(truths).__name__}")
    missing = [key for key in ("x", "seeds", "draws", "threshold", "share_at_least",
                               "n_truths") if key not in truths]
    if missing:
        raise ValueError(f"{where} has no {missing} (truth_summary writes x, seeds, draws, "
                         "threshold, share_at_least and n_truths)")
    length = _finite_list(f"{where}['x']", truths["x"])
    seeds, draws = truths["seeds"], truths["draws"]
    if not isinstance(seeds, Sequence) or isinstance(seeds, str) or not seeds:
        raise ValueError(f"{where}['seeds'] must be a non-empty list of seeds, got {seeds!r:.80}")
    if not isinstance(draws, Sequence) or isinstance(draws, str) or not draws:
        raise ValueError(f"{where}['draws'] must be a non-empty list of dicts, got "
                         f"{draws!r:.80}")
    for i, draw in enumerate(draws):
        if not isinstance(draw, Mapping) or not all(k in draw for k in ("seed", "r2", "mean")):
            raise ValueError(f"{where}['draws'][{i}] must be a dict with seed, r2 and mean, "
                             f"got {draw!r:.80}")
        check_finite(draw["r2"], f"{where}['draws'][{i}]['r2']")
        if _finite_list(f"{where}['draws'][{i}]['mean']", draw["mean"]) != length:
            raise ValueError(f"{where}['draws'][{i}]['mean'] must have one value per x "
                             f"({length})")
    check_finite(truths["threshold"], f"{where}['threshold']")
    check_finite(truths["share_at_least"], f"{where}['share_at_least']")
    n_truths = truths["n_truths"]
    if isinstance(n_truths, bool) or not isinstance(n_truths, int) or n_truths < 1:
        raise ValueError(f"{where}['n_truths'] must be a positive int, got {n_truths!r}")


def _bound_note(ratios: dict) -> str:
    """The second line of the bound panel's title: bound ÷ observed error, and vacuity."""
    import numpy as np

    ratios = {name: r for name, r in ratios.items() if r.size}
    every = np.concatenate(list(ratios.values()))
    span = (f"bound = {_times(every.min())} to {_times(every.max())} times the observed "
            f"mean error")
    vacuous = [name for name, r in ratios.items() if r.min() >= _VACUOUS_FACTOR]
    if len(vacuous) == len(ratios):
        return f"{span}: vacuous"
    if vacuous:
        return f"{span}; vacuous for {', '.join(vacuous)}"
    return span


def _times(value: float) -> str:
    """``value`` to two digits, as mathtext ``a×10^k`` from 1000 up."""
    if not value < 1000:
        mantissa, exponent = f"{value:.1e}".split("e")
        return rf"${mantissa}\times10^{{{int(exponent)}}}$"
    return f"{value:.2g}"


def plot_error_curves(summary: dict, path: str | os.PathLike, title: str = "",
                      xlabel: str = r"$\sqrt{d_M / n}$", show_bound: bool = True) -> Path:
    """Mean error ± 1 sd per setting against x with its least-squares line; the bound apart.

    Left (or only) panel, linear axes: per setting the mean error ± 1 sd over the
    replications at each n, and the least-squares line of the means against x (dotted; its
    slope and R² in the legend). Where ``show_bound`` and a setting's bound is defined, a
    right panel with a log y-axis draws the theorem's bound (dashed) with the same means
    (solid), so the gap between them is seen as it is; its title gives bound ÷ error and
    calls the bound vacuous where it is ten times the error or more at
    every n. A setting whose bound is not defined (e.g. c_u = 0) gets a note in the figure,
    no legend entry.

    Parameters
    ----------
    summary : dict
        A run's ``summary.json``: setting name -> entry with ``x``, ``mean``, ``sd`` (one
        value per n), ``slope``, ``intercept``, ``r2`` (None with one n) and optionally
        ``bound`` (``{"defined": True, "values": [...]}`` per n, or ``{"defined": False,
        "reason": ...}``); keys starting with ``_`` are skipped.
    path : path
        The PNG written.
    title : str
        Figure title; default "mean estimation error against <xlabel>".
    xlabel : str
        The x quantity (matplotlib mathtext).
    show_bound : bool
        Draw (or note) the bounds.

    Returns
    -------
    Path
        ``path``.
    """
    if not isinstance(summary, Mapping):
        raise TypeError(f"summary must be a dict (a run's summary.json), got "
                        f"{type(summary).__name__}")
    entries = [(name, entry) for name, entry in summary.items()
               if not (isinstance(name, str) and name.startswith("_"))]
    if not entries:
        raise ValueError("summary must hold at least one setting (a key not starting "
                         "with '_'), got none")
    for name, entry in entries:
        _check_curve(name, entry)
    check_instance(title, str, "title", "a str")
    check_instance(xlabel, str, "xlabel", "a str (matplotlib mathtext)")
    check_bool(show_bound, "show_bound")
    import matplotlib

    matplotlib.use("Agg")
    _check_path(path)
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.offsetbox import AnchoredText

    bounds = {name: entry["bound"] for name, entry in entries
              if show_bound and entry.get("bound") is not None}
    defined = [name for name, bound in bounds.items() if bound["defined"]]
    undefined = [name for name, bound in bounds.items() if not bound["defined"]]
    if defined:
        fig, (ax, bound_ax) = plt.subplots(1, 2, figsize=(11.5, 4.8))
    else:
        fig, ax = plt.subplots(figsize=(6.8, 4.8))
        bound_ax = None
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ratios, handles = {}, []
    for k, (name, entry) in enumerate(entries):
        colour = colours[k % len(colours)]
        x = np.asarray(entry["x"], dtype=float)
        mean, sd = np.asarray(entry["mean"], dtype=float), np.asarray(entry["sd"], dtype=float)
        handles.append(ax.errorbar(x, mean, yerr=sd, marker="o", ms=4, capsize=3, lw=1.2,
                                   color=colour, label=f"{name}: mean ± 1 sd"))
        if entry.get("slope") is not None:
            grid = np.linspace(x.min(), x.max(), 50)
            handles += ax.plot(grid, entry["slope"] * grid + entry["intercept"], ls=":",
                               color=colour, lw=1.2,
                               label=f"{name}: least-squares line (slope "
                               f"{entry['slope']:.3g}, R² {entry['r2']:.3f})")
        if bound_ax is not None and name in defined:
            values = np.asarray(bounds[name]["values"], dtype=float)
            bound_ax.plot(x, values, ls="--", color=colour, lw=1.2, label=f"{name}: bound")
            bound_ax.plot(x, mean, ls="-", marker="o", ms=3, color=colour, lw=1.0,
                          label=f"{name}: observed mean")
            positive = mean > 0
            ratios[name] = values[positive] / mean[positive]
    ax.set_xlabel(xlabel)
    ax.set_ylabel(r"mean $\|\hat W - W^*\|_F$ (± 1 sd)")
    ax.legend(handles=handles, fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    heading = title or f"mean estimation error against {xlabel}"
    if bound_ax is not None:
        fig.suptitle(heading, fontsize=11)
        ax.set_title("observed error (linear scale)", fontsize=9)
        bound_ax.set_yscale("log")
        bound_ax.set_xlabel(xlabel)
        bound_ax.set_ylabel("error or bound (log scale)")
        note = _bound_note(ratios) if any(r.size for r in ratios.values()) else ""
        bound_ax.set_title("theorem bound (dashed) and observed mean (solid)"
                           + (f"\n{note}" if note else ""), fontsize=9)
        bound_ax.legend(fontsize=7, loc="best")
        bound_ax.grid(alpha=0.3, which="both")
    else:
        ax.set_title(heading)
    if undefined:
        reasons = {bounds[n].get("reason", "").split(":")[0].strip() for n in undefined}
        why = "; ".join(sorted(r for r in reasons if r)) or "its constants"
        box = AnchoredText(f"no bound drawn for {', '.join(undefined)}:\nnot defined "
                           f"({why}), i.e. vacuous", loc="lower right",
                           prop=dict(fontsize=7), frameon=True)
        box.patch.set_alpha(0.85)
        (bound_ax or ax).add_artist(box)
    return save_figure(fig, path)


def plot_r2_by_truth(rows: list[dict], path: str | os.PathLike, threshold: float = 0.95,
                     title: str = "") -> Path:
    """R² of each (seed, setting) as points, one column per setting, and the threshold.

    ``rows`` are those of :func:`tensorcnn.simulation.sensitivity.r2_by_truth`.

    Raises
    ------
    TypeError, ValueError
        For empty ``rows``, a row without a setting name and a finite ``r2``, a
        ``threshold`` outside (0, 1], a non-str ``title`` or a ``path`` matplotlib cannot
        write (checked before anything is drawn).
    """
    if isinstance(rows, str | bytes) or not isinstance(rows, Sequence):
        raise TypeError(f"rows must be a list of dicts (r2_by_truth's rows), got "
                        f"{type(rows).__name__}")
    if not rows:
        raise ValueError("rows must be a non-empty list of dicts (r2_by_truth's rows)")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or not isinstance(row.get("setting"), str):
            raise TypeError(f"rows[{i}] must be a dict with a str 'setting', got {row!r:.80}")
        value = row.get("r2")
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise ValueError(f"rows[{i}]['r2'] must be a finite number, got {value!r}")
    threshold = check_finite(threshold, "threshold")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold!r}")
    check_instance(title, str, "title", "a str")
    import matplotlib

    matplotlib.use("Agg")
    _check_path(path)
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(dict.fromkeys(row["setting"] for row in rows))
    fig, ax = plt.subplots(figsize=(max(4.8, 0.9 * len(names) + 2.0), 4.4))
    jitter = np.random.default_rng(0)   # fixed: the figure is reproducible
    labels, lowest, labelled = [], threshold, set()
    for column, name in enumerate(names):
        r2 = np.array([row["r2"] for row in rows if row["setting"] == name])
        x = column + jitter.uniform(-0.15, 0.15, r2.size)
        low = r2 < threshold
        for part, colour, label in ((~low, "tab:blue", f"R² ≥ {threshold}"),
                                    (low, "tab:red", f"R² < {threshold}")):
            if part.any():   # a legend entry only for points drawn, once
                ax.scatter(x[part], r2[part], s=12, color=colour,
                           label=None if label in labelled else label)
                labelled.add(label)
        labels.append(f"{name}\n{np.mean(~low):.0%}")
        lowest = min(lowest, float(r2.min()))
    ax.axhline(threshold, ls="--", color="grey", lw=1, label=f"threshold R² = {threshold}")
    ax.set_xticks(range(len(names)), labels)
    ax.set_ylim(lowest - 0.01, 1.0)
    ax.set_ylabel(r"R² of mean error against $\sqrt{d_M / n}$")
    ax.set_xlabel(f"setting, and its share of draws with R² ≥ {threshold}")
    ax.set_title(title or "R² of each truth draw of W* (one point each)", fontsize=9)
    ax.legend(fontsize=8, loc="best")
    return save_figure(fig, path)


def plot_truth_curves(summary: dict, path: str | os.PathLike, title: str = "",
                      xlabel: str = r"$\sqrt{d_M / n}$") -> Path:
    """One panel per setting with truth draws: the mean-error curve of every draw of W*.

    ``summary`` is a run's ``summary.json`` whose entries carry ``truths``
    (:func:`tensorcnn.simulation.sensitivity.truth_summary`); the run's own (fixed) truth
    is drawn bold, draws whose R² is below the threshold in red.

    Raises
    ------
    TypeError, ValueError
        For a ``summary`` that is not a dict of settings, has no setting with truth draws or
        whose ``truths`` lack what is drawn (``x``, ``seeds``, ``draws`` with one curve per
        draw, ``threshold``, ``share_at_least``, ``n_truths``), a non-str ``title`` or
        ``xlabel``, or a ``path`` matplotlib cannot write (checked before anything is
        drawn).
    """
    if not isinstance(summary, Mapping):
        raise TypeError(f"summary must be a dict (a run's summary.json), got "
                        f"{type(summary).__name__}")
    names = [n for n, e in summary.items() if not (isinstance(n, str) and n.startswith("_"))
             and isinstance(e, Mapping) and "truths" in e]
    if not names:
        raise ValueError("summary has no setting with truth draws (a 'truths' entry)")
    for name in names:
        _check_truths(name, summary[name]["truths"])
    check_instance(title, str, "title", "a str")
    check_instance(xlabel, str, "xlabel", "a str (matplotlib mathtext)")
    import matplotlib

    matplotlib.use("Agg")
    _check_path(path)
    import matplotlib.pyplot as plt
    import numpy as np

    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.4 * columns, 3.6 * rows),
                             squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        truths = summary[name]["truths"]
        x = np.asarray(truths["x"])
        fixed = truths["seeds"][0]
        labelled = set()
        for draw in truths["draws"]:
            low = draw["r2"] < truths["threshold"]
            bold = draw["seed"] == fixed
            label = (f"the run's truth (seed {fixed})" if bold else "other draws of W*")
            if low:
                label += f", R² < {truths['threshold']}"
            ax.plot(x, draw["mean"], marker="o" if bold else None, ms=3,
                    lw=2.0 if bold else 0.8, alpha=1.0 if bold else 0.6,
                    color="tab:red" if low else ("black" if bold else "tab:blue"),
                    label=None if label in labelled else label)
            labelled.add(label)
        ax.legend(fontsize=7, loc="upper left")
        ax.set_title(f"{name}: R² ≥ {truths['threshold']} for "
                     f"{truths['share_at_least']:.0%} of {truths['n_truths']} truths",
                     fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(r"mean $\|\hat W - W^*\|_F$")
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    what = "mean error of each draw of the truth W*"
    fig.suptitle(f"{title}: {what}" if title else what, fontsize=10)
    return save_figure(fig, path)
