"""The K/R ablation networks: closed-form counts against torch and ptflops, the paper's
Table 2/3 cells, forward/backward at the real input sizes, bad input, pretrained loading."""

import math

import pytest
import torch

from tensorcnn.ablation.tables import PAPER, count_rows, network_cost
from tensorcnn.counting.external import ptflops_macs
from tensorcnn.counting.trace import call_macs, trace_calls
from tensorcnn.nets.kr_resnet import kr_resnet41
from tensorcnn.nets.kr_resnet3d import (
    PRETRAINED_FILE,
    kr_resnet3d18,
    load_pretrained_backbone,
)
from tensorcnn.nets.kr_resnext import kr_resnext
from tensorcnn.nets.kr_shufflenet import kr_shufflenet

IMAGE_NETS = {"kr_resnet41": (kr_resnet41, (1, 4, 8, 16)),
              "kr_resnext": (kr_resnext, (1, 2, 4)),
              "kr_shufflenet": (kr_shufflenet, (1, 2, 4))}
IMAGE_CASES = [(name, t) for name, (_, ts) in IMAGE_NETS.items() for t in ts]


def _meta(build, *args, **kwargs):
    with torch.device("meta"):
        return build(*args, **kwargs)


@pytest.mark.parametrize("name,t", IMAGE_CASES)
def test_closed_form_equals_torch_count_and_trace(name, t):
    model = _meta(IMAGE_NETS[name][0], t)
    cost = model.cost(32)
    assert cost.params == sum(p.numel() for p in model.parameters())
    assert cost.macs == sum(call_macs(c) for c in trace_calls(model, (3, 32, 32)))


@pytest.mark.parametrize("t", (1, 4, 8, 16))
def test_3d_added_cost_equals_torch_count_and_trace(t):
    model = _meta(kr_resnet3d18, t)
    added = torch.nn.Sequential(model.blocks, model.head)
    cost = model.added_cost((1, 4, 4))
    assert cost.params == sum(p.numel() for p in added.parameters())
    assert cost.macs == sum(call_macs(c) for c in trace_calls(added, (512, 1, 4, 4)))


@pytest.mark.parametrize("name,t", [("kr_resnet41", 1), ("kr_resnext", 2), ("kr_shufflenet", 1),
                                    ("kr_shufflenet", 4)])
def test_closed_form_macs_equal_ptflops(name, t):
    torch.manual_seed(0)
    model = IMAGE_NETS[name][0](t)
    assert model.cost(32).macs == ptflops_macs(model, (3, 32, 32))


def test_3d_added_macs_equal_ptflops():
    model = kr_resnet3d18(4, rank=256)
    added = torch.nn.Sequential(model.blocks, model.head)
    assert model.added_cost((1, 4, 4)).macs == ptflops_macs(added, (512, 1, 4, 4))


def test_resnet41_reproduces_table2_within_2_percent_and_printed_precision():
    for row in count_rows(["kr_resnet41"]):
        assert abs(row.params_rel_diff) < 0.02, row
        assert row.params_match and row.gmacs_match, row


# Cells our chosen designs reproduce at the printed precision (params, MACs); the others
# are documented cell by cell in docs/ablation.md with the detail that prevents a match.
EXPECTED_MATCHES = {
    ("kr_resnet41", 1): (True, True), ("kr_resnet41", 4): (True, True),
    ("kr_resnet41", 8): (True, True), ("kr_resnet41", 16): (True, True),
    ("kr_resnet3d18", 1): (False, False), ("kr_resnet3d18", 4): (True, True),
    ("kr_resnet3d18", 8): (True, True), ("kr_resnet3d18", 16): (True, False),
    ("kr_resnext", 1): (False, True), ("kr_resnext", 2): (True, True),
    ("kr_resnext", 4): (True, True),
    ("kr_shufflenet", 1): (True, True), ("kr_shufflenet", 2): (True, True),
    ("kr_shufflenet", 4): (True, True),
}


