"""ResNeXt-50 without the conv5 stage, for the K/R ablation of 003 App. A.5.2 (Table 3).

Layout (32×32 SVHN inputs) — the skeleton of the 41-layer ResNet of
:mod:`~tensorcnn.nets.kr_resnet` with the 3×3 conv grouped, as ResNeXt-50 is ResNet-50 with
grouped 3×3 convs (Xie et al. 2017, Table 1): 3×3 conv (``stem`` = 64 channels) + BN +
ReLU, 3×3/2 max pooling, three groups of (3, 4, 6) blocks of the shared
:func:`~tensorcnn.blocks.resnext_bottleneck` (1×1 C→R, 3×3 grouped R→R with cardinality
g = 32, 1×1 R→K, 003 Fig. 8) with R = r·g = 64, 128, 256 and K = t·R, global average
pooling, fully-connected layer. The first block of every group changes the channels
(and, in groups 2–3, strides on its 3×3 conv); the others have identity shortcuts.

* t = 2 is ResNeXt's own bottleneck (K = 2R): 2.129M parameters, 0.0707 GMac (003:
  2.13M, 0.07); t = 4: 4.439M, 0.1426 GMac (003: 4.44M, 0.14).
* t = 1: the first block of every group is :class:`GroupedFunnelBlockA`, the 41-layer
  network's t = 1 Block A ("increase the channels while performing the stride-2 3×3
  convolution") with the 3×3 conv of its branch grouped: branch 1×1 C→R, 3×3 grouped R→R
  (stride), 1×1 R→R, shortcut a full 3×3 stride-s conv + BN from C to R. 1.458M, 0.0547
  GMac (003: 1.45M, 0.05) — the parameters print 1.46 (+0.5%); the neighbourhood searched
  for a 1.45M variant is in ``docs/ablation.md``.

GMac in the cells' convention (ReLU and pooling not counted, :mod:`tensorcnn.ablation.tables`);
:meth:`~tensorcnn.nets.kr_layers.StagedNet.cost` counts them as ptflops 0.7.5 does
(0.0552 / 0.0713 / 0.1434 GMac).

003's text sets "R = 24, 58, 116, 232 for conv1–conv4", which are ShuffleNet v2's widths
(32 groups divide none of them); :func:`kr_resnext_shufflewidths` builds that literal
reading (stem 24, R = 58, 116, 232, cardinality 29), which is 18–37% short of Table 3.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from torch import nn

from .._validation import check_bool, check_int
from ..blocks import resnext_bottleneck
from .kr_layers import ConvBN, StagedNet, check_triple
from .kr_resnet import SHORTCUTS_T1, FunnelBlockA

__all__ = ["GroupedFunnelBlockA", "KRResNeXt", "ResNeXtDesign", "SHUFFLE_WIDTHS", "T_VALUES",
           "kr_resnext", "kr_resnext_shufflewidths"]

#: The t = K/R of 003 Table 3.
T_VALUES = (1, 2, 4)


@dataclass(frozen=True)
class ResNeXtDesign:
    """The details 003 leaves open; the defaults reproduce Table 3 (t = 1: +0.5% params).

    Attributes
    ----------
    stem : int
        Channels of the stem conv.
    stem_kernel : int
        Side of the stem conv (3; pytorch-cifar's ResNeXt29 uses 1).
    max_pool : bool
        3×3/2 max pooling after the stem.
    first_stride : int
        Stride of the first group (the later groups have 2).
    ranks, blocks : tuple of 3 ints
        R = r·g and the number of blocks of each group (ResNeXt-50: 3, 4, 6).
    cardinality : int
        Groups g of the 3×3 conv; must divide every R.
    shortcut_t1 : {"conv3x3", "projection"}
        t = 1 first-block shortcut: 3×3 or 1×1 stride-s conv + BN from C to R.
    shortcut_groups_t1 : int
        Groups of that shortcut conv (1: full conv; ``cardinality``: grouped as the branch).
    revise_first_group : bool
        Use the revised t = 1 first block in the first group too; False gives the first
        group a standard block (identity shortcut when C = R and the stride is 1).
    """

    stem: int = 64
    stem_kernel: int = 3
    max_pool: bool = True
    first_stride: int = 1
    ranks: tuple[int, int, int] = (64, 128, 256)
    blocks: tuple[int, int, int] = (3, 4, 6)
    cardinality: int = 32
    shortcut_t1: str = "conv3x3"
    shortcut_groups_t1: int = 1
    revise_first_group: bool = True

    def __post_init__(self) -> None:
        check_int(self.stem, "stem")
        check_int(self.stem_kernel, "stem_kernel")
        check_bool(self.max_pool, "max_pool")
        check_int(self.first_stride, "first_stride")
        check_triple(self.ranks, "ranks")
        check_triple(self.blocks, "blocks")
        check_int(self.cardinality, "cardinality")
        check_int(self.shortcut_groups_t1, "shortcut_groups_t1")
        check_bool(self.revise_first_group, "revise_first_group")
        bad = [R for R in self.ranks if R % self.cardinality]
        if bad:
            raise ValueError(f"cardinality must divide every rank {self.ranks}, "
                             f"got {self.cardinality!r}")
        if self.shortcut_t1 not in SHORTCUTS_T1:
            raise ValueError(
                f"shortcut_t1 must be one of {SHORTCUTS_T1}, got {self.shortcut_t1!r}")
        channels = (self.stem, *self.ranks)
        if any(c % self.shortcut_groups_t1 for c in channels):
            raise ValueError(f"shortcut_groups_t1 must divide the stem and every rank "
                             f"{channels}, got {self.shortcut_groups_t1!r}")


#: 003's literal widths (ShuffleNet v2's "R = 24, 58, 116, 232"), cardinality 29 (the
#: divisor of 58, 116, 232 closest to 32), stride 2 in every group, no max pooling, a 1×1
#: projection shortcut on the t = 1 first blocks: 0.909M / 1.755M / 3.650M parameters.
SHUFFLE_WIDTHS = dict(stem=24, max_pool=False, first_stride=2, ranks=(58, 116, 232),
                      cardinality=29, shortcut_t1="projection")


class GroupedFunnelBlockA(FunnelBlockA):
    """First block of a t = 1 group: K = R output channels, stride ``stride``.

    The 41-layer network's :class:`~tensorcnn.nets.kr_resnet.FunnelBlockA` with the 3×3
    conv of its branch grouped. Branch: 1×1 C→R, 3×3 grouped R→R (``groups``, stride),
    1×1 R→R — the ResNeXt bottleneck with K = R and no shortcut of its own. Shortcut: a
    3×3 (``"conv3x3"``) or 1×1 (``"projection"``) stride-s conv (``shortcut_groups``
    groups) + BN from C to R. Output ReLU(branch(x) + shortcut(x)), shape
    (N, R, ⌊(H−1)/s⌋+1, ⌊(W−1)/s⌋+1).
    """

    def __init__(self, in_channels: int, rank: int, stride: int, groups: int,
                 shortcut: str = "conv3x3", shortcut_groups: int = 1) -> None:
        super().__init__(in_channels, rank, stride, "funnel", shortcut, groups=groups,
                         shortcut_groups=shortcut_groups)


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

    T_VALUES = T_VALUES
    Design = ResNeXtDesign
    design: ResNeXtDesign

    def __init__(self, t: int, num_classes: int = 10, design: ResNeXtDesign | None = None,
                 in_channels: int = 3) -> None:
        super().__init__()
        self._assemble(t, num_classes, design, in_channels)

    def make_stem(self, in_channels: int) -> ConvBN:
        """A ``stem_kernel``² conv of ``stem`` channels (+ BN + ReLU)."""
        return ConvBN(in_channels, self.design.stem, self.design.stem_kernel)

    def stage_plan(self) -> list[tuple[int, int, int]]:
        """R, blocks and stride (``first_stride``, 2, 2) of the three groups."""
        return [(R, n, self.design.first_stride if s == 0 else 2)
                for s, (R, n) in enumerate(zip(self.design.ranks, self.design.blocks))]

    def make_block(self, stage: int, index: int, in_channels: int, rank: int,
                   stride: int) -> nn.Module:
        """The first block (index 0) or an identity-shortcut block of group ``stage``."""
        design, C, K, g = self.design, in_channels, self.t * rank, self.design.cardinality
        if index > 0:
            return resnext_bottleneck(K, g, rank // g, K)
        if self.t == 1 and (stage > 0 or design.revise_first_group):
            return GroupedFunnelBlockA(C, rank, stride, g, design.shortcut_t1,
                                       design.shortcut_groups_t1)
        return resnext_bottleneck(C, g, rank // g, K, stride=stride,
                                  shortcut="projection" if C != K or stride > 1 else "auto")


def kr_resnext(t: int, num_classes: int = 10, **design: object) -> KRResNeXt:
    """ResNeXt-50 without conv5 for 003 Table 3 (SVHN, 32×32 RGB).

    Parameters
    ----------
    t : {1, 2, 4}
        Expansion ratio K/R of every block.
    num_classes : int, default 10
    **design
        Overrides of :class:`ResNeXtDesign` (the defaults reproduce Table 3).

    Returns
    -------
    KRResNeXt
        Maps (N, 3, 32, 32) images to (N, num_classes) logits.
    """
    return KRResNeXt(t, num_classes, replace(ResNeXtDesign(), **design))


def kr_resnext_shufflewidths(t: int, num_classes: int = 10, **design: object) -> KRResNeXt:
    """003's literal "R = 24, 58, 116, 232" reading (:data:`SHUFFLE_WIDTHS`), which does
    not reproduce Table 3 (0.909M / 1.755M / 3.650M parameters for t = 1, 2, 4).

    Parameters are those of :func:`kr_resnext`; ``design`` overrides :data:`SHUFFLE_WIDTHS`.
    """
    return kr_resnext(t, num_classes, **{**SHUFFLE_WIDTHS, **design})
