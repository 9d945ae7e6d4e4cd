"""The heavy-ball buffer shared by the optimizers of this package."""

from __future__ import annotations

import torch


def momentum_direction(state: dict, params: list[torch.Tensor], direction: list[torch.Tensor],
                       momentum: float, nesterov: bool,
                       foreach: bool = True) -> list[torch.Tensor]:
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
    foreach : bool, default True
        Use the ``torch._foreach_*`` kernels (all tensors on one device and dtype); False
        loops over the tensors with public operations. Both give the same numbers.

    Notes
    -----
    A new buffer is a copy of d made under the caller's grad mode: under ``torch.no_grad``
    it carries no graph, in a differentiable step it stays connected to d.
    """
    if not foreach:
        return [_single_momentum_direction(state[p], d, momentum, nesterov)
                for p, d in zip(params, direction, strict=True)]
    bufs = []
    fresh = []
    for p, d in zip(params, direction, strict=True):
        param_state = state[p]
        if "momentum_buffer" not in param_state:
            param_state["momentum_buffer"] = torch.clone(d)
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


def _single_momentum_direction(param_state: dict, d: torch.Tensor, momentum: float,
                               nesterov: bool) -> torch.Tensor:
    """One tensor of :func:`momentum_direction`, with public tensor operations only."""
    buf = param_state.get("momentum_buffer")
    if buf is None:
        buf = torch.clone(d)
        param_state["momentum_buffer"] = buf
    else:
        buf.mul_(momentum).add_(d)
    return d.add(buf, alpha=momentum) if nesterov else buf
