"""Fuzz entries for the public names of tensorcnn.simulation and neighbours that need a model, data
set, file or result object as input (issue #14); see tests/fuzz/registry.py.

Covered here: the estimators (constructor + ``fit`` on a tiny CNN), their trace-regression
helpers, the MACs counting of :mod:`tensorcnn.counting` (tiny torch models), and the
simulation's sweep, experiments, experiment files, checkpoint store, result files, plots and
truth-draw studies (a 6 × 5 rank-1 setting fitted at 2 sizes, 1 replication; files in fresh
``tempfile.mkdtemp()`` folders). Every ``base`` builds its own inputs, so an invalid case
(which calls ``base()`` again) never sees another case's objects.
"""

from __future__ import annotations

import atexit
import math
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from .registry import PROTOCOL, Bad, Entry, Exempt, instance, shape

NAN, INF = float("nan"), float("inf")
BAD_RNG = [-1, "seed", 1.5]
BAD_POS_INT = [0, -1, 2.5, "2", True]


def _fail(message: str):
    raise AssertionError(message)


#: One folder for the whole run, removed at exit; each call gets a fresh folder inside it.
_ROOT = Path(tempfile.mkdtemp(prefix="tensorcnn-fuzz-sim-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)


def _tmp() -> Path:
    return Path(tempfile.mkdtemp(dir=_ROOT))


# -- estimators ----------------------------------------------------------------------------
def _spec(n_kernels: int = 1):
    from tensorcnn import CNNSpec

    return CNNSpec((6, 5), (2, 2), (2, 2), n_kernels)


def _data(n: int = 20, n_kernels: int = 1, scale: float = 1.0, labels: bool = False):
    """(X, y) of a tiny rank-K CNN: n inputs 6 × 5, y = CNN(X) + noise (or its sign)."""
    rng = np.random.default_rng(0)
    spec = _spec(n_kernels)
    X = rng.standard_normal((n, *spec.input_shape))
    A = rng.standard_normal((n_kernels, *spec.kernel_shape))
    B = rng.standard_normal((n_kernels, *spec.pooled_shape))
    y = spec.forward(X, A, B) + 0.1 * rng.standard_normal(n)
    if labels:
        return X * scale, (y > np.median(y)).astype(int)
    return X * scale, y


def _fit(name: str):
    def call(X, y, **params):
        from tensorcnn import estimators

        return getattr(estimators, name)(**params).fit(X, y)

    return call


def _fitted(name: str, n_out: int | None = None):
    """A check: the fitted estimator's class and W_'s shape ((n_out,) + weight_shape)."""

    def check(result, call):
        assert type(result).__name__ == name, type(result).__name__
        want = tuple(call["spec"].weight_shape)
        if n_out is not None:
            want = (n_out, *want)
        assert result.W_.shape == want, f"W_ {result.W_.shape} != {want}"
        assert math.isfinite(result.objective_), result.objective_

    return check


def _regressor_base(params: dict, n_kernels: int = 1, scale: float = 1.0):
    def base():
        X, y = _data(n_kernels=n_kernels, scale=scale)
        return dict(X=X, y=y, spec=_spec(n_kernels), **params)

    return base


def _scaled(params: dict, n_kernels: int = 1):
    """More valid fits: X rescaled far from 1 (the fits are scale-equivariant)."""
    return st.sampled_from([1e-150, 1e-8, 1e8, 1e150, 1e200]).map(
        lambda scale: _regressor_base(params, n_kernels, scale)())


def _bad_xy(n: int = 20):
    X, y = _data(n)
    return dict(
        X=[np.full_like(X, NAN), np.ones((n, 5, 6)), np.ones((n, 6)), "X",
           X.astype(complex), np.ones((n, 6, 5, 1))],
        y=[np.ones(n - 1), np.ones((n, 1)), np.full(n, NAN), "y", np.full(n, INF),
           Bad(y * 1e200, names="rescale X and y")])


_COMMON_BAD = dict(spec=["spec", None, 3, _spec], tol=[-1.0, NAN, "x"],
                   max_iter=BAD_POS_INT, rng=BAD_RNG)
_MULTI_BAD = dict(_COMMON_BAD, n_init=BAD_POS_INT, n_screen=[0, 1.5, True])
_RANK_PARAMS = dict(n_init=2, n_screen=1, max_iter=20)
_TUCKER_PARAMS = dict(ranks=(2, 1, 2), n_init=2, n_screen=2, max_iter=30)
_CP_PARAMS = dict(rank=2, n_init=2, n_screen=2, max_iter=30)
_GD_PARAMS = dict(max_iter=300, tol=1e-6)


def _logistic_base():
    X, y = _data(labels=True)
    return dict(X=X, y=y, spec=_spec(), max_iter=50)


def _warned(**kwargs):
    """``warn_not_converged``'s warning message (the harness ignores warnings)."""
    from tensorcnn.estimators._base import warn_not_converged

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_not_converged(**kwargs)
    assert len(caught) == 1, caught
    return str(caught[0].message)


def _trace_data(n: int = 5):
    spec = _spec()
    rng = np.random.default_rng(1)
    return spec, rng.standard_normal((n, *spec.weight_shape))


def _quadratic_check(result, call):
    P, L = call["M"].shape[1], math.prod(call["M"].shape[2:])
    assert result.gram.shape == (P, L, P, L), result.gram.shape
    theta = np.random.default_rng(2).standard_normal((P, L))
    np.testing.assert_allclose(result.value(theta), result.exact_value(theta), rtol=1e-9)


def _inputs_to_trace_check(result, call):
    from tensorcnn.estimators._trace import design_to_trace

    spec = call["spec"]
    np.testing.assert_allclose(result, design_to_trace(spec, spec.design(call["X"])),
                               rtol=1e-12, atol=1e-13)


def _quadratic_base():
    from tensorcnn.estimators._trace import design_to_trace

    spec, Z = _trace_data()
    return dict(M=design_to_trace(spec, Z), y=np.arange(5.0))


@st.composite
def _theta_calls(draw):
    from tensorcnn import CNNSpec

    modes = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(modes))
    pool = tuple(draw(st.integers(1, 2)) for _ in range(modes))
    spec = CNNSpec(tuple(k + p for k, p in zip(kernel, pool)), kernel, pool, 1)
    P, L = math.prod(spec.pooled_shape), math.prod(spec.kernel_shape)
    theta = np.random.default_rng(draw(st.integers(0, 99))).standard_normal((P, L))
    return dict(spec=spec, theta=theta)


def _round_trip(result, call):
    from tensorcnn.estimators._trace import weight_to_theta

    assert result.shape == tuple(call["spec"].weight_shape), result.shape
    np.testing.assert_array_equal(weight_to_theta(call["spec"], result), call["theta"])


ESTIMATORS = [
    Entry("tensorcnn.estimators.lowrank.RankKRegressor", call=_fit("RankKRegressor"),
          base=_regressor_base(_RANK_PARAMS), bad=dict(_bad_xy(), **_MULTI_BAD),
          valid=_scaled(_RANK_PARAMS), check=_fitted("RankKRegressor")),
    Entry("tensorcnn.estimators.structured.TuckerRegressor", call=_fit("TuckerRegressor"),
          base=_regressor_base(_TUCKER_PARAMS, n_kernels=2),
          bad=dict(_bad_xy(), **_MULTI_BAD, ranks=[(3, 1, 2), (2, 1), (2, 1, 3), (0, 1, 1),
                                                   "r", None, (1.5, 1, 1)],
                   warm_start=["yes", 1], finish=["svd", None]),
          valid=_scaled(_TUCKER_PARAMS, n_kernels=2), check=_fitted("TuckerRegressor")),
    Entry("tensorcnn.estimators.structured.CPRegressor", call=_fit("CPRegressor"),
          base=_regressor_base(_CP_PARAMS, n_kernels=2),
          bad=dict(_bad_xy(), **_MULTI_BAD, rank=BAD_POS_INT + [None],
                   warm_start=["no"], finish=["newton"]),
          valid=_scaled(_CP_PARAMS, n_kernels=2), check=_fitted("CPRegressor")),
    Entry("tensorcnn.estimators.gd.PaperGDRegressor", call=_fit("PaperGDRegressor"),
          base=_regressor_base(_GD_PARAMS),
          bad=dict(_bad_xy(), **_COMMON_BAD,
                   learning_rate=[0, -0.1, NAN, INF, "0.01", Bad(1e3, names="learning_rate")],
                   momentum=[1.0, -0.1, NAN, "0.9"], units=["raw", None]),
          check=_fitted("PaperGDRegressor")),
    Entry("tensorcnn.estimators.gd.PaperGDRegressor[diverging]", call=_fit("PaperGDRegressor"),
          base=_regressor_base(_GD_PARAMS),
          # the paper's absolute step on data of scale 1e150: refused, as a divergence
          bad=dict(X=[Bad(_data(scale=1e150)[0], names="diverged")])),
    Entry("tensorcnn.estimators.logistic.LogisticCNNClassifier",
          call=_fit("LogisticCNNClassifier"), base=_logistic_base,
          bad=dict(X=_bad_xy()["X"], spec=_COMMON_BAD["spec"],
                   y=[np.full(20, 2), np.full(20, -1), np.full(20, 0.5), np.ones(19),
                      np.full(20, NAN), "y", np.ones((20, 1))],
                   n_classes=[1, 2.5, "2", True, None], tol=[0, -1.0, NAN],
                   max_iter=BAD_POS_INT),
          valid=st.sampled_from([1e-100, 1e100, 1e200]).map(
              lambda scale: {**_logistic_base(), "X": _logistic_base()["X"] * scale}),
          check=_fitted("LogisticCNNClassifier", n_out=1)),
    Entry("tensorcnn.estimators.logistic.LogisticCNNClassifier[3 classes]",
          call=_fit("LogisticCNNClassifier"),
          base=lambda: {**_logistic_base(), "n_classes": 3},
          bad=dict(y=[np.full(20, 3)]),
          check=_fitted("LogisticCNNClassifier", n_out=2)),
    Entry("tensorcnn.estimators._base.warn_not_converged", call=_warned,
          base=lambda: dict(name="MyEstimator", max_iter=10, change=0.5, tol=1e-8),
          bad=dict(name=[3, None], max_iter=BAD_POS_INT, change=["x", None, True],
                   tol=[-1.0, NAN, "x"], stopped=[3, b"x"]),
          check=lambda r, c: None if r.startswith(c["name"]) and "max_iter=10" in r
          else _fail(r)),
    Entry("tensorcnn.estimators._quadratic.QuadraticObjective", base=_quadratic_base,
          bad=dict(M=["M", np.full((5, 4, 2, 2), NAN), np.ones((5, 16)), np.ones((0, 4, 2, 2)),
                      np.ones((5, 4, 2, 2), complex)],
                   y=[np.ones(4), np.full(5, INF), "y", np.ones((5, 1))]),
          check=_quadratic_check),
    Entry("tensorcnn.estimators._trace.design_to_trace",
          base=lambda: dict(zip(("spec", "Z"), _trace_data())),
          bad=dict(spec=["spec", None], Z=["Z", np.ones((5, 4, 5)), np.ones((4, 4)), None,
                                          np.ones((5, 4, 4, 1))]),
          check=shape(lambda c: (c["Z"].shape[0], 4, 2, 2))),
    Entry("tensorcnn.estimators._trace.inputs_to_trace",
          base=lambda: dict(spec=_spec(), X=np.random.default_rng(3).standard_normal((4, 6, 5))),
          bad=dict(spec=["spec", None], X=["X", np.ones((4, 5, 6)), np.ones((4, 30)), None]),
          check=_inputs_to_trace_check),
    Entry("tensorcnn.estimators._trace.trace_inner",
          base=lambda: dict(M=np.arange(64.0).reshape(4, 4, 2, 2),
                            theta=np.arange(16.0).reshape(4, 4)),
          bad=dict(M=["M", None, np.ones((4, 3, 2, 2)), np.ones((4, 16)), np.ones((4, 4, 3))],
                   theta=["theta", None, np.ones((4, 5)), np.ones(16)]),
          check=lambda r, c: np.testing.assert_allclose(
              r, c["M"].reshape(4, -1) @ c["theta"].ravel())),
    Entry("tensorcnn.estimators._trace.theta_to_weight",
          base=lambda: dict(spec=_spec(), theta=np.arange(16.0).reshape(4, 4)),
          bad=dict(spec=["spec", None], theta=["theta", np.ones((4, 5)), np.ones(16),
                                                np.ones((1, 4, 4)), None]),
          valid=_theta_calls(), check=_round_trip),
    Entry("tensorcnn.estimators._trace.weight_to_theta",
          base=lambda: dict(spec=_spec(), W=np.arange(16.0).reshape(4, 4)),
          bad=dict(spec=["spec", None], W=["W", np.ones((4, 5)), np.ones(16)]),
          check=shape((4, 4))),
]


# -- counting --------------------------------------------------------------------------------
def _bottleneck():
    from torch import nn

    return nn.Sequential(nn.Conv2d(4, 2, 1), nn.Conv2d(2, 2, 3, padding=1), nn.Conv2d(2, 4, 1))


def _conv_net():
    from torch import nn

    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())


