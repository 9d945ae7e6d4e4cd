"""How tightly must the simulation's Tucker fits converge? Objective gap and CPU by tol.

For T1–T4, replications 0..``--reps``−1 (seed 0) and the 10 sizes of the Fig. 3 grid, the
simulation's own chain (:func:`~tensorcnn.simulation.fit_replication`) is run with the
Tucker estimator's ``tol`` set to each value of ``--tols`` and to a reference 1e-13 (far
past any use). Per tol: CPU seconds (one BLAS thread), LM iterations, and the share of fits
whose objective is more than 1e-9 (relative) above the reference fit of the same chain —
the same minimum, reached less closely. This is why the simulation uses tol = 1e-10
(``tensorcnn.data.models.SIMULATION_TUCKER_TOL``) rather than the estimator's default 1e-8.

    python benchmarks/tucker_tol.py [--reps 5] [--tols 1e-8 1e-9 1e-10]
        [--out benchmarks/results/tucker_tol.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from tensorcnn.data import preset
from tensorcnn.simulation import replication, sample_sizes

SETTINGS = ("T1", "T2", "T3", "T4")
REFERENCE_TOL = 1e-13


def run_chains(tol: float, reps: int) -> tuple[dict, float]:
    """{(setting, rep, n): (objective, n_iter)} of the chains at ``tol``, and their CPU."""
    make = replication.make_estimator

    def with_tol(*args, **kwargs):
        estimator = make(*args, **kwargs)
        estimator.tol = tol
        return estimator

    replication.make_estimator = with_tol
    try:
        out, start = {}, time.process_time()
        for name in SETTINGS:
            setting = preset(name)
            sizes = list(sample_sizes(setting.n_params))
            for rep in range(reps):
                for row in replication.fit_replication(setting, sizes, rep, 0):
                    out[(name, rep, row["n"])] = (row["objective"], row["n_iter"])
        return out, time.process_time() - start
    finally:
        replication.make_estimator = make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--tols", type=float, nargs="+", default=[1e-8, 1e-9, 1e-10])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "tucker_tol.json")
    args = parser.parse_args()
    warnings.simplefilter("ignore")           # capped fits are counted by n_iter, not warned
    with threadpool_limits(1):
        reference, reference_cpu = run_chains(REFERENCE_TOL, args.reps)
        rows = []
        for tol in args.tols:
            fits, cpu = run_chains(tol, args.reps)
            gaps = np.array([(fits[k][0] - reference[k][0]) / reference[k][0]
                             for k in reference])
            rows.append(dict(tol=tol, cpu_seconds=cpu,
                             lm_iterations=int(sum(v[1] for v in fits.values())),
                             share_gap_above_1e_9=float(np.mean(gaps > 1e-9)),
                             max_gap=float(gaps.max()), min_gap=float(gaps.min())))
            print(f"tol {tol:g}: CPU {cpu:6.1f} s, {rows[-1]['lm_iterations']} iterations, "
                  f"{100 * rows[-1]['share_gap_above_1e_9']:.1f} % of fits > 1e-9 above "
                  f"the reference, max gap {rows[-1]['max_gap']:.1e}", flush=True)
    base = rows[0]["cpu_seconds"]
    for row in rows:
        row["cpu_ratio_to_first"] = row["cpu_seconds"] / base
    result = dict(machine=dict(platform=platform.platform()), settings=list(SETTINGS),
                  reps=args.reps, n_fits=len(reference), reference_tol=REFERENCE_TOL,
                  reference_cpu_seconds=reference_cpu, by_tol=rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
