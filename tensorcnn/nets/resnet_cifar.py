"""The CIFAR ResNets of He et al. (2016, §4.2): ResNet-20, -32, -44, -56, -110 (depth 6n + 2).

Used by SplitLBI (004 Tables 1-5: ResNet-20 on Cifar-10, ResNet-56 in §4.3-4.4) and by the
optimizer benchmark.
"""

from __future__ import annotations

import numbers

import torch
from torch import nn
from torch.nn import functional as F

from .._validation import check_int

__all__ = ["BasicBlock", "ResNetCIFAR", "resnet_cifar"]


class BasicBlock(nn.Module):
    """conv3×3-BN-ReLU-conv3×3-BN plus shortcut, then ReLU.

    Parameters
    ----------
    in_channels, out_channels : int
    stride : int
        Stride of the first convolution (2 where a stage halves the feature map).
    shortcut : {"A", "B"}
        Where the shape changes: "A" subsamples the identity and pads the new channels with
        zeros (no parameters; He et al.'s CIFAR choice), "B" uses conv1×1 + BN.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1,
                 shortcut: str = "A") -> None:
        super().__init__()
        in_channels = check_int(in_channels, "in_channels")
        out_channels, stride = check_int(out_channels, "out_channels"), check_int(stride, "stride")
        if shortcut not in ("A", "B"):
            raise ValueError(f"shortcut must be 'A' or 'B', got {shortcut!r}")
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.stride = stride
        self.extra_channels = out_channels - in_channels
        self.projection = None
        if shortcut == "B" and (stride != 1 or in_channels != out_channels):
            self.projection = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def _identity(self, x: torch.Tensor) -> torch.Tensor:
        if self.projection is not None:
            return self.projection(x)
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        if self.extra_channels > 0:
            half = self.extra_channels // 2
            x = F.pad(x, (0, 0, 0, 0, half, self.extra_channels - half))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self._identity(x))


class ResNetCIFAR(nn.Module):
    """conv3×3(16) → 3 stages of n blocks (16, 32, 64 channels) → global average pool → fc.

    Input (batch, in_channels, H, W); output (batch, num_classes). Weights are He-initialised
    (Kaiming normal, fan_out) as in 004 §4.
    """

    def __init__(self, depth: int = 20, num_classes: int = 10, in_channels: int = 3,
                 width: int = 16, shortcut: str = "A") -> None:
        super().__init__()
        if isinstance(depth, bool) or not isinstance(depth, numbers.Integral):
            raise TypeError(f"depth must be an integer 6n + 2 with n >= 1, got {depth!r}")
        if depth < 8 or (depth - 2) % 6 != 0:
            raise ValueError(f"depth must be 6n + 2 with n >= 1, got {depth}")
        depth = int(depth)
        num_classes = check_int(num_classes, "num_classes")
        in_channels, width = check_int(in_channels, "in_channels"), check_int(width, "width")
        if shortcut not in ("A", "B"):
            raise ValueError(f"shortcut must be 'A' or 'B', got {shortcut!r}")
        n = (depth - 2) // 6
        self.conv = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        layers, channels = [], width
        for stage, out_channels in enumerate((width, 2 * width, 4 * width)):
            for block in range(n):
                stride = 2 if stage > 0 and block == 0 else 1
                layers.append(BasicBlock(channels, out_channels, stride, shortcut))
                channels = out_channels
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn(self.conv(x)))
        out = self.blocks(out)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)


def resnet_cifar(depth: int = 20, num_classes: int = 10, in_channels: int = 3,
                 shortcut: str = "A") -> ResNetCIFAR:
    """ResNet-``depth`` for 32×32 inputs (depth = 6n + 2: 20, 32, 44, 56, 110)."""
    return ResNetCIFAR(depth, num_classes, in_channels, shortcut=shortcut)