def _gated_net():
    """A net with one leaf no MACs handler covers (an ``x * 2`` layer)."""
    from torch import nn

    class Doubler(nn.Module):
        def forward(self, x):
            return x * 2

    return nn.Sequential(nn.Conv2d(1, 2, 3), Doubler())


def _audit(model=None, input_shape=(4, 6, 6)):
    from tensorcnn.counting import audit

    return audit(model if model is not None else _bottleneck(), input_shape)


def _first_call():
    from torch import nn

    from tensorcnn.counting import trace_calls

    return trace_calls(nn.Conv2d(1, 2, 3), (1, 6, 6))[0]


def _fresh_module_type():
    from torch import nn

    return type("FuzzLayer", (nn.Module,), {})


class _UnhashableCallable:
    __hash__ = None

    def __call__(self, *args):
        return 0

    def __eq__(self, other):
        return self is other


def _registered(result, call):
    from tensorcnn.counting import macs_handler

    assert result is call["fn"], result
    assert macs_handler(call["module_type"]) is call["fn"]


def _function_registered(result, call):
    from tensorcnn.counting.registry import function_handler

    assert result is call["fn"] and function_handler(call["function"]) is call["fn"]


def _fresh_function():
    def fuzz_function(x):
        return x

    return fuzz_function


def _audit_check(result, call):
    from tensorcnn.counting import AuditReport

    assert isinstance(result, AuditReport), type(result)
    assert [(b.kind, b.rank, b.out_channels, b.t) for b in result.blocks] == [
        ("bottleneck", 2, 4, 2.0)], result.blocks
    assert result.total_params == sum(p.numel() for p in call["model"].parameters())


