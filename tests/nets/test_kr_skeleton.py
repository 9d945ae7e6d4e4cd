"""The shared K/R skeleton (:class:`~tensorcnn.nets.kr_layers.StagedNet`), its closed-form
cost walk, and the 001 feature layers' costs on :mod:`tensorcnn.blocks.costs`."""

from dataclasses import dataclass

import pytest
import torch
from torch import nn

from tensorcnn.blocks import Bottleneck, ShuffleV2Unit
from tensorcnn.counting.external import ptflops_macs
from tensorcnn.nets.families import _feature_module, family_layers
from tensorcnn.nets.kr_layers import ConvBN, StagedNet, _chain_cost
from tensorcnn.nets.kr_resnet import FunnelBlockA
from tensorcnn.nets.kr_resnext import GroupedFunnelBlockA
from tensorcnn.nets.kr_shufflenet import DownUnitT1


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@dataclass(frozen=True)
class ToyDesign:
    stem: int = 8
    max_pool: bool = True
    final: int = 12


class ToyNet(StagedNet):
    """A skeleton user written only from the documented hooks: two stages of bottlenecks,
    the second starting with a ShuffleNet unit (``unit_out_channels``), and a final conv."""

    T_VALUES = (2, 4)
    Design = ToyDesign

    def __init__(self, t, num_classes=10, design=None, in_channels=3):
        super().__init__()
        self._assemble(t, num_classes, design, in_channels)

    def stage_plan(self):
        return [(4, 2, 1), (4, 2, 2)]

    def make_block(self, stage, index, in_channels, rank, stride):
        K = self.t * rank
        if stage == 1 and index == 0:
            return ShuffleV2Unit(in_channels, rank, K, stride=stride)
        return Bottleneck(in_channels, rank, K, stride=stride)

    def final_channels(self):
        return self.design.final


@pytest.mark.parametrize("t", [2, 4])
@pytest.mark.parametrize("max_pool", [True, False])
def test_skeleton_builds_from_the_hooks_and_counts_like_ptflops(t, max_pool):
    model = ToyNet(t, num_classes=3, design=ToyDesign(max_pool=max_pool))
    # Channels are chained through the blocks: 8 → 4t (bottlenecks) → 2·4t (shuffle unit)
    # → 4t (bottleneck) → final conv 12.
    assert [[b.in_channels for b in stage] for stage in model.stages] == [
        [8, 4 * t], [4 * t, 8 * t]]
    assert model.final.in_channels == 4 * t and model.head.in_features == 12
    assert isinstance(model.pool, nn.MaxPool2d if max_pool else nn.Identity)
    cost = model.cost(16)
    assert cost.params == n_params(model)
    assert cost.macs == ptflops_macs(model, (3, 16, 16))
    assert model.eval()(torch.randn(2, 3, 16, 16)).shape == (2, 3)


def test_skeleton_validates_t_and_design():
    with pytest.raises(ValueError, match="t must be one of"):
        ToyNet(3)
    with pytest.raises(TypeError, match="design must be a ToyDesign"):
        ToyNet(2, design=object())


@pytest.mark.parametrize("make, shape", [
    (lambda: FunnelBlockA(4, 6, 2, "widening"), (4, 9, 9)),
    (lambda: FunnelBlockA(4, 6, 1, shortcut="projection"), (4, 7, 7)),
    (lambda: GroupedFunnelBlockA(4, 6, 2, 3, shortcut_groups=2), (4, 8, 8)),
    (lambda: DownUnitT1(6, 4, 5), (6, 7, 7)),
])
def test_t1_blocks_sum_their_parts(make, shape):
    block = make()
    cost = block.cost(shape[1:])
    assert cost.params == n_params(block)
    assert cost.macs == ptflops_macs(block, shape)


def test_chain_cost_refuses_what_it_cannot_price():
    with pytest.raises(TypeError, match="no closed-form cost for Tanh"):
        _chain_cost([nn.Conv2d(2, 3, 3), nn.Tanh()], (5, 5))
    with pytest.raises(ValueError, match="undilated"):
        _chain_cost([nn.Conv2d(2, 3, 3, dilation=2)], (9, 9))
    with pytest.raises(ValueError, match="channels before"):
        _chain_cost([ConvBN(2, 3), nn.ReLU()], (5, 5))


def test_chain_cost_follows_sizes_and_channels():
    layers = nn.Sequential(nn.Conv2d(2, 3, 3, stride=2, padding=1, bias=True),
                           nn.BatchNorm2d(3), nn.ReLU())
    cost, channels, size = _chain_cost(layers, (7, 5))
    # 3·(9·2 + 1) weights and biases, 4·3 output positions; BN 2, ReLU 1 per element.
    assert (channels, size) == (3, (4, 3))
    assert cost.params == 3 * 19 + 6 == n_params(layers)
    assert cost.macs == 3 * 19 * 12 + 3 * 3 * 12


@pytest.mark.parametrize("name", ["d-conv", "s-local", "d-fc"])
def test_feature_layer_cost_is_its_module(name):
    layers, _, _ = family_layers(name, 2, 9, 3)
    for layer in layers:
        module = _feature_module(layer)
        shape = (layer.in_channels, layer.in_size, layer.in_size)
        assert layer.cost.params == layer.n_weights == n_params(module)
        assert layer.cost.macs == layer.n_macs == ptflops_macs(module, shape)
