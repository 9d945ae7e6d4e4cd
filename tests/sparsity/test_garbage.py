"""Garbage collection (002 §3.5.2, issue #19): exact under group-lasso SplitLBI, on nested
and residual networks (torch.fx), with clear errors for what cannot be collected.

"Exact" is checked against the uncollected model trained from the same state, restricted to
the kept units: that restriction is computed by collecting a copy of the reference *after*
training (slicing only, no optimizer steps), and every parameter and optimizer state tensor is
compared. The slicing itself is checked independently (explicit shapes, equal outputs).
"""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tensorcnn.optim import BetaLasso, SplitLBI, param_groups_by_kind
from tensorcnn.sparsity import Switch, collect_garbage, count_parameters
from tensorcnn.sparsity.garbage import REMOVED_COLUMNS, _keep_removed_columns

D = torch.float64


def mse(out, y):
    return ((out - y) ** 2).mean()


def train(model, opt, x, y, steps, loss=mse):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        value = loss(model(x), y)
        value.backward()
        opt.step()
        losses.append(float(value.detach()))
    return losses


def restricted_difference(model, opt, ref_model, ref_opt):
    """Max |difference| between the collected (model, opt) and the uncollected reference
    restricted to the kept units, over every parameter and state tensor of its shape."""
    sliced, sliced_opt = copy.deepcopy((ref_model, ref_opt))
    collect_garbage(sliced, sliced_opt)
    worst = 0.0
    for (name, p), (name2, q) in zip(model.named_parameters(), sliced.named_parameters(),
                                     strict=True):
        assert name == name2 and p.shape == q.shape, (name, p.shape, q.shape)
        worst = max(worst, float((p - q).detach().abs().max()))
        for key, value in opt.state[p].items():
            if torch.is_tensor(value) and value.shape == p.shape:
                worst = max(worst, float((value - sliced_opt.state[q][key]).abs().max()))
    return worst


def group_splitlbi(model, **options):
    groups = param_groups_by_kind(model, conv=dict(penalty="group"),
                                  linear=dict(penalty="group"), other=dict(penalty=None))
    return SplitLBI(groups, **({"lr": 0.05, "lam": 0.05, "nu": 1.0} | options))


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 10, dtype=D), Switch(10, rng=0, dtype=D), nn.ReLU(),
                         nn.Linear(10, 8, dtype=D), Switch(8, rng=1, dtype=D), nn.Tanh(),
                         nn.Linear(8, 3, dtype=D))


def cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(2, 6, 3, padding=1, dtype=D), Switch(6, rng=0, dtype=D),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 5, 3, dtype=D),
                         Switch(5, rng=1, dtype=D), nn.Tanh(), nn.Flatten(),
                         nn.Linear(5 * 2 * 2, 3, dtype=D))


def data(model):
    gen = torch.Generator().manual_seed(1)
    shape = (24, 6) if isinstance(model[0], nn.Linear) else (24, 2, 8, 8)
    return torch.randn(*shape, generator=gen, dtype=D), torch.randn(24, 3, generator=gen,
                                                                     dtype=D)


def kill(model):
    switches = [m for m in model.modules() if isinstance(m, Switch)]
    for i, switch in enumerate(switches):
        mask = torch.zeros(switch.num_features, dtype=torch.bool)
        mask[i::3] = True
        switch.kill(mask)


# ---------------------------------------------------- exactness under group SplitLBI
SPLITLBI_OPTIONS = {
    "plain": {},
    "momentum": dict(momentum=0.9),
    "nesterov+decay": dict(momentum=0.9, nesterov=True, weight_decay=1e-3),
    "released code": dict(momentum=0.9, coupling_in_momentum=False, weight_decay=1e-3,
                          weight_decay_mode="gradient"),
    "group scaling": dict(group_scaling=True, lam=0.015),
    "foreach": dict(momentum=0.5, foreach=True),
}


