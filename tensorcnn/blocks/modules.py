"""Compressed block designs of 003 §3 and App. A.5.2 as configurable torch modules.

Notation (003 §3): C input channels, R the rank of A_stack ∈ R^{l_1×l_2×C×K} along the
output-channel mode (the "bottleneck"), K output channels, t = K/R.

=====================  ====================================  ==============================
block                  layers (each conv: BN, activation)    A_stack structure
=====================  ====================================  ==============================
T1 ResNet bottleneck   1×1 C→R, k×k R→R, 1×1 R→K (K = 4R)    Tucker ranks (l_1, l_2, R, R)
T2 funnel              same with K = R (normalised: R = C)   Tucker ranks (l_1, l_2, R, R)
ResNeXt bottleneck     same, k×k grouped (g groups of r)     Tucker, R = r g
C1 depthwise-separ.    k×k depthwise C, 1×1 C→K              CP rank C
C2 inverted residual   1×1 C→xC, k×k depthwise, 1×1 xC→K     CP rank xC
ShuffleNet v2 unit     split; 1×1 →R, k×k depthwise, 1×1 →K  CP rank R (its branch)
=====================  ====================================  ==============================

"CP rank" follows Kossaifi et al. (2020) as 003 does: the channel modes are rank-R factors
and the spatial part of each component is a full l_1×l_2 depthwise filter.

Every block takes ``activation`` (a module factory, or ``None`` for linear activations —
the setting of Corollary 1), ``batch_norm`` (BN after each conv, convs then have no bias)
and, where the design has one, ``shortcut`` ("auto", "identity", "projection" or "none").
The final 1×1 conv of an inverted residual is linear as in MobileNetV2. Convolutions use
"same" padding k // 2; the stride sits on the k×k conv (and on the projection shortcut).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .._validation import check_bool, check_int
from ..cnn.geometry import normalize_per_mode
from .costs import Cost, activation_cost, conv_cost, conv_output_size, norm_cost

__all__ = [
    "channel_shuffle",
    "Bottleneck",
    "CompressedBlock",
    "DepthwiseSeparable",
    "InvertedResidual",
    "ShuffleV2Unit",
    "funnel_block",
    "normalized_funnel_block",
    "resnet_bottleneck",
    "resnext_bottleneck",
]

ActivationFactory = Callable[[], nn.Module] | None
SHORTCUTS = ("auto", "identity", "projection", "none")


def _check_activation(activation: ActivationFactory) -> bool:
    """Whether there is an activation; ``TypeError`` unless a module factory or ``None``."""
    if activation is not None and not callable(activation):
        raise TypeError(f"activation must be a callable returning a module, or None, got "
                        f"{activation!r}")
    return activation is not None


def _conv_unit(in_channels: int, out_channels: int, kernel: int, stride: int, groups: int,
               batch_norm: bool, activation: ActivationFactory,
               prefix: str) -> list[tuple[str, nn.Module]]:
    """conv (+ BN) (+ activation) as named modules."""
    unit: list[tuple[str, nn.Module]] = [(prefix, nn.Conv2d(
        in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, groups=groups,
        bias=not batch_norm))]
    if batch_norm:
        unit.append((f"{prefix}_bn", nn.BatchNorm2d(out_channels)))
    if activation is not None:
        unit.append((f"{prefix}_act", activation()))
    return unit


def _unit_cost(in_channels: int, out_channels: int, kernel: int, groups: int,
               positions: int, batch_norm: bool, activated: bool) -> Cost:
    """Closed-form cost of one :func:`_conv_unit`."""
    return (conv_cost(in_channels, out_channels, kernel, positions, groups, not batch_norm)
            + norm_cost(out_channels, positions, batch_norm)
            + activation_cost(out_channels, positions, activated))


class CompressedBlock(nn.Module):
    """Common interface of the blocks: channels, K/R ratio, A_stack ranks, closed forms.

    Attributes
    ----------
    in_channels, rank, out_channels : int
        C, R and K of 003 §3 (for a ShuffleNet unit, of its bottleneck branch).
    kernel_size, stride : int
    config : dict
        The constructor arguments (used to rebuild the block, e.g. with K = R).
    """

    decomposition: str = "tucker"
    #: Names of the R → K conv and its BN, absorbed by the next layer in the reduction.
    expand_conv: str = ""
    expand_norm: str = ""

    in_channels: int
    rank: int
    out_channels: int
    kernel_size: int
    stride: int
    config: dict

    @property
    def kr_ratio(self) -> float:
        """t = K / R (003 §4.2)."""
        return self.out_channels / self.rank

    @property
    def stack_ranks(self) -> tuple[int, ...]:
        """Tucker ranks (l_1, l_2, R, R) or the CP rank (R,) of A_stack (upper bounds)."""
        if self.decomposition == "tucker":
            return (self.kernel_size, self.kernel_size, self.rank, self.rank)
        return (self.rank,)

    def output_size(self, input_size: int | tuple[int, int]) -> tuple[int, int]:
        """(H_out, W_out) for an (H, W) input."""
        size = normalize_per_mode(input_size, "input_size", 2, minimum=1)
        return tuple(conv_output_size(s, self.kernel_size, self.stride) for s in size)

    def cost(self, input_size: int | tuple[int, int]) -> Cost:
        """Closed-form parameters and MACs (ptflops convention) for an (H, W) input."""
        raise NotImplementedError

    def n_params(self) -> int:
        """Closed-form number of parameters (independent of the input size)."""
        return self.cost((self.kernel_size, self.kernel_size)).params

    def macs(self, input_size: int | tuple[int, int]) -> int:
        """Closed-form MACs of one forward pass on a (1, C, H, W) input."""
        return self.cost(input_size).macs

    def with_out_channels(self, out_channels: int) -> CompressedBlock:
        """A block of the same design and settings with K replaced (fresh weights)."""
        return type(self)(**{**self.config, "out_channels": out_channels})

    def _sizes(self, input_size) -> tuple[int, int]:
        size = normalize_per_mode(input_size, "input_size", 2, minimum=1)
        out = self.output_size(size)
        return size[0] * size[1], out[0] * out[1]


class Bottleneck(CompressedBlock):
    """T1/T2/ResNeXt bottleneck: 1×1 C→R, k×k R→R (``groups``), 1×1 R→K (003 §3, Fig. 8).

    Parameters
    ----------
    in_channels, rank, out_channels : int
        C, R, K. T1 (ResNet) has K = 4R, the funnel K = R, the normalised funnel R = K = C.
    kernel_size : int, default 3
    stride : int, default 1
    groups : int, default 1
        Cardinality g of the k×k conv (ResNeXt: R = r g, r the width of a path).
    activation : callable returning a module, or None
        After conv1, conv2 and after the shortcut addition; None = linear.
    batch_norm : bool, default True
    shortcut : {"auto", "identity", "projection", "none"}
        "auto": identity when stride = 1 and C = K, else a 1×1 projection (+ BN).
    """

    decomposition = "tucker"
    expand_conv, expand_norm = "conv3", "conv3_bn"

    def __init__(self, in_channels: int, rank: int, out_channels: int, kernel_size: int = 3,
                 stride: int = 1, groups: int = 1, activation: ActivationFactory = nn.ReLU,
                 batch_norm: bool = True, shortcut: str = "auto") -> None:
        super().__init__()
        self.config = dict(in_channels=in_channels, rank=rank, out_channels=out_channels,
                           kernel_size=kernel_size, stride=stride, groups=groups,
                           activation=activation, batch_norm=batch_norm, shortcut=shortcut)
        C, R, K = (check_int(in_channels, "in_channels"), check_int(rank, "rank"),
                   check_int(out_channels, "out_channels"))
        self.in_channels, self.rank, self.out_channels = C, R, K
        self.kernel_size = check_int(kernel_size, "kernel_size")
        self.stride = check_int(stride, "stride")
        self.groups = check_int(groups, "groups")
        if R % self.groups:
            raise ValueError(f"rank R = {R} must be a multiple of groups = {self.groups}")
        self.batch_norm = check_bool(batch_norm, "batch_norm")
        self.activated = _check_activation(activation)
        self.shortcut_kind = _resolve_shortcut(shortcut, C, K, self.stride)
        self.branch = nn.Sequential(OrderedDict(
            _conv_unit(C, R, 1, 1, 1, batch_norm, activation, "conv1")
            + _conv_unit(R, R, self.kernel_size, self.stride, self.groups, batch_norm,
                         activation, "conv2")
            + _conv_unit(R, K, 1, 1, 1, batch_norm, None, "conv3")))
        self.shortcut = (nn.Sequential(OrderedDict(
            _conv_unit(C, K, 1, self.stride, 1, batch_norm, None, "proj")))
            if self.shortcut_kind == "projection" else None)
        self.out_act = activation() if activation is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.branch(x)
        if self.shortcut_kind == "identity":
            out = out + x
        elif self.shortcut is not None:
            out = out + self.shortcut(x)
        return self.out_act(out)

    def cost(self, input_size) -> Cost:
        C, R, K, k, bn, act = (self.in_channels, self.rank, self.out_channels,
                               self.kernel_size, self.batch_norm, self.activated)
        hw_in, hw_out = self._sizes(input_size)
        total = (_unit_cost(C, R, 1, 1, hw_in, bn, act)
                 + _unit_cost(R, R, k, self.groups, hw_out, bn, act)
                 + _unit_cost(R, K, 1, 1, hw_out, bn, False)
                 + activation_cost(K, hw_out, act))
        if self.shortcut_kind == "projection":
            total += _unit_cost(C, K, 1, 1, hw_out, bn, False)
        return total


def _resolve_shortcut(shortcut: str, C: int, K: int, stride: int) -> str:
    if shortcut not in SHORTCUTS:
        raise ValueError(f"shortcut must be one of {SHORTCUTS}, got {shortcut!r}")
    if shortcut == "auto":
        return "identity" if stride == 1 and C == K else "projection"
    if shortcut == "identity" and (stride != 1 or C != K):
        raise ValueError(
            f"an identity shortcut needs stride 1 and in_channels == out_channels, got "
            f"stride {stride}, C = {C}, K = {K}"
        )
    return shortcut


def resnet_bottleneck(in_channels: int, rank: int, stride: int = 1, expansion: int = 4,
                      **options: Any) -> Bottleneck:
    """T1, the standard ResNet bottleneck: K = expansion · R (4 in ResNet, t = 4)."""
    expansion, rank = check_int(expansion, "expansion"), check_int(rank, "rank")
    return Bottleneck(in_channels, rank, expansion * rank, stride=stride, **options)


def funnel_block(in_channels: int, rank: int, stride: int = 1, **options: Any) -> Bottleneck:
    """T2, the funnel block: K = R (t = 1)."""
    return Bottleneck(in_channels, rank, rank, stride=stride, **options)


def normalized_funnel_block(channels: int, stride: int = 1, **options: Any) -> Bottleneck:
    """T2 normalised: R = C = K."""
    return Bottleneck(channels, channels, channels, stride=stride, **options)


def resnext_bottleneck(in_channels: int, cardinality: int, width: int, out_channels: int,
                       stride: int = 1, **options: Any) -> Bottleneck:
    """ResNeXt bottleneck (003 Fig. 8): g = cardinality paths of width r, R = r g."""
    cardinality, width = check_int(cardinality, "cardinality"), check_int(width, "width")
    return Bottleneck(in_channels, width * cardinality, out_channels, stride=stride,
                      groups=cardinality, **options)


class DepthwiseSeparable(CompressedBlock):
    """C1, MobileNetV1: k×k depthwise conv on C channels, then 1×1 C→K (CP rank R = C).

    Parameters
    ----------
    in_channels, out_channels : int
        C and K; t = K / C.
    kernel_size, stride : int
    activation, batch_norm :
        As in :class:`Bottleneck` (an activation after each conv, as MobileNetV1).
    """

    decomposition = "cp"
    expand_conv, expand_norm = "pointwise", "pointwise_bn"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 stride: int = 1, activation: ActivationFactory = nn.ReLU,
                 batch_norm: bool = True) -> None:
        super().__init__()
        self.config = dict(in_channels=in_channels, out_channels=out_channels,
                           kernel_size=kernel_size, stride=stride, activation=activation,
                           batch_norm=batch_norm)
        C, K = check_int(in_channels, "in_channels"), check_int(out_channels, "out_channels")
        self.in_channels, self.rank, self.out_channels = C, C, K
        self.kernel_size = check_int(kernel_size, "kernel_size")
        self.stride = check_int(stride, "stride")
        self.batch_norm = check_bool(batch_norm, "batch_norm")
        self.activated = _check_activation(activation)
        self.branch = nn.Sequential(OrderedDict(
            _conv_unit(C, C, self.kernel_size, self.stride, C, batch_norm, activation,
                       "depthwise")
            + _conv_unit(C, K, 1, 1, 1, batch_norm, activation, "pointwise")))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.branch(x)

    def cost(self, input_size) -> Cost:
        C, K, bn, act = self.in_channels, self.out_channels, self.batch_norm, self.activated
        _, hw_out = self._sizes(input_size)
        return (_unit_cost(C, C, self.kernel_size, C, hw_out, bn, act)
                + _unit_cost(C, K, 1, 1, hw_out, bn, act))


class InvertedResidual(CompressedBlock):
    """C2, MobileNetV2: 1×1 C→xC, k×k depthwise, linear 1×1 xC→K (CP rank R = xC).

    Parameters
    ----------
    in_channels, out_channels : int
        C and K.
    expansion : int
        x ≥ 1; with x = 1 the expanding 1×1 conv is left out, as in MobileNetV2.
    kernel_size, stride : int
    activation : default ``nn.ReLU6`` (after the first two convs only: linear bottleneck)
    batch_norm : bool
    shortcut : {"auto", "identity", "none"}
        "auto": identity when stride = 1 and C = K, else none.
    """

    decomposition = "cp"
    expand_conv, expand_norm = "project", "project_bn"

    def __init__(self, in_channels: int, out_channels: int, expansion: int,
                 kernel_size: int = 3, stride: int = 1,
                 activation: ActivationFactory = nn.ReLU6, batch_norm: bool = True,
                 shortcut: str = "auto") -> None:
        super().__init__()
        self.config = dict(in_channels=in_channels, out_channels=out_channels,
                           expansion=expansion, kernel_size=kernel_size, stride=stride,
                           activation=activation, batch_norm=batch_norm, shortcut=shortcut)
        C, K = check_int(in_channels, "in_channels"), check_int(out_channels, "out_channels")
        self.expansion = check_int(expansion, "expansion")
        R = C * self.expansion
        self.in_channels, self.rank, self.out_channels = C, R, K
        self.kernel_size = check_int(kernel_size, "kernel_size")
        self.stride = check_int(stride, "stride")
        self.batch_norm = check_bool(batch_norm, "batch_norm")
        self.activated = _check_activation(activation)
        if shortcut == "projection":
            raise ValueError("an inverted residual has an identity shortcut or none")
        kind = _resolve_shortcut(shortcut, C, K, self.stride)
        self.shortcut_kind = "none" if kind == "projection" else kind
        layers = (_conv_unit(C, R, 1, 1, 1, batch_norm, activation, "expand")
                  if self.expansion > 1 else [])
        layers += _conv_unit(R, R, self.kernel_size, self.stride, R, batch_norm, activation,
                             "depthwise")
        layers += _conv_unit(R, K, 1, 1, 1, batch_norm, None, "project")
        self.branch = nn.Sequential(OrderedDict(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.branch(x)
        return out + x if self.shortcut_kind == "identity" else out

    def cost(self, input_size) -> Cost:
        C, R, K, bn, act = (self.in_channels, self.rank, self.out_channels, self.batch_norm,
                            self.activated)
        hw_in, hw_out = self._sizes(input_size)
        total = _unit_cost(C, R, 1, 1, hw_in, bn, act) if self.expansion > 1 else Cost()
        return (total + _unit_cost(R, R, self.kernel_size, R, hw_out, bn, act)
                + _unit_cost(R, K, 1, 1, hw_out, bn, False))


def channel_shuffle(x: torch.Tensor, groups: int = 2) -> torch.Tensor:
    """ShuffleNet's channel shuffle: (n, g·c, H, W) → interleave the g groups."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        raise TypeError(f"x must be a 4-D torch.Tensor (n, channels, H, W), got "
                        f"{type(x).__name__} of shape {getattr(x, 'shape', None)}")
    groups = check_int(groups, "groups")
    n, channels, height, width = x.shape
    if channels % groups:
        raise ValueError(f"groups must divide the {channels} channels of x, got {groups}")
    return (x.view(n, groups, channels // groups, height, width).transpose(1, 2)
            .reshape(n, channels, height, width))


class ShuffleV2Unit(CompressedBlock):
    """ShuffleNet v2 unit (Ma et al. 2018; 003 Fig. 9) with a bottleneck branch of rank R.

    stride 1: the input is split in halves; the second half goes through
    1×1 C/2→R, k×k depthwise R, 1×1 R→K; output = shuffle(concat(first half, branch)),
    C/2 + K channels. stride 2: branch 1 = k×k depthwise C (stride 2), 1×1 C→K; branch 2 =
    1×1 C→R, depthwise (stride 2), 1×1 R→K; output = shuffle(concat), 2K channels.
    The standard unit has R = K = C/2 (t = 1); 003 App. A.5.2 varies K = tR.

    Attributes
    ----------
    in_channels : int
        C of the *unit*; the K/R of the block refers to its bottleneck branch
        (``branch_in_channels`` → R → K).
    """

    decomposition = "cp"

    def __init__(self, in_channels: int, rank: int, out_channels: int, kernel_size: int = 3,
                 stride: int = 1, activation: ActivationFactory = nn.ReLU,
                 batch_norm: bool = True) -> None:
        super().__init__()
        self.config = dict(in_channels=in_channels, rank=rank, out_channels=out_channels,
                           kernel_size=kernel_size, stride=stride, activation=activation,
                           batch_norm=batch_norm)
        C, R, K = (check_int(in_channels, "in_channels"), check_int(rank, "rank"),
                   check_int(out_channels, "out_channels"))
        self.kernel_size = check_int(kernel_size, "kernel_size")
        self.stride = check_int(stride, "stride")
        if self.stride not in (1, 2):
            raise ValueError(f"a ShuffleNet v2 unit has stride 1 or 2, got {stride}")
        if self.stride == 1 and C % 2:
            raise ValueError(f"stride 1 splits the input in halves: in_channels = {C} is odd")
        self.in_channels, self.rank, self.out_channels = C, R, K
        self.branch_in_channels = C // 2 if self.stride == 1 else C
        self.unit_out_channels = (C // 2 + K) if self.stride == 1 else 2 * K
        if self.unit_out_channels % 2:
            raise ValueError(f"channel shuffle needs an even output, got {self.unit_out_channels}")
        self.batch_norm = check_bool(batch_norm, "batch_norm")
        self.activated = _check_activation(activation)
        k = self.kernel_size
        self.branch1 = nn.Sequential(OrderedDict(
            _conv_unit(C, C, k, 2, C, batch_norm, None, "depthwise")
            + _conv_unit(C, K, 1, 1, 1, batch_norm, activation, "pointwise"))
        ) if self.stride == 2 else None
        Cb = self.branch_in_channels
        self.branch2 = nn.Sequential(OrderedDict(
            _conv_unit(Cb, R, 1, 1, 1, batch_norm, activation, "reduce")
            + _conv_unit(R, R, k, self.stride, R, batch_norm, None, "depthwise")
            + _conv_unit(R, K, 1, 1, 1, batch_norm, activation, "expand")))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            kept, x2 = x.chunk(2, dim=1)
            out = torch.cat((kept, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)

    def cost(self, input_size) -> Cost:
        C, R, K, k, bn, act = (self.in_channels, self.rank, self.out_channels,
                               self.kernel_size, self.batch_norm, self.activated)
        hw_in, hw_out = self._sizes(input_size)
        total = (_unit_cost(self.branch_in_channels, R, 1, 1, hw_in, bn, act)
                 + _unit_cost(R, R, k, R, hw_out, bn, False)
                 + _unit_cost(R, K, 1, 1, hw_out, bn, act))
        if self.stride == 2:
            total += (_unit_cost(C, C, k, C, hw_out, bn, False)
                      + _unit_cost(C, K, 1, 1, hw_out, bn, act))
        return total
