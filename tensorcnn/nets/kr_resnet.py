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

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import nn

from .._validation import check_bool, check_int
from ..blocks import Bottleneck
from ..blocks.costs import Cost, activation_cost
from .kr_layers import ConvBN, StagedNet, _chain_cost, check_triple

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

    Branch ("funnel"): 1×1 C→R, k×k R→R (stride, ``groups`` groups), 1×1 R→R — the shared
    :class:`~tensorcnn.blocks.Bottleneck` with K = R and no shortcut of its own; or
    ("widening") 1×1 C→C, 3×3 C→R (stride), 1×1 R→R. Shortcut: a 3×3 or 1×1 conv
    (stride s, ``shortcut_groups`` groups) + BN from C to R. Output
    ReLU(branch(x) + shortcut(x)), shape (N, R, ⌊(H−1)/s⌋+1, ⌊(W−1)/s⌋+1).
    """

    def __init__(self, in_channels: int, rank: int, stride: int, branch: str = "funnel",
                 shortcut: str = "conv3x3", *, groups: int = 1,
                 shortcut_groups: int = 1) -> None:
        super().__init__()
        C, R = check_int(in_channels, "in_channels"), check_int(rank, "rank")
        stride, groups = check_int(stride, "stride"), check_int(groups, "groups")
        if branch not in BLOCK_A_T1:
            raise ValueError(f"branch must be one of {BLOCK_A_T1}, got {branch!r}")
        if shortcut not in SHORTCUTS_T1:
            raise ValueError(f"shortcut must be one of {SHORTCUTS_T1}, got {shortcut!r}")
        shortcut_groups = check_int(shortcut_groups, "shortcut_groups")
        if C % shortcut_groups or R % shortcut_groups:
            raise ValueError(f"shortcut_groups must divide in_channels = {C} and rank = {R}, "
                             f"got {shortcut_groups}")
        if R % groups:
            raise ValueError(f"groups must divide rank = {R}, got {groups}")
        if groups > 1 and branch != "funnel":
            raise ValueError(f"groups > 1 needs branch = 'funnel', got {branch!r}")
        self.in_channels, self.rank, self.out_channels = C, R, R
        self.stride, self.groups = stride, groups
        if branch == "funnel":
            self.branch = Bottleneck(C, R, R, stride=stride, groups=groups,
                                     shortcut="none").branch
        else:
            self.branch = nn.Sequential(ConvBN(C, C, 1), ConvBN(C, R, 3, stride),
                                        ConvBN(R, R, 1, relu=False))
        self.shortcut = ConvBN(C, R, 3 if shortcut == "conv3x3" else 1, stride,
                               groups=shortcut_groups, relu=False)
        self.out_act = nn.ReLU(inplace=True)

    @property
    def kr_ratio(self) -> float:
        """t = K / R = 1."""
        return self.out_channels / self.rank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out_act(self.branch(x) + self.shortcut(x))

    def output_size(self, input_size: Sequence[int]) -> tuple[int, ...]:
        """(H_out, W_out) for an (H, W) input."""
        return self.shortcut.output_size(input_size)

    def cost(self, input_size: Sequence[int]) -> Cost:
        """Closed-form parameters and MACs for an (H, W) input: branch, shortcut, output
        ReLU."""
        branch, _, out = _chain_cost(self.branch, input_size, self.in_channels)
        shortcut, _, _ = _chain_cost([self.shortcut], input_size)
        return branch + shortcut + activation_cost(self.out_channels, math.prod(out))


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

    T_VALUES = T_VALUES
    Design = ResNet41Design
    design: ResNet41Design

    def __init__(self, t: int, num_classes: int = 10, design: ResNet41Design | None = None,
                 in_channels: int = 3) -> None:
        super().__init__()
        self._assemble(t, num_classes, design, in_channels)

    def stage_plan(self) -> list[tuple[int, int, int]]:
        """R, blocks and stride (1, 2, 2) of the three groups."""
        return [(R, n, 1 if g == 0 else 2)
                for g, (R, n) in enumerate(zip(self.design.ranks, self.design.blocks))]

    def make_block(self, stage: int, index: int, in_channels: int, rank: int,
                   stride: int) -> nn.Module:
        """Block A (index 0) or a Block B of group ``stage``."""
        design, C, K = self.design, in_channels, self.t * rank
        if index > 0:
            return Bottleneck(K, rank, K)
        if self.t == 1 and (stage > 0 or design.revise_first_group):
            return FunnelBlockA(C, rank, stride, design.block_a_t1, design.shortcut_t1)
        return Bottleneck(C, rank, K, stride=stride,
                          shortcut="projection" if C != K or stride > 1 else "auto")


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
