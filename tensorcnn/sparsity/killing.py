r"""Neuron-killing strategies of 002 §3.5.1: decide which switch entries to set to 0.

Each strategy is called with ``strategy.update(model)``: it looks at every
:class:`~tensorcnn.sparsity.switch.Switch` of the model, kills (``Switch.kill``) the neurons
it considers dead and returns how many it killed per switch. ``strategy.every`` says how
often the training loop calls it: ``"step"`` (after every optimizer step, as the ShrinkNets
reference code updates its sign statistics) or ``"epoch"`` (once per epoch, or every k
epochs). ``strategy.start(model)`` records the initial state before the first step (a
no-op for the stateless strategies). Per-neuron state lives in buffers of the Switch
itself, so garbage collection slices it together with theta.
"""

from __future__ import annotations

import torch
from torch import nn

from .._validation import check_nonnegative, check_positive
from .switch import Switch, switches

__all__ = ["KillStrategy", "ThresholdKill", "SignChangeKill", "SignVarianceKill",
           "SIGN_VARIANCE_RULES"]

#: The rules of :class:`SignVarianceKill`: the reference code's (default) and the former one.
SIGN_VARIANCE_RULES = ("ema-variance", "mean-variance")
_EVERY = ("step", "epoch")


class KillStrategy:
    """Base class: subclasses implement ``dead(switch) -> bool mask``.

    Attributes
    ----------
    every : {"step", "epoch"}
        How often a training loop calls :meth:`update` (``"epoch"`` unless a subclass says
        otherwise).
    """

    every: str = "epoch"

    def dead(self, switch: Switch) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    @torch.no_grad()
    def start(self, model: nn.Module) -> None:
        """Record the initial state of every switch before training (default: nothing)."""

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
    r"""Sign-variance strategy of 002 §3.5.1 with aggressiveness gamma.

    With :math:`s_j = \operatorname{sign}(\theta_j) \in \{-1, 0, 1\}` (0 only for a theta
    exactly 0), two rules:

    ``rule="ema-variance"`` (default; the ShrinkNets reference code, ``SmoothFilter`` of
    fastdeepnets): gamma is the **decay** of exponential moving averages of the sign and of
    its squared deviation, updated after **every optimizer step**,

    .. math::

        v_j &\leftarrow \gamma\, v_j + (1 - \gamma)\,(s_j - m_j)^2, \\
        m_j &\leftarrow \gamma\, m_j + (1 - \gamma)\, s_j,

    with :math:`m_j` starting at the sign of the initial theta and :math:`v_j` at 0 (the
    deviation uses the mean *before* this update); the neuron is dead once
    :math:`v_j >` ``threshold`` (0.5, fixed in the reference). A larger gamma averages
    over more steps, so one sign flip weighs less and killing is *less* aggressive:
    a single flip after a stable run gives :math:`v = 4(1 - \gamma)`, which exceeds 0.5
    for every gamma < 0.875. gamma = 1 never kills.

    ``rule="mean-variance"`` (the rule this package used before; an option): gamma is a
    **threshold** on the variance of a ±1 variable with the moving mean,
    :math:`m_j \leftarrow \rho\, m_j + (1 - \rho)\, s_j`, :math:`v_j = 1 - m_j^2`, dead
    when :math:`v_j > \gamma`; called once per epoch. Smaller gamma kills earlier.

    Parameters
    ----------
    gamma : float in [0, 1], default 0.99
        "ema-variance": the EMA decay (the reference's default 0.99). "mean-variance":
        the variance threshold.
    threshold : float > 0, default 0.5
        "ema-variance" only: the variance above which a neuron is dead.
    rule : {"ema-variance", "mean-variance"}, default "ema-variance"
    rho : float in [0, 1), default 0.9
        "mean-variance" only: the decay of the moving mean.
    every : {"step", "epoch"}, optional
        How often the training loop calls :meth:`update`; default "step" for
        "ema-variance" (the reference) and "epoch" for "mean-variance".

    Notes
    -----
    Call :meth:`start` before the first step to record the initial signs, as the
    reference does when the layer is built; without it the first :meth:`update` takes the
    current signs as the start (and kills nothing). See ``docs/shrinknet.md``.

    References
    ----------
    002 §3.5.1, §4.4 and Fig. 2; the reference code (mitdbg/fastdeepnets,
    ``dynnet/filters.py``, ``SmoothFilter.update_statistics``, called after every
    ``optimizer.step()``).
    """

    def __init__(self, gamma: float = 0.99, threshold: float = 0.5, *,
                 rule: str = "ema-variance", rho: float = 0.9,
                 every: str | None = None):
        if rule not in SIGN_VARIANCE_RULES:
            raise ValueError(f"rule must be one of {SIGN_VARIANCE_RULES}, got {rule!r}")
        gamma = check_nonnegative(gamma, "gamma")
        if gamma > 1:
            raise ValueError(f"gamma must lie in [0, 1], got {gamma!r}")
        threshold = check_positive(threshold, "threshold")
        rho = check_nonnegative(rho, "rho")
        if rho >= 1:
            raise ValueError(f"rho must lie in [0, 1), got {rho!r}")
        if every is None:
            every = "step" if rule == "ema-variance" else "epoch"
        if every not in _EVERY:
            raise ValueError(f"every must be one of {_EVERY}, got {every!r}")
        self.gamma, self.threshold, self.rule, self.rho = gamma, threshold, rule, rho
        self.every = every

    @torch.no_grad()
    def start(self, model: nn.Module) -> None:
        """Record the signs of every switch's theta now (m_j = s_j, v_j = 0)."""
        for _, switch in switches(model):
            sign = torch.sign(switch.theta.detach())
            _state(switch, "_sign_mean", sign).copy_(sign)
            if self.rule == "ema-variance":
                _state(switch, "_sign_var", torch.zeros_like(sign)).zero_()

    def variance(self, switch: Switch) -> torch.Tensor:
        """Current v_j (after the last update), shape (C,)."""
        sign = torch.sign(switch.theta.detach())
        if self.rule == "ema-variance":
            return _state(switch, "_sign_var", torch.zeros_like(sign))
        return 1.0 - _state(switch, "_sign_mean", sign) ** 2

    def dead(self, switch: Switch) -> torch.Tensor:
        sign = torch.sign(switch.theta.detach())
        mean = _state(switch, "_sign_mean", sign)
        if self.rule == "mean-variance":
            mean.mul_(self.rho).add_((1.0 - self.rho) * sign)
            return (1.0 - mean ** 2) > self.gamma
        var = _state(switch, "_sign_var", torch.zeros_like(sign))
        diff = sign - mean
        var.mul_(self.gamma).add_((1.0 - self.gamma) * diff * diff)
        mean.mul_(self.gamma).add_((1.0 - self.gamma) * sign)
        return var > self.threshold
