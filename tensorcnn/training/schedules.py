"""Learning-rate schedules of the papers, as ``torch.optim.lr_scheduler`` objects (per epoch).

- ``cosine``: cosine annealing from the initial rate to ``eta_min`` over ``epochs`` (001 A.2).
- ``step``: ×``gamma`` every ``step_size`` epochs (004: α = 0.1 ÷10 every 30 epochs;
  003: ÷10 every 100 epochs).
- ``multistep``: ×``gamma`` at each of ``milestones`` (004 §4.3: epochs 80 and 120 of 160).
- ``constant``: no change.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch.optim import Optimizer
from torch.optim import lr_scheduler as sched

__all__ = ["make_scheduler", "SCHEDULES"]

SCHEDULES = ("cosine", "step", "multistep", "constant")


def make_scheduler(name: str, optimizer: Optimizer, epochs: int, *, step_size: int = 30,
                   milestones: Sequence[int] = (), gamma: float = 0.1,
                   eta_min: float = 0.0) -> sched.LRScheduler:
    """The schedule ``name`` (one of :data:`SCHEDULES`), stepped once per epoch.

    It scales every parameter group's ``lr`` (α for SplitLBI, η for β-lasso).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=epochs, eta_min=eta_min)
    if name == "step":
        if step_size < 1:
            raise ValueError(f"step_size must be >= 1, got {step_size}")
        return sched.StepLR(optimizer, step_size=step_size, gamma=gamma)
    if name == "multistep":
        return sched.MultiStepLR(optimizer, milestones=list(milestones), gamma=gamma)
    if name == "constant":
        return sched.ConstantLR(optimizer, factor=1.0, total_iters=0)
    raise ValueError(f"schedule must be one of {SCHEDULES}, got {name!r}")
