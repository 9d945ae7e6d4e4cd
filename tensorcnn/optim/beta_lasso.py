"""β-lasso (Algorithm 1 of 001, "Towards Learning Convolutions from Scratch")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._validation import check_nonnegative
from ._base import GroupwiseOptimizer
from ._checks import check_lr, check_momentum
from ._momentum import momentum_direction

__all__ = ["BetaLasso"]


class BetaLasso(GroupwiseOptimizer):
    r"""β-lasso: a lasso sub-gradient step followed by a hard threshold at βλ.

    One step of Algorithm 1 of 001 on every parameter θ with a gradient:

    .. math::

        \theta_t &\leftarrow \theta_{t-1} - \eta\,(\nabla_\theta f(\theta_{t-1})
                    + \lambda\,\mathrm{sign}(\theta_{t-1})) \\
        \theta_t &\leftarrow \theta_t \odot \mathbb{1}(|\theta_t| \ge \beta\lambda)

    ``sign(0) = 0`` (the sub-gradient of |θ| at 0 chosen as 0), so a weight that was
    thresholded to zero only moves again through the data gradient. With ``beta = 0`` the
    threshold keeps every weight and the step is a plain lasso sub-gradient step.

    Parameters
    ----------
    params : iterable of tensors or of dicts
        Parameters or parameter groups; every argument below can be overridden per group
        (001 uses a larger λ for the layer that plays the convolution's role).
    lr : float
        Learning rate η >= 0.
    lam : float
        ℓ1 coefficient λ >= 0. λ = 0 turns the group into plain SGD (use it for biases and
        BatchNorm parameters).
    beta : float, default 50.0
        Threshold coefficient β >= 0 (β = 50 in 001).
    momentum : float, default 0.0
        Heavy-ball factor τ in [0, 1) on the full sub-gradient ∇f + λ sign θ, in the
        convention of ``torch.optim.SGD`` (buffer b ← τ b + d, step along b). Algorithm 1
        has no momentum; 001 trains β-lasso without it.
    nesterov : bool, default False
        Nesterov momentum (step along d + τ b); needs ``momentum > 0``.
    maximize : bool, default False
        Maximise f: the data gradient's sign is flipped (the step is that of minimising −f
        with the same ℓ1 penalty and threshold).
    foreach : bool or None, default None
        Use the ``torch._foreach_*`` implementation; None picks it when every parameter
        of the group is a CUDA tensor (and the group is not differentiable), as
        ``torch.optim`` does. Both implementations give the same numbers.
    differentiable : bool, default False
        Let autograd through the step (no ``torch.no_grad``): the new parameters are then
        differentiable functions of the old ones and of the gradients (sign θ has
        derivative 0, the threshold passes the derivative of the kept weights). Needs
        ``foreach`` None or False.
    nonfinite : {"apply", "skip", "raise"}, default "apply"
        A NaN/inf gradient: "apply" steps anyway (``torch.optim.SGD``'s behaviour),
        "skip" skips the whole step (as ``GradScaler``), "raise" raises
        ``FloatingPointError`` before anything moves.

    Raises
    ------
    ValueError
        For a negative ``lr``, ``lam`` or ``beta``, a momentum outside [0, 1), Nesterov
        without momentum, a non-bool flag, or ``foreach=True`` with ``differentiable=True``;
        the message names the argument.

    Notes
    -----
    With ``lam = 0`` the step is ``torch.optim.SGD``'s with the same ``lr``, ``momentum``
    and ``nesterov`` (no dampening, no weight decay), equal in float64 step for step.

    References
    ----------
    001, Algorithm 1 and App. A.2 (β = 50, no momentum, λ tuned per layer type).
    """

    def __init__(self, params: Iterable, lr: float, lam: float, beta: float = 50.0,
                 momentum: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 nonfinite: str = "apply") -> None:
        defaults = dict(lr=lr, lam=lam, beta=beta, momentum=momentum, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable,
                        nonfinite=nonfinite)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        check_lr(group["lr"])
        check_nonnegative(group["lam"], "lam")
        check_nonnegative(group["beta"], "beta")
        check_momentum(group["momentum"], group["nesterov"])

    def _step_group(self, group: dict[str, Any], params: list[torch.Tensor],
                    grads: list[torch.Tensor], foreach: bool) -> None:
        """Lines 2-3 of Algorithm 1 of 001 on the parameters of one group."""
        lam, momentum, lr = group["lam"], group["momentum"], group["lr"]
        threshold = group["beta"] * lam
        if foreach:
            direction = torch._foreach_add(grads, torch._foreach_sign(params), alpha=lam)
            if momentum != 0:
                direction = momentum_direction(self.state, params, direction, momentum,
                                               group["nesterov"])
            torch._foreach_add_(params, direction, alpha=-lr)
        else:
            for p, g in zip(params, grads, strict=True):
                d = g.add(torch.sign(p), alpha=lam)
                if momentum != 0:
                    d = momentum_direction(self.state, [p], [d], momentum, group["nesterov"],
                                           foreach=False)[0]
                p.add_(d, alpha=-lr)
        if threshold > 0:
            for p in params:
                # The mask is not differentiated; detach keeps p.abs() out of the graph.
                p.masked_fill_(p.detach().abs() < threshold, 0)
