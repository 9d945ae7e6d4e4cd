"""Fuzz entries for the names that were exempt as plumbing or "needs a run folder": the
report readers and writers, the figure writer, the shared CLI flag helpers, the worker-pool
plumbing, the estimators' unit helpers, the model-kind base and the row builder (issue #14);
see tests/fuzz/registry.py.

The run folder (``results.csv``, ``summary.json``, ``config.json`` of a 6 × 5 rank-1 setting
fitted at n = 20, 30, one replication, two truth draws) is built once per session, on first
use, and every ``base`` copies it into a fresh folder, so an invalid case never sees another
case's files. Broken folders (no ``results.csv``, unreadable JSON, ...) are paths that build
themselves on first use (:class:`_Broken`). ``watch_parent`` ends its process when the parent
changes, so each of its calls runs in a forked child (:func:`_watch_in_child`).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import copy
import functools
import io
import json
import math
import os
import pickle
import shutil
import signal
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from hypothesis import strategies as st

from .registry import Bad, Entry, Exempt

NAN, INF = float("nan"), float("inf")
PNG = b"\x89PNG\r\n\x1a\n"


def _fail(message: object):
    raise AssertionError(message)


#: One folder for the whole run, removed at exit; each call gets a fresh folder inside it.
_ROOT = Path(tempfile.mkdtemp(prefix="tensorcnn-fuzz-plumbing-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)
_A_FILE = _ROOT / "a-file.txt"
_A_FILE.write_text("not a run folder\n")


def _tmp() -> Path:
    return Path(tempfile.mkdtemp(dir=_ROOT))


# -- a finished run folder -------------------------------------------------------------------
SIZES = (20, 30)
NAME = "tiny-rank"


def _setting(model: str = "rank"):
    from tensorcnn.data import Setting

    if model == "tucker":
        return Setting("tiny-tucker", (6, 5), (2, 2), (2, 2), 2, model="tucker",
                       ranks=(1, 1, 1))
    if model == "cp":
        return Setting("tiny-cp", (6, 5), (2, 2), (2, 2), 2, model="cp", ranks=(1,))
    return Setting(NAME, (6, 5), (2, 2), (2, 2), 1)


@functools.cache
def _run_folder() -> Path:
    """The session's one run folder, written as ``tensorcnn simulate`` writes one (fits,
    truth draws, summary; no figures)."""
    from tensorcnn.simulation import Experiment, SettingRun
    from tensorcnn.simulation.io import write_results, write_summary
    from tensorcnn.simulation.sensitivity import truth_draws, truth_summary

    experiment = Experiment(name="fuzz", runs=(SettingRun(_setting(), n_reps=1, sizes=SIZES),),
                            bounds=True, truths=2)
    result = experiment.run(progress=False)
    results = {experiment.seed: result}
    results.update(truth_draws(experiment, [experiment.seed + 1], progress=False))
    out = _ROOT / "run"
    write_results(result.rows, out)
    for name, entry in truth_summary(experiment, results).items():
        result.summary[name]["truths"] = entry
    write_summary(result.summary, out)
    (out / "config.json").write_text(json.dumps(dict(experiment="fuzz", seed=0)))
    return out


def _run_copy() -> Path:
    """A fresh copy of the run folder (a call may write into it)."""
    folder = _tmp() / "run"
    shutil.copytree(_run_folder(), folder)
    return folder


def _record():
    from tensorcnn.simulation.report import load_run

    return load_run(_run_copy())


class _Broken(os.PathLike):
    """A run folder with one defect, made on first use (so that importing this module runs
    no fits); ``repr`` says which defect, for the test ids' messages."""

    def __init__(self, what: str, edit) -> None:
        self.what, self.edit = what, edit

    @functools.cached_property
    def folder(self) -> Path:
        folder = _run_copy()
        self.edit(folder)
        return folder

    def __fspath__(self) -> str:
        return str(self.folder)

    def __repr__(self) -> str:
        return f"<run folder: {self.what}>"


def _summary_with_text_means(folder: Path) -> None:
    summary = json.loads((folder / "summary.json").read_text())
    summary[NAME]["mean"] = ["a"] * len(summary[NAME]["mean"])
    (folder / "summary.json").write_text(json.dumps(summary))


