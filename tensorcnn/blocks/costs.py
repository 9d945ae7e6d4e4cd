"""Closed-form parameter and MAC counts of the layers blocks are made of (ptflops convention).

A MAC is one multiply-accumulate of a forward pass on a batch of one. As ``ptflops``
(PyTorch backend) counts them, which is how the GMac figures of 003 Tables 2–3 were made:

* convolution: k_h k_w (C_in / g) C_out per output position, + C_out per position for a bias;
* batch normalisation: 2 per element (affine), activations (ReLU, ReLU6): 1 per element;
* identity shortcuts, additions, concatenation and channel shuffles: not counted.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from .._validation import check_bool, check_int
from ..cnn.geometry import conv_output_size as _conv_output_size

__all__ = ["Cost", "activation_cost", "conv_cost", "conv_output_size", "norm_cost"]


@dataclass(frozen=True)
class Cost:
    """Parameters and MACs of a layer or block; costs add up.

    Both are non-negative integers (``TypeError`` / ``ValueError`` naming the field else).
    """

    params: int = 0
    macs: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", check_int(self.params, "params", minimum=0))
        object.__setattr__(self, "macs", check_int(self.macs, "macs", minimum=0))

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.params + other.params, self.macs + other.macs)


def conv_output_size(size: int, kernel: int, stride: int) -> int:
    """Side after a conv with "same" padding k // 2: ⌊(H + 2⌊k/2⌋ − k)/s⌋ + 1.

    The formula itself is :func:`tensorcnn.cnn.conv_output_size`'s, with padding k // 2.
    """
    kernel = check_int(kernel, "kernel")
    return _conv_output_size(size, kernel, stride, kernel // 2)


def conv_cost(in_channels: int, out_channels: int, kernel: int | Sequence[int],
              out_positions: int, groups: int = 1, bias: bool = False) -> Cost:
    """A convolution with ``groups`` groups evaluated at ``out_positions`` positions.

    ``kernel`` is the side k of a k×k kernel, or the kernel's shape (k_1, …, k_N) of any
    number of axes (a 3-D ``Conv3d`` kernel, a non-square one). Channels, positions and
    groups are positive integers, ``groups`` divides ``in_channels``, ``bias`` is a bool.
    """
    in_channels = check_int(in_channels, "in_channels")
    out_channels = check_int(out_channels, "out_channels")
    out_positions = check_int(out_positions, "out_positions")
    groups = check_int(groups, "groups")
    bias = check_bool(bias, "bias")
    if in_channels % groups:
        raise ValueError(f"groups must divide in_channels = {in_channels}, got {groups}")
    if isinstance(kernel, str) or not isinstance(kernel, numbers.Integral | Sequence):
        raise TypeError(f"kernel must be a positive integer or a sequence of them, got "
                        f"{kernel!r}")
    sides = ((check_int(kernel, "kernel"),) * 2 if isinstance(kernel, numbers.Integral)
             else tuple(check_int(k, "kernel") for k in kernel))
    if not sides:
        raise ValueError(f"kernel must have at least one axis, got {kernel!r}")
    size = math.prod(sides)
    weights = size * (in_channels // groups) * out_channels
    return Cost(weights + (out_channels if bias else 0),
                (weights + (out_channels if bias else 0)) * out_positions)


def norm_cost(channels: int, positions: int, enabled: bool = True) -> Cost:
    """Affine batch normalisation: γ and β per channel, 2 MACs per element."""
    channels, positions = check_int(channels, "channels"), check_int(positions, "positions")
    return (Cost(2 * channels, 2 * channels * positions) if check_bool(enabled, "enabled")
            else Cost())


def activation_cost(channels: int, positions: int, enabled: bool = True) -> Cost:
    """An element-wise activation: no parameters, 1 MAC per element."""
    channels, positions = check_int(channels, "channels"), check_int(positions, "positions")
    return Cost(0, channels * positions) if check_bool(enabled, "enabled") else Cost()
