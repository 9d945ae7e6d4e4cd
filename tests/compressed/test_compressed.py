"""Compressed stacked kernels, d_M counts and Corollary 1 of 003, against explicit loops."""

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorly.tucker_tensor import TuckerTensor

from tensorcnn import CNNSpec
from tensorcnn.cnn import network_forward
from tensorcnn.compressed import (
    compressed_composite_weight,
    cp_n_free_params,
    cp_n_params,
    equivalent_kernels,
    kr_ratio,
    orthonormal_columns,
    random_cp_stack,
    random_tucker_stack,
    stacked_rank,
    tucker_n_params,
    unstack_kernels,
)


@st.composite
def compressed_setting(draw, kind):
    """A CNNSpec geometry and a Tucker or CP stacked kernel that fits it."""
    n_modes = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(n_modes))
    pool = tuple(draw(st.integers(1, 2)) for _ in range(n_modes))
    extra = tuple(draw(st.integers(0, 3)) for _ in range(n_modes))
    inputs = tuple(l + q - 1 + e for l, q, e in zip(kernel, pool, extra, strict=True))
    n_kernels = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**31))
    if kind == "tucker":
        ranks = tuple(draw(st.integers(1, s)) for s in (*kernel, n_kernels))
        stacked = random_tucker_stack(kernel, n_kernels, ranks, seed)
    else:
        rank = draw(st.integers(1, 4))
        stacked = random_cp_stack(kernel, n_kernels, rank, seed, orthonormal=False)
    spec = CNNSpec(inputs, kernel, pool, n_kernels)
    B = np.random.default_rng(seed + 1).standard_normal((n_kernels, *spec.pooled_shape))
    return spec, stacked, B


def loop_kernels(stacked):
    """A_stack entry by entry from its decomposition (no TensorLy), as (K, *l)."""
    factors = [np.asarray(f) for f in stacked.factors]
    shape = tuple(f.shape[0] for f in factors)
    full = np.zeros(shape)
    for index in itertools.product(*map(range, shape)):
        if isinstance(stacked, TuckerTensor):
            core = np.asarray(stacked.core)
            for r in itertools.product(*map(range, core.shape)):
                terms = zip(factors, index, r, strict=True)
                full[index] += core[r] * math.prod(f[i, q] for f, i, q in terms)
        else:
            weights = np.asarray(stacked.weights)
            for r in range(len(weights)):
                terms = zip(factors, index, strict=True)
                full[index] += weights[r] * math.prod(f[i, r] for f, i in terms)
    return np.moveaxis(full, -1, 0)


def loop_weight(A, B):
    """W = Σ_k B_k ⊗ A_k by its defining index formula i_j = b_j l_j + a_j."""
    l_shape, p_shape = A.shape[1:], B.shape[1:]
    W = np.zeros(tuple(l * p for l, p in zip(l_shape, p_shape, strict=True)))
    for k in range(A.shape[0]):
        for b in itertools.product(*map(range, p_shape)):
            for a in itertools.product(*map(range, l_shape)):
                i = tuple(bj * lj + aj for bj, lj, aj in zip(b, l_shape, a, strict=True))
                W[i] += B[k][b] * A[k][a]
    return W


# --- acceptance numbers and counts ---------------------------------------------------
def test_acceptance_counts():
    assert tucker_n_params((5, 5, 3), (2, 2, 2), (2, 2, 2, 1)) == 42
    assert cp_n_params((2, 2, 2), (2, 2, 2), 2) == 44


@given(compressed_setting("tucker"))
def test_tucker_n_params_counts_the_reduced_network(setting):
    spec, stacked, B = setting
    _, B_tilde = equivalent_kernels(stacked, B)
    # Free parameters of the reduced network: the core, H^(1..N) and the R_{N+1} B̃_r.
    arrays = [stacked.core, *stacked.factors[:-1], B_tilde]
    ranks = tuple(stacked.core.shape)
    assert tucker_n_params(spec.kernel_shape, spec.pooled_shape, ranks) == sum(
        np.asarray(a).size for a in arrays)


@given(compressed_setting("cp"))
def test_cp_n_params_is_tucker_with_a_full_rank_r_core(setting):
    spec, stacked, B = setting
    _, B_tilde = equivalent_kernels(stacked, B)
    rank = stacked_rank(stacked)
    dense_core = np.zeros((rank,) * (spec.n_modes + 1))
    arrays = [dense_core, *stacked.factors[:-1], B_tilde]
    assert cp_n_params(spec.kernel_shape, spec.pooled_shape, rank) == sum(
        np.asarray(a).size for a in arrays)


