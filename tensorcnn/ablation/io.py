"""Files and plots of an ablation run: the table in the paper's format, the training
curves, the configuration. The only module of :mod:`tensorcnn.ablation` that writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._figures import save_figure
from ..training import write_records
from .runner import AblationResult, config_dict

__all__ = ["format_table", "plot_curves", "write_results"]


def format_table(table: list[dict[str, Any]], dataset: str) -> str:
    """Markdown in the layout of 003 Tables 2–3: t, worst-seed accuracy, #FLOPs, #Params."""
    lines = [f"| t | {dataset} (worst seed, %) | #FLOPs | #Params | mean % | best % | seeds |",
             "|---|---|---|---|---|---|---|"]
    for row in table:
        lines.append(f"| {row['t']} | {row[dataset]:.2f} | {row['gmacs']:.3f}GMac | "
                     f"{row['params_m']:.2f}M | {row['mean']:.2f} | {row['best']:.2f} | "
                     f"{row['n_seeds']} |")
    return "\n".join(lines) + "\n"


def plot_curves(records: list[dict[str, Any]], path: str | Path) -> Path:
    """Train loss and test accuracy per epoch, one line per (t, seed), colour by t."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    ts = sorted({r["t"] for r in records})
    # viridis up to 0.85: its yellow end is hard to see on white.
    colours = {t: plt.cm.viridis(0.85 * i / max(len(ts) - 1, 1)) for i, t in enumerate(ts)}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for (t, seed) in sorted({(r["t"], r["seed"]) for r in records}):
        run = sorted((r for r in records if r["t"] == t and r["seed"] == seed),
                     key=lambda r: r["epoch"])
        epochs = [r["epoch"] + 1 for r in run]
        label = f"t = {t}" if seed == min(r["seed"] for r in records if r["t"] == t) else None
        axes[0].plot(epochs, [r["train_loss"] for r in run], color=colours[t], label=label)
        axes[1].plot(epochs, [100 * r["test_accuracy"] for r in run], color=colours[t],
                     label=label)
    axes[0].set(xlabel="epoch", ylabel="train loss", yscale="log")
    axes[1].set(xlabel="epoch", ylabel="test accuracy (%)")
    for ax in axes:
        ax.legend()
        ax.grid(alpha=0.3)
    return save_figure(fig, path)


def write_results(result: AblationResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``table.md``, ``table.csv``, ``records.csv`` (curves), ``curves.png`` and
    ``config.json`` (with the wall time) under ``out_dir``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"table_md": out / "table.md", "config": out / "config.json"}
    paths["table_md"].write_text(format_table(result.table, result.config.dataset))
    paths["table_csv"] = write_records(result.table, out / "table.csv")
    paths["records"] = write_records(result.records, out / "records.csv")
    paths["curves"] = plot_curves(result.records, out / "curves.png")
    paths["config"].write_text(json.dumps({**config_dict(result.config),
                                           "seconds": result.seconds}, indent=2) + "\n")
    return paths
