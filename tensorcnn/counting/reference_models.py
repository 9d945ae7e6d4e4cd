"""Standard ImageNet architectures in torchvision's module layout, for the K/R audit.

torchvision cannot be installed beside the pinned torch, so these are compact re-writings
of ``torchvision.models`` (0.15+): ``resnet50`` (v1.5, stride on the 3×3 conv),
``resnext50_32x4d``, ``mobilenet_v2`` (width 1.0) and ``shufflenet_v2_x1_0``. Module names,
nesting and layer order follow torchvision, so the audit sees what it would see there.
Parameter counts equal torchvision's: 25,557,032; 25,028,904; 3,504,872; 2,278,604.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .._validation import check_int
from ..blocks.modules import channel_shuffle

__all__ = ["REFERENCE_MODELS", "mobilenet_v2", "resnet50", "resnext50_32x4d",
           "shufflenet_v2_x1_0"]


def _conv_bn_act(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1,
                 activation: type[nn.Module] | None = nn.ReLU6) -> nn.Sequential:
    layers = [nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, groups=groups,
                        bias=False), nn.BatchNorm2d(c_out)]
    if activation is not None:
        layers.append(activation(inplace=True))
    return nn.Sequential(*layers)


class _Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1,
                 base_width: int = 64) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class _ResNet(nn.Module):
    def __init__(self, layers: tuple[int, ...], groups: int = 1, width_per_group: int = 64,
                 num_classes: int = 1000) -> None:
        super().__init__()
        self.inplanes, self.groups, self.base_width = 64, groups, width_per_group
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], 2)
        self.layer3 = self._make_layer(256, layers[2], 2)
        self.layer4 = self._make_layer(512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * _Bottleneck.expansion, num_classes)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * _Bottleneck.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * _Bottleneck.expansion, 1, stride, bias=False),
                nn.BatchNorm2d(planes * _Bottleneck.expansion))
        layers = [_Bottleneck(self.inplanes, planes, stride, downsample, self.groups,
                              self.base_width)]
        self.inplanes = planes * _Bottleneck.expansion
        layers += [_Bottleneck(self.inplanes, planes, groups=self.groups,
                               base_width=self.base_width) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet50(num_classes: int = 1000) -> nn.Module:
    """ResNet-50 (He et al. 2016), torchvision v1.5 layout: 16 bottlenecks with K = 4R."""
    num_classes = check_int(num_classes, "num_classes")
    return _ResNet((3, 4, 6, 3), num_classes=num_classes)


def resnext50_32x4d(num_classes: int = 1000) -> nn.Module:
    """ResNeXt-50 32×4d (Xie et al. 2017): cardinality g = 32, width r = 4 (R = 128 · 2^i)."""
    num_classes = check_int(num_classes, "num_classes")
    return _ResNet((3, 4, 6, 3), groups=32, width_per_group=4, num_classes=num_classes)


class _InvertedResidual(nn.Module):
    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(_conv_bn_act(inp, hidden, 1))
        layers += [_conv_bn_act(hidden, hidden, 3, stride, groups=hidden),
                   nn.Conv2d(hidden, oup, 1, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


def mobilenet_v2(num_classes: int = 1000) -> nn.Module:
    """MobileNetV2 (Sandler et al. 2018), width 1.0: inverted residuals with expansion 6
    (1 in the first one)."""
    num_classes = check_int(num_classes, "num_classes")
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]
    features: list[nn.Module] = [_conv_bn_act(3, 32, 3, 2)]
    channels = 32
    for t, c, n, s in settings:
        for i in range(n):
            features.append(_InvertedResidual(channels, c, s if i == 0 else 1, t))
            channels = c
    features.append(_conv_bn_act(channels, 1280, 1))
    model = nn.Sequential()
    model.features = nn.Sequential(*features)
    model.pool = nn.AdaptiveAvgPool2d(1)
    model.flatten = nn.Flatten()
    model.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))
    return model


class _ShuffleUnit(nn.Module):
    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        branch_features = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                _conv_bn_act(inp, inp, 3, stride, groups=inp, activation=None),
                _conv_bn_act(inp, branch_features, 1, activation=nn.ReLU))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            _conv_bn_act(inp if stride > 1 else branch_features, branch_features, 1,
                         activation=nn.ReLU),
            _conv_bn_act(branch_features, branch_features, 3, stride, groups=branch_features,
                         activation=None),
            _conv_bn_act(branch_features, branch_features, 1, activation=nn.ReLU))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class _ShuffleNetV2(nn.Module):
    def __init__(self, repeats: tuple[int, ...], channels: tuple[int, ...],
                 num_classes: int = 1000) -> None:
        super().__init__()
        self.conv1 = _conv_bn_act(3, channels[0], 3, 2, activation=nn.ReLU)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inp = channels[0]
        for index, (repeat, out) in enumerate(zip(repeats, channels[1:], strict=False), 2):
            units = [_ShuffleUnit(inp, out, 2)] + [_ShuffleUnit(out, out, 1)
                                                   for _ in range(repeat - 1)]
            setattr(self, f"stage{index}", nn.Sequential(*units))
            inp = out
        self.conv5 = _conv_bn_act(inp, channels[-1], 1, activation=nn.ReLU)
        self.fc = nn.Linear(channels[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.stage4(self.stage3(self.stage2(x)))
        return self.fc(self.conv5(x).mean([2, 3]))


def shufflenet_v2_x1_0(num_classes: int = 1000) -> nn.Module:
    """ShuffleNet v2 1.0× (Ma et al. 2018): stages of 4, 8, 4 units, 116/232/464 channels."""
    num_classes = check_int(num_classes, "num_classes")
    return _ShuffleNetV2((4, 8, 4), (24, 116, 232, 464, 1024), num_classes)


#: Built-in names accepted by ``tensorcnn audit`` (with torchvision's aliases).
REFERENCE_MODELS: dict[str, Callable[..., nn.Module]] = {
    "resnet50": resnet50,
    "resnext50": resnext50_32x4d,
    "resnext50_32x4d": resnext50_32x4d,
    "mobilenet_v2": mobilenet_v2,
    "shufflenet_v2": shufflenet_v2_x1_0,
    "shufflenet_v2_x1_0": shufflenet_v2_x1_0,
}
