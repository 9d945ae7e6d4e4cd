"""The batched Tucker/CP least-squares solver (:mod:`tensorcnn.solvers.structured`).

* batch independence: G data sets solved at once give each data set bitwise what it gets
  alone (numpy), for one start and for a screen of several, finished by LM or ALS;
* backends: float64 torch tensors give the numpy numbers to rounding;
* correctness against independent computations: a noiseless Tucker / CP problem is
  recovered, B̃ is numpy's least squares on the design built by loops, ALS sweeps and LM
  steps never raise the objective, the reported f is the mean squared residual of the
  reported state;
* the estimators (:class:`~tensorcnn.estimators.TuckerRegressor`,
  :class:`~tensorcnn.estimators.CPRegressor`) are the solver's batch of one.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorly as tl
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorcnn.cnn import CNNSpec
from tensorcnn.estimators import CPRegressor, TuckerRegressor
from tensorcnn.solvers.structured import (
    CPStructure,
    StructuredFit,
    TuckerStructure,
    als_sweeps,
    fit_multistart,
    levenberg_marquardt,
    optimal_b_tilde,
)

KERNEL = (3, 4, 2)
L = math.prod(KERNEL)
P = 6
N = 80

STRUCTURES = {
    "tucker-2221": lambda: TuckerStructure(KERNEL, (2, 2, 2, 1)),
    "tucker-2312": lambda: TuckerStructure(KERNEL, (2, 3, 1, 2)),
    "cp-2": lambda: CPStructure(KERNEL, 2),
}


def _truth(structure, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random Θ (P, L) = B̃ᵀ Ãᵀ of the structure, built with tensorly, and its Ãᵀ (R, L)."""
    R = structure.n_components
    if isinstance(structure, TuckerStructure):
        ranks = [r if r < l else l for r, l in zip(structure.ranks, KERNEL)]
        core = rng.standard_normal((*ranks, R))
        factors = [np.linalg.qr(rng.standard_normal((l, r)))[0] for l, r in zip(KERNEL, ranks)]
        stack = tl.tucker_to_tensor((core, factors + [np.eye(R)]))       # (l_1, …, l_N, R)
    else:
        factors = [rng.standard_normal((l, R)) for l in KERNEL]
        stack = tl.cp_to_tensor((np.ones(R), factors + [np.eye(R)]))
    A = stack.reshape(L, R)
    B = rng.standard_normal((R, P))
    return B.T @ A.T, A.T


