"""Fig. 7 (2) of 003: CP block, estimation error against 1/√n, one curve per K (App. A.5.1).

A thin wrapper of ``tensorcnn simulate cp-kernels``: every option of the CLI is accepted, e.g.

    python simulations/fig7_cp_kernels.py --out runs/fig7_cp_kernels
        [--reps 200] [--workers 2] [--seed 0] [--settings ...] [--scheduler tcp://HOST:8786]

Writes DIR/results.csv (one row per fit), DIR/summary.json and the figure(s); an
interrupted run resumes from DIR/checkpoint. See docs/simulations.md.
"""

import sys

from tensorcnn.cli import main

if __name__ == "__main__":
    sys.exit(main(["simulate", "cp-kernels", *sys.argv[1:]]))
