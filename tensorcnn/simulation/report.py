"""Reports of finished simulation runs: plots and one ``report.md``, without refitting.

A run folder (written by ``tensorcnn simulate``) holds ``results.csv`` (one row per fit),
``summary.json`` (per setting: per-n means, the linear fit, the bound, truth draws) and
``config.json``. :func:`load_run` reads one; :func:`write_report` puts several side by side
(e.g. iid against VAR(1) inputs, or two solvers): a combined figure of every run's
mean-error curves, each run's own figures rebuilt, and ``report.md`` with the fits in
tables. ``results.csv`` is checked against ``summary.json`` (fits per setting and n, mean
error), so a report never shows a summary that its rows do not give.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path

import numpy as np

from .._validation import check_instance, check_nonnegative, check_path
from .plots import _check_curve, _check_truths, plot_error_curves, plot_truth_curves

__all__ = ["RunRecord", "check_run", "load_run", "write_report"]

_XLABELS = {"x": r"$\sqrt{d_M / n}$", "inv_sqrt_n": r"$1/\sqrt{n}$"}
_AXIS_NAMES = {"x": "√(d_M/n)", "inv_sqrt_n": "1/√n"}
#: What every setting of a run summary holds (``summarize``), and what the report reads.
_NEEDED = ("x", "mean", "sd", "n", "slope", "intercept", "r2")


def _check_summary(summary: object, where: str) -> None:
    """A run summary as :func:`~tensorcnn.simulation.summary.summarize` writes it, checked
    as far as the report reads it (so a broken one is refused before any file is written).

    ``where`` names it in the message (``summary``, or the ``summary.json`` file).
    """
    if not isinstance(summary, Mapping):
        raise TypeError(f"{where} must be a run summary (a dict of settings), got "
                        f"{type(summary).__name__}")
    odd = [key for key in summary if not isinstance(key, str)]
    if odd:
        raise TypeError(f"{where} must have str keys (setting names), got {odd[0]!r}")
    entries = {k: v for k, v in summary.items() if not k.startswith("_")}
    if not entries or not all(isinstance(v, Mapping) and all(k in v for k in _NEEDED)
                              for v in entries.values()):
        raise ValueError(f"{where} is not a summary of tensorcnn simulate "
                         f"(each setting needs {', '.join(_NEEDED)})")
    for name, entry in entries.items():
        try:
            _check_curve(name, entry)          # x, mean, sd, slope, intercept, r2, bound
            n, reps = entry["n"], entry.get("n_reps")
            for key, values in (("n", n), ("n_reps", reps)):
                if values is None and key == "n_reps":
                    continue
                if not isinstance(values, list) or len(values) != len(entry["x"]) or not all(
                        isinstance(v, Integral) and not isinstance(v, bool) and v >= 1
                        for v in values):
                    raise ValueError(f"summary[{name!r}][{key!r}] must be a list of positive "
                                     f"ints, one per x, got {values!r:.80}")
            if "truths" in entry:
                _check_truths(name, entry["truths"])
                for key in ("r2_median", "r2_q10", "r2_min"):
                    value = entry["truths"].get(key)
                    if isinstance(value, bool) or not isinstance(value, int | float) \
                            or not math.isfinite(value):
                        raise ValueError(f"summary[{name!r}]['truths'][{key!r}] must be a "
                                         f"finite number, got {value!r}")
        except (TypeError, ValueError) as error:
            raise type(error)(f"{where} is not a summary of tensorcnn simulate: "
                              f"{error}") from None


@dataclass
class RunRecord:
    """A finished run, as read from its folder.

    Attributes
    ----------
    path : Path
        The run folder.
    label : str
        Its name in the report (the folder's name unless given).
    summary : dict
        ``summary.json``.
    rows : list of dict
        ``results.csv`` (values as strings, as the CSV holds them).
    config : dict
        ``config.json`` (empty when absent).
    """

    path: Path
    label: str
    summary: dict
    rows: list[dict] = field(repr=False)
    config: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # a record built by hand is checked as load_run checks a folder's files, so that
        # check_run and write_report never meet a broken one half-way through a report
        self.path = check_path(self.path, "path")
        check_instance(self.label, str, "label", "a str (the run's name in the report)")
        _check_summary(self.summary, "summary")
        if not isinstance(self.rows, list) or not all(isinstance(r, Mapping)
                                                      for r in self.rows):
            raise TypeError(f"rows must be a list of dicts (results.csv), got "
                            f"{type(self.rows).__name__} {self.rows!r:.80}")
        check_instance(self.config, dict, "config", "a dict (config.json)")

    @property
    def settings(self) -> list[str]:
        """The setting names of the summary, in order."""
        return [name for name in self.summary if not name.startswith("_")]

    @property
    def title(self) -> str:
        """The experiment's name (config.json), or the label."""
        return str(self.config.get("experiment") or self.config.get("name") or self.label)


def load_run(path: str | os.PathLike, label: str | None = None) -> RunRecord:
    """Read a finished run's ``summary.json``, ``results.csv`` and ``config.json``.

    Parameters
    ----------
    path : str or os.PathLike
        The run folder (written by ``tensorcnn simulate``).
    label : str, optional
        Its name in a report (default: the folder's name).

    Raises
    ------
    TypeError
        If ``path`` is not a path or ``label`` not a str (or None).
    FileNotFoundError
        If ``path`` is not a folder or lacks ``summary.json`` or ``results.csv`` (the
        message names the file; an unfinished run has no summary yet).
    ValueError
        If ``summary.json`` is not a run summary, or ``results.csv`` is not a table of
        fits (not text, or without the ``setting``, ``n`` and metric columns).
    """
    path = check_path(path, "path")
    if label is not None:
        check_instance(label, str, "label", "a str or None")
    if not path.is_dir():
        what = "is a file, not a folder" if path.exists() else "does not exist"
        raise FileNotFoundError(f"run folder {path} {what} (path={str(path)!r})")
    files = {name: path / name for name in ("summary.json", "results.csv")}
    for file in files.values():
        if not file.is_file():
            raise FileNotFoundError(f"{file} is missing: {path} is not a finished run of "
                                    "tensorcnn simulate")
    try:
        summary = json.loads(files["summary.json"].read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{files['summary.json']} is not readable JSON ({error})") from None
    if not isinstance(summary, dict):       # (a list, a number: JSON, but not a summary)
        raise ValueError(f"{files['summary.json']} is not a summary of tensorcnn simulate "
                         f"(a JSON object of settings), got {type(summary).__name__}")
    try:
        _check_summary(summary, str(files["summary.json"]))
    except TypeError as error:             # a file's content is a value error, not a type's
        raise ValueError(str(error)) from None
    try:
        with files["results.csv"].open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            columns = reader.fieldnames or []
    except (UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"{files['results.csv']} is not a readable CSV table ({error})") \
            from None
    metrics = {entry.get("metric", "error") for name, entry in summary.items()
               if not name.startswith("_")}
    missing = sorted({"setting", "n", *map(str, metrics)} - set(columns))
    if rows and missing:
        raise ValueError(f"{files['results.csv']} is not a table of fits of tensorcnn "
                         f"simulate: no column {', '.join(missing)}")
    config: dict = {}
    if (path / "config.json").is_file():
        try:
            config = json.loads((path / "config.json").read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            config = {}
        if not isinstance(config, dict):      # unreadable or not an object: as if absent
            config = {}
    return RunRecord(path, label or path.resolve().name, summary, rows, config)


def check_run(record: RunRecord, rel: float = 1e-9) -> list[str]:
    """Where ``results.csv`` and ``summary.json`` disagree (empty: they agree).

    Per setting of the summary: the sample sizes, the fits per n and the mean of the
    summary's metric per n, recomputed from the rows (relative tolerance ``rel``: the CSV
    holds the floats' shortest round-trip text, so agreement is exact up to the summing).

    Raises
    ------
    TypeError, ValueError
        If ``record`` is not a :class:`RunRecord`, ``rel`` not a finite number >= 0, or a
        row of the record's setting lacks an integer ``n`` or a numeric metric value.
    """
    check_instance(record, RunRecord, "record", "a RunRecord (load_run)")
    check_nonnegative(rel, "rel")
    problems = []
    for name in record.settings:
        entry = record.summary[name]
        metric = entry.get("metric", "error")
        mine = [row for row in record.rows if row.get("setting") == name]
        if not mine:
            problems.append(f"{name}: no rows in results.csv")
            continue
        by_n: dict[int, list[float]] = {}
        for i, row in enumerate(mine):
            try:
                n, value = int(row["n"]), float(row[metric])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"record.rows: row {i} of setting {name!r} needs an integer "
                                 f"'n' and a number {metric!r} (results.csv), got "
                                 f"{dict(row)!r:.120}") from None
            by_n.setdefault(n, []).append(value)
        if sorted(by_n) != [int(n) for n in entry["n"]]:
            problems.append(f"{name}: sample sizes {sorted(by_n)} in results.csv, "
                            f"{entry['n']} in summary.json")
            continue
        for n, reps, mean in zip(entry["n"], entry.get("n_reps", [None] * len(entry["n"])),
                                 entry["mean"]):
            values = by_n[int(n)]
            if reps is not None and len(values) != reps:
                problems.append(f"{name}, n = {n}: {len(values)} fits in results.csv, "
                                f"{reps} in summary.json")
            elif not math.isclose(float(np.mean(values)), mean, rel_tol=rel, abs_tol=1e-300):
                problems.append(f"{name}, n = {n}: mean {metric} {np.mean(values):.6g} in "
                                f"results.csv, {mean:.6g} in summary.json")
    return problems


def _unique_labels(records: Sequence[RunRecord]) -> None:
    seen: dict[str, int] = {}
    for record in records:
        count = seen.get(record.label, 0)
        seen[record.label] = count + 1
        if count:
            record.label = f"{record.label}-{count + 1}"


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", r"\|")


def _table(header: Sequence[str], rows: Sequence[Sequence]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _file_label(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in label)


def write_report(records: Sequence[RunRecord], out: str | os.PathLike,
                 title: str = "Simulation report") -> Path:
    """Write ``out/report.md`` and its figures for the runs ``records``; return its path.

    Figures: ``combined.png`` (every run's mean-error curves on one axis; one file per
    x-axis, ``combined_<x>.png``, when the runs use different ones), and per run
    ``<label>_curves.png`` (its settings with the bounds) and, with truth draws,
    ``<label>_truths.png``. Labels that repeat get a suffix (``-2``, …).

    Raises
    ------
    TypeError, ValueError
        If ``records`` is not a non-empty list of :class:`RunRecord` (whose rows
        :func:`check_run` can read), ``out`` not a path of a folder or ``title`` not a str
        (checked before any file is written).
    """
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, Sequence):
        raise TypeError(f"records must be a list of RunRecord objects (load_run), got "
                        f"{type(records).__name__}")
    records = [dataclasses.replace(record) if isinstance(record, RunRecord) else record
               for record in records]            # labels may change: not the caller's
    if not records:
        raise ValueError("records must hold at least one run (load_run)")
    bad = [type(r).__name__ for r in records if not isinstance(r, RunRecord)]
    if bad:
        raise TypeError(f"records must hold RunRecord objects (load_run), got {bad}")
    out = check_path(out, "out")
    if out.exists() and not out.is_dir():
        raise ValueError(f"out must be a folder, got the file {str(out)!r}")
    check_instance(title, str, "title", "a str")
    problems_of = [check_run(record) for record in records]   # unreadable rows: before files
    _unique_labels(records)
    out.mkdir(parents=True, exist_ok=True)
    lines = [f"# {title}", ""]
    lines += _table(["run", "folder", "experiment", "seed", "settings", "fits", "wall s"], [
        (r.label, str(r.path), r.title, r.config.get("seed"), ", ".join(r.settings),
         r.summary.get("_run", {}).get("n_fits", len(r.rows)),
         r.summary.get("_run", {}).get("wall_seconds")) for r in records])

    # --- side by side
    by_axis: dict[str, dict] = {}
    for record in records:
        for name in record.settings:
            entry = record.summary[name]
            key = name if len(records) == 1 else f"{record.label}: {name}"
            by_axis.setdefault(entry.get("x_name", "x"), {})[key] = entry
    lines += ["", "## Side by side", ""]
    names = list(dict.fromkeys(n for r in records for n in r.settings))
    header = ["setting"] + [f"{r.label}: slope / intercept / R²" for r in records]
    rows = []
    for name in names:
        row = [name]
        for record in records:
            entry = record.summary.get(name)
            row.append("–" if entry is None else
                       f"{entry['slope']:.4g} / {entry['intercept']:.4g} / {entry['r2']:.4f}")
        rows.append(row)
    lines += _table(header, rows)
    for axis, part in by_axis.items():
        file = "combined.png" if len(by_axis) == 1 else f"combined_{_file_label(axis)}.png"
        plot_error_curves(part, out / file, title, _XLABELS.get(axis, axis), show_bound=False)
        lines += ["", f"![mean error of every run against {_AXIS_NAMES.get(axis, axis)}]({file})"]

    # --- each run
    for record, problems in zip(records, problems_of):
        lines += ["", f"## {record.label}", "", f"Folder `{record.path}`"
                  + (f", experiment {record.title}" if record.title != record.label else "")
                  + (f", seed {record.config['seed']}" if "seed" in record.config else "")
                  + ".", ""]
        table = []
        for name in record.settings:
            e = record.summary[name]
            bound = e.get("bound")
            bound_text = ("–" if bound is None else
                          f"{bound['values'][0]:.3g} … {bound['values'][-1]:.3g}"
                          if bound.get("defined") else "vacuous")
            table.append((name, e.get("model"), e.get("inputs"), e.get("solver"), e.get("d_M"),
                          f"{e['n'][0]} … {e['n'][-1]} ({len(e['n'])})",
                          max(e.get("n_reps", [0]) or [0]), e["slope"], e["intercept"],
                          f"{e['r2']:.4f}", e.get("converged_share"), e.get("cpu_seconds"),
                          bound_text))
        lines += _table(["setting", "model", "inputs", "solver", "d_M", "n (points)", "reps",
                         "slope", "intercept", "R²", "converged", "CPU s", "bound"], table)
        xlabel = _XLABELS.get(record.summary[record.settings[0]].get("x_name", "x"), "x")
        curves = f"{_file_label(record.label)}_curves.png"
        entries = {n: record.summary[n] for n in record.settings}
        plot_error_curves(entries, out / curves, record.title, xlabel)
        lines += ["", f"![{record.label}]({curves})"]
        with_truths = [n for n in record.settings if "truths" in record.summary[n]]
        if with_truths:
            rows = []
            for name in with_truths:
                t = record.summary[name]["truths"]
                rows.append((name, t["n_truths"], f"{t['share_at_least']:.0%}",
                             f"{t['r2_median']:.4f} [{t['r2_q10']:.4f}, "
                             f"{t.get('r2_q90', t['r2_max']):.4f}]",
                             f"{t['r2_min']:.4f}",
                             (f"{t['slope_median']:.4g} [{t['slope_q10']:.4g}, "
                              f"{t['slope_q90']:.4g}]") if "slope_median" in t else None))
            first = record.summary[with_truths[0]]["truths"]
            threshold, seeds = first["threshold"], ", ".join(map(str, first["seeds"]))
            lines += ["", f"Truth draws (root seeds {seeds}):", ""]
            lines += _table(["setting", "truths", f"R² ≥ {threshold}", "R² median [q10, q90]",
                             "R² min", "slope median [q10, q90]"], rows)
            file = f"{_file_label(record.label)}_truths.png"
            plot_truth_curves(entries, out / file, record.title, xlabel)
            lines += ["", f"![{record.label}: one curve per truth]({file})"]
        lines += [""] + ([f"results.csv agrees with summary.json ({len(record.rows)} fits)."]
                         if not problems else
                         ["**results.csv and summary.json disagree:**", ""]
                         + [f"- {p}" for p in problems])
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
