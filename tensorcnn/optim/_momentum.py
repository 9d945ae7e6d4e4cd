"""The heavy-ball buffer shared by the optimizers of this package."""

from __future__ import annotations

import torch


def momentum_direction(state: dict, params: list[torch.Tensor], direction: list[torch.Tensor],
                       momentum: float, nesterov: bool) -> list[torch.Tensor]:
    """Update the buffers b ← τ b + d and return the step direction (b, or d + τ b if Nesterov).

    Follows ``torch.optim.SGD`` without dampening: the first buffer is the first direction
    (τ·0 + d), which is Eq. (12a) of 004 with v_0 = 0.

    Parameters
    ----------
    state : dict
        The optimizer's per-parameter state (``Optimizer.state``); the buffer is stored under
        ``"momentum_buffer"``.
    params, direction : lists of tensors of matching shapes
        Parameters and their step directions d.
    momentum : float
        τ in (0, 1).
    nesterov : bool
        Return d + τ b instead of b.
    """
    bufs = []
    fresh = []
    for p, d in zip(params, direction, strict=True):
        param_state = state[p]
        if "momentum_buffer" not in param_state:
            param_state["momentum_buffer"] = d.detach().clone()
            fresh.append(True)
        else:
            fresh.append(False)
        bufs.append(param_state["momentum_buffer"])
    old = [b for b, new in zip(bufs, fresh, strict=True) if not new]
    if old:
        old_d = [d for d, new in zip(direction, fresh, strict=True) if not new]
        torch._foreach_mul_(old, momentum)
        torch._foreach_add_(old, old_d)
    if nesterov:
        return torch._foreach_add(direction, bufs, alpha=momentum)
    return bufs
