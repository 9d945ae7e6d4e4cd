"""Issue 19 / 14 items of the optimizers: SplitLBI's path (entry epochs and steps, the prune
order of the released code, the residual), weight decay that skips biases and BatchNorm, and
the ``nonfinite`` option (apply / skip / raise a NaN gradient)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from tensorcnn.optim import BetaLasso, SplitLBI, apply_masks_, param_groups_by_kind


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """The toy runs are tiny: one thread avoids oversubscribing a loaded 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def toy_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.Flatten(),
                         nn.Linear(6 * 4 * 4, 5)).double()


def toy_data(seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 2, 6, 6, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 5, (64,), generator=gen)
    return x, y


def toy_optimizer(model, **kw):
    groups = param_groups_by_kind(model, conv=dict(penalty="group"),
                                  linear=dict(penalty="lasso"), other=dict(penalty=None))
    hyper = dict(lr=0.1, kappa=1.0, nu=1.0, lam=0.08, momentum=0.9) | kw
    return SplitLBI(groups, **hyper)


def train(model, opt, epochs=6, steps=4, on_step=None, on_epoch=None):
    x, y = toy_data()
    for epoch in range(epochs):
        for k in range(steps):
            idx = slice(16 * k, 16 * (k + 1))
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
            if on_step is not None:
                on_step()
        if on_epoch is not None:
            on_epoch(epoch)


# ----------------------------------------------------------------- the path of Γ


def test_entry_epochs_steps_and_group_norms_match_an_independent_record():
    model = toy_net()
    opt = toy_optimizer(model, track_path=True)
    pen = [(n, p) for n, p in model.named_parameters() if p.dim() >= 2]
    first_epoch = {n: np.full(p.shape, np.inf) for n, p in pen}
    first_step = {n: np.full(p.shape, np.inf) for n, p in pen}
    norms = {n: [] for n, _ in pen}
    count = [0]

    def on_step():
        count[0] += 1
        for n, p in pen:
            inside = opt.state[p]["Gamma"].numpy() != 0
            first_step[n][inside & np.isinf(first_step[n])] = count[0]

    def on_epoch(epoch):
        opt.record_path(epoch)
        for n, p in pen:
            G = opt.state[p]["Gamma"].numpy()
            first_epoch[n][(G != 0) & np.isinf(first_epoch[n])] = epoch
            norms[n].append(np.sqrt((G.reshape(G.shape[0], -1) ** 2).sum(axis=1)))

    train(model, opt, on_step=on_step, on_epoch=on_epoch)
    history = opt.path_history(model)
    assert set(history) == {n for n, _ in pen}
    entered_late = False
    for n, p in pen:
        got = opt.entry_epochs(p).numpy()
        assert np.array_equal(got, first_epoch[n])
        groups = first_epoch[n].reshape(p.shape[0], -1).min(axis=1)
        assert np.array_equal(opt.entry_epochs(p, level="group").numpy(), groups)
        assert np.array_equal(opt.entry_steps(p).numpy(), first_step[n])
        epochs, path = history[n]
        assert epochs.tolist() == list(range(6))
        assert np.allclose(path.numpy(), np.stack(norms[n]), rtol=1e-12, atol=0)
        entered_late |= bool(np.any((first_epoch[n] > 0) & np.isfinite(first_epoch[n])))
    # The run is not trivial: weights enter at different epochs, some never.
    assert entered_late
    assert any(np.isinf(first_epoch[n]).any() for n, _ in pen)
    assert opt.entry_epochs(model[1].weight) is None  # BatchNorm: unpenalised


