"""``tensorcnn simulate``: the sample-complexity simulations of 003 (Fig. 3, Fig. 7 (2))."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="sample-complexity simulations of 003 (Theorems 1-2, Fig. 3, Fig. 7 (2))",
        description="Sweep sqrt(d_M/n) on [0.15, 0.60] x replications x settings, fit each "
        "training set, and write DIR/results.csv (one row per fit), DIR/summary.json "
        "(per setting: slope, intercept, r2, per-n mean and sd, bound) and the figures. "
        "Interrupted runs resume from DIR/checkpoint with identical numbers.",
    )
    parser.add_argument("experiment", choices=["theorem1", "theorem2", "fig3", "cp-kernels",
                                               "classification"],
                        help="fig3: all three panels of Fig. 3 (theorem1 + theorem2) in one "
                        "sweep")
    parser.add_argument("--settings", default=None,
                        help="comma-separated setting names (default: all of the experiment)")
    parser.add_argument("--reps", type=int, default=200, help="replications per n (200)")
    parser.add_argument("--workers", type=int, default=1, help="joblib processes (1)")
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler address (needs the dask[distributed] extra)")
    parser.add_argument("--seed", type=int, default=0, help="root seed (0)")
    parser.add_argument("--inputs", choices=["iid", "var1", "both"], default=None,
                        help="theorem1: iid (Fig. 3 (1)), VAR(1) (Fig. 3 (2)) or both")
    parser.add_argument("--points", type=int, default=None,
                        help="sample sizes per setting (10; not for cp-kernels, which uses "
                             "the fixed training sizes of Fig. 7 (2))")
    parser.add_argument("--batch", type=int, default=10,
                        help="replications per task, each fitted at every n (10)")
    parser.add_argument("--paper-size", action="store_true",
                        help="cp-kernels: the paper's 32x32x16 geometry (slow)")
    parser.add_argument("--strict", action="store_true",
                        help="stop on a checkpoint file that is not trusted (unreadable, "
                             "incomplete, from another run) instead of recomputing its task")
    parser.add_argument("--overwrite", action="store_true",
                        help="start afresh in an --out that holds a run of another "
                             "configuration (its checkpoint is deleted)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..simulation import experiment_settings, run_experiment
    from ..simulation.io import DirectoryStore, write_results, write_summary
    from ..simulation.plots import plot_error_curves

    for value, name in ((args.reps, "--reps"), (args.workers, "--workers"),
                        (args.points, "--points"), (args.batch, "--batch")):
        if value is not None and value < 1:
            raise SystemExit(f"{name} must be a positive integer, got {value}")
    ignored = [flag for flag, given, applies in (
        ("--inputs", args.inputs is not None, args.experiment in ("theorem1", "fig3")),
        ("--paper-size", args.paper_size, args.experiment == "cp-kernels"),
        ("--points", args.points is not None, args.experiment != "cp-kernels"),
    ) if given and not applies]
    if ignored:
        raise SystemExit(f"simulate {args.experiment}: {', '.join(ignored)} does not apply to "
                         f"this experiment (see tensorcnn simulate --help)")
    inputs = args.inputs or "both"
    points = 10 if args.points is None else args.points
    names = None
    if args.settings is not None:
        names = [s.strip() for s in args.settings.split(",") if s.strip()]
        if not names:
            raise SystemExit(f"--settings names no setting: {args.settings!r}")
    try:
        settings, _ = experiment_settings(args.experiment, names, inputs, args.paper_size)
    except ValueError as error:
        raise SystemExit(f"simulate {args.experiment}: {error}") from None
    configuration = dict(experiment=args.experiment, settings=[s.name for s in settings],
                         reps=args.reps, seed=args.seed, inputs=inputs, points=points,
                         batch=args.batch, paper_size=args.paper_size)
    claim_output(args.out, configuration, args.overwrite)
    store = DirectoryStore(args.out, strict=args.strict)
    try:
        result = run_experiment(args.experiment, names, n_reps=args.reps, seed=args.seed,
                                workers=args.workers, scheduler=args.scheduler, store=store,
                                progress=not args.no_progress, inputs=inputs,
                                n_points=points, batch_size=args.batch,
                                paper_size=args.paper_size)
    except (ValueError, ConnectionError) as error:
        raise SystemExit(f"simulate {args.experiment}: {error}") from None
    write_results(result.rows, args.out)
    write_summary(result.summary, args.out)
    for panel in result.panels:
        part = {k: v for k, v in result.summary.items() if k in panel.settings}
        path = plot_error_curves(part, args.out / panel.filename, panel.title, panel.xlabel)
        print(f"wrote {path}")
    print(f"wrote {args.out / 'results.csv'} and {args.out / 'summary.json'}")
    table = {name: {k: round(entry[k], 4) for k in ("slope", "intercept", "r2")}
             for name, entry in result.summary.items() if not name.startswith("_")}
    print(json.dumps(table, indent=1))
    run_info = result.summary["_run"]
    print(f"wall time {result.wall_seconds:.1f} s for {len(result.rows)} fits "
          f"({run_info['computed_fits']} computed, {run_info['loaded_fits']} loaded from "
          f"{args.out / 'checkpoint'}; {len(run_info['rejected_files'])} files not trusted)")
    return 0


CONFIG_FILE = "config.json"


def claim_output(out: Path, configuration: dict, overwrite: bool) -> None:
    """Record the run's configuration in ``out/config.json``, or refuse a different one.

    The same configuration resumes (finished tasks are loaded from the checkpoint). Another
    one is refused with the differing keys named, so that a rerun with other settings does
    not mix or overwrite results; ``overwrite`` deletes the old checkpoint and starts afresh.
    Only what changes the numbers is recorded (not workers, scheduler or progress).
    """
    import shutil

    out.mkdir(parents=True, exist_ok=True)
    path = out / CONFIG_FILE
    if path.exists():
        try:
            previous = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            previous = {}
        differing = sorted(k for k in configuration.keys() | previous.keys()
                           if previous.get(k) != configuration.get(k))
        if differing and not overwrite:
            shown = "; ".join(f"{k}: {previous.get(k)!r} -> {configuration.get(k)!r}"
                              for k in differing)
            raise SystemExit(f"{out} holds a run of another configuration ({shown}); use "
                             "another --out, or --overwrite to start afresh")
        if differing:
            shutil.rmtree(out / "checkpoint", ignore_errors=True)
    path.write_text(json.dumps(configuration, indent=2))
