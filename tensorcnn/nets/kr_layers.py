"""Small pieces shared by the K/R ablation networks of 003 §4.2 and App. A.5.2.

* :func:`check_t`, :func:`check_num_classes` — argument validation (``ValueError`` naming
  the argument);
* :class:`ConvBN` — conv (2D or 3D, no bias) + BN (+ ReLU), with its closed-form cost;
* :class:`ClassifierHead` — global average pooling + fully-connected layer, with its cost;
* :func:`pool_cost`, :func:`he_init`.

Costs follow the ptflops convention of :mod:`tensorcnn.blocks.costs` (the convention of
003's GMac figures): a pooling layer costs one MAC per *input* element, as ptflops counts it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch
from torch import nn

from .._validation import check_bool, check_int
from ..blocks.costs import Cost, activation_cost, conv_cost, conv_output_size, norm_cost

__all__ = ["ClassifierHead", "ConvBN", "StagedNet", "check_num_classes", "check_t",
           "check_triple", "he_init", "pool_cost"]


def check_t(t, allowed: Sequence[int], name: str = "t") -> int:
    """``t`` as an int when it is one of ``allowed``; ``ValueError`` naming ``name`` else
    (``TypeError`` when ``name`` is not a string)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string (the argument's name), got {name!r}")
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or t not in allowed:
        raise ValueError(f"{name} must be one of {tuple(allowed)}, got {t!r}")
    return int(t)


def check_num_classes(num_classes) -> int:
    """``num_classes`` as an int ≥ 2; ``ValueError`` naming the argument else."""
    if (isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral)
            or num_classes < 2):
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    return int(num_classes)


def check_triple(value, name: str) -> None:
    """``ValueError`` / ``TypeError`` naming ``name`` unless ``value`` is a sequence of 3
    positive ints (one per group)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string (the argument's name), got {name!r}")
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be 3 positive ints, got {value!r}")
    if len(value) != 3:
        raise ValueError(f"{name} must be 3 positive ints, got {value!r}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be 3 positive ints, got {value!r}")
        if v < 1:
            raise ValueError(f"{name} must be 3 positive ints, got {value!r}")


def _check_dims(dims) -> int:
    if isinstance(dims, bool) or not isinstance(dims, numbers.Integral) or dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3, got {dims!r}")
    return int(dims)


def _per_axis(value, name: str, dims: int) -> tuple[int, ...]:
    """An int or a ``dims``-tuple of positive ints, as a ``dims``-tuple."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (check_int(value, name),) * dims
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a positive int or a tuple of {dims}, got {value!r}")
    if len(value) != dims:
        raise ValueError(f"{name} must be a positive int or a tuple of {dims}, got {value!r}")
    return tuple(check_int(v, name) for v in value)


def pool_cost(input_elements: int) -> Cost:
    """A pooling layer: no parameters, one MAC per input element (ptflops)."""
    return Cost(0, check_int(input_elements, "input_elements"))