def _results_without_n(folder: Path) -> None:
    import csv

    with (folder / "results.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = [f for f in rows[0] if f != "n"]
    with (folder / "results.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


_BROKEN_PATHS = [
    Bad(_ROOT / "no-such-run", names="does not exist", raises=(FileNotFoundError,)),
    Bad(_A_FILE, names="is a file", raises=(FileNotFoundError,)),
    Bad(_Broken("no results.csv", lambda f: (f / "results.csv").unlink()),
        names="results.csv", raises=(FileNotFoundError,)),
    Bad(_Broken("no summary.json", lambda f: (f / "summary.json").unlink()),
        names="summary.json", raises=(FileNotFoundError,)),
    Bad(_Broken("summary.json not JSON", lambda f: (f / "summary.json").write_text("{S1: [")),
        names="summary.json"),
    Bad(_Broken("summary.json a list", lambda f: (f / "summary.json").write_text("[1, 2]")),
        names="summary.json"),
    Bad(_Broken("summary.json text means", _summary_with_text_means), names="summary.json"),
    Bad(_Broken("results.csv binary", lambda f: (f / "results.csv").write_bytes(
        b"\xff\xfe\x00\x81setting,n\n")), names="results.csv"),
    Bad(_Broken("results.csv without n", _results_without_n), names="results.csv"),
]


#: A hand-made summary (one setting, one n, no line) and records built from it: invalid
#: inputs that need no run.
def _tiny_summary() -> dict:
    return {"S": dict(x=[0.5], mean=[1.0], sd=[0.0], n=[20], slope=None, intercept=None,
                      r2=None)}


def _record_with_rows(rows):
    from tensorcnn.simulation.report import RunRecord

    return RunRecord(_ROOT, "bad-rows", _tiny_summary(), rows)


_BAD_ROWS = [{"setting": "S", "n": "twenty", "error": "1.0"}]


def _truth_summary(**truths) -> dict:
    """A summary with truth draws as plot_truth_curves reads it (``truths`` overrides)."""
    x = [0.6, 0.3]
    draws = [dict(seed=s, r2=r2, mean=[1.0 + s, 0.5 + s]) for s, r2 in ((0, 0.99), (1, 0.9))]
    entry = dict(x=x, seeds=[0, 1], draws=draws, threshold=0.95, share_at_least=0.5,
                 n_truths=2)
    entry.update(truths)
    return {"S": dict(x=x, mean=[1.0, 0.5], sd=[0.0, 0.0], truths=entry)}


def _report_check(result, call):
    assert result == Path(call["out"]) / "report.md" and result.is_file(), result
    text = result.read_text()
    label = call["records"][0].label
    assert f"## {label}" in text and f"| {NAME} |" in text, text[:400]
    assert "results.csv agrees with summary.json (2 fits)" in text, text
    for figure in ("combined.png", f"{label}_curves.png", f"{label}_truths.png"):
        assert (Path(call["out"]) / figure).read_bytes()[:8] == PNG, figure


def _png_written(result, call):
    assert Path(result) == Path(call["path"]), (result, call["path"])
    assert Path(result).read_bytes()[:8] == PNG, "not a PNG file"


def _record_check(result, call):
    from tensorcnn.simulation.report import RunRecord, check_run

    assert isinstance(result, RunRecord), type(result)
    assert result.settings == [NAME] and len(result.rows) == len(SIZES), result
    want = call.get("label") or Path(call["path"]).name
    assert result.label == want, (result.label, want)
    assert result.config == {"experiment": "fuzz", "seed": 0} and result.title == "fuzz"
    assert check_run(result) == [], check_run(result)


def _disagreeing_record():
    record = _record()
    record.rows[0]["error"] = str(float(record.rows[0]["error"]) + 1.0)
    return dict(record=record)


REPORT = [
    Entry("tensorcnn.simulation.report.load_run",
          base=lambda: dict(path=_run_copy()),
          bad=dict(path=[*_BROKEN_PATHS, 123, None, ""], label=[3, b"x", ["a"]]),
          check=_record_check),
    Entry("tensorcnn.simulation.report.load_run[label]",
          call=lambda **kw: __import__("tensorcnn.simulation.report", fromlist=["x"])
          .load_run(**kw),
          base=lambda: dict(path=str(_run_copy()), label="mine"),
          check=_record_check),
    Entry("tensorcnn.simulation.report.RunRecord",
          base=lambda: (lambda r: dict(path=r.path, label="fuzz", summary=r.summary,
                                       rows=r.rows))(_record()),
          bad=dict(path=[3, None, ""], label=[3, None],
                   summary=["summary", {}, {"S": {"x": [1]}}, [1],
                            {"S": dict(_tiny_summary()["S"], mean=[NAN])},
                            {"S": dict(_tiny_summary()["S"], n=[2.5])}],
                   rows=["rows", [1], None], config=[[1], "x", None]),
          check=lambda r, c: None if r.settings == [NAME] and r.title == "fuzz"
          and r.path == Path(c["path"]) and r.config == {} else _fail(r)),
    Entry("tensorcnn.simulation.report.check_run",
          base=lambda: dict(record=_record()),
          bad=dict(record=["record", None, {"summary": {}},
                           Bad(_record_with_rows(_BAD_ROWS), names="record.rows")],
                   rel=[NAN, -1.0, "x", True, None]),
          check=lambda r, c: None if r == [] else _fail(r)),
    Entry("tensorcnn.simulation.report.check_run[disagree]",
          call=lambda **kw: __import__("tensorcnn.simulation.report", fromlist=["x"])
          .check_run(**kw),
          base=_disagreeing_record,
          check=lambda r, c: None if len(r) == 1 and f"{NAME}, n = " in r[0]
          and "mean error" in r[0] else _fail(r)),
    Entry("tensorcnn.simulation.report.write_report",
          base=lambda: dict(records=[_record()], out=_tmp() / "report", title="fuzz report"),
          bad=dict(records=[[], None, "abc", [3], {"a": 1},
                            Bad([_record_with_rows(_BAD_ROWS)], names="record.rows")],
                   out=[3, None, "", _A_FILE], title=[3, None]),
          check=_report_check),
    Entry("tensorcnn.simulation.plots.plot_truth_curves",
          base=lambda: dict(summary=_record().summary, path=_tmp() / "truths.png",
                            title="fuzz"),
          bad=dict(summary=["summary", [1], {}, {"S": {"x": [1.0]}},
                            Bad(_truth_summary(draws=[]), names="draws"),
                            Bad(_truth_summary(draws=[dict(seed=0, r2=0.9, mean=[1.0])]),
                                names="mean"),
                            Bad(_truth_summary(x=[NAN, 1.0]), names="['x']"),
                            Bad(_truth_summary(threshold="x"), names="threshold")],
                   path=[3, None, "", "truths.xyz", "truths"], title=[3, None], xlabel=[3]),
          check=_png_written),
    Entry("tensorcnn.simulation.plots.plot_truth_curves[hand-made]",
          call=lambda **kw: __import__("tensorcnn.simulation.plots", fromlist=["x"])
          .plot_truth_curves(**kw),
          base=lambda: dict(summary=_truth_summary(), path=_tmp() / "sub" / "t.png"),
          check=_png_written),
]


# -- the figure writer -----------------------------------------------------------------------
def _figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1.5, 1.0))           # not pyplot's: nothing global to leak
    fig.add_subplot().plot([0, 1], [1, 0])
    return fig


