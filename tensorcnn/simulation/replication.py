r"""One replication of the sample-complexity simulation: draw data, fit every n, measure.

The generative model (003 §4.1, SPEC.md §4), for a :class:`~tensorcnn.data.Setting`:

.. math::
    y_i = \langle X_i, W^*_X\rangle + \xi_i = \langle Z_i, W^*\rangle + \xi_i,\quad
    \xi_i \sim N(0, \sigma^2),

with X_i iid N(0, 1) entries or the consecutive vectors of one stationary VAR(1) series.

**Nested samples.** Replication r draws one sample of length n_max + 200 (n_max the largest
size of the grid). The fit at size n trains on its first n points; every fit of the
replication is tested on the same 200 points n_max + 1, …, n_max + 200, which no fit of the
replication has trained on (for VAR(1) inputs: the 200 vectors that follow the longest
training stretch, a stationary stretch of the same law as the one that follows any shorter
one). Every fit's training data thus have exactly the law of an independent draw of size n;
the fits of one replication at different n share data (common random numbers), which costs
one draw per replication instead of one per (n, replication) and smooths the mean-error
curve across n without biasing any point of it (docs/simulations.md).

**Warm starts.** The Tucker least-squares fits of one replication run from the largest n to
the smallest: the largest starts from ``FIRST_STARTS`` = 1 start, the spectral one (at
large n the landscape is benign and the spectral start is close: against a 9-candidate
reference on 20 replications of each of T1–T4 it reached the best minimum in every fit at
n_max, where 4 screened starts found nothing better; ``benchmarks/tucker_starts.py``), every
smaller n starts from the previous solution only (``warm_start``), which lies in the basin of
the truth; below 4 d_M samples the fit is also run from the cold spectral start and the
lower objective kept (:func:`cold_check`: there the previous solution can lead into a worse
minimum). The opposite order (small to large)
carried a spurious minimum of a small-n fit up to n_max in 12 % of T1's replications
(docs/simulations.md). A warm start carries information from the samples past n into the
fit at n — which is why the test points lie past n_max: had they been the 200 points after
n (as up to version 0.9), the fit at n would have started from a fit trained on them. CP
fits are independent multi-start fits: CP's ALS has more local minima and a previous
solution can lead into one (seen in the tests).

Seeds: with k the CRC-32 of the setting's name, replication r draws its data from
``SeedSequence(seed, spawn_key=(k, r))`` and its solver's random starts from
``SeedSequence(seed, spawn_key=(k, r, 1))`` (:func:`replication_streams`: independent
across replications in all their randomness), and the true weights and Φ use
``SeedSequence(seed, spawn_key=(k,))`` — so a replication's numbers depend on (seed, setting
name, r, the grid) only: never on how replications are batched or where they run, nor on
which experiment (``theorem2``, ``fig3``, a ``--settings`` subset) runs the setting.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .._validation import check_instance, check_int, check_nonnegative
from ..data.presets import Setting
from ..data.weights import TrueWeights
from ..estimators import (
    LogisticCNNClassifier,
    PaperGDRegressor,
)
from ..estimators._trace import inputs_to_trace, trace_inner, weight_to_theta
from ..tenalg import mode_products

__all__ = ["COLD_CHECK_RATIO", "FIRST_STARTS", "N_TEST", "RegressionData", "SOLVERS", "check_sizes",
           "cold_check", "fit_replication", "fit_row",
           "make_estimator", "replication_streams", "setting_hash", "setting_key",
           "setting_truth", "simulate_regression", "held_out_indices"]

#: Test samples after the n training samples (003 App. A.5.1: length n + 200).
N_TEST = 200
SOLVERS = ("als", "gd")
#: Starts of a Tucker fit at the largest n of a replication (smaller n start from the
#: previous solution): the spectral start alone. Up to 0.13 four were screened; a
#: reference study (benchmarks/results/tucker_starts.json: 80 replications, T1–T4) found
#: the spectral start at the reference minimum in every n_max fit, and the chains from one
#: or four starts equal to 2.4e-8 relative at every n, for 40 % less time.
FIRST_STARTS = 1
#: Below COLD_CHECK_RATIO · d_M samples a warm-started Tucker fit is repeated from the cold
#: (spectral) start and the lower objective kept: on 20 replications of T1–T4 at every size
#: of the Fig. 3 grid, the chain ended above the cold start (by more than 1e-9 relative)
#: only at n = 2.78 d_M (T2, 4 of 20; the cold start ended above the chain in 7 of 20),
#: never at n ≥ 3.3 d_M; the bound 4 covers the two smallest sizes of that grid
#: (benchmarks/tucker_cold_check.py → results/tucker_cold_check.json).
COLD_CHECK_RATIO = 4
#: Last spawn-key entry of a replication's solver stream (its data stream has none).
_SOLVER_STREAM = 1


@dataclass(frozen=True)
class RegressionData:
    """Training and test data of one replication (Z is the design of X, 003 Eq. 5)."""

    X: np.ndarray
    Z: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def setting_key(setting: Setting) -> int:
    """The setting's seed key: CRC-32 of its name (stable across runs and platforms)."""
    return zlib.crc32(setting.name.encode())