def _report_dict_check(result, call):
    assert result["params_saved"] == sum(b["params_saved"] for b in result["blocks"])
    block = result["blocks"][0]
    assert block["params_saved"] == block["params"] - block["params_t1"] > 0, block
    assert result["input_shape"] == [4, 6, 6], result["input_shape"]


def _trace_check(result, call):
    from tensorcnn.counting import LeafCall

    assert [type(c) for c in result] == [LeafCall, LeafCall], result
    assert [c.output_shape for c in result] == [(1, 2, 4, 4)] * 2, result


COUNTING = [
    Entry("tensorcnn.counting.audit.audit",
          base=lambda: dict(model=_bottleneck(), input_shape=(4, 6, 6)),
          bad=dict(model=[123, "model", None],
                   input_shape=["x", (4, 0, 6), (4, 2.5, 6), (), None, (3, 6, 6)],
                   unknown=["x", None, "WARN"]),
          check=_audit_check),
    Entry("tensorcnn.counting.audit.AuditReport.as_dict",
          call=lambda report: report.as_dict(), base=lambda: dict(report=_audit()),
          check=_report_dict_check),
    Entry("tensorcnn.counting.audit.BlockRow.as_dict",
          call=lambda row: row.as_dict(), base=lambda: dict(row=_audit().blocks[0]),
          check=lambda r, c: None if r["macs_saved"] == r["macs"] - r["macs_t1"] > 0
          and r["kind"] == "bottleneck" else _fail(r)),
    Entry("tensorcnn.counting.trace.call_macs",
          base=lambda: dict(call=_first_call(), out_channels=None, unknown="warn"),
          bad=dict(call=["call", None, Bad(123, names="call")],
                   out_channels=[0, -1, 2.5, "2", True], unknown=["x", None]),
          valid=st.sampled_from([None, 1, 2, 5]).map(
              lambda k: dict(call=_first_call(), out_channels=k)),
          # Conv2d(1, 2, 3) on 6 × 6: 4 × 4 outputs per channel, 9 MACs + 1 bias each
          check=lambda r, c: None if r == 16 * 10 * (c.get("out_channels") or 2)
          else _fail(f"{r} MACs for {c.get('out_channels')} channels")),
    Entry("tensorcnn.counting.registry.macs_handler",
          base=lambda: dict(module_type=__import__("torch").nn.Conv2d),
          bad=dict(module_type=["x", 3, None, _conv_net()]),
          check=lambda r, c: None if callable(r) else _fail(r)),
    Entry("tensorcnn.counting.external.ptflops_macs",
          base=lambda: dict(model=_conv_net()[0], input_shape=(1, 6, 6)),
          bad=dict(model=[123, "model", None], input_shape=["x", (1, 0, 6), (), (1, 2.5, 6)]),
          check=lambda r, c: None if r == 320 else _fail(f"{r} MACs, 320 expected")),
    Entry("tensorcnn.counting.registry.register_macs",
          base=lambda: dict(module_type=_fresh_module_type(), fn=lambda call: 7),
          bad=dict(module_type=["x", 3, None, (), Bad(__import__("torch").nn.Module,
                                                       names="nn.Module"),
                                (_fresh_module_type(), "x"), _conv_net()],
                   fn=[3, "fn"]),
          check=_registered),
    Entry("tensorcnn.counting.registry.register_function_macs",
          base=lambda: dict(function=_fresh_function(), fn=lambda call: 5),
          bad=dict(function=["x", 3, (), (_fresh_function(), 3), _UnhashableCallable()],
                   fn=[3, "fn"]),
          check=_function_registered),
    Entry("tensorcnn.counting.registry.function_handler",
          base=lambda: dict(function=__import__("torch").nn.functional.relu),
          bad=dict(function=["x", 3, [1]]),
          check=lambda r, c: None if callable(r) else _fail(r)),
    Entry("tensorcnn.counting.trace.trace_calls",
          base=lambda: dict(model=_conv_net(), input_shape=(1, 6, 6)),
          bad=dict(model=[123, "model", None],
                   # (2, 6, 6): a channel mismatch; (1, 2, 2): smaller than the kernel
                   input_shape=["x", (1, 0, 6), (), (1, 2.5, 6), (2, 6, 6), (1, 2, 2)]),
          check=_trace_check),
    Entry("tensorcnn.counting.trace.uncounted_modules",
          base=lambda: (lambda m: dict(model=m, calls=__import__(
              "tensorcnn.counting", fromlist=["x"]).trace_calls(m, (1, 6, 6))))(_gated_net()),
          bad=dict(model=[123, "model", None], calls=["calls", [1], None, 5]),
          check=lambda r, c: None if [(name, why) for name, _, why in r] == [
              ("1", "no MACs handler")] else _fail(r)),
]


