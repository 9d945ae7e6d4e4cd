"""``tensorcnn report``: plots and one report.md from finished simulation runs, no refitting."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="rebuild the plots and one report.md from finished runs of tensorcnn simulate",
        description="Read each DIR's results.csv, summary.json and config.json (runs of "
        "tensorcnn simulate) and write OUT/report.md with the runs side by side (fits, "
        "bounds, truth draws), a combined figure of every run's mean-error curves and each "
        "run's own figures. Nothing is refitted; results.csv is checked against "
        "summary.json.",
    )
    parser.add_argument("runs", nargs="+", type=Path, metavar="DIR",
                        help="finished run folders")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="where report.md and the figures go (default: DIR for one run; "
                             "required for several)")
    parser.add_argument("--labels", default=None,
                        help="comma-separated names of the runs in the report (default: the "
                             "folder names)")
    parser.add_argument("--title", default="Simulation report", help="report title")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..simulation.report import load_run, write_report

    labels = [None] * len(args.runs)
    if args.labels is not None:
        labels = [label.strip() for label in args.labels.split(",")]
        if len(labels) != len(args.runs) or not all(labels):
            raise SystemExit(f"report: --labels needs {len(args.runs)} non-empty names, one "
                             f"per DIR, got {args.labels!r}")
        if len(set(labels)) != len(labels):
            raise SystemExit(f"report: --labels must be distinct, got {args.labels!r}")
    if args.out is None:
        if len(args.runs) > 1:
            raise SystemExit("report: --out is required for several runs")
        args.out = args.runs[0]
    try:
        records = [load_run(path, label) for path, label in zip(args.runs, labels)]
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f"report: {error}") from None
    path = write_report(records, args.out, title=args.title)
    print(f"wrote {path} and its figures in {args.out}")
    return 0
