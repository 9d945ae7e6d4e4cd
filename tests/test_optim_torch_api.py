"""BetaLasso and SplitLBI as ``torch.optim`` users expect them (issue #13 item 7).

- with their sparsity switched off they are ``torch.optim.SGD`` step for step (float64,
  1e-12), in the exact sense stated in each test;
- ``foreach`` (the ``torch._foreach_*`` path) and the single-tensor path agree, and the
  single-tensor path needs no private ``torch._foreach_*`` function;
- ``maximize=True`` on f is ``maximize=False`` on −f;
- ``differentiable=True`` lets autograd through the step (checked against finite
  differences);
- state dicts and pickles written without the newer options still load and step.
"""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from torch import nn

from tensorcnn.optim import BetaLasso, SplitLBI

TOL = 1e-12
N_STEPS = 6
NEW_FLAGS = ("foreach", "maximize", "differentiable")


def small_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 5), nn.ReLU(), nn.Linear(5, 3)).double()


def batches(n: int = N_STEPS, seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    return [(torch.randn(8, 2, 6, 6, generator=gen, dtype=torch.float64),
             torch.randint(0, 3, (8,), generator=gen)) for _ in range(n)]


def loss_of(model: nn.Module, x: torch.Tensor, y: torch.Tensor, sign: float = 1.0):
    return sign * nn.functional.cross_entropy(model(x), y)


def max_gap_along_the_path(make_ours, make_reference, data=None, sign_ours: float = 1.0,
                           sign_reference: float = 1.0):
    """Largest |θ_ours − θ_ref| over all parameters after each of the steps."""
    data = batches() if data is None else data
    ours, ref = small_net(), small_net()
    opt_ours, opt_ref = make_ours(ours.parameters()), make_reference(ref.parameters())
    gap = 0.0
    for x, y in data:
        for model, opt, sign in ((ours, opt_ours, sign_ours), (ref, opt_ref, sign_reference)):
            opt.zero_grad()
            loss_of(model, x, y, sign).backward()
            opt.step()
        gap = max(gap, max(float((p - q).detach().abs().max())
                           for p, q in zip(ours.parameters(), ref.parameters(), strict=True)))
    moved = max(float((p - q).detach().abs().max())
                for p, q in zip(ours.parameters(), small_net().parameters(), strict=True))
    assert moved > 1e-3  # the comparison is not between two frozen models
    return gap, opt_ours


# ------------------------------------------------------------------ equal to torch.optim.SGD

SGD_CASES = [  # (momentum, nesterov, maximize)
    (0.0, False, False), (0.9, False, False), (0.9, True, False), (0.5, False, True),
    (0.9, True, True),
]


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("momentum,nesterov,maximize", SGD_CASES)
def test_beta_lasso_with_lam_zero_is_sgd(momentum, nesterov, maximize, foreach):
    """λ = 0: no sub-gradient term and the threshold βλ = 0 keeps everything: SGD (β kept)."""
    hyper = dict(lr=0.05, momentum=momentum, nesterov=nesterov, maximize=maximize)
    gap, _ = max_gap_along_the_path(
        lambda ps: BetaLasso(ps, lam=0.0, beta=50.0, foreach=foreach, **hyper),
        lambda ps: torch.optim.SGD(ps, **hyper))
    assert gap <= TOL


SPLIT_SGD_CASES = [  # (momentum, nesterov, weight_decay)
    (0.0, False, 0.0), (0.9, False, 1e-3), (0.9, True, 1e-3), (0.5, False, 0.02),
]


@pytest.mark.parametrize("coupled", [True, False])
@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("momentum,nesterov,wd", SPLIT_SGD_CASES)
def test_splitlbi_without_penalty_is_sgd_with_lr_kappa_alpha(momentum, nesterov, wd, foreach,
                                                             coupled):
    """penalty=None, weight_decay_mode="gradient": SGD(lr=κα, weight_decay=β), any momentum.

    There is no Γ, V or coupling term (``coupling_in_momentum`` has nothing to act on), so
    W ← W − κα v with v the SGD buffer of ∇L_n + β W.
    """
    alpha, kappa = 0.04, 1.7
    for maximize in (False, True):
        gap, opt = max_gap_along_the_path(
            lambda ps, m=maximize: SplitLBI(
                ps, lr=alpha, kappa=kappa, nu=0.3, lam=0.2, momentum=momentum,
                weight_decay=wd, nesterov=nesterov, penalty=None, foreach=foreach,
                coupling_in_momentum=coupled, weight_decay_mode="gradient", maximize=m,
                weight_decay_1d=True),
            lambda ps, m=maximize: torch.optim.SGD(
                ps, lr=kappa * alpha, momentum=momentum, nesterov=nesterov,
                weight_decay=wd, maximize=m))
        assert gap <= TOL
        assert all("V" not in s and "Gamma" not in s for s in opt.state.values())


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_splitlbi_without_penalty_decoupled_and_no_decay_is_sgd(momentum, nesterov):
    """The default (decoupled) mode with β = 0 is SGD(lr=κα), momentum or not."""
    gap, _ = max_gap_along_the_path(
        lambda ps: SplitLBI(ps, lr=0.04, kappa=1.7, momentum=momentum, nesterov=nesterov,
                            penalty=None),
        lambda ps: torch.optim.SGD(ps, lr=1.7 * 0.04, momentum=momentum, nesterov=nesterov))
    assert gap <= TOL


def test_splitlbi_decoupled_decay_is_sgd_decay_over_kappa_alpha_only_without_momentum():
    """Eq. (14) W ← (1 − β) W − κα ∇L_n is SGD with weight_decay β/(κα) without momentum.

    With momentum it is not an SGD step (SGD's decay goes through the buffer); the second
    half of the test shows the gap is far above rounding, so the first half is not vacuous.
    """
    alpha, kappa, beta = 0.04, 1.7, 2e-3
    gap, _ = max_gap_along_the_path(
        lambda ps: SplitLBI(ps, lr=alpha, kappa=kappa, weight_decay=beta, penalty=None,
                            weight_decay_1d=True),
        lambda ps: torch.optim.SGD(ps, lr=kappa * alpha, weight_decay=beta / (kappa * alpha)))
    assert gap <= TOL
    gap, _ = max_gap_along_the_path(
        lambda ps: SplitLBI(ps, lr=alpha, kappa=kappa, weight_decay=beta, penalty=None,
                            momentum=0.9, weight_decay_1d=True),
        lambda ps: torch.optim.SGD(ps, lr=kappa * alpha, weight_decay=beta / (kappa * alpha),
                                   momentum=0.9))
    assert gap > 1e-6


@pytest.mark.parametrize("penalty", ["group", "lasso"])
@pytest.mark.parametrize("momentum,nesterov,coupled,wd",
                         [(0.0, False, False, 0.0), (0.9, False, True, 0.0),
                          (0.9, True, True, 1e-3)])
def test_splitlbi_with_gamma_at_zero_is_sgd_with_weight_decay_one_over_nu(penalty, momentum,
                                                                          nesterov, coupled,
                                                                          wd):
    """A penalised group whose Γ stays 0 steps W as SGD(lr=κα, weight_decay=1/ν + β).

    Γ = 0 while λ exceeds every ‖V_g‖ (here λ = 1e6; in a real run, before the first
    group enters the path), so the coupling (W − Γ)/ν is W/ν: an L2 term of strength 1/ν
    that goes through the buffer with ``coupling_in_momentum=True`` (or without momentum).
    As ν → ∞ it vanishes and W follows plain SGD with learning rate κα.
    """
    alpha, kappa, nu = 0.04, 1.7, 3.0
    gap, opt = max_gap_along_the_path(
        lambda ps: SplitLBI(ps, lr=alpha, kappa=kappa, nu=nu, lam=1e6, penalty=penalty,
                            momentum=momentum, nesterov=nesterov, weight_decay=wd,
                            coupling_in_momentum=coupled, weight_decay_mode="gradient",
                            weight_decay_1d=True),
        lambda ps: torch.optim.SGD(ps, lr=kappa * alpha, momentum=momentum, nesterov=nesterov,
                                   weight_decay=1.0 / nu + wd))
    assert gap <= TOL
    gammas = [s["Gamma"] for s in opt.state.values()]
    assert gammas and all(torch.all(g == 0) for g in gammas)
    assert any(torch.any(s["V"] != 0) for s in opt.state.values())


def test_splitlbi_approaches_sgd_as_nu_grows():
    """With an active path (λ small), W(ν) − W_SGD(κα) = O(1/ν): the gap times ν settles."""
    scaled = []
    for nu in (1e4, 1e6):
        gap, _ = max_gap_along_the_path(
            lambda ps, nu=nu: SplitLBI(ps, lr=0.04, kappa=1.7, nu=nu, lam=0.0, momentum=0.9),
            lambda ps: torch.optim.SGD(ps, lr=1.7 * 0.04, momentum=0.9))
        scaled.append(gap * nu)
    assert 0 < scaled[1] == pytest.approx(scaled[0], rel=1e-2)


# ------------------------------------------------------------------ foreach vs single tensor

def configs():
    """(name, factory(params, **flags)) covering every branch of both steps."""
    def beta(**kw):
        return lambda ps, **f: BetaLasso(ps, lr=0.05, lam=2e-3, beta=5.0, **kw, **f)

    def split(**kw):
        base = dict(lr=0.1, kappa=2.0, nu=1.0, lam=0.05)
        return lambda ps, **f: SplitLBI(ps, **(base | kw), **f)

    return [
        ("beta-plain", beta()),
        ("beta-momentum", beta(momentum=0.9)),
        ("beta-nesterov", beta(momentum=0.9, nesterov=True)),
        ("split-group", split()),
        ("split-group-scaled-nesterov-decoupled",
         split(group_scaling=True, momentum=0.9, nesterov=True, weight_decay=1e-3)),
        ("split-lasso-released",
         split(penalty="lasso", momentum=0.9, weight_decay=1e-3, coupling_in_momentum=False,
               weight_decay_mode="gradient")),
        ("split-none-momentum", split(penalty=None, momentum=0.5, weight_decay=1e-3)),
    ]


def run_flags(make, data, sign: float = 1.0, **flags):
    model = small_net()
    opt = make(model.parameters(), **flags)
    for x, y in data:
        opt.zero_grad()
        loss_of(model, x, y, sign).backward()
        opt.step()
    return model, opt


def assert_same_run(run_a, run_b, tol: float = TOL):
    (model_a, opt_a), (model_b, opt_b) = run_a, run_b
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=tol)
        state_a, state_b = opt_a.state[p], opt_b.state[q]
        assert set(state_a) == set(state_b)
        for key in state_a:
            torch.testing.assert_close(state_a[key], state_b[key], rtol=0, atol=tol)


