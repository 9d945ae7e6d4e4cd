"""Fuzz entries for the public names of tensorcnn.sparsity and neighbours that need a model, data
set, file or result object as input (issue #14); see tests/fuzz/registry.py.

Covered here: the MDL bounds (:mod:`tensorcnn.mdl.bounds`), the sparse-training optimizers
and their helpers (:mod:`tensorcnn.optim`: β-lasso, SplitLBI, masks, grouping) and the
group-sparsity library (:mod:`tensorcnn.sparsity`: data fits, FISTA, group lasso,
ShrinkNet, garbage collection, folding, data sets, experiments, the propositions' checks).

Every ``base`` builds its own tiny inputs (a 6 x 3 design, a ``Linear(3, 2)``, a temp
folder) so that an invalid case, which calls ``base()`` again, never sees a mutated object.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from .registry import Bad, Entry, Exempt, instance

NAN, INF = math.nan, math.inf

# -- shared invalid values -------------------------------------------------------------
BAD_X = ["x", np.ones(3), np.full((6, 3), NAN), np.ones((0, 3)), [[1.0, INF]] * 6]
BAD_Y = [np.full((6, 2), NAN), np.ones((5, 2)), "x", np.ones((6, 2, 1))]
BAD_LOSS = ["hinge", 3, None]
BAD_LAM = [-1.0, NAN, INF, "x", True]
BAD_TOL = [0.0, -1e-3, NAN, "x"]
BAD_ITER = [0, True, 2.5, "x"]
BAD_COUNT = [-1, True, 2.5, "x"]      # a count where 0 is allowed
BAD_FLAG = ["yes", 1, None]
BAD_CALLABLE = [123, "f"]
BAD_RNG = [-1, "x", 1.5]
NOT_ONE_HOT = np.array([[1.0, 1.0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]])


def _torch():
    import torch

    return torch


# -- small inputs ----------------------------------------------------------------------
def _problem(n: int = 6, d: int = 3, q: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """A squared-loss problem: X (n, d), Y (n, q)."""
    gen = np.random.default_rng(0)
    return gen.standard_normal((n, d)), gen.standard_normal((n, q))


def _labels() -> np.ndarray:
    """Class labels of the 6 rows of :func:`_problem` (2 classes, both present)."""
    return np.array([0, 1, 0, 1, 1, 0])


def _one_hot(n_classes: int = 2) -> np.ndarray:
    return np.eye(n_classes)[_labels()]


def _sq(**extra) -> dict:
    X, Y = _problem()
    return dict(X=X, Y=Y, **extra)


def _W(d: int = 3, q: int = 2) -> np.ndarray:
    return np.linspace(-1.0, 1.0, d * q).reshape(d, q)


def _beta(d: int = 3) -> np.ndarray:
    return np.array([0.5, -1.0, 2.0])[:d]


def _linear():
    torch = _torch()
    torch.manual_seed(0)
    return torch.nn.Linear(3, 2, dtype=torch.float64)


def _switch_net(kill: bool = False):
    from tensorcnn.sparsity.experiments import build_switch_network

    net = build_switch_network(3, 2, rng=0)
    if kill:
        net[0].kill(_torch().tensor([True, False, False]))
    return net


def _layers() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A 2-layer network 3 -> 2 -> 2 for the Prop. A.4 checks: (A_i, beta_i, b_i)."""
    gen = np.random.default_rng(1)
    return [(gen.standard_normal((3, 2)), gen.standard_normal(3), gen.standard_normal(2)),
            (gen.standard_normal((2, 2)), gen.standard_normal(2), gen.standard_normal(2))]