# -- simulation -------------------------------------------------------------------------------
SIZES = (20, 30)


def _setting(name: str = "tiny-rank"):
    from tensorcnn.data import Setting

    return Setting(name, (6, 5), (2, 2), (2, 2), 1)


def _tasks(name: str = "tiny-rank"):
    from tensorcnn.simulation import make_tasks

    return make_tasks([_setting(name)], 1, 0, sizes={name: SIZES})


def _run(name: str = "tiny-rank", **kw):
    from tensorcnn.simulation import SettingRun

    return SettingRun(_setting(name), n_reps=1, sizes=SIZES, **kw)


def _experiment(**kw):
    from tensorcnn.simulation import Experiment, Panel

    options = dict(name="fuzz", runs=(_run(),), panels=(Panel("a.png", "t", ("tiny-rank",)),),
                   bounds=False)
    return Experiment(**{**options, **kw})


def _results(seeds=(0, 1)):
    from tensorcnn.simulation import truth_draws

    return truth_draws(_experiment(), list(seeds), progress=False)


def _rows_ok(n: int):
    def check(result, call):
        assert isinstance(result, list) and len(result) == n, result
        for row in result:
            assert math.isfinite(row["error"]) and row["error"] >= 0, row

    return check


def _sweep_check(result, call):
    rows, seconds = result
    assert len(rows) == len(SIZES) and seconds >= 0, result
    assert [r["n"] for r in rows] == list(SIZES), rows
    assert call["report"]["computed_fits"] == len(SIZES), call["report"]


