"""Small pieces shared by the K/R ablation networks of 003 §4.2 and App. A.5.2.

* :func:`check_t`, :func:`check_num_classes` — argument validation (``ValueError`` naming
  the argument);
* :class:`ConvBN` — conv (2D or 3D, no bias) + BN (+ ReLU), with its closed-form cost;
* :class:`ClassifierHead` — global average pooling + fully-connected layer, with its cost;
* :class:`StagedNet` — the skeleton stem → pooling → stages → final conv → head that every
  K/R network shares: it validates the arguments, builds the stages from a subclass's stage
  plan and block factory, and sums the closed-form costs of its parts;
* :func:`pool_cost`, :func:`he_init`.

Costs follow the ptflops convention of :mod:`tensorcnn.blocks.costs` (the convention of
003's GMac figures): a pooling layer costs one MAC per *input* element, as ptflops counts it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from .._validation import check_bool, check_int
from ..blocks.costs import Cost, activation_cost, conv_cost, conv_output_size, norm_cost
from ..cnn.geometry import conv_output_size as padded_output_size

__all__ = ["ClassifierHead", "ConvBN", "StagedNet", "check_num_classes", "check_t",
           "check_triple", "he_init", "pool_cost"]


def check_t(t, allowed: Sequence[int], name: str = "t") -> int:
    """``t`` as an int when it is one of ``allowed``; ``ValueError`` naming ``name`` else
    (``TypeError`` when ``name`` is not a string)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string (the argument's name), got {name!r}")
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or t not in allowed:
        raise ValueError(f"{name} must be one of {tuple(allowed)}, got {t!r}")
    return int(t)


def check_num_classes(num_classes) -> int:
    """``num_classes`` as an int ≥ 2; ``ValueError`` naming the argument else."""
    if (isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral)
            or num_classes < 2):
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    return int(num_classes)


def check_triple(value, name: str) -> None:
    """``ValueError`` / ``TypeError`` naming ``name`` unless ``value`` is a sequence of 3
    positive ints (one per group)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string (the argument's name), got {name!r}")
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be 3 positive ints, got {value!r}")
    if len(value) != 3:
        raise ValueError(f"{name} must be 3 positive ints, got {value!r}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be 3 positive ints, got {value!r}")
        if v < 1:
            raise ValueError(f"{name} must be 3 positive ints, got {value!r}")


def _check_dims(dims) -> int:
    if isinstance(dims, bool) or not isinstance(dims, numbers.Integral) or dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3, got {dims!r}")
    return int(dims)


def _per_axis(value, name: str, dims: int) -> tuple[int, ...]:
    """An int or a ``dims``-tuple of positive ints, as a ``dims``-tuple."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (check_int(value, name),) * dims
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a positive int or a tuple of {dims}, got {value!r}")
    if len(value) != dims:
        raise ValueError(f"{name} must be a positive int or a tuple of {dims}, got {value!r}")
    return tuple(check_int(v, name) for v in value)


def pool_cost(input_elements: int) -> Cost:
    """A pooling layer: no parameters, one MAC per input element (ptflops)."""
    return Cost(0, check_int(input_elements, "input_elements"))


def _layer_cost(layer: nn.Module, channels: int | None,
                size: tuple[int, ...]) -> tuple[Cost, int | None, tuple[int, ...]]:
    """Closed-form cost of one layer, and the channels and spatial size after it.

    A convolution, an affine batch norm, a ReLU / ReLU6 or an identity is priced from its
    own attributes (:mod:`tensorcnn.blocks.costs`); an ``nn.Sequential`` without a
    ``cost`` of its own, layer by layer; any other module by its ``cost(size)`` and
    ``output_size(size)``. ``channels`` is ``None`` where the width is not known (after such
    a module); an activation then raises ``ValueError``.
    """
    positions = math.prod(size)
    if isinstance(layer, nn.modules.conv._ConvNd):
        if any(d != 1 for d in layer.dilation) or not isinstance(layer.padding, tuple):
            raise ValueError(f"only undilated convolutions with numeric padding are priced, "
                             f"got {layer!r}")
        size = tuple(padded_output_size(s, k, st, p) for s, k, st, p
                     in zip(size, layer.kernel_size, layer.stride, layer.padding, strict=True))
        return (conv_cost(layer.in_channels, layer.out_channels, layer.kernel_size,
                          math.prod(size), layer.groups, layer.bias is not None),
                layer.out_channels, size)
    if isinstance(layer, nn.modules.batchnorm._BatchNorm) and layer.affine:
        return norm_cost(layer.num_features, positions), layer.num_features, size
    if isinstance(layer, nn.ReLU | nn.ReLU6):
        if channels is None:
            raise ValueError(f"the channels before {layer!r} are not known")
        return activation_cost(channels, positions), channels, size
    if isinstance(layer, nn.Identity):
        return Cost(), channels, size
    if isinstance(layer, nn.Sequential) and not hasattr(layer, "cost"):
        total, channels, size = _chain_cost(layer, size, channels)
        return total, channels, size
    if hasattr(layer, "cost") and hasattr(layer, "output_size"):
        return layer.cost(size), None, tuple(layer.output_size(size))
    raise TypeError(f"no closed-form cost for {type(layer).__name__}")