def _flip_layers() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A 1-layer network 2 -> 2 (2^2 sign patterns: cheap)."""
    gen = np.random.default_rng(2)
    return [(gen.standard_normal((2, 2)), gen.standard_normal(2), gen.standard_normal(2))]


BAD_LAYERS = [123, [], [(np.ones((3, 2)), np.ones(3))], [(np.ones((3, 2)), np.ones(2),
                                                         np.ones(2))],
              [(np.full((3, 2), NAN), np.ones(3), np.ones(2))], "layers"]


# -- checks ----------------------------------------------------------------------------
def _float(low: float = -INF, high: float = INF):
    def check(result, call):
        assert isinstance(result, float | np.floating), f"{type(result).__name__} is not a float"
        assert low <= result <= high, f"{result} not in [{low}, {high}]"

    return check


def _array_float(result, call):
    value = np.asarray(result)
    assert value.dtype.kind == "f", f"dtype {value.dtype} is not a float dtype"


def _shape_of(*shape):
    def check(result, call):
        assert np.shape(result) == shape, f"shape {np.shape(result)} != {shape}"

    return check


def _passed_check(result, call):
    from tensorcnn.sparsity.propositions import Check

    assert isinstance(result, Check), f"{type(result).__name__} is not a Check"
    assert isinstance(result.passed, bool), "Check.passed is not a bool"
    assert str(result).startswith(("[PASS]", "[FAIL]")), str(result)


def _expect_pass(result, call):
    _passed_check(result, call)
    assert result.passed, f"the proposition's check failed on valid input: {result}"


def _expect_fail(result, call):
    _passed_check(result, call)
    assert not result.passed, f"the counterexample check should not pass here: {result}"


# ======================================================================== tensorcnn.mdl
def _bound_calls(draw_arch: bool):
    @st.composite
    def calls(draw):
        call = dict(train_loss=draw(st.floats(0.0, 1.0)), m=draw(st.integers(1, 10**6)),
                    delta=draw(st.floats(1e-6, 1 - 1e-6)))
        if not draw_arch:
            return call | dict(description_bits=draw(st.floats(0.0, 1e6)))
        n = draw(st.integers(1, 10**5))
        return call | dict(k=draw(st.integers(0, n)), bits=draw(st.integers(1, 64)),
                           n_nonzero=draw(st.integers(0, n)), n=n)

    return calls()


def _bound_check(result, call):
    assert np.shape(result) == (), f"shape {np.shape(result)} for scalar input"
    assert float(result) >= call["train_loss"], "the bound is below the training loss"


@st.composite
def _sharing_calls(draw):
    n = draw(st.integers(1, 10**6))
    return dict(n_nonzero=draw(st.integers(0, n)), k=draw(st.integers(0, n)), n=n)


def _sharing_check(result, call):
    assert np.shape(result) == (), f"shape {np.shape(result)} for scalar input"
    assert float(result) >= 2 * math.log2(call["n"]) - 1e-9, "below the 2 log2 n term"


BAD_COUNTS = [NAN, 2.5, 2.0, -1, True, "x"]     # NaN / fractional counts (issue #14)

MDL = [
    Entry("tensorcnn.mdl.bounds.occam_bound",
          base=lambda: dict(train_loss=0.1, m=100, description_bits=50.0, delta=0.05),
          bad=dict(train_loss=[NAN, -0.1, 1.5, "x", INF],
                   m=[Bad(v, names="m") for v in BAD_COUNTS] + [Bad(0, names="m")],
                   description_bits=[NAN, -1.0, INF, "x"],
                   delta=[0.0, 1.0, NAN, -0.5, "x"]),
          valid=_bound_calls(False), check=_bound_check),
    Entry("tensorcnn.mdl.bounds.architecture_search_bound",
          base=lambda: dict(train_loss=0.1, m=100, k=3, bits=8, n_nonzero=10, n=100,
                            delta=0.05),
          bad=dict(train_loss=[NAN, 1.5], m=[Bad(v, names="m") for v in BAD_COUNTS],
                   k=BAD_COUNTS + [200], bits=BAD_COUNTS + [0], n_nonzero=BAD_COUNTS + [101],
                   n=[NAN, 2.5, 0, True], delta=[0.0, NAN],
                   sharing_bits=[NAN, -1.0, "x"]),
          valid=_bound_calls(True), check=_bound_check),
    Entry("tensorcnn.mdl.bounds.architecture_search_bound[sharing_bits]",
          call=lambda **kw: __import__("tensorcnn.mdl.bounds", fromlist=["x"])
          .architecture_search_bound(**kw),
          base=lambda: dict(train_loss=0.1, m=100, k=3, bits=8, n_nonzero=10, n=100,
                            delta=0.05, sharing_bits=40.0),
          bad=dict(k=[NAN, 2.5, 101], n_nonzero=[NAN, 1.5, 101], sharing_bits=[NAN, -1.0]),
          check=_bound_check),
    Entry("tensorcnn.mdl.bounds.sharing_length_bound",
          base=lambda: dict(n_nonzero=3, k=2, n=10),
          bad=dict(n_nonzero=BAD_COUNTS + [11], k=BAD_COUNTS + [11],
                   n=[NAN, 2.5, 0, True, "x"]),
          valid=_sharing_calls(), check=_sharing_check),
]


# ====================================================================== tensorcnn.optim
def _fill_grads(optimizer) -> None:
    torch = _torch()
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = torch.linspace(-1.0, 1.0, p.numel(), dtype=p.dtype).reshape(p.shape)


def _step(cls_name: str, params, **options):
    """Construct the optimizer, take two steps with a fixed gradient, return the params."""
    from tensorcnn import optim

    optimizer = getattr(optim, cls_name)(params, **options)
    for _ in range(2):
        _fill_grads(optimizer)
        optimizer.step()
    return [p.detach().clone() for group in optimizer.param_groups for p in group["params"]]


def _params_check(result, call):
    assert isinstance(result, list) and len(result) == 2, f"{len(result)} parameters, not 2"
    assert [tuple(p.shape) for p in result] == [(2, 3), (2,)], [p.shape for p in result]


def _snapshot(optimizer) -> tuple:
    """What a refused ``add_param_group`` must not change: the groups (their options and
    the identity of their tensors), the defaults and the per-parameter state."""
    groups = [({k: v for k, v in g.items() if k != "params"}, [id(p) for p in g["params"]])
              for g in optimizer.param_groups]
    state = {id(p): {k: v.clone() if hasattr(v, "clone") else v for k, v in s.items()}
             for p, s in optimizer.state.items()}
    return groups, dict(optimizer.defaults), state


def _same_state(a: dict, b: dict) -> bool:
    torch = _torch()
    return a.keys() == b.keys() and all(
        a[p].keys() == b[p].keys() and all(
            torch.equal(a[p][k], b[p][k]) if torch.is_tensor(a[p][k]) else a[p][k] == b[p][k]
            for k in a[p]) for p in a)


def _add_group(optimizer, param_group):
    """``optimizer.add_param_group(param_group)``; a refused group must leave the optimizer
    unchanged (issue #14), else this raises ``AssertionError`` (a *crash* outcome)."""
    before = _snapshot(optimizer)
    try:
        optimizer.add_param_group(param_group)
    except (ValueError, TypeError):
        after = _snapshot(optimizer)
        if after[:2] != before[:2] or not _same_state(after[2], before[2]):
            raise AssertionError("a refused param group changed the optimizer") from None
        raise
    return len(optimizer.param_groups)


def _group_base(cls_name: str, **options):
    def base():
        from tensorcnn import optim

        torch = _torch()
        model = _linear()
        optimizer = getattr(optim, cls_name)(model.parameters(), **options)
        _fill_grads(optimizer)
        optimizer.step()  # some state (SplitLBI's V and Gamma) that must survive a refusal
        return dict(optimizer=optimizer,
                    param_group=dict(params=[torch.zeros(4, dtype=torch.float64,
                                                         requires_grad=True)]))

    return base


def _bad_groups(*options: tuple[str, object]) -> list:
    torch = _torch()
    new = lambda: [torch.zeros(4, dtype=torch.float64, requires_grad=True)]  # noqa: E731
    return ([Bad({"params": new(), key: value}, names=key) for key, value in options]
            + [Bad(123, names="param_group"), Bad({"params": 5}, names="params"),
               Bad({"params": [torch.ones(2, requires_grad=True) * 2]}, names="leaf")])


BETA_LASSO_BAD = dict(
    lr=[-0.1, NAN, INF, "x", True], lam=BAD_LAM, beta=[-1.0, NAN, "x"],
    momentum=[1.0, -0.1, NAN, "x", True], nesterov=["yes", 1],
    maximize=["yes", 0], foreach=["yes", 1], differentiable=[1, "no"],
    nonfinite=["ignore", None, 3],
    params=[Bad(123, names="params"), Bad([], names="parameter"),
            Bad(["x"], names="tensor")])

SPLITLBI_BAD = dict(
    lr=[-0.1, NAN, "x"], kappa=[0.0, -1.0, NAN, INF, "x"], nu=[0.0, -1.0, NAN, "x"],
    lam=BAD_LAM, momentum=[1.0, -0.5, NAN], weight_decay=[-0.1, 1.0, NAN],
    nesterov=[1, "yes"], penalty=["l3", 3, True], group_scaling=["yes", 1],
    coupling_in_momentum=[1], weight_decay_mode=["x", None], weight_decay_1d=["no"],
    track_path=[0], nonfinite=["ignore"], maximize=["yes"], foreach=["yes"],
    differentiable=[1], params=[Bad(123, names="params"), Bad([], names="parameter")])


def _splitlbi_method(method: str):
    def call(optimizer, **kw):
        return getattr(optimizer, method)(**kw)

    return call


def _splitlbi(with_model: bool = False, **extra) -> dict:
    """A call on a SplitLBI over a Linear(3, 2) after 2 recorded epochs (and the model)."""
    from tensorcnn.optim import SplitLBI

    model = _linear()
    optimizer = SplitLBI(model.parameters(), lr=0.1, lam=0.01, track_path=True)
    for epoch in range(2):
        _fill_grads(optimizer)
        optimizer.step()
        optimizer.record_path(epoch)
    return dict(optimizer=optimizer, **extra) | (dict(model=model) if with_model else {})


def _mask_names(result, names: set[str]) -> None:
    assert isinstance(result, dict) and set(result) == names, f"masks for {set(result)}"
    assert all(m.dtype == _torch().bool for m in result.values()), "masks are not bool"


def _masks_base(**extra):
    def base():
        model = _linear()
        masks = {"weight": _torch().tensor([[True, False, True], [False, True, True]])}
        return dict(model=model, masks=masks, **{k: v(model) for k, v in extra.items()})

    return base


def _masked_weight(model, masks):
    from tensorcnn.optim import apply_masks_

    apply_masks_(model, masks)
    return model.weight.detach().clone()


def _mask_check(result, call):
    mask = call["masks"]["weight"]
    assert tuple(result.shape) == tuple(mask.shape), result.shape
    assert bool((result[~mask.bool()] == 0).all()), "a masked weight is not 0"


def _keep_masks(optimizer, model, masks):
    from tensorcnn.optim import keep_masks

    handle = keep_masks(optimizer, model, masks)
    _fill_grads(optimizer)
    optimizer.step()
    handle.remove()
    return model.weight.detach().clone()


def _bad_masks() -> list:
    torch = _torch()
    return [Bad(123, names="masks"), Bad({"nope": torch.ones(2, 3)}, names="nope"),
            Bad({"weight": torch.ones(3, 2)}, names="masks"),
            Bad({"weight": "x"}, names="masks"),
            Bad({"weight": torch.full((2, 3), NAN)}, names="masks"),
            Bad({"weight": torch.full((2, 3), 0.5)}, names="masks"),
            Bad({3: torch.ones(2, 3)}, names="masks"),
            Bad({"weight": np.ones((2, 3))}, names="masks")]


def _kind_model():
    torch = _torch()
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(),
                               torch.nn.Linear(8, 2))


