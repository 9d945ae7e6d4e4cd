"""Classification simulations of 003 App. A.4 (logistic estimators).

A thin wrapper of ``tensorcnn simulate classification``: every option of the CLI is accepted, e.g.

    python simulations/classification.py --out runs/classification
        [--reps 200] [--workers 2] [--seed 0] [--settings ...] [--scheduler tcp://HOST:8786]

Writes DIR/results.csv (one row per fit), DIR/summary.json and the figure(s); an
interrupted run resumes from DIR/checkpoint. See docs/simulations.md.
"""

import sys

from tensorcnn.cli import main

if __name__ == "__main__":
    sys.exit(main(["simulate", "classification", *sys.argv[1:]]))
