"""Fig. 3 (1)-(2) of 003: Theorem 1 (S1-S4, iid and VAR(1) inputs).

A thin wrapper of ``tensorcnn simulate theorem1``: every option of the CLI is accepted, e.g.

    python simulations/fig3_theorem1.py --out runs/fig3_theorem1
        [--reps 200] [--workers 2] [--seed 0] [--settings ...] [--scheduler tcp://HOST:8786]

Writes DIR/results.csv (one row per fit), DIR/summary.json and the figure(s); an
interrupted run resumes from DIR/checkpoint. See docs/simulations.md.
"""

import sys

from tensorcnn.cli import main

if __name__ == "__main__":
    sys.exit(main(["simulate", "theorem1", *sys.argv[1:]]))
