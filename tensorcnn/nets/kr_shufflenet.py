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

from dataclasses import dataclass, replace

from torch import nn

from ..blocks import ShuffleV2Unit
from .kr_layers import (
    ClassifierHead,
    ConvBN,
    StagedNet,
    check_num_classes,
    check_t,
    check_triple,
    he_init,
)

__all__ = ["KRShuffleNet", "ShuffleNetDesign", "T_VALUES", "kr_shufflenet"]

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
    """

    stem: int = 24
    stem_stride: int = 1
    max_pool: bool = False
    ranks: tuple[int, int, int] = (58, 116, 232)
    units: tuple[int, int, int] = (4, 8, 4)
    final_conv: int = 0

    def __post_init__(self) -> None:
        check_triple(self.ranks, "ranks")
        check_triple(self.units, "units")
        if self.final_conv < 0:
            raise ValueError(f"final_conv must be >= 0, got {self.final_conv!r}")


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
        self.design = design = design or ShuffleNetDesign()
        self.stem = ConvBN(in_channels, design.stem, 3, design.stem_stride)
        self.pool = nn.MaxPool2d(3, 2, 1) if design.max_pool else nn.Identity()
        stages, C = [], design.stem
        for R, n in zip(design.ranks, design.units):
            K = self.t * R
            units = [ShuffleV2Unit(C, R, K, stride=2)]
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
