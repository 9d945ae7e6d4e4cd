r"""One replication of the sample-complexity simulation: draw data, fit, measure errors.

The generative model (003 §4.1, SPEC.md §4), for a :class:`~tensorcnn.data.Setting`:

.. math::
    y_i = \langle X_i, W^*_X\rangle + \xi_i = \langle Z_i, W^*\rangle + \xi_i,\quad
    \xi_i \sim N(0, \sigma^2),\quad i = 1, …, n + 200,

with X_i iid N(0, 1) entries or the consecutive vectors of one stationary VAR(1) series, the
first n for training and the last 200 for testing. Seeds: replication r of sample size j of
setting s uses ``SeedSequence(seed, spawn_key=(s, j, r))``; the true weights and Φ of
setting s use ``SeedSequence(seed, spawn_key=(s,))`` — so every replication's numbers
depend on (seed, s, j, r) only, never on how replications are batched or where they run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import tensorly as tl

from ..data.presets import Setting
from ..data.weights import TrueWeights
from ..estimators import (
    CPRegressor,
    LogisticCNNClassifier,
    PaperGDRegressor,
    RankKRegressor,
    TuckerRegressor,
)

__all__ = ["N_TEST", "RegressionData", "SOLVERS", "fit_replication", "make_estimator",
           "simulate_regression", "setting_truth"]

#: Test samples after the n training samples (003 App. A.5.1: length n + 200).
N_TEST = 200
SOLVERS = ("als", "gd")


@dataclass(frozen=True)
class RegressionData:
    """Training and test data of one replication (Z is the design of X, 003 Eq. 5)."""

    X: np.ndarray
    Z: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def setting_truth(setting: Setting, seed: int,
                  setting_index: int) -> tuple[TrueWeights, np.ndarray | None]:
    """W* and Φ of a setting, fixed across sample sizes and replications."""
    return _cached_truth(setting, int(seed), int(setting_index))


@lru_cache(maxsize=32)
def _cached_truth(setting: Setting, seed: int, setting_index: int):
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(setting_index,)))
    weights = setting.draw_weights(rng)
    transition = setting.draw_transition(rng)
    return weights, transition


def simulate_regression(setting: Setting, n_samples: int, weights: TrueWeights,
                        transition: np.ndarray | None, rng: np.random.Generator,
                        n_test: int = N_TEST) -> RegressionData:
    r"""Draw (X_i, y_i), i ≤ n + n_test, from the model above; split train / test.

    For a classification setting y_i ~ Bernoulli(σ(⟨Z_i, W*⟩)) instead (003 App. A.4).
    """
    spec = setting.spec
    X_all = setting.draw_inputs(n_samples + n_test, rng, transition)
    Z_all = spec.design(X_all)
    signal = Z_all.reshape(Z_all.shape[0], -1) @ weights.W.ravel()
    if setting.task == "classification":
        # y_i ~ Bernoulli(σ(⟨Z_i, W*⟩)), 003 App. A.4
        y_all = (rng.random(signal.shape[0]) < 1.0 / (1.0 + np.exp(-signal))).astype(float)
    else:
        y_all = signal + setting.noise_sd * rng.standard_normal(signal.shape[0])
    return RegressionData(X_all[:n_samples], Z_all[:n_samples], y_all[:n_samples],
                          X_all[n_samples:], y_all[n_samples:])


def make_estimator(setting: Setting, solver: str = "als", rng: int = 0):
    """The estimator of a setting: rank-K, Tucker or CP least squares (or the paper's GD)."""
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    spec = setting.spec
    if setting.task == "classification":
        return LogisticCNNClassifier(spec)
    if solver == "gd":
        if setting.model != "rank":
            raise ValueError("the paper's GD baseline is implemented for the rank-K model only")
        return PaperGDRegressor(spec, rng=rng)
    if setting.model == "rank":
        return RankKRegressor(spec)
    if setting.model == "tucker":
        return TuckerRegressor(spec, setting.ranks)
    # the CP study's own stopping rule (003 App. A.5.1: "drops by less than 1e-5")
    return CPRegressor(spec, setting.fitted_rank, tol=1e-5)


def fit_replication(setting: Setting, setting_index: int, n_index: int, n_samples: int,
                    rep: int, seed: int, solver: str = "als") -> dict:
    """Simulate and fit one replication; returns its tidy row (one row per fit).

    Columns: setting, model, inputs, d_M, n, x = √(d_M/n), rep, error = ‖Ŵ − W*‖_F,
    error_identified = ‖(Ŵ − W*) ×_1 U_F^(1) ⋯ ×_N U_F^(N)‖_F (the part the design sees;
    equal to ‖Ŵ_X − W*_X‖_F), prediction_error = test RMSE of ⟨X, Ŵ_X − W*_X⟩,
    objective, n_iter, converged, solver, fit_seconds (wall time of the fit) and
    cpu_seconds (CPU time of data and fit: what an unloaded core would need).
    """
    cpu_start = time.process_time()
    weights, transition = setting_truth(setting, seed, setting_index)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(setting_index, n_index,
                                                                        rep)))
    data = simulate_regression(setting, n_samples, weights, transition, rng)
    estimator = make_estimator(setting, solver, rng=rep)
    start = time.perf_counter()
    estimator.fit_design(data.Z, data.y)
    seconds = time.perf_counter() - start
    spec = setting.spec
    delta = estimator.W_.reshape(weights.W.shape) - weights.W
    with tl.backend_context("numpy"):
        delta_x = tl.tenalg.multi_mode_dot(delta, spec.positioning_factors())
    test_gap = data.X_test.reshape(data.X_test.shape[0], -1) @ delta_x.ravel()
    return dict(
        setting=setting.name, model=setting.model, inputs=setting.inputs,
        d_M=setting.n_params, n=int(n_samples), x=float(np.sqrt(setting.n_params / n_samples)),
        rep=int(rep), error=float(np.linalg.norm(delta)),
        error_identified=float(np.linalg.norm(delta_x)),
        prediction_error=float(np.sqrt(np.mean(test_gap**2))),
        objective=float(estimator.objective_), n_iter=int(estimator.n_iter_),
        converged=bool(estimator.converged_), solver=solver, fit_seconds=seconds,
        cpu_seconds=time.process_time() - cpu_start,
    )
