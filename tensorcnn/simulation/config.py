r"""Experiment files: a user's own simulation settings in TOML (``tensorcnn simulate --config``).

A file holds run options at the top level, one ``[[setting]]`` table per setting and,
optionally, ``[[plot]]`` tables (the figures)::

    name = "my-study"          # title of the run
    seed = 0                   # root seed; its W* is the run's fixed truth
    truths = 1                 # > 1: repeat over truth draws seed, seed + 1, …
    threshold = 0.95           # R² counted as reached, over the truth draws
    workers = 1                # joblib processes
    scheduler = "tcp://…"      # optional Dask scheduler
    out = "runs/my-study"      # output folder (relative to the current directory)
    x_axis = "sqrt(d_M/n)"     # or "1/sqrt(n)"
    bounds = true              # Theorem 1/2 bounds in the summary
    replications = 200         # defaults of every setting: replications, solver, batch, grid
    solver = "als"             # "als" (least squares) or "gd" (the paper's GD, rank model)
    batch = 10                 # replications per task (changes no number)

    [grid]                     # √(d_M/n) equally spaced on [low, high] …
    low = 0.15
    high = 0.60
    points = 10                # … or explicit sizes: n = [300, 500, 800]

    [[setting]]
    name = "my-2d"
    base = "S2"                # optional: start from a preset, override any field below
    input_shape = [16, 16]
    kernel_shape = [4, 4]
    pool_shape = [3, 3]
    stride = 2                 # an int (every mode) or one int per mode
    padding = 1
    pool_stride = 1            # < pool_shape: overlapping pooling (default: the window)
    n_kernels = 4              # K
    model = "tucker"           # "rank" (Theorem 1), "tucker" (Theorem 2) or "cp"
    ranks = [2, 2, 2]          # Tucker (R_1, …, R_{N+1}); CP: [R]
    fit_rank = 4               # CP only: rank-one kernels of the fitted model
    inputs = "var1"            # "iid" or "var1"
    spectral_norm = 0.8        # ‖Φ‖_2 of the random Φ, or a fixed Φ:
    transition_file = "phi.npy"   # d × d, .npy or text (relative to this file)
    noise_sd = 1.0             # σ
    unit_norm = false          # scale W* to ‖W*‖_F = 1
    task = "regression"        # or "classification" (rank model, logistic MLE)
    replications = 50          # per-setting overrides of the defaults above
    grid = { n = [400, 800, 1600] }

    [[plot]]
    file = "curves.png"
    title = "my study"
    settings = ["my-2d"]       # default: one figure of every setting

Every field is checked before any work (:func:`load_experiment`): unknown keys, types,
impossible geometries, ranks that do not fit, a non-stationary Φ, sample sizes below the
fitted model's parameter count — each as one :class:`ConfigError` naming the file, the line
and the field. :func:`dumps_experiment` writes an :class:`~tensorcnn.simulation.Experiment`
(e.g. a named one of :func:`~tensorcnn.simulation.experiment_plan`) as such a file; reading
it back gives the same settings, so the same numbers.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import numbers
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_path
from ..compressed import check_tucker_ranks
from ..data.inputs import check_transition
from ..data.models import MODEL_KINDS
from ..data.presets import Setting, preset
from .experiments import DEFAULT_GRID, X_AXES, Experiment, Panel, SettingRun
from .replication import SOLVERS

__all__ = ["ConfigError", "dumps_experiment", "experiment_record", "load_experiment",
           "parse_experiment"]

TOP_KEYS = ("name", "seed", "truths", "threshold", "workers", "scheduler", "out", "x_axis",
            "bounds", "replications", "solver", "batch", "grid", "setting", "plot")
SETTING_KEYS = ("name", "base", "input_shape", "kernel_shape", "pool_shape", "stride",
                "padding", "pool_stride", "n_kernels", "model", "ranks", "fit_rank", "inputs",
                "spectral_norm", "transition_file", "noise_sd", "unit_norm", "task",
                "replications", "solver", "batch", "grid")
GRID_KEYS = ("low", "high", "points", "n")
PLOT_KEYS = ("file", "title", "settings", "xlabel")
#: The Setting fields a [[setting]] table may give (the rest are how it is swept).
_MODEL_FIELDS = ("input_shape", "kernel_shape", "pool_shape", "stride", "padding",
                 "pool_stride", "n_kernels", "model", "ranks", "fit_rank", "inputs",
                 "spectral_norm", "noise_sd", "unit_norm", "task")


class ConfigError(ValueError):
    """An experiment file that cannot run; the message is one line: file:line: field: why.

    Attributes
    ----------
    path : str
        The file.
    line : int or None
        Line of the offending key (None when the file has no such key).
    field : str
        The field, e.g. ``setting[2] (my-2d).ranks`` (settings counted from 1).
    """

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        self.path, self.line, self.field, self.reason = path, line, field, message
        where = f"{path}:{line}" if line is not None else path
        text = " ".join(f"{where}: {field}: {message}".split())   # one line
        super().__init__(text)


# --------------------------------------------------------------------------- locating keys
_ARRAY = re.compile(r"^\[\[\s*([^\]]+?)\s*\]\]")
_TABLE = re.compile(r"^\[\s*([^\]]+?)\s*\]")
_PART = r"""(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^({_PART}(?:\s*\.\s*{_PART})*)\s*=")


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


class _Lines:
    """Line numbers of the keys and tables of a TOML text (a light scan, for messages)."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple, int] = {}
        counts: dict[tuple, int] = {}
        prefix: tuple = ()
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if match := _ARRAY.match(line):
                parts = _split_key(match.group(1))
                counts[parts] = counts.get(parts, 0) + 1
                prefix = (*self._resolve(parts[:-1], counts), parts[-1], counts[parts] - 1)
                self.lines.setdefault(prefix, number)
                continue
            if match := _TABLE.match(line):
                prefix = self._resolve(_split_key(match.group(1)), counts)
                self.lines.setdefault(prefix, number)
                continue
            if match := _KEY.match(line):
                self.lines.setdefault((*prefix, *_split_key(match.group(1))), number)

    @staticmethod
    def _resolve(parts: tuple[str, ...], counts: dict[tuple, int]) -> tuple:
        # a table under an array of tables belongs to that array's last element
        path: tuple = ()
        for depth in range(1, len(parts) + 1):
            path = (*path, parts[depth - 1])
            if parts[:depth] in counts:
                path = (*path, counts[parts[:depth]] - 1)
        return path

    def find(self, path: tuple) -> int | None:
        """Line of ``path``, else of its nearest enclosing key or table."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


class _Reader:
    """Checks values one field at a time, raising :class:`ConfigError` with the line."""

    def __init__(self, path: str, text: str, base_dir: Path) -> None:
        self.path, self.base_dir = path, base_dir
        self.lines = _Lines(text)

    # ---- errors
    def fail(self, where: tuple, message: str, label: str | None = None):
        raise ConfigError(self.path, self.lines.find(where), label or _label(where), message)

    # ---- checks of single values
    def keys(self, table: Mapping, allowed: tuple[str, ...], where: tuple,
             label: str | None = None) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail((*where, key), f"unknown key {key!r}{hint}; known: "
                          f"{', '.join(allowed)}",
                          f"{label}.{key}" if label else None)

    def integer(self, value: Any, where: tuple, minimum: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, f"must be an integer >= {minimum}, got {value!r}")
        if value < minimum:
            self.fail(where, f"must be >= {minimum}, got {value}")
        return int(value)

    def number(self, value: Any, where: tuple) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not math.isfinite(value):
            self.fail(where, f"must be a finite number, got {value!r}")
        return float(value)

    def string(self, value: Any, where: tuple, choices: tuple[str, ...] | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"must be a non-empty string, got {value!r}")
        if choices is not None and value not in choices:
            self.fail(where, f"must be one of {', '.join(map(repr, choices))}, got {value!r}")
        return value

    def boolean(self, value: Any, where: tuple) -> bool:
        if not isinstance(value, bool):
            self.fail(where, f"must be true or false, got {value!r}")
        return value

    def table(self, value: Any, where: tuple) -> Mapping:
        if not isinstance(value, Mapping):
            self.fail(where, f"must be a table, got {value!r}")
        return value

    def ints(self, value: Any, where: tuple, minimum: int = 1) -> tuple[int, ...]:
        if not isinstance(value, list) or not value:
            self.fail(where, f"must be a non-empty list of integers, got {value!r}")
        return tuple(self.integer(v, where, minimum) for v in value)

    def per_mode(self, value: Any, where: tuple, minimum: int) -> int | tuple[int, ...]:
        """An int (every mode) or a list of ints (one per mode)."""
        if isinstance(value, list):
            return self.ints(value, where, minimum)
        return self.integer(value, where, minimum)


def _label(where: tuple) -> str:
    parts: list[str] = []
    for part in where:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part + 1}]"
        else:
            parts.append(str(part))
    return ".".join(parts) if parts else "file"


