"""``tensorcnn simulate``: the sample-complexity simulations of 003 (Fig. 3, Fig. 7 (2)), or
of an experiment file (``--config``, :mod:`tensorcnn.simulation.config`)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from ._flags import SEED_HELP, add_deprecated, add_quiet


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="sample-complexity simulations of 003 (Theorems 1-2, Fig. 3, Fig. 7 (2)) or of "
             "your own experiment file",
        description="Sweep sqrt(d_M/n) on [0.15, 0.60] x replications x settings, fit each "
        "training set, and write DIR/results.csv (one row per fit), DIR/summary.json "
        "(per setting: slope, intercept, r2, per-n mean and sd, bound) and the figures. "
        "Interrupted runs resume from DIR/checkpoint with identical numbers. Run a named "
        "experiment of 003, or --config FILE.toml (your own settings, docs/own_experiment.md); "
        "--print-config NAME writes a named experiment as such a file.",
    )
    parser.add_argument("experiment", nargs="?", default=None, choices=EXPERIMENT_NAMES,
                        help="fig3: all three panels of Fig. 3 (theorem1 + theorem2) in one "
                        "sweep")
    parser.add_argument("--config", type=Path, default=None, metavar="FILE.toml",
                        help="run the experiment file FILE.toml instead of a named experiment "
                        "(the flags below override its values)")
    parser.add_argument("--print-config", default=None, choices=EXPERIMENT_NAMES,
                        metavar="NAME",
                        help="print experiment NAME (with --settings, --inputs, --reps, "
                        "--points, --reps-per-task, --seed, --paper-size applied) as an experiment "
                        "file to start from, and exit")
    parser.add_argument("--settings", default=None,
                        help="comma-separated setting names (default: all of the experiment)")
    parser.add_argument("--reps", type=int, default=None, help="replications per n (200)")
    parser.add_argument("--workers", type=int, default=None, help="joblib processes (1)")
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler address (needs the dask[distributed] extra)")
    parser.add_argument("--device", default=None,
                        help="torch device for the Tucker/CP fits (cpu, cuda, cuda:1 ...): "
                             "a task's replications are solved as one batch there; default "
                             "numpy, one replication at a time")
    parser.add_argument("--seed", type=int, default=None, help=SEED_HELP.format(default=0))
    parser.add_argument("--truths", type=int, default=None, metavar="K",
                        help="repeat over K draws of W* (root seeds seed, ..., seed + K - 1): "
                             "summary.json gets the R2 and slope distribution, the figures "
                             "one curve per truth (1)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="R2 counted as reached over the truth draws (0.95)")
    parser.add_argument("--inputs", choices=["iid", "var1", "both"], default=None,
                        help="theorem1: iid (Fig. 3 (1)), VAR(1) (Fig. 3 (2)) or both")
    parser.add_argument("--points", type=int, default=None,
                        help="sample sizes per setting (10; not for cp-kernels, which uses "
                             "the fixed training sizes of Fig. 7 (2))")
    parser.add_argument("--reps-per-task", type=int, default=None,
                        help="replications per task (a checkpoint file, and one batch with "
                             "--device), each fitted at every n (10)")
    parser.add_argument("--paper-size", action="store_true",
                        help="cp-kernels: the paper's 32x32x16 geometry (slow)")
    parser.add_argument("--strict", action="store_true",
                        help="stop on a checkpoint file that is not trusted (unreadable, "
                             "incomplete, from another run) instead of recomputing its task")
    parser.add_argument("--overwrite", action="store_true",
                        help="start afresh in an --out that holds a run of another "
                             "configuration (its checkpoint is deleted)")
    add_quiet(parser)
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output directory (required, unless the experiment file "
                             "names one)")
    add_deprecated(parser, "--batch", "--reps-per-task", "reps_per_task", type=int)
    add_deprecated(parser, "--no-progress", "--quiet", "quiet", nargs=0, const=True)
    parser.set_defaults(func=run)


EXPERIMENT_NAMES = ["theorem1", "theorem2", "fig3", "cp-kernels", "classification"]


def _names(args: argparse.Namespace) -> list[str] | None:
    if args.settings is None:
        return None
    names = [s.strip() for s in args.settings.split(",") if s.strip()]
    if not names:
        raise SystemExit(f"--settings names no setting: {args.settings!r}")
    return names


def _device(args: argparse.Namespace) -> str | None:
    """--device, checked before any work (a bad name or CUDA without a GPU: one line)."""
    from ..simulation.batched import check_device

    return check_device(args.device)


def _check_counts(args: argparse.Namespace) -> None:
    for value, name in ((args.reps, "--reps"), (args.workers, "--workers"),
                        (args.points, "--points"),
                        (args.reps_per_task, "--reps-per-task"),
                        (args.truths, "--truths")):
        if value is not None and value < 1:
            raise SystemExit(f"{name} must be a positive integer, got {value}")
    if args.seed is not None and args.seed < 0:
        raise SystemExit(f"--seed must be a non-negative integer, got {args.seed}")
    if args.threshold is not None and not 0.0 < args.threshold <= 1.0:
        raise SystemExit(f"--threshold must lie in (0, 1], got {args.threshold}")


def run(args: argparse.Namespace) -> int:
    chosen = [flag for flag, given in (("EXPERIMENT", args.experiment is not None),
                                       ("--config", args.config is not None),
                                       ("--print-config", args.print_config is not None))
              if given]
    if len(chosen) != 1:
        raise SystemExit("simulate: give exactly one of a named experiment "
                         f"({', '.join(EXPERIMENT_NAMES)}), --config FILE.toml or "
                         f"--print-config NAME (got {', '.join(chosen) or 'none'})")
    _check_counts(args)
    if args.print_config is not None:
        return _print_config(args)
    if args.config is not None:
        return _run_file(args)
    return _run_named(args)


def _plan(args: argparse.Namespace, name: str):
    """The named experiment ``name`` with the flags applied (refusing flags it ignores)."""
    from ..simulation import experiment_plan

    ignored = [flag for flag, given, applies in (
        ("--inputs", args.inputs is not None, name in ("theorem1", "fig3")),
        ("--paper-size", args.paper_size, name == "cp-kernels"),
        ("--points", args.points is not None, name != "cp-kernels"),
    ) if given and not applies]
    if ignored:
        raise SystemExit(f"simulate {name}: {', '.join(ignored)} does not apply to "
                         f"this experiment (see tensorcnn simulate --help)")
    try:
        plan = experiment_plan(
            name, _names(args), n_reps=200 if args.reps is None else args.reps,
            seed=0 if args.seed is None else args.seed, inputs=args.inputs or "both",
            n_points=10 if args.points is None else args.points,
            batch_size=10 if args.reps_per_task is None else args.reps_per_task,
            paper_size=args.paper_size,
            workers=1 if args.workers is None else args.workers, scheduler=args.scheduler)
        plan = plan.replace(truths=args.truths or 1,
                            threshold=0.95 if args.threshold is None else args.threshold,
                            device=_device(args))
        plan.tasks()                                  # every sweep checked before any work
    except ValueError as error:
        raise SystemExit(f"simulate {name}: {error}") from None
    return plan


def _print_config(args: argparse.Namespace) -> int:
    from ..simulation.config import dumps_experiment

    name = args.print_config
    plan = _plan(args, name)
    if args.out is not None:
        plan = plan.replace(out=str(args.out))
    header = (f"The named experiment {name!r} of tensorcnn as an experiment file "
              f"(tensorcnn simulate --print-config {name}).\n"
              "Edit it and run: tensorcnn simulate --config FILE.toml  "
              "(format: docs/own_experiment.md).\n"
              "Each [[setting]] may start from a preset (base = \"S2\") and override "
              "fields (n_kernels = 5).")
    sys.stdout.write(dumps_experiment(plan, header))
    return 0


def _run_named(args: argparse.Namespace) -> int:
    name = args.experiment
    plan = _plan(args, name)
    if args.out is None:
        raise SystemExit(f"simulate {name}: --out DIR is required")
    run0 = plan.runs[0]
    configuration = dict(experiment=name, settings=[s.name for s in plan.settings],
                         reps=run0.n_reps, seed=plan.seed, inputs=args.inputs or "both",
                         points=run0.n_points, batch=run0.batch_size,
                         paper_size=args.paper_size)
    return _execute(plan, args.out, configuration, args, f"simulate {name}")


def _run_file(args: argparse.Namespace) -> int:
    from ..simulation.config import ConfigError, experiment_record, load_experiment

    refused = [flag for flag, given in (("--inputs", args.inputs is not None),
                                        ("--paper-size", args.paper_size)) if given]
    if refused:
        raise SystemExit(f"simulate --config: {', '.join(refused)} does not apply to an "
                         "experiment file (set inputs per [[setting]] in the file)")
    try:
        plan = load_experiment(args.config)
    except ConfigError as error:
        raise SystemExit(str(error)) from None
    where = f"simulate --config {args.config}"
    try:
        names = _names(args)
        if names is not None:
            plan = plan.select(names)
        runs: dict = {}
        if args.reps is not None:
            runs["n_reps"] = args.reps
        if args.reps_per_task is not None:
            runs["batch_size"] = args.reps_per_task
        if runs:
            plan = plan.map_runs(**runs)
        if args.points is not None:
            plan = plan.replace(runs=tuple(
                run if run.sizes is not None else dataclasses.replace(run, n_points=args.points)
                for run in plan.runs))
        options = {key: value for key, value in (
            ("seed", args.seed), ("workers", args.workers), ("scheduler", args.scheduler),
            ("truths", args.truths), ("threshold", args.threshold),
            ("device", _device(args))) if value is not None}
        plan = plan.replace(**options)
        plan.tasks()                                  # every sweep checked before any work
    except ValueError as error:
        raise SystemExit(f"{where}: {error}") from None
    out = args.out if args.out is not None else (Path(plan.out) if plan.out else None)
    if out is None:
        raise SystemExit(f"{where}: no output folder: give out = \"DIR\" in the file or --out")
    return _execute(plan, out, experiment_record(plan), args, where)


def _execute(plan, out: Path, configuration: dict, args: argparse.Namespace,
             where: str) -> int:
    """Run ``plan`` into ``out``: the fixed-truth sweep, truth draws, files and figures."""
    from ..simulation.io import DirectoryStore, write_results, write_summary
    from ..simulation.plots import plot_error_curves, plot_r2_by_truth, plot_truth_curves
    from ..simulation.sensitivity import truth_draws, truth_rows, truth_summary

    claim_output(out, configuration, args.overwrite)
    store = DirectoryStore(out, strict=args.strict)
    progress = not args.quiet
    try:
        result = plan.run(store=store, progress=progress)
        results = {plan.seed: result}
        if plan.truths > 1:
            seeds = [plan.seed + k for k in range(1, plan.truths)]
            results.update(truth_draws(
                plan, seeds, progress=progress,
                store_for_seed=lambda seed: DirectoryStore(out / "truths" / f"seed_{seed}",
                                                           strict=args.strict)))
    except (ValueError, ConnectionError) as error:
        raise SystemExit(f"{where}: {error}") from None
    write_results(result.rows, out)
    if plan.truths > 1:
        for name, entry in truth_summary(plan, results).items():
            result.summary[name]["truths"] = entry
        result.summary["_run"]["truth_seeds"] = list(results)
        rows = truth_rows(plan, results)
        write_results(rows, out / "truths")
        print(f"wrote {plot_r2_by_truth(rows, out / 'truths_r2.png', plan.threshold)}")
        curves = plot_truth_curves(result.summary, out / "truths_curves.png", plan.name,
                                   plan.xlabel)
        print(f"wrote {curves}")
    write_summary(result.summary, out)
    for panel in result.panels:
        part = {k: v for k, v in result.summary.items() if k in panel.settings}
        path = plot_error_curves(part, out / panel.filename, panel.title, panel.xlabel,
                                 show_bound=plan.bounds)
        print(f"wrote {path}")
    print(f"wrote {out / 'results.csv'} and {out / 'summary.json'}")
    table = {name: {k: round(entry[k], 4) for k in ("slope", "intercept", "r2")}
             for name, entry in result.summary.items() if not name.startswith("_")}
    print(json.dumps(table, indent=1))
    if plan.truths > 1:
        for name, entry in result.summary.items():
            if not name.startswith("_"):
                t = entry["truths"]
                print(f"{name}: R² >= {t['threshold']} for {t['share_at_least']:.0%} of "
                      f"{t['n_truths']} truths (median {t['r2_median']:.3f}, "
                      f"min {t['r2_min']:.3f})")
    run_info = result.summary["_run"]
    print(f"wall time {result.wall_seconds:.1f} s for {len(result.rows)} fits "
          f"({run_info['computed_fits']} computed, {run_info['loaded_fits']} loaded from "
          f"{out / 'checkpoint'}; {len(run_info['rejected_files'])} files not trusted)")
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