@pytest.mark.parametrize("options", SPLITLBI_OPTIONS.values(), ids=SPLITLBI_OPTIONS.keys())
@pytest.mark.parametrize("make", [mlp, cnn])
def test_gc_is_exact_under_group_splitlbi(make, options):
    model = make()
    x, y = data(model)
    opt = group_splitlbi(model, **options)
    train(model, opt, x, y, 15)
    kill(model)
    ref_model, ref_opt = copy.deepcopy((model, opt))
    old_model, old_opt = copy.deepcopy((model, opt))
    assert collect_garbage(model, opt).total > 0
    losses = train(model, opt, x, y, 3)
    ref_losses = train(ref_model, ref_opt, x, y, 3)
    assert restricted_difference(model, opt, ref_model, ref_opt) <= 1e-10
    assert max(abs(a - b) for a, b in zip(losses, ref_losses, strict=True)) <= 1e-12
    consumer = model[3] if make is mlp else model[4]
    removed = opt.state[consumer.weight][REMOVED_COLUMNS]  # <= 4 virtual columns per group
    assert removed["V"].shape[1] <= 4 and removed["V"].abs().max() > 1e-3
    # the case is not trivial: consumer groups are active and shrunk (0 < ‖Γ_g‖ < κ‖V_g‖) ...
    state = ref_opt.state[ref_model[3 if make is mlp else 4].weight]
    gamma, v = state["Gamma"].flatten(1).norm(dim=1), state["V"].flatten(1).norm(dim=1)
    assert bool(((gamma > 0) & (gamma < 0.999 * v)).any())
    # ... and dropping the removed columns' share of the group norms (the code of issue
    # #19) leaves the uncollected model: this comparison can fail
    collect_garbage(old_model, old_opt)
    for param_state in old_opt.state.values():
        param_state.pop(REMOVED_COLUMNS, None)
    train(old_model, old_opt, x, y, 3)
    assert restricted_difference(old_model, old_opt, ref_model, ref_opt) > 1e-4


def test_two_collections_and_a_state_dict_round_trip_stay_exact():
    model = cnn()
    x, y = data(model)
    opt = group_splitlbi(model, momentum=0.9, group_scaling=True, lam=0.015)
    train(model, opt, x, y, 10)
    model[1].kill(torch.tensor([1, 0, 0, 1, 0, 0], dtype=torch.bool))
    ref_model, ref_opt = copy.deepcopy((model, opt))
    collect_garbage(model, opt)
    train(model, opt, x, y, 3)
    train(ref_model, ref_opt, x, y, 3)
    model[1].kill(torch.tensor([0, 1, 0, 0], dtype=torch.bool))   # unit 2 of the original 6
    ref_model[1].kill(torch.tensor([0, 0, 1, 0, 0, 0], dtype=torch.bool))
    collect_garbage(model, opt)
    reloaded = group_splitlbi(model, momentum=0.9, group_scaling=True, lam=0.015)
    reloaded.load_state_dict(copy.deepcopy(opt.state_dict()))
    twin = copy.deepcopy(model)
    reloaded_twin = group_splitlbi(twin, momentum=0.9, group_scaling=True, lam=0.015)
    reloaded_twin.load_state_dict(copy.deepcopy(opt.state_dict()))
    train(model, opt, x, y, 3)
    train(ref_model, ref_opt, x, y, 3)
    train(twin, reloaded_twin, x, y, 3)
    assert restricted_difference(model, opt, ref_model, ref_opt) <= 1e-10
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.equal(p, q)
    removed = opt.state[model[4].weight][REMOVED_COLUMNS]
    assert removed["n"] == 3 * 3 * 3 and removed["V"].shape == (5, 4)


