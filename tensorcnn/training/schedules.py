"""Learning-rate schedules of the papers, as ``torch.optim.lr_scheduler`` objects (per epoch).

- ``cosine``: cosine annealing from the initial rate to ``eta_min`` over ``epochs`` (001 A.2).
- ``step``: ×``gamma`` every ``step_size`` epochs (004: α = 0.1 ÷10 every 30 epochs;
  003: ÷10 every 100 epochs).
- ``multistep``: ×``gamma`` at each of ``milestones`` (004 §4.3: epochs 80 and 120 of 160).
- ``constant``: no change.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.optim import Optimizer
from torch.optim import lr_scheduler as sched

from .._validation import check_int, check_nonnegative, check_positive

__all__ = ["make_scheduler", "SCHEDULES", "check_milestones"]

SCHEDULES = ("cosine", "step", "multistep", "constant")


def check_milestones(milestones: Sequence[int], epochs: int | None = None) -> list[int]:
    """Milestones of a ``multistep`` schedule: integers >= 1, strictly increasing and, when
    ``epochs`` is given, < ``epochs`` (a milestone m changes the lr from epoch m on, so
    m >= epochs never acts).

    Returns
    -------
    list of int

    Raises
    ------
    TypeError
        A milestone that is not an integer.
    ValueError
        A milestone < 1, out of order or repeated, or >= ``epochs``; the message names it.
    """
    if isinstance(milestones, str | bytes) or not isinstance(milestones, Sequence | torch.Tensor):
        raise TypeError(f"milestones must be a sequence of integers, got {milestones!r}")
    if epochs is not None:
        epochs = check_int(epochs, "epochs")
    out = [check_int(m, "milestones entry") for m in milestones]
    for a, b in zip(out, out[1:], strict=False):
        if b <= a:
            raise ValueError(f"milestones must be strictly increasing, got {out}")
    if epochs is not None and out and out[-1] >= epochs:
        raise ValueError(f"milestones must be < epochs = {epochs} (a milestone m acts from "
                         f"epoch m on), got {out}")
    return out


def make_scheduler(name: str, optimizer: Optimizer, epochs: int, *, step_size: int = 30,
                   milestones: Sequence[int] = (), gamma: float = 0.1,
                   eta_min: float = 0.0) -> sched.LRScheduler:
    """The schedule ``name`` (one of :data:`SCHEDULES`), stepped once per epoch.

    It scales every parameter group's ``lr`` (α for SplitLBI, η for β-lasso).

    Parameters
    ----------
    name : str
    optimizer : torch.optim.Optimizer
    epochs : int >= 1
    step_size : int >= 1
        ``step``: epochs between the decays.
    milestones : sequence of int
        ``multistep``: strictly increasing epochs in [1, epochs) (:func:`check_milestones`).
    gamma : float > 0
        The factor of ``step`` and ``multistep`` (0.1 divides by 10).
    eta_min : float >= 0
        ``cosine``: the final lr.

    Raises
    ------
    ValueError, TypeError
        A bad argument, named in the message (``gamma=-1``, unsorted milestones, a
        milestone past the last epoch …).
    """
    if not isinstance(name, str) or name not in SCHEDULES:
        raise ValueError(f"name (the schedule) must be one of {SCHEDULES}, got {name!r}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                        f"{type(optimizer).__name__}")
    epochs = check_int(epochs, "epochs")
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=epochs,
                                       eta_min=check_nonnegative(eta_min, "eta_min"))
    if name == "step":
        return sched.StepLR(optimizer, step_size=check_int(step_size, "step_size"),
                            gamma=check_positive(gamma, "gamma"))
    if name == "multistep":
        return sched.MultiStepLR(optimizer, milestones=check_milestones(milestones, epochs),
                                 gamma=check_positive(gamma, "gamma"))
    if name == "constant":
        return sched.ConstantLR(optimizer, factor=1.0, total_iters=0)
    raise AssertionError(f"unreachable: {name!r} is in SCHEDULES")  # pragma: no cover
