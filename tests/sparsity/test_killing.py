"""The sign-variance kill of 002 §3.5.1 follows the ShrinkNets reference rule (issue 19).

The reference (fastdeepnets ``SmoothFilter.update_statistics``, run after every optimizer
step): v <- g v + (1 - g)(s - m)^2, m <- g m + (1 - g) s with the old m in the deviation,
dead once v > 0.5; m starts at the initial sign, v at 0. gamma is the decay, not the
threshold.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from tensorcnn.sparsity import KillStrategy, SignVarianceKill, Switch
from tensorcnn.sparsity.datasets import make_group_sparse_regression
from tensorcnn.sparsity.experiments import train_switch_network


def _reference_alive(signs: np.ndarray, gamma: float, threshold: float = 0.5) -> list:
    """Independent numpy run of the reference recursion; row 0 is the initial sign."""
    m = signs[0].astype(float).copy()
    v = np.zeros_like(m)
    alive = np.ones(m.shape, bool)
    out = []
    for s in signs[1:]:
        s = np.where(alive, s, 0.0)
        diff = s - m
        v = gamma * v + (1 - gamma) * diff ** 2
        m = gamma * m + (1 - gamma) * s
        alive &= v <= threshold
        out.append(alive.copy())
    return out


def _run(strategy, signs):
    switch = Switch(signs.shape[1], init="ones", dtype=torch.float64)
    model = nn.Sequential(switch)
    with torch.no_grad():
        switch.theta.copy_(torch.as_tensor(signs[0], dtype=torch.float64))
    strategy.start(model)
    out = []
    for s in signs[1:]:
        with torch.no_grad():
            switch.theta.copy_(torch.as_tensor(s, dtype=torch.float64) * switch.alive)
        strategy.update(model)
        out.append(switch.alive.numpy().copy())
    return out


SIGNS = np.array([[1, 1, 1, -1], [1, -1, 1, -1], [1, 1, 1, -1], [1, 1, -1, -1],
                  [1, 1, -1, 1], [1, 1, -1, 1]], float)


@pytest.mark.parametrize("gamma", [0.3, 0.8, 0.9, 0.99])
def test_default_rule_is_the_reference_ema_with_gamma_as_decay(gamma):
    got = _run(SignVarianceKill(gamma), SIGNS)
    want = _reference_alive(SIGNS, gamma)
    assert [g.tolist() for g in got] == [w.tolist() for w in want]


def test_one_flip_kills_exactly_when_four_one_minus_gamma_exceeds_the_threshold():
    signs = np.array([[1.0], [-1.0]])
    for gamma in (0.5, 0.8, 0.87, 0.88, 0.9, 0.99, 1.0):
        alive = _run(SignVarianceKill(gamma), signs)[-1][0]
        assert alive == (4 * (1 - gamma) <= 0.5), gamma


def test_the_reference_rule_runs_every_step_and_the_former_rule_every_epoch():
    assert SignVarianceKill().every == "step"
    assert SignVarianceKill().gamma == 0.99 and SignVarianceKill().threshold == 0.5
    assert SignVarianceKill(0.3, rule="mean-variance").every == "epoch"
    assert KillStrategy.every == "epoch"
    with pytest.raises(ValueError, match="rule"):
        SignVarianceKill(0.9, rule="variance")
    with pytest.raises(ValueError, match="threshold"):
        SignVarianceKill(0.9, threshold=0.0)
    with pytest.raises(ValueError, match="every"):
        SignVarianceKill(0.9, every="batch")


def test_start_records_the_initial_sign():
    # A flip at the first update is seen only when the initial sign was recorded.
    switch = Switch(1, init="ones")
    model = nn.Sequential(switch)
    started = SignVarianceKill(0.8)
    started.start(model)
    with torch.no_grad():
        switch.theta.fill_(-1.0)
    assert started.update(model) == {"0": 1}
    fresh = Switch(1, init="ones")
    with torch.no_grad():
        fresh.theta.fill_(-1.0)
    assert SignVarianceKill(0.8).update(nn.Sequential(fresh)) == {"0": 0}


class _Counting(KillStrategy):
    def __init__(self, every):
        self.every, self.calls, self.started = every, 0, 0

    def start(self, model):
        self.started += 1

    def dead(self, switch):
        self.calls += 1
        return torch.zeros_like(switch.alive)


@pytest.mark.parametrize("every,per_epoch", [("step", 4), ("epoch", 1)])
def test_train_switch_network_calls_the_strategy_as_often_as_it_asks(every, per_epoch):
    X, Y, _ = make_group_sparse_regression(200, 6, 2, 2, rng=0)
    strategy = _Counting(every)
    train_switch_network(X, Y, 0.01, strategy=strategy, gc=False, epochs=3, batch_size=50,
                         rng=0)
    assert strategy.started == 1
    assert strategy.calls == 3 * per_epoch  # one switch, 200 / 50 = 4 steps per epoch
