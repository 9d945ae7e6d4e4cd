"""Optimizer-specific argument checks; the generic ones are in :mod:`tensorcnn._validation`."""

from __future__ import annotations

from .._validation import check_finite, check_nonnegative


def check_momentum(momentum: float, nesterov: bool) -> None:
    """Momentum factor τ in [0, 1); Nesterov needs τ > 0 (as in ``torch.optim.SGD``).

    Parameters
    ----------
    momentum : float
        The momentum factor τ.
    nesterov : bool
        Whether Nesterov momentum is asked for.

    Raises
    ------
    TypeError
        If ``momentum`` is not a real number.
    ValueError
        If ``momentum`` is outside [0, 1), ``nesterov`` is not a bool, or ``nesterov`` is
        True with ``momentum == 0``.
    """
    if not 0 <= check_finite(momentum, "momentum") < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    if not isinstance(nesterov, bool):
        raise ValueError(f"nesterov must be a bool, got {nesterov!r}")
    if nesterov and momentum == 0:
        raise ValueError("nesterov=True requires momentum > 0")


def check_lr(lr: float) -> None:
    """A learning rate must be a finite number >= 0 (0 freezes the group).

    Parameters
    ----------
    lr : float
        The learning rate.

    Raises
    ------
    TypeError
        If ``lr`` is not a real number.
    ValueError
        If ``lr`` is negative, NaN or infinite.
    """
    check_nonnegative(lr, "lr")


class UnknownNameError(KeyError, ValueError):
    """A name (of a parameter, a mask) that the model or optimizer does not have.

    A ``KeyError`` as before (a lookup by name failed) and a ``ValueError`` (the argument
    holding the name is invalid), so that both ``except KeyError`` and the package's
    "bad input raises ValueError/TypeError" convention catch it.
    """