def replication_streams(setting: Setting, seed: int, rep: int
                        ) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """The two independent random streams of replication ``rep``: (data, solver starts).

    ``seed`` and ``rep`` are non-negative integers.
    """
    seed, rep = check_int(seed, "seed", minimum=0), check_int(rep, "rep", minimum=0)
    key = setting_key(setting)
    return (np.random.SeedSequence(seed, spawn_key=(key, rep)),
            np.random.SeedSequence(seed, spawn_key=(key, rep, _SOLVER_STREAM)))


def held_out_indices(sizes: Sequence[int], n_test: int = N_TEST) -> range:
    """Indices of a replication's test points: the ``n_test`` after the largest size.

    ``sizes`` is a non-empty sequence of positive integers, ``n_test`` a positive integer.
    """
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence | np.ndarray):
        raise TypeError(f"sizes must be a non-empty sequence of positive integers, got "
                        f"{sizes!r}")
    if len(sizes) == 0:
        raise ValueError("sizes must be a non-empty sequence of positive integers, got an "
                         "empty one")
    n_max = max(check_int(n, "sizes") for n in sizes)
    n_test = check_int(n_test, "n_test")
    return range(n_max, n_max + n_test)


def setting_hash(setting: Setting) -> str:
    """SHA-256 of every field that defines a setting (shapes, model, ranks, inputs, σ, …).

    Two settings with the same name but another geometry or noise level hash differently,
    so a checkpoint of one is never taken for the other.
    """
    # fields added after the presets (stride, padding, …) count only away from their default,
    # so the presets' hashes, and the checkpoints that carry them, stay the same
    fields = {f.name: getattr(setting, f.name) for f in dataclasses.fields(setting) if f.init
              and not (f.metadata.get("omit_from_hash_at_default")
                       and getattr(setting, f.name) == f.default)}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=list).encode()).hexdigest()


def setting_truth(setting: Setting, seed: int) -> tuple[TrueWeights, np.ndarray | None]:
    """W* and Φ of a setting, fixed across sample sizes and replications (``seed``: a
    non-negative integer)."""
    return _cached_truth(setting, check_int(seed, "seed", minimum=0))


@lru_cache(maxsize=32)
def _cached_truth(setting: Setting, seed: int):
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(setting_key(setting),)))
    weights = setting.draw_weights(rng)
    transition = setting.draw_transition(rng)
    return weights, transition


def simulate_regression(setting: Setting, n_samples: int, weights: TrueWeights,
                        transition: np.ndarray | None, rng: np.random.Generator,
                        n_test: int = N_TEST) -> RegressionData:
    r"""Draw (X_i, y_i), i ≤ n + n_test, from the model above; split train / test.

    For a classification setting y_i ~ Bernoulli(σ(⟨Z_i, W*⟩)) instead (003 App. A.4).

    Raises
    ------
    TypeError, ValueError
        ``n_samples`` or ``n_test`` not an int ≥ 1.
    """
    _check_setting(setting)
    check_instance(weights, TrueWeights, "weights", "the setting's TrueWeights "
                   "(setting_truth(setting, seed)[0])")
    n_samples = check_int(n_samples, "n_samples")
    n_test = check_int(n_test, "n_test")
    X_all, Z_all, y_all = _draw(setting, n_samples + n_test, weights, transition, rng)
    return RegressionData(X_all[:n_samples], Z_all[:n_samples], y_all[:n_samples],
                          X_all[n_samples:], y_all[n_samples:])