def _figure_written(result, call):
    assert result == Path(call["path"]), (result, call["path"])
    data = Path(result).read_bytes()
    want = {".png": PNG, ".svg": b"<?xml", ".pdf": b"%PDF"}[Path(result).suffix]
    assert data.startswith(want), data[:16]


FIGURES = [
    Entry("tensorcnn._figures.save_figure",
          base=lambda: dict(fig=_figure(), path=_tmp() / "sub" / "f.png", dpi=40),
          valid=st.builds(lambda suffix, dpi: dict(fig=_figure(), path=_tmp() / f"f.{suffix}",
                                                   dpi=dpi),
                          st.sampled_from(["png", "svg", "pdf"]),
                          st.one_of(st.integers(20, 60), st.floats(20.0, 60.0))),
          bad=dict(fig=[None, "fig", 3, SimpleNamespace(savefig=print)],
                   path=[3, None, "", "figure", "f.xyz", Bad(_ROOT / "dir.png", names="path")],
                   dpi=[0, -1, NAN, INF, "x", True]),
          check=_figure_written),
]
(_ROOT / "dir.png").mkdir()     # a folder whose name looks like a figure file


# -- CLI flags -------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog="fuzz", exit_on_error=False)


def _group():
    return _parser().add_argument_group("g")


BAD_PARSER = [None, "parser", 3, argparse.Namespace()]