def _store_with_task():
    from tensorcnn.simulation.io import DirectoryStore

    store = DirectoryStore(_tmp())
    task = _tasks()[0]
    store.save(task, [dict(n=n, rep=0, error=1.0) for n in SIZES])
    return dict(store=store, task=task)


def _saved(result, call):
    assert result is None
    assert call["store"].load_task(call["task"]) == list(call["rows"])


def _experiment_file(text: str | None = None) -> Path:
    path = _tmp() / "study.toml"
    path.write_text(text if text is not None else TOML)
    return path


TOML = """name = "fuzz"
seed = 0
replications = 1
bounds = false

[[setting]]
name = "tiny"
input_shape = [6, 5]
kernel_shape = [2, 2]
pool_shape = [2, 2]
n_kernels = 1
grid = { n = [20, 30] }
"""


def _parsed(result, call):
    from tensorcnn.simulation import Experiment

    assert isinstance(result, Experiment), type(result)
    assert [run.sample_sizes() for run in result.runs] == [(20, 30)], result.runs
    assert result.runs[0].setting.input_shape == (6, 5) and result.runs[0].n_reps == 1


def _dumped(result, call):
    from tensorcnn.simulation import parse_experiment

    back = parse_experiment(result)
    assert back.settings == call["experiment"].settings, back.settings
    assert [run.sample_sizes() for run in back.runs] == [SIZES], back.runs
    header = call.get("header", "")
    assert result.splitlines()[:len(header.splitlines())] == [
        f"# {line}" for line in header.splitlines()], result


def _summary():
    return {"tiny": dict(x=[0.2, 0.4], mean=[1.0, 2.0], sd=[0.1, 0.2], slope=5.0,
                         intercept=0.0, r2=1.0, bound=dict(defined=True, values=[10.0, 30.0])),
            "_run": dict(wall_seconds=1.0)}


def _r2_rows():
    return [dict(seed=0, setting="A", r2=0.97, truth_norm=1.0),
            dict(seed=1, setting="A", r2=0.90, truth_norm=2.0),
            dict(seed=2, setting="A", r2=0.99, truth_norm=3.0)]


@st.composite
def _r2_calls(draw):
    r2 = draw(st.lists(st.floats(0, 1), min_size=1, max_size=6))
    return dict(rows=[dict(seed=i, setting="A", r2=v, truth_norm=1.0 + i)
                      for i, v in enumerate(r2)],
                threshold=draw(st.floats(0.01, 1.0)))


def _share_check(result, call):
    r2 = np.array([row["r2"] for row in call["rows"]])
    want = float(np.mean(r2 >= call["threshold"]))
    assert result["A"]["share_at_least"] == want, (result["A"], want)
    assert result["A"]["n_truths"] == len(r2)


def _file_written(result, call):
    assert Path(result).is_file() and Path(result).stat().st_size > 0, result


def _figure(name: str = "c.png") -> Path:
    return _tmp() / name


def _replication_truth():
    from tensorcnn.simulation.replication import setting_truth

    return setting_truth(_setting(), 0)


def _regression_base():
    weights, transition = _replication_truth()
    return dict(setting=_setting(), n_samples=5, weights=weights, transition=transition,
                rng=np.random.default_rng(0), n_test=3)


def _regression_check(result, call):
    from tensorcnn.simulation import RegressionData

    assert isinstance(result, RegressionData), type(result)
    assert result.X.shape == (call["n_samples"], 6, 5), result.X.shape
    assert result.y.shape == (call["n_samples"],) and result.y_test.shape == (call["n_test"],)



