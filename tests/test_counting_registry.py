"""The MACs handler registry: every module class of the package is counted, checked against
ptflops, closed forms or FlopCounterMode, and an unknown module is reported, never zeroed.

The package's classes are discovered by walking ``tensorcnn`` with ``inspect``: a new
``nn.Module`` subclass fails ``test_every_package_module_is_counted`` until it has a small
example in ``EXAMPLES`` (and, if it is a leaf, a handler and a reference count).
"""

import importlib
import inspect
import math
import pkgutil
import warnings

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import tensorcnn
from tensorcnn.blocks import Bottleneck, DepthwiseSeparable, InvertedResidual, ShuffleV2Unit
from tensorcnn.counting import (
    UncountedModuleError,
    UncountedModuleWarning,
    audit,
    call_macs,
    count_macs,
    macs_handler,
    register_macs,
    trace_calls,
)
from tensorcnn.counting import reference_models as ref
from tensorcnn.counting.external import ptflops_macs
from tensorcnn.counting.registry import register_function_macs, registered_types
from tensorcnn.nets.families import build_family, family_macs
from tensorcnn.nets.kr_layers import ClassifierHead, ConvBN
from tensorcnn.nets.kr_resnet import FunnelBlockA, kr_resnet41
from tensorcnn.nets.kr_resnet3d import BasicBlock3d, BottleneckB3d, KRResNet3D18
from tensorcnn.nets.kr_resnext import kr_resnext
from tensorcnn.nets.kr_shufflenet import DownUnitT1, kr_shufflenet
from tensorcnn.nets.local import LocallyConnected2d
from tensorcnn.nets.resnet_cifar import BasicBlock, ResNetCIFAR
from tensorcnn.sparsity.switch import Switch


def package_module_classes() -> dict[str, type]:
    """Every ``nn.Module`` subclass defined in a module of the package, by qualified name."""
    found = {}
    for info in pkgutil.walk_packages(tensorcnn.__path__, "tensorcnn."):
        if info.name.endswith("__main__"):  # runs the command line when imported
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, nn.Module) and cls.__module__ == info.name:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _class(qualname: str) -> type:
    module, _, name = qualname.rpartition(".")
    return getattr(importlib.import_module(module), name)


# Base classes with no layers of their own; their subclasses are the examples.
ABSTRACT = {"tensorcnn.blocks.modules.CompressedBlock", "tensorcnn.nets.kr_layers.StagedNet"}

