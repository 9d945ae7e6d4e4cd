"""ShrinkNet vs group lasso: 002 Fig. 1 (loss against sparsity) and Fig. 2 (effect of gamma).

Fig. 1: for each data set, the group-lasso path and the ShrinkNet path (problem (8), p and
lam2 fixed, lam varied); sparsity = share of input features whose weights are all < 1e-3
in absolute value; loss = data fit / data fit of the empty model. Also the comparison at
matched sparsity (best loss of each method per sparsity level).
Fig. 2: a Switch(d) -> Linear network trained with Adam; sign-variance killing with gamma
(the reference code's rule: gamma is the decay of the sign statistics, updated every step,
dead above variance 0.5; ``--kill-rule mean-variance`` is the former rule) plus garbage
collection against the baseline without removal; final loss and cost
sum_epochs(#input neurons), mean +- 1 sd over the repetitions.

Default data: the synthetic group-sparse problems (multi-target and multi-class) and wine;
``--data-root`` adds scm1d, oes97, gina_prior2, gas_drift found there (ARFF/CSV/batch*.dat).
Writes tradeoff.csv, matched.csv, gamma.csv, summary.json, tradeoff.png, gamma.png.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from tensorcnn.sparsity.datasets import (
    PAPER_DATASETS,
    load_paper_dataset,
    load_shipped,
    make_group_sparse_regression,
)
from tensorcnn.sparsity.experiments import gamma_experiment, matched_comparison, tradeoff_curves

from .._figures import save_figure
from ._flags import SEED_HELP, add_deprecated, add_quiet


def parse(argv=None, prog: str = "tensorcnn shrinknet") -> argparse.Namespace:
    return make_parser(prog).parse_args(argv)


def make_parser(prog: str = "tensorcnn shrinknet") -> argparse.ArgumentParser:
    """The experiment's options (also listed in docs/cli.md)."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/shrinknet_vs_group_lasso"),
                        metavar="DIR",
                        help="output folder (default runs/shrinknet_vs_group_lasso)")
    parser.add_argument("--data-root", type=Path, default=None, metavar="DIR",
                        help="folder with the paper's data sets (scm1d.arff, oes97.arff, "
                        "gina_prior2.arff, gas-drift.arff or batch*.dat)")
    parser.add_argument("--datasets", nargs="*", default=None,
                        help="subset of data set names to run (default: all available)")
    parser.add_argument("--seed", type=int, default=0, help=SEED_HELP.format(default=0))
    parser.add_argument("--n-lams", type=int, default=12, help="points per path (default 12)")
    parser.add_argument("--lam2", type=float, default=1e-2, help="ShrinkNet lam2 (default 0.01)")
    parser.add_argument("--p", type=int, default=2, choices=(1, 2))
    parser.add_argument("--gammas", type=float, nargs="*",
                        default=[0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.99])
    parser.add_argument("--kill-rule", choices=("ema-variance", "mean-variance"),
                        default="ema-variance",
                        help="sign-variance rule: ema-variance (reference code, gamma = EMA "
                        "decay, every step; default) or mean-variance (gamma = threshold)")
    parser.add_argument("--gamma-lam", type=float, default=0.05,
                        help="lam of the gamma experiment (default 0.05)")
    parser.add_argument("--reps", type=int, default=30,
                        help="repetitions of the gamma experiment (default 30)")
    parser.add_argument("--epochs", type=int, default=25,
                        help="epochs per gamma-experiment run (default 25)")
    parser.add_argument("--skip-tradeoff", action="store_true", help="no Fig. 1 (trade-off)")
    parser.add_argument("--skip-gamma", action="store_true", help="no Fig. 2 (gamma)")
    add_quiet(parser)
    add_deprecated(parser, "--data-dir", "--data-root", "data_root", type=Path)
    add_deprecated(parser, "--repetitions", "--reps", "reps", type=int)
    return parser


