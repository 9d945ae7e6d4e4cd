"""state_dict round trips, accessors of Γ, masks, and rejection of bad arguments."""

from __future__ import annotations

import copy
import io

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from tensorcnn.optim import BetaLasso, SplitLBI, keep_masks


def small_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 5), nn.ReLU(), nn.Linear(5, 3)).double()


def batches(n: int, seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    return [(torch.randn(8, 2, 6, 6, generator=gen, dtype=torch.float64),
             torch.randint(0, 3, (8,), generator=gen)) for _ in range(n)]


def splitlbi_for(model: nn.Module) -> SplitLBI:
    weights = [p for n, p in model.named_parameters() if p.dim() > 1]
    others = [p for n, p in model.named_parameters() if p.dim() <= 1]
    return SplitLBI([dict(params=weights[:1]), dict(params=weights[1:], penalty="lasso", lam=0.01),
                     dict(params=others, penalty=None, weight_decay=0.0)],
                    lr=0.1, kappa=2.0, nu=1.0, lam=0.05, momentum=0.9, weight_decay=1e-3,
                    nesterov=True)


def beta_lasso_for(model: nn.Module) -> BetaLasso:
    return BetaLasso([dict(params=[p for p in model.parameters() if p.dim() > 1]),
                      dict(params=[p for p in model.parameters() if p.dim() <= 1], lam=0.0)],
                     lr=0.05, lam=1e-3, beta=50.0, momentum=0.5)


def train(model, opt, data):
    for x, y in data:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


@pytest.mark.parametrize("make_opt", [splitlbi_for, beta_lasso_for])
def test_state_dict_round_trip_resumes_exactly(make_opt):
    data = batches(8)
    model = small_net()
    opt = make_opt(model)
    train(model, opt, data)

    resumed = small_net()
    opt_a = make_opt(resumed)
    train(resumed, opt_a, data[:4])
    buffer = io.BytesIO()
    torch.save({"model": resumed.state_dict(), "opt": opt_a.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)

    fresh = small_net(seed=99)  # different initial weights: everything must come from disk
    fresh.load_state_dict(saved["model"])
    opt_b = make_opt(fresh)
    opt_b.load_state_dict(saved["opt"])
    train(fresh, opt_b, data[4:])
    for p, q in zip(model.parameters(), fresh.parameters(), strict=True):
        assert torch.equal(p, q)
    if isinstance(opt, SplitLBI):
        for p, q in zip(model.parameters(), fresh.parameters(), strict=True):
            g1, g2 = opt.gamma(p), opt_b.gamma(q)
            assert (g1 is None) == (g2 is None)
            if g1 is not None:
                assert torch.equal(g1, g2)
                assert torch.equal(opt.state[p]["V"], opt_b.state[q]["V"])


def test_splitlbi_state_dict_contains_dual_variables():
    model = small_net()
    opt = splitlbi_for(model)
    train(model, opt, batches(2))
    state = opt.state_dict()["state"]
    conv_index = 0
    assert {"V", "Gamma", "momentum_buffer"} <= set(state[conv_index])
    assert opt.state_dict()["param_groups"][2]["penalty"] is None


def test_gamma_accessors_sparsity_and_sparse_model():
    model = small_net()
    opt = splitlbi_for(model)
    assert opt.sparsity(model) == {"0.weight": 0.0, "4.weight": 0.0, "6.weight": 0.0}
    train(model, opt, batches(6))
    conv, fc = model[0].weight, model[4].weight
    assert opt.gamma(model[0].bias) is None and opt.support(model[1].weight) is None
    mask = opt.support(conv)
    # Group lasso: a filter is in or out as a whole.
    per_filter = mask.reshape(4, -1)
    assert torch.equal(per_filter.all(dim=1), per_filter.any(dim=1))
    assert 0 < int(per_filter.any(dim=1).sum()) < 4  # some filters in, some out
    assert torch.equal(opt.group_support(conv), per_filter.any(dim=1))
    sparsity = opt.sparsity(model)
    assert sparsity["0.weight"] == pytest.approx(float(mask.double().mean()))
    assert sparsity["4.weight"] == pytest.approx(float((opt.gamma(fc) != 0).double().mean()))
    assert 0 < sparsity["4.weight"] < 1
    assert opt.sparsity(model, level="group")["0.weight"] == pytest.approx(
        float(per_filter.any(dim=1).double().mean()))
    assert set(opt.sparsity()) == {"group0.param0", "group1.param0", "group1.param1"}

    sparse = opt.sparse_model(model)
    assert torch.equal(sparse[4].weight, fc * (opt.gamma(fc) != 0))
    assert torch.equal(sparse[0].bias, model[0].bias)
    dense = [p.detach().clone() for p in model.parameters()]
    with opt.sparse_weights():
        for p, q in zip(model.parameters(), sparse.parameters(), strict=True):
            assert torch.equal(p, q)
    for p, d in zip(model.parameters(), dense, strict=True):
        assert torch.equal(p, d)
    masks = opt.support_masks(model)
    assert set(masks) == {"0.weight", "4.weight", "6.weight"}


def test_keep_masks_trains_only_the_subnetwork():
    model = small_net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    gen = torch.Generator().manual_seed(0)
    masks = {"4.weight": torch.rand(5, 64, generator=gen) < 0.3}
    handle = keep_masks(opt, model, masks)
    assert torch.all(model[4].weight[~masks["4.weight"]] == 0)
    train(model, opt, batches(3))
    assert torch.all(model[4].weight[~masks["4.weight"]] == 0)
    assert torch.all(model[4].weight[masks["4.weight"]] != 0)
    handle.remove()
    train(model, opt, batches(1, seed=5))
    assert torch.any(model[4].weight[~masks["4.weight"]] != 0)
    with pytest.raises(KeyError, match="nope"):
        keep_masks(opt, model, {"nope": torch.ones(1)})


BAD_SPLIT = [
    (dict(kappa=0.0), "kappa"), (dict(kappa=-1.0), "kappa"), (dict(nu=0.0), "nu"),
    (dict(nu=-2.0), "nu"), (dict(lam=-0.1), "lam"), (dict(lr=-0.1), "lr"),
    (dict(penalty="ridge"), "penalty"), (dict(penalty="Group"), "penalty"),
    (dict(momentum=1.0), "momentum"), (dict(momentum=-0.1), "momentum"),
    (dict(weight_decay=-1e-4), "weight_decay"), (dict(nesterov=True), "nesterov"),
    (dict(weight_decay_mode="adamw"), "weight_decay_mode"),
    (dict(weight_decay=1.0), "weight_decay"), (dict(kappa=float("nan")), "kappa"),
    (dict(nu=float("inf")), "nu"), (dict(group_scaling="yes"), "group_scaling"),
    (dict(coupling_in_momentum=1), "coupling_in_momentum"),
]


@pytest.mark.parametrize("kwargs,name", BAD_SPLIT)
def test_splitlbi_rejects_bad_arguments(kwargs, name):
    p = nn.Parameter(torch.zeros(2, 2))
    with pytest.raises(ValueError, match=name):
        SplitLBI([p], **kwargs)
    with pytest.raises(ValueError, match=name):
        SplitLBI([dict(params=[p], **kwargs)])  # the same check on a per-group override


@pytest.mark.parametrize("kwargs,name", [
    (dict(lam=-1e-6), "lam"), (dict(beta=-1.0), "beta"), (dict(lr=-0.1), "lr"),
    (dict(momentum=1.5), "momentum"), (dict(nesterov=True), "nesterov"),
])
def test_beta_lasso_rejects_bad_arguments(kwargs, name):
    p = nn.Parameter(torch.zeros(2, 2))
    args = dict(lr=0.1, lam=0.1) | kwargs
    with pytest.raises(ValueError, match=name):
        BetaLasso([p], **args)
    opt = BetaLasso([p], lr=0.1, lam=0.1)
    with pytest.raises(ValueError, match=name):
        opt.add_param_group(dict(params=[nn.Parameter(torch.zeros(1))], **kwargs))


@given(st.floats(max_value=-1e-300, allow_nan=False), st.sampled_from(["lam", "beta"]))
def test_beta_lasso_any_negative_lambda_or_beta_is_rejected(value, name):
    with pytest.raises(ValueError, match=name):
        BetaLasso([nn.Parameter(torch.zeros(1))], **(dict(lr=0.1, lam=0.1) | {name: value}))


@given(st.floats(max_value=0.0, allow_nan=False), st.sampled_from(["kappa", "nu"]))
def test_splitlbi_nonpositive_kappa_or_nu_is_rejected(value, name):
    with pytest.raises(ValueError, match=name):
        SplitLBI([nn.Parameter(torch.zeros(1))], **{name: value})


def test_defaults_match_the_issue_signature():
    p = nn.Parameter(torch.zeros(1))
    g = SplitLBI([p]).param_groups[0]
    assert (g["lr"], g["kappa"], g["nu"], g["lam"], g["momentum"], g["weight_decay"],
            g["nesterov"], g["penalty"]) == (0.1, 1.0, 10.0, 1.0, 0.0, 0.0, False, "group")
    b = BetaLasso([p], 0.1, 1e-5).param_groups[0]
    assert (b["lr"], b["lam"], b["beta"], b["momentum"]) == (0.1, 1e-5, 50.0, 0.0)


def test_gradscaler_and_float32_path_run_on_cpu():
    """GradScaler (disabled off CUDA) calls step() as usual; float32 state stays float32."""
    model = small_net().float()
    opt = SplitLBI(model.parameters(), lr=0.05, momentum=0.9)
    scaler = torch.amp.GradScaler("cuda", enabled=torch.cuda.is_available())
    x, y = batches(1)[0]
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=False):
        loss = nn.functional.cross_entropy(model(x.float()), y)
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    assert all(s["Gamma"].dtype == torch.float32 for s in opt.state.values() if "Gamma" in s)


def test_deepcopy_of_optimizer_state_is_independent():
    model = small_net()
    opt = splitlbi_for(model)
    train(model, opt, batches(2))
    snapshot = copy.deepcopy(opt.state_dict())
    train(model, opt, batches(2, seed=3))
    assert not torch.equal(snapshot["state"][0]["V"], opt.state_dict()["state"][0]["V"])
