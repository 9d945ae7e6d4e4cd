"""Block designs: closed forms against torch's own parameter count and ptflops; the
K > R → K = R reduction of Corollary 1 against the original block."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tensorcnn.blocks import (
    Bottleneck,
    DepthwiseSeparable,
    InvertedResidual,
    ShuffleV2Unit,
    channel_shuffle,
    funnel_block,
    normalized_funnel_block,
    reduce_block,
    resnet_bottleneck,
    resnext_bottleneck,
    stacked_kernel,
)
from tensorcnn.compressed import kr_ratio, unstack_kernels
from tensorcnn.counting.external import ptflops_macs

options = st.fixed_dictionaries({
    "activation": st.sampled_from([nn.ReLU, nn.ReLU6, None]),
    "batch_norm": st.booleans(),
})


@st.composite
def blocks(draw):
    """Any block design with random sizes and settings."""
    kind = draw(st.sampled_from(["bottleneck", "resnext", "funnel", "normalized", "dws",
                                 "inverted", "shuffle"]))
    C, R, K = (draw(st.integers(1, 8)) for _ in range(3))
    k = draw(st.sampled_from([1, 3, 5]))
    stride = draw(st.integers(1, 2))
    opts = draw(options)
    if kind == "bottleneck":
        shortcut = draw(st.sampled_from(["auto", "projection", "none"]))
        return resnet_bottleneck(C, R, stride=stride, kernel_size=k, shortcut=shortcut, **opts)
    if kind == "resnext":
        g = draw(st.integers(1, 4))
        return resnext_bottleneck(C, g, draw(st.integers(1, 3)), K, stride=stride,
                                  kernel_size=k, **opts)
    if kind == "funnel":
        return funnel_block(C, R, stride=stride, kernel_size=k, **opts)
    if kind == "normalized":
        return normalized_funnel_block(C, stride=stride, kernel_size=k, **opts)
    if kind == "dws":
        return DepthwiseSeparable(C, K, kernel_size=k, stride=stride, **opts)
    if kind == "inverted":
        return InvertedResidual(C, K, draw(st.integers(1, 6)), kernel_size=k, stride=stride,
                                **opts)
    half = draw(st.integers(1, 4))
    if stride == 1:
        K = 2 * draw(st.integers(1, 4)) - half % 2  # C/2 + K must be even
        return ShuffleV2Unit(2 * half, R, K if K > 0 else 2, kernel_size=k, **opts)
    return ShuffleV2Unit(C, R, K, kernel_size=k, stride=2, **opts)


@settings(max_examples=30)
@given(block=blocks(), height=st.integers(1, 9), width=st.integers(1, 9))
def test_closed_forms_match_torch_and_ptflops(block, height, width):
    assert block.n_params() == sum(p.numel() for p in block.parameters())
    assert block.cost((height, width)).params == block.n_params()
    assert block.macs((height, width)) == ptflops_macs(block, (block.in_channels, height, width))
    out = block.eval()(torch.randn(2, block.in_channels, height, width))
    assert tuple(out.shape[2:]) == block.output_size((height, width))


def test_kr_ratios_of_the_designs():
    assert resnet_bottleneck(256, 64).kr_ratio == 4  # T1: K = 4R
    assert funnel_block(256, 64).kr_ratio == 1  # T2
    block = normalized_funnel_block(64)
    assert (block.in_channels, block.rank, block.out_channels) == (64, 64, 64)
    resnext = resnext_bottleneck(256, cardinality=32, width=4, out_channels=256)
    assert resnext.rank == 128 and resnext.kr_ratio == 2  # R = r g
    assert DepthwiseSeparable(32, 64).kr_ratio == 2  # CP rank C
    inverted = InvertedResidual(24, 24, expansion=6)
    assert inverted.rank == 144 and inverted.stack_ranks == (144,)  # CP rank x C
    assert ShuffleV2Unit(116, 58, 58).kr_ratio == 1
    assert resnet_bottleneck(256, 64, kernel_size=3).stack_ranks == (3, 3, 64, 64)


def test_shortcuts_and_channel_shuffle():
    assert resnet_bottleneck(256, 64).shortcut_kind == "identity"
    assert resnet_bottleneck(64, 64).shortcut_kind == "projection"
    assert InvertedResidual(8, 8, 2, stride=2).shortcut_kind == "none"
    x = torch.arange(6.0).view(1, 6, 1, 1)
    assert channel_shuffle(x).flatten().tolist() == [0, 3, 1, 4, 2, 5]


def randomize_norms(block):
    for module in block.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.normal_()
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.normal_()
            module.bias.data.normal_()
    return block.eval()


@st.composite
def linear_blocks(draw):
    C, R, t = draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(1, 4))
    opts = dict(activation=None, batch_norm=draw(st.booleans()),
                kernel_size=draw(st.sampled_from([1, 3])), stride=draw(st.integers(1, 2)))
    kind = draw(st.sampled_from(["bottleneck", "resnext", "dws", "inverted"]))
    if kind == "bottleneck":
        return Bottleneck(C, R, t * R, shortcut="none", **opts)
    if kind == "resnext":
        g = draw(st.integers(1, 3))
        return resnext_bottleneck(C, g, R, t * R * g, shortcut="none", **opts)
    if kind == "dws":
        return DepthwiseSeparable(C, t * C, **opts)
    x = draw(st.integers(1, 3))
    return InvertedResidual(C, t * C * x, x, shortcut="none", **opts)


@settings(max_examples=25)
@given(block=linear_blocks(), outputs=st.integers(1, 5), seed=st.integers(0, 1000))
def test_reduction_to_k_equals_r_keeps_the_outputs(block, outputs, seed):
    torch.manual_seed(seed)
    block = randomize_norms(block.double())
    next_layer = nn.Conv2d(block.out_channels, outputs, 1).double()
    small, new_next = reduce_block(block, next_layer)
    assert small.out_channels == small.rank == block.rank
    assert small.kr_ratio == 1
    assert sum(p.numel() for p in small.parameters()) <= sum(
        p.numel() for p in block.parameters())
    x = torch.randn(3, block.in_channels, 7, 6, dtype=torch.float64)
    with torch.no_grad():
        expected = next_layer(block(x))
        got = new_next(small(x))
    torch.testing.assert_close(got, expected, atol=1e-10 * max(1.0, expected.abs().max().item()),
                               rtol=0)


def test_reduction_rejects_what_corollary1_does_not_cover():
    nonlinear = Bottleneck(4, 2, 8, shortcut="none")
    with pytest.raises(ValueError, match="linear activations"):
        reduce_block(nonlinear, nn.Conv2d(8, 2, 1))
    residual = Bottleneck(8, 2, 8, activation=None)
    with pytest.raises(ValueError, match="shortcut"):
        reduce_block(residual, nn.Conv2d(8, 2, 1))
    linear = Bottleneck(4, 2, 8, activation=None, shortcut="none")
    with pytest.raises(ValueError, match="next_layer"):
        reduce_block(linear, nn.Conv2d(8, 2, 3))
    with pytest.raises(ValueError, match="next_layer"):
        reduce_block(linear, nn.Conv2d(6, 2, 1))
    with pytest.raises(ValueError, match="block must be"):
        reduce_block(ShuffleV2Unit(4, 2, 2, activation=None), nn.Conv2d(4, 2, 1))


@pytest.mark.parametrize("call, match", [
    (lambda: Bottleneck(4, 0, 8), "rank"),
    (lambda: Bottleneck(-1, 2, 8), "in_channels"),
    (lambda: Bottleneck(4, 3, 8, groups=2), "multiple of groups"),
    (lambda: Bottleneck(4, 2, 8, shortcut="identity"), "identity shortcut"),
    (lambda: Bottleneck(4, 2, 8, shortcut="sideways"), "shortcut must be"),
    (lambda: InvertedResidual(4, 4, 0), "expansion"),
    (lambda: ShuffleV2Unit(5, 2, 2), "odd"),
    (lambda: ShuffleV2Unit(4, 2, 2, stride=3), "stride"),
])
def test_bad_block_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@settings(max_examples=25)
@given(block=linear_blocks(), seed=st.integers(0, 1000), size=st.integers(3, 8))
def test_stacked_kernel_is_the_block_as_one_convolution(block, seed, size):
    """003 §3: a linear block without BN is one conv whose kernel is its Tucker/CP A_stack."""
    torch.manual_seed(seed)
    config = {**block.config, "batch_norm": False}
    block = type(block)(**config).double()
    with torch.no_grad():
        for module in block.modules():
            if isinstance(module, nn.Conv2d):
                module.bias.zero_()  # biases are affine terms, not part of A_stack
    stacked = stacked_kernel(block)
    A = unstack_kernels(stacked)  # (K, l_1, l_2, C) or (K, l_1 l_2, C)
    k, C = block.kernel_size, block.in_channels
    weight = (A.permute(0, 3, 1, 2) if A.ndim == 4
              else A.permute(0, 2, 1).reshape(A.shape[0], C, k, k))
    x = torch.randn(2, C, size, size, dtype=torch.float64)
    with torch.no_grad():
        expected = nn.functional.conv2d(x, weight, stride=block.stride, padding=k // 2)
        torch.testing.assert_close(block(x), expected, atol=1e-10, rtol=0)
    assert kr_ratio(stacked) == block.kr_ratio
    if block.decomposition == "tucker":
        assert tuple(stacked.core.shape) == block.stack_ranks
    else:
        assert stacked.factors[0].shape[1] == block.rank


def test_stacked_kernel_rejects_shufflenet_units():
    with pytest.raises(ValueError, match="ShuffleV2Unit"):
        stacked_kernel(ShuffleV2Unit(4, 2, 2))


@pytest.mark.parametrize("R, r", [(24, None), (58, None), (116, None), (232, None),
                                  (32, 1), (64, 2), (128, 4), (256, 8)])
def test_parameters_per_block_grow_like_t(R, r):
    """003 App. A.5.2: per block, t = 1 : 2 : 4 gives parameters "roughly 1 : 2 : 4" in
    ShuffleNet v2 (R = 24, 58, 116, 232) and ResNeXt (g = 32, R = 32 r), stacked so that
    the block input is C = K = tR. Exactly: ShuffleNet 2tR² + O(R), ResNeXt R²(2t + 9/g)."""
    if r is None:
        counts = [ShuffleV2Unit(2 * t * R, R, t * R).n_params() for t in (1, 2, 4)]
    else:
        counts = [resnext_bottleneck(t * R, 32, r, t * R).n_params() for t in (1, 2, 4)]
    assert counts[1] / counts[0] == pytest.approx(2, rel=0.2)
    assert counts[2] / counts[0] == pytest.approx(4, rel=0.2)
