"""Argument checks shared by the optimizers: each failure names the offending argument."""

from __future__ import annotations

import math


def check_positive(name: str, value: float) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number > 0."""
    if not _is_finite_number(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def check_nonnegative(name: str, value: float) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number >= 0."""
    if not _is_finite_number(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def check_momentum(momentum: float, nesterov: bool) -> None:
    """Momentum factor τ in [0, 1); Nesterov needs τ > 0 (as in ``torch.optim.SGD``)."""
    if not _is_finite_number(momentum) or not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    if not isinstance(nesterov, bool):
        raise ValueError(f"nesterov must be a bool, got {nesterov!r}")
    if nesterov and momentum == 0:
        raise ValueError("nesterov=True requires momentum > 0")


def check_lr(lr: float) -> None:
    """A learning rate must be a finite number >= 0 (0 freezes the group)."""
    check_nonnegative("lr", lr)


def _is_finite_number(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
