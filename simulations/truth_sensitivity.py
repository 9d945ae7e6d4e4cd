"""R² of Fig. 3's linear fits over many draws of the truth W* (one draw per root seed).

003 §4.1 draws W* once per setting; a run's R² (mean error against √(d_M/n)) is then a
property of that draw. This script repeats the experiment for each seed of ``--seeds`` and
reports, per setting, the share of truth draws with R² ≥ ``--threshold``:

    python simulations/truth_sensitivity.py --out runs/truths --experiment theorem1 \\
        --settings S1,S2 --seeds 0-39 [--reps 200] [--workers 2] [--threshold 0.95]

Writes DIR/results.csv (one row per seed and setting: slope, intercept, r2, ‖W*‖_F, …),
DIR/summary.json (per setting: share at or above the threshold, the seeds below it, R²
quantiles) and DIR/r2_by_truth.png. Each seed's sweep checkpoints in DIR/seed_<S>/, so an
interrupted study resumes. See docs/simulations.md ("R² over truth draws").

For consecutive seeds the command line does the same, for named experiments and experiment
files alike, next to the run's fixed-truth results: ``tensorcnn simulate theorem1 --truths
40 --out DIR`` (docs/own_experiment.md). This script stays for arbitrary seed lists; both
call :func:`tensorcnn.simulation.sensitivity.truth_draws` through ``r2_by_truth``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tensorcnn.simulation.io import DirectoryStore, write_results, write_summary
from tensorcnn.simulation.plots import plot_r2_by_truth
from tensorcnn.simulation.sensitivity import r2_by_truth, summarize_r2_by_truth


def parse_seeds(text: str) -> list[int]:
    """'0-39' (inclusive range), '0,3,7' or a mix such as '0-4,9'."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                low, high = (int(v) for v in part.split("-"))
                if high < low:
                    raise ValueError
                seeds.extend(range(low, high + 1))
            else:
                seeds.append(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"--seeds takes 'A-B' ranges and ints separated by commas, got {text!r}"
            ) from None
    return seeds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--experiment", default="theorem1",
                        choices=("theorem1", "theorem2", "fig3"))
    parser.add_argument("--settings", default=None,
                        help="comma-separated setting names (default: all of the experiment)")
    parser.add_argument("--inputs", default="both", choices=("iid", "var1", "both"))
    parser.add_argument("--seeds", default="0-9", type=parse_seeds)
    parser.add_argument("--reps", default=200, type=int)
    parser.add_argument("--workers", default=1, type=int)
    parser.add_argument("--threshold", default=0.95, type=float)
    args = parser.parse_args(argv)
    names = args.settings.split(",") if args.settings else None
    rows = r2_by_truth(args.experiment, args.seeds, names, n_reps=args.reps,
                       workers=args.workers, inputs=args.inputs,
                       store_for_seed=lambda seed: DirectoryStore(args.out / f"seed_{seed}"))
    summary = summarize_r2_by_truth(rows, args.threshold)
    write_results(rows, args.out)
    write_summary(summary, args.out)
    plot = plot_r2_by_truth(rows, args.out / "r2_by_truth.png", args.threshold)
    for setting, entry in summary.items():
        print(f"{setting}: R² >= {args.threshold} for {entry['share_at_least']:.0%} of "
              f"{entry['n_truths']} truths (median {entry['r2_median']:.3f}, "
              f"min {entry['r2_min']:.3f})")
    print(f"results: {args.out / 'results.csv'}; plot: {plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