def _check_setting(setting: Setting) -> None:
    check_instance(setting, Setting, "setting", "a Setting (tensorcnn.data.preset(name) or "
                   "tensorcnn.data.Setting(...))")


def _draw(setting: Setting, n_total: int, weights: TrueWeights,
          transition: np.ndarray | None, rng: np.random.Generator,
          n_design: int | None = None):
    """X (n_total, *d), and Z and y of its first ``n_design`` rows (default all): rows past
    them are only ever test inputs, whose design a replication never needs. The noise of
    row i is the same whatever ``n_design`` (numpy draws a prefix of the longer stream)."""
    spec = setting.spec
    X_all = setting.draw_inputs(n_total, rng, transition)
    Z_all = spec.design(X_all if n_design is None else X_all[:n_design])
    signal = Z_all.reshape(Z_all.shape[0], -1) @ weights.W.ravel()
    return X_all, Z_all, _responses(setting, signal, rng)


def _responses(setting: Setting, signal: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """y from the noiseless ⟨Z_i, W*⟩: plus N(0, σ²) noise, or Bernoulli(σ(·)) draws for
    a classification setting (003 App. A.4)."""
    if setting.task == "classification":
        return (rng.random(signal.shape[0]) < 1.0 / (1.0 + np.exp(-signal))).astype(float)
    return signal + setting.noise_sd * rng.standard_normal(signal.shape[0])


def _draw_replication(setting: Setting, sizes: Sequence[int], weights: TrueWeights,
                     transition: np.ndarray | None, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One replication's data for ``sizes`` (validated, largest first: n_max = sizes[0]).

    The law of :func:`_draw`'s (the same X and noise draws; M straight from X by
    :func:`~tensorcnn.estimators._trace.inputs_to_trace`, ⟨M_i, Θ*⟩ for the signal, equal
    to ⟨Z_i, W*⟩ up to rounding).

    Returns
    -------
    X_test : ndarray (N_TEST, d)
        The held-out inputs (:func:`held_out_indices`), flattened.
    y : ndarray (n_max,)
        Responses of the training rows; the fit at n uses the first n.
    Z : ndarray (n_max, l_1 p_1, …, l_N p_N) or None
        Their design tensors, for a classification setting (fitted on Z); None otherwise.
    M : ndarray (n_max, P, l_1, …, l_N) or None
        The trace-regression form of the training rows (None for a classification
        setting): P-major for the Tucker and CP solvers' passes, n-major for rank-K's
        sufficient statistics.
    """
    n_max = sizes[0]
    spec = setting.spec
    X_all = setting.draw_inputs(n_max + N_TEST, rng, transition)
    X_test = X_all[held_out_indices(sizes)].reshape(N_TEST, -1)
    if setting.task == "classification":
        Z = spec.design(X_all[:n_max])
        y = _responses(setting, Z.reshape(n_max, -1) @ weights.W.ravel(), rng)
        return X_test, y, Z, None
    M = inputs_to_trace(spec, X_all[:n_max])
    if not setting.kind.compressed:
        # the rank-K fit reads M as (n, P·L) rows (its sufficient statistics): n-major
        M = np.ascontiguousarray(M)
    signal = trace_inner(M, weight_to_theta(spec, weights.W))
    return X_test, _responses(setting, signal, rng), None, M


def make_estimator(setting: Setting, solver: str = "als",
                   rng: np.random.Generator | int = 0):
    """The estimator of a setting: rank-K, Tucker or CP least squares (or the paper's GD).

    ``rng`` seeds the estimator's random starts (the GD baseline's initial point).
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    spec = setting.spec
    if setting.task == "classification":
        return LogisticCNNClassifier(spec)
    if solver == "gd":
        if setting.kind.compressed:
            raise ValueError("the paper's GD baseline is implemented for the rank-K model only")
        return PaperGDRegressor(spec, rng=rng)
    return setting.kind.make_estimator(setting, FIRST_STARTS, rng=rng)


def check_sizes(sizes: Sequence[int]) -> list[int]:
    """A replication's sample sizes, validated, largest first (the order of the warm-start
    chain)."""
    if isinstance(sizes, str) or np.ndim(sizes) != 1 or len(sizes) == 0:
        raise ValueError(f"sizes must be a non-empty sequence of ints, got {sizes!r}")
    sizes = sorted((check_int(n, "sizes entries") for n in sizes), reverse=True)
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"sizes must be distinct, got {sorted(sizes)}")
    return sizes