def _problem(structure, G: int, S: int, seed: int, noise: float = 0.3, n: int = N):
    """G data sets M (G, n, P, L), y (G, n) with a true Θ each, and S random starts each."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((G, n, P, L))
    thetas = np.stack([_truth(structure, rng)[0] for _ in range(G)])
    y = np.einsum("gnpl,gpl->gn", M, thetas) + noise * rng.standard_normal((G, n))
    starts = rng.standard_normal((G, S, structure.n_components, L))
    return M, y, starts, thetas


def _theta(structure, state) -> np.ndarray:
    """Θ = B̃ᵀ Ãᵀ (B, P, L) of every member of a state (numpy or torch)."""
    stack = np.asarray(structure.stack(state))
    return np.matrix_transpose(np.asarray(state.b_tilde)) @ np.matrix_transpose(stack)


def _objective(M: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """(1/n) Σ (y_i − ⟨M_i, Θ⟩)², per member (independent of the solver's residuals)."""
    residual = y - np.einsum("gnpl,gpl->gn", M, theta)
    return np.mean(residual**2, axis=-1)


def _arrays(fit: StructuredFit, index) -> list:
    state = fit.state
    return [fit.f, fit.n_iter, fit.converged, fit.change, index, state.core, state.b_tilde,
            *state.factors]


def _member(array, g: int):
    return None if array is None else array[g:g + 1]


# -- batch independence ---------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(STRUCTURES))
@pytest.mark.parametrize("S", [1, 3])
@pytest.mark.parametrize("finish", ["lm", "als"])
def test_each_data_set_gets_bitwise_what_it_gets_alone(name, S, finish):
    structure = STRUCTURES[name]()
    G = 3
    M, y, starts, _ = _problem(structure, G, S, seed=sorted(STRUCTURES).index(name) + 10 * S)
    batch = _arrays(*fit_multistart(structure, M, y, starts, 3, 40, 1e-8, finish))
    for g in range(G):
        alone = _arrays(*fit_multistart(structure, M[g:g + 1], y[g:g + 1], starts[g:g + 1],
                                        3, 40, 1e-8, finish))
        for got, want in zip(batch, alone):
            if want is None:
                assert got is None
            else:
                assert np.array_equal(_member(got, g), want), (g, name)


def test_batch_mixing_converged_and_running_screens():
    """Data set 0 starts at its truth (noiseless: its screen converges), the others do not:
    each still gets bitwise its own fit, and data set 0 keeps its screen's result."""
    structure = STRUCTURES["tucker-2312"]()
    G, S = 3, 2
    M, y, starts, _ = _problem(structure, G, S, seed=21)
    theta, kernels = _truth(structure, np.random.default_rng(22))
    y[0] = np.einsum("npl,pl->n", M[0], theta)
    starts[0, 1] = kernels
    fit, index = fit_multistart(structure, M, y, starts, 4, 40, 1e-8, "lm")
    assert int(index[0]) == 1 and bool(fit.converged[0])
    assert int(fit.n_iter[0]) <= 2 * 4                       # no LM step after the screen
    batch = _arrays(fit, index)
    for g in range(G):
        alone = _arrays(*fit_multistart(structure, M[g:g + 1], y[g:g + 1], starts[g:g + 1],
                                        4, 40, 1e-8, "lm"))
        for got, want in zip(batch, alone):
            assert (got is None and want is None) or np.array_equal(_member(got, g), want)


def test_degenerate_start_in_one_data_set_leaves_the_others_bitwise():
    structure = STRUCTURES["tucker-2312"]()
    M, y, starts, _ = _problem(structure, 2, 1, seed=1)
    starts[0, :, 1:] = 0.0                 # data set 0: its second kernel is zero
    batch = fit_multistart(structure, M, y, starts, 3, 40, 1e-8, "lm")[0]
    alone = fit_multistart(structure, M[1:], y[1:], starts[1:], 3, 40, 1e-8, "lm")[0]
    assert np.array_equal(batch.f[1:], alone.f)


# -- torch ----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "finish"), [(name, "lm") for name in sorted(STRUCTURES)]
                         + [("tucker-2312", "als")])
def test_torch_float64_gives_the_numpy_fit(name, finish):
    torch = pytest.importorskip("torch")
    structure = STRUCTURES[name]()
    M, y, starts, _ = _problem(structure, 2, 3, seed=11)
    fit, index = fit_multistart(structure, M, y, starts, 3, 40, 1e-10, finish)

    def t(a):
        return torch.as_tensor(a, dtype=torch.float64)

    fit_t, index_t = fit_multistart(structure, t(M), t(y), t(starts), 3, 40, 1e-10, finish)
    assert isinstance(fit_t.f, torch.Tensor)
    assert np.array_equal(index_t.numpy(), index)
    np.testing.assert_allclose(fit_t.f.numpy(), fit.f, rtol=1e-10)
    theta, theta_t = _theta(structure, fit.state), _theta(structure, fit_t.state)
    for g in range(2):
        assert np.linalg.norm(theta_t[g] - theta[g]) <= 1e-10 * np.linalg.norm(theta[g])


# -- data layout ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(STRUCTURES))
def test_p_major_data_give_the_n_major_fit(name):
    """M laid out P-major (as the simulation draws it) or n-major (a plain C array), and a
    prefix of a longer P-major M (the warm-start chain's slices): one fit to rounding."""
    structure = STRUCTURES[name]()
    M, y, starts, _ = _problem(structure, 2, 3, seed=5, n=N + 20)
    p_major = np.moveaxis(np.ascontiguousarray(np.moveaxis(M, 2, 1)), 1, 2)
    assert not p_major.flags.c_contiguous and np.array_equal(p_major, M)
    ref = fit_multistart(structure, np.ascontiguousarray(M[:, :N]), y[:, :N], starts, 3, 40,
                         1e-10, "lm")[0]
    fit = fit_multistart(structure, p_major[:, :N], y[:, :N], starts, 3, 40, 1e-10, "lm")[0]
    np.testing.assert_allclose(fit.f, ref.f, rtol=1e-10)
    theta, theta_ref = _theta(structure, fit.state), _theta(structure, ref.state)
    for g in range(2):
        assert np.linalg.norm(theta[g] - theta_ref[g]) <= 1e-8 * np.linalg.norm(theta_ref[g])