def _quietly(function, *args, **kwargs):
    """``function(*args, **kwargs)`` and what it printed on stderr and stdout."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        result = function(*args, **kwargs)
    return result, err.getvalue(), out.getvalue()


def _note(**kw):
    from tensorcnn.cli._flags import deprecation_note

    result, err, _ = _quietly(deprecation_note, **kw)
    assert result is None, result
    return err


def _quiet_check(result, call):
    parser = call["parser"]
    assert result.dest == "quiet", result
    assert parser.parse_args(["--quiet"]).quiet is True
    assert parser.parse_args([]).quiet is False


def _json_check(result, call):
    parser, dest = call["parser"], call.get("dest", "json")
    assert result.dest == dest, result
    assert getattr(parser.parse_args(["--json", "f.json"]), dest) == "f.json"
    assert getattr(parser.parse_args([]), dest) is None
    if call.get("old_switch"):
        namespace, err, _ = _quietly(parser.parse_args, ["--json"])
        assert getattr(namespace, dest) == "-" and "is deprecated" in err, (namespace, err)


def _deprecated_check(result, call):
    from tensorcnn.cli._flags import DeprecatedAlias

    assert isinstance(result, DeprecatedAlias), type(result)
    namespace, err, _ = _quietly(call["parser"].parse_args, [call["old"], "7"])
    assert getattr(namespace, call["dest"]) == 7, namespace
    assert f"{call['old']} is deprecated, use {call['new']}" in err, err


def _alias_check(result, call):
    assert result.help == argparse.SUPPRESS and result.default == argparse.SUPPRESS, result
    assert result.new == call["new"] and result.dest == call["dest"], result
    namespace = argparse.Namespace()
    _, err, _ = _quietly(result, _parser(), namespace, [], call["option_strings"][0])
    assert getattr(namespace, call["dest"]) == call["const"], namespace
    assert "is deprecated, use" in err, err


def _alias(option_strings, dest, **kw):
    from tensorcnn.cli._flags import DeprecatedAlias

    return DeprecatedAlias(option_strings, dest, **kw)


def _circular():
    value: list = []
    value.append(value)
    return value


def _json_written(result, call):
    assert result == Path(call["target"]), result
    assert json.loads(result.read_text()) == call["value"], result.read_text()


def _json_to_stdout(**kw):
    from tensorcnn.cli._flags import write_json

    result, _, out = _quietly(write_json, **kw)
    return result, out


FLAGS = [
    Entry("tensorcnn.cli._flags.deprecation_note", call=_note,
          base=lambda: dict(prog="tensorcnn x", old="--old", new="--new", why=" (renamed)"),
          bad=dict(prog=[3, None], old=[3, b"--old"], new=[None, ["--new"]], why=[3, None]),
          check=lambda r, c: None if r == "tensorcnn x: note: --old is deprecated, use --new "
          "(renamed)\n" else _fail(r)),
    Entry("tensorcnn.cli._flags.add_quiet", base=lambda: dict(parser=_parser()),
          bad=dict(parser=BAD_PARSER), check=_quiet_check),
    Entry("tensorcnn.cli._flags.add_json", base=lambda: dict(parser=_parser(), what="the table"),
          valid=st.builds(lambda dest, old: dict(parser=_parser(), what="x", dest=dest,
                                                 old_switch=old),
                          st.sampled_from(["json", "json_path", "out"]), st.booleans()),
          bad=dict(parser=BAD_PARSER, what=[3, None], dest=[3, "", None],
                   old_switch=["yes", 1, None]),
          check=_json_check),
    Entry("tensorcnn.cli._flags.add_json[group]",
          call=lambda **kw: __import__("tensorcnn.cli._flags", fromlist=["x"]).add_json(**kw),
          base=lambda: (lambda g: dict(parser=g, what="the report"))(_group()),
          check=lambda r, c: None if r.dest == "json" and r.default is None else _fail(r)),
    Entry("tensorcnn.cli._flags.add_deprecated",
          base=lambda: dict(parser=_parser(), old="--batch", new="--batch-size",
                            dest="batch_size", type=int),
          bad=dict(parser=BAD_PARSER, old=[3, "batch", "-", "", None],
                   new=[3, None, ""], dest=[3, "", None], convert=[3, "f"], why=[3, None]),
          check=_deprecated_check),
    Entry("tensorcnn.cli._flags.DeprecatedAlias", call=_alias,
          base=lambda: dict(option_strings=["--no-progress"], dest="quiet", new="--quiet",
                            nargs=0, const=True),
          bad=dict(new=[3, None, ""], convert=[3, "f"], why=[3, None]),
          check=_alias_check),
    Entry("tensorcnn.cli._flags.write_json",
          base=lambda: dict(target=str(_tmp() / "sub" / "a.json"),
                            value={"a": [1, 2.5], "b": None, "c": "x"}),
          bad=dict(target=[3, None, "", b"a.json", Bad(_ROOT, names="target")],
                   value=[{1, 2}, object(), Bad(_circular(), names="value"),
                          {"a": np.zeros(2)}]),
          check=_json_written),
    Entry("tensorcnn.cli._flags.write_json[stdout]", call=_json_to_stdout,
          base=lambda: dict(target="-", value=[1, {"a": True}]),
          check=lambda r, c: None if r[0] is None and json.loads(r[1]) == c["value"]
          else _fail(r)),
]


# -- worker pools ----------------------------------------------------------------------------
def _pool_kwargs_check(result, call):
    from tensorcnn.simulation._pool import watch_parent

    assert result == dict(backend="loky", initializer=watch_parent, initargs=(os.getpid(),)), \
        result


def _sigterm_round_trip():
    """(handler before, inside and after the block): the block must install its own and
    put the previous one back; restored here too, should it not."""
    from tensorcnn.simulation._pool import terminate_on_sigterm

    before = signal.getsignal(signal.SIGTERM)
    try:
        with terminate_on_sigterm():
            inside = signal.getsignal(signal.SIGTERM)
        after = signal.getsignal(signal.SIGTERM)
    finally:
        if before is not None and signal.getsignal(signal.SIGTERM) is not before:
            signal.signal(signal.SIGTERM, before)
    return before, inside, after


def _sigterm_check(result, call):
    from tensorcnn.simulation._pool import PoolTerminated

    before, inside, after = result
    assert callable(inside) and inside is not before, (before, inside)
    assert after == (signal.SIG_DFL if before is None else before), (before, after)
    try:
        inside(signal.SIGTERM, None)
    except PoolTerminated as error:
        assert error.code == 128 + signal.SIGTERM, error.code
    else:
        raise AssertionError("the handler did not raise PoolTerminated")


def _watch_in_child(parent_pid, interval=0.01, wait=0.1):
    """``watch_parent(parent_pid, interval)`` in a forked child: its exit code (0: alive
    after ``wait`` seconds, 1: ended by the watchdog), or the refusal it raised, re-raised
    here. (In this process the watchdog would end the test run.)"""
    from tensorcnn.simulation._pool import watch_parent

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                   # the child: never returns
        code = 0
        try:
            os.close(read)
            try:
                watch_parent(parent_pid, interval)
            except BaseException as error:         # noqa: BLE001 - sent to the parent
                try:
                    payload = pickle.dumps(error)
                except Exception:                  # noqa: BLE001
                    payload = pickle.dumps(RuntimeError(repr(error)))
                os.write(write, payload)
                code = 3
            else:
                time.sleep(wait)
        finally:
            os._exit(code)
    os.close(write)
    deadline = time.monotonic() + 10.0
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read)
            raise AssertionError("the child running watch_parent did not end")
        time.sleep(0.005)
    with os.fdopen(read, "rb") as handle:
        payload = handle.read()
    if payload:
        raise pickle.loads(payload)
    return os.waitstatus_to_exitcode(status)


POOL = [
    Entry("tensorcnn.simulation._pool.pool_kwargs", base=lambda: {}, check=_pool_kwargs_check),
    Entry("tensorcnn.simulation._pool.terminate_on_sigterm", base=lambda: {},
          call=_sigterm_round_trip, check=_sigterm_check),
    # the child's parent is this process: the watchdog keeps it alive
    Entry("tensorcnn.simulation._pool.watch_parent", call=_watch_in_child,
          base=lambda: dict(parent_pid=os.getpid(), interval=0.01),
          bad=dict(parent_pid=["1", 2.5, True, 0, -1, None],
                   interval=[0, -0.1, NAN, INF, "0.2", True]),
          check=lambda r, c: None if r == 0 else _fail(f"child exit code {r}, want 0")),
    # a pid that is not the child's parent: the watchdog ends the child at once
    Entry("tensorcnn.simulation._pool.watch_parent[orphan]", call=_watch_in_child,
          base=lambda: dict(parent_pid=os.getpid() + 1, interval=0.01, wait=5.0),
          check=lambda r, c: None if r == 1 else _fail(f"child exit code {r}, want 1")),
]


# -- estimators' helpers ---------------------------------------------------------------------
def _rms(values) -> float:
    """The root mean square, overflow-safe (the reference for data_scale)."""
    flat = np.ravel(np.asarray(values, dtype=float))
    peak = float(np.max(np.abs(flat))) if flat.size else 0.0
    if peak == 0.0:
        return 0.0
    return peak * math.sqrt(float(np.mean((flat / peak) ** 2)))


def _scale_check(result, call):
    rms = _rms(call["values"])
    assert isinstance(result, float) and result > 0 and math.isfinite(result), result
    if rms == 0.0:
        assert result == 1.0, result
    elif call.get("exact"):
        assert math.isclose(result, rms, rel_tol=1e-12), (result, rms)
    else:
        assert math.frexp(result)[0] == 0.5, f"{result} is not a power of 2"
        assert rms / math.sqrt(2) <= result * (1 + 1e-12) and result <= rms * math.sqrt(2) \
            * (1 + 1e-12), (result, rms)


_SCALE_VALUES = st.one_of(
    st.lists(st.floats(-1e300, 1e300, allow_nan=False), max_size=6).map(np.array),
    st.lists(st.floats(-1e-300, 1e-300, allow_nan=False), min_size=1, max_size=4).map(np.array),
    st.lists(st.integers(-(2**62), 2**62), min_size=1, max_size=4)
    .map(lambda v: np.array(v, dtype=np.int64)),
    st.lists(st.booleans(), min_size=1, max_size=5).map(np.array),
)


@functools.cache
def _fitted_estimator():
    from tensorcnn.estimators import RankKRegressor

    spec = _setting().spec
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, *spec.input_shape))
    return RankKRegressor(spec, rng=0).fit(X, rng.standard_normal(20))


def _fitted():
    return copy.deepcopy(_fitted_estimator())


def _unfitted():
    from tensorcnn.estimators import RankKRegressor

    return RankKRegressor(_setting().spec)


ESTIMATORS = [
    Entry("tensorcnn.estimators._base.data_scale",
          base=lambda: dict(values=np.array([[3.0, -4.0], [0.0, 0.0]]), name="M"),
          valid=st.builds(lambda v, exact: dict(values=v, name="y", exact=exact),
                          _SCALE_VALUES, st.booleans()),
          bad=dict(values=[Bad(np.array([1.0, NAN]), names="M"), Bad(np.array([INF]), names="M"),
                           Bad("abc", names="M"), Bad(np.array([1 + 2j]), names="M"),
                           Bad(np.array([None, 1.0], dtype=object), names="M")],
                   name=[3, None, b"M"], exact=["yes", 1, None]),
          check=_scale_check),
    Entry("tensorcnn.estimators._base.check_finite_fit",
          base=lambda: dict(estimator=_fitted()),
          bad=dict(estimator=[Bad(SimpleNamespace(W_=np.array([NAN]), objective_=1.0),
                                  names="W_"),
                              Bad(SimpleNamespace(W_=np.zeros(2), objective_=INF),
                                  names="objective_"),
                              Bad(SimpleNamespace(W_="abc", objective_=1.0), names="W_"),
                              _unfitted(), None],
                   names=["W_", [3], ("no_such_",), None]),
          check=lambda r, c: None if r is None else _fail(r)),
]


# -- model kinds and the row builder ---------------------------------------------------------
BAD_SETTING = ["S1", None, 3, _setting().spec]

MODELS = [
    Entry("tensorcnn.data.models.ModelKind.n_params",
          call=lambda kind, setting: kind.n_params(setting),
          base=lambda: dict(kind=__import__("tensorcnn.data", fromlist=["x"]).model_kind("rank"),
                            setting=_setting()),
          bad=dict(setting=BAD_SETTING),
          check=lambda r, c: None if r == c["setting"].spec.n_params == 9 else _fail(r)),
    Entry("tensorcnn.data.models.ModelKind.n_free_params",
          call=lambda kind, setting: kind.n_free_params(setting),
          base=lambda: dict(kind=__import__("tensorcnn.data", fromlist=["x"]).model_kind("cp"),
                            setting=_setting("cp")),
          bad=dict(setting=BAD_SETTING),
          check=lambda r, c: None if isinstance(r, int) and 0 < r <= c["setting"].n_params
          else _fail(r)),
    Entry("tensorcnn.data.models.ModelKind.fitted_rank",
          call=lambda kind, setting: kind.fitted_rank(setting),
          base=lambda: dict(kind=__import__("tensorcnn.data", fromlist=["x"])
                            .model_kind("tucker"), setting=_setting("tucker")),
          bad=dict(setting=BAD_SETTING),
          check=lambda r, c: None if r == 1 else _fail(r)),
    Entry("tensorcnn.data.models.ModelKind.check",
          call=lambda kind, setting: kind.check(setting),
          base=lambda: dict(kind=__import__("tensorcnn.data", fromlist=["x"]).model_kind("cp"),
                            setting=_setting("cp")),
          bad=dict(setting=BAD_SETTING + [Bad(_setting("tucker"), names="CP setting")]),
          check=lambda r, c: None if r is None else _fail(r)),
    Entry("tensorcnn.data.models.ModelKind.draw_weights",
          call=lambda kind, setting, rng: kind.draw_weights(setting, rng),
          base=lambda: dict(kind=__import__("tensorcnn.data", fromlist=["x"])
                            .model_kind("tucker"), setting=_setting("tucker"), rng=3),
          bad=dict(setting=BAD_SETTING, rng=[-1, "x", 1.5]),
          check=lambda r, c: None if r.W.shape == tuple(c["setting"].spec.weight_shape)
          else _fail(r.W.shape)),
    Entry("tensorcnn.data.models.ModelKind.make_estimator",
          call=lambda kind, setting, first_starts: kind.make_estimator(setting, first_starts),
          base=lambda: dict(kind=__import__("tensorcnn.data", fromlist=["x"])
                            .model_kind("tucker"), setting=_setting("tucker"), first_starts=2),
          bad=dict(setting=BAD_SETTING, first_starts=[0, 2.5, True, "1"]),
          check=lambda r, c: None if type(r).__name__ == "TuckerRegressor" and r.n_init == 2
          else _fail(r)),
]


def _row_base() -> dict:
    setting = _setting()
    rng = np.random.default_rng(1)
    return dict(setting=setting, truth=rng.standard_normal(setting.spec.weight_shape),
                X_test=rng.standard_normal((5, math.prod(setting.spec.input_shape))), n=20,
                rep=0, estimator=_fitted(), solver="als", seconds=0.01, cpu_seconds=0.02)


def _row_check(row, call):
    estimator, truth = call["estimator"], call["truth"]
    setting = call["setting"]
    assert row["setting"] == NAME and row["n"] == call["n"] and row["rep"] == call["rep"], row
    assert math.isclose(row["x"], math.sqrt(setting.n_params / call["n"])), row
    assert math.isclose(row["error"], float(np.linalg.norm(estimator.W_ - truth))), row
    assert 0 <= row["error_identified"] and 0 <= row["prediction_error"], row
    assert row["objective"] == estimator.objective_ and row["converged"] is True, row
    assert row["fit_seconds"] == call["seconds"] and row["cpu_seconds"] == call["cpu_seconds"]


ROWS = [
    Entry("tensorcnn.simulation.replication.fit_row", base=_row_base,
          bad=dict(setting=BAD_SETTING,
                   truth=[[[0.0] * 4] * 4, np.zeros((3, 3)), np.full((4, 4), NAN), "x",
                          np.zeros((4, 4), dtype=complex)],
                   X_test=[np.zeros((5, 7)), np.zeros(30), np.full((5, 30), INF), "x",
                           np.zeros((0, 30))],
                   n=[0, 2.5, True, "20"], rep=[-1, 1.5, True],
                   estimator=[None, _unfitted(),
                              Bad(SimpleNamespace(W_=np.zeros(3), objective_=0.0, n_iter_=1,
                                                  converged_=True), names="estimator.W_")],
                   solver=[3, None], seconds=[-1.0, NAN, "x"], cpu_seconds=[-1.0, INF]),
          check=_row_check),
]

ENTRIES: list[Entry] = [*REPORT, *FIGURES, *FLAGS, *POOL, *ESTIMATORS, *MODELS, *ROWS]
EXEMPT: list[Exempt] = []
