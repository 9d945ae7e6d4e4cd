"""``tensorcnn shrinknet``: 002's Fig. 1 and Fig. 2 (ShrinkNet vs group lasso, effect of gamma).

Every option after ``shrinknet`` goes to the experiment's own parser
(:mod:`tensorcnn.cli._shrinknet_experiment`; ``tensorcnn shrinknet --help`` lists them); the
code ships with the package, so the command works from an installed wheel.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    # prefix "+" so that every "--option" reaches the experiment's parser untouched
    parser = subparsers.add_parser(
        "shrinknet", prefix_chars="+", add_help=False,
        help="ShrinkNet vs group lasso: loss/sparsity trade-off and gamma "
        "experiment (paper 002 Fig. 1-2)",
        description="ShrinkNet vs group lasso (002 Fig. 1-2); 'tensorcnn shrinknet --help' "
        "lists the options.")
    parser.add_argument("args", nargs=argparse.REMAINDER,
                        help="options of the experiment (--out, --data-root, ...)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ._shrinknet_experiment import main

    return int(main(list(args.args)) or 0)
