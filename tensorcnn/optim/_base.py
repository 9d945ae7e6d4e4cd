"""The ``step`` shared by this package's optimizers: closure, then one update per group.

The ``torch.optim`` conventions live here: the per-group flags ``foreach``, ``maximize``
and ``differentiable`` (as in ``torch.optim.SGD``), the choice between the foreach and the
single-tensor implementation, and a ``__setstate__`` that fills options missing from state
dicts and pickles written by older versions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch.optim import Optimizer

#: Tensor types the foreach path accepts (subclasses such as DTensor take the loop).
_FOREACH_TYPES = (torch.Tensor, torch.nn.Parameter)
#: Devices on which ``foreach=None`` picks the foreach path (as ``torch.optim`` on CUDA).
_FOREACH_DEVICES = ("cuda",)
#: What a step does with a NaN or infinite gradient (the per-group option ``nonfinite``).
NONFINITE_MODES = ("apply", "skip", "raise")


class GroupwiseOptimizer(Optimizer):
    """An optimizer whose update is ``_step_group(group, params, grads, foreach)`` per group.

    ``params`` holds the group's parameters that have a (dense) gradient; groups without one
    are skipped, as in ``torch.optim``. ``grads`` are their gradients, already negated when
    the group has ``maximize=True``. ``foreach`` says which implementation to run: the
    ``torch._foreach_*`` one (``params`` then share one device and dtype) or the
    single-tensor loop, which uses public tensor operations only.

    Every subclass puts ``foreach``, ``maximize`` and ``differentiable`` in its defaults:

    - ``foreach`` (bool or None): None picks the foreach path when every parameter of the
      group is a plain tensor on CUDA and the group is not differentiable, the loop
      otherwise (``torch.optim``'s rule);
    - ``maximize`` (bool): step along +∇f instead of −∇f (the gradient's sign is flipped
      before anything else, so penalties and weight decay still shrink);
    - ``differentiable`` (bool): run the step with autograd on (no ``torch.no_grad``), so
      the new parameters and state are differentiable functions of the old ones, of the
      gradients and of the initial values; the step then takes the single-tensor path and
      updates that autograd must see are done out of place.

    Every subclass also takes ``nonfinite`` (per group): what :meth:`step` does when a
    gradient of the group holds a NaN or an infinity.

    - ``"apply"`` (default): nothing is checked and the step runs, as in
      ``torch.optim.SGD`` (NaN then propagates into the parameters and the state);
    - ``"skip"``: the whole step is skipped (no group moves, no state changes), as
      ``torch.amp.GradScaler`` skips ``optimizer.step()`` on an inf/NaN gradient;
      :attr:`skipped_steps` counts the skips (not saved in the state dict);
    - ``"raise"``: ``FloatingPointError`` naming the group and the parameter's position,
      with nothing updated.

    When groups disagree, ``"raise"`` wins over ``"skip"``; groups with ``"apply"`` are
    not checked, but a skip skips them too (one step is all groups). The check costs one
    reduction per gradient and one device-to-host copy per device.
    """

    #: Steps skipped because a gradient was not finite (``nonfinite="skip"``).
    skipped_steps: int = 0

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        _check_params(params, "params")
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled or loaded state and fill options it predates with defaults.

        ``load_state_dict`` ends here too, so a state dict saved before an option existed
        (e.g. without ``foreach``, ``maximize``, ``differentiable``) loads and steps with the
        option at its constructor default.
        """
        super().__setstate__(state)
        for key, value in self._option_defaults().items():
            self.defaults.setdefault(key, value)
            for group in self.param_groups:
                group.setdefault(key, value)

    @classmethod
    def _option_defaults(cls) -> dict[str, Any]:
        """The constructor's keyword defaults (every option a parameter group carries)."""
        signature = inspect.signature(cls.__init__)
        return {name: p.default for name, p in signature.parameters.items()
                if name not in ("self", "params") and p.default is not inspect.Parameter.empty}

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group after checking it with its defaults filled in (:meth:`_check_group`).

        The check comes first, so a rejected group leaves the optimizer unchanged.
        """
        if isinstance(param_group, dict):  # anything else: torch's own TypeError below
            if "params" not in param_group:
                raise ValueError("param_group must have a 'params' entry (the tensors to "
                                 f"optimize), got keys {sorted(param_group)}")
            _check_params(param_group["params"], "param_group['params']")
            self._check_group({**self.defaults, **param_group})
        super().add_param_group(param_group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ``ValueError`` for a bad option of ``group`` (defaults filled in)."""
        if group["foreach"] is not None and not isinstance(group["foreach"], bool):
            raise ValueError(f"foreach must be None or a bool, got {group['foreach']!r}")
        for flag in ("maximize", "differentiable"):
            if not isinstance(group[flag], bool):
                raise ValueError(f"{flag} must be a bool, got {group[flag]!r}")
        if group["nonfinite"] not in NONFINITE_MODES:
            raise ValueError(f"nonfinite must be one of {NONFINITE_MODES}, "
                             f"got {group['nonfinite']!r}")
        if group["foreach"] and group["differentiable"]:
            raise ValueError("foreach=True is not supported with differentiable=True "
                             "(a differentiable step runs the single-tensor path)")

    @staticmethod
    def _use_foreach(group: dict[str, Any], params: list[torch.Tensor]) -> bool:
        """The group's ``foreach``, or for None: all plain CUDA tensors and not differentiable."""
        if group["foreach"] is not None:
            return group["foreach"]
        if group["differentiable"]:
            return False
        return all(type(p) in _FOREACH_TYPES and p.device.type in _FOREACH_DEVICES
                   for p in params)

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter group; ``closure`` re-evaluates the loss first.

        The update runs under ``torch.no_grad`` unless the group has
        ``differentiable=True``, in which case autograd records it. With
        ``nonfinite="skip"`` / ``"raise"`` the gradients are checked first (see the class).
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if not self._gradients_pass():
            self.skipped_steps += 1
            return loss
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            if any(p.grad.is_sparse for p in params):
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
            with torch.set_grad_enabled(group["differentiable"]):
                if self._use_foreach(group, params):
                    for bucket in _by_device_and_dtype(params):
                        grads = [p.grad for p in bucket]
                        if group["maximize"]:
                            grads = torch._foreach_neg(grads)
                        self._step_group(group, bucket, grads, True)
                else:
                    grads = [p.grad for p in params]
                    if group["maximize"]:
                        grads = [torch.neg(g) for g in grads]
                    self._step_group(group, params, grads, False)
        return loss

    def _step_group(self, group: dict[str, Any], params: list[torch.Tensor],
                    grads: list[torch.Tensor], foreach: bool) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def _gradients_pass(self) -> bool:
        """False when the step must be skipped; raises for ``nonfinite="raise"``."""
        checked = [(gi, pi, p) for gi, group in enumerate(self.param_groups)
                   if group.get("nonfinite", "apply") != "apply"
                   for pi, p in enumerate(group["params"]) if p.grad is not None]
        if not checked:
            return True
        flags: dict[torch.device, list[torch.Tensor]] = {}
        for _, _, p in checked:
            flags.setdefault(p.grad.device, []).append(torch.isfinite(p.grad).all())
        if all(bool(torch.stack(f).all()) for f in flags.values()):
            return True
        bad = [(gi, pi) for gi, pi, p in checked if not bool(torch.isfinite(p.grad).all())]
        raising = [(gi, pi) for gi, pi in bad if self.param_groups[gi]["nonfinite"] == "raise"]
        if raising:
            where = ", ".join(f"group {gi} param {pi}" for gi, pi in raising)
            raise FloatingPointError(
                f"{type(self).__name__}.step: non-finite (NaN or inf) gradient in {where}; "
                "nothing was updated (nonfinite='raise')")
        return False


def _check_params(params: Any, name: str) -> None:
    """``params`` is a tensor or an iterable (of tensors or group dicts), not a string.

    torch's own message for ``params=123`` ('int' object is not iterable) does not name the
    argument; the contents are checked by torch (leaf tensors, no duplicates).
    """
    if isinstance(params, str | bytes) or not isinstance(params, torch.Tensor | Iterable):
        raise TypeError(f"{name} must be an iterable of tensors or of dicts (parameter "
                        f"groups), got {type(params).__name__} {params!r:.80}")


def _by_device_and_dtype(params: list[torch.Tensor]) -> list[list[torch.Tensor]]:
    """``params`` split into lists of one device and dtype each (order kept within each)."""
    buckets: dict[tuple[torch.device, torch.dtype], list[torch.Tensor]] = {}
    for p in params:
        buckets.setdefault((p.device, p.dtype), []).append(p)
    return list(buckets.values())
