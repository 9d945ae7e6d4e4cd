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
from .kr_layers import ConvBN, StagedNet, _chain_cost, check_triple

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
        self.unit_out_channels = unit.unit_out_channels
        self.branch1 = ConvBN(in_channels, out_channels, 3, 2)
        self.branch2 = unit.branch2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channel_shuffle(torch.cat((self.branch1(x), self.branch2(x)), dim=1), 2)

    def output_size(self, input_size: Sequence[int]) -> tuple[int, ...]:
        return self.branch1.output_size(input_size)

    def cost(self, input_size: Sequence[int]) -> Cost:
        """Closed form: the two branches' (the shuffle and the concatenation are free)."""
        branch2, _, _ = _chain_cost(self.branch2, input_size, self.in_channels)
        return self.branch1.cost(input_size) + branch2


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

    T_VALUES = T_VALUES
    Design = ShuffleNetDesign
    design: ShuffleNetDesign

    def __init__(self, t: int, num_classes: int = 10, design: ShuffleNetDesign | None = None,
                 in_channels: int = 3) -> None:
        super().__init__()
        self._assemble(t, num_classes, design, in_channels)

    def make_stem(self, in_channels: int) -> ConvBN:
        """A 3×3 conv of ``stem`` channels with stride ``stem_stride`` (+ BN + ReLU)."""
        return ConvBN(in_channels, self.design.stem, 3, self.design.stem_stride)

    def stage_plan(self) -> list[tuple[int, int, int]]:
        """R, units and stride 2 of the three stages."""
        return [(R, n, 2) for R, n in zip(self.design.ranks, self.design.units)]

    def make_block(self, stage: int, index: int, in_channels: int, rank: int,
                   stride: int) -> nn.Module:
        """The stride-2 unit (index 0) or a stride-1 unit keeping 2K channels."""
        K = self.t * rank
        if index > 0:
            return ShuffleV2Unit(in_channels, rank, K)
        if self.t == 1 and self.design.down_branch_t1 == "conv3x3":
            return DownUnitT1(in_channels, rank, K)
        return ShuffleV2Unit(in_channels, rank, K, stride=2)

    def final_channels(self) -> int:
        """``final_conv`` (0: none)."""
        return self.design.final_conv


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