class ConvBN(nn.Sequential):
    """k×k (×k) convolution without bias, batch norm, and optionally ReLU.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or tuple
        Padding is ``k // 2`` per axis ("same" for odd k).
    stride : int or tuple
    groups : int
    relu : bool
        Append a ReLU (003: "BN right after each convolution and before the ReLU").
    dims : {2, 3}
        ``Conv2d``/``BatchNorm2d`` on (N, C, H, W) or ``Conv3d``/``BatchNorm3d`` on
        (N, C, T, H, W).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple = 1,
                 stride: int | tuple = 1, groups: int = 1, relu: bool = True,
                 dims: int = 2) -> None:
        dims = _check_dims(dims)
        in_channels = check_int(in_channels, "in_channels")
        out_channels = check_int(out_channels, "out_channels")
        groups = check_int(groups, "groups")
        relu = check_bool(relu, "relu")
        kernel = _per_axis(kernel_size, "kernel_size", dims)
        stride = _per_axis(stride, "stride", dims)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups must divide in_channels = {in_channels} and "
                             f"out_channels = {out_channels}, got {groups}")
        conv = nn.Conv2d if dims == 2 else nn.Conv3d
        norm = nn.BatchNorm2d if dims == 2 else nn.BatchNorm3d
        layers = [conv(in_channels, out_channels, kernel, stride=stride,
                       padding=tuple(k // 2 for k in kernel), groups=groups, bias=False),
                  norm(out_channels)]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.relu = kernel, relu
        self.stride = stride

    def output_size(self, input_size: Sequence[int]) -> tuple[int, ...]:
        """Spatial (and temporal) output size for a spatial input size."""
        return tuple(conv_output_size(s, k, st)
                     for s, k, st in zip(input_size, self.kernel_size, self.stride))

    def cost(self, input_size: Sequence[int]) -> Cost:
        """Closed-form parameters and MACs for one input of spatial size ``input_size``."""
        positions = math.prod(self.output_size(input_size))
        weights = conv_cost(self.in_channels, self.out_channels, self.kernel_size, positions,
                            self.groups)
        return (weights + norm_cost(self.out_channels, positions)
                + activation_cost(self.out_channels, positions, self.relu))


class ClassifierHead(nn.Module):
    """Global average pooling over every non-channel axis, flatten, fully-connected layer."""

    def __init__(self, in_features: int, num_classes: int, dims: int = 2) -> None:
        super().__init__()
        in_features = check_int(in_features, "in_features")
        num_classes = check_int(num_classes, "num_classes")
        dims = _check_dims(dims)
        self.in_features, self.num_classes = in_features, num_classes
        self.pool = nn.AdaptiveAvgPool2d(1) if dims == 2 else nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(x).flatten(1))

    def cost(self, input_size: Sequence[int]) -> Cost:
        """The FC layer's weights and bias, and the pooling (one MAC per input element)."""
        fc = (self.in_features + 1) * self.num_classes
        return Cost(fc, fc) + pool_cost(self.in_features * math.prod(input_size))


def he_init(model: nn.Module) -> nn.Module:
    """He et al. (2015) initialisation (003 §4.2): Kaiming normal, fan-out, for every conv;
    BN scale 1 and shift 0; returns ``model``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    for module in model.modules():
        if isinstance(module, nn.Conv2d | nn.Conv3d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.modules.batchnorm._BatchNorm) and module.affine:
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    return model


class StagedNet(nn.Module):
    """stem → optional 3×3/2 max pooling → stages → optional final conv → head.

    Subclasses set ``stem`` (:class:`ConvBN`), ``pool`` (``nn.MaxPool2d(3, 2, 1)`` or
    ``nn.Identity``), ``stages`` (``nn.Sequential`` of ``nn.Sequential`` of blocks with
    ``cost(size)`` and ``output_size(size)``), ``final`` (:class:`ConvBN` or
    ``nn.Identity``) and ``head`` (:class:`ClassifierHead`).
    """

    stem: ConvBN
    pool: nn.Module
    stages: nn.Sequential
    final: nn.Module
    head: ClassifierHead

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.final(self.stages(self.pool(self.stem(x)))))

    def cost(self, input_size: int | Sequence[int] = 32) -> Cost:
        """Closed-form parameters and MACs (ptflops convention) for one (H, W) image."""
        size = (input_size,) * 2 if isinstance(input_size, int) else tuple(input_size)
        total = self.stem.cost(size)
        size = self.stem.output_size(size)
        if isinstance(self.pool, nn.MaxPool2d):
            total += pool_cost(self.stem.out_channels * math.prod(size))
            size = tuple((s - 1) // 2 + 1 for s in size)
        for stage in self.stages:
            for block in stage:
                total += block.cost(size)
                size = tuple(block.output_size(size))
        if isinstance(self.final, ConvBN):
            total += self.final.cost(size)
        return total + self.head.cost(size)