# A small instance of every class and one input (no batch axis).
EXAMPLES = {
    _name(Bottleneck): lambda: (Bottleneck(4, 2, 8, stride=2), (4, 6, 6)),
    _name(DepthwiseSeparable): lambda: (DepthwiseSeparable(4, 8, stride=2), (4, 6, 6)),
    _name(InvertedResidual): lambda: (InvertedResidual(4, 4, 2), (4, 5, 5)),
    _name(ShuffleV2Unit): lambda: (ShuffleV2Unit(8, 4, 4), (8, 6, 6)),
    _name(LocallyConnected2d): lambda: (LocallyConnected2d(3, 4, 6, 3, stride=2, padding=1),
                                        (3, 6, 6)),
    "tensorcnn.nets.families._DenseMap": lambda: (build_family("d-fc", 1, 4, 3, 2).conv1,
                                                  (3, 4, 4)),
    _name(ConvBN): lambda: (ConvBN(4, 6, 3, 2), (4, 7, 7)),
    _name(ClassifierHead): lambda: (ClassifierHead(6, 3), (6, 4, 4)),
    _name(FunnelBlockA): lambda: (FunnelBlockA(4, 6, 2), (4, 8, 8)),
    "tensorcnn.nets.kr_resnet.KRResNet41": lambda: (
        kr_resnet41(1, stem=8, ranks=(4, 8, 16), blocks=(2, 2, 2)), (3, 16, 16)),
    _name(BasicBlock3d): lambda: (BasicBlock3d(4, 8, 2), (4, 4, 6, 6)),
    _name(BottleneckB3d): lambda: (BottleneckB3d(4, 2, 8), (4, 2, 4, 4)),
    _name(KRResNet3D18): lambda: (KRResNet3D18(1, num_classes=2, rank=4, n_blocks=1),
                                  (3, 1, 32, 32)),
    "tensorcnn.nets.kr_resnext.GroupedFunnelBlockA": lambda: (
        _class("tensorcnn.nets.kr_resnext.GroupedFunnelBlockA")(4, 6, 2, 2), (4, 8, 8)),
    "tensorcnn.nets.kr_resnext.KRResNeXt": lambda: (
        kr_resnext(2, stem=8, ranks=(4, 8, 16), blocks=(1, 1, 1), cardinality=2),
        (3, 16, 16)),
    _name(DownUnitT1): lambda: (DownUnitT1(8, 4, 4), (8, 6, 6)),
    "tensorcnn.nets.kr_shufflenet.KRShuffleNet": lambda: (
        kr_shufflenet(1, stem=8, ranks=(4, 8, 16), units=(2, 2, 2)), (3, 16, 16)),
    _name(BasicBlock): lambda: (BasicBlock(4, 8, 2), (4, 6, 6)),
    _name(ResNetCIFAR): lambda: (ResNetCIFAR(8, 3, width=4), (3, 8, 8)),
    _name(Switch): lambda: (Switch(6, rng=0), (6, 4, 4)),
    _name(ref._Bottleneck): lambda: (ref._Bottleneck(16, 4), (16, 5, 5)),
    _name(ref._ResNet): lambda: (ref._ResNet((1, 1, 1, 1), num_classes=10), (3, 32, 32)),
    _name(ref._InvertedResidual): lambda: (ref._InvertedResidual(8, 8, 1, 6), (8, 5, 5)),
    _name(ref._ShuffleUnit): lambda: (ref._ShuffleUnit(8, 8, 2), (8, 6, 6)),
    _name(ref._ShuffleNetV2): lambda: (ref._ShuffleNetV2((1, 1, 1), (8, 16, 32, 64, 128), 10),
                                       (3, 32, 32)),
}


class _TorchMulScale(nn.Module):
    """diag(theta) on axis 1 written with ``torch.mul``, which ptflops counts (numel)."""

    def __init__(self, switch: Switch) -> None:
        super().__init__()
        self.switch = switch

    def forward(self, x):
        return torch.mul(x, self.switch.multiplier().view(1, -1, *([1] * (x.dim() - 2))))


def _conv_like(local: LocallyConnected2d, bias: bool) -> nn.Conv2d:
    return nn.Conv2d(local.in_channels, local.out_channels, local.kernel_size,
                     stride=local.stride, padding=local.padding, bias=bias)


# Reference count of each package leaf: ptflops where it sees the computation, else a
# count it does see of the same computation.
LEAF_REFERENCES = {
    # F.unfold + torch.matmul: ptflops (count_functional) prices the matmul; and a local
    # layer has exactly the MACs of the matching convolution.
    _name(LocallyConnected2d): lambda m, shape: [ptflops_macs(m, shape),
                                                 ptflops_macs(_conv_like(m, False), shape)],
    # x * theta uses Tensor.__mul__, which ptflops does not patch; torch.mul it prices.
    _name(Switch): lambda m, shape: [ptflops_macs(_TorchMulScale(m), shape), math.prod(shape)],
}


@pytest.mark.parametrize("qualname", sorted(package_module_classes()))
def test_every_package_module_is_counted(qualname):
    classes = package_module_classes()
    cls = classes[qualname]
    if qualname in ABSTRACT:
        assert any(other is not cls and issubclass(other, cls) for other in classes.values())
        return
    assert qualname in EXAMPLES, f"add a small instance of {qualname} to EXAMPLES"
    torch.manual_seed(0)
    module, shape = EXAMPLES[qualname]()
    assert type(module) is cls
    with warnings.catch_warnings():
        warnings.simplefilter("error", UncountedModuleWarning)
        report = count_macs(module, shape, unknown="raise")
    assert report.uncounted == ()
    if next(module.children(), None) is None:  # a leaf: its own handler, checked
        assert cls in registered_types() and macs_handler(cls) is not None
        assert qualname in LEAF_REFERENCES, f"add a reference count for {qualname}"
        for expected in LEAF_REFERENCES[qualname](module, shape):
            assert report.total_macs == expected
        return
    # A container: its own forward holds no parameters, and the leaves (and functions it
    # calls) add up to ptflops and to the closed form where the class has one.
    assert next(module.parameters(recurse=False), None) is None
    assert report.total_macs == ptflops_macs(module, shape)
    if hasattr(module, "cost"):
        assert report.total_macs == module.cost(shape[1:]).macs


