"""Closed-form parameter and MAC counts of the layers blocks are made of (ptflops convention).

A MAC is one multiply-accumulate of a forward pass on a batch of one. As ``ptflops``
(PyTorch backend) counts them, which is how the GMac figures of 003 Tables 2–3 were made:

* convolution: k_h k_w (C_in / g) C_out per output position, + C_out per position for a bias;
* batch normalisation: 2 per element (affine), activations (ReLU, ReLU6): 1 per element;
* identity shortcuts, additions, concatenation and channel shuffles: not counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..cnn.geometry import conv_output_size as _conv_output_size

__all__ = ["Cost", "activation_cost", "conv_cost", "conv_output_size", "norm_cost"]


@dataclass(frozen=True)
class Cost:
    """Parameters and MACs of a layer or block; costs add up."""

    params: int = 0
    macs: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.params + other.params, self.macs + other.macs)


def conv_output_size(size: int, kernel: int, stride: int) -> int:
    """Side after a conv with "same" padding k // 2: ⌊(H + 2⌊k/2⌋ − k)/s⌋ + 1.

    The formula itself is :func:`tensorcnn.cnn.conv_output_size`'s, with padding k // 2.
    """
    return _conv_output_size(size, kernel, stride, kernel // 2)


def conv_cost(in_channels: int, out_channels: int, kernel: int | Sequence[int],
              out_positions: int, groups: int = 1, bias: bool = False) -> Cost:
    """A convolution with ``groups`` groups evaluated at ``out_positions`` positions.

    ``kernel`` is the side k of a k×k kernel, or the kernel's shape (k_1, …, k_N) of any
    number of axes (a 3-D ``Conv3d`` kernel, a non-square one).
    """
    size = kernel * kernel if isinstance(kernel, int) else math.prod(kernel)
    weights = size * (in_channels // groups) * out_channels
    return Cost(weights + (out_channels if bias else 0),
                (weights + (out_channels if bias else 0)) * out_positions)


def norm_cost(channels: int, positions: int, enabled: bool = True) -> Cost:
    """Affine batch normalisation: γ and β per channel, 2 MACs per element."""
    return Cost(2 * channels, 2 * channels * positions) if enabled else Cost()


def activation_cost(channels: int, positions: int, enabled: bool = True) -> Cost:
    """An element-wise activation: no parameters, 1 MAC per element."""
    return Cost(0, channels * positions) if enabled else Cost()