def _chain_cost(layers: Iterable[nn.Module], size: Sequence[int],
                channels: int | None = None) -> tuple[Cost, int | None, tuple[int, ...]]:
    """Closed-form cost of ``layers`` applied one after the other to a map of spatial size
    ``size`` (and ``channels`` channels), with the channels and size at the end."""
    total, size = Cost(), tuple(size)
    for layer in layers:
        cost, channels, size = _layer_cost(layer, channels, size)
        total += cost
    return total, channels, size


class ConvBN(nn.Sequential):
    """k×k (×k) convolution without bias, batch norm, and optionally ReLU.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or tuple
        Padding is ``k // 2`` per axis ("same" for odd k).
    stride : int or tuple
    groups : int
    relu : bool
        Append a ReLU (003: "BN right after each convolution and before the ReLU").
    dims : {2, 3}
        ``Conv2d``/``BatchNorm2d`` on (N, C, H, W) or ``Conv3d``/``BatchNorm3d`` on
        (N, C, T, H, W).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple = 1,
                 stride: int | tuple = 1, groups: int = 1, relu: bool = True,
                 dims: int = 2) -> None:
        dims = _check_dims(dims)
        in_channels = check_int(in_channels, "in_channels")
        out_channels = check_int(out_channels, "out_channels")
        groups = check_int(groups, "groups")
        relu = check_bool(relu, "relu")
        kernel = _per_axis(kernel_size, "kernel_size", dims)
        stride = _per_axis(stride, "stride", dims)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups must divide in_channels = {in_channels} and "
                             f"out_channels = {out_channels}, got {groups}")
        conv = nn.Conv2d if dims == 2 else nn.Conv3d
        norm = nn.BatchNorm2d if dims == 2 else nn.BatchNorm3d
        layers = [conv(in_channels, out_channels, kernel, stride=stride,
                       padding=tuple(k // 2 for k in kernel), groups=groups, bias=False),
                  norm(out_channels)]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.relu = kernel, relu
        self.stride = stride

    def output_size(self, input_size: Sequence[int]) -> tuple[int, ...]:
        """Spatial (and temporal) output size for a spatial input size."""
        return tuple(conv_output_size(s, k, st)
                     for s, k, st in zip(input_size, self.kernel_size, self.stride))

    def cost(self, input_size: Sequence[int]) -> Cost:
        """Closed-form parameters and MACs for one input of spatial size ``input_size``."""
        return _chain_cost(self, input_size, self.in_channels)[0]


class ClassifierHead(nn.Module):
    """Global average pooling over every non-channel axis, flatten, fully-connected layer."""

    def __init__(self, in_features: int, num_classes: int, dims: int = 2) -> None:
        super().__init__()
        in_features = check_int(in_features, "in_features")
        num_classes = check_int(num_classes, "num_classes")
        dims = _check_dims(dims)
        self.in_features, self.num_classes = in_features, num_classes
        self.pool = nn.AdaptiveAvgPool2d(1) if dims == 2 else nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(x).flatten(1))

    def cost(self, input_size: Sequence[int]) -> Cost:
        """The FC layer's weights and bias, and the pooling (one MAC per input element)."""
        fc = (self.in_features + 1) * self.num_classes
        return Cost(fc, fc) + pool_cost(self.in_features * math.prod(input_size))


