"""3D ResNet-18 with 4 Blocks B (R = 256) before pooling, for UCF101 (003 §4.2, Fig. 4(2)).

Backbone: the 3D ResNet-18 of Hara et al. (2018) with their module names, so that their
Kinetics checkpoint loads: ``conv1`` 7×7×7 (stride 1, 2, 2) 64 channels + ``bn1`` + ReLU,
3×3×3/2 max pooling, ``layer1``–``layer4`` of two basic blocks each (64, 128, 256, 512
channels; stride 2 from ``layer2`` on) with the parameter-free shortcut "A" of their
ResNet-18 (stride-s subsampling + zero channels) or the 1×1×1 projection "B". On
16×112×112 clips the backbone ends at 512×1×4×4.

Added part (what Table 2 counts under "#Added"): four 3D bottlenecks
1×1×1 C→R, 3×3×3 R→R, 1×1×1 R→K (K = t·R, R = 256, BN after each conv, ReLU after the
first two and after the addition), then global average pooling and the fully-connected
layer. The first added block has C = 512 ≠ K: it gets Hara's parameter-free shortcut A
(zero channels) when K > C and none when K < C (t = 1); the others are identity.
The t = 4, 8, 16 cells of Table 2 are reproduced only when that first block has no
projection (``docs/ablation.md``).

003: "the weights are fixed for the first few layers, and backward propagation is only
applied to the added Block B layers and the fully-connected layer": ``freeze_backbone``
(default True) stops the gradients of the whole backbone and keeps its batch norms in
inference mode.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from .._validation import check_bool, check_int, check_path
from ..blocks.costs import Cost, activation_cost
from .kr_layers import ClassifierHead, ConvBN, _chain_cost, check_num_classes, check_t, he_init

__all__ = ["BasicBlock3d", "BottleneckB3d", "KRResNet3D18", "T_VALUES", "kr_resnet3d18",
           "load_pretrained_backbone", "PRETRAINED_FILE"]

#: The t = K/R of 003 Table 2 (UCF101 columns).
T_VALUES = (1, 4, 8, 16)
#: Hara et al.'s Kinetics checkpoint of 3D ResNet-18 (shortcut A), the file 003 starts from.
PRETRAINED_FILE = "resnet-18-kinetics.pth"
BACKBONE = ("conv1", "bn1", "layer1", "layer2", "layer3", "layer4")


def _zero_pad_shortcut(x: torch.Tensor, channels: int, stride: int) -> torch.Tensor:
    """Hara et al.'s shortcut A: subsample by ``stride`` and append zero channels."""
    if stride > 1:
        x = x[:, :, ::stride, ::stride, ::stride]
    extra = channels - x.shape[1]
    return F.pad(x, (0, 0, 0, 0, 0, 0, 0, extra)) if extra > 0 else x


