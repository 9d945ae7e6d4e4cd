"""Simulated errors against the Theorem 1 bound of 003 with its computed constants.

For S1–S4 with iid and VAR(1) inputs, fit a reduced sweep (``--reps`` replications at
``--points`` sample sizes of the Fig. 3 grid) and check every fit's ‖Ŵ − W*‖_F against

    (16 σ √α_RSM / α_RSC) (√(d_M/n) + √(δ/n)),  α_RSC = κ_L/2, α_RSM = 3κ_U/2,

with κ_L = c_x c_u, κ_U = C_x C_u from ``tensorcnn.bounds`` (δ = 1). Prints, per setting,
the constants, whether the sample-size condition n ≥ (κ_U/κ_L)² d_M holds (the theorem's
hypothesis, up to its unspecified constant), the largest error/bound ratio, and exits 1 if
an error exceeds its bound where the bound is defined. Settings whose bound is vacuous
(c_u = 0) are listed and skipped.

    python proofs_check/theorem1_bound.py [--reps 20] [--points 4] [--workers 1]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _report import report

from tensorcnn.bounds import bound_constants, error_bound
from tensorcnn.bounds.theorems import sample_size_condition
from tensorcnn.data import theorem1_settings
from tensorcnn.simulation import make_tasks, run_sweep
from tensorcnn.simulation.replication import setting_truth

CHECK = {
    "result": "Theorem 1: simulated CNN errors under the bound (S1-S4, iid and VAR(1))",
    "paper": "003",
    "section": "§2.3 Theorem 1",
    "tolerance": "every fit (reduced sweep)",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--points", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = theorem1_settings("iid") + theorem1_settings("var1")
    tasks = make_tasks(settings, args.reps, args.seed, n_points=args.points)
    rows, _ = run_sweep(tasks, workers=args.workers, progress=False)
    failures, lines = [], []
    for setting in settings:
        _, transition = setting_truth(setting, args.seed)
        constants = bound_constants(setting.spec, transition)
        mine = [r for r in rows if r["setting"] == setting.name]
        ns = np.array([r["n"] for r in mine])
        errors = np.array([r["error"] for r in mine])
        bound = error_bound(constants, setting.n_params, ns, setting.noise_sd)
        head = (f"{setting.name:8s} d_M={setting.n_params:3d} c_x={constants.c_x:.3f} "
                f"C_x={constants.C_x:.3f} c_u={constants.c_u:.2e} C_u={constants.C_u:.3f}")
        if bound is None:
            lines.append(f"{head}  bound vacuous: {constants.reason}")
            continue
        needed = sample_size_condition(constants, setting.n_params)
        ratio = errors / bound
        bad = int(np.sum(ratio > 1))
        failures += [f"{setting.name}: fit {i} (n = {n}) error/bound = {r:.2e}"
                     for i, (n, r) in enumerate(zip(ns, ratio, strict=True)) if r > 1]
        lines.append(f"{head}  fits={len(mine)} max error/bound={ratio.max():.2e} "
              f"n in [{ns.min()}, {ns.max()}] vs (κ_U/κ_L)² d_M = {needed:.2e} "
              f"({'met' if ns.min() >= needed else 'NOT met: the bound is checked anyway'})"
              f"  {'FAIL ' + str(bad) if bad else 'ok'}")
    summary = ("Theorem 1 of 003: every fit's error under its bound (" +
               ("it holds for every fit" if not failures
                else f"{len(failures)} fits exceed the Theorem 1 bound") + "):")
    return report(failures, summary, lines, unit="fits")


if __name__ == "__main__":
    sys.exit(main())
