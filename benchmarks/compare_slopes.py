"""Do two runs of the same sweep give the same slopes, up to Monte Carlo error?

For every setting in both ``results.csv`` files: the slope of the mean error ‖Ŵ − W*‖_F
against x = √(d_M/n) (least squares over the grid, as ``summary.json``), in each run, and
its Monte Carlo sd: the sd of the slope over ``--boot`` bootstrap resamples of the
replications (the same resampled replications at every n, since one replication's fits
share data). ``diff_in_sd`` = (slope_b − slope_a) / sd_a; ``paired_sd_diff`` is the sd of
the difference over the same resamples, applied to both runs (they share data seeds);
``share_fits_changed`` the share of fits whose error differs by more than 1e-9 relative.

    python benchmarks/compare_slopes.py RUN_A/results.csv RUN_B/results.csv [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np


def load(path: Path) -> dict[str, dict[tuple[int, int], tuple[float, float]]]:
    rows: dict[str, dict[tuple[int, int], tuple[float, float]]] = defaultdict(dict)
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["setting"]][int(row["n"]), int(row["rep"])] = (float(row["x"]),
                                                                     float(row["error"]))
    return rows


def compare(a: dict, b: dict, n_boot: int, seed: int) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(seed)
    out = {}
    for name in a:
        if name not in b:
            continue
        sizes = sorted({n for n, _ in a[name]})
        reps = sorted({r for _, r in a[name]})
        x = np.array([a[name][n, reps[0]][0] for n in sizes])
        err_a = np.array([[a[name][n, r][1] for r in reps] for n in sizes])
        err_b = np.array([[b[name][n, r][1] for r in reps] for n in sizes])

        def slope(errors: np.ndarray, x: np.ndarray = x) -> float:
            return float(np.polyfit(x, errors.mean(axis=1), 1)[0])

        boot_a, boot_diff = [], []
        for _ in range(n_boot):
            pick = rng.integers(0, len(reps), len(reps))
            sa = slope(err_a[:, pick])
            boot_a.append(sa)
            boot_diff.append(slope(err_b[:, pick]) - sa)
        sd = float(np.std(boot_a, ddof=1))
        slope_a, slope_b = slope(err_a), slope(err_b)
        out[name] = dict(slope_a=slope_a, slope_b=slope_b, mc_sd=sd,
                         diff_in_sd=(slope_b - slope_a) / sd,
                         paired_sd_diff=float(np.std(boot_diff, ddof=1)),
                         share_fits_changed=float(np.mean(np.abs(err_a - err_b)
                                                          > 1e-9 * np.abs(err_a))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--boot", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result = compare(load(args.a), load(args.b), args.boot, args.seed)
    for name, entry in result.items():
        print(f"{name:8s} slope {entry['slope_a']:8.4f} -> {entry['slope_b']:8.4f}  "
              f"MC sd {entry['mc_sd']:.4f}  diff {entry['diff_in_sd']:+.3f} sd  "
              f"fits changed {entry['share_fits_changed']:.1%}")
    if args.out is not None:
        args.out.write_text(json.dumps(dict(a=str(args.a), b=str(args.b), boot=args.boot,
                                            settings=result), indent=1))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
