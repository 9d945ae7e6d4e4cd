"""The K/R audit on the reference architectures and on the project's own blocks."""

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tensorcnn.blocks import (
    Bottleneck,
    DepthwiseSeparable,
    InvertedResidual,
    ShuffleV2Unit,
    resnext_bottleneck,
)
from tensorcnn.counting.audit import audit
from tensorcnn.counting.external import ptflops_macs
from tensorcnn.counting.reference_models import REFERENCE_MODELS
from tensorcnn.nets.families import build_family

# torchvision's published parameter counts of the same architectures.
TORCHVISION_PARAMS = {"resnet50": 25_557_032, "resnext50": 25_028_904,
                      "mobilenet_v2": 3_504_872, "shufflenet_v2": 2_278_604}


@functools.cache
def reference(name):
    """A reference model and its audit at 32 x 32 (built once per test session)."""
    model = REFERENCE_MODELS[name]()
    return model, audit(model, (3, 32, 32))


@pytest.mark.parametrize("name", sorted(TORCHVISION_PARAMS))
def test_reference_models_are_torchvision_sized_and_totals_match_ptflops(name):
    model, report = reference(name)
    assert sum(p.numel() for p in model.parameters()) == TORCHVISION_PARAMS[name]
    assert report.total_params == TORCHVISION_PARAMS[name]
    assert report.total_macs == ptflops_macs(model, (3, 32, 32))
    modules = dict(model.named_modules())
    for row in report.blocks:
        assert row.params == sum(p.numel() for p in modules[row.name].parameters())
        assert row.macs_t1 <= row.macs and row.params_t1 <= row.params


def test_resnet50_has_t_4_in_every_bottleneck():
    model, report = reference("resnet50")
    assert len(report.blocks) == 16
    assert {row.kind for row in report.blocks} == {"bottleneck"}
    assert all(row.t == 4 and row.out_channels == 4 * row.rank for row in report.blocks)
    assert [row.rank for row in report.blocks] == [64] * 3 + [128] * 4 + [256] * 6 + [512] * 3
    # ptflops' published figure for ResNet-50 at 224 x 224 is 4.12 GMac.
    assert round(audit(model, (3, 224, 224)).total_macs / 1e9, 2) == 4.12


def test_mobilenet_v2_has_expansion_6_where_the_architecture_has_it():
    _, report = reference("mobilenet_v2")
    first, *rest = report.blocks
    assert first.kind == "depthwise-separable" and first.expansion == 1  # its t = 1 block
    assert len(rest) == 16
    assert all(r.kind == "inverted-residual" and r.expansion == 6 for r in rest)
    assert all(r.t < 1 and r.params_saved == 0 for r in rest)  # K <= xC: nothing to remove


def test_resnext50_ranks_are_r_times_g():
    _, report = reference("resnext50")
    stages = [0] * 3 + [1] * 4 + [2] * 6 + [3] * 3
    assert len(report.blocks) == 16
    for row, stage in zip(report.blocks, stages, strict=True):
        assert row.kind == "grouped" and row.groups == 32
        assert row.rank == 32 * 4 * 2**stage and row.t == 2


def test_shufflenet_v2_branches_have_t_1():
    _, report = reference("shufflenet_v2")
    units = [r for r in report.blocks if not r.name.endswith("branch1")]
    assert len(units) == 16 and all(r.t == 1 for r in units)


@st.composite
def own_blocks(draw):
    C, R, t = draw(st.integers(2, 6)), draw(st.integers(1, 5)), draw(st.integers(1, 4))
    stride = draw(st.integers(1, 2))
    kind = draw(st.sampled_from(["bottleneck", "resnext", "dws", "inverted"]))
    if kind == "bottleneck":
        shortcut = draw(st.sampled_from(["auto", "projection", "none"]))
        return Bottleneck(C, R, t * R, stride=stride, shortcut=shortcut)
    if kind == "resnext":
        return resnext_bottleneck(C, 2, R, 2 * R * t, stride=stride)
    if kind == "dws":
        return DepthwiseSeparable(C, t * C, stride=stride)
    return InvertedResidual(C, draw(st.integers(1, 12)), draw(st.integers(2, 4)), stride=stride)


