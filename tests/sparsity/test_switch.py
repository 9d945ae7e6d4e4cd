"""Switch layer, penalty, killing strategies, garbage collection and folding (002 §3.2–3.6)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tensorcnn.sparsity import (
    SignChangeKill,
    SignVarianceKill,
    Switch,
    ThresholdKill,
    collect_garbage,
    count_parameters,
    fold_switches,
    shrinknet_penalty,
)
from tensorcnn.sparsity.datasets import make_group_sparse_regression
from tensorcnn.sparsity.experiments import train_switch_network


# ----------------------------------------------------------------------------- Switch
@settings(max_examples=20)
@given(seed=st.integers(0, 2**31), extra=st.lists(st.integers(1, 4), max_size=3),
       C=st.integers(1, 6))
def test_switch_is_diag_theta_on_axis_1(seed, extra, C):
    rng = np.random.default_rng(seed)
    switch = Switch(C, rng=seed, dtype=torch.float64)
    x = torch.as_tensor(rng.standard_normal((3, C, *extra)))
    out = switch(x).detach().numpy()
    theta = switch.theta.detach().numpy()
    expected = np.empty_like(out)
    for c in range(C):  # explicit loop over channels
        expected[:, c] = theta[c] * x.numpy()[:, c]
    assert np.allclose(out, expected, rtol=0, atol=1e-15)


def test_switch_init_is_reproducible_and_checked():
    assert torch.equal(Switch(5, rng=3).theta, Switch(5, rng=np.random.default_rng(3)).theta)
    assert torch.equal(Switch(4, init="ones").theta, torch.ones(4))
    with pytest.raises(ValueError, match="num_features"):
        Switch(0)
    with pytest.raises(ValueError, match="init"):
        Switch(3, init="zeros")
    with pytest.raises(ValueError, match="Switch expects"):
        Switch(3)(torch.zeros(2, 4))


def test_rectified_switch_uses_relu_theta():
    switch = Switch(3, init="ones", rectify=True)
    with torch.no_grad():
        switch.theta.copy_(torch.tensor([1.5, -2.0, 0.5]))
    assert torch.equal(switch(torch.ones(1, 3)), torch.tensor([[1.5, 0.0, 0.5]]))


def test_penalty_against_explicit_sum():
    torch.manual_seed(0)
    model = nn.Sequential(Switch(4, rng=0), nn.Linear(4, 3), Switch(3, rng=1), nn.ReLU(),
                          nn.Conv1d(3, 2, 1))
    lam, lam2 = 0.3, 0.05
    for p in (0.5, 1, 2):
        expected = lam * (model[0].theta.abs().sum() + model[2].theta.abs().sum())
        expected = expected + lam2 * (model[1].weight.abs() ** p).sum()
        expected = expected + lam2 * (model[4].weight.abs() ** p).sum()
        value = float(shrinknet_penalty(model, lam, lam2, p).detach())
        assert value == pytest.approx(float(expected.detach()), rel=1e-6)
    with pytest.raises(ValueError, match="lam"):
        shrinknet_penalty(model, -1.0)
    with pytest.raises(ValueError, match="p must"):
        shrinknet_penalty(model, 1.0, 1.0, p=0)


# -------------------------------------------------------------------------- killing
def test_threshold_kill():
    switch = Switch(4, init="ones")
    with torch.no_grad():
        switch.theta.copy_(torch.tensor([0.5, -0.01, 0.02, -3.0]))
    model = nn.Sequential(switch)
    assert ThresholdKill(0.05).update(model) == {"0": 2}
    assert switch.alive.tolist() == [True, False, False, True]
    assert switch.theta.tolist()[1:3] == [0.0, 0.0]


def test_sign_change_kill():
    switch = Switch(3, init="ones")
    model = nn.Sequential(switch)
    strategy = SignChangeKill()
    assert strategy.update(model) == {"0": 0}
    with torch.no_grad():
        switch.theta.copy_(torch.tensor([1.0, -1.0, 2.0]))
    assert strategy.update(model) == {"0": 1}
    assert switch.alive.tolist() == [True, False, True]


def test_sign_variance_kill_matches_the_recursion():
    rho, gamma = 0.8, 0.5
    signs = np.array([[1, 1, 1], [1, -1, 1], [1, 1, -1], [1, -1, -1], [1, 1, -1]], float)
    switch = Switch(3, init="ones")
    model = nn.Sequential(switch)
    strategy = SignVarianceKill(gamma, rule="mean-variance", rho=rho)
    m = signs[0].copy()
    dead = np.zeros(3, bool)
    for s in signs:
        with torch.no_grad():
            switch.theta.copy_(torch.as_tensor(np.where(dead, 0.0, s)))
        m = rho * m + (1 - rho) * np.where(dead, 0.0, s)
        dead |= (1 - m ** 2) > gamma
        strategy.update(model)
        assert switch.alive.numpy().tolist() == (~dead).tolist()
    with pytest.raises(ValueError, match="gamma"):
        SignVarianceKill(1.5)


# ----------------------------------------------------------------- garbage collection
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("hidden", [None, 12])
def test_gc_on_off_gives_the_same_trajectory(optimizer, hidden):
    X, Y, _ = make_group_sparse_regression(200, 15, 4, 4, rng=0)
    runs = [train_switch_network(X, Y, 0.05, 1e-3, 2, strategy=SignVarianceKill(0.3), gc=gc,
                                 epochs=15, lr=0.02, batch_size=50, optimizer=optimizer,
                                 hidden=hidden, rng=1) for gc in (True, False)]
    on, off = runs
    assert min(on["n_inputs"]) < X.shape[1]  # neurons were killed and removed
    assert np.allclose(on["loss"], off["loss"], rtol=1e-6, atol=1e-12)
    assert on["n_params"][-1] < off["n_params"][-1] == off["n_params"][0]
    assert on["n_params"][-1] == count_parameters(on["model"])


def test_gc_multinomial_conv_network_with_adam_state():
    torch.manual_seed(0)
    dtype = torch.float64

    def make():
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(2, 6, 3, padding=1, dtype=dtype),
                             nn.BatchNorm2d(6, dtype=dtype), Switch(6, rng=0, dtype=dtype),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 5, 3, dtype=dtype),
                             Switch(5, rng=1, dtype=dtype), nn.Tanh(), nn.Flatten(),
                             nn.Linear(5 * 2 * 2, 3, dtype=dtype))

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(16, 2, 8, 8, generator=gen, dtype=dtype)
    y = torch.randint(0, 3, (16,), generator=gen)
    losses = {}
    sizes = {}
    for gc in (True, False):
        model = make()
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        losses[gc] = []
        for step in range(12):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            (loss + shrinknet_penalty(model, 0.01, 1e-3)).backward()
            opt.step()
            losses[gc].append(float(loss.detach()))
            if step == 4:
                model[2].kill(torch.tensor([1, 0, 0, 1, 0, 0], dtype=torch.bool))
                model[6].kill(torch.tensor([0, 1, 0, 0, 0], dtype=torch.bool))
                if gc:
                    report = collect_garbage(model, opt)
                    assert report.removed == {2: 2, 6: 1}
        sizes[gc] = count_parameters(model)
        if gc:
            assert model[0].weight.shape[0] == 4 and model[5].weight.shape[:2] == (4, 4)
            assert model[9].weight.shape == (3, 16)
            for param in model.parameters():
                state = opt.state[param]
                assert state["exp_avg"].shape == param.shape == state["exp_avg_sq"].shape
    assert np.allclose(losses[True], losses[False], rtol=1e-6, atol=1e-12)
    assert sizes[True] < sizes[False]


def test_gc_refuses_a_batchnorm_after_the_switch():
    model = nn.Sequential(nn.Linear(3, 4), Switch(4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    model[1].kill(torch.tensor([True, False, False, False]))
    with pytest.raises(ValueError, match="does not map 0 to 0"):
        collect_garbage(model)
    with pytest.raises(TypeError, match="nn.Sequential"):
        collect_garbage(nn.ModuleList([Switch(2)]))


# ------------------------------------------------------------------------- folding
def random_bn(bn, gen):
    bn.running_mean.copy_(torch.randn(bn.num_features, generator=gen))
    bn.running_var.copy_(torch.rand(bn.num_features, generator=gen) + 0.5)
    bn.weight.data.copy_(torch.randn(bn.num_features, generator=gen))
    bn.bias.data.copy_(torch.randn(bn.num_features, generator=gen))
    return bn


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31))
def test_folding_preserves_outputs_and_removes_switches(seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    d = torch.float64
    model = nn.Sequential(
        Switch(3, rng=seed, dtype=d),                                   # forward into conv
        nn.Conv2d(3, 5, 3, padding=1, dtype=d),
        random_bn(nn.BatchNorm2d(5, dtype=d), gen), Switch(5, rng=seed + 1, dtype=d),  # BN
        nn.ReLU(), nn.Conv2d(5, 4, 3, dtype=d), Switch(4, rng=seed + 2, dtype=d),  # conv
        nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 6, dtype=d),
        Switch(6, rng=seed + 3, dtype=d), nn.Dropout(0.5),              # backward into Linear
        nn.Tanh(), Switch(6, rng=seed + 4, dtype=d),                    # forward into BN
        random_bn(nn.BatchNorm1d(6, dtype=d), gen), nn.Linear(6, 2, dtype=d))
    model.eval()
    model[3].kill(torch.tensor([False, True, False, False, False]))
    x = torch.randn(7, 3, 6, 6, generator=gen, dtype=d)
    folded = fold_switches(model)
    assert not any(isinstance(m, Switch) for m in folded.modules())
    with torch.no_grad():
        expected, got = model(x), folded(x)
    assert torch.allclose(got, expected, rtol=1e-6, atol=1e-10)


def test_folding_refuses_to_cross_a_nonlinearity():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), Switch(4, rng=0), nn.ReLU(),
                          nn.Linear(4, 2))
    with pytest.raises(ValueError, match="index 2"):
        fold_switches(model)
    # a rectified switch commutes with ReLU: allowed only when asked
    rect_relu = nn.Sequential(nn.Linear(3, 4), Switch(4, rng=0, rectify=True), nn.ReLU(),
                              nn.Sigmoid(), nn.Linear(4, 2)).eval()
    folded = fold_switches(rect_relu, through_positive_homogeneous=False)  # backward: Linear
    x = torch.randn(5, 3)
    assert torch.allclose(folded(x), rect_relu(x), atol=1e-6)
    only_relu = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.ReLU(),
                              Switch(4, rng=0, rectify=True), nn.ReLU(), nn.Linear(4, 2)).eval()
    with pytest.raises(ValueError):
        fold_switches(only_relu)
    folded = fold_switches(only_relu, through_positive_homogeneous=True)
    assert torch.allclose(folded(x), only_relu(x), atol=1e-6)


def test_gc_refusal_leaves_the_model_untouched():
    model = nn.Sequential(nn.Linear(3, 4), Switch(4), nn.ReLU(), nn.Linear(4, 2), Switch(2),
                          nn.Sigmoid(), nn.Linear(2, 2))
    model[1].kill(torch.tensor([True, False, False, False]))
    model[4].kill(torch.tensor([True, False]))  # sigmoid(0) = 1/2: not removable
    before = count_parameters(model)
    with pytest.raises(ValueError, match="index 4"):
        collect_garbage(model)
    assert count_parameters(model) == before and model[0].out_features == 4
