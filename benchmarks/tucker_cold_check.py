"""Where does the Tucker warm-start chain end above a cold fit? The threshold of the cold check.

For ``--reps`` replications of each of T1–T4 on the Fig. 3 grid (the simulation's data and
solver streams, seed 0): the warm-only chain (largest n first, every smaller n from the
previous solution only: the simulation's chain without its cold check) and, at every n, a
cold fit from the spectral start on the same data. Counts per (setting, n) the fits where
the chain ends above the cold fit by more than 1e-9 relative (``chain_worse``) and the
converse (``cold_worse``), with n / d_M. ``replication.COLD_CHECK_RATIO`` is set from this.
Writes ``benchmarks/results/tucker_cold_check.json``.

    python benchmarks/tucker_cold_check.py [--reps 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from tensorcnn.data import preset
from tensorcnn.simulation import sample_sizes
from tensorcnn.simulation.replication import (
    _draw_replication,
    check_sizes,
    make_estimator,
    replication_streams,
    setting_truth,
)

RESULTS = Path(__file__).resolve().parent / "results"


def chain_and_cold(name: str, rep: int) -> list[dict]:
    """The warm-only chain's and a cold fit's objective at every n of one replication."""
    setting = preset(name)
    sizes = check_sizes(sample_sizes(setting.n_params))
    weights, transition = setting_truth(setting, 0)
    data_stream, solver_stream = replication_streams(setting, 0, rep)
    with threadpool_limits(1):
        _, y, _, M = _draw_replication(setting, sizes, weights, transition,
                                       np.random.default_rng(data_stream))
        chain = make_estimator(setting, rng=np.random.default_rng(solver_stream))
        rows = []
        for n in sizes:
            chain.fit_trace(M[:n], y[:n])
            chain.n_init = 1
            cold = make_estimator(setting, rng=np.random.default_rng(solver_stream))
            cold.fit_trace(M[:n], y[:n])
            rows.append(dict(setting=name, rep=rep, n=n, n_over_d_M=n / setting.n_params,
                             chain=chain.objective_, cold=cold.objective_))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "tucker_cold_check.json")
    args = parser.parse_args()
    names = ("T1", "T2", "T3", "T4")
    fits = [row for rows in Parallel(n_jobs=args.workers)(
        delayed(chain_and_cold)(name, rep) for name in names for rep in range(args.reps))
        for row in rows]
    summary = {}
    for name in names:
        mine = [f for f in fits if f["setting"] == name]
        summary[name] = [
            dict(n=n, n_over_d_M=round(at[0]["n_over_d_M"], 3),
                 chain_worse=sum(f["chain"] > f["cold"] * (1 + 1e-9) for f in at),
                 cold_worse=sum(f["cold"] > f["chain"] * (1 + 1e-9) for f in at))
            for n in sorted({f["n"] for f in mine})
            if (at := [f for f in mine if f["n"] == n])]
        worse = [f"{s['n']}:{s['chain_worse']}/{s['cold_worse']}" for s in summary[name]]
        print(name, "n:chain_worse/cold_worse", " ".join(worse), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(dict(reps=args.reps, seed=0, summary=summary, fits=fits),
                                   indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