@settings(max_examples=25)
@given(block=own_blocks(), size=st.integers(3, 9))
def test_audit_of_own_blocks_agrees_with_their_closed_forms(block, size):
    # A 3x3 stem: a 1x1 one would make stem + depthwise-separable a depthwise bottleneck.
    model = nn.Sequential(nn.Conv2d(3, block.in_channels, 3, padding=1), block)
    report = audit(model, (3, size, size))
    (row,) = report.blocks
    assert row.name == "1"
    assert (row.in_channels, row.rank, row.out_channels) == (
        block.in_channels, block.rank, block.out_channels)
    assert row.t == block.kr_ratio
    assert row.params == block.n_params() and row.macs == block.macs(size)
    if block.out_channels > block.rank:
        # Priced at t = 1: the same design with K = R (an identity shortcut cannot stay).
        config = {"out_channels": block.rank}
        if getattr(block, "shortcut_kind", None) == "identity":
            config["shortcut"] = "none"
        elif getattr(block, "shortcut_kind", None) == "projection":
            config["shortcut"] = "projection"
        small = type(block)(**{**block.config, **config})
        assert row.params_t1 == small.n_params()
        assert row.macs_t1 == small.macs(size)
    else:
        assert (row.params_t1, row.macs_t1) == (row.params, row.macs)


def test_shufflenet_unit_and_plain_networks():
    report = audit(nn.Sequential(ShuffleV2Unit(8, 4, 4)), (8, 6, 6))
    (row,) = report.blocks
    assert row.kind == "depthwise-bottleneck" and (row.rank, row.out_channels) == (4, 4)
    assert audit(build_family("d-conv", 1, 8, 3, 2), (3, 8, 8)).blocks == []


def test_audit_rejects_bad_input():
    with pytest.raises(TypeError, match="nn.Module"):
        audit("resnet50", (3, 8, 8))
    with pytest.raises(ValueError, match="input_shape"):
        audit(nn.Conv2d(3, 3, 1), (3, -8, 8))


def test_report_as_dict_is_json_ready():
    import json

    report = audit(nn.Sequential(Bottleneck(4, 2, 8)), (4, 5, 5))
    data = json.loads(json.dumps(report.as_dict()))
    assert data["blocks"][0]["t"] == 4.0
    assert data["params_saved"] == report.params_saved > 0


class _Bottleneck3d(nn.Module):
    """A 3-D bottleneck written out by hand (the 3D ResNet blocks of 003 Fig. 4(2))."""

    def __init__(self, C, R, K):
        super().__init__()
        self.reduce = nn.Conv3d(C, R, 1, bias=False)
        self.spatial = nn.Conv3d(R, R, 3, padding=1, bias=False)
        self.expand = nn.Conv3d(R, K, 1, bias=False)
        self.norm = nn.BatchNorm3d(K)
        self.projection = nn.Conv3d(C, K, 1, bias=False)

    def forward(self, x):
        return self.norm(self.expand(self.spatial(self.reduce(x)))) + self.projection(x)


def test_audit_finds_3d_bottlenecks_and_prices_t1_by_hand():
    C, R, K, side = 4, 3, 12, 5
    report = audit(nn.Sequential(_Bottleneck3d(C, R, K)), (C, side, side, side))
    (row,) = report.blocks
    assert (row.kind, row.in_channels, row.rank, row.out_channels, row.t) == (
        "bottleneck", C, R, K, 4.0)
    positions = side**3
    # Explicit sums of the layers, with K and then R output channels.
    params = C * R + 27 * R * R + R * K + 2 * K + C * K
    params_t1 = C * R + 27 * R * R + R * R + 2 * R + C * R
    assert (row.params, row.params_t1) == (params, params_t1)
    assert row.macs == positions * (C * R + 27 * R * R + R * K + 2 * K + C * K)
    assert row.macs_t1 == positions * (C * R + 27 * R * R + R * R + 2 * R + C * R)
