"""ShuffleNet v2 without the conv5 stage, for the K/R ablation of 003 App. A.5.2 (Table 3).

Layout (32×32 SVHN inputs): 3×3 conv (``stem`` = 24 channels, stride 1) + BN + ReLU, three
stages of :class:`~tensorcnn.blocks.ShuffleV2Unit` with bottleneck rank R = 58, 116, 232
(003: "R = 24, 58, 116, 232 as the bottleneck rank for conv1–conv4"), global average
pooling, fully-connected layer. Each stage starts with a stride-2 unit (two branches, each
ending in K channels: 2K out) followed by stride-1 units whose bottleneck branch maps the
split half K → R → K (1×1, 3×3 depthwise, 1×1; 003 Fig. 9), so every unit keeps 2K = 2tR
channels. With t = 1 this is ShuffleNet v2 1× (Ma et al. 2018: 116, 232, 464 channels).

The paper's stage depths ("ShuffleNet v2-50") and the final 1×1 conv are not reproducible
from its text; :class:`ShuffleNetDesign` holds them and ``simulations/kr_table_search.py``
searches them against Table 3 (the result is in ``docs/ablation.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import nn

from .._validation import check_bool, check_int
from ..blocks import ShuffleV2Unit, channel_shuffle
from ..blocks.costs import Cost
from .kr_layers import (
    ClassifierHead,
    ConvBN,
    StagedNet,
    check_num_classes,
    check_t,
    check_triple,
    he_init,
)

__all__ = ["DownUnitT1", "KRShuffleNet", "ShuffleNetDesign", "T_VALUES", "kr_shufflenet"]

#: The t = K/R of 003 Table 3.
T_VALUES = (1, 2, 4)


@dataclass(frozen=True)
class ShuffleNetDesign:
    """The details 003 leaves open (see the module docstring for the chosen values).

    Attributes
    ----------
    stem : int
        Channels of the 3×3 stem conv (R of "conv1").
    stem_stride : int
    max_pool : bool
        3×3/2 max pooling after the stem.
    ranks : tuple of 3 ints
        R of each stage.
    units : tuple of 3 ints
        Units per stage, the stride-2 unit included.
    final_conv : int
        Channels of a 1×1 conv + BN + ReLU before the pooling (ShuffleNet v2's "conv5");
        0 leaves it out.
    down_branch_t1 : {"conv3x3", "standard"}
        t = 1 only: the first branch of each stride-2 unit is a full 3×3 stride-2 conv
        C → K (+ BN + ReLU) that raises the channels while striding ("conv3x3", the
        analogue of the 41-layer network's t = 1 Block A, :class:`DownUnitT1`), or
        ShuffleNet v2's depthwise 3×3 + 1×1 ("standard").
    """

    stem: int = 24
    stem_stride: int = 1
    max_pool: bool = False
    ranks: tuple[int, int, int] = (58, 116, 232)
    units: tuple[int, int, int] = (4, 8, 4)
    final_conv: int = 0
    down_branch_t1: str = "conv3x3"

    def __post_init__(self) -> None:
        check_int(self.stem, "stem")
        check_int(self.stem_stride, "stem_stride")
        check_bool(self.max_pool, "max_pool")
        check_triple(self.ranks, "ranks")
        check_triple(self.units, "units")
        check_int(self.final_conv, "final_conv", minimum=0)
        if self.down_branch_t1 not in ("conv3x3", "standard"):
            raise ValueError("down_branch_t1 must be 'conv3x3' or 'standard', got "
                             f"{self.down_branch_t1!r}")


class DownUnitT1(nn.Module):
    """Stride-2 ShuffleNet v2 unit whose first branch is one 3×3 stride-2 conv C → K + BN +
    ReLU; the second is the shared unit's bottleneck branch (1×1 C→R, 3×3 depthwise
    stride 2, 1×1 R→K). Output shuffle(concat), 2K channels at half the resolution."""

    def __init__(self, in_channels: int, rank: int, out_channels: int) -> None:
        super().__init__()
        unit = ShuffleV2Unit(in_channels, rank, out_channels, stride=2)
        self.in_channels, self.rank, self.out_channels = in_channels, rank, out_channels
        self.branch1 = ConvBN(in_channels, out_channels, 3, 2)
        self.branch2 = unit.branch2
        self._unit = (in_channels, rank, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channel_shuffle(torch.cat((self.branch1(x), self.branch2(x)), dim=1), 2)

    def output_size(self, input_size: Sequence[int]) -> tuple[int, ...]:
        return self.branch1.output_size(input_size)

    def cost(self, input_size: Sequence[int]) -> Cost:
        """Closed form: the shared unit's minus its standard first branch, plus the 3×3."""
        C, R, K = self._unit
        out = self.output_size(input_size)
        with torch.device("meta"):
            standard = ShuffleV2Unit(C, R, K, stride=2).cost(tuple(input_size))
            dw = ConvBN(C, C, 3, 2, groups=C, relu=False).cost(input_size)
            pw = ConvBN(C, K, 1).cost(out)
        return Cost(standard.params - dw.params - pw.params,
                    standard.macs - dw.macs - pw.macs) + self.branch1.cost(input_size)


class KRShuffleNet(StagedNet):
    """ShuffleNet v2 (conv5 stage removed) with expansion ratio t = K/R.

    Parameters
    ----------
    t : {1, 2, 4}
    num_classes : int
    design : ShuffleNetDesign
    in_channels : int

    Input (N, in_channels, H, W) (32×32 in the paper); output (N, num_classes) logits.
    """

    def __init__(self, t: int, num_classes: int = 10, design: ShuffleNetDesign | None = None,
                 in_channels: int = 3) -> None:
        super().__init__()
        self.t = check_t(t, T_VALUES)
        self.num_classes = check_num_classes(num_classes)
        in_channels = check_int(in_channels, "in_channels")
        if design is not None and not isinstance(design, ShuffleNetDesign):
            raise TypeError(f"design must be a ShuffleNetDesign or None, got {design!r}")
        self.design = design = design or ShuffleNetDesign()
        self.stem = ConvBN(in_channels, design.stem, 3, design.stem_stride)
        self.pool = nn.MaxPool2d(3, 2, 1) if design.max_pool else nn.Identity()
        stages, C = [], design.stem
        for R, n in zip(design.ranks, design.units):
            K = self.t * R
            units = [DownUnitT1(C, R, K) if self.t == 1 and design.down_branch_t1 == "conv3x3"
                     else ShuffleV2Unit(C, R, K, stride=2)]
            units += [ShuffleV2Unit(2 * K, R, K) for _ in range(n - 1)]
            stages.append(nn.Sequential(*units))
            C = 2 * K
        self.stages = nn.Sequential(*stages)
        self.final = ConvBN(C, design.final_conv, 1) if design.final_conv else nn.Identity()
        self.head = ClassifierHead(design.final_conv or C, self.num_classes)
        he_init(self)


def kr_shufflenet(t: int, num_classes: int = 10, **design: object) -> KRShuffleNet:
    """ShuffleNet v2 without conv5 for 003 Table 3 (SVHN, 32×32 RGB).

    Parameters
    ----------
    t : {1, 2, 4}
        Expansion ratio K/R of every unit's bottleneck branch.
    num_classes : int, default 10
    **design
        Overrides of :class:`ShuffleNetDesign`.

    Returns
    -------
    KRShuffleNet
        Maps (N, 3, 32, 32) images to (N, num_classes) logits.
    """
    return KRShuffleNet(t, num_classes, replace(ShuffleNetDesign(), **design))