SIMULATION = [
    # -- runner
    Entry("tensorcnn.simulation.runner.Task",
          base=lambda: dict(setting_index=0, setting=_setting(), sizes=SIZES, reps=(0,), seed=0,
                            solver="als"),
          bad=dict(setting_index=[-1, 1.5, True, None], setting=["S1", None],
                   sizes=[(), [20, 30], (0, 30), (20.5,), (20, 20), None],
                   reps=[(), (-1,), (0.5,), [0]], seed=[-1, 1.5, "0"],
                   solver=["svd", None], device=[3]),
          check=lambda r, c: None if r.key.startswith("tiny-rank__r00000-00000__als__n2-20-30")
          else _fail(r.key)),
    Entry("tensorcnn.simulation.runner.run_task", base=lambda: dict(task=_tasks()[0]),
          bad=dict(task=["task", None, Bad(_setting(), names="task")]),
          check=_rows_ok(len(SIZES))),
    Entry("tensorcnn.simulation.runner.run_sweep",
          base=lambda: dict(tasks=_tasks(), progress=False, report={},
                            store=__import__("tensorcnn.simulation.io", fromlist=["x"])
                            .DirectoryStore(_tmp())),
          bad=dict(tasks=["tasks", [1], None, 5], workers=[0, 1.5, "2"],
                   store=["store", 3], progress=["yes", None, 1], report=["x", []],
                   device=[3, "nonsense"], scheduler=[3]),
          check=_sweep_check),
    # -- replication (lead's module)
    Entry("tensorcnn.simulation.replication.fit_replication",
          base=lambda: dict(setting=_setting(), sizes=list(SIZES), rep=0, seed=0),
          bad=dict(setting=["S1", None],
                   sizes=[[], [0], [2.5], "20", [20, 20],
                          [3, 20]],
                   rep=[-1, 1.5], seed=[-1, "0"], solver=["svd", 3]),
          check=_rows_ok(len(SIZES))),
    Entry("tensorcnn.simulation.replication.simulate_regression", base=_regression_base,
          bad=dict(n_samples=[0, 2.5, "5"], n_test=[0, -1],
                   setting=["S1", None], weights=["W", None],
                   rng=["rng", -1, 1.5]),
          check=_regression_check),
    # -- experiments
    Entry("tensorcnn.simulation.experiments.experiment_settings",
          base=lambda: dict(name="theorem1", names=["S1"], inputs="iid"),
          bad=dict(name=["theorem3", None, 3], names=["S1", ["S9"], [3], 5],
                   inputs=["x", None], paper_size=["yes", 1]),
          check=lambda r, c: None if [s.name for s in r[0]] == ["S1"] and len(r[1]) == 1
          else _fail(r)),
    Entry("tensorcnn.simulation.experiments.experiment_settings[fig3]",
          call=lambda **kw: __import__("tensorcnn.simulation", fromlist=["x"])
          .experiment_settings(**kw),
          base=lambda: dict(name="fig3", names=["S1", "T1"], inputs="iid"),
          bad=dict(names=[[3], ["T9"], "S1"])),
    Entry("tensorcnn.simulation.experiments.experiment_plan",
          base=lambda: dict(name="theorem1", names=["S1"], n_reps=1, n_points=2, inputs="iid"),
          bad=dict(name=["x"], n_reps=BAD_POS_INT, seed=[-1, 1.5], n_points=[1, 2.5],
                   batch_size=[0, 2.5], solver=["svd", 3], workers=[0, "1"],
                   sizes=[[2.5], "300", [], [0], 5], scheduler=[3], paper_size=["yes"]),
          check=lambda r, c: None if [run.setting.name for run in r.runs] == ["S1"]
          and len(r.runs[0].sample_sizes()) == 2 else _fail(r)),
    Entry("tensorcnn.simulation.experiments.run_experiment",
          base=lambda: dict(name="theorem1", names=["S1"], n_reps=1, n_points=2, inputs="iid",
                            progress=False),
          bad=dict(name=["theorem3", None], names=["S1", ["S9"], [3]], n_reps=[0, 2.5],
                   seed=[-1, "0"], workers=[0], store=["store"], progress=["yes", None],
                   inputs=["x"], n_points=[1, 2.5], batch_size=[0], paper_size=["yes"],
                   sizes=[[2.5], "300", []]),
          check=lambda r, c: None if len(r.rows) == 2 and "S1" in r.summary
          and math.isfinite(r.summary["S1"]["slope"]) else _fail(r)),
    Entry("tensorcnn.simulation.experiments.SettingRun",
          base=lambda: dict(setting=_setting(), n_reps=1, sizes=SIZES),
          bad=dict(setting=["S1", None], n_reps=BAD_POS_INT, n_points=[1, 2.5],
                   grid=[(0.6, 0.15), (0.0, 0.5), (0.1, 1.0), "ab", 5, (0.1,), (NAN, 0.5)],
                   sizes=[(), 5, (2.5,), "ab", (0, 20)], solver=["svd", 3],
                   batch_size=[0, 2.5]),
          check=lambda r, c: None if r.sample_sizes() == SIZES else _fail(r)),
    Entry("tensorcnn.simulation.experiments.Panel",
          base=lambda: dict(filename="a.png", title="t", settings=("S1",)),
          bad=dict(filename=[3, "", None], title=[3, None], settings=["S1", [3], None],
                   xlabel=[3])),
    Entry("tensorcnn.simulation.experiments.Experiment",
          base=lambda: dict(name="fuzz", runs=(_run(),), bounds=False),
          bad=dict(name=[3, None], runs=[(), ("run",), (_run(), _run())],
                   panels=[("panel",)], x_axis=["x", None], bounds=["yes", 1],
                   seed=[-1, 1.5], truths=[0, 2.5], threshold=[0, 1.5, NAN, "x"],
                   workers=[0, 2.5], scheduler=[3], out=[3, ""], device=[3, "nonsense"]),
          check=instance("tensorcnn.simulation.Experiment")),
    Entry("tensorcnn.simulation.experiments.Experiment.run",
          call=lambda experiment, **kw: experiment.run(**kw),
          base=lambda: dict(experiment=_experiment(), seed=3, progress=False),
          bad=dict(seed=[-1, 2.5, "x"], workers=[0], progress=["yes"], device=[3]),
          check=lambda r, c: None if len(r.rows) == 2 and r.summary["_run"]["computed_fits"]
          == 2 else _fail(r)),
    Entry("tensorcnn.simulation.experiments.Experiment.select",
          call=lambda experiment, names: experiment.select(names),
          base=lambda: dict(experiment=_experiment(runs=(_run(), _run("other"))),
                            names=["other"]),
          bad=dict(names=["other", ["nope"], [3], None]),
          check=lambda r, c: None if [s.name for s in r.settings] == ["other"]
          and r.panels == () else _fail(r)),
    # -- experiment files
    Entry("tensorcnn.simulation.config.parse_experiment", base=lambda: dict(text=TOML),
          bad=dict(text=[3, None, Bad(TOML.replace("seed = 0", "seed = -1"), names="seed"),
                         Bad(TOML.replace("n_kernels = 1", "n_kernels = 0"), names="n_kernels"),
                         Bad(TOML.replace("seed = 0", "sed = 0"), names="unknown key"),
                         Bad("x = = 1", names="TOML syntax"),
                         Bad(TOML.split("[[setting]]")[0], names="setting"),
                         Bad(TOML.replace("[20, 30]", "[3, 30]"), names="grid.n"),
                         Bad(TOML + 'model = "tucker"\nranks = [3, 1, 1]\n', names="ranks")],
                   path=[3, None], base_dir=[3, ""]),
          check=_parsed),
    Entry("tensorcnn.simulation.config.load_experiment",
          base=lambda: dict(path=_experiment_file()),
          bad=dict(path=[3, None, "", Bad(_tmp() / "missing.toml", names="cannot be read"),
                         Bad(_experiment_file(TOML.replace("replications = 1",
                                                           "replications = 0")),
                             names="replications")]),
          check=_parsed),
    Entry("tensorcnn.simulation.config.dumps_experiment",
          base=lambda: dict(experiment=_experiment(), header="a\nb"),
          bad=dict(experiment=["x", None, Bad(_run(), names="experiment")],
                   header=[3, None]),
          check=_dumped),
    Entry("tensorcnn.simulation.config.experiment_record",
          base=lambda: dict(experiment=_experiment()),
          bad=dict(experiment=["x", None, Bad(_run(), names="experiment")]),
          check=lambda r, c: None if r["format"] == "tensorcnn-experiment-file"
          and r["settings"][0]["sizes"] == list(SIZES) else _fail(r)),
    # -- checkpoint store and result files
    Entry("tensorcnn.simulation.io.DirectoryStore", base=lambda: dict(root=_tmp()),
          bad=dict(root=[3, "", None, Bad(_experiment_file(), names="root")],
                   strict=["yes", 1, None]),
          check=lambda r, c: None if r.path.is_dir() and r.done() == set() else _fail(r)),
    Entry("tensorcnn.simulation.io.DirectoryStore.save",
          call=lambda store, task, rows: store.save(task, rows),
          base=lambda: dict(store=__import__("tensorcnn.simulation.io", fromlist=["x"])
                            .DirectoryStore(_tmp()), task=_tasks()[0],
                            rows=[dict(n=n, rep=0, error=0.5) for n in SIZES]),
          bad=dict(task=["task", None], rows=["rows", [1], None, 5]),
          check=_saved),
    Entry("tensorcnn.simulation.io.DirectoryStore.load_task",
          call=lambda store, task: store.load_task(task), base=_store_with_task,
          bad=dict(task=["task", None, Bad(_setting(), names="task")]),
          check=lambda r, c: None if [row["n"] for row in r] == list(SIZES) else _fail(r)),
    Entry("tensorcnn.simulation.io.task_identity", base=lambda: dict(task=_tasks()[0]),
          bad=dict(task=["task", None, 3]),
          check=lambda r, c: None if r["key"] == c["task"].key and r["expected_rows"] == 2
          else _fail(r)),
    Entry("tensorcnn.simulation.io.write_results",
          base=lambda: dict(rows=[dict(n=20, error=0.5), dict(n=30, error=0.25, extra=1)],
                            out=_tmp()),
          bad=dict(rows=["rows", [1], None, [dict(n=1), "x"]], out=[3, "", None]),
          check=lambda r, c: None if r.read_text().splitlines()[0] == "n,error,extra"
          else _fail(r.read_text())),
    Entry("tensorcnn.simulation.io.write_summary",
          base=lambda: dict(summary=_summary(), out=_tmp()),
          bad=dict(summary=["summary", [1], None, {"a": object()}], out=[3, ""]),
          check=lambda r, c: None if __import__("json").loads(r.read_text()) == c["summary"]
          else _fail(r)),
    # -- plots (the invalid cases are refused before anything is drawn)
    Entry("tensorcnn.simulation.plots.plot_error_curves",
          base=lambda: dict(summary=_summary(), path=_figure()),
          bad=dict(summary=["summary", None, {}, {"_run": {}}, {"a": {}}, {"a": "entry"},
                            {"a": dict(x=[1, 2], mean=[1.0], sd=[0, 0])},
                            {"a": dict(x=[NAN, 2], mean=[1.0, 2], sd=[0, 0])},
                            {"a": dict(x=["u", "v"], mean=[1, 2], sd=[0, 0])},
                            {"a": dict(x=[1, 2], mean=[1, 2], sd=[0, 0], slope=1.0,
                                       intercept=None, r2=1.0)},
                            {"a": dict(x=[1, 2], mean=[1, 2], sd=[0, 0],
                                       bound=dict(defined=True, values=[1.0]))}],
                   path=[3, "", None, _figure("c.xyz"), _figure("c")], title=[3, None],
                   xlabel=[3], show_bound=["yes", 1]),
          check=_file_written),
    Entry("tensorcnn.simulation.plots.plot_r2_by_truth",
          base=lambda: dict(rows=_r2_rows(), path=_figure(), threshold=0.95),
          bad=dict(rows=[[], "rows", None, [{}], [dict(setting="A", r2=NAN)],
                         [dict(setting=3, r2=0.5)]],
                   path=[3, _figure("c.xyz")], threshold=[0, 1.5, NAN, "x"], title=[3]),
          check=_file_written),
    # -- truth draws
    Entry("tensorcnn.simulation.sensitivity.truth_draws",
          base=lambda: dict(experiment=_experiment(), seeds=[0, 1], progress=False),
          bad=dict(experiment=["x", None, Bad(_run(), names="experiment")],
                   seeds=[[], [-1], [0, 0], 5, "0", [1.5], None], workers=[0],
                   store_for_seed=["store"], progress=["yes", None]),
          check=lambda r, c: None if list(r) == [0, 1] and all(
              len(v.rows) == 2 for v in r.values()) else _fail(r)),
    Entry("tensorcnn.simulation.sensitivity.truth_rows",
          base=lambda: dict(experiment=_experiment(), results=_results()),
          bad=dict(experiment=["x", None],
                   results=[{}, "results", None, {0: "result"}, Bad({-1: _results((0,))[0]},
                                                                     names="results"),
                            Bad(_results((0,)) | {"1": _results((0,))[0]}, names="results")]),
          check=lambda r, c: None if [(row["seed"], row["setting"]) for row in r] == [
              (0, "tiny-rank"), (1, "tiny-rank")] and all(row["truth_norm"] > 0 for row in r)
          else _fail(r)),
    Entry("tensorcnn.simulation.sensitivity.truth_rows[other experiment]",
          call=lambda **kw: __import__("tensorcnn.simulation", fromlist=["x"]).truth_rows(**kw),
          base=lambda: dict(experiment=_experiment(), results=_results()),
          bad=dict(experiment=[Bad(_experiment(runs=(_run("other"),)), names="other")])),
    Entry("tensorcnn.simulation.sensitivity.truth_summary",
          base=lambda: dict(experiment=_experiment(), results=_results(), threshold=0.5),
          bad=dict(experiment=["x"], results=[{}, {0: "result"}],
                   threshold=[0, 1.5, NAN, "x"]),
          check=lambda r, c: None if r["tiny-rank"]["seeds"] == [0, 1]
          and len(r["tiny-rank"]["draws"]) == 2 else _fail(r)),
    Entry("tensorcnn.simulation.sensitivity.r2_by_truth",
          base=lambda: dict(name="theorem1", seeds=[0], names=["S1"], n_reps=1, inputs="iid",
                            n_points=2, progress=False),
          bad=dict(name=["cp-kernels", None], seeds=[[], [-1], 5, [0, 0]],
                   names=[["S9"], "S1"], n_reps=[0], workers=[0], store_for_seed=["store"],
                   progress=["yes"], inputs=["x"], n_points=[1], batch_size=[0]),
          check=lambda r, c: None if [(row["seed"], row["setting"]) for row in r] == [
              (0, "S1")] and math.isfinite(r[0]["r2"]) else _fail(r)),
    Entry("tensorcnn.simulation.sensitivity.summarize_r2_by_truth",
          base=lambda: dict(rows=_r2_rows(), threshold=0.95),
          bad=dict(rows=[[], "rows", None, [{}], [1], [dict(seed=0, setting="A", r2=NAN,
                                                         truth_norm=1.0)],
                         [dict(seed=0, setting="A", r2=None, truth_norm=1.0)]],
                   threshold=[0, 1.5, NAN, "x", None]),
          valid=_r2_calls(), check=_share_check),
]