def _groups_check(result, call):
    assert isinstance(result, list) and result, "no groups"
    assert all(isinstance(g, dict) and "params" in g and "kind" in g for g in result), result
    total = sum(p.numel() for g in result for p in g["params"])
    assert total == sum(p.numel() for p in call["model"].parameters()), "parameters lost"


OPTIM = [
    Entry("tensorcnn.optim.beta_lasso.BetaLasso",
          call=lambda **kw: _step("BetaLasso", **kw),
          base=lambda: dict(params=list(_linear().parameters()), lr=0.1, lam=0.01, beta=5.0),
          bad=BETA_LASSO_BAD, check=_params_check),
    Entry("tensorcnn.optim.beta_lasso.BetaLasso[momentum]",
          call=lambda **kw: _step("BetaLasso", **kw),
          base=lambda: dict(params=list(_linear().parameters()), lr=0.05, lam=0.01,
                            momentum=0.9, nesterov=True, nonfinite="raise"),
          bad=dict(momentum=[0.0, 1.5], nesterov=["yes"]), check=_params_check),
    Entry("tensorcnn.optim.beta_lasso.BetaLasso.add_param_group",
          call=_add_group, base=_group_base("BetaLasso", lr=0.1, lam=0.01),
          bad=dict(param_group=_bad_groups(("lr", -1.0), ("lam", NAN), ("beta", -2.0),
                                           ("momentum", 2.0), ("nesterov", "yes"),
                                           ("nonfinite", "x"), ("foreach", 1)))),
    Entry("tensorcnn.optim.splitlbi.SplitLBI",
          call=lambda **kw: _step("SplitLBI", **kw),
          base=lambda: dict(params=list(_linear().parameters()), lr=0.1, kappa=1.0, nu=10.0,
                            lam=0.01),
          bad=SPLITLBI_BAD, check=_params_check),
    Entry("tensorcnn.optim.splitlbi.SplitLBI[lasso,momentum]",
          call=lambda **kw: _step("SplitLBI", **kw),
          base=lambda: dict(params=list(_linear().parameters()), lr=0.05, lam=0.01,
                            penalty="lasso", momentum=0.9, weight_decay=1e-3,
                            weight_decay_mode="gradient", group_scaling=True),
          bad=dict(weight_decay=[-1.0, NAN], momentum=[1.0]), check=_params_check),
    Entry("tensorcnn.optim.splitlbi.SplitLBI.add_param_group",
          call=_add_group, base=_group_base("SplitLBI", lr=0.1, lam=0.01),
          bad=dict(param_group=_bad_groups(("lr", -1.0), ("kappa", 0.0), ("nu", NAN),
                                           ("lam", -1.0), ("penalty", "l0"),
                                           ("weight_decay", 1.5), ("track_path", 1),
                                           ("weight_decay_mode", "x")))),
    Entry("tensorcnn.optim.splitlbi.SplitLBI.max_stable_lr",
          call=lambda **kw: __import__("tensorcnn.optim", fromlist=["x"])
          .SplitLBI.max_stable_lr(**kw),
          base=lambda: dict(kappa=1.0, nu=10.0, lipschitz=2.0),
          bad=dict(kappa=[0.0, NAN, "x"], nu=[-1.0, INF], lipschitz=[-1.0, NAN],
                   printed=["yes", 1]),
          check=_float(0.0)),
    Entry("tensorcnn.optim.splitlbi.SplitLBI.prune_masks",
          call=_splitlbi_method("prune_masks"),
          base=lambda: _splitlbi(True, percent=50.0, names=["weight"], prune_bias=True),
          bad=dict(percent=[NAN, -1.0, 101.0, "x"],
                   names=[Bad(["nope"], names="nope"), Bad("weight", names="names")],
                   model=[Bad(123, names="model")], prune_bias=["yes", 1]),
          check=lambda result, call: _mask_names(result, {"weight", "bias"})),
    Entry("tensorcnn.optim.splitlbi.SplitLBI.record_path",
          call=_splitlbi_method("record_path"),
          base=lambda: _splitlbi(epoch=2),
          bad=dict(epoch=[-1, NAN, "x"])),
    Entry("tensorcnn.optim.masks.apply_masks_",
          call=_masked_weight, base=_masks_base(),
          bad=dict(model=[Bad(123, names="model"), Bad("model", names="model")],
                   masks=_bad_masks()),
          check=_mask_check),
    Entry("tensorcnn.optim.masks.keep_masks",
          call=_keep_masks,
          base=_masks_base(optimizer=lambda m: _torch().optim.SGD(m.parameters(), lr=0.1)),
          bad=dict(optimizer=[Bad(123, names="optimizer"), Bad(None, names="optimizer")],
                   model=[Bad(123, names="model")], masks=_bad_masks()[:4]),
          check=_mask_check),
    Entry("tensorcnn.optim.grouping.param_groups_by_kind",
          base=lambda: dict(model=_kind_model(), conv=dict(lam=0.5), linear=dict(lam=0.1),
                            other=dict(lam=0.0), by_name={"2.weight": dict(lam=1.0)}),
          bad=dict(model=[123, "model", None],
                   conv=["x", 123, [1, 2], {1: 2}], linear=["x", 5], other=[123],
                   by_name=[Bad({"nope": {}}, names="nope"), {"2.weight": 5}, "x", 123,
                            {3: {}}]),
          check=_groups_check),
]


