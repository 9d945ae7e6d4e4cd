"""The convolution-from-scratch families of 001: d-conv, s-conv, their -local and -fc
counterparts, and 3-fc (001 §2.1, Fig. 1, Tables 3–4; SPEC.md §6).

Architectures (α = base channels, s = image side, c = classes, C_0 = input channels):

* **d-conv**: eight conv3×3 layers (padding 1) with α, 2α, 2α, 4α, 4α, 8α, 8α, 16α
  channels and strides 1, 2, 1, 2, 1, 2, 1, 2, then fc(64α) and fc(c).
* **s-conv**: conv9×9 (padding 4) with α channels and stride 2, then fc(24α) and fc(c).
* **-local**: every conv replaced by a :class:`~tensorcnn.nets.local.LocallyConnected2d`
  of the same geometry (same connectivity, no weight sharing).
* **-fc**: every conv replaced by a dense map from the whole input (C_in, H, W) to the whole
  output (C_out, H_out, W_out) of that conv.
* **3-fc**: fc(α) → fc(α) → fc(c), two equal hidden layers of α units (interpretation:
  001 gives no width symbol for 3-fc; α is its hidden width).

Every conv/local/fc layer except the last is followed by batch normalisation and ReLU
(001 Fig. 1). Layers followed by BN have no bias (BN's shift plays that role); the last fc
has one. BN after a conv-like layer is ``BatchNorm2d`` over its C_out channels for all
three connectivities, so the counterparts differ only in the linear map. Spatial sizes are
torch's: conv3×3/pad 1/stride 2 gives ⌈H/2⌉, conv9×9/pad 4/stride 2 gives ⌈H/2⌉.

Counts. :func:`family_n_params` and :func:`family_macs` are exact closed forms for the
modules built here (any s). :func:`table_n_params` is the total that 001 Tables 3–4 print;
it omits BN and the last bias, assumes 16 | s, and its d-local column is wrong (see
``docs/compressed.md``, "001 Table 3 erratum").
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from torch import nn

from .._validation import check_int
from ..blocks.costs import Cost, activation_cost, conv_cost, norm_cost
from ..cnn.geometry import conv_output_size
from .local import LocallyConnected2d

__all__ = [
    "FAMILIES",
    "FeatureLayer",
    "alpha_for_budget",
    "build_family",
    "family_layers",
    "family_macs",
    "family_n_params",
    "table_n_params",
]

FAMILIES = ("d-conv", "s-conv", "d-local", "s-local", "d-fc", "s-fc", "3-fc")

# (channel multiple of α, stride) per conv layer, kernel size, padding, hidden fc multiple.
_DEEP = (((1, 1), (2, 2), (2, 1), (4, 2), (4, 1), (8, 2), (8, 1), (16, 2)), 3, 1, 64)
_SHALLOW = (((1, 2),), 9, 4, 24)


@dataclass(frozen=True)
class FeatureLayer:
    """One conv-like layer of a family: its connectivity and geometry (square images).

    ``connectivity`` is ``"conv"``, ``"local"`` or ``"fc"``; sizes are image sides.
    """

    connectivity: str
    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int
    padding: int
    in_size: int
    out_size: int

    def __post_init__(self) -> None:
        if self.connectivity not in ("conv", "local", "fc"):
            raise ValueError(f"connectivity must be 'conv', 'local' or 'fc', got "
                             f"{self.connectivity!r}")
        for name in ("in_channels", "out_channels", "kernel_size", "stride", "in_size",
                     "out_size"):
            check_int(getattr(self, name), name)
        check_int(self.padding, "padding", minimum=0)

    @property
    def cost(self) -> Cost:
        """Parameters and MACs of the linear map (:func:`~tensorcnn.blocks.costs.conv_cost`):
        a k×k conv at H_outW_out positions; a local layer the same MACs with its weights
        unshared (× H_outW_out); a dense map a 1×1 conv from C_inH_inW_in to
        C_outH_outW_out features at one position."""
        positions = self.out_size**2
        if self.connectivity == "fc":
            return conv_cost(self.in_channels * self.in_size**2,
                             self.out_channels * positions, 1, 1)
        conv = conv_cost(self.in_channels, self.out_channels, self.kernel_size, positions)
        return Cost(conv.params * positions, conv.macs) if self.connectivity == "local" else conv

    @property
    def n_weights(self) -> int:
        """Weights of the linear map: k²C_inC_out (conv), × H_outW_out (local), dense (fc)."""
        return self.cost.params

    @property
    def n_macs(self) -> int:
        """Multiply-accumulates of the linear map: a local layer costs what its conv costs."""
        return self.cost.macs


def _check(name: str, alpha: int, image_size: int, in_channels: int,
           num_classes: int) -> tuple[str, int, int, int, int]:
    if name not in FAMILIES:
        raise ValueError(f"name must be one of {FAMILIES}, got {name!r}")
    return (name, check_int(alpha, "alpha"), check_int(image_size, "image_size"),
            check_int(in_channels, "in_channels"), check_int(num_classes, "num_classes"))


def family_layers(name: str, alpha: int, image_size: int,
                  in_channels: int) -> tuple[list[FeatureLayer], int, int]:
    """The conv-like layers of a family, the hidden fc width and the number of hidden fcs.

    Returns
    -------
    layers : list of FeatureLayer
        Empty for 3-fc.
    hidden : int
        64α (d-), 24α (s-) or α (3-fc).
    n_hidden : int
        1, or 2 for 3-fc.
    """
    name, alpha, image_size, in_channels, _ = _check(name, alpha, image_size, in_channels, 1)
    if name == "3-fc":
        return [], alpha, 2
    depth, connectivity = name.split("-")
    plan, kernel, padding, hidden = _DEEP if depth == "d" else _SHALLOW
    layers, channels, size = [], in_channels, image_size
    for multiple, stride in plan:
        out_size = conv_output_size(size, kernel, stride, padding)
        layers.append(FeatureLayer(connectivity, channels, multiple * alpha, kernel, stride,
                                   padding, size, out_size))
        channels, size = multiple * alpha, out_size
    return layers, hidden * alpha, 1


class _DenseMap(nn.Module):
    """A dense layer from a (C_in, H, W) map to a (C_out, H_out, W_out) map (the -fc layers)."""

    def __init__(self, layer: FeatureLayer) -> None:
        super().__init__()
        self.out_shape = (layer.out_channels, layer.out_size, layer.out_size)
        self.linear = nn.Linear(layer.in_channels * layer.in_size**2,
                                math.prod(self.out_shape), bias=False)

    def forward(self, x):
        return self.linear(x.flatten(1)).view(x.shape[0], *self.out_shape)


def _feature_module(layer: FeatureLayer) -> nn.Module:
    if layer.connectivity == "conv":
        return nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                         stride=layer.stride, padding=layer.padding, bias=False)
    if layer.connectivity == "local":
        return LocallyConnected2d(layer.in_channels, layer.out_channels, layer.in_size,
                                  layer.kernel_size, stride=layer.stride,
                                  padding=layer.padding, bias=False)
    return _DenseMap(layer)


def build_family(name: str, alpha: int, image_size: int, in_channels: int,
                 num_classes: int) -> nn.Module:
    """One member of the 001 families as a torch module (001 Fig. 1, Tables 3–4).

    Parameters
    ----------
    name : {"d-conv", "s-conv", "d-local", "s-local", "d-fc", "s-fc", "3-fc"}
    alpha : int
        α, the base channels (the hidden width for 3-fc).
    image_size : int
        s; inputs are (batch, in_channels, s, s).
    in_channels : int
        C_0 (3 for CIFAR/SVHN).
    num_classes : int
        c.

    Returns
    -------
    torch.nn.Sequential
        Maps (batch, in_channels, s, s) to logits (batch, num_classes). Its parameter count
        is :func:`family_n_params` of the same arguments.

    Raises
    ------
    ValueError
        Unknown ``name`` or a size < 1.
    TypeError
        A size that is not an int.
    """
    name, alpha, image_size, in_channels, num_classes = _check(
        name, alpha, image_size, in_channels, num_classes)
    layers, hidden, n_hidden = family_layers(name, alpha, image_size, in_channels)
    modules: list[tuple[str, nn.Module]] = []
    for index, layer in enumerate(layers, start=1):
        modules += [(f"conv{index}", _feature_module(layer)),
                    (f"bn{index}", nn.BatchNorm2d(layer.out_channels)),
                    (f"relu{index}", nn.ReLU())]
    modules.append(("flatten", nn.Flatten()))
    *hidden_fcs, (width, _) = _fc_widths(layers, image_size, in_channels, hidden, n_hidden,
                                          num_classes)
    for index, (n_in, n_out) in enumerate(hidden_fcs, start=1):
        modules += [(f"fc{index}", nn.Linear(n_in, n_out, bias=False)),
                    (f"fc{index}_bn", nn.BatchNorm1d(n_out)),
                    (f"fc{index}_relu", nn.ReLU())]
    modules.append((f"fc{n_hidden + 1}", nn.Linear(width, num_classes)))
    return nn.Sequential(OrderedDict(modules))


def _fc_widths(layers: list[FeatureLayer], image_size: int, in_channels: int, hidden: int,
               n_hidden: int, num_classes: int) -> list[tuple[int, int]]:
    """(in, out) features of the fc layers after the conv-like layers (the last one → c)."""
    width = layers[-1].out_channels * layers[-1].out_size**2 if layers else (
        in_channels * image_size**2)
    widths = [width] + [hidden] * n_hidden + [num_classes]
    return list(zip(widths[:-1], widths[1:], strict=True))


def _family_cost(name: str, alpha: int, image_size: int, in_channels: int,
                 num_classes: int) -> Cost:
    """Parameters and MACs of :func:`build_family`, layer by layer
    (:mod:`tensorcnn.blocks.costs`): every conv-like layer and hidden fc is followed by BN
    and ReLU; the last fc has a bias and neither."""
    layers, hidden, n_hidden = family_layers(name, alpha, image_size, in_channels)
    *_, num_classes = _check(name, alpha, image_size, in_channels, num_classes)
    total = Cost()
    for layer in layers:
        positions = layer.out_size**2
        total += (layer.cost + norm_cost(layer.out_channels, positions)
                  + activation_cost(layer.out_channels, positions))
    *hidden_fcs, (width, _) = _fc_widths(layers, image_size, in_channels, hidden, n_hidden,
                                          num_classes)
    for n_in, n_out in hidden_fcs:
        total += conv_cost(n_in, n_out, 1, 1) + norm_cost(n_out, 1) + activation_cost(n_out, 1)
    return total + conv_cost(width, num_classes, 1, 1, bias=True)


def family_n_params(name: str, alpha: int, image_size: int, in_channels: int,
                    num_classes: int) -> int:
    """Exact parameter count of :func:`build_family` (weights, BN scale/shift, last bias).

    Σ_layers (weights + 2 C_out) + Σ_hidden (width_in · h + 2h) + h c + c.
    """
    return _family_cost(name, alpha, image_size, in_channels, num_classes).params


def family_macs(name: str, alpha: int, image_size: int, in_channels: int,
                num_classes: int) -> int:
    """Multiply-accumulates of one forward pass (batch 1), ptflops convention.

    Linear maps count their multiply-adds (plus one per output for a bias); BatchNorm
    counts 2 per element, ReLU 1 per element, as ``ptflops`` (PyTorch backend) does.
    """
    return _family_cost(name, alpha, image_size, in_channels, num_classes).macs


def table_n_params(name: str, alpha: int, image_size: int, num_classes: int) -> float:
    """The "Total" row of 001 Table 3 (d-) or Table 4 (s-) as printed, for 3 input channels.

    Reproduces the paper's numbers, errors included: it omits BN and biases, takes
    Σ_{i=1}^7 2^i ≈ 2^8 and Σ 2^{-i} ≈ 1 where the table writes "≈", and uses the table's
    d-local column, which undercounts conv2–conv8 (13 s²α² instead of 49 s²α²; see
    ``docs/compressed.md``). Use :func:`family_n_params` for the real modules.

    Raises
    ------
    ValueError
        For 3-fc, which the tables do not list.
    """
    if name == "3-fc":
        raise ValueError("001 Tables 3-4 list d-/s- families only, not 3-fc")
    name, a, s, _, c = _check(name, alpha, image_size, 3, num_classes)
    totals = {
        "d-conv": (9 * 2**8 + 4 * s**2) * a**2 + (27 + 64 * c) * a,
        "d-local": 13 * s**2 * a**2 + (27 * s**2 + 64 * c) * a,
        "d-fc": (s**4 + 4 * s**2) * a**2 + (3 * s**4 + 64 * c) * a,
        "s-conv": 6 * s**2 * a**2 + (243 + 24 * c) * a,
        "s-local": 6 * s**2 * a**2 + (243 * s**2 / 4 + 24 * c) * a,
        "s-fc": 6 * s**2 * a**2 + (3 * s**4 / 4 + 24 * c) * a,
    }
    return float(totals[name])


def alpha_for_budget(name: str, budget: int, image_size: int, in_channels: int,
                     num_classes: int) -> int:
    """The largest α whose :func:`family_n_params` is at most ``budget``.

    The count grows strictly with α, so a doubling search followed by bisection finds it
    in O(log budget) closed-form evaluations (no module is built).

    Raises
    ------
    ValueError
        If even α = 1 exceeds the budget.
    """
    budget = check_int(budget, "budget")

    def count(alpha: int) -> int:
        return family_n_params(name, alpha, image_size, in_channels, num_classes)

    if count(1) > budget:
        raise ValueError(
            f"{name} with alpha = 1 already has {count(1)} parameters > budget = {budget}"
        )
    low, high = 1, 2
    while count(high) <= budget:
        low, high = high, 2 * high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if count(middle) <= budget else (low, middle)
    return low