def test_which_paper_cells_match_is_as_documented():
    rows = count_rows()
    assert len(rows) == len(PAPER) == len(EXPECTED_MATCHES)
    for row in rows:
        assert (row.params_match, row.gmacs_match) == EXPECTED_MATCHES[row.network, row.t]


def test_ucf101_t1_params_cell_is_below_any_r256_design():
    # Four full 3×3×3 R → R convs with R = 256 alone exceed the printed 6.97M.
    assert 4 * 27 * 256 ** 2 > 6.97e6
    assert network_cost("kr_resnet3d18", 1).params > 4 * 27 * 256 ** 2


@pytest.mark.parametrize("name,t", IMAGE_CASES)
def test_forward_backward_at_32x32(name, t):
    torch.manual_seed(0)
    model = IMAGE_NETS[name][0](t, num_classes=10)
    x = torch.randn(2, 3, 32, 32)
    out = model(x)
    assert out.shape == (2, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_3d_forward_backward_on_a_16x112x112_clip_with_frozen_backbone():
    torch.manual_seed(0)
    model = kr_resnet3d18(4, num_classes=101).train()
    assert not model.layer1[0].bn1.training and model.blocks[0].branch[0][1].training
    out = model(torch.randn(1, 3, 16, 112, 112))
    assert out.shape == (1, 101)
    out.sum().backward()
    assert all(p.grad is None for name in ("conv1", "layer4")
               for p in getattr(model, name).parameters())
    assert all(p.grad is not None for p in model.blocks.parameters())
    assert model.head.fc.weight.grad is not None


@pytest.mark.parametrize("build,t", [(kr_resnet41, 2), (kr_resnext, 8), (kr_shufflenet, 3),
                                     (kr_resnet3d18, 2), (kr_resnet41, 4.5),
                                     (kr_resnet41, True)])
def test_bad_t_names_the_argument(build, t):
    with pytest.raises(ValueError, match="t must be one of"):
        _meta(build, t)


@pytest.mark.parametrize("num_classes", [1, 0, 2.5, "10"])
def test_bad_num_classes_names_the_argument(num_classes):
    with pytest.raises(ValueError, match="num_classes"):
        _meta(kr_shufflenet, 2, num_classes=num_classes)


def test_bad_design_names_the_field():
    with pytest.raises(ValueError, match="cardinality"):
        _meta(kr_resnext, 1, cardinality=29)
    with pytest.raises(ValueError, match="blocks"):
        _meta(kr_resnet41, 4, blocks=(3, 4))
    with pytest.raises(ValueError, match="shortcut_t1"):
        _meta(kr_resnet41, 1, shortcut_t1="zero")


def test_pretrained_backbone_round_trip_and_errors(tmp_path):
    torch.manual_seed(0)
    source = kr_resnet3d18(1, freeze_backbone=False)
    backbone = {f"module.{k}": v for k, v in source.state_dict().items()
                if not k.startswith(("blocks", "head"))}
    backbone["module.fc.weight"] = torch.zeros(400, 512)  # Kinetics head: ignored
    path = tmp_path / PRETRAINED_FILE
    torch.save({"arch": "resnet-18", "state_dict": backbone}, path)
    target = kr_resnet3d18(1)
    loaded = load_pretrained_backbone(target, path)
    assert "layer4.1.conv2.weight" in loaded and not any(k.startswith("blocks") for k in loaded)
    assert torch.equal(target.layer3[0].conv1.weight, source.layer3[0].conv1.weight)
    assert torch.equal(target.bn1.running_var, source.bn1.running_var)

    with pytest.raises(FileNotFoundError, match=PRETRAINED_FILE):
        load_pretrained_backbone(target, tmp_path / "absent.pth")
    del backbone["module.layer2.0.conv1.weight"]
    torch.save(backbone, path)
    with pytest.raises(ValueError, match="layer2.0.conv1.weight"):
        load_pretrained_backbone(target, path)


def test_kr_ratio_of_the_blocks():
    model = _meta(kr_resnet41, 8)
    bottlenecks = [b for stage in model.stages for b in stage]
    assert all(math.isclose(b.kr_ratio, 8) for b in bottlenecks)