# =================================================================== tensorcnn.sparsity
def _quadratic_calls():
    @st.composite
    def calls(draw):
        n, q = draw(st.integers(1, 8)), draw(st.integers(1, 4))
        gen = np.random.default_rng(draw(st.integers(0, 2**16)))
        Y = gen.standard_normal((n, q))
        return dict(Y=Y if draw(st.booleans()) else Y.tolist())

    return calls()


def _multinomial_calls():
    @st.composite
    def calls(draw):
        n, k = draw(st.integers(1, 8)), draw(st.integers(2, 5))
        gen = np.random.default_rng(draw(st.integers(0, 2**16)))
        Y = np.eye(k)[gen.integers(0, k, n)]
        return dict(Y=Y if draw(st.booleans()) else Y.astype(int).tolist())

    return calls()


def _datafit_check(result, call):
    Y = np.asarray(call["Y"], float)
    assert result.Y.shape == Y.shape and result.n == Y.shape[0], "wrong stored targets"
    value, grad = result.value_grad(np.zeros_like(Y))
    assert grad.shape == Y.shape and math.isfinite(value), "value_grad at 0"
    assert abs(value - result.null_value()) <= 1e-12 * max(1.0, abs(value)), "null value"


def _fista_base():
    from tensorcnn.sparsity import L1

    X, Y = _problem()
    n = X.shape[0]

    def smooth(W):
        R = X @ W - Y
        return float(np.sum(R * R) / (2 * n)), X.T @ R / n

    def smooth_value(W):
        R = X @ W - Y
        return float(np.sum(R * R) / (2 * n))

    return dict(smooth=smooth, smooth_value=smooth_value, penalty=L1(0.1),
                W0=np.zeros((3, 2)), L0=float(np.linalg.norm(X, 2) ** 2 / n), tol=1e-8,
                max_iter=200)


def _fista_check(result, call):
    from tensorcnn.sparsity.solvers import FistaResult

    assert isinstance(result, FistaResult), type(result).__name__
    assert result.W.shape == np.shape(call["W0"]), result.W.shape
    assert 1 <= result.n_iter <= call["max_iter"], result.n_iter


def _coef_shape(result, call):
    X = call["X"]
    Y = np.asarray(call["Y"])
    q = Y.shape[1] if Y.ndim == 2 else np.unique(Y).size
    assert np.shape(result) == (X.shape[1], q), f"shape {np.shape(result)}"


def _path_check(key: str):
    def check(result, call):
        n_lams = len(call["lams"])
        assert isinstance(result, dict) and result[key].shape[0] == n_lams, "path length"
        assert result["objectives"].shape == (n_lams,), result["objectives"].shape

    return check


def _shrinknet_check(result, call):
    A, beta = result[:2]
    d, q = call["X"].shape[1], np.shape(call["Y"])[1]
    assert A.shape == (d, q) and beta.shape == (d,), (A.shape, beta.shape)


def _gl(**extra):
    def base():
        return _sq(lam=0.1, max_iter=2000, **extra)

    return base


def _gl_multi(**extra):
    def base():
        X, _ = _problem()
        return dict(X=X, Y=_labels(), lam=0.05, loss="multinomial", max_iter=500, tol=1e-6,
                    **extra)

    return base


BAD_MULTI_Y = [Bad(NOT_ONE_HOT, names="one-hot"), np.array([0, 1, NAN, 1, 0, 1]),
               np.zeros(6), np.array([0, 1, None, 1, 0, 1], dtype=object),
               np.ones((6, 1))]


def _tmp_csv(name: str = "gina_prior2") -> str:
    folder = Path(tempfile.mkdtemp())
    gen = np.random.default_rng(3)
    rows = np.column_stack([gen.standard_normal((8, 3)), np.array([0, 1] * 4)])
    np.savetxt(folder / f"{name}.csv", rows, delimiter=",", header="a,b,c,y", comments="")
    return str(folder)


def _tmp_arff() -> str:
    folder = Path(tempfile.mkdtemp())
    lines = ["@RELATION toy", "@ATTRIBUTE a NUMERIC", "@ATTRIBUTE b NUMERIC",
             "@ATTRIBUTE y {yes,no}", "@DATA"]
    gen = np.random.default_rng(4)
    lines += [f"{gen.standard_normal():.4f},{gen.standard_normal():.4f},{c}"
              for c in ("yes", "no", "yes", "no", "no", "yes")]
    (folder / "toy.arff").write_text("\n".join(lines) + "\n")
    (folder / "broken.arff").write_text("this is not an ARFF file\n")
    return str(folder / "toy.arff")


def _broken_arff() -> str:
    return str(Path(_tmp_arff()).with_name("broken.arff"))


def _loaded_check(result, call):
    X, Y, loss = result
    assert X.ndim == 2 and np.shape(Y)[0] == X.shape[0], (X.shape, np.shape(Y))
    assert loss in ("squared", "multinomial"), loss


def _arff_check(result, call):
    X, Y = result
    assert X.shape == (6, 2) and Y.shape == (6,), (X.shape, Y.shape)


def _rows():
    return [dict(method="group_lasso", sparsity=0.0, loss=0.2),
            dict(method="group_lasso", sparsity=0.5, loss=0.6),
            dict(method="shrinknet", sparsity=0.5, loss=0.4),
            dict(method="shrinknet", sparsity=1.0, loss=1.0),
            dict(method="group_lasso", sparsity=1.0, loss=1.0)]   # both reach every level


def _matched_check(result, call):
    assert isinstance(result, list) and len(result) == 3, result
    assert [r["sparsity"] for r in result] == sorted(r["sparsity"] for r in result)


def _tradeoff_check(result, call):
    methods = [r["method"] for r in result]
    assert methods.count("group_lasso") == call["n_lams"], methods
    assert methods.count("shrinknet") == call["n_lams"], methods
    assert all(0.0 <= r["sparsity"] <= 1.0 for r in result), result


def _train_check(result, call):
    assert len(result["loss"]) == call["epochs"] == len(result["n_params"]), result
    assert isinstance(result["model"], _torch().nn.Module)


def _gamma_check(result, call):
    assert len(result) == call["repetitions"] * (1 + len(call["gammas"])), result
    assert all(r["cost"] >= 0 for r in result), result