@pytest.mark.parametrize("name,make", configs(), ids=[n for n, _ in configs()])
def test_foreach_and_single_tensor_paths_agree(name, make):
    data = batches()
    assert_same_run(run_flags(make, data, foreach=True), run_flags(make, data, foreach=False))
    # foreach=None on CPU is the single-tensor path: the same numbers again.
    assert_same_run(run_flags(make, data), run_flags(make, data, foreach=False), tol=0)


@pytest.mark.parametrize("name,make", configs(), ids=[n for n, _ in configs()])
def test_single_tensor_path_uses_no_private_foreach_function(name, make, monkeypatch):
    data = batches(3)
    expected = run_flags(make, data, foreach=True)

    def forbidden(*args, **kwargs):
        raise AssertionError("torch._foreach_* called on the single-tensor path")

    for attr in dir(torch):
        if attr.startswith("_foreach_"):
            monkeypatch.setattr(torch, attr, forbidden)
    assert_same_run(expected, run_flags(make, data, foreach=False))
    with pytest.raises(AssertionError, match="_foreach_"):
        run_flags(make, data, foreach=True)


def test_foreach_groups_tensors_by_dtype():
    """One group holding float32 and float64 parameters: the foreach path splits it."""
    def run(foreach):
        torch.manual_seed(3)
        params = [nn.Parameter(torch.randn(4, 3)), nn.Parameter(torch.randn(5, 2).double()),
                  nn.Parameter(torch.randn(3))]
        for make in (lambda ps: SplitLBI(ps, momentum=0.9, lam=0.1, foreach=foreach),
                     lambda ps: BetaLasso(ps, lr=0.1, lam=0.01, beta=1.0, momentum=0.9,
                                          foreach=foreach)):
            opt = make(params)
            for _ in range(3):
                for p in params:
                    p.grad = torch.sin(3 * p.detach()) + 0.1
                opt.step()
        return [p.detach().clone() for p in params]

    for p, q in zip(run(True), run(False), strict=True):
        assert p.dtype == q.dtype
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def recorded_paths(opt) -> list[bool]:
    calls = []
    step_group = opt._step_group

    def spy(group, params, grads, foreach):
        calls.append(foreach)
        step_group(group, params, grads, foreach)

    opt._step_group = spy
    for group in opt.param_groups:
        for p in group["params"]:
            p.grad = torch.ones_like(p)
    opt.step()
    return calls