def test_every_example_names_a_package_class():
    assert set(EXAMPLES) <= set(package_module_classes())


def test_d_local_family_is_not_undercounted():
    """The bug: LocallyConnected2d was priced 0 (28 362 MACs instead of 240 330)."""
    model = build_family("d-local", 4, 16, 3, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UncountedModuleWarning)
        report = audit(model, (3, 16, 16))
    assert report.total_macs == 240_330
    assert report.total_macs == family_macs("d-local", 4, 16, 3, 10)
    assert report.total_macs == ptflops_macs(model, (3, 16, 16))
    assert report.uncounted == ()


def test_locally_connected_bias_and_out_channels_are_priced_as_a_conv():
    local = LocallyConnected2d(3, 5, (7, 6), (3, 2), stride=(2, 1), padding=(1, 0), bias=True)
    shape = (3, 7, 6)
    (call,) = trace_calls(local, shape)
    assert call_macs(call) == ptflops_macs(_conv_like(local, True), shape)
    # ptflops sees the matmul, not the bias addition (Tensor.__add__): one per output.
    assert call_macs(call) == ptflops_macs(local, shape) + math.prod(call.output_shape[1:])
    fewer = LocallyConnected2d(3, 2, (7, 6), (3, 2), stride=(2, 1), padding=(1, 0), bias=True)
    assert call_macs(call, out_channels=2) == ptflops_macs(_conv_like(fewer, True), shape)


def _loop_macs_local(local: LocallyConnected2d) -> int:
    """One multiply-add per (position, output channel, input tap), counted by loops."""
    total = 0
    for _ in range(math.prod(local.output_size)):
        for _ in range(local.out_channels):
            total += local.in_channels * math.prod(local.kernel_size)
    return total


def test_locally_connected_matches_an_explicit_loop():
    local = LocallyConnected2d(2, 3, 5, 3, stride=2, padding=1)
    assert count_macs(local, (2, 5, 5)).total_macs == _loop_macs_local(local)


# Built-in torch leaves that ptflops (ptflops_macs: each counted once) prices as we do.
TORCH_LEAVES = [
    (nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2), (4, 9)),
    (nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=1, bias=False), (4, 7, 7)),
    (nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=4), (4, 6, 6)),
    (nn.Conv3d(2, 3, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)), (2, 2, 5, 5)),
    (nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2), (4, 5, 5)),
    (nn.Linear(7, 3), (5, 7)),
    (nn.Linear(7, 3, bias=False), (7,)),
    (nn.BatchNorm2d(4), (4, 3, 3)),
    (nn.BatchNorm1d(4, affine=False), (4,)),
    (nn.InstanceNorm2d(4, affine=True), (4, 3, 3)),
    (nn.GroupNorm(2, 4), (4, 3, 3)),
    (nn.LayerNorm(5), (3, 5)),
    (nn.ReLU(), (4, 3, 3)), (nn.ReLU6(), (4, 3, 3)), (nn.LeakyReLU(), (4, 3, 3)),
    (nn.ELU(), (4, 3, 3)), (nn.GELU(), (4, 3, 3)), (nn.SiLU(), (4, 3, 3)),
    (nn.PReLU(), (4, 3, 3)), (nn.Softmax(dim=1), (4, 3)),
    (nn.MaxPool2d(3, 2, 1), (4, 7, 7)), (nn.AvgPool1d(2), (4, 6)),
    (nn.AdaptiveAvgPool2d(1), (4, 5, 5)), (nn.AdaptiveMaxPool3d(1), (2, 3, 3, 3)),
    (nn.Identity(), (4, 3)), (nn.Flatten(), (4, 3, 3)), (nn.Dropout(0.5), (4, 3)),
    (nn.ChannelShuffle(2), (4, 3, 3)), (nn.ZeroPad2d(1), (4, 3, 3)),
]


@pytest.mark.parametrize("module,shape", TORCH_LEAVES, ids=lambda v: type(v).__name__
                         if isinstance(v, nn.Module) else str(v))