class BasicBlock3d(nn.Module):
    """3×3×3 conv–BN–ReLU–3×3×3 conv–BN + shortcut, ReLU (Hara et al.'s names)."""

    def __init__(self, in_channels: int, channels: int, stride: int = 1,
                 shortcut: str = "A") -> None:
        super().__init__()
        in_channels = check_int(in_channels, "in_channels")
        channels, stride = check_int(channels, "channels"), check_int(stride, "stride")
        if shortcut not in ("A", "B"):
            raise ValueError(f"shortcut must be 'A' or 'B', got {shortcut!r}")
        self.conv1 = nn.Conv3d(in_channels, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm3d(channels)
        self.conv2 = nn.Conv3d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm3d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.channels, self.stride = channels, stride
        self.downsample = None
        if shortcut == "B" and (stride != 1 or in_channels != channels):
            self.downsample = nn.Sequential(nn.Conv3d(in_channels, channels, 1, stride,
                                                      bias=False), nn.BatchNorm3d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        short = (self.downsample(x) if self.downsample is not None
                 else _zero_pad_shortcut(x, self.channels, self.stride))
        return self.relu(out + short)


class BottleneckB3d(nn.Module):
    """Block B in 3D: 1×1×1 C→R, 3×3×3 R→R, 1×1×1 R→K, each + BN (ReLU after the first
    two); shortcut identity (C = K), zero channels (K > C) or none (K < C); output ReLU.

    Input (N, C, T, H, W), output (N, K, T, H, W).
    """

    def __init__(self, in_channels: int, rank: int, out_channels: int) -> None:
        super().__init__()
        in_channels, rank = check_int(in_channels, "in_channels"), check_int(rank, "rank")
        out_channels = check_int(out_channels, "out_channels")
        self.in_channels, self.rank, self.out_channels = in_channels, rank, out_channels
        self.branch = nn.Sequential(ConvBN(in_channels, rank, 1, dims=3),
                                    ConvBN(rank, rank, 3, dims=3),
                                    ConvBN(rank, out_channels, 1, relu=False, dims=3))
        self.out_act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.branch(x)
        if self.out_channels >= self.in_channels:
            out = out + _zero_pad_shortcut(x, self.out_channels, 1)
        return self.out_act(out)

    def output_size(self, input_size: Sequence[int]) -> tuple[int, ...]:
        """(T, H, W) for a (T, H, W) input (stride 1: the same)."""
        return tuple(input_size)

    def cost(self, input_size: Sequence[int]) -> Cost:
        """Closed-form parameters and MACs for a (T, H, W) input: branch and output ReLU."""
        branch, _, size = _chain_cost(self.branch, input_size, self.in_channels)
        return branch + activation_cost(self.out_channels, math.prod(size))


class KRResNet3D18(nn.Module):
    """3D ResNet-18 + 4 Blocks B (R = 256, K = t·R) + FC, on (N, 3, T, H, W) clips.

    Parameters
    ----------
    t : {1, 4, 8, 16}
    num_classes : int
        101 for UCF101.
    rank : int
        R of the added blocks (256 in 003).
    n_blocks : int
        Added blocks (4 in 003).
    shortcut : {"A", "B"}
        Backbone shortcut type (Hara et al.'s ResNet-18 checkpoint uses "A").
    freeze_backbone : bool
        No gradients for ``conv1``…``layer4``, whose BNs stay in eval mode.

    Output (N, num_classes) logits. The real input is (N, 3, 16, 112, 112).
    """

    def __init__(self, t: int, num_classes: int = 101, rank: int = 256, n_blocks: int = 4,
                 shortcut: str = "A", freeze_backbone: bool = True) -> None:
        super().__init__()
        self.t = check_t(t, T_VALUES)
        self.num_classes = check_num_classes(num_classes)
        if shortcut not in ("A", "B"):
            raise ValueError(f"shortcut must be 'A' or 'B', got {shortcut!r}")
        rank, n_blocks = check_int(rank, "rank"), check_int(n_blocks, "n_blocks")
        freeze_backbone = check_bool(freeze_backbone, "freeze_backbone")
        self.conv1 = nn.Conv3d(3, 64, 7, (1, 2, 2), 3, bias=False)
        self.bn1 = nn.BatchNorm3d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool3d(3, 2, 1)
        C = 64
        for i, channels in enumerate((64, 128, 256, 512), start=1):
            stride = 1 if i == 1 else 2
            setattr(self, f"layer{i}", nn.Sequential(BasicBlock3d(C, channels, stride, shortcut),
                                                     BasicBlock3d(channels, channels)))
            C = channels
        K = self.t * rank
        self.blocks = nn.Sequential(*(BottleneckB3d(C if i == 0 else K, rank, K)
                                      for i in range(n_blocks)))
        self.head = ClassifierHead(K, self.num_classes, dims=3)
        he_init(self)
        self.frozen = freeze_backbone
        if self.frozen:
            for name in BACKBONE:
                getattr(self, name).requires_grad_(False)

    def backbone(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, T, H, W) clips → (N, 512, T/16, H/32, W/32) features (rounded up)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.backbone(x)))

    def train(self, mode: bool = True) -> KRResNet3D18:
        super().train(mode)
        if self.frozen:
            for name in BACKBONE:
                getattr(self, name).eval()
        return self

    def added_cost(self, feature_size: Sequence[int] = (1, 4, 4)) -> Cost:
        """Parameters and MACs of the added blocks and the FC layer (Table 2's "#Added"),
        for backbone features of size (T, H, W) — (1, 4, 4) for 16×112×112 clips."""
        blocks, _, size = _chain_cost(self.blocks, feature_size)
        return blocks + self.head.cost(size)