@given(compressed_setting("cp"))
def test_cp_n_free_params_counts_the_factors_and_b_tilde(setting):
    spec, stacked, B = setting
    _, B_tilde = equivalent_kernels(stacked, B)
    rank = stacked_rank(stacked)
    # R rank-one kernels (the stack's kernel factors) and B̃; no core entries.
    arrays = [*stacked.factors[:-1], B_tilde]
    assert cp_n_free_params(spec.kernel_shape, spec.pooled_shape, rank) == sum(
        np.asarray(a).size for a in arrays)
    assert cp_n_free_params(spec.kernel_shape, spec.pooled_shape, rank) < cp_n_params(
        spec.kernel_shape, spec.pooled_shape, rank)


# --- the kernels and Corollary 1 --------------------------------------------------------
@pytest.mark.parametrize("kind", ["tucker", "cp"])
@given(data=st.data())
def test_unstack_kernels_matches_loops(kind, data):
    _, stacked, _ = data.draw(compressed_setting(kind))
    np.testing.assert_allclose(unstack_kernels(stacked), loop_kernels(stacked), atol=1e-12)


@pytest.mark.parametrize("kind", ["tucker", "cp"])
@given(data=st.data())
def test_equivalent_kernels_keep_the_composite_weight(kind, data):
    spec, stacked, B = data.draw(compressed_setting(kind))
    A_tilde, B_tilde = equivalent_kernels(stacked, B)
    rank = stacked_rank(stacked)
    assert A_tilde.shape == (rank, *spec.kernel_shape)
    assert B_tilde.shape == (rank, *spec.pooled_shape)
    reduced = CNNSpec(spec.input_shape, spec.kernel_shape, spec.pool_shape, rank)
    original = compressed_composite_weight(spec, stacked, B)
    scale = max(1.0, float(np.abs(original).max()))
    np.testing.assert_allclose(reduced.composite_weight(A_tilde, B_tilde), original,
                               atol=1e-10 * scale, rtol=0)
    # The Kronecker sums themselves agree, computed by explicit index loops.
    np.testing.assert_allclose(loop_weight(A_tilde, B_tilde), loop_weight(loop_kernels(stacked), B),
                               atol=1e-10 * scale, rtol=0)


@pytest.mark.parametrize("kind", ["tucker", "cp"])
@settings(max_examples=20)  # torch's conv/pool per example; W_X is checked on 60 above
@given(data=st.data())
def test_reduced_network_gives_the_same_outputs_in_torch(kind, data):
    spec, stacked, B = data.draw(compressed_setting(kind))
    A_tilde, B_tilde = equivalent_kernels(stacked, B)
    reduced = CNNSpec(spec.input_shape, spec.kernel_shape, spec.pool_shape, A_tilde.shape[0])
    X = np.random.default_rng(0).standard_normal((4, *spec.input_shape))
    y = network_forward(spec, X, np.asarray(unstack_kernels(stacked)), B).numpy()
    y_reduced = network_forward(reduced, X, A_tilde, B_tilde).numpy()
    np.testing.assert_allclose(y_reduced, y, atol=1e-10 * max(1.0, np.abs(y).max()), rtol=0)


def test_equivalent_kernels_on_torch_stay_on_torch():
    stacked = random_tucker_stack((3, 2), 5, (2, 2, 3), rng=4)
    as_torch = TuckerTensor((torch.tensor(stacked.core),
                             [torch.tensor(f) for f in stacked.factors]))
    B = np.random.default_rng(5).standard_normal((5, 2, 3))
    A_np, B_np = equivalent_kernels(stacked, B)
    A_t, B_t = equivalent_kernels(as_torch, torch.tensor(B))
    assert isinstance(A_t, torch.Tensor) and A_t.dtype == torch.float64
    np.testing.assert_allclose(A_t.numpy(), A_np, atol=1e-12)
    np.testing.assert_allclose(B_t.numpy(), B_np, atol=1e-12)


# --- generators -------------------------------------------------------------------------
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 1000))
def test_orthonormal_columns(rows, cols, seed):
    if cols > rows:
        with pytest.raises(ValueError, match="n_columns"):
            orthonormal_columns(rows, cols, seed)
        return
    H = orthonormal_columns(rows, cols, seed)
    np.testing.assert_allclose(H.T @ H, np.eye(cols), atol=1e-12)