# --------------------------------------------------------------------------- reading
def load_experiment(path: str | os.PathLike) -> Experiment:
    """Read and check an experiment file; every field is validated before any work.

    Parameters
    ----------
    path : path
        A TOML file (format: this module's docstring, or ``docs/own_experiment.md``).

    Returns
    -------
    Experiment
        Run it with :meth:`Experiment.run` (one sweep) or
        :func:`~tensorcnn.simulation.sensitivity.truth_draws` (``truths`` of them).

    Raises
    ------
    ConfigError
        The first problem, as ``file:line: field: why`` (a ``ValueError``).
    """
    path = check_path(path, "path")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), None, "file", f"cannot be read ({error})") from None
    return parse_experiment(text, str(path), base_dir=path.parent)


def parse_experiment(text: str, path: str = "<string>",
                     base_dir: str | os.PathLike = ".") -> Experiment:
    """:func:`load_experiment` of a TOML text (``base_dir``: where Φ files are looked up)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (the TOML file's text), got {type(text).__name__}")
    if not isinstance(path, str):
        raise TypeError(f"path must be a str (the file name shown in messages), got "
                        f"{type(path).__name__}")
    check_path(base_dir, "base_dir")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"at line (\d+)", str(error))
        raise ConfigError(path, int(match.group(1)) if match else None, "TOML syntax",
                          str(error)) from None
    reader = _Reader(path, text, Path(base_dir))
    reader.keys(data, TOP_KEYS, ())
    options = _top_options(reader, data)
    defaults = dict(replications=options.pop("replications"), solver=options.pop("solver"),
                    batch=options.pop("batch"), grid=options.pop("grid"))
    tables = data.get("setting")
    if tables is None:
        reader.fail((), "the file has no [[setting]] table (one per setting to simulate)",
                    "setting")
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        reader.fail(("setting",), "must be an array of tables: write each as [[setting]]")
    runs: list[SettingRun] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        run = _setting_run(reader, table, ("setting", index), defaults, options["bounds"])
        name = run.setting.name
        if name in seen:
            reader.fail(("setting", index, "name"),
                        f"name {name!r} is already used by setting[{seen[name] + 1}]; "
                        "settings need distinct names (the name seeds the setting)",
                        f"setting[{index + 1}] ({name}).name")
        seen[name] = index
        runs.append(run)
    panels = _panels(reader, data.get("plot"), [r.setting.name for r in runs], options)
    options.setdefault("name", Path(path).stem)
    return Experiment(runs=tuple(runs), panels=panels, **options)


def _top_options(reader: _Reader, data: Mapping) -> dict:
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = reader.string(data["name"], ("name",))
    out["seed"] = reader.integer(data.get("seed", 0), ("seed",), minimum=0)
    out["truths"] = reader.integer(data.get("truths", 1), ("truths",))
    threshold = reader.number(data.get("threshold", 0.95), ("threshold",))
    if not 0.0 < threshold <= 1.0:
        reader.fail(("threshold",), f"must lie in (0, 1], got {threshold}")
    out["threshold"] = threshold
    out["workers"] = reader.integer(data.get("workers", 1), ("workers",))
    out["scheduler"] = (reader.string(data["scheduler"], ("scheduler",))
                        if "scheduler" in data else None)
    out["out"] = reader.string(data["out"], ("out",)) if "out" in data else None
    out["x_axis"] = reader.string(data.get("x_axis", "sqrt(d_M/n)"), ("x_axis",),
                                  tuple(X_AXES))
    out["bounds"] = reader.boolean(data.get("bounds", True), ("bounds",))
    out["replications"] = reader.integer(data.get("replications", 200), ("replications",))
    out["solver"] = reader.string(data.get("solver", "als"), ("solver",), SOLVERS)
    out["batch"] = reader.integer(data.get("batch", 10), ("batch",))
    out["grid"] = (_grid(reader, data["grid"], ("grid",)) if "grid" in data
                   else dict(grid=DEFAULT_GRID, n_points=10, sizes=None))
    return out


def _grid(reader: _Reader, value: Any, where: tuple) -> dict:
    table = reader.table(value, where)
    reader.keys(table, GRID_KEYS, where)
    if "n" in table:
        mixed = [k for k in ("low", "high", "points") if k in table]
        if mixed:
            reader.fail((*where, mixed[0]), f"give either n (explicit sizes) or "
                        f"low/high/points (a range of sqrt(d_M/n)), not both (also {mixed})")
        sizes = reader.ints(table["n"], (*where, "n"))
        if len(set(sizes)) != len(sizes):
            reader.fail((*where, "n"), f"sample sizes must be distinct, got {list(sizes)}")
        return dict(grid=DEFAULT_GRID, n_points=10, sizes=tuple(sorted(sizes)))
    low = reader.number(table.get("low", DEFAULT_GRID[0]), (*where, "low"))
    high = reader.number(table.get("high", DEFAULT_GRID[1]), (*where, "high"))
    if not 0.0 < low < high < 1.0:
        reader.fail((*where, "low" if "low" in table else "high"),
                    f"need 0 < low < high < 1 (then every n > d_M), got low={low}, "
                    f"high={high}")
    points = reader.integer(table.get("points", 10), (*where, "points"), minimum=2)
    return dict(grid=(low, high), n_points=points, sizes=None)


def _setting_run(reader: _Reader, table: Mapping, where: tuple, defaults: dict,
                 bounds: bool) -> SettingRun:
    fields: dict[str, Any] = {}
    base_name = None
    if "base" in table:
        base_name = reader.string(table["base"], (*where, "base"))
        try:
            base = preset(base_name)
        except ValueError as error:
            reader.fail((*where, "base"), str(error))
        fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.init}
    if "name" in table:
        name = reader.string(table["name"], (*where, "name"))
    elif base_name is not None:
        name = base_name
    else:
        reader.fail(where, "a setting needs a name (or a base preset to take it from)",
                    f"{_label(where)}.name")
    label = f"{_label(where)} ({name})"
    reader.keys(table, SETTING_KEYS, where, label)

    def at(key: str) -> tuple:
        return (*where, key)

    def fail(key: str, message: str, line_at: str | None = None):
        line_key = line_at or (key if key in table else ("base" if base_name else key))
        reader.fail(at(line_key), message, f"{label}.{key}")

    def checked(key, function, *args):
        try:
            return function(table[key], at(key), *args)
        except ConfigError as error:
            raise ConfigError(error.path, error.line, f"{label}.{key}", error.reason) from None

    given = [k for k in _MODEL_FIELDS if k in table]
    if base_name is not None and given and name == base_name:
        fail(given[0], f"this setting changes its base {base_name!r} ({', '.join(given)}): "
                       "give it a name of its own (the name seeds the setting, and results "
                       "files tell settings apart by it)")
    for key in ("input_shape", "kernel_shape", "pool_shape"):
        if key in table:
            fields[key] = checked(key, reader.ints)
        elif key not in fields:
            fail(key, "is required (or take it from a preset with base = \"S1\" …)")
    for key, minimum in (("stride", 1), ("padding", 0), ("pool_stride", 1)):
        if key in table:
            fields[key] = checked(key, reader.per_mode, minimum)
    if "n_kernels" in table:
        fields["n_kernels"] = checked("n_kernels", reader.integer)
    elif "n_kernels" not in fields:
        fail("n_kernels", "is required: K, the number of kernels")
    if "model" in table:
        fields["model"] = checked("model", reader.string, tuple(MODEL_KINDS))
    fields.setdefault("model", "rank")
    if "ranks" in table:
        fields["ranks"] = checked("ranks", reader.ints)
    elif "model" in table and base_name is not None and fields["model"] != base.model:
        fields["ranks"] = None
    if "fit_rank" in table:
        fields["fit_rank"] = checked("fit_rank", reader.integer)
    if "inputs" in table:
        fields["inputs"] = checked("inputs", reader.string, ("iid", "var1"))
    fields.setdefault("inputs", "iid")
    if "spectral_norm" in table:
        fields["spectral_norm"] = checked("spectral_norm", reader.number)
    if "noise_sd" in table:
        fields["noise_sd"] = checked("noise_sd", reader.number)
    if "unit_norm" in table:
        fields["unit_norm"] = checked("unit_norm", reader.boolean)
    if "task" in table:
        fields["task"] = checked("task", reader.string, ("regression", "classification"))
    fields["name"] = name

    # --- geometry, mode by mode
    n_modes = len(fields["input_shape"])
    for key in ("kernel_shape", "pool_shape", "stride", "padding", "pool_stride"):
        value = fields.get(key)
        if isinstance(value, tuple) and len(value) != n_modes:
            fail(key, f"has {len(value)} entries but input_shape {list(fields['input_shape'])}"
                      f" has {n_modes} modes (one entry per mode)")

    def per_mode(key, default):
        value = fields.get(key, default)
        value = default if value is None else value
        return value if isinstance(value, tuple) else (value,) * n_modes

    stride, padding = per_mode("stride", 1), per_mode("padding", 0)
    pool = fields["pool_shape"]
    for mode in range(n_modes):
        d, ell = fields["input_shape"][mode], fields["kernel_shape"][mode]
        if ell > d + 2 * padding[mode]:
            fail("kernel_shape", f"kernel size {ell} exceeds the padded input size "
                                 f"{d + 2 * padding[mode]} in mode {mode + 1}")
        m = (d + 2 * padding[mode] - ell) // stride[mode] + 1      # ⌊(d + 2π − l)/s_c⌋ + 1
        if pool[mode] > m:
            fail("pool_shape", f"pooling window {pool[mode]} exceeds the convolution output "
                               f"size {m} in mode {mode + 1} (d={d}, l={ell}, stride "
                               f"{stride[mode]}, padding {padding[mode]})")

    # --- model and ranks
    model, ranks, K = fields["model"], fields.get("ranks"), fields["n_kernels"]
    if model == "rank":
        for key in ("ranks", "fit_rank"):
            if fields.get(key) is not None:
                fail(key, f"a 'rank' model (K plain kernels) has no {key}; use model = "
                          "\"tucker\" or \"cp\"")
    elif ranks is None:
        fail("ranks", f"a {model!r} model needs ranks ("
                      + ("R_1, ..., R_{N+1}" if model == "tucker" else "[R], the CP rank") + ")",
             line_at="model" if "model" in table else None)
    elif model == "tucker":
        if fields.get("fit_rank") is not None:
            fail("fit_rank", "fit_rank is for 'cp' settings; a Tucker setting fits its ranks")
        try:
            check_tucker_ranks(ranks, fields["kernel_shape"], K)
        except (ValueError, TypeError) as error:
            fail("ranks", str(error))
    else:
        if len(ranks) != 1:
            fail("ranks", f"a CP setting has one rank, ranks = [R], got {list(ranks)}")
        too_small = [s for s in (*fields["kernel_shape"], K) if s < ranks[0]]
        if too_small:
            fail("ranks", f"CP rank {ranks[0]} exceeds a mode of A_stack "
                          f"{[*fields['kernel_shape'], K]} (need R <= every mode size)")

    # --- inputs
    inputs = fields["inputs"]
    if inputs == "iid":
        for key in ("spectral_norm", "transition_file"):
            if key in table:
                fail(key, f"{key} is for VAR(1) inputs; this setting has inputs = \"iid\"")
    else:
        if "spectral_norm" in table and "transition_file" in table:
            fail("transition_file", "give spectral_norm (a random Phi) or transition_file "
                                    "(a fixed Phi), not both")
        norm = fields.get("spectral_norm", 0.5)
        if not 0.0 <= norm < 1.0:
            fail("spectral_norm", f"must be in [0, 1) for a stationary VAR(1) "
                                  f"(||Phi||_2 < 1), got {norm}")
        if "transition_file" in table:
            file_name = checked("transition_file", reader.string)
            fields["transition"] = _read_transition(
                reader.base_dir / file_name, math.prod(fields["input_shape"]),
                lambda message: fail("transition_file", message))
    if fields.get("noise_sd", 1.0) < 0:
        fail("noise_sd", f"must be >= 0, got {fields['noise_sd']}")
    if fields.get("task", "regression") == "classification":
        if model != "rank":
            fail("task", "classification settings use plain kernels (model = \"rank\")")
        if bounds:
            fail("task", "the Theorem 1/2 bounds are for regression: set bounds = false at "
                         "the top of the file")

    try:
        setting = Setting(**fields)
    except (ValueError, TypeError) as error:
        reader.fail(where, str(error), label)

    # --- how it is swept
    n_reps = (checked("replications", reader.integer) if "replications" in table
              else defaults["replications"])
    solver = (checked("solver", reader.string, SOLVERS) if "solver" in table
              else defaults["solver"])
    if solver == "gd" and setting.kind.compressed:
        fail("solver", "the paper's GD baseline fits the rank-K model only; use \"als\"")
    batch = checked("batch", reader.integer) if "batch" in table else defaults["batch"]
    grid_where = (at("grid") if "grid" in table else
                  ("grid",) if reader.lines.find(("grid",)) is not None else where)
    grid = _grid(reader, table["grid"], at("grid")) if "grid" in table else defaults["grid"]
    run = SettingRun(setting, n_reps=n_reps, solver=solver, batch_size=batch, **grid)
    grid_key = "n" if run.sizes is not None else "points"
    try:
        sizes = run.sample_sizes()
    except (ValueError, TypeError) as error:
        reader.fail((*grid_where, grid_key), str(error), f"{label}.grid.{grid_key}")
    too_small = [n for n in sizes if n < setting.n_free_params]
    if too_small:
        reader.fail((*grid_where, grid_key),
                    f"sample sizes {too_small} are below the {setting.n_free_params} "
                    "parameters of the fitted model (not identifiable)",
                    f"{label}.grid.{grid_key}")
    return run


def _read_transition(path: Path, dim: int, fail) -> tuple[tuple[float, ...], ...]:
    if not path.is_file():
        fail(f"no such file {str(path)!r} (paths are relative to the experiment file)")
    try:
        matrix = (np.load(path, allow_pickle=False) if path.suffix == ".npy"
                  else np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None,
                                  ndmin=2))
    except (OSError, ValueError) as error:
        fail(f"cannot read {str(path)!r} as a matrix ({error})")
    try:
        matrix = check_transition(matrix, dim)
    except ValueError as error:
        fail(f"{path.name}: {error}")
    return tuple(tuple(float(v) for v in row) for row in matrix)


def _panels(reader: _Reader, value: Any, names: list[str], options: dict) -> tuple[Panel, ...]:
    xlabel = X_AXES[options["x_axis"]][1]
    if value is None:
        title = options.get("name", "")
        return (Panel("error_curves.png", title, tuple(names), xlabel),)
    if not isinstance(value, list) or not all(isinstance(t, Mapping) for t in value):
        reader.fail(("plot",), "must be an array of tables: write each as [[plot]]")
    panels, files = [], set()
    for index, table in enumerate(value):
        where = ("plot", index)
        reader.keys(table, PLOT_KEYS, where)
        if "file" not in table:
            reader.fail(where, "a plot needs a file name (file = \"curves.png\")",
                        f"{_label(where)}.file")
        file = reader.string(table["file"], (*where, "file"))
        if Path(file).name != file or not file.endswith((".png", ".pdf", ".svg")):
            reader.fail((*where, "file"), f"must be a plain file name ending in .png, .pdf or "
                        f".svg (written into out), got {file!r}")
        if file in files:
            reader.fail((*where, "file"), f"{file!r} is already the file of another plot")
        files.add(file)
        shown = tuple(names)
        if "settings" in table:
            if not isinstance(table["settings"], list) or not table["settings"]:
                reader.fail((*where, "settings"), "must be a non-empty list of setting names")
            shown = tuple(reader.string(s, (*where, "settings")) for s in table["settings"])
            unknown = [s for s in shown if s not in names]
            if unknown:
                reader.fail((*where, "settings"), f"no setting called {unknown} (the file's "
                            f"settings: {names})")
        title = reader.string(table["title"], (*where, "title")) if "title" in table else ""
        label = (reader.string(table["xlabel"], (*where, "xlabel")) if "xlabel" in table
                 else xlabel)
        panels.append(Panel(file, title, shown, label))
    return tuple(panels)


# --------------------------------------------------------------------------- writing
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def _setting_lines(setting: Setting) -> list[str]:
    if setting.transition is not None:
        raise ValueError(f"setting {setting.name}: a fixed transition cannot be written into "
                         "the file; save it as .npy and name it in transition_file")
    lines = [f"name = {_toml_value(setting.name)}"]
    for field in dataclasses.fields(setting):
        if not field.init or field.name in ("name", "transition"):
            continue
        value = getattr(setting, field.name)
        always = field.name in ("input_shape", "kernel_shape", "pool_shape", "n_kernels",
                                "model", "inputs", "noise_sd")
        if field.name == "spectral_norm":
            always = setting.inputs == "var1"
        if value is None or (not always and value == field.default):
            continue
        lines.append(f"{field.name} = {_toml_value(value)}")
    return lines


def _grid_lines(run: SettingRun) -> dict[str, Any]:
    if run.sizes is not None:
        return dict(n=list(run.sizes))
    return dict(low=float(run.grid[0]), high=float(run.grid[1]), points=int(run.n_points))


def dumps_experiment(experiment: Experiment, header: str = "") -> str:
    """An experiment as the text of an experiment file (the inverse of
    :func:`parse_experiment`: reading it back gives equal settings and sweep options).

    Options shared by every setting (replications, solver, batch, grid) are written once at
    the top; a setting that differs carries its own. ``header`` becomes comment lines.
    """
    if not isinstance(experiment, Experiment):
        raise TypeError(f"experiment must be an Experiment, got {type(experiment).__name__}")
    if not isinstance(header, str):
        raise TypeError(f"header must be a str (comment lines), got {type(header).__name__}")
    runs = experiment.runs

    def common(get):
        values = [get(run) for run in runs]
        return values[0] if all(v == values[0] for v in values) else None

    reps, solver = common(lambda r: r.n_reps), common(lambda r: r.solver)
    batch = common(lambda r: r.batch_size)
    grid = common(_grid_lines)
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    top = dict(name=experiment.name, seed=experiment.seed, truths=experiment.truths,
               threshold=experiment.threshold, workers=experiment.workers,
               scheduler=experiment.scheduler,
               out=experiment.out or f"runs/{experiment.name}", x_axis=experiment.x_axis,
               bounds=experiment.bounds, replications=reps if reps else 200,
               solver=solver or "als", batch=batch or 10)
    lines += [f"{key} = {_toml_value(value)}" for key, value in top.items()
              if value is not None]
    if grid is not None:
        lines += ["", "[grid]"] + [f"{k} = {_toml_value(v)}" for k, v in grid.items()]
    for run in runs:
        lines += ["", "[[setting]]", *_setting_lines(run.setting)]
        if reps is None:
            lines.append(f"replications = {run.n_reps}")
        if solver is None:
            lines.append(f"solver = {_toml_value(run.solver)}")
        if batch is None:
            lines.append(f"batch = {run.batch_size}")
        if grid is None:
            inline = ", ".join(f"{k} = {_toml_value(v)}" for k, v in _grid_lines(run).items())
            lines.append(f"grid = {{ {inline} }}")
    for panel in experiment.panels:
        lines += ["", "[[plot]]", f"file = {_toml_value(panel.filename)}",
                  f"title = {_toml_value(panel.title)}",
                  f"settings = {_toml_value(list(panel.settings))}",
                  f"xlabel = {_toml_value(panel.xlabel)}"]
    return "\n".join(lines) + "\n"


def experiment_record(experiment: Experiment) -> dict:
    """What changes an experiment's numbers, as JSON (the ``config.json`` of a file run).

    Per setting: its fields (a fixed Φ by its SHA-256), replications, sample sizes, solver
    and batch; and the seed, x-axis and bounds. Not recorded: workers, scheduler, out,
    truths, threshold and the plots (they change no number of the fixed-truth run).
    """
    if not isinstance(experiment, Experiment):
        raise TypeError(f"experiment must be an Experiment, got {type(experiment).__name__}")
    settings = []
    for run in experiment.runs:
        fields = {}
        for field in dataclasses.fields(run.setting):
            if not field.init:
                continue
            value = getattr(run.setting, field.name)
            if field.name == "transition" and value is not None:
                value = hashlib.sha256(json.dumps(value).encode()).hexdigest()
            fields[field.name] = list(value) if isinstance(value, tuple) else value
        settings.append(dict(fields, replications=run.n_reps,
                             sizes=list(run.sample_sizes()), solver=run.solver,
                             batch=run.batch_size))
    return dict(format="tensorcnn-experiment-file", name=experiment.name,
                seed=experiment.seed, x_axis=experiment.x_axis, bounds=experiment.bounds,
                settings=settings)