def cold_check(setting: Setting, n: int) -> bool:
    """Whether a warm-started fit of ``setting`` at ``n`` samples is repeated from the cold
    start, the lower objective kept (n < :data:`COLD_CHECK_RATIO` · d_M, warm-chain
    models only).

    At small n the landscape has several minima near the truth's basin and the previous
    solution (fitted on more samples) can lead into a worse one than the spectral start.

    Raises
    ------
    TypeError, ValueError
        ``setting`` is not a Setting, ``n`` not a positive int.
    """
    _check_setting(setting)
    n = check_int(n, "n")
    return setting.kind.warm_chain and n < COLD_CHECK_RATIO * setting.n_params


def _check_determined(sizes: Sequence[int], setting: Setting, estimator: Any) -> None:
    """Refuse, naming ``sizes``, a regression size below the d_M of the fitted model (the
    least-squares fit is not determined), before any data are drawn."""
    if setting.task != "regression":
        return
    n_params = estimator._check_params()
    if min(sizes) < n_params:
        raise ValueError(f"sizes must each be at least d_M = {n_params}, the parameters of "
                         f"setting {setting.name!r}'s fitted model (with fewer samples its "
                         f"least-squares fit is not determined), got {min(sizes)}")


def fit_replication(setting: Setting, sizes: Sequence[int], rep: int, seed: int,
                    solver: str = "als") -> list[dict]:
    """Simulate one replication and fit it at every sample size; one tidy row per fit.

    Columns: setting, model, inputs, d_M, n, x = √(d_M/n), rep, error = ‖Ŵ − W*‖_F,
    error_identified = ‖(Ŵ − W*) ×_1 U_F^(1) ⋯ ×_N U_F^(N)‖_F (the part the design sees;
    equal to ‖Ŵ_X − W*_X‖_F), prediction_error = test RMSE of ⟨X, Ŵ_X − W*_X⟩,
    objective, n_iter, converged (of the kept fit), solver, fit_seconds (wall time of the
    fit, of both where :func:`cold_check` repeats it from the cold start) and
    cpu_seconds (CPU time of the fit plus an equal share of the replication's data draw:
    what an unloaded core needs).
    """
    _check_setting(setting)
    sizes = check_sizes(sizes)
    rep = check_int(rep, "rep", minimum=0)
    seed = check_int(seed, "seed", minimum=0)
    cpu_start = time.process_time()
    weights, transition = setting_truth(setting, seed)
    data_stream, solver_stream = replication_streams(setting, seed, rep)
    estimator = make_estimator(setting, solver, rng=np.random.default_rng(solver_stream))
    _check_determined(sizes, setting, estimator)
    X_test, y_all, Z_all, M_all = _draw_replication(setting, sizes, weights, transition,
                                                   np.random.default_rng(data_stream))
    classify = M_all is None
    data_cpu = (time.process_time() - cpu_start) / len(sizes)
    rows = []
    for index, n in enumerate(sizes):
        cpu_start = time.process_time()
        start = time.perf_counter()
        if classify:
            estimator.fit_design(Z_all[:n], y_all[:n])
        else:
            estimator.fit_trace(M_all[:n], y_all[:n])
            if index > 0 and cold_check(setting, n):
                cold = make_estimator(setting, solver,
                                      rng=np.random.default_rng(solver_stream))
                cold.fit_trace(M_all[:n], y_all[:n])
                if cold.objective_ < estimator.objective_:
                    estimator = cold
        seconds = time.perf_counter() - start
        if setting.kind.warm_chain:
            estimator.n_init = 1          # smaller n: from the previous solution only
        rows.append(fit_row(setting, weights.W, X_test, n, rep, estimator, solver, seconds,
                            time.process_time() - cpu_start + data_cpu))
    return rows[::-1]


