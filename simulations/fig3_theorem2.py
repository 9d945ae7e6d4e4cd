"""Fig. 3 (3) of 003: Theorem 2 (Tucker CNN, T1-T4).

A thin wrapper of ``tensorcnn simulate theorem2``: every option of the CLI is accepted, e.g.

    python simulations/fig3_theorem2.py --out runs/fig3_theorem2
        [--reps 200] [--workers 2] [--seed 0] [--settings ...] [--scheduler tcp://HOST:8786]

Writes DIR/results.csv (one row per fit), DIR/summary.json and the figure(s); an
interrupted run resumes from DIR/checkpoint. See docs/simulations.md.
"""

import sys

from tensorcnn.cli import main

if __name__ == "__main__":
    sys.exit(main(["simulate", "theorem2", *sys.argv[1:]]))
