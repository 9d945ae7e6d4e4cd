"""Several replications of a Tucker or CP setting fitted at once: the batched engine.

:func:`fit_replications` gives the rows of :func:`~tensorcnn.simulation.replication.
fit_replication` for each replication of a batch — the same data (each replication's own
data stream), the same starts (its own solver stream), the same chain of fits from the
largest n down — but solves the batch's fits at one n as one problem of the batched solver
(:mod:`tensorcnn.solvers.structured`): every pass over the data and every small solve is one
call for the whole batch. On numpy a replication's numbers are bitwise those of its
one-at-a-time fit whatever the batch (tests); on torch (``device="cpu"``, ``"cuda"``, …)
they agree to rounding.

Rank-K settings, the GD baseline and classification settings are fitted one replication at
a time (:func:`fit_replication`): their solvers are not batched.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_int
from ..data.presets import Setting
from ..estimators._base import check_finite_fit
from ..solvers.structured import fit_multistart
from .replication import (
    SOLVERS,
    _check_determined,
    _draw_replication,
    check_sizes,
    cold_check,
    fit_replication,
    fit_row,
    make_estimator,
    replication_streams,
    setting_truth,
)

__all__ = ["batchable", "check_device", "fit_replications"]


def batchable(setting: Setting, solver: str = "als") -> bool:
    """Whether :func:`fit_replications` solves this setting's replications as a batch.

    Raises
    ------
    TypeError
        ``setting`` is not a :class:`~tensorcnn.data.Setting`.
    ValueError
        ``solver`` is not one of :data:`~tensorcnn.simulation.replication.SOLVERS`.
    """
    if not isinstance(setting, Setting):
        raise TypeError(f"setting must be a Setting, got {type(setting).__name__}")
    if not isinstance(solver, str) or solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    return setting.kind.compressed and setting.task == "regression" and solver == "als"


def fit_replications(setting: Setting, sizes: Sequence[int], reps: Sequence[int], seed: int,
                     solver: str = "als", device: str | None = None) -> list[dict]:
    """The rows of ``fit_replication(setting, sizes, rep, seed, solver)`` for every rep.

    Parameters
    ----------
    setting : Setting
    sizes : sequence of distinct ints
        The sample sizes of the grid.
    reps : sequence of distinct non-negative ints
        The replications of the batch.
    seed : int
    solver : {"als", "gd"}
    device : str, optional
        None: numpy. Otherwise a torch device ("cpu", "cuda", "cuda:1", …): the solver runs
        there in float64 (data drawn on the CPU as always, moved once per batch).

    Returns
    -------
    list of dict
        Replication by replication (in ``reps`` order), each by increasing n; the columns of
        :func:`fit_replication`. ``fit_seconds`` and ``cpu_seconds`` are the batch's times
        divided equally among its replications.
    """
    sizes = check_sizes(sizes)
    seed = check_int(seed, "seed", minimum=0)
    if isinstance(reps, str | bytes) or np.ndim(reps) != 1 or len(reps) == 0:
        raise ValueError(f"reps must be a non-empty sequence of ints, got {reps!r}")
    reps = [check_int(rep, "reps entries", minimum=0) for rep in reps]
    if len(set(reps)) != len(reps):
        raise ValueError(f"reps must be distinct, got {reps}")
    to_device = _device_converter(device)
    if not batchable(setting, solver):     # (checks setting and solver)
        return [row for rep in reps for row in fit_replication(setting, sizes, rep, seed,
                                                               solver)]
    cpu_start = time.process_time()
    spec = setting.spec
    weights, transition = setting_truth(setting, seed)
    n_max, G = sizes[0], len(reps)
    # P-major, as inputs_to_trace gives it: the solver's passes run on long contiguous rows
    M_all = np.moveaxis(np.empty((G, math.prod(spec.pooled_shape), n_max,
                                  *spec.kernel_shape)), 1, 2)
    y_all = np.empty((G, n_max))
    tests, estimators, solver_streams = [], [], []
    for g, rep in enumerate(reps):
        data_stream, solver_stream = replication_streams(setting, seed, rep)
        solver_streams.append(solver_stream)
        X_test, y_all[g], _, M_all[g] = _draw_replication(
            setting, sizes, weights, transition, np.random.default_rng(data_stream))
        tests.append(X_test)
        estimator = make_estimator(setting, solver, rng=np.random.default_rng(solver_stream))
        _check_determined(sizes, setting, estimator)
        estimators.append(estimator)
    M_device = to_device(M_all)
    data_cpu = (time.process_time() - cpu_start) / (len(sizes) * G)
    rows: list[list[dict]] = [[] for _ in reps]
    for index, n in enumerate(sizes):
        cpu_start, start = time.process_time(), time.perf_counter()
        _fit_batch(estimators, M_all[:, :n], y_all[:, :n], M_device[:, :n], to_device)
        if index > 0 and cold_check(setting, n):
            colds = [make_estimator(setting, solver, rng=np.random.default_rng(stream))
                     for stream in solver_streams]
            _fit_batch(colds, M_all[:, :n], y_all[:, :n], M_device[:, :n], to_device)
            estimators = [cold if cold.objective_ < estimator.objective_ else estimator
                          for estimator, cold in zip(estimators, colds)]
        if setting.kind.warm_chain:
            for estimator in estimators:
                estimator.n_init = 1          # smaller n: from the previous solution only
        seconds = (time.perf_counter() - start) / G
        cpu = (time.process_time() - cpu_start) / G + data_cpu
        for g, (rep, estimator) in enumerate(zip(reps, estimators)):
            rows[g].append(fit_row(setting, weights.W, tests[g], n, rep, estimator, solver,
                                   seconds, cpu))
    return [row for member in rows for row in member[::-1]]


def _fit_batch(estimators: list[Any], M: np.ndarray, y: np.ndarray, M_device: Any,
               to_device: Any) -> None:
    """Fit member g of ``estimators`` on (M[g], y[g]) as its ``fit_trace`` would, the batch as
    one problem of the batched solver.

    M : (G, n, P, l_1, …, l_N) numpy, y : (G, n); M_device is M on the solver's device.
    """
    G, n = y.shape
    first = estimators[0]
    units = []
    for estimator, M_g, y_g in zip(estimators, M, y):
        estimator._check_response(n, y_g)
        units.append(estimator._units(M_g, y_g))
    alpha = np.array([a for a, _ in units])
    beta = np.array([b for _, b in units])
    y_fit = y / beta[:, None]
    M_fit = M if np.all(alpha == 1.0) else M / alpha[:, None, None, None]
    starts = np.stack([np.stack(estimator._starts(M_g, y_g))
                       for estimator, M_g, y_g in zip(estimators, M_fit, y_fit)])
    # M / α keeps M's P-major layout (numpy's order "K"): no copy to another one
    M_solver = M_device if M_fit is M else to_device(M_fit)
    fit, _ = fit_multistart(first._structure(), M_solver.reshape(G, n, M.shape[2], -1),
                            to_device(y_fit), to_device(starts), first.n_screen,
                            first.max_iter, first.tol, first.finish,
                            check_data=False)          # M drawn and checked by the caller
    for g, estimator in enumerate(estimators):
        estimator._store_fit(M_fit[g], y_fit[g], fit, g)
        estimator._rescale(beta[g] / alpha[g], beta[g])
        check_finite_fit(estimator)


def check_device(device: str | None) -> str | None:
    """``device`` if it names a usable solver device (None: numpy; else a torch device).

    Raises
    ------
    TypeError
        Not a string or None.
    ValueError
        Not a torch device name, or CUDA asked for on a machine without it.
    """
    _device_converter(device)
    return device


def _device_converter(device: str | None) -> Any:
    """numpy → the solver's arrays: the identity for numpy, float64 torch tensors on
    ``device`` otherwise."""
    if device is None:
        return lambda array: array
    if not isinstance(device, str):
        raise TypeError(f"device must be a torch device name such as 'cpu' or 'cuda', or "
                        f"None for numpy, got {type(device).__name__}")
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        raise ValueError(f"device={device!r} needs torch, which is not installed") from None
    try:
        target = torch.device(device)
    except RuntimeError:
        target = None
    # the solver runs where float64 linear algebra does: the CPU and CUDA GPUs
    if target is None or target.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:<index>' (a torch device "
                         f"with float64 linear algebra), got {device!r}")
    if target.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} asks for CUDA, which this machine does not "
                             f"have")
        if target.index is not None and target.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r}: this machine has "
                             f"{torch.cuda.device_count()} CUDA device(s)")

    def convert(array: np.ndarray) -> Any:
        return torch.as_tensor(array, dtype=torch.float64, device=target)

    return convert