def _train(**extra):
    def base():
        return _sq(**(dict(lam=0.01, lam2=0.01, epochs=1, batch_size=6, rng=0) | extra))

    return base


def _gc_check(result, call):
    from tensorcnn.sparsity import GCReport

    assert isinstance(result, GCReport), type(result).__name__
    assert result.total == 1, f"removed {result.total} channels, 1 was killed"
    assert call["model"][0].num_features == 2, "the Switch was not sliced"


def _fold_check(result, call):
    from tensorcnn.sparsity import Switch

    assert isinstance(result, _torch().nn.Sequential), type(result).__name__
    assert not any(isinstance(m, Switch) for m in result), "a Switch is left"


def _graph_check(result, call):
    from tensorcnn.sparsity._graph import ChannelGraph

    assert isinstance(result, ChannelGraph) and len(result.spaces()) >= 2, result


def _network_objective(X, Y):
    from tensorcnn.sparsity.propositions import network_objective

    def objective(layers):
        return network_objective(X, Y, layers, 0.1, 0.1)

    return objective


def _sn_objective():
    from tensorcnn.sparsity import shrinknet_objective

    X, Y = _problem()
    return lambda A, beta: shrinknet_objective(X, Y, A, beta, 0.1, 0.0, 2)


def _absent_Y():
    return np.eye(3)[_labels()]   # 3 classes, class 2 never occurs


def _reduced_closed_form():
    from tensorcnn.sparsity import reduced_penalty

    return reduced_penalty


