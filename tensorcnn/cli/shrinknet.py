"""``tensorcnn shrinknet``: 002's Fig. 1 and Fig. 2 (ShrinkNet vs group lasso, effect of gamma).

A thin wrapper around ``simulations/shrinknet_vs_group_lasso.py`` (found in the working
directory or beside the installed package); every option after ``shrinknet`` is passed on
(``tensorcnn shrinknet --help`` shows the script's options).
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

SCRIPT = Path("simulations") / "shrinknet_vs_group_lasso.py"


def register(subparsers) -> None:
    # prefix "+" so that every "--option" reaches the script untouched ("+h": this help)
    parser = subparsers.add_parser(
        "shrinknet", prefix_chars="+",
        help="ShrinkNet vs group lasso: loss/sparsity trade-off and gamma "
        "experiment (paper 002 Fig. 1-2)",
        description="Run simulations/shrinknet_vs_group_lasso.py; options after "
        "'shrinknet' are passed on (see 'tensorcnn shrinknet --help').")
    parser.add_argument("args", nargs=argparse.REMAINDER,
                        help="options of the simulation script (--out, --data-dir, ...)")
    parser.set_defaults(func=run)


def find_script() -> Path:
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (base / SCRIPT).is_file():
            return base / SCRIPT
    raise SystemExit(f"cannot find {SCRIPT} (run from the repository root)")


def run(args: argparse.Namespace) -> int:
    script = find_script()
    spec = importlib.util.spec_from_file_location("shrinknet_vs_group_lasso", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return int(module.main(list(args.args)) or 0)