def test_path_is_in_the_state_dict_and_needs_recording():
    model = toy_net()
    opt = toy_optimizer(model)
    with pytest.raises(RuntimeError, match="record_path"):
        opt.entry_epochs(model[0].weight)
    with pytest.raises(RuntimeError, match="track_path"):
        train(model, opt, epochs=1)
        opt.entry_steps(model[0].weight)
    train(model, opt, epochs=2, on_epoch=opt.record_path)
    clone = toy_net(seed=5)
    opt2 = toy_optimizer(clone)
    opt2.load_state_dict(opt.state_dict())
    for p, q in zip(model.parameters(), clone.parameters(), strict=True):
        if p.dim() >= 2:
            assert torch.equal(opt.entry_epochs(p), opt2.entry_epochs(q))
            assert torch.equal(opt.state[p]["path_norms"], opt2.state[q]["path_norms"])


def _released_prune_masks(records, weights, kinds, percent):
    """The released code's facts, in numpy: epoch_record = min over calls of
    (1 - m) 2000 + m epoch (m = 1(|Γ| > 0)); conv order ‖W_g‖ − min_g record, fc order
    |W| − record; threshold = numpy.percentile(order, percent); a filter is zeroed where
    threshold > order, an fc weight is kept where order > threshold."""
    masks = {}
    for name, W in weights.items():
        record = np.full(W.shape, 2000.0)
        for epoch, G in enumerate(records[name]):
            m = (np.abs(G) > 0).astype(float)
            record = np.minimum((1 - m) * 2000.0 + m * epoch, record)
        if kinds[name] == "conv":
            rows = W.reshape(W.shape[0], -1)
            order = np.sqrt((rows ** 2).sum(axis=1)) - record.reshape(W.shape[0], -1).min(1)
            threshold = np.percentile(order, percent)
            keep = ~(threshold > order)
            masks[name] = np.broadcast_to(keep[:, None], rows.shape).reshape(W.shape)
        else:
            order = np.abs(W) - record
            masks[name] = order > np.percentile(order, percent)
    return masks


@pytest.fixture(scope="module")
def toy_run():
    """A SplitLBI run of 6 epochs with Γ recorded after each (shared by the percents)."""
    model = toy_net()
    opt = toy_optimizer(model)
    pen = {n: p for n, p in model.named_parameters() if p.dim() >= 2}
    records = {n: [] for n in pen}

    def on_epoch(epoch):
        opt.record_path(epoch)
        for n, p in pen.items():
            records[n].append(opt.state[p]["Gamma"].numpy().copy())

    train(model, opt, on_epoch=on_epoch)
    return model, opt, pen, records


@pytest.mark.parametrize("percent", [0.0, 20.0, 50.0, 75.0, 90.0, 100.0])
def test_prune_by_order_reproduces_the_released_mask_on_a_toy_run(toy_run, percent):
    model, opt, pen, records = toy_run
    kinds = {"0.weight": "conv", "4.weight": "fc"}
    want = _released_prune_masks(records, {n: p.detach().numpy() for n, p in pen.items()},
                                 kinds, percent)
    got = opt.prune_masks(percent, model)
    assert set(got) == set(want)
    for n in want:
        assert got[n].shape == pen[n].shape and got[n].dtype == torch.bool
        assert np.array_equal(got[n].numpy(), want[n]), n
    if 0 < percent < 100:  # a real cut: some kept and some pruned in each layer
        assert all(0 < got[n].sum() < got[n].numel() for n in got)
    pruned = toy_net()
    pruned.load_state_dict(model.state_dict())
    apply_masks_(pruned, got)
    assert torch.equal(pruned[0].weight != 0, got["0.weight"] & (model[0].weight != 0))


