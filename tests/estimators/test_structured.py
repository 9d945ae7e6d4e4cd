"""Tucker- and CP-constrained least squares (Theorem 2 estimators)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorcnn.cnn import CNNSpec
from tensorcnn.compressed import equivalent_kernels
from tensorcnn.data import cp_weights, tucker_weights
from tensorcnn.estimators import CPRegressor, TuckerRegressor
from tensorcnn.tenalg import kron

SPEC = CNNSpec((6, 6, 3), (3, 3, 2), (3, 3, 2), n_kernels=3)     # full-rank U_G, P = 4


def _data(truth, n, seed, noise):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, *SPEC.input_shape))
    Z = SPEC.design(X)
    y = Z.reshape(n, -1) @ truth.W.ravel() + noise * rng.standard_normal(n)
    return Z, y


def _weight(A, B):
    return sum(kron(B[k], A[k]) for k in range(A.shape[0]))


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31), ranks=st.sampled_from([(2, 2, 1, 1), (2, 1, 2, 2),
                                                           (3, 2, 2, 2)]))
def test_tucker_noiseless_recovery(seed, ranks):
    truth = tucker_weights(SPEC, ranks, seed)
    Z, y = _data(truth, 150, seed, 0.0)
    est = TuckerRegressor(SPEC, ranks).fit_design(Z, y)
    assert np.linalg.norm(est.W_ - truth.W) <= 1e-8 * np.linalg.norm(truth.W)
    # the fitted reduced form is Corollary 1's: rebuild W from stacked_ independently
    A_t, B_t = equivalent_kernels(est.stacked_, np.eye(ranks[-1]).reshape(
        ranks[-1], ranks[-1]) @ est.B_.reshape(ranks[-1], -1))
    np.testing.assert_allclose(_weight(A_t, B_t.reshape(est.B_.shape)), est.W_, atol=1e-10)


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31), rank=st.integers(1, 2))
def test_cp_noiseless_recovery(seed, rank):
    truth = cp_weights(SPEC, rank, seed)
    Z, y = _data(truth, 150, seed, 0.0)
    est = CPRegressor(SPEC, rank, max_iter=2000).fit_design(Z, y)
    assert np.linalg.norm(est.W_ - truth.W) <= 1e-8 * np.linalg.norm(truth.W)
    np.testing.assert_allclose(_weight(est.A_, est.B_), est.W_, atol=1e-10)


@pytest.mark.parametrize("seed", range(4))
def test_noisy_fit_beats_the_truth(seed):
    truth = tucker_weights(SPEC, (2, 2, 1, 1), seed)
    Z, y = _data(truth, 200, seed, 1.0)
    est = TuckerRegressor(SPEC, (2, 2, 1, 1)).fit_design(Z, y)
    f_truth = np.mean((y - Z.reshape(200, -1) @ truth.W.ravel()) ** 2)
    assert est.converged_ and est.objective_ <= f_truth


def test_bad_ranks_before_any_work():
    Z = np.zeros((5, *SPEC.weight_shape))
    with pytest.raises(ValueError, match="exceeds the kernel mode"):
        TuckerRegressor(SPEC, (4, 2, 1, 1)).fit_design(Z, np.zeros(5))
    with pytest.raises(ValueError, match="N \\+ 1"):
        TuckerRegressor(SPEC, (2, 2, 1)).fit_design(Z, np.zeros(5))
    with pytest.raises(ValueError, match="exceeds the number of kernels"):
        TuckerRegressor(SPEC, (2, 2, 1, 4)).fit_design(Z, np.zeros(5))
    with pytest.raises(ValueError, match="smaller than the number of parameters"):
        TuckerRegressor(SPEC, (2, 2, 1, 1)).fit_design(Z, np.zeros(5))
    with pytest.raises(ValueError, match="rank"):
        CPRegressor(SPEC, 0).fit_design(Z, np.zeros(5))


def _brute_force_objective(Z, y, make, n_starts=12):
    """Best objective of ALS run to convergence from the spectral and n_starts random starts.

    ``n_screen`` as large as ``max_iter``: every start is finished, none is screened out.
    """
    return min(make(finish="als", n_init=2, n_screen=5000, rng=seed).fit_design(Z, y).objective_
               for seed in range(n_starts))


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31), ranks=st.sampled_from([(2, 2, 1, 1), (2, 1, 2, 2),
                                                           (3, 2, 2, 2)]),
       n=st.integers(120, 300))
def test_levenberg_marquardt_finish_reaches_the_als_optimum(seed, ranks, n):
    truth = tucker_weights(SPEC, ranks, seed)
    Z, y = _data(truth, n, seed, 1.0)

    def make(**options):
        return TuckerRegressor(SPEC, ranks, max_iter=5000, **options)

    lm = make(finish="lm").fit_design(Z, y)
    als = make(finish="als").fit_design(Z, y)
    reference = _brute_force_objective(Z, y, make)
    assert lm.converged_ and als.converged_
    # LM stops at a relative change < 1e-8 per step: within ~1e-6 of the optimum
    assert lm.objective_ <= reference * (1 + 1e-6)
    assert lm.objective_ <= als.objective_ * (1 + 1e-6)
    residual = y - Z.reshape(n, -1) @ lm.W_.ravel()
    assert lm.objective_ == pytest.approx(residual @ residual / n, rel=1e-12)


def test_tucker_warm_start_chain_matches_cold_fits():
    truth = tucker_weights(SPEC, (2, 2, 1, 2), 3)
    Z, y = _data(truth, 400, 3, 1.0)

    def make(**options):
        return TuckerRegressor(SPEC, (2, 2, 1, 2), max_iter=5000, **options)

    chain = make(warm_start=True)
    for n in (120, 200, 400):
        chain.fit_design(Z[:n], y[:n])
        chain.n_init = 1              # from the previous solution only, as the runner does
        cold = _brute_force_objective(Z[:n], y[:n], make, n_starts=6)
        assert chain.objective_ <= cold * (1 + 1e-6)
    assert chain.converged_


@pytest.mark.parametrize("model", ["tucker", "cp"])
def test_warm_start_resumes_from_the_previous_solution(model):
    truth = (tucker_weights(SPEC, (2, 2, 1, 2), 1) if model == "tucker"
             else cp_weights(SPEC, 2, 1))
    Z, y = _data(truth, 200, 1, 1.0)
    est = (TuckerRegressor(SPEC, (2, 2, 1, 2), warm_start=True) if model == "tucker"
           else CPRegressor(SPEC, 2, warm_start=True))
    first = est.fit_design(Z, y).objective_
    est.n_init = 1
    again = est.fit_design(Z, y)
    # the same data from its own optimum: one step, no worse
    assert again.n_iter_ <= 2 and again.objective_ <= first * (1 + 1e-12)
    cold = (TuckerRegressor(SPEC, (2, 2, 1, 2), n_init=1) if model == "tucker"
            else CPRegressor(SPEC, 2, n_init=1)).fit_design(Z, y)
    assert cold.n_iter_ > again.n_iter_


def test_fit_trace_equals_fit_design():
    from tensorcnn.estimators._trace import design_to_trace

    truth = tucker_weights(SPEC, (2, 2, 1, 1), 0)
    Z, y = _data(truth, 150, 0, 0.5)
    by_design = TuckerRegressor(SPEC, (2, 2, 1, 1)).fit_design(Z, y)
    by_trace = TuckerRegressor(SPEC, (2, 2, 1, 1)).fit_trace(design_to_trace(SPEC, Z), y)
    np.testing.assert_array_equal(by_design.W_, by_trace.W_)
    with pytest.raises(ValueError, match="M must have shape"):
        TuckerRegressor(SPEC, (2, 2, 1, 1)).fit_trace(Z, y)
    with pytest.raises(ValueError, match="finish"):
        TuckerRegressor(SPEC, (2, 2, 1, 1), finish="newton").fit_design(Z, y)


@pytest.mark.parametrize("rank", [1, 2])
def test_cp_on_a_1d_cnn(rank):
    # N = 1: the design of the only factor is Y itself (no other modes to contract)
    spec = CNNSpec((9,), (2,), (2,), n_kernels=2)
    truth = cp_weights(spec, rank, 0)
    rng = np.random.default_rng(1)
    Z = spec.design(rng.standard_normal((80, 9)))
    y = Z.reshape(80, -1) @ truth.W.ravel()
    est = CPRegressor(spec, rank, max_iter=2000).fit_design(Z, y)
    assert np.linalg.norm(est.W_ - truth.W) <= 1e-8 * np.linalg.norm(truth.W)