@pytest.mark.parametrize("cls", [BetaLasso, SplitLBI])
def test_foreach_none_picks_the_loop_on_cpu(cls):
    def make(**flags):
        return cls([nn.Parameter(torch.zeros(2, 2))], lr=0.1, lam=0.1, **flags)

    assert make().param_groups[0]["foreach"] is None
    assert recorded_paths(make()) == [False]
    assert recorded_paths(make(foreach=True)) == [True]
    assert recorded_paths(make(foreach=False)) == [False]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("cls", [BetaLasso, SplitLBI])
def test_foreach_none_picks_foreach_on_cuda(cls):
    def make(**flags):
        return cls([nn.Parameter(torch.zeros(2, 2, device="cuda"))], lr=0.1, lam=0.1, **flags)

    assert recorded_paths(make()) == [True]
    assert recorded_paths(make(foreach=False)) == [False]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name,make", configs(), ids=[n for n, _ in configs()])
def test_foreach_and_single_tensor_paths_agree_on_cuda(name, make):
    data = [(x.cuda(), y.cuda()) for x, y in batches()]

    def run(**flags):
        model = small_net().cuda()
        opt = make(model.parameters(), **flags)
        for x, y in data:
            opt.zero_grad()
            loss_of(model, x, y).backward()
            opt.step()
        return model, opt

    assert_same_run(run(), run(foreach=False), tol=1e-10)