ENTRIES: list[Entry] = ESTIMATORS + COUNTING + SIMULATION

_RECORD = "a frozen record only returned by the package ({}); users read it, never build it"
EXEMPT: list[Exempt] = [
    Exempt("tensorcnn.counting.trace.LeafCall", _RECORD.format("trace_calls"),
           "tests/fuzz/test_fuzz.py::test_accepts[tensorcnn.counting.trace.call_macs]"),
    Exempt("tensorcnn.counting.trace.MacsReport", _RECORD.format("count_macs"),
           "tests/test_counting_registry.py"),
    Exempt("tensorcnn.counting.registry.MacsHandler", PROTOCOL + " (Callable[[LeafCall], int])",
           "tests/fuzz/test_fuzz.py::test_accepts[tensorcnn.counting.registry.register_macs]"),
    Exempt("tensorcnn.simulation.replication.RegressionData",
           _RECORD.format("simulate_regression"),
           "tests/fuzz/test_fuzz.py::test_accepts"
           "[tensorcnn.simulation.replication.simulate_regression]"),
    Exempt("tensorcnn.simulation.experiments.ExperimentResult",
           _RECORD.format("Experiment.run, run_experiment, truth_draws"),
           "tests/fuzz/test_fuzz.py::test_accepts[tensorcnn.simulation.sensitivity.truth_rows]"),
]