SPARSITY = [
    # -- data fits -----------------------------------------------------------------
    Entry("tensorcnn.sparsity.datafits.Quadratic",
          base=lambda: dict(Y=_problem()[1]),
          bad=dict(Y=[np.full((6, 2), NAN), np.full((6, 2), INF), "x", np.ones(3),
                      np.ones((0, 2)), np.array([["a", "b"]])]),
          valid=_quadratic_calls(), check=_datafit_check),
    Entry("tensorcnn.sparsity.datafits.Quadratic[list]",   # Y.shape of a list: fixed bug
          call=lambda **kw: __import__("tensorcnn.sparsity", fromlist=["x"]).Quadratic(**kw),
          base=lambda: dict(Y=_problem()[1].tolist()),
          bad=dict(Y=[[[1.0, NAN]], [["a", "b"]], [[1.0], [2.0, 3.0]]]),
          check=_datafit_check),
    Entry("tensorcnn.sparsity.datafits.Multinomial",
          base=lambda: dict(Y=_one_hot()),
          bad=dict(Y=[NOT_ONE_HOT, np.full((6, 2), NAN), np.ones((6, 1)), _labels(), "x",
                      np.full((6, 2), 0.5), np.ones((0, 2))]),
          valid=_multinomial_calls(), check=_datafit_check),
    Entry("tensorcnn.sparsity.datafits.make_datafit",
          base=lambda: dict(loss="squared", Y=_problem()[1]),
          bad=dict(loss=BAD_LOSS + [["squared"]], Y=[np.full((6, 2), NAN), "x"]),
          check=instance("tensorcnn.sparsity.datafits.Quadratic")),
    Entry("tensorcnn.sparsity.datafits.make_datafit[multinomial]",
          call=lambda **kw: __import__("tensorcnn.sparsity.datafits", fromlist=["x"])
          .make_datafit(**kw),
          base=lambda: dict(loss="multinomial", Y=_one_hot()),
          bad=dict(Y=[NOT_ONE_HOT, np.full((6, 2), NAN)]),
          check=instance("tensorcnn.sparsity.datafits.Multinomial")),
    # -- penalties (issue #14's L1(lam=-1), GroupL2 with negative or NaN weights) --------
    Entry("tensorcnn.sparsity.penalties.L1[issue14]",
          call=lambda **kw: __import__("tensorcnn.sparsity", fromlist=["x"]).L1(**kw),
          base=lambda: dict(lam=0.5), bad=dict(lam=[-1, -1.0, NAN, INF, "x", True]),
          check=instance("tensorcnn.sparsity.penalties.L1")),
    Entry("tensorcnn.sparsity.penalties.GroupL2[weights]",
          call=lambda **kw: __import__("tensorcnn.sparsity", fromlist=["x"]).GroupL2(**kw),
          base=lambda: dict(lam=0.5, weights=np.array([1.0, 0.0, 2.0])),
          bad=dict(weights=[np.array([1.0, -1.0, 1.0]), np.array([1.0, NAN, 1.0]),
                            np.array([1.0, INF]), np.ones((3, 1)), "x",
                            np.array([True, False])],
                   lam=[-1.0, NAN]),
          check=instance("tensorcnn.sparsity.penalties.GroupL2")),
    # -- FISTA --------------------------------------------------------------------
    Entry("tensorcnn.sparsity.solvers.fista",
          base=_fista_base,
          bad=dict(L0=[0, 0.0, -1.0, NAN, INF, "x", True], tol=BAD_TOL + [INF],
                   max_iter=BAD_ITER + [-5], warn=BAD_FLAG,
                   W0=[np.full((3, 2), NAN), "x", None, np.array([[1.0, INF]] * 3)],
                   smooth=BAD_CALLABLE, smooth_value=BAD_CALLABLE,
                   penalty=[123, None, "L1"]),
          check=_fista_check),
    # -- group lasso --------------------------------------------------------------
    Entry("tensorcnn.sparsity.group_lasso.group_lasso",
          base=_gl(),
          bad=dict(X=BAD_X, Y=BAD_Y, lam=BAD_LAM + [0.0], loss=BAD_LOSS,
                   fit_intercept=BAD_FLAG, tol=BAD_TOL, max_iter=BAD_ITER,
                   W0=[np.full((3, 2), NAN), np.ones((2, 2)), "x"]),
          check=_coef_shape),
    Entry("tensorcnn.sparsity.group_lasso.group_lasso[multinomial]",
          call=lambda **kw: __import__("tensorcnn.sparsity", fromlist=["x"]).group_lasso(**kw),
          base=_gl_multi(),
          bad=dict(Y=BAD_MULTI_Y, lam=[-1.0, NAN], fit_intercept=BAD_FLAG,
                   max_iter=[True, 0], W0=[np.full((3, 2), NAN), np.ones((3, 3))]),
          check=_coef_shape),
    Entry("tensorcnn.sparsity.group_lasso.group_lasso[intercept]",
          call=lambda **kw: __import__("tensorcnn.sparsity", fromlist=["x"]).group_lasso(**kw),
          base=_gl_multi(fit_intercept=True),
          bad=dict(Y=[NOT_ONE_HOT], fit_intercept=["no"]),
          check=lambda result, call: _coef_shape(result[0], call)),
    Entry("tensorcnn.sparsity.group_lasso.group_lasso_path",
          base=lambda: _sq(lams=[0.5, 0.1], max_iter=2000),
          bad=dict(lams=[[], [-1.0, 0.1], [NAN, 0.1], Bad(0.5, names="lams"), "ab",
                         [True, 0.1], [[0.1], 0.2], None],
                   X=BAD_X[:3], Y=BAD_Y[:2], loss=BAD_LOSS, max_iter=[True]),
          check=_path_check("coefs")),
    Entry("tensorcnn.sparsity.group_lasso.group_lasso_objective",
          base=lambda: _sq(W=_W(), lam=0.1),
          bad=dict(W=[np.full((3, 2), NAN), np.ones((2, 2)), "x", np.ones(3)],
                   lam=BAD_LAM, loss=BAD_LOSS, X=BAD_X[:3], Y=BAD_Y,
                   intercept=[np.full(2, NAN), np.ones(3), "x", np.ones((1, 2))]),
          check=_float(0.0)),
    Entry("tensorcnn.sparsity.group_lasso.group_lasso_objective[multinomial]",
          call=lambda **kw: __import__("tensorcnn.sparsity", fromlist=["x"])
          .group_lasso_objective(**kw),
          base=lambda: dict(X=_problem()[0], Y=_labels(), W=_W(), lam=0.1, loss="multinomial",
                            intercept=np.array([0.5, -0.5])),
          bad=dict(Y=BAD_MULTI_Y, intercept=[np.full(2, INF)]),
          check=_float(0.0)),
    Entry("tensorcnn.sparsity.group_lasso.group_lasso_kkt",
          base=lambda: _sq(W=_W(), lam=0.1),
          bad=dict(W=[np.full((3, 2), NAN), np.ones((3, 3)), "x"], lam=BAD_LAM,
                   loss=BAD_LOSS, X=BAD_X[:3], Y=BAD_Y[:3]),
          check=_float(0.0)),
    Entry("tensorcnn.sparsity.group_lasso.group_lasso_lambda_max",
          base=lambda: _sq(loss="squared"),
          bad=dict(X=BAD_X, Y=BAD_Y, loss=BAD_LOSS),
          check=_float(0.0)),
    Entry("tensorcnn.sparsity.group_lasso.group_lasso_lambda_max[multinomial]",
          call=lambda **kw: __import__("tensorcnn.sparsity", fromlist=["x"])
          .group_lasso_lambda_max(**kw),
          base=lambda: dict(X=_problem()[0], Y=_one_hot(), loss="multinomial"),
          bad=dict(Y=BAD_MULTI_Y),
          check=_float(0.0)),
    # -- ShrinkNet ----------------------------------------------------------------
    Entry("tensorcnn.sparsity.shrinknet.ridge_fit",
          base=lambda: _sq(lam2=0.1),
          bad=dict(lam2=[0.0, -1.0, NAN, "x"], loss=BAD_LOSS, X=BAD_X, Y=BAD_Y),
          check=_coef_shape),
    Entry("tensorcnn.sparsity.shrinknet.ridge_fit[multinomial]",
          call=lambda **kw: __import__("tensorcnn.sparsity", fromlist=["x"]).ridge_fit(**kw),
          base=lambda: dict(X=_problem()[0], Y=_labels(), lam2=0.1, loss="multinomial"),
          bad=dict(Y=BAD_MULTI_Y), check=_coef_shape),
    Entry("tensorcnn.sparsity.shrinknet.shrinknet",
          base=lambda: _sq(lam=0.05, lam2=0.1, max_iter=20),
          bad=dict(lam=BAD_LAM, lam2=[-1.0, NAN, 0.0, "x"], p=[3, 0, -1, NAN, "x", True],
                   loss=BAD_LOSS, X=BAD_X, Y=BAD_Y, tol=BAD_TOL, max_iter=BAD_ITER,
                   A0=[np.full((3, 2), NAN), np.ones((2, 2)), "x"],
                   beta0=[np.full(3, NAN), np.ones(2), "x"],
                   return_info=BAD_FLAG),
          check=_shrinknet_check),
    Entry("tensorcnn.sparsity.shrinknet.shrinknet[warm,p1]",
          call=lambda **kw: __import__("tensorcnn.sparsity", fromlist=["x"]).shrinknet(**kw),
          base=lambda: _sq(lam=0.05, lam2=0.1, p=1, max_iter=10, A0=_W(), beta0=_beta(),
                           return_info=True),
          bad=dict(A0=[np.full((3, 2), NAN)], beta0=[np.full(3, INF), [[1.0, 2.0, 3.0]]]),
          check=lambda result, call: _shrinknet_check(result, call)),
    Entry("tensorcnn.sparsity.shrinknet.shrinknet[multinomial]",
          call=lambda **kw: __import__("tensorcnn.sparsity", fromlist=["x"]).shrinknet(**kw),
          base=lambda: dict(X=_problem()[0], Y=_labels(), lam=0.05, lam2=0.1,
                            loss="multinomial", max_iter=5),
          bad=dict(Y=BAD_MULTI_Y),
          check=lambda result, call: _shrinknet_check(result, call | dict(Y=_one_hot()))),
    Entry("tensorcnn.sparsity.shrinknet.shrinknet_path",
          base=lambda: _sq(lams=[0.01, 0.05], lam2=0.1, max_iter=10, inner_max_iter=10),
          bad=dict(lams=[[], [-1.0, 0.1], [NAN, 0.1], Bad(0.5, names="lams"), None],
                   lam2=[-1.0, NAN, 0.0], p=[3, 0], inner_max_iter=BAD_ITER,
                   max_iter=BAD_ITER, tol=BAD_TOL, loss=BAD_LOSS,
                   A0=[np.full((3, 2), NAN)], beta0=[np.ones(4)]),
          check=_path_check("A")),
    Entry("tensorcnn.sparsity.shrinknet.shrinknet_objective",
          base=lambda: _sq(A=_W(), beta=_beta(), lam=0.1, lam2=0.1),
          bad=dict(A=[np.full((3, 2), NAN), np.ones((2, 2)), "x", np.ones(3)],
                   beta=[np.full(3, NAN), np.ones(2), "x", np.ones((3, 1)), None],
                   lam=BAD_LAM, lam2=BAD_LAM, p=[0, -1, NAN, "x"], loss=BAD_LOSS,
                   X=BAD_X[:3], Y=BAD_Y),
          check=_float(0.0)),
    Entry("tensorcnn.sparsity.shrinknet.shrinknet_stationarity",
          base=lambda: _sq(A=_W(), beta=_beta(), lam=0.1, lam2=0.1),
          bad=dict(A=[np.full((3, 2), NAN), np.ones((3, 3)), "x"],
                   beta=[np.full(3, NAN), np.ones(4), "x"], lam=BAD_LAM, lam2=BAD_LAM,
                   p=[3, 0, NAN], loss=BAD_LOSS, X=BAD_X[:3], Y=BAD_Y[:3]),
          check=_float(0.0)),
    # -- channel graph, garbage collection, folding -----------------------------------
    Entry("tensorcnn.sparsity._graph.ChannelGraph",
          base=lambda: dict(model=_switch_net(kill=True)),
          bad=dict(model=[123, "model", None]),
          check=_graph_check),
    Entry("tensorcnn.sparsity.garbage.collect_garbage",
          base=lambda: (lambda net: dict(model=net, optimizer=_torch().optim.SGD(
              net.parameters(), lr=0.1, momentum=0.9)))(_switch_net(kill=True)),
          bad=dict(model=[123, "model", None],
                   optimizer=[Bad(123, names="optimizer"), Bad("sgd", names="optimizer")]),
          check=_gc_check),
    Entry("tensorcnn.sparsity.garbage.count_parameters",
          base=lambda: dict(model=_linear()),
          bad=dict(model=[123, "model", None, [1, 2]]),
          check=lambda result, call: _float_count(result, 3 * 2 + 2)),
    Entry("tensorcnn.sparsity.folding.fold_switches",
          base=lambda: dict(model=_switch_net(kill=True)),
          bad=dict(model=[123, Bad(_linear(), names="model"), None,
                          Bad(__import__("torch").nn.Sequential(
                              __import__("tensorcnn.sparsity", fromlist=["x"]).Switch(3),
                              __import__("torch").nn.Tanh()), names="switch")],
                   through_positive_homogeneous=BAD_FLAG),
          check=_fold_check),
    # -- data sets ----------------------------------------------------------------
    Entry("tensorcnn.sparsity.datasets.load_shipped",
          base=lambda: dict(name="linnerud"),
          bad=dict(name=["iris", 3, None, ["wine"], ""]),
          check=_loaded_check),
    Entry("tensorcnn.sparsity.datasets.load_paper_dataset",
          base=lambda: dict(name="gina_prior2", folder=_tmp_csv()),
          bad=dict(name=["nope", 3, ["scm1d"], None],
                   folder=[Bad(str(Path(tempfile.gettempdir()) / "no-such-folder-tcnn"),
                               names="folder"), Bad(123, names="folder"),
                           Bad(["a"], names="folder")],
                   download=BAD_FLAG, data_home=[123, ["x"]]),
          check=_loaded_check),
    Entry("tensorcnn.sparsity.datasets.load_arff",
          base=lambda: dict(path=_tmp_arff(), n_targets=1),
          bad=dict(n_targets=[0, 2.5, True, 99, "x", -1, NAN],
                   path=[Bad(123, names="path"), Bad(None, names="path"),
                         Bad(_broken_arff(), names="path")]),
          check=_arff_check),
    # -- experiments --------------------------------------------------------------
    Entry("tensorcnn.sparsity.experiments.tradeoff_curves",
          base=lambda: _sq(n_lams=2, lam2=0.1, lam_ratio=0.1, tol=1e-5),
          bad=dict(n_lams=[0, 2.5, True, "x", -1], lam_ratio=[0.0, -1.0, NAN, 1.5, "x"],
                   tol=BAD_TOL, lam2=[0.0, -1.0, NAN], p=[3, 0], loss=BAD_LOSS,
                   X=BAD_X[:3], Y=BAD_Y[:2], progress=BAD_CALLABLE),
          check=_tradeoff_check),
    Entry("tensorcnn.sparsity.experiments.matched_comparison",
          base=lambda: dict(rows=_rows(), tol=1e-6),
          bad=dict(rows=[123, "rows", [5], [dict(method="ridge", sparsity=0.0, loss=0.1)],
                         [dict(method="shrinknet", loss=0.1)],
                         [dict(method="shrinknet", sparsity=NAN, loss=0.1)],
                         [dict(method="shrinknet", sparsity=0.5, loss="x")], None],
                   tol=[NAN, -1.0, "x", INF]),
          check=_matched_check),
    Entry("tensorcnn.sparsity.experiments.train_switch_network",
          base=_train(),
          bad=dict(epochs=BAD_ITER, batch_size=BAD_ITER, kill_every=BAD_ITER,
                   lr=[0.0, NAN, -1.0, "x"], optimizer=["rmsprop", 3, None],
                   momentum=[NAN, 1.5, -0.1, "x"], hidden=[0, 2.5, True],
                   strategy=[Bad(123, names="strategy"), Bad("kill", names="strategy")],
                   gc=BAD_FLAG, rng=BAD_RNG, lam=BAD_LAM, lam2=[-1.0, NAN], p=[0, NAN],
                   loss=BAD_LOSS, X=BAD_X[:3], Y=BAD_Y[:3]),
          check=_train_check),
    Entry("tensorcnn.sparsity.experiments.train_switch_network[kill,sgd]",
          call=lambda **kw: __import__("tensorcnn.sparsity.experiments", fromlist=["x"])
          .train_switch_network(**kw),
          base=_train(strategy=__import__("tensorcnn.sparsity", fromlist=["x"])
                      .ThresholdKill(0.5), optimizer="sgd", hidden=2, epochs=2),
          bad=dict(momentum=[1.0]), check=_train_check),
    Entry("tensorcnn.sparsity.experiments.gamma_experiment",
          base=lambda: _sq(gammas=[0.5], lam=0.01, lam2=0.01, repetitions=1, rng=0, epochs=1,
                           batch_size=6),
          bad=dict(gammas=[Bad(123, names="gammas"), Bad([NAN], names="gamma"),
                           Bad([1.5], names="gamma"), Bad("ab", names="gammas"),
                           Bad(None, names="gammas")],
                   repetitions=BAD_ITER, progress=BAD_CALLABLE,
                   kill_rule=[Bad("x", names="rule"), Bad(3, names="rule")],
                   rng=BAD_RNG, lam=[-1.0], loss=BAD_LOSS, X=BAD_X[:3], Y=BAD_Y[:2],
                   epochs=[0, True]),
          check=_gamma_check),
    # -- propositions -------------------------------------------------------------
    Entry("tensorcnn.sparsity.propositions.check_prop_a1",
          base=lambda: _sq(lam=0.1, n_random=2, rng=0),
          bad=dict(lam=BAD_LAM + [0.0], loss=BAD_LOSS, X=BAD_X[:3], Y=BAD_Y[:3],
                   beta_map=BAD_CALLABLE, n_random=BAD_COUNT, rng=BAD_RNG,
                   rtol=[NAN, -1.0, "x"]),
          check=_expect_pass),
    Entry("tensorcnn.sparsity.propositions.convexity_gap",
          base=lambda: dict(f=lambda v: float(np.sum(v ** 2)), s1=np.zeros(3), s2=np.ones(3)),
          bad=dict(f=BAD_CALLABLE, s1=[np.full(3, NAN), "x", np.ones(2), None],
                   s2=[np.full(3, INF), np.ones((3, 1)), "x"]),
          check=_float()),
    Entry("tensorcnn.sparsity.propositions.a2_witness",
          base=lambda: dict(A0=_W()),
          bad=dict(A0=[np.full((3, 2), NAN), "x", np.ones(3), np.ones((0, 2)), None]),
          check=lambda result, call: [_shape_of(call["A0"].size + call["A0"].shape[0])(r, call)
                                      for r in result] and None),
    Entry("tensorcnn.sparsity.propositions.check_prop_a2",
          base=lambda: dict(objective=_sn_objective(), A0=_W()),
          bad=dict(objective=BAD_CALLABLE, A0=[np.full((3, 2), NAN), "x", np.ones(3), None]),
          check=_expect_pass),
    Entry("tensorcnn.sparsity.propositions.check_prop_a3",
          base=lambda: dict(objective=_sn_objective(), A=_W(), beta=_beta(), n_steps=5),
          bad=dict(objective=BAD_CALLABLE, A=[np.full((3, 2), NAN), "x", np.ones(3)],
                   beta=[np.full(3, NAN), "x", np.ones(4)], n_steps=BAD_ITER + [-1]),
          check=_expect_pass),
    Entry("tensorcnn.sparsity.propositions.check_prop_a3_exception",
          base=lambda: _sq(lam=0.1, n_random=2, rng=0),
          bad=dict(lam=BAD_LAM + [0.0], loss=BAD_LOSS, X=BAD_X[:3], Y=BAD_Y[:3],
                   objective=BAD_CALLABLE, n_random=BAD_ITER, rng=BAD_RNG,
                   gtol=[NAN, -1.0, "x"]),
          check=_expect_pass),
    Entry("tensorcnn.sparsity.propositions.check_prop_a3_exception[has_minimiser]",
          call=lambda **kw: __import__("tensorcnn.sparsity.propositions", fromlist=["x"])
          .check_prop_a3_exception(**kw),
          base=lambda: dict(X=np.array([[1.0, 0.0], [0.0, 1.0]]),
                            Y=np.array([[0.0], [0.0]]), lam=0.1, n_random=2, rng=0),
          bad=dict(n_random=[0, -1]),
          check=_expect_pass),
    Entry("tensorcnn.sparsity.propositions.check_prop_a4_flips",
          base=lambda: dict(objective=_network_objective(*_problem(d=2)),
                            layers=_flip_layers()),
          bad=dict(objective=BAD_CALLABLE, layers=BAD_LAYERS, flip=BAD_CALLABLE,
                   rtol=[NAN, -1.0, "x"]),
          check=_expect_pass),
    Entry("tensorcnn.sparsity.propositions.check_prop_a4_existence",
          base=lambda: _sq(lam=0.1, lam2=0.1, n_starts=1, n_rays=2, rng=0),
          bad=dict(lam=BAD_LAM, lam2=BAD_LAM, p=[0, NAN, 3], loss=BAD_LOSS, X=BAD_X[:3],
                   Y=BAD_Y[:3], n_starts=BAD_COUNT, n_rays=BAD_COUNT, rng=BAD_RNG),
          check=_expect_pass),
    Entry("tensorcnn.sparsity.propositions.check_prop_a4_network_existence",
          base=lambda: _sq(layers=_layers(), lam=0.1, lam2=0.1, lam_bias=0.1, n_rays=2,
                           rng=0),
          bad=dict(layers=BAD_LAYERS + [[(np.ones((4, 2)), np.ones(4), np.ones(2))]],
                   lam=BAD_LAM, lam2=BAD_LAM, p=[0, NAN], activation=BAD_CALLABLE,
                   lam_bias=[-1.0, NAN, "x"], n_rays=BAD_COUNT, rng=BAD_RNG, loss=BAD_LOSS,
                   X=BAD_X[:3], Y=BAD_Y[:3]),
          check=_expect_pass),
    Entry("tensorcnn.sparsity.propositions.check_prop_a4_absent_class",
          base=lambda: dict(X=_problem()[0], Y=_absent_Y(), layers=[
              (_W(3, 3), _beta(), np.zeros(3))], lam=0.1, lam2=0.1, n_steps=3),
          bad=dict(Y=[Bad(_one_hot(), names="Y"), Bad(_labels(), names="Y"),
                      Bad(NOT_ONE_HOT, names="one-hot"), np.full((6, 3), NAN)],
                   layers=BAD_LAYERS, lam=BAD_LAM, lam2=BAD_LAM, p=[0, NAN],
                   activation=BAD_CALLABLE, lam_bias=[-1.0, NAN], n_steps=BAD_ITER,
                   X=BAD_X[:3]),
          check=_expect_pass),
    Entry("tensorcnn.sparsity.propositions.network_objective",
          base=lambda: _sq(layers=_layers(), lam=0.1, lam2=0.1),
          bad=dict(layers=BAD_LAYERS + [[(np.ones((4, 2)), np.ones(4), np.ones(2))],
                                        [(np.ones((3, 3)), np.ones(3), np.ones(3))]],
                   lam=BAD_LAM, lam2=BAD_LAM, p=[0, -1.0, NAN, "x"],
                   activation=BAD_CALLABLE, multiplier=BAD_CALLABLE,
                   lam_bias=[-1.0, NAN, "x"], loss=BAD_LOSS, X=BAD_X[:3], Y=BAD_Y[:3]),
          check=_float(0.0)),
    Entry("tensorcnn.sparsity.propositions.check_reduced_penalty",
          base=lambda: dict(W=_W(), lam=0.1, lam2=0.2, p=2, closed_form=_reduced_closed_form()),
          bad=dict(W=[np.full((3, 2), NAN), "x", None, np.ones((0, 2))],
                   lam=BAD_LAM, lam2=BAD_LAM, p=[0, -1.0, NAN, "x"],
                   closed_form=BAD_CALLABLE),
          check=_expect_pass),
]


def _float_count(result, expected: int) -> None:
    assert isinstance(result, int) and not isinstance(result, bool), type(result).__name__
    assert result == expected, f"{result} parameters, the model has {expected}"


ENTRIES: list[Entry] = [*MDL, *OPTIM, *SPARSITY]

EXEMPT: list[Exempt] = [
    Exempt("tensorcnn.sparsity.propositions.Check",
           "a result record (name, passed, details) returned by every check_prop_* function; "
           "users do not build it from their input",
           "tests/sparsity/test_propositions.py"),
    Exempt("tensorcnn.sparsity.solvers.FistaResult",
           "a result record returned by fista (W, objective, n_iter, converged, "
           "step_inverse); users do not build it from their input",
           "tests/sparsity/test_validation.py"),
]