def kr_resnet3d18(t: int, num_classes: int = 101, **options: object) -> KRResNet3D18:
    """The UCF101 network of 003 Fig. 4(2): 3D ResNet-18 + 4 Blocks B (R = 256), K = t·R.

    Parameters
    ----------
    t : {1, 4, 8, 16}
    num_classes : int, default 101
    **options
        ``rank``, ``n_blocks``, ``shortcut``, ``freeze_backbone`` of :class:`KRResNet3D18`.

    Returns
    -------
    KRResNet3D18
        Maps (N, 3, 16, 112, 112) clips to (N, num_classes) logits. Load Kinetics weights
        with :func:`load_pretrained_backbone`.
    """
    return KRResNet3D18(t, num_classes, **options)


def load_pretrained_backbone(model: KRResNet3D18, path: str | Path) -> list[str]:
    """Load the backbone weights (``conv1``, ``bn1``, ``layer1``–``layer4``) from a file.

    The file is a ``torch.save`` of a state dict, or of a dict holding one under
    ``"state_dict"`` (Hara et al.'s ``resnet-18-kinetics.pth``); a ``module.`` prefix
    (``DataParallel``) is removed. Other keys (their 400-class ``fc``) are ignored.

    Returns
    -------
    list of str
        The keys loaded.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist (the message names the expected file and keys).
    ValueError
        If backbone keys are missing or have the wrong shape.
    """
    if not isinstance(model, KRResNet3D18):
        raise TypeError(f"model must be a KRResNet3D18, got {type(model).__name__}")
    path = check_path(path, "path")
    expected = {k: v for k, v in model.state_dict().items() if k.split(".")[0] in BACKBONE}
    if not path.is_file():
        raise FileNotFoundError(
            f"pretrained weights not found at path={str(path)!r}: expected a torch.save file "
            f"such as "
            f"Hara et al.'s {PRETRAINED_FILE} (3D ResNet-18, shortcut A) holding a state dict "
            f"(optionally under 'state_dict', keys optionally prefixed 'module.') with the "
            f"{len(expected)} backbone keys, e.g. {sorted(expected)[:3]}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure is a bad file
        raise ValueError(f"path={str(path)!r} is not a torch.save file of weights "
                         f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
                         ) from None
    state = payload.get("state_dict", payload) if isinstance(payload, dict) else None
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise ValueError(f"path={str(path)!r} holds no state dict")
    state = {k.removeprefix("module."): v for k, v in state.items()}
    missing = sorted(k for k in expected if k not in state)
    if missing:
        raise ValueError(f"path={str(path)!r} lacks {len(missing)} backbone keys, e.g. "
                         f"{missing[:5]}")
    wrong = [k for k in expected if not isinstance(state[k], torch.Tensor)
             or tuple(state[k].shape) != tuple(expected[k].shape)]
    if wrong:
        raise ValueError(f"path={str(path)!r}: wrong shapes for {wrong[:5]} (expected "
                         f"{[tuple(expected[k].shape) for k in wrong[:5]]})")
    model.load_state_dict({k: state[k] for k in expected}, strict=False)
    return sorted(expected)