# ------------------------------------------------------------------------------- maximize

@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("name,make", configs(), ids=[n for n, _ in configs()])
def test_maximize_equals_minimising_the_negated_loss(name, make, foreach):
    data = batches()
    maximised = run_flags(make, data, sign=-1.0, maximize=True, foreach=foreach)
    assert_same_run(maximised, run_flags(make, data, sign=1.0, foreach=foreach))
    # and it is not a no-op: maximising the loss itself goes elsewhere
    model, _ = run_flags(make, data, sign=1.0, maximize=True, foreach=foreach)
    assert any(not torch.allclose(p, q) for p, q in
               zip(model.parameters(), maximised[0].parameters(), strict=True))


# ------------------------------------------------------------------------- differentiable

def test_one_differentiable_step_passes_the_gradient_to_the_initial_value():
    """BetaLasso(λ = 0), one step: θ_1 = θ_0 − η g, so ∂θ_1/∂θ_0 = 1 and ∂θ_1/∂g = −η."""
    theta0 = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
    grad = torch.tensor([0.5, 0.1, -0.7], dtype=torch.float64, requires_grad=True)
    theta = theta0.clone()
    opt = BetaLasso([theta], lr=0.25, lam=0.0, momentum=0.9, differentiable=True)
    theta.grad = grad
    opt.step()
    d_theta0, d_grad = torch.autograd.grad(theta.sum(), (theta0, grad))
    assert torch.equal(d_theta0, torch.ones(3, dtype=torch.float64))
    assert torch.equal(d_grad, torch.full((3,), -0.25, dtype=torch.float64))