def datasets(args):
    """name -> (X, Y, loss); synthetic and shipped first, then the paper's if found."""
    out = {}
    X, Y, _ = make_group_sparse_regression(300, 40, 6, 6, noise=1.0, rng=args.seed)
    out["synthetic_multitarget"] = (X, Y, "squared")
    X, y, _ = make_group_sparse_regression(300, 20, 3, 5, noise=0.5, loss="multinomial",
                                           rng=args.seed + 1)
    out["synthetic_multiclass"] = (X, y, "multinomial")
    out["wine"] = load_shipped("wine")
    if args.data_root is not None:
        for name in PAPER_DATASETS:
            try:
                out[name] = load_paper_dataset(name, args.data_root)
            except FileNotFoundError as error:
                print(f"skipping {name}: {error}")
    if args.datasets:
        unknown = set(args.datasets) - set(out)
        if unknown:
            raise SystemExit(f"unknown or unavailable data sets: {sorted(unknown)}")
        out = {k: v for k, v in out.items() if k in args.datasets}
    return out


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def plot_tradeoff(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["dataset"] for r in rows))
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        for method, style in (("group_lasso", "o-"), ("shrinknet", "s--")):
            pts = sorted((r["sparsity"], r["loss"]) for r in rows
                         if r["dataset"] == name and r["method"] == method)
            ax.plot(*zip(*pts, strict=True), style, ms=4, label=method.replace("_", " "))
        ax.set(title=name, xlabel="sparsity (share of inputs removed)",
               ylabel="normalised loss", ylim=(-0.02, 1.05))
        ax.legend()
    save_figure(fig, path)


def plot_gamma(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["dataset"] for r in rows))
    fig, axes = plt.subplots(len(names), 2, figsize=(10, 3.6 * len(names)), squeeze=False)
    for (ax_loss, ax_cost), name in zip(axes, names, strict=True):
        sub = [r for r in rows if r["dataset"] == name]
        base = [r for r in sub if r["gamma"] is None]
        gammas = sorted({r["gamma"] for r in sub if r["gamma"] is not None})
        for ax, key in ((ax_loss, "loss_increase"), (ax_cost, "cost")):
            vals = [np.array([r[key] for r in sub if r["gamma"] == g]) for g in gammas]
            mean = np.array([v.mean() for v in vals])
            sd = np.array([v.std(ddof=1) if v.size > 1 else 0.0 for v in vals])
            ax.plot(gammas, mean, "o-", label="sign variance + GC (mean)")
            if np.any(sd > 0):  # a band of zero width is not drawn, so not in the legend
                ax.fill_between(gammas, mean - sd, mean + sd, alpha=0.3,
                                label=f"± 1 sd over {max(v.size for v in vals)} repetitions")
            b = np.array([r[key] for r in base])
            ax.axhline(b.mean(), color="k", ls="--", label="no removal (baseline)")
            spread = b.std(ddof=1) if b.size > 1 else 0.0
            if spread > 0:
                ax.axhspan(b.mean() - spread, b.mean() + spread, color="k", alpha=0.1,
                           label="baseline ± 1 sd over repetitions")
            ax.set(xlabel="gamma", ylabel=key.replace("_", " "))
        ax_loss.set_title(f"{name}: final loss, increase over the baseline", fontsize=10)
        ax_cost.set_title(f"{name}: cost of training", fontsize=10)
        ax_loss.set_ylabel("final loss - baseline (same repetition)")
        ax_cost.set_ylabel("cost: Σ over epochs of #inputs")
        # one legend for both panels when they draw the same artists (the cost panel gets
        # its own where it draws one more, e.g. a baseline band), in head room above
        shown = [ax_loss]
        if set(ax_cost.get_legend_handles_labels()[1]) - set(
                ax_loss.get_legend_handles_labels()[1]):
            shown.append(ax_cost)
        for ax in shown:
            low, high = ax.get_ylim()
            ax.set_ylim(low, high + 0.5 * (high - low))
            ax.legend(fontsize=8, loc="upper center", ncol=2)
    save_figure(fig, path)


