"""ResNeXt-50 without the conv5 stage, for the K/R ablation of 003 App. A.5.2 (Table 3).

Layout (32×32 SVHN inputs): 3×3 conv (``stem`` = 24 channels) + BN + ReLU, three stages of
the shared :func:`~tensorcnn.blocks.resnext_bottleneck` (1×1 C→R, 3×3 grouped R→R,
1×1 R→K, 003 Fig. 8) with R = 58, 116, 232 (003: "R = 24, 58, 116, 232 as the bottleneck
rank for conv1–conv4"), K = t·R, a 1×1 projection shortcut on each stage's first block
and identity shortcuts elsewhere, global average pooling, fully-connected layer.

003 sets the cardinality to 32, which divides none of R = 58, 116, 232 (a grouped conv
needs R divisible by the number of groups): the cardinality is a design field, and the
default is the search's choice (``docs/ablation.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from torch import nn

from ..blocks import resnext_bottleneck
from .kr_layers import (
    ClassifierHead,
    ConvBN,
    StagedNet,
    check_num_classes,
    check_t,
    check_triple,
    he_init,
)

__all__ = ["KRResNeXt", "ResNeXtDesign", "T_VALUES", "kr_resnext"]

#: The t = K/R of 003 Table 3.
T_VALUES = (1, 2, 4)


@dataclass(frozen=True)
class ResNeXtDesign:
    """The details 003 leaves open (see the module docstring).

    Attributes
    ----------
    stem : int
        Channels of the 3×3 stem conv.
    max_pool : bool
        3×3/2 max pooling after the stem.
    first_stride : int
        Stride of the first stage (the later stages have 2).
    ranks, blocks : tuple of 3 ints
        R and the number of blocks of each stage (ResNeXt-50: 3, 4, 6).
    cardinality : int
        Groups g of the 3×3 conv; must divide every R (R = r·g).
    """

    stem: int = 24
    max_pool: bool = False
    first_stride: int = 2
    ranks: tuple[int, int, int] = (58, 116, 232)
    blocks: tuple[int, int, int] = (3, 4, 6)
    cardinality: int = 29

    def __post_init__(self) -> None:
        check_triple(self.ranks, "ranks")
        check_triple(self.blocks, "blocks")
        bad = [R for R in self.ranks if R % self.cardinality]
        if self.cardinality < 1 or bad:
            raise ValueError(f"cardinality must divide every rank {self.ranks}, "
                             f"got {self.cardinality!r}")


class KRResNeXt(StagedNet):
    """ResNeXt-50 (conv5 stage removed) with expansion ratio t = K/R.

    Parameters
    ----------
    t : {1, 2, 4}
    num_classes : int
    design : ResNeXtDesign
    in_channels : int

    Input (N, in_channels, H, W) (32×32 in the paper); output (N, num_classes) logits.
    """

    def __init__(self, t: int, num_classes: int = 10, design: ResNeXtDesign | None = None,
                 in_channels: int = 3) -> None:
        super().__init__()
        self.t = check_t(t, T_VALUES)
        self.num_classes = check_num_classes(num_classes)
        self.design = design = design or ResNeXtDesign()
        self.stem = ConvBN(in_channels, design.stem, 3)
        self.pool = nn.MaxPool2d(3, 2, 1) if design.max_pool else nn.Identity()
        stages, C, g = [], design.stem, design.cardinality
        for s, (R, n) in enumerate(zip(design.ranks, design.blocks)):
            K = self.t * R
            stride = design.first_stride if s == 0 else 2
            blocks = [resnext_bottleneck(C, g, R // g, K, stride=stride, shortcut="projection")]
            blocks += [resnext_bottleneck(K, g, R // g, K) for _ in range(n - 1)]
            stages.append(nn.Sequential(*blocks))
            C = K
        self.stages = nn.Sequential(*stages)
        self.final = nn.Identity()
        self.head = ClassifierHead(C, self.num_classes)
        he_init(self)


def kr_resnext(t: int, num_classes: int = 10, **design: object) -> KRResNeXt:
    """ResNeXt-50 without conv5 for 003 Table 3 (SVHN, 32×32 RGB).

    Parameters
    ----------
    t : {1, 2, 4}
        Expansion ratio K/R of every block.
    num_classes : int, default 10
    **design
        Overrides of :class:`ResNeXtDesign`.

    Returns
    -------
    KRResNeXt
        Maps (N, 3, 32, 32) images to (N, num_classes) logits.
    """
    return KRResNeXt(t, num_classes, replace(ResNeXtDesign(), **design))