def test_removed_columns_have_the_gram_matrix_of_the_removed_entries():
    gen = torch.Generator().manual_seed(0)
    param = torch.randn(4, 9, 2, generator=gen, dtype=D)
    state = {"V": torch.randn(4, 9, 2, generator=gen, dtype=D),
             "Gamma": torch.randn(4, 9, 2, generator=gen, dtype=D),
             "momentum_buffer": torch.randn(4, 9, 2, generator=gen, dtype=D)}
    keep = torch.tensor([0, 2, 3, 7])
    _keep_removed_columns(state, param, 1, keep)
    gone = torch.tensor([1, 4, 5, 6, 8])
    # Gram matrices from the removed entries themselves, by an explicit sum over entries
    full = [t[:, gone].reshape(4, -1) for t in (param, state["V"], state["Gamma"],
                                                state["momentum_buffer"])]
    for g in range(4):
        expected = torch.zeros(4, 4, dtype=D)
        for e in range(full[0].shape[1]):
            x = torch.stack([f[g, e] for f in full])
            expected += torch.outer(x, x)
        r = torch.stack([state[REMOVED_COLUMNS][k][g] for k in
                         ("W", "V", "Gamma", "momentum_buffer")], dim=1)
        assert torch.allclose(r.T @ r, expected, rtol=1e-12, atol=1e-12)
    assert state[REMOVED_COLUMNS]["n"] == 10


def test_lasso_and_plain_optimizers_keep_no_removed_columns():
    model = mlp()
    x, y = data(model)
    groups = param_groups_by_kind(model, linear=dict(penalty="lasso"), other=dict(penalty=None))
    opt = SplitLBI(groups, lr=0.05, lam=0.05, nu=1.0)
    train(model, opt, x, y, 5)
    kill(model)
    collect_garbage(model, opt)
    assert not any(REMOVED_COLUMNS in s for s in opt.state.values())


# ------------------------------------------------------- nested and residual models
class Block(nn.Module):
    """A residual block: relu(x + s2(conv2(relu(s1(bn1(conv1(x)))))))."""

    def __init__(self, channels, hidden, seed):
        super().__init__()
        # no bias before BatchNorm: its gradient is 0 up to rounding, which Adam and Adagrad
        # would blow up to ~lr (a rounding-noise difference, not a collection error)
        self.conv1 = nn.Conv2d(channels, hidden, 3, padding=1, bias=False, dtype=D)
        self.bn1 = nn.BatchNorm2d(hidden, dtype=D)
        self.s1 = Switch(hidden, rng=seed, dtype=D)
        self.conv2 = nn.Conv2d(hidden, channels, 3, padding=1, dtype=D)
        self.s2 = Switch(channels, rng=seed + 1, dtype=D)

    def forward(self, x):
        h = torch.relu(self.s1(self.bn1(self.conv1(x))))
        return F.relu(x + self.s2(self.conv2(h)))