def _sd(values: list[float]) -> float | None:
    """Sample sd, or None for fewer than two values (one repetition has no spread)."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else None


def main(argv=None, prog: str = "tensorcnn shrinknet") -> int:
    """Run the experiments with the command-line options ``argv``; returns the exit code."""
    args = parse(argv, prog)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    data = datasets(args)
    summary = dict(seed=args.seed, lam2=args.lam2, p=args.p, datasets={})
    start = time.time()
    if not args.skip_tradeoff:
        rows, matched_rows = [], []
        for name, (X, Y, loss) in data.items():
            bar = lambda it, name=name: tqdm(it, desc=f"ShrinkNet path {name}",  # noqa: E731
                                             leave=False, disable=args.quiet)
            curve = tradeoff_curves(X, Y, loss, n_lams=args.n_lams, lam2=args.lam2, p=args.p,
                                    progress=bar)
            rows += [dict(dataset=name, loss_type=loss, **r) for r in curve]
            matched = matched_comparison(curve)
            matched_rows += [dict(dataset=name, **m) for m in matched]
            interior = [m for m in matched if 0 < m["sparsity"] < 1]
            summary["datasets"][name] = dict(
                loss=loss, n_samples=int(X.shape[0]), n_features=int(X.shape[1]),
                matched_levels=len(matched), interior_levels=len(interior),
                shrinknet_at_or_below=int(sum(m["shrinknet_at_or_below"] for m in matched)),
                levels_reached_by_both=int(sum(m["reached_by_both"] for m in matched)),
                shrinknet_at_or_below_where_both=int(sum(
                    m["shrinknet_at_or_below"] for m in matched if m["reached_by_both"])),
                mean_difference_interior=float(np.mean([m["difference"] for m in interior]))
                if interior else None,
                max_difference=float(max(m["difference"] for m in matched)) if matched
                else None)
        write_csv(args.out / "tradeoff.csv", rows)
        if matched_rows:
            write_csv(args.out / "matched.csv", matched_rows)
        plot_tradeoff(rows, args.out / "tradeoff.png")
    if not args.skip_gamma:
        gamma_rows = []
        for name in [n for n in data if data[n][2] == "squared"][:1] or list(data)[:1]:
            X, Y, loss = data[name]
            bar = lambda it, name=name: tqdm(it, desc=f"gamma {name}",  # noqa: E731
                                             disable=args.quiet)
            res = gamma_experiment(X, Y, args.gammas, args.gamma_lam, 1e-3, 2, loss,
                                   repetitions=args.reps, rng=args.seed, progress=bar,
                                   kill_rule=args.kill_rule,
                                   epochs=args.epochs, lr=0.02, batch_size=64)
            base = {r["repetition"]: r["final_loss"] for r in res if r["gamma"] is None}
            gamma_rows += [dict(dataset=name, lam=args.gamma_lam, **r,
                                loss_increase=r["final_loss"] - base[r["repetition"]])
                           for r in res]
        write_csv(args.out / "gamma.csv", gamma_rows)
        plot_gamma(gamma_rows, args.out / "gamma.png")
        summary["gamma"] = {
            str(g): dict(final_loss_mean=float(np.mean([r["final_loss"] for r in gamma_rows
                                                        if r["gamma"] == g])),
                         loss_increase_mean=float(np.mean([r["loss_increase"] for r in gamma_rows
                                                           if r["gamma"] == g])),
                         loss_increase_sd=_sd([r["loss_increase"] for r in gamma_rows
                                               if r["gamma"] == g]),
                         cost_mean=float(np.mean([r["cost"] for r in gamma_rows
                                                  if r["gamma"] == g])))
            for g in [None, *args.gammas]}
    summary["seconds"] = round(time.time() - start, 1)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return 0