def unrolled(make, n_steps: int):
    """θ_0, g_1, …, g_n ↦ the parameter (and SplitLBI's V, Γ) after n differentiable steps."""
    def fn(theta0, *grads):
        theta = theta0.clone()
        opt = make([theta])
        for g in grads[:n_steps]:
            theta.grad = g
            opt.step()
        state = opt.state[theta]
        return (theta, *(state[k] for k in ("V", "Gamma") if k in state))
    return fn


DIFFERENTIABLE = [
    ("beta-lasso", lambda ps: BetaLasso(ps, lr=0.2, lam=0.03, beta=3.0, momentum=0.9,
                                        nesterov=True, differentiable=True)),
    ("split-group", lambda ps: SplitLBI(ps, lr=0.5, kappa=1.5, nu=1.0, lam=1.0, momentum=0.9,
                                        weight_decay=1e-2, differentiable=True)),
    ("split-lasso-released", lambda ps: SplitLBI(
        ps, lr=0.5, kappa=1.5, nu=1.0, lam=0.3, penalty="lasso", momentum=0.5,
        weight_decay=1e-2, coupling_in_momentum=False, weight_decay_mode="gradient",
        maximize=True, differentiable=True)),
]


@pytest.mark.parametrize("name,make", DIFFERENTIABLE, ids=[n for n, _ in DIFFERENTIABLE])
def test_differentiable_steps_match_finite_differences(name, make):
    """Three steps with autograd on: the Jacobian in θ_0 and the gradients is exact."""
    gen = torch.Generator().manual_seed(0)
    theta0 = torch.randn(4, 3, generator=gen, dtype=torch.float64).requires_grad_()
    grads = [torch.randn(4, 3, generator=gen, dtype=torch.float64).requires_grad_()
             for _ in range(3)]
    fn = unrolled(make, 3)
    out = fn(theta0, *grads)
    assert all(t.requires_grad for t in out)
    if name == "beta-lasso":
        assert bool((out[0] == 0).any()) and bool((out[0] != 0).any())  # threshold acted
    else:
        assert bool((out[2] == 0).any()) and bool((out[2] != 0).any())  # Γ partly active
    assert torch.autograd.gradcheck(fn, (theta0, *grads), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("cls", [BetaLasso, SplitLBI])
def test_a_plain_step_records_no_graph(cls):
    """differentiable=False: the step runs without autograd even when the gradient has a
    graph (e.g. from ``create_graph=True``), so state and parameters stay detached."""
    p = nn.Parameter(torch.ones(3, 2, dtype=torch.float64))
    opt = cls([p], lr=0.1, lam=0.01, momentum=0.9)
    p.grad = torch.full_like(p, 0.5).requires_grad_() * 2
    opt.step()
    assert p.grad_fn is None
    assert all(not t.requires_grad for t in opt.state[p].values())


# ---------------------------------------------------------- old state dicts and pickles

def old_format(groups: list[dict], keys) -> None:
    for group in groups:
        for key in keys:
            group.pop(key, None)


def makers():
    return [
        ("beta-lasso", lambda ps, **f: BetaLasso(ps, lr=0.05, lam=2e-3, beta=5.0, momentum=0.9,
                                                 **f), NEW_FLAGS),
        ("splitlbi", lambda ps, **f: SplitLBI(ps, lr=0.1, nu=1.0, lam=0.05, momentum=0.9,
                                              **f),
         NEW_FLAGS + ("group_scaling", "coupling_in_momentum", "weight_decay_mode")),
    ]


@pytest.mark.parametrize("name,make,keys", makers(), ids=[n for n, _, _ in makers()])
def test_a_state_dict_without_the_new_options_loads_and_steps(name, make, keys):
    data = batches()
    reference = run_flags(make, data)

    model = small_net()
    opt = make(model.parameters())
    for x, y in data[:3]:
        opt.zero_grad()
        loss_of(model, x, y).backward()
        opt.step()
    saved = copy.deepcopy(opt.state_dict())
    old_format(saved["param_groups"], keys)
    assert not set(keys) & set(saved["param_groups"][0])

    fresh = make(model.parameters(), maximize=True)  # the saved groups win, filled in
    fresh.load_state_dict(saved)
    group = fresh.param_groups[0]
    assert (group["foreach"], group["maximize"], group["differentiable"]) == (None, False, False)
    assert set(keys) <= set(group)
    for x, y in data[3:]:
        fresh.zero_grad()
        loss_of(model, x, y).backward()
        fresh.step()
    assert_same_run(reference, (model, fresh), tol=0)


@pytest.mark.parametrize("name,make,keys", makers(), ids=[n for n, _, _ in makers()])
def test_a_pickle_without_the_new_options_unpickles_and_steps(name, make, keys):
    model = small_net()
    opt = make(model.parameters())
    x, y = batches(1)[0]
    loss_of(model, x, y).backward()
    opt.step()
    old_format(opt.param_groups, keys)
    old_format([opt.defaults], keys)
    restored = pickle.loads(pickle.dumps(opt))
    assert set(keys) <= set(restored.defaults)
    for group in restored.param_groups:
        assert set(keys) <= set(group)
        assert group["maximize"] is False and group["foreach"] is None
    for group in restored.param_groups:
        for p in group["params"]:
            p.grad = torch.ones_like(p)
    restored.step()


# ------------------------------------------------------------------------------ arguments

@pytest.mark.parametrize("flags,name", [
    (dict(foreach="yes"), "foreach"), (dict(foreach=1), "foreach"),
    (dict(maximize=1), "maximize"), (dict(maximize=None), "maximize"),
    (dict(differentiable="no"), "differentiable"),
    (dict(foreach=True, differentiable=True), "foreach"),
])
@pytest.mark.parametrize("cls", [BetaLasso, SplitLBI])
def test_bad_flags_are_rejected(cls, flags, name):
    p = nn.Parameter(torch.zeros(2, 2))
    with pytest.raises(ValueError, match=name):
        cls([p], lr=0.1, lam=0.1, **flags)
    with pytest.raises(ValueError, match=name):
        cls([dict(params=[p], **flags)], lr=0.1, lam=0.1)


@pytest.mark.parametrize("cls", [BetaLasso, SplitLBI])
def test_flags_are_per_group_defaults_like_sgd(cls):
    a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(2))
    opt = cls([dict(params=[a]), dict(params=[b], maximize=True, foreach=False)],
              lr=0.1, lam=0.1)
    sgd = torch.optim.SGD([a], lr=0.1)
    assert {k: opt.defaults[k] for k in NEW_FLAGS} == {k: sgd.defaults[k] for k in NEW_FLAGS}
    assert (opt.param_groups[0]["maximize"], opt.param_groups[0]["foreach"]) == (False, None)
    assert (opt.param_groups[1]["maximize"], opt.param_groups[1]["foreach"]) == (True, False)


@pytest.mark.parametrize("make, bad", [
    (lambda p: BetaLasso(p, lr=0.1, lam=0.01), {"lr": -1.0}),
    (lambda p: BetaLasso(p, lr=0.1, lam=0.01), {"maximize": "yes"}),
    (lambda p: SplitLBI(p, lr=0.1), {"nu": 0.0}),
    (lambda p: SplitLBI(p, lr=0.1), {"foreach": True, "differentiable": True}),
])
def test_a_rejected_param_group_leaves_the_optimizer_unchanged(make, bad):
    optimizer = make([torch.nn.Parameter(torch.ones(3))])
    before = (len(optimizer.param_groups), optimizer.state_dict())
    with pytest.raises(ValueError):
        optimizer.add_param_group({"params": [torch.nn.Parameter(torch.ones(2))], **bad})
    assert len(optimizer.param_groups) == before[0] == 1
    assert optimizer.state_dict() == before[1]
