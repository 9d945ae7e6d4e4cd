"""The ``step`` shared by this package's optimizers: closure, then one update per group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.optim import Optimizer


class GroupwiseOptimizer(Optimizer):
    """An optimizer whose update is ``_step_group(group, params)`` on each parameter group.

    ``params`` holds the group's parameters that have a (dense) gradient; groups without one
    are skipped, as in ``torch.optim``.
    """

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter group; ``closure`` re-evaluates the loss first."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            if any(p.grad.is_sparse for p in params):
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
            self._step_group(group, params)
        return loss

    def _step_group(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        raise NotImplementedError