def test_prune_masks_options_and_validation():
    model = toy_net()
    opt = toy_optimizer(model)
    with pytest.raises(RuntimeError, match="record_path"):
        opt.prune_masks(50, model)
    train(model, opt, epochs=3, on_epoch=opt.record_path)
    masks = opt.prune_masks(50, model, names=["0.weight"], prune_bias=True)
    assert set(masks) == {"0.weight", "0.bias"}
    assert torch.equal(masks["0.bias"], masks["0.weight"].flatten(1).all(dim=1))
    for bad in (-1, 101, float("nan")):
        with pytest.raises(ValueError, match="percent"):
            opt.prune_masks(bad, model)
    with pytest.raises(KeyError, match="penalised"):
        opt.prune_masks(50, model, names=["1.weight"])
    order = opt.prune_order(model[0].weight)
    t = opt.entry_epochs(model[0].weight, level="group").nan_to_num(posinf=2000.0)
    assert torch.allclose(order, model[0].weight.detach().flatten(1).norm(dim=1) - t)


def test_residual_is_the_split_term_of_each_layer():
    model = toy_net()
    opt = toy_optimizer(model, nu=2.5)
    train(model, opt, epochs=1)
    res = opt.residual(model)
    assert set(res) == {"0.weight", "4.weight"}
    for name, p in model.named_parameters():
        if p.dim() >= 2:
            diff = (p.detach() - opt.gamma(p)).numpy()
            assert res[name] == pytest.approx((diff ** 2).sum() / (2 * 2.5), rel=1e-12)
            assert res[name] > 0


# ---------------------------------------------------------- weight decay skips 1-D params


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("mode", ["decoupled", "gradient"])
def test_weight_decay_skips_biases_and_batchnorm_by_default(mode, foreach):
    model = toy_net()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = SplitLBI(model.parameters(), lr=0.1, weight_decay=0.05, penalty=None,
                   weight_decay_mode=mode, foreach=foreach)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    factor = 0.95 if mode == "decoupled" else 1 - 0.1 * 0.05
    for n, p in model.named_parameters():
        want = before[n] * factor if p.dim() >= 2 else before[n]
        assert torch.allclose(p.detach(), want, rtol=1e-14, atol=0), n
    opt = SplitLBI(model.parameters(), lr=0.1, weight_decay=0.05, penalty=None,
                   weight_decay_mode=mode, foreach=foreach, weight_decay_1d=True)
    bias = model[0].bias.detach().clone()
    opt.step()
    assert torch.allclose(model[0].bias.detach(), bias * factor, rtol=1e-14, atol=0)


# --------------------------------------------------------------- non-finite gradients


def _nan_step(make):
    w = nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    b = nn.Parameter(torch.tensor([0.5], dtype=torch.float64))
    opt = make([w, b])
    w.grad = torch.tensor([0.1, 0.2], dtype=torch.float64)
    b.grad = torch.tensor([float("nan")], dtype=torch.float64)
    return opt, w, b


OPTIMIZERS = {
    "splitlbi": lambda ps, **kw: SplitLBI(ps, lr=0.1, momentum=0.9, **kw),
    "beta-lasso": lambda ps, **kw: BetaLasso(ps, lr=0.1, lam=0.01, **kw),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_nan_gradient_is_applied_by_default_skipped_or_raised_on_request(name):
    make = OPTIMIZERS[name]
    opt, w, b = _nan_step(make)
    opt.step()  # default "apply": SGD's behaviour, the NaN goes in
    assert torch.isnan(b).all() and not torch.isnan(w).any()

    opt, w, b = _nan_step(lambda ps: make(ps, nonfinite="skip"))
    opt.step()
    assert w.tolist() == [1.0, 2.0] and b.tolist() == [0.5]
    assert opt.skipped_steps == 1 and len(opt.state) == 0
    b.grad = torch.tensor([0.3], dtype=torch.float64)
    opt.step()  # a finite step runs
    assert w.tolist() != [1.0, 2.0] and opt.skipped_steps == 1

    opt, w, b = _nan_step(lambda ps: make(ps, nonfinite="raise"))
    with pytest.raises(FloatingPointError, match="param 1"):
        opt.step()
    assert w.tolist() == [1.0, 2.0] and b.tolist() == [0.5]
    with pytest.raises(ValueError, match="nonfinite"):
        make([nn.Parameter(torch.ones(1))], nonfinite="ignore")