def test_torch_leaves_match_ptflops(module, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UncountedModuleWarning)
        assert count_macs(module, shape).total_macs == ptflops_macs(module, shape)


@pytest.mark.parametrize("module", [nn.Sigmoid(), nn.Tanh(), nn.Hardswish(), nn.Upsample(
    scale_factor=2)], ids=lambda m: type(m).__name__)
def test_elementwise_leaves_cost_one_per_output(module):
    # ptflops prices none of these once: sigmoid/tanh/hardswish not at all, nn.Upsample
    # twice (module hook and F.interpolate). Our convention: 1 MAC per output element.
    (call,) = trace_calls(module, (4, 3, 3))
    assert call_macs(call) == math.prod(call.output_shape[1:])


def _flop_counter(module: nn.Module, shape) -> int:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(torch.zeros((1, *shape)))
    return counter.get_total_flops()


FLOP_CASES = [
    (nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2), (4, 9)),
    (nn.Conv2d(4, 6, 3, stride=2, padding=1), (4, 7, 7)),
    (nn.Conv2d(6, 6, 3, padding=2, dilation=2, groups=3), (6, 6, 6)),
    (nn.Conv2d(4, 4, 5, groups=4), (4, 8, 8)),
    (nn.Conv3d(2, 3, 3, stride=(1, 2, 2), padding=1), (2, 3, 5, 5)),
    (nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2), (4, 5, 5)),
    (nn.ConvTranspose1d(3, 2, 4, stride=3), (3, 5)),
    (nn.Linear(7, 3), (7,)),
    (nn.Linear(7, 3), (2, 5, 7)),
    (LocallyConnected2d(3, 4, 6, 3, stride=2, padding=1, bias=True), (3, 6, 6)),
]


@pytest.mark.parametrize("module,shape", FLOP_CASES, ids=lambda v: type(v).__name__
                         if isinstance(v, nn.Module) else str(v))
def test_conv_and_linear_match_flop_counter_mode(module, shape):
    """FlopCounterMode: 2 FLOPs per multiply-add of a conv / matmul, biases left out."""
    (call,) = trace_calls(module, shape)
    bias = math.prod(call.output_shape[1:]) if module.bias is not None else 0
    assert 2 * (call_macs(call) - bias) == _flop_counter(module, shape)


def test_functions_called_by_a_container_are_counted():
    """F.relu / F.adaptive_avg_pool2d in a non-leaf forward (ResNetCIFAR) count."""
    model = ResNetCIFAR(8, 3, width=4)
    report = count_macs(model, (3, 8, 8))
    functions = [(c.name, c.function.__name__) for c in report.calls if c.function]
    assert ("", "relu") in functions and ("", "adaptive_avg_pool2d") in functions
    assert ("blocks.0", "relu") in functions
    assert report.total_macs == ptflops_macs(model, (3, 8, 8))
    # Functions inside leaves belong to the leaf's handler: nn.ReLU's F.relu is not recorded.
    assert not any(c.function for c in trace_calls(nn.Sequential(nn.ReLU()), (4,)))


# ---------------------------------------------------------------- unknown modules