def he_init(model: nn.Module) -> nn.Module:
    """He et al. (2015) initialisation (003 §4.2): Kaiming normal, fan-out, for every conv;
    BN scale 1 and shift 0; returns ``model``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    for module in model.modules():
        if isinstance(module, nn.Conv2d | nn.Conv3d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.modules.batchnorm._BatchNorm) and module.affine:
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    return model


class StagedNet(nn.Module):
    """stem → optional 3×3/2 max pooling → stages → optional final 1×1 conv → head.

    The one skeleton of the K/R networks. A subclass sets ``T_VALUES`` (the allowed t) and
    ``Design`` (a frozen dataclass with at least ``stem`` and ``max_pool``) and says only
    what differs:

    * ``make_stem(in_channels)`` — the stem :class:`ConvBN`;
    * ``stage_plan()`` — (rank R, number of blocks, stride of the first block) per stage;
    * ``make_block(stage, index, in_channels, rank, stride)`` — block ``index`` of stage
      ``stage`` (stride 1 after the first); a block has ``cost(size)`` and
      ``output_size(size)`` and produces ``unit_out_channels`` channels where it has that
      attribute (ShuffleNet units), ``out_channels`` else;
    * ``final_channels()`` — channels of the final 1×1 conv + BN + ReLU (0: none).

    Its ``__init__(t, num_classes, design, in_channels)`` calls ``super().__init__()`` and
    then ``self._assemble(t, num_classes, design, in_channels)``, which checks t against
    ``T_VALUES``, num_classes, in_channels and the design (``None``: the defaults), and
    builds stem, pooling, stages, final conv and head in that order (He-initialised).
    Input (N, in_channels, H, W); output (N, num_classes) logits.
    """

    T_VALUES: tuple[int, ...] = ()
    Design: type

    stem: ConvBN
    pool: nn.Module
    stages: nn.Sequential
    final: nn.Module
    head: ClassifierHead

    def _assemble(self, t: int, num_classes: int, design: object | None,
                  in_channels: int) -> None:
        """Validate the arguments and build the network from the hooks (a subclass's
        ``__init__`` calls this after ``nn.Module.__init__``)."""
        self.t = check_t(t, self.T_VALUES)
        self.num_classes = check_num_classes(num_classes)
        in_channels = check_int(in_channels, "in_channels")
        if design is not None and not isinstance(design, self.Design):
            raise TypeError(f"design must be a {self.Design.__name__} or None, got {design!r}")
        self.design = design = design or self.Design()
        self.stem = self.make_stem(in_channels)
        self.pool = nn.MaxPool2d(3, 2, 1) if design.max_pool else nn.Identity()
        stages, C = [], self.stem.out_channels
        for s, (R, n, stride) in enumerate(self.stage_plan()):
            blocks = []
            for i in range(n):
                blocks.append(self.make_block(s, i, C, R, stride if i == 0 else 1))
                C = getattr(blocks[-1], "unit_out_channels", blocks[-1].out_channels)
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        width = self.final_channels()
        self.final = ConvBN(C, width, 1) if width else nn.Identity()
        self.head = ClassifierHead(width or C, self.num_classes)
        he_init(self)

    def make_stem(self, in_channels: int) -> ConvBN:
        """The stem: a 3×3 conv of ``design.stem`` channels (+ BN + ReLU)."""
        return ConvBN(in_channels, self.design.stem, 3)

    def stage_plan(self) -> list[tuple[int, int, int]]:
        """(R, blocks, first stride) of each stage."""
        raise NotImplementedError

    def make_block(self, stage: int, index: int, in_channels: int, rank: int,
                   stride: int) -> nn.Module:
        """Block ``index`` of stage ``stage``, from ``in_channels`` channels."""
        raise NotImplementedError

    def final_channels(self) -> int:
        """Channels of the final 1×1 conv (0: no final conv)."""
        return 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.final(self.stages(self.pool(self.stem(x)))))

    def cost(self, input_size: int | Sequence[int] = 32) -> Cost:
        """Closed-form parameters and MACs (ptflops convention) for one (H, W) image: the
        sum of the parts' own closed forms."""
        size = (input_size,) * 2 if isinstance(input_size, int) else tuple(input_size)
        total, _, size = _chain_cost([self.stem], size)
        if isinstance(self.pool, nn.MaxPool2d):
            total += pool_cost(self.stem.out_channels * math.prod(size))
            size = tuple((s - 1) // 2 + 1 for s in size)
        rest, _, size = _chain_cost([self.stages, self.final], size)
        return total + rest + self.head.cost(size)
