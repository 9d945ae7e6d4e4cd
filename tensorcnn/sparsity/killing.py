r"""Neuron-killing strategies of 002 §3.5.1: decide which switch entries to set to 0.

Each strategy is called with ``strategy.update(model)`` (e.g. once per epoch or every k
steps): it looks at every :class:`~tensorcnn.sparsity.switch.Switch` of the model, kills
(``Switch.kill``) the neurons it considers dead and returns how many it killed per switch.
Per-neuron state lives in buffers of the Switch itself, so garbage collection slices it
together with theta.
"""

from __future__ import annotations

import torch
from torch import nn

from .._validation import check_nonnegative
from .switch import Switch, switches

__all__ = ["KillStrategy", "ThresholdKill", "SignChangeKill", "SignVarianceKill"]


class KillStrategy:
    """Base class: subclasses implement ``dead(switch) -> bool mask``."""

    def dead(self, switch: Switch) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    @torch.no_grad()
    def update(self, model: nn.Module) -> dict[str, int]:
        """Kill the dead neurons of every switch; returns {switch name: newly killed}."""
        return {name: sw.kill(self.dead(sw) & sw.alive) for name, sw in switches(model)}


def _state(switch: Switch, name: str, init: torch.Tensor) -> torch.Tensor:
    if not hasattr(switch, name):
        switch.register_buffer(name, init.clone())
    return getattr(switch, name)


class ThresholdKill(KillStrategy):
    r"""Dead when :math:`|\theta_j| <` ``threshold`` (the deep-compression rule; scale
    dependent, as 002 notes)."""

    def __init__(self, threshold: float):
        self.threshold = check_nonnegative(threshold, "threshold")

    def dead(self, switch: Switch) -> torch.Tensor:
        return switch.multiplier().abs() < self.threshold


class SignChangeKill(KillStrategy):
    r"""Dead when sign(theta_j) differs from its sign at the previous ``update`` (the
    lasso pull has dragged it through 0). The first call only records the signs."""

    def dead(self, switch: Switch) -> torch.Tensor:
        sign = torch.sign(switch.theta.detach())
        last = _state(switch, "_last_sign", sign)
        changed = (sign != last) & (last != 0)
        last.copy_(sign)
        return changed


class SignVarianceKill(KillStrategy):
    r"""Sign-variance strategy with aggressiveness gamma (002 §3.5.1, §4.4).

    Track an exponential moving average of the sign :math:`s_j = \operatorname{sign}
    (\theta_j) \in \{-1, 0, 1\}` (0 only for a theta exactly 0),
    :math:`m_j \leftarrow \rho\, m_j + (1 - \rho)\, s_j` (m_j starts at the first sign),
    and the variance of a ±1 variable with that mean, :math:`v_j = 1 - m_j^2 \in [0, 1]`.
    Dead when :math:`v_j > \gamma`: a switch oscillating around 0 is dead. gamma = 1 never
    kills; smaller gamma kills earlier (more aggressive).

    Parameters
    ----------
    gamma : float in [0, 1]
    rho : float in [0, 1), the decay of the moving average (default 0.9).
    """

    def __init__(self, gamma: float, rho: float = 0.9):
        gamma = check_nonnegative(gamma, "gamma")
        if gamma > 1:
            raise ValueError(f"gamma must lie in [0, 1], got {gamma!r}")
        rho = check_nonnegative(rho, "rho")
        if rho >= 1:
            raise ValueError(f"rho must lie in [0, 1), got {rho!r}")
        self.gamma, self.rho = gamma, rho

    def variance(self, switch: Switch) -> torch.Tensor:
        """Current v_j (after the last update), shape (C,)."""
        return 1.0 - _state(switch, "_sign_mean", torch.sign(switch.theta.detach())) ** 2

    def dead(self, switch: Switch) -> torch.Tensor:
        sign = torch.sign(switch.theta.detach())
        mean = _state(switch, "_sign_mean", sign)
        mean.mul_(self.rho).add_((1.0 - self.rho) * sign)
        return (1.0 - mean ** 2) > self.gamma