def fit_row(setting: Setting, truth: np.ndarray, X_test: np.ndarray, n: int, rep: int,
            estimator: Any, solver: str, seconds: float, cpu_seconds: float) -> dict:
    """The tidy row of one fit (columns as in :func:`fit_replication`).

    ``truth`` is W*, ``X_test`` the replication's test inputs flattened (n_test, d).

    Raises
    ------
    TypeError, ValueError
        For a ``setting`` that is not a Setting, a ``truth`` that is not a finite array of
        ``spec.weight_shape``, an ``X_test`` that is not a finite (n_test, d) array with
        d = prod(spec.input_shape), an ``estimator`` without a fitted ``W_`` of W*'s size
        (and ``objective_``, ``n_iter_``, ``converged_``), ``n`` < 1, ``rep`` < 0, a
        non-str ``solver`` or a negative or non-finite time. Cheap checks (one fit's
        arrays), done before the row is built.
    """
    _check_setting(setting)
    spec = setting.spec
    for name, value, want in (("truth", truth, tuple(spec.weight_shape)),
                              ("X_test", X_test, None)):
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
            raise TypeError(f"{name} must be a numpy array of real numbers, got "
                            f"{type(value).__name__} {value!r:.60}")
        if want is not None and value.shape != want:
            raise ValueError(f"{name} must have shape spec.weight_shape = {want}, got "
                             f"{value.shape}")
    if not np.isfinite(truth).all():
        raise ValueError("truth must hold finite values only (NaN or inf found)")
    d = int(np.prod(spec.input_shape))
    if X_test.ndim != 2 or X_test.shape[0] == 0 or X_test.shape[1] != d:
        raise ValueError(f"X_test must have shape (n_test, {d}) (the test inputs flattened), "
                         f"got {X_test.shape}")
    missing = [a for a in ("W_", "objective_", "n_iter_", "converged_")
               if not hasattr(estimator, a)]
    if missing:
        raise TypeError(f"estimator must be a fitted estimator (with W_, objective_, n_iter_ "
                        f"and converged_), got {type(estimator).__name__} without {missing}")
    if np.size(estimator.W_) != truth.size:
        raise ValueError(f"estimator.W_ must have W*'s {truth.size} entries, got shape "
                         f"{np.shape(estimator.W_)}")
    n = check_int(n, "n")
    rep = check_int(rep, "rep", minimum=0)
    check_instance(solver, str, "solver", "a str (the solver's name)")
    seconds = check_nonnegative(seconds, "seconds")
    cpu_seconds = check_nonnegative(cpu_seconds, "cpu_seconds")
    delta = estimator.W_.reshape(truth.shape) - truth
    delta_x = mode_products(delta[None], spec.positioning_factors())[0]
    test_gap = X_test @ delta_x.ravel()
    # X_test is the same for every fit of a replication: its finiteness is read off the
    # product (a NaN or inf entry, times anything, is not finite) instead of a pass per fit
    if not np.isfinite(test_gap).all():
        raise ValueError("X_test must hold finite values only (NaN or inf found, or its "
                         "products with Ŵ_X − W*_X overflow)")
    return dict(
        setting=setting.name, model=setting.model, inputs=setting.inputs,
        d_M=setting.n_params, n=n, x=float(np.sqrt(setting.n_params / n)),
        rep=int(rep), error=float(np.linalg.norm(delta)),
        error_identified=float(np.linalg.norm(delta_x)),
        prediction_error=float(np.sqrt(np.mean(test_gap**2))),
        objective=float(estimator.objective_), n_iter=int(estimator.n_iter_),
        converged=bool(estimator.converged_), solver=solver, fit_seconds=seconds,
        cpu_seconds=cpu_seconds,
    )