def test_generators_are_seeded_and_orthonormal():
    a = random_tucker_stack((3, 3, 2), 4, (2, 3, 2, 3), rng=7)
    b = random_tucker_stack((3, 3, 2), 4, (2, 3, 2, 3), rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.core, b.core)
    for f in a.factors:
        np.testing.assert_allclose(f.T @ f, np.eye(f.shape[1]), atol=1e-12)
    c = random_cp_stack((8, 8, 16), 16, 8, rng=1)
    for f in c.factors:
        np.testing.assert_allclose(f.T @ f, np.eye(8), atol=1e-12)
    assert kr_ratio(c) == 2.0
    np.testing.assert_array_equal(random_cp_stack((3, 3), 4, 2, 3).factors[0],
                                  random_cp_stack((3, 3), 4, 2, 3).factors[0])


# --- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize("call, match", [
    (lambda: tucker_n_params((5, 5, 3), (2, 2, 2), (6, 2, 2, 1)), "exceeds the kernel mode"),
    (lambda: tucker_n_params((5, 5, 3), (2, 2, 2), (2, 2, 2)), "N \\+ 1 = 4 entries"),
    (lambda: tucker_n_params((5, -5, 3), (2, 2, 2), (2, 2, 2, 1)), "kernel_shape"),
    (lambda: tucker_n_params((5, 5, 3), (2, 2), (2, 2, 2, 1)), "pooled_shape"),
    (lambda: tucker_n_params((5, 5, 3), (2, 2, 2), (2, 2, 2, 3), n_kernels=2), "K = 2"),
    (lambda: tucker_n_params((5, 5, 3), (2, 2, 2), (0, 2, 2, 1)), "ranks"),
    (lambda: cp_n_params((2, 2, 2), (2, 2, 2), 0), "rank"),
    (lambda: cp_n_params((2, 2, 2), (2, 0, 2), 2), "pooled_shape"),
    (lambda: random_tucker_stack((2, 2), 3, (2, 2, 4), 0), "K = 3"),
    (lambda: random_cp_stack((2, 2), 3, 3, 0), "orthonormal"),
])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_types_raise_type_error():
    with pytest.raises(TypeError, match="rank"):
        cp_n_params((2, 2), (2, 2), 2.5)
    with pytest.raises(TypeError, match="TuckerTensor or CPTensor"):
        equivalent_kernels(np.zeros((2, 2, 3)), np.zeros((3, 1)))
    with pytest.raises(TypeError, match="rng"):
        random_cp_stack((2, 2), 2, 1, rng="seed")


def test_wrong_b_and_wrong_spec_raise():
    stacked = random_cp_stack((2, 2), 3, 2, 0)
    with pytest.raises(ValueError, match="K = 3"):
        equivalent_kernels(stacked, np.zeros((2, 2, 2)))
    spec = CNNSpec((4, 4), (2, 2), (1, 1), n_kernels=4)
    with pytest.raises(ValueError, match="spec expects"):
        compressed_composite_weight(spec, stacked, np.zeros((3, 3, 3)))


def test_independent_of_the_global_tensorly_backend():
    """tltorch switches TensorLy's global backend (SPEC §1); numpy inputs must still work."""
    import tensorly as tl

    B = np.random.default_rng(0).standard_normal((4, 2, 2))
    expected = [equivalent_kernels(random_cp_stack((2, 3), 4, 2, 0), B),
                equivalent_kernels(random_tucker_stack((2, 3), 4, (2, 2, 3), 0), B)]
    with tl.backend_context("pytorch"):
        got = [equivalent_kernels(random_cp_stack((2, 3), 4, 2, 0), B),
               equivalent_kernels(random_tucker_stack((2, 3), 4, (2, 2, 3), 0), B)]
        assert kr_ratio(random_tucker_stack((2, 3), 4, (2, 2, 3), 0)) == 4 / 3
    for (A_exp, B_exp), (A_got, B_got) in zip(expected, got, strict=True):
        assert isinstance(A_got, np.ndarray)
        np.testing.assert_array_equal(A_got, A_exp)
        np.testing.assert_array_equal(B_got, B_exp)


def test_corollary1_check_passes_and_fails_on_a_broken_reduction(monkeypatch, capsys):
    from tests.proofs.checks import load_check

    check = load_check("corollary1")
    assert check.main(["--part", "b"]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "FAILED" not in out and out.count("\ncp ") == 3

    def broken(stacked, B):  # forgets H^(N+1): B̃_r = B_r instead of Σ_k H[k, r] B_k
        A_tilde, B_tilde = equivalent_kernels(stacked, B)
        return A_tilde, np.asarray(B)[: A_tilde.shape[0]]

    monkeypatch.setattr(check, "equivalent_kernels", broken)
    assert check.main(["--part", "a"]) == 1
