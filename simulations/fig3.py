"""Fig. 3 of 003, all three panels in one sweep: Theorem 1 (S1-S4, iid and VAR(1) inputs)
and Theorem 2 (Tucker, T1-T4).

A thin wrapper of ``tensorcnn simulate fig3``: every option of the CLI is accepted, e.g.

    python simulations/fig3.py --out runs/fig3 [--reps 200] [--workers 2] [--seed 0]

Writes DIR/results.csv (one row per fit), DIR/summary.json and the three figures; an
interrupted run resumes from DIR/checkpoint. See docs/simulations.md.
"""

import sys

from tensorcnn.cli import main

if __name__ == "__main__":
    sys.exit(main(["simulate", "fig3", *sys.argv[1:]]))
