"""One forward pass of a model with every leaf-module call recorded, and its MACs.

MACs follow ptflops' PyTorch backend (the papers' GMac convention): convolutions and linear
layers their multiply-adds (+1 per output for a bias), batch norm 2 per element (1 if not
affine), activations 1 per output element, pooling 1 per input element; everything else
(additions, concatenation, reshapes, dropout) 0. A module called twice counts twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..cnn.geometry import normalize_shape

__all__ = ["LeafCall", "call_macs", "trace_calls"]

_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.PReLU, nn.ELU, nn.LeakyReLU, nn.SiLU, nn.GELU,
                nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid, nn.Tanh)
_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
          nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
          nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)


@dataclass(frozen=True)
class LeafCall:
    """One call of a leaf module: its qualified name, the module, input and output shapes."""

    name: str
    module: nn.Module
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


def call_macs(call: LeafCall, out_channels: int | None = None) -> int:
    """MACs of one leaf call (batch of one), ptflops convention.

    ``out_channels`` replaces the channel count of the output (and of a conv's filters)
    to price the same call with fewer output channels (used for "what t = 1 saves").
    """
    module, out_shape = call.module, list(call.output_shape)
    if out_channels is not None and len(out_shape) > 1:
        out_shape[1] = out_channels
    out_elements = math.prod(out_shape[1:])
    if isinstance(module, nn.modules.conv._ConvNd):
        per_output = math.prod(module.kernel_size) * module.in_channels // module.groups
        return out_elements * (per_output + (1 if module.bias is not None else 0))
    if isinstance(module, nn.Linear):
        return out_elements // out_shape[-1] * out_shape[-1] * (
            module.in_features + (1 if module.bias is not None else 0))
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return out_elements * (2 if module.affine else 1)
    if isinstance(module, _ACTIVATIONS):
        return out_elements
    if isinstance(module, _POOLS):
        return math.prod(call.input_shape[1:])
    return 0


def trace_calls(model: nn.Module, input_shape: Sequence[int]) -> list[LeafCall]:
    """Run ``model`` once on zeros of shape (1, *input_shape) and record each leaf call.

    The model runs in eval mode under ``torch.no_grad`` and is returned to its mode.

    Raises
    ------
    ValueError
        If ``input_shape`` has a size < 1.
    TypeError
        If ``model`` is not an ``nn.Module``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    input_shape = normalize_shape(input_shape, "input_shape")
    calls: list[LeafCall] = []
    handles = []
    for name, module in model.named_modules():
        if next(module.children(), None) is not None:
            continue

        def hook(module, inputs, output, name=name):
            first = inputs[0] if inputs else output
            calls.append(LeafCall(name, module, tuple(first.shape), tuple(output.shape)))

        handles.append(module.register_forward_hook(hook))
    try:
        parameter = next(model.parameters(), None)
        kwargs = {} if parameter is None else dict(dtype=parameter.dtype,
                                                   device=parameter.device)
        was_training = model.training
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *input_shape), **kwargs))
        model.train(was_training)
    finally:
        for handle in handles:
            handle.remove()
    return calls
