"""The 001 families: modules against their closed-form counts, ptflops, and 001's tables."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorcnn.counting.external import ptflops_macs
from tensorcnn.nets.families import (
    FAMILIES,
    alpha_for_budget,
    build_family,
    family_macs,
    family_n_params,
    table_n_params,
)
from tensorcnn.nets.local import LocallyConnected2d


def module_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("name", FAMILIES)
@settings(max_examples=8)  # each example builds and runs a network under ptflops
@given(alpha=st.integers(1, 3), size=st.integers(1, 12), channels=st.integers(1, 3),
       classes=st.integers(1, 5))
def test_closed_forms_match_the_module_and_ptflops(name, alpha, size, channels, classes):
    model = build_family(name, alpha, size, channels, classes)
    assert family_n_params(name, alpha, size, channels, classes) == module_params(model)
    assert family_macs(name, alpha, size, channels, classes) == ptflops_macs(
        model, (channels, size, size))
    logits = model.eval()(torch.randn(2, channels, size, size))
    assert logits.shape == (2, classes)


@pytest.mark.parametrize("name", FAMILIES)
def test_realistic_size(name):
    alpha = 1 if name == "d-fc" else 4
    model = build_family(name, alpha, 32, 3, 10)
    assert family_n_params(name, alpha, 32, 3, 10) == module_params(model)


def test_local_layer_equals_conv_when_weights_are_tied():
    """A locally-connected layer whose position filters all equal a conv's is that conv."""
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 5, 3, stride=2, padding=1, bias=False).double()
    local = LocallyConnected2d(3, 5, 9, 3, stride=2, padding=1).double()
    with torch.no_grad():
        local.weight.copy_(conv.weight.reshape(5, -1).T.expand_as(local.weight))
    x = torch.randn(4, 3, 9, 9, dtype=torch.float64)
    torch.testing.assert_close(local(x), conv(x), atol=1e-12, rtol=0)


def table_layer_sum(name, a, s, c):
    """Σ of the per-layer "#param" entries of 001 Tables 3-4 as printed (16 | s)."""
    if name.startswith("d-"):
        convs = {"d-conv": [9 * 3 * a] + [9 * 2**i * a**2 for i in range(1, 8)],
                 "d-local": [9 * 3 * s**2 * a] + [9 * s**2 * a**2 / 2**i for i in range(1, 8)],
                 "d-fc": [3 * s**4 * a] + [s**4 * a**2 / 2**i for i in range(1, 8)]}[name]
        return sum(convs) + 4 * s**2 * a**2 + 64 * c * a
    conv1 = {"s-conv": 81 * 3 * a, "s-local": 81 * 3 * a * s**2 / 4, "s-fc": 3 * s**4 * a / 4}
    return conv1[name] + 6 * s**2 * a**2 + 24 * c * a


def module_weights_without_bn_and_bias(name, a, s, c):
    """What the tables count: the weights only (no BN, no last bias), from a real module."""
    model = build_family(name, a, s, 3, c)
    return sum(p.numel() for n, p in model.named_parameters()
               if "bn" not in n and not n.endswith("bias"))


@pytest.mark.parametrize("name, a, s", [
    (name, a, s) for name in ["d-conv", "d-fc", "s-conv", "s-local", "s-fc"]
    for a, s in [(1, 16), (2, 16), (3, 32)] if (name, s) != ("d-fc", 32)])
def test_table_rows_are_right_where_001_is_right(name, a, s):
    assert module_weights_without_bn_and_bias(name, a, s, 10) == table_layer_sum(name, a, s, 10)


@pytest.mark.parametrize("a, s", [(1, 16), (2, 32)])
def test_table3_d_local_erratum(a, s):
    """001 Table 3 undercounts d-local conv2-conv8: the module has 45 s^2 a^2, not 9 s^2 a^2."""
    real = module_weights_without_bn_and_bias("d-local", a, s, 10)
    printed = table_layer_sum("d-local", a, s, 10)
    assert real != printed
    assert real == 9 * 3 * s**2 * a + 45 * s**2 * a**2 + 4 * s**2 * a**2 + 64 * 10 * a


def test_table1_parameter_counts_are_the_table_totals():
    """001 Table 1 (CIFAR-10, s = 32, c = 10): α = 15 (deep), α = 150 (shallow)."""
    printed = {"d-conv": (15, 1.45e6), "d-local": (15, 3.42e6), "s-conv": (150, 138e6),
               "s-local": (150, 147e6)}
    for name, (alpha, value) in printed.items():
        # Table 1 prints 3 significant digits (147.6M appears as 147).
        assert abs(table_n_params(name, alpha, 32, 10) / value - 1) < 0.005, name
    # s-fc is tuned to roughly 256M.
    assert abs(table_n_params("s-fc", 150, 32, 10) / 256e6 - 1) < 0.01
    # The real d-local at α = 15 is more than three times Table 1's 3.42M.
    assert family_n_params("d-local", 15, 32, 3, 10) > 3 * 3.42e6


@pytest.mark.parametrize("name", FAMILIES)
@given(budget=st.integers(10**3, 10**8))
def test_alpha_for_budget_is_the_largest_fitting_alpha(name, budget):
    args = (32, 3, 10)
    if family_n_params(name, 1, *args) > budget:
        with pytest.raises(ValueError, match="budget"):
            alpha_for_budget(name, budget, *args)
        return
    alpha = alpha_for_budget(name, budget, *args)
    assert family_n_params(name, alpha, *args) <= budget < family_n_params(name, alpha + 1, *args)


@pytest.mark.parametrize("kwargs, error", [
    (dict(name="conv"), ValueError), (dict(alpha=0), ValueError), (dict(image_size=-1), ValueError),
    (dict(num_classes=1.5), TypeError), (dict(in_channels=True), TypeError),
])
def test_bad_arguments(kwargs, error):
    arguments = dict(name="s-conv", alpha=1, image_size=8, in_channels=3, num_classes=2)
    arguments.update(kwargs)
    with pytest.raises(error, match=next(iter(kwargs))):
        build_family(**arguments)
    with pytest.raises(error):
        family_n_params(**arguments)


def test_table_n_params_rejects_3fc():
    with pytest.raises(ValueError, match="3-fc"):
        table_n_params("3-fc", 1, 32, 10)


def test_quadratic_and_quartic_scaling_in_the_image_side():
    """001 §2.1: fc counterparts grow like s^4, conv and local like s^2 (fixed α)."""
    for name, power in [("s-conv", 2), ("s-local", 2), ("s-fc", 4), ("d-fc", 4)]:
        ratio = family_n_params(name, 2, 256, 3, 10) / family_n_params(name, 2, 128, 3, 10)
        assert math.isclose(ratio, 2**power, rel_tol=0.1)


def test_param_scaling_script_writes_its_files(tmp_path):
    import csv
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "simulations" / "param_scaling.py"
    spec = importlib.util.spec_from_file_location("param_scaling", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--out", str(tmp_path)]) == 0
    rows = list(csv.DictReader(open(tmp_path / "param_scaling.csv")))
    row = next(r for r in rows if r["family"] == "s-conv" and r["panel"] == "alpha"
               and r["alpha"] == "8")
    assert int(row["params_module"]) == family_n_params("s-conv", 8, 32, 3, 10)
    assert (tmp_path / "param_scaling.png").stat().st_size > 0