# -- correctness ----------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(STRUCTURES))
@pytest.mark.parametrize("finish", ["lm", "als"])
def test_noiseless_problem_is_recovered(name, finish):
    structure = STRUCTURES[name]()
    M, y, starts, thetas = _problem(structure, 2, 4, seed=5, noise=0.0, n=120)
    fit, _ = fit_multistart(structure, M, y, starts, 5, 500, 1e-14, finish)
    theta = _theta(structure, fit.state)
    mean_y2 = np.mean(y**2, axis=-1)
    assert np.all(fit.f <= 1e-20 * mean_y2), fit.f / mean_y2
    assert np.all(_objective(M, y, theta) <= 1e-20 * mean_y2)
    for g in range(2):
        assert np.linalg.norm(theta[g] - thetas[g]) <= 1e-6 * np.linalg.norm(thetas[g])


@pytest.mark.parametrize("name", sorted(STRUCTURES))
@pytest.mark.parametrize("S", [1, 2])
def test_optimal_b_tilde_is_least_squares_on_the_explicit_design(name, S):
    structure = STRUCTURES[name]()
    G, n, R = 2, 30, structure.n_components
    M, y, starts, _ = _problem(structure, G, S, seed=7, n=n)
    state = structure.init(starts.reshape(G * S, R, L))
    state, design, residual, f = optimal_b_tilde(structure, state, M, y)
    stack = np.asarray(structure.stack(state))                             # (B, L, R)
    for b in range(G * S):
        g = b // S
        explicit = np.empty((n, P * R))
        for i in range(n):
            for p in range(P):
                for r in range(R):
                    E = np.zeros((P, L))
                    E[p] = stack[b][:, r]                       # e_p Ã_rᵀ
                    explicit[i, p * R + r] = np.sum(M[g, i] * E)
        np.testing.assert_allclose(design[b], explicit, rtol=1e-12, atol=1e-12)
        coef = np.linalg.lstsq(explicit, y[g], rcond=None)[0]
        np.testing.assert_allclose(state.b_tilde[b], coef.reshape(P, R).T, rtol=1e-8,
                                   atol=1e-10)
        r_expected = y[g] - explicit @ coef
        np.testing.assert_allclose(residual[b], r_expected, rtol=0, atol=1e-9)
        assert f[b] == pytest.approx(np.mean(r_expected**2), rel=1e-9)


@settings(max_examples=6, deadline=None)
@given(name=st.sampled_from(sorted(STRUCTURES)), seed=st.integers(0, 2**32 - 1),
       S=st.integers(1, 3))
def test_als_sweeps_never_raise_the_objective(name, seed, S):
    structure = STRUCTURES[name]()
    G, R = 2, structure.n_components
    M, y, starts, _ = _problem(structure, G, S, seed=seed, n=40)
    state = structure.init(starts.reshape(G * S, R, L))
    state, _, _, f = optimal_b_tilde(structure, state, M, y)
    rows = np.repeat(y, S, axis=0)
    Ms = np.repeat(M, S, axis=0)
    for _ in range(4):
        fit = als_sweeps(structure, state, M, y, 1, -np.inf, 1e-300, f_old=f)
        assert np.all(fit.n_iter == 1)
        assert np.all(fit.f <= f * (1 + 1e-12)), (fit.f, f)
        # the reported f is the objective of the reported state
        np.testing.assert_allclose(_objective(Ms, rows, _theta(structure, fit.state)), fit.f,
                                   rtol=1e-9)
        state, f = fit.state, fit.f


