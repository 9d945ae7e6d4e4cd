"""A locally-connected 2-D layer: a convolution without weight sharing (001 §2, "-local").

Each output position (i, j) has its own filter of shape (C_in, k_h, k_w) per output
channel, so the layer has H_out W_out times the weights of the matching ``nn.Conv2d`` and
exactly its multiply-accumulates. The forward pass unfolds the input once
(``F.unfold``, k_h k_w times the input) and runs one batched ``torch.matmul`` over positions,
so no (H_out W_out × C_in H W) dense matrix is ever built: memory is the weights plus the
unfolded input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_bool
from ..cnn.geometry import conv_output_size, normalize_per_mode

__all__ = ["LocallyConnected2d"]


class LocallyConnected2d(nn.Module):
    """Locally-connected layer with the geometry of ``nn.Conv2d`` and untied weights.

    Parameters
    ----------
    in_channels, out_channels : int
        C_in, C_out.
    input_size : int or (int, int)
        (H, W) of the input; the weights depend on it.
    kernel_size, stride, padding : int or (int, int)
        As in ``nn.Conv2d`` (zero padding on each side).
    bias : bool, default False
        One bias per output channel *and* position (C_out × H_out × W_out) when True.

    Attributes
    ----------
    weight : Parameter of shape (H_out W_out, C_in k_h k_w, C_out)
    output_size : (int, int)
        (H_out, W_out) = ⌊(H + 2π − k)/s⌋ + 1 per mode, as ``nn.Conv2d``.
    """

    def __init__(self, in_channels: int, out_channels: int, input_size: int | Sequence[int],
                 kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
                 padding: int | Sequence[int] = 0, bias: bool = False) -> None:
        super().__init__()
        (self.in_channels,) = normalize_per_mode(in_channels, "in_channels", 1, minimum=1)
        (self.out_channels,) = normalize_per_mode(out_channels, "out_channels", 1, minimum=1)
        self.input_size = normalize_per_mode(input_size, "input_size", 2, minimum=1)
        self.kernel_size = normalize_per_mode(kernel_size, "kernel_size", 2, minimum=1)
        self.stride = normalize_per_mode(stride, "stride", 2, minimum=1)
        self.padding = normalize_per_mode(padding, "padding", 2, minimum=0)
        bias = check_bool(bias, "bias")
        if any(k > d + 2 * p for d, k, p in
               zip(self.input_size, self.kernel_size, self.padding, strict=True)):
            raise ValueError(
                f"kernel_size {self.kernel_size} does not fit input_size {self.input_size} "
                f"with padding {self.padding}"
            )
        self.output_size = tuple(
            conv_output_size(d, k, s, p) for d, k, s, p in
            zip(self.input_size, self.kernel_size, self.stride, self.padding, strict=True))
        n_positions = math.prod(self.output_size)
        fan_in = self.in_channels * math.prod(self.kernel_size)
        self.weight = nn.Parameter(torch.empty(n_positions, fan_in, self.out_channels))
        self.bias = (nn.Parameter(torch.empty(self.out_channels, *self.output_size))
                     if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """U(−1/√fan_in, 1/√fan_in), the default of ``nn.Conv2d`` (kaiming_uniform, a=√5)."""
        bound = 1.0 / math.sqrt(self.weight.shape[1])
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, C_in, H, W) → (n, C_out, H_out, W_out)."""
        if tuple(x.shape[1:]) != (self.in_channels, *self.input_size):
            raise ValueError(
                f"input must have shape (n, {self.in_channels}, {self.input_size[0]}, "
                f"{self.input_size[1]}), got {tuple(x.shape)}"
            )
        patches = F.unfold(x, self.kernel_size, padding=self.padding, stride=self.stride)
        # (n, C_in k_h k_w, L) → (L, n, C_in k_h k_w): one matrix product per position.
        out = torch.matmul(patches.permute(2, 0, 1), self.weight)
        out = out.permute(1, 2, 0).reshape(x.shape[0], self.out_channels, *self.output_size)
        return out if self.bias is None else out + self.bias

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, input_size={self.input_size}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, bias={self.bias is not None}")
