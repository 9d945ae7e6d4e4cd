"""Files and plots of an ablation run: the table in the paper's format, the training
curves, the configuration. The only module of :mod:`tensorcnn.ablation` that writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._figures import check_figure_path, save_figure
from .._validation import check_path
from ..training import write_records
from .config import AblationConfig
from .runner import AblationResult, _check_dicts, config_dict

__all__ = ["format_table", "plot_curves", "write_results"]


def format_table(table: list[dict[str, Any]], dataset: str) -> str:
    """Markdown in the layout of 003 Tables 2–3: t, worst-seed accuracy, #FLOPs, #Params.

    Raises
    ------
    TypeError, ValueError
        ``dataset`` not a string, ``table`` not a list of the rows
        :func:`~tensorcnn.ablation.runner.worst_seed_table` returns (``t``, ``dataset``,
        ``gmacs``, ``params_m``, ``mean``, ``best``, ``n_seeds``).
    """
    if not isinstance(dataset, str):
        raise TypeError(f"dataset must be a string (the accuracy column), got {dataset!r}")
    _check_dicts(table, "table", ("t", dataset, "gmacs", "params_m", "mean", "best",
                                  "n_seeds"))
    lines = [f"| t | {dataset} (worst seed, %) | #FLOPs | #Params | mean % | best % | seeds |",
             "|---|---|---|---|---|---|---|"]
    for row in table:
        lines.append(f"| {row['t']} | {row[dataset]:.2f} | {row['gmacs']:.3f}GMac | "
                     f"{row['params_m']:.2f}M | {row['mean']:.2f} | {row['best']:.2f} | "
                     f"{row['n_seeds']} |")
    return "\n".join(lines) + "\n"


_SEED_STYLES = (("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v"),
                ((0, (1, 1)), "P"), ((0, (8, 2)), "X"))


def _curves_title(config: AblationConfig) -> str:
    """Title of ``curves.png``: network, data set and the training settings of ``config``."""
    if not isinstance(config, AblationConfig):
        raise TypeError(f"config must be an AblationConfig, got {config!r}")
    data = config.dataset + (f", first {config.max_train} training images"
                             if config.max_train else "")
    return (f"{config.network} on {data}: {config.epochs} epochs, batch {config.batch_size}, "
            f"lr {config.lr:g}")


def _plain_log_formatter(base: type) -> Any:
    """A ``LogFormatter`` (which ticks it labels unchanged) writing ``f"{value:g}"``."""

    class PlainLog(base):
        def __call__(self, x, pos=None):
            return f"{x:g}" if super().__call__(x, pos) else ""

    return PlainLog(labelOnlyBase=False)


def plot_curves(records: list[dict[str, Any]], path: str | Path, title: str = "") -> Path:
    """Train loss and test accuracy per epoch: one line per (t, seed), colour by t, line
    style and marker by seed, all in one legend.

    Parameters
    ----------
    records : list of dict
        One per (t, seed, epoch) with ``t``, ``seed``, ``epoch`` (0-based, as the harness
        and ``records.csv`` count), ``train_loss`` and ``test_accuracy`` (a fraction), as
        :func:`~tensorcnn.ablation.runner.run_ablation` returns them.
    path : path
        The PNG written.
    title : str
        Figure title; :func:`write_results` gives the network, the data set and the
        training settings of the run's configuration. Default "K/R ablation".

    Returns
    -------
    Path
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogFormatter, MaxNLocator

    _check_dicts(records, "records", ("t", "seed", "epoch", "train_loss", "test_accuracy"))
    if not records:
        raise ValueError("records must hold at least one (t, seed, epoch) record, got none")
    path = check_figure_path(path)
    if not isinstance(title, str):
        raise TypeError(f"title must be a string, got {title!r}")
    ts = sorted({r["t"] for r in records})
    seeds = sorted({r["seed"] for r in records})
    # viridis up to 0.85: its yellow end is hard to see on white.
    colours = {t: plt.cm.viridis(0.85 * i / max(len(ts) - 1, 1)) for i, t in enumerate(ts)}
    styles = {seed: _SEED_STYLES[i % len(_SEED_STYLES)] for i, seed in enumerate(seeds)}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    runs = sorted({(r["t"], r["seed"]) for r in records})
    for t, seed in runs:
        run = sorted((r for r in records if r["t"] == t and r["seed"] == seed),
                     key=lambda r: r["epoch"])
        epochs = [r["epoch"] for r in run]
        ls, marker = styles[seed]
        common = dict(color=colours[t], ls=ls, marker=marker, ms=4, lw=1.2,
                      markevery=max(1, len(run) // 12), label=f"t = {t}, seed {seed}")
        axes[0].plot(epochs, [r["train_loss"] for r in run], **common)
        axes[1].plot(epochs, [100 * r["test_accuracy"] for r in run], **common)
    axes[0].set(xlabel="epoch (0-based, as in records.csv)", ylabel="train loss",
                yscale="log", title="train loss")
    axes[1].set(xlabel="epoch (0-based, as in records.csv)", ylabel="test accuracy (%)",
                title="test accuracy")
    # plain numbers on the log axis ("2", "0.05"), not "2 × 10⁰" or "5e-02"
    axes[0].yaxis.set_major_formatter(_plain_log_formatter(LogFormatter))
    axes[0].yaxis.set_minor_formatter(_plain_log_formatter(LogFormatter))
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                   ncol=1 if len(runs) <= 12 else 2, title="colour: t, style: seed",
                   title_fontsize=7)
    fig.suptitle(title or "K/R ablation", fontsize=10)
    return save_figure(fig, path)


def write_results(result: AblationResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``table.md``, ``table.csv``, ``records.csv`` (curves), ``curves.png`` and
    ``config.json`` (with the wall time) under ``out_dir``; returns the paths.

    Raises
    ------
    TypeError, ValueError
        ``result`` not an AblationResult, ``out_dir`` not a path or an existing file.
    """
    if not isinstance(result, AblationResult):
        raise TypeError(f"result must be an AblationResult, got {type(result).__name__}")
    out = check_path(out_dir, "out_dir")
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir={str(out)!r} is an existing file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    paths = {"table_md": out / "table.md", "config": out / "config.json"}
    paths["table_md"].write_text(format_table(result.table, result.config.dataset))
    paths["table_csv"] = write_records(result.table, out / "table.csv")
    paths["records"] = write_records(result.records, out / "records.csv")
    paths["curves"] = plot_curves(result.records, out / "curves.png",
                                  _curves_title(result.config))
    paths["config"].write_text(json.dumps({**config_dict(result.config),
                                           "seconds": result.seconds}, indent=2) + "\n")
    return paths