@settings(max_examples=6, deadline=None)
@given(name=st.sampled_from(sorted(STRUCTURES)), seed=st.integers(0, 2**32 - 1),
       S=st.integers(1, 3), steps=st.integers(1, 8))
def test_levenberg_marquardt_never_ends_above_its_start(name, seed, S, steps):
    structure = STRUCTURES[name]()
    G, R = 2, structure.n_components
    M, y, starts, _ = _problem(structure, G, S, seed=seed, n=40)
    state = structure.init(starts.reshape(G * S, R, L))
    f0 = optimal_b_tilde(structure, state, M, y)[3]
    fit = levenberg_marquardt(structure, state, M, y, steps, 1e-10, 1e-300)
    assert np.all(fit.f <= f0), (fit.f, f0)
    assert np.all(fit.n_iter <= steps)
    rows, Ms = np.repeat(y, S, axis=0), np.repeat(M, S, axis=0)
    np.testing.assert_allclose(_objective(Ms, rows, _theta(structure, fit.state)), fit.f,
                               rtol=1e-9)


def test_inactive_members_are_left_as_they_are():
    """``active``: an inactive member's kernels do not move (LM: B̃ re-solved only)."""
    structure = STRUCTURES["tucker-2312"]()
    M, y, starts, _ = _problem(structure, 1, 2, seed=3, n=40)
    state = structure.init(starts.reshape(2, structure.n_components, L))
    state, _, _, f = optimal_b_tilde(structure, state, M, y)
    active = np.array([True, False])
    for fit in (als_sweeps(structure, state, M, y, 3, 1e-10, 1e-300, f_old=f, active=active),
                levenberg_marquardt(structure, state, M, y, 3, 1e-10, 1e-300,
                                    active=active)):
        assert fit.n_iter.tolist()[1] == 0 and fit.n_iter.tolist()[0] > 0
        assert np.array_equal(fit.state.core[1], state.core[1])
        for factor, before in zip(fit.state.factors, state.factors):
            assert np.array_equal(factor[1], before[1])
        assert fit.f[1] == f[1] and fit.f[0] < f[0]


# -- the estimators are the batch of one ------------------------------------------------
SPEC = CNNSpec((6, 6, 2), KERNEL, (2, 1, 1), 2)       # pooled (2, 3, 1): P = 6


@pytest.mark.parametrize("make", [
    lambda: TuckerRegressor(SPEC, (2, 3, 1, 2), max_iter=60, rng=4),
    lambda: TuckerRegressor(SPEC, (2, 2, 2, 1), finish="als", max_iter=60, rng=4),
    lambda: CPRegressor(SPEC, 2, max_iter=60, n_init=3, rng=4),
], ids=["tucker-lm", "tucker-als", "cp-lm"])
def test_estimator_is_fit_multistart_of_one(make):
    assert math.prod(SPEC.pooled_shape) == P
    estimator = make()
    structure = estimator._structure()
    M, y, _, _ = _problem(structure, 1, 1, seed=9)
    M, y = M[0].reshape(N, P, *KERNEL), y[0]
    estimator.fit_trace(M, y)
    alpha, beta = estimator._units(M, y)
    M_fit, y_fit = M / alpha, y / beta
    starts = np.stack(make()._starts(M_fit, y_fit))
    fit, _ = fit_multistart(structure, M_fit.reshape(1, N, P, L), y_fit[None], starts[None],
                            estimator.n_screen, estimator.max_iter, estimator.tol,
                            estimator.finish)
    theta = _theta(structure, fit.state)[0]
    assert np.array_equal(estimator.theta_, theta * (beta / alpha))
    residual = y_fit - M_fit.reshape(N, -1) @ theta.ravel()
    # the solver's own f, which is the mean squared residual of the stored state
    assert estimator.objective_ == float(fit.f[0]) * beta**2
    assert estimator.objective_ == pytest.approx(float(residual @ residual / N) * beta**2,
                                                 rel=1e-10)
    assert estimator.n_iter_ == int(fit.n_iter[0])
    assert estimator.converged_ == bool(fit.converged[0])
