"""The examples of issue #14, one test each: bad input is refused by name, before work.

Each failed on the code before the issue (accepted and run, a NaN or garbage result, or a
library-internal error). Examples in modules other helpers own are strict xfails naming the
owner; the fuzz suite (tests/fuzz) covers the rest of the public API.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tensorcnn import CNNSpec
from tensorcnn.bounds import bound_constants, error_bound, input_bounds, tucker_constant
from tensorcnn.cli import main
from tensorcnn.data import Setting, check_transition, var1_autocovariance, var1_inputs

ANGLE = 0.3
ROTATION = np.array([[math.cos(ANGLE), -math.sin(ANGLE)], [math.sin(ANGLE), math.cos(ANGLE)]])
SPEC = CNNSpec((6, 5), (2, 2), (2, 2), 2)


def _arrays(dtype_x=np.float64, dtype_a=np.float64, dtype_b=np.float64, n=3):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((n, 6, 5)).astype(dtype_x),
            rng.standard_normal((2, 2, 2)).astype(dtype_a),
            rng.standard_normal((2, *SPEC.pooled_shape)).astype(dtype_b))


# -- non-stationary VAR(1) -------------------------------------------------------------
def test_rotation_has_spectral_radius_one_up_to_rounding():
    """The premise: the computed radius of a rotation is 1 within rounding (may be < 1)."""
    assert abs(np.abs(np.linalg.eigvals(ROTATION)).max() - 1.0) < 1e-15


@pytest.mark.parametrize("call", [
    lambda phi: check_transition(phi),
    lambda phi: var1_autocovariance(phi),
    lambda phi: input_bounds(phi),
    lambda phi: var1_inputs(3, (2,), phi, 0),
], ids=["check_transition", "var1_autocovariance", "input_bounds", "var1_inputs"])
@pytest.mark.parametrize("phi", [ROTATION, 0.5j * np.eye(2), ROTATION.astype(complex)],
                         ids=["rotation", "complex", "complex-rotation"])
def test_non_stationary_or_complex_transition_refused(call, phi):
    with pytest.raises((ValueError, TypeError), match="transition"):
        call(phi)


def test_var1_refusal_comes_before_drawing(monkeypatch):
    """Refused before work: the generator is never asked for noise."""
    import tensorcnn.data.inputs as inputs

    def boom(*args, **kwargs):
        raise AssertionError("drew noise before checking the transition")

    monkeypatch.setattr(inputs, "as_generator", boom)
    with pytest.raises(ValueError, match="spectral radius"):
        var1_inputs(10**9, (2,), ROTATION, 0)


def test_stationary_transition_near_one_still_accepted():
    gamma = var1_autocovariance(0.99 * ROTATION)
    np.testing.assert_allclose(gamma, 0.99**2 * ROTATION @ gamma @ ROTATION.T + np.eye(2),
                               atol=1e-9)


# -- CNNSpec.forward dtypes and the empty batch ----------------------------------------
@pytest.mark.parametrize(("dx", "da", "db", "wrong"), [
    (np.float16, np.float64, np.float64, "A"),
    (np.float64, np.float32, np.float64, "A"),
    (np.float64, np.float64, np.float32, "B"),
])
def test_forward_mixed_numpy_dtypes_refused(dx, da, db, wrong):
    X, A, B = _arrays(dx, da, db)
    with pytest.raises(TypeError, match=rf"^{wrong} has dtype .* but X has dtype"):
        SPEC.forward(X, A, B)


def test_forward_mixed_torch_dtypes_refused_by_name():
    X, A, B = (torch.from_numpy(a) for a in _arrays())
    with pytest.raises(TypeError, match="A has dtype float32 but X has dtype float64"):
        SPEC.forward(X, A.float(), B)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_keeps_the_one_precision(dtype):
    X, A, B = _arrays(dtype, dtype, dtype)
    y = SPEC.forward(X, A, B)
    assert y.dtype == dtype
    expected = X.astype(float).reshape(3, -1) @ SPEC.composite_weight(
        A.astype(float), B.astype(float)).ravel()
    np.testing.assert_allclose(y, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_forward_integer_weights_take_the_dtype_of_X():
    X, A, B = _arrays(np.float32, np.float32, np.float32)
    assert SPEC.forward(X, np.ones((2, 2, 2), int), B).dtype == np.float32


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_forward_empty_batch(backend):
    X, A, B = _arrays(n=0)
    if backend == "torch":
        X, A, B = (torch.from_numpy(a) for a in (X, A, B))
    y = SPEC.forward(X, A, B)
    assert tuple(y.shape) == (0,)


# -- bounds -------------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "name"), [
    (dict(n_samples=0), "n_samples"), (dict(n_samples=-5), "n_samples"),
    (dict(n_samples=math.nan), "n_samples"), (dict(n_samples=np.array([10, 0])), "n_samples"),
    (dict(noise_sd=-1), "noise_sd"), (dict(noise_sd=math.nan), "noise_sd"),
    (dict(n_params=0), "n_params"), (dict(delta=-1.0), "delta"),
])
def test_error_bound_refuses(kwargs, name):
    call = dict(constants=bound_constants(SPEC), n_params=10, n_samples=np.array([20, 40]))
    with pytest.raises((ValueError, TypeError), match=name):
        error_bound(**{**call, **kwargs})


def test_error_bound_value():
    constants = bound_constants(SPEC)
    got = error_bound(constants, 10, np.array([40.0]), noise_sd=2.0, delta=1.0)
    scale = 16 * 2.0 * math.sqrt(1.5 * constants.kappa_U) / (constants.kappa_L / 2)
    np.testing.assert_allclose(got, scale * (math.sqrt(10 / 40) + math.sqrt(1 / 40)))


@pytest.mark.parametrize("n_modes", [0, -1, 2.5, True])
def test_tucker_constant_refuses(n_modes):
    with pytest.raises((ValueError, TypeError), match="n_modes"):
        tucker_constant(n_modes)


def test_bound_constants_refuses_transition_of_wrong_size():
    with pytest.raises(ValueError, match="transition must be 30 x 30"):
        bound_constants(SPEC, 0.5 * np.eye(4))


# -- Setting --------------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "name"), [
    (dict(noise_sd=math.inf), "noise_sd"), (dict(name=""), "name"), (dict(name="a/b"), "name"),
])
def test_setting_refuses(kwargs, name):
    base = dict(name="X", input_shape=(6, 5), kernel_shape=(2, 2), pool_shape=(2, 2),
                n_kernels=1)
    with pytest.raises(ValueError, match=name):
        Setting(**{**base, **kwargs})


# -- simulation -------------------------------------------------------------------------------
@pytest.mark.parametrize(("x", "y"), [([0.3], [1.0]), ([0.1, math.nan], [1.0, 2.0]),
                                      ([0.2, 0.2], [1.0, 2.0])])
def test_linear_fit_refuses(x, y):
    from tensorcnn.simulation import linear_fit

    with pytest.raises(ValueError, match="x"):
        linear_fit(x, y)


def test_linear_fit_constant_y_is_exact():
    from tensorcnn.simulation import linear_fit

    assert linear_fit([0.1, 0.2, 0.3], [2.0, 2.0, 2.0]) == dict(slope=0.0, intercept=2.0,
                                                              r2=1.0)


def test_summarize_refuses_no_rows():
    from tensorcnn.data import preset
    from tensorcnn.simulation import summarize

    with pytest.raises(ValueError, match="rows"):
        summarize([], [preset("S1")], seed=0)


@pytest.mark.parametrize("sizes", [{"S1": [20.5, 40]}, {"S1": []}])
def test_make_tasks_refuses_bad_sizes(sizes):
    from tensorcnn.data import preset
    from tensorcnn.simulation import make_tasks

    with pytest.raises((ValueError, TypeError), match="sizes"):
        make_tasks([preset("S1")], n_reps=1, seed=0, sizes=sizes)


def test_simulate_regression_refuses_n_zero():
    from tensorcnn.data import preset
    from tensorcnn.simulation import simulate_regression
    from tensorcnn.simulation.replication import setting_truth

    setting = preset("S1")
    truth, transition = setting_truth(setting, 0)
    with pytest.raises(ValueError, match="n_samples"):
        simulate_regression(setting, 0, truth, transition, np.random.default_rng(0))


# -- CLI ----------------------------------------------------------------------------------------
def _refused(capsys, argv) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(("argv", "match"), [
    (["count", "bottleneck", "--rank", "0"], "tensorcnn count: error:"),
    (["audit", "vgg1000"], "tensorcnn audit: error: unknown model"),
    (["demo", "--n", "0"], "tensorcnn demo: error:"),
    (["count", "bottleneck", "--rank", "x"], "tensorcnn count: error: argument --rank"),
])
def test_cli_errors_are_one_line_exit_2(capsys, argv, match):
    assert _refused(capsys, argv).startswith(match)


def test_cli_debug_shows_the_error(capsys):
    with pytest.raises(ValueError):
        main(["--debug", "count", "bottleneck", "--rank", "0"])


def test_cli_simulate_empty_settings(capsys, tmp_path):
    err = _refused(capsys, ["simulate", "theorem1", "--settings", " , ", "--out",
                            str(tmp_path / "out")])
    assert "settings" in err
