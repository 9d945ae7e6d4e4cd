"""The 41-layer CIFAR-10/SVHN ResNet of 003 §4.2, Fig. 4(1) and Table 2, for t = K/R.

Layout (32×32 inputs): 3×3 conv (``stem`` channels) + BN + ReLU, 3×3/2 max pooling, three
groups of one Block A and ``blocks[g] − 1`` Blocks B with bottleneck rank ``ranks[g]`` and
output channels K = t·R, global average pooling, fully-connected layer. With the default
design — stem 64, max pooling, R = (64, 128, 256), (3, 4, 6) blocks — there are
1 + 3·13 + 1 = 41 weighted layers (ResNet-50's first three stages).

* Block B: the shared :class:`~tensorcnn.blocks.Bottleneck` (1×1 K→R, 3×3 R→R, 1×1 R→K,
  identity shortcut); t = 4 is the standard bottleneck (T1), t = 1 the normalised funnel
  (T2, R = C = K).
* Block A, t > 1: the standard down-sampling bottleneck (stride 2 on the 3×3 conv, 1×1
  projection shortcut; the first group's Block A has stride 1).
* Block A, t = 1 ("minor revisions to simultaneously increase the channels while performing
  the stride-2 3×3 convolution"): :class:`FunnelBlockA`, the funnel C→R→R→R whose
  shortcut is a *3×3* stride-s conv + BN raising C to R, in all three groups. Of the
  revisions searched (``simulations/kr_table_search.py``, ``docs/ablation.md``) it is the
  only one that reproduces Table 2's t = 1 cells (5.56M, 0.17 GMac).

All four t reproduce Table 2's #Params and #FLOPs to the printed precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import nn

from .._validation import check_bool, check_int
from ..blocks import Bottleneck
from ..blocks.costs import Cost, conv_output_size
from .kr_layers import (
    ClassifierHead,
    ConvBN,
    StagedNet,
    check_num_classes,
    check_t,
    check_triple,
    he_init,
)

__all__ = ["FunnelBlockA", "KRResNet41", "ResNet41Design", "T_VALUES", "kr_resnet41"]

#: The t = K/R of 003 Table 2.
T_VALUES = (1, 4, 8, 16)
BLOCK_A_T1 = ("funnel", "widening")
SHORTCUTS_T1 = ("conv3x3", "projection")


@dataclass(frozen=True)
class ResNet41Design:
    """The details 003 leaves open; the defaults reproduce Table 2.

    Attributes
    ----------
    stem : int
        Channels of the first 3×3 conv.
    max_pool : bool
        3×3/2 max pooling after the stem.
    ranks, blocks : tuple of 3 ints
        R and the number of blocks (A + B's) of each group.
    block_a_t1 : {"funnel", "widening"}
        t = 1 Block A branch: "funnel" 1×1 C→R, 3×3 R→R (stride), 1×1 R→R; "widening"
        1×1 C→C, 3×3 C→R (stride: the 3×3 conv raises the channels), 1×1 R→R.
    shortcut_t1 : {"conv3x3", "projection"}
        t = 1 Block A shortcut: 3×3 or 1×1 stride-s conv + BN from C to R.
    revise_first_group : bool
        Use the t = 1 Block A in the first group too (stride 1), not only where the
        feature map is halved.
    """

    stem: int = 64
    max_pool: bool = True
    ranks: tuple[int, int, int] = (64, 128, 256)
    blocks: tuple[int, int, int] = (3, 4, 6)
    block_a_t1: str = "funnel"
    shortcut_t1: str = "conv3x3"
    revise_first_group: bool = True

    def __post_init__(self) -> None:
        check_int(self.stem, "stem")
        check_bool(self.max_pool, "max_pool")
        check_bool(self.revise_first_group, "revise_first_group")
        if self.block_a_t1 not in BLOCK_A_T1:
            raise ValueError(f"block_a_t1 must be one of {BLOCK_A_T1}, got {self.block_a_t1!r}")
        if self.shortcut_t1 not in SHORTCUTS_T1:
            raise ValueError(
                f"shortcut_t1 must be one of {SHORTCUTS_T1}, got {self.shortcut_t1!r}")
        check_triple(self.ranks, "ranks")
        check_triple(self.blocks, "blocks")


class FunnelBlockA(nn.Module):
    """Block A of the t = 1 network: K = R output channels, stride ``stride``.

    Branch ("funnel"): 1×1 C→R, k×k R→R (stride), 1×1 R→R — the shared
    :class:`~tensorcnn.blocks.Bottleneck` with K = R and no shortcut of its own; or
    ("widening") 1×1 C→C, 3×3 C→R (stride), 1×1 R→R. Shortcut: a 3×3 or 1×1 conv
    (stride s) + BN from C to R. Output ReLU(branch(x) + shortcut(x)), shape
    (N, R, ⌊(H−1)/s⌋+1, ⌊(W−1)/s⌋+1).
    """

    def __init__(self, in_channels: int, rank: int, stride: int, branch: str = "funnel",
                 shortcut: str = "conv3x3") -> None:
        super().__init__()
        C, R = check_int(in_channels, "in_channels"), check_int(rank, "rank")
        stride = check_int(stride, "stride")
        if branch not in BLOCK_A_T1:
            raise ValueError(f"branch must be one of {BLOCK_A_T1}, got {branch!r}")
        if shortcut not in SHORTCUTS_T1:
            raise ValueError(f"shortcut must be one of {SHORTCUTS_T1}, got {shortcut!r}")
        self.in_channels, self.rank, self.out_channels, self.stride = C, R, R, stride
        if branch == "funnel":
            self.branch = Bottleneck(C, R, R, stride=stride, shortcut="none").branch
        else:
            self.branch = nn.Sequential(ConvBN(C, C, 1), ConvBN(C, R, 3, stride),
                                        ConvBN(R, R, 1, relu=False))
        self.shortcut = ConvBN(C, R, 3 if shortcut == "conv3x3" else 1, stride, relu=False)
        self.out_act = nn.ReLU(inplace=True)
        self._branch_kind = branch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out_act(self.branch(x) + self.shortcut(x))

    def output_size(self, input_size: Sequence[int]) -> tuple[int, ...]:
        """(H_out, W_out) for an (H, W) input."""
        return self.shortcut.output_size(input_size)

    def cost(self, input_size: Sequence[int]) -> Cost:
        """Closed-form parameters and MACs for an (H, W) input."""
        size = tuple(input_size)
        out = tuple(conv_output_size(s, 3, self.stride) for s in size)
        if self._branch_kind == "funnel":
            # The bottleneck without shortcut: its own closed form includes the output ReLU.
            total = Bottleneck(self.in_channels, self.rank, self.rank, stride=self.stride,
                               shortcut="none").cost(size)
        else:
            first, middle, last = self.branch
            total = (first.cost(size) + middle.cost(size) + last.cost(out)
                     + Cost(0, self.rank * out[0] * out[1]))
        return total + self.shortcut.cost(size)


class KRResNet41(StagedNet):
    """The 41-layer ResNet of 003 Fig. 4(1) with expansion ratio t = K/R.

    Parameters
    ----------
    t : {1, 4, 8, 16}
    num_classes : int
    design : ResNet41Design
    in_channels : int
        Image channels (3 for CIFAR-10 and SVHN).

    Input (N, in_channels, H, W) (H = W = 32 in the paper); output (N, num_classes) logits.
    """

    def __init__(self, t: int, num_classes: int = 10, design: ResNet41Design | None = None,
                 in_channels: int = 3) -> None:
        super().__init__()
        self.t = check_t(t, T_VALUES)
        self.num_classes = check_num_classes(num_classes)
        in_channels = check_int(in_channels, "in_channels")
        if design is not None and not isinstance(design, ResNet41Design):
            raise TypeError(f"design must be a ResNet41Design or None, got {design!r}")
        self.design = design = design or ResNet41Design()
        self.stem = ConvBN(in_channels, design.stem, 3)
        self.pool = nn.MaxPool2d(3, 2, 1) if design.max_pool else nn.Identity()
        stages, C = [], design.stem
        for g, (R, n) in enumerate(zip(design.ranks, design.blocks)):
            K, stride = self.t * R, 1 if g == 0 else 2
            if self.t == 1 and (g > 0 or design.revise_first_group):
                first = FunnelBlockA(C, R, stride, design.block_a_t1, design.shortcut_t1)
            else:
                first = Bottleneck(C, R, K, stride=stride,
                                   shortcut="projection" if C != K or stride > 1 else "auto")
            stages.append(nn.Sequential(first, *(Bottleneck(K, R, K) for _ in range(n - 1))))
            C = K
        self.stages = nn.Sequential(*stages)
        self.final = nn.Identity()
        self.head = ClassifierHead(C, self.num_classes)
        he_init(self)


def kr_resnet41(t: int, num_classes: int = 10, **design: object) -> KRResNet41:
    """The 41-layer ResNet of 003 Fig. 4(1) / Table 2 for CIFAR-10 and SVHN (32×32 RGB).

    Parameters
    ----------
    t : {1, 4, 8, 16}
        Expansion ratio K/R of every block.
    num_classes : int, default 10
    **design
        Overrides of :class:`ResNet41Design` (the defaults reproduce Table 2).

    Returns
    -------
    KRResNet41
        Maps (N, 3, 32, 32) images to (N, num_classes) logits.
    """
    return KRResNet41(t, num_classes, replace(ResNet41Design(), **design))