class _Scale(nn.Module):
    """A leaf the registry does not know, with a parameter."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))

    def forward(self, x):
        return x * self.weight.view(1, -1, 1, 1)


class _Square(nn.Module):
    def forward(self, x):
        return x * x


def test_unknown_leaf_with_parameters_warns_and_is_listed():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), _Scale(4))
    with pytest.warns(UncountedModuleWarning, match=r"1 \(.*_Scale, 4 own parameters"):
        report = count_macs(model, (3, 2, 2))
    assert report.uncounted == ("1",)
    assert report.total_macs == 4 * 4 * 4  # the conv alone, the unknown leaf priced 0
    with pytest.warns(UncountedModuleWarning, match="_Scale"):
        summary = audit(model, (3, 2, 2))
    assert summary.uncounted == ("1",) and summary.as_dict()["uncounted"] == ["1"]


def test_unknown_leaf_raises_in_raise_mode():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), _Scale(4))
    with pytest.raises(UncountedModuleError, match="_Scale"):
        count_macs(model, (3, 2, 2), unknown="raise")
    with pytest.raises(UncountedModuleError, match="_Scale"):
        audit(model, (3, 2, 2), unknown="raise")
    call = trace_calls(model, (3, 2, 2))[1]
    with pytest.raises(UncountedModuleError, match="'?1'? \\(|1 \\("):
        call_macs(call, unknown="raise")
    with pytest.warns(UncountedModuleWarning):
        assert call_macs(call) == 0
    with pytest.raises(ValueError, match="unknown"):
        count_macs(model, (3, 2, 2), unknown="ignore")


def test_unknown_parameter_free_leaf_is_reported_too():
    with pytest.warns(UncountedModuleWarning, match="_Square"):
        assert count_macs(nn.Sequential(_Square()), (3, 2, 2)).uncounted == ("0",)


def test_container_with_its_own_parameters_is_reported():
    class Gated(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 1)
            self.gate = nn.Parameter(torch.ones(2))

        def forward(self, x):
            return self.conv(x) * self.gate.view(1, -1, 1, 1)

    with pytest.warns(UncountedModuleWarning, match="children and parameters of its own"):
        assert count_macs(Gated(), (2, 3, 3)).uncounted == ("",)


def test_container_using_its_parameters_through_a_traced_function_is_counted():
    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.act = nn.ReLU()
            self.weight = nn.Parameter(torch.ones(3, 4))

        def forward(self, x):
            return torch.nn.functional.linear(self.act(x), self.weight)

    with warnings.catch_warnings():
        warnings.simplefilter("error", UncountedModuleWarning)
        report = count_macs(Head(), (4,))
    assert report.uncounted == () and report.total_macs == 4 + 12  # ReLU + 3 x 4 weight


def test_costly_function_without_handler_is_reported():
    class Mixer(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(3, 3)

        def forward(self, x):
            return torch.einsum("bij,bjk->bik", self.proj(x), x)

    with pytest.warns(UncountedModuleWarning, match="einsum"):
        report = count_macs(Mixer(), (3, 3))
    assert report.uncounted == ("",)


def test_registering_a_handler_counts_the_module():
    class Doubler(nn.Module):
        def forward(self, x):
            return 2 * x

    class LoudDoubler(Doubler):
        pass

    @register_macs(Doubler)
    def doubler_macs(call):
        return math.prod(call.output_shape[1:])

    assert macs_handler(LoudDoubler) is doubler_macs  # inherited through the MRO
    with warnings.catch_warnings():
        warnings.simplefilter("error", UncountedModuleWarning)
        report = count_macs(nn.Sequential(Doubler(), LoudDoubler()), (3, 2))
    assert report.total_macs == 12 and report.uncounted == ()
    register_macs(LoudDoubler, lambda call: 0)  # a subclass's own handler wins
    assert count_macs(nn.Sequential(Doubler(), LoudDoubler()), (3, 2)).total_macs == 6


def test_subclasses_inherit_the_built_in_handlers():
    class MyConv(nn.Conv2d):
        pass

    class MyLocal(LocallyConnected2d):
        pass

    conv, local = MyConv(3, 4, 3), MyLocal(3, 4, 5, 3)
    assert count_macs(conv, (3, 5, 5)).total_macs == ptflops_macs(nn.Conv2d(3, 4, 3), (3, 5, 5))
    assert count_macs(local, (3, 5, 5)).total_macs == ptflops_macs(
        LocallyConnected2d(3, 4, 5, 3), (3, 5, 5))


def test_function_handlers_can_be_registered():
    class Mixer(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(3, 3, bias=False)

        def forward(self, x):
            return torch.tensordot(self.proj(x), x, dims=([1], [1]))

    try:
        register_function_macs(torch.tensordot, lambda call: 27)
        with warnings.catch_warnings():
            warnings.simplefilter("error", UncountedModuleWarning)
            assert count_macs(Mixer(), (3,)).total_macs == 9 + 27
    finally:
        from tensorcnn.counting import registry
        registry._FUNCTION_HANDLERS.pop(torch.tensordot, None)


def test_bad_registrations_are_refused():
    with pytest.raises(TypeError):
        register_macs(int, lambda call: 0)
    with pytest.raises(ValueError):
        register_macs(nn.Module, lambda call: 0)
    with pytest.raises(TypeError):
        register_macs(nn.Identity, 0)