class ResNet(nn.Module):
    def __init__(self, channels=5, hidden=4):
        super().__init__()
        torch.manual_seed(0)
        self.stem = nn.Conv2d(2, channels, 3, padding=1, dtype=D)
        self.s0 = Switch(channels, rng=10, dtype=D)
        self.blocks = nn.Sequential(Block(channels, hidden, 0), Block(channels, hidden, 2))
        self.fc = nn.Linear(channels, 3, dtype=D)

    def forward(self, x):
        x = self.blocks(self.s0(self.stem(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def nested():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Sequential(nn.Linear(6, 8, dtype=D), nn.Sequential(Switch(8, rng=0, dtype=D),
                                                              nn.ReLU())),
        nn.Sequential(nn.Linear(8, 7, dtype=D), Switch(7, rng=1, dtype=D), nn.Tanh()),
        nn.Linear(7, 3, dtype=D))


def mask(n, dead):
    out = torch.zeros(n, dtype=torch.bool)
    out[list(dead)] = True
    return out


def kill_resnet(model):
    model.s0.kill(mask(5, [1]))
    model.blocks[0].s2.kill(mask(5, [1, 2]))   # channel 2: dead in this branch only
    model.blocks[1].s2.kill(mask(5, [1]))
    model.blocks[0].s1.kill(mask(4, [0, 3]))
    model.blocks[1].s1.kill(mask(4, [2]))


def test_nested_sequential_is_collected():
    model = nested()
    model[0][1][0].kill(mask(8, [0, 5, 6]))
    model[1][1].kill(mask(7, [3]))
    x = torch.randn(9, 6, dtype=D)
    expected = model(x)
    report = collect_garbage(model)
    assert report.removed == {"0.1.0": 3, "1.1": 1} and not report.blocked
    assert model[0][0].weight.shape == (5, 6) and model[1][0].weight.shape == (6, 5)
    assert model[2].weight.shape == (3, 6)
    assert torch.allclose(model(x), expected, rtol=0, atol=1e-14)


def test_residual_network_is_collected_with_the_sum_rule():
    model = ResNet()
    kill_resnet(model)
    x = torch.randn(6, 2, 6, 6, dtype=D)
    model.eval()
    expected = model(x)
    before = count_parameters(model)
    report = collect_garbage(model)
    # channel 1 is dead in every branch of the residual stream: removed everywhere;
    # channel 2 is dead in one branch only: kept, reported as blocked
    assert report.removed == {"s0": 1, "blocks.0.s2": 1, "blocks.1.s2": 1,
                              "blocks.0.s1": 2, "blocks.1.s1": 1}
    assert report.blocked == {"blocks.0.s2": 1}
    assert model.stem.weight.shape[0] == 4 and model.fc.weight.shape == (3, 4)
    assert model.blocks[0].conv1.weight.shape == (2, 4, 3, 3)
    assert model.blocks[0].bn1.running_mean.shape == (2,)
    assert model.blocks[1].conv2.weight.shape == (4, 3, 3, 3)
    assert count_parameters(model) < before
    assert torch.allclose(model(x), expected, rtol=0, atol=1e-13)


OPTIMIZERS = {
    "sgd": lambda m: torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9),
    "adam-amsgrad": lambda m: torch.optim.Adam(m.parameters(), lr=0.01, amsgrad=True),
    "adamw": lambda m: torch.optim.AdamW(m.parameters(), lr=0.01, weight_decay=0.1),
    "adagrad": lambda m: torch.optim.Adagrad(m.parameters(), lr=0.05),
    "beta-lasso": lambda m: BetaLasso(m.parameters(), lr=0.05, lam=1e-3, beta=1.0),
    "splitlbi-group": lambda m: group_splitlbi(m, momentum=0.9),
}


@pytest.mark.parametrize("make_opt", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
@pytest.mark.parametrize("make", [ResNet, nested])
def test_collected_dag_trains_like_the_masked_model(make, make_opt):
    model = make()
    x = torch.randn(8, 2, 6, 6, dtype=D) if make is ResNet else torch.randn(8, 6, dtype=D)
    y = torch.randn(8, 3, dtype=D)
    opt = make_opt(model)
    train(model, opt, x, y, 8)
    if make is ResNet:
        kill_resnet(model)
    else:
        model[0][1][0].kill(mask(8, [0, 5, 6]))
        model[1][1].kill(mask(7, [3, 4]))
    ref_model, ref_opt = copy.deepcopy((model, opt))
    assert collect_garbage(model, opt).total > 0
    losses = train(model, opt, x, y, 3)
    ref_losses = train(ref_model, ref_opt, x, y, 3)
    assert restricted_difference(model, opt, ref_model, ref_opt) <= 1e-10
    assert max(abs(a - b) for a, b in zip(losses, ref_losses, strict=True)) <= 1e-12


def test_input_switch_in_a_nested_model_reports_the_kept_inputs():
    model = nn.Sequential(nn.Sequential(Switch(5, rng=0, dtype=D)), nn.Linear(5, 2, dtype=D))
    model[0][0].kill(mask(5, [1, 3]))
    x = torch.randn(4, 5, dtype=D)
    expected = model(x)
    report = collect_garbage(model)
    assert report.input_keep.tolist() == [0, 2, 4]
    assert torch.allclose(model(x[:, report.input_keep]), expected, rtol=0, atol=1e-15)


def test_flatten_by_view_and_mean_pooling():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 4, 3, dtype=D)
            self.s = Switch(4, rng=0, dtype=D)
            self.fc = nn.Linear(4 * 2 * 2, 2, dtype=D)
            self.fc2 = nn.Linear(4, 2, dtype=D)

        def forward(self, x):
            h = self.s(self.conv(x)) * 2.0
            return self.fc(h.view(h.size(0), -1)) + self.fc2(h.mean((2, 3)))

    model = Net()
    model.s.kill(mask(4, [2]))
    x = torch.randn(3, 2, 4, 4, dtype=D)
    expected = model(x)
    assert collect_garbage(model).removed == {"s": 1}
    assert model.fc.weight.shape == (2, 12) and model.fc2.weight.shape == (2, 3)
    assert torch.allclose(model(x), expected, rtol=0, atol=1e-14)


# ------------------------------------------------------------------------- refusals
class Concat(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.s = nn.Linear(3, 4, dtype=D), Switch(4, rng=0, dtype=D)
        self.b = nn.Linear(3, 2, dtype=D)
        self.head = nn.Linear(6, 2, dtype=D)

    def forward(self, x):
        return self.head(torch.cat([self.s(self.a(x)), self.b(x)], dim=1))


class ControlFlow(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin, self.s = nn.Linear(3, 3), Switch(3)

    def forward(self, x):
        return self.s(self.lin(x)) if x.sum() > 0 else x


def test_untraceable_and_uncollectable_models_are_refused_unchanged():
    with pytest.raises(TypeError, match="ControlFlow.*torch.fx"):
        collect_garbage(ControlFlow())
    model = Concat()
    model.s.kill(mask(4, [0]))
    before = count_parameters(model)
    with pytest.raises(ValueError, match=r"Switch 's'.*cat\(\)"):
        collect_garbage(model)
    assert count_parameters(model) == before
    last = nn.Sequential(nn.Linear(3, 4), Switch(4))
    last[1].kill(mask(4, [0]))
    with pytest.raises(ValueError, match="index 1: it is an output of the model"):
        collect_garbage(last)
    with pytest.raises(TypeError, match="nn.Module"):
        collect_garbage("not a model")


def test_a_dead_unit_before_a_batchnorm_in_a_residual_sum_is_refused():
    model = nn.Sequential(nn.Linear(3, 4, dtype=D), Switch(4, rng=0, dtype=D))

    class Res(nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.bn = model, nn.BatchNorm1d(4, dtype=D)
            self.s, self.out = Switch(4, rng=1, dtype=D), nn.Linear(4, 2, dtype=D)

        def forward(self, x):
            h = self.body(x)
            return self.out(self.bn(h + self.s(h)))

    res = Res()
    res.body[1].kill(mask(4, [2]))  # dead in both terms of the sum, then BatchNorm
    with pytest.raises(ValueError, match=r"Switch 'body.1'.*bn \(BatchNorm1d\).*0 to 0"):
        collect_garbage(res)


def test_an_unsupported_operation_elsewhere_does_not_block_collection():
    model = Concat()
    model.head = nn.Sequential(nn.Linear(6, 5, dtype=D), Switch(5, rng=3, dtype=D), nn.ReLU(),
                               nn.Linear(5, 2, dtype=D))
    model.head[1].kill(mask(5, [1, 4]))
    x = torch.randn(5, 3, dtype=D)
    expected = model(x)
    assert collect_garbage(model).removed == {"head.1": 2}
    assert torch.allclose(model(x), expected, rtol=0, atol=1e-15)


def test_a_dead_switch_the_forward_does_not_call_is_refused():
    class Spare(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin, self.spare = nn.Linear(3, 4), Switch(4)

        def forward(self, x):
            return self.lin(x)

    model = Spare()
    model.spare.kill(mask(4, [0]))
    with pytest.raises(ValueError, match="'spare'.*does not call it"):
        collect_garbage(model)
