r"""Neural garbage collection (002 §3.5.2): physically remove killed neurons.

For every :class:`~tensorcnn.sparsity.switch.Switch` of an ``nn.Sequential`` with killed
neurons, :func:`collect_garbage` replaces by their slices (new ``Parameter`` objects, swapped
into the optimizer's param groups in place of the old ones):

* the Switch (theta, alive and every per-neuron buffer of the killing strategies);
* backwards, through channel-wise modules (activations, pooling, dropout, identity) and
  BatchNorm (sliced), up to the producer: a Linear's output rows / a Conv's output
  channels (weight and bias). A Switch first in the model acts on the data: the kept
  input indices are reported so that the caller slices its data;
* forwards, through modules that map 0 to 0 channel-wise (activations with a(0) = 0,
  pooling, dropout, identity, Flatten), up to the consumer: a Linear's input columns (a
  block of columns per channel after Flatten) / a Conv's input channels;
* the optimizer state of every sliced parameter: every state tensor of the parameter's
  shape (SGD ``momentum_buffer``, Adam/AdamW ``exp_avg``, ``exp_avg_sq``,
  ``max_exp_avg_sq``, ...) is sliced the same way; scalar state (``step``) is kept.

A killed neuron outputs exactly 0 and the modules after it map 0 to 0, so the network's
function, and the optimizer's updates of the surviving parameters, are unchanged: training
goes on as if nothing had been removed (tested to 1e-6 on loss trajectories).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .switch import Switch

__all__ = ["GCReport", "collect_garbage", "count_parameters"]

_CHANNELWISE = (nn.Identity, nn.Dropout, nn.modules.pooling._MaxPoolNd,
                nn.modules.pooling._AvgPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd,
                nn.modules.pooling._AdaptiveMaxPoolNd)
_BATCHNORM = nn.modules.batchnorm._BatchNorm
_CONV = nn.modules.conv._ConvNd


@dataclass
class GCReport:
    """What :func:`collect_garbage` removed.

    ``removed``: {switch index: number of neurons removed}; ``input_keep``: kept input
    indices (a LongTensor) when the first module is a Switch that lost neurons, else None.
    """

    removed: dict[int, int] = field(default_factory=dict)
    input_keep: torch.Tensor | None = None

    @property
    def total(self) -> int:
        return sum(self.removed.values())


def count_parameters(model: nn.Module) -> int:
    """Number of scalar parameters of ``model``."""
    return sum(p.numel() for p in model.parameters())


def _slice_param(module: nn.Module, name: str, dim: int, keep: torch.Tensor,
                 optimizer: torch.optim.Optimizer | None) -> None:
    """Replace ``module.<name>`` by its slice along ``dim``; a Parameter becomes a new
    Parameter (autograd caches a leaf's shape, so it cannot be resized in place) that takes
    the old one's place in the optimizer's param groups, with its state sliced alike."""
    param = getattr(module, name, None)
    if param is None:
        return
    if name in module._buffers:
        module._buffers[name] = param.index_select(dim, keep).clone()
        return
    new = nn.Parameter(param.detach().index_select(dim, keep).clone(),
                       requires_grad=param.requires_grad)
    if param.grad is not None:
        new.grad = param.grad.index_select(dim, keep).clone()
    setattr(module, name, new)
    if optimizer is None:
        return
    for group in optimizer.param_groups:
        group["params"] = [new if q is param else q for q in group["params"]]
    if param in optimizer.state:
        state = optimizer.state.pop(param)
        optimizer.state[new] = {
            key: value.index_select(dim, keep).clone()
            if torch.is_tensor(value) and value.shape == param.shape else value
            for key, value in state.items()}


def _zero_preserving(module: nn.Module, channels: int) -> bool:
    """Whether an element-wise module maps 0 to 0 (checked numerically)."""
    try:
        with torch.no_grad():
            out = module(torch.zeros(2, channels, dtype=torch.get_default_dtype()))
    except Exception:  # noqa: BLE001 - not an element-wise module
        return False
    return out.shape == (2, channels) and bool((out == 0).all())


def _slice_switch(switch: Switch, keep: torch.Tensor, optimizer) -> None:
    for name in list(switch._parameters) + list(switch._buffers):
        _slice_param(switch, name, 0, keep, optimizer)
    switch.num_features = int(keep.numel())


def _shrink_backward(layers, index, keep, optimizer, apply=True) -> torch.Tensor | None:
    for j in range(index - 1, -1, -1):
        module = layers[j]
        if isinstance(module, nn.Linear | _CONV):
            if isinstance(module, _CONV) and module.groups != 1:
                raise ValueError(f"module {j} ({module}) is a grouped conv: not supported")
            if not apply:
                return None
            _slice_param(module, "weight", 0, keep, optimizer)
            _slice_param(module, "bias", 0, keep, optimizer)
            if isinstance(module, nn.Linear):
                module.out_features = int(keep.numel())
            else:
                module.out_channels = int(keep.numel())
            return None
        if isinstance(module, _BATCHNORM):
            if apply:
                for name in ("weight", "bias", "running_mean", "running_var"):
                    _slice_param(module, name, 0, keep, optimizer)
                module.num_features = int(keep.numel())
            continue
        if isinstance(module, _CHANNELWISE) or _is_elementwise(module):
            continue
        raise ValueError(f"cannot remove neurons of the Switch at index {index}: module {j} "
                         f"({type(module).__name__}) before it is not Linear/Conv/BatchNorm "
                         "or channel-wise")
    return keep  # the switch acts on the input data


def _is_elementwise(module: nn.Module) -> bool:
    return type(module).__module__.startswith("torch.nn.modules.activation")


def _shrink_forward(layers, index, keep, old_channels, optimizer, apply=True) -> None:
    flattened = False
    for j in range(index + 1, len(layers)):
        module = layers[j]
        if isinstance(module, nn.Linear):
            cols = keep
            if flattened:  # channel-major flatten: a block of columns per channel
                block, rest = divmod(module.in_features, old_channels)
                if rest:
                    raise ValueError(f"Linear at index {j} has {module.in_features} inputs, "
                                     f"not a multiple of the {old_channels} channels")
                cols = (keep[:, None] * block
                        + torch.arange(block, device=keep.device)).reshape(-1)
            if apply:
                _slice_param(module, "weight", 1, cols, optimizer)
                module.in_features = int(cols.numel())
            return
        if isinstance(module, _CONV) and not flattened:
            if module.groups != 1:
                raise ValueError(f"module {j} ({module}) is a grouped conv: not supported")
            if apply:
                _slice_param(module, "weight", 1, keep, optimizer)
                module.in_channels = int(keep.numel())
            return
        if isinstance(module, nn.Flatten):
            flattened = True
            continue
        if isinstance(module, _CHANNELWISE):
            continue
        if _is_elementwise(module) and _zero_preserving(module, old_channels):
            continue
        raise ValueError(f"cannot remove neurons of the Switch at index {index}: module {j} "
                         f"({type(module).__name__}) after it does not map 0 to 0 "
                         "channel-wise (e.g. BatchNorm, sigmoid) or is not supported")
    raise ValueError(f"the Switch at index {index} has no Linear/Conv after it to shrink")


def collect_garbage(model: nn.Sequential, optimizer: torch.optim.Optimizer | None = None
                    ) -> GCReport:
    """Remove the killed neurons of every Switch of ``model`` (see the module docstring).

    Parameters
    ----------
    model : nn.Sequential (top-level switches; nested containers are not traversed)
    optimizer : torch.optim.Optimizer
        The optimizer training ``model``, whose per-parameter state is sliced.

    Returns
    -------
    GCReport

    Raises
    ------
    ValueError
        Before changing anything, when a Switch's neighbourhood is not supported.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential, got {type(model).__name__}")
    layers = list(model)
    report = GCReport()
    for index, module in enumerate(layers):  # validate everything before changing anything
        if isinstance(module, Switch) and not bool(module.alive.all()):
            keep = torch.nonzero(module.alive).reshape(-1)
            _shrink_forward(layers, index, keep, module.num_features, None, apply=False)
            _shrink_backward(layers, index, keep, None, apply=False)
    for index, module in enumerate(layers):
        if not isinstance(module, Switch) or bool(module.alive.all()):
            continue
        keep = torch.nonzero(module.alive).reshape(-1).to(module.theta.device)
        old = module.num_features
        _shrink_forward(layers, index, keep, old, optimizer)
        input_keep = _shrink_backward(layers, index, keep, optimizer)
        _slice_switch(module, keep, optimizer)
        report.removed[index] = old - int(keep.numel())
        if input_keep is not None:
            report.input_keep = input_keep
    return report
