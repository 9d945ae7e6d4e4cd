"""The sweep: settings × sample sizes × replications, sequential, joblib or Dask.

Work is cut into tasks — one setting, a batch of replications, each fitted at every sample
size of the grid (:mod:`.replication`: nested samples) — and each finished task is handed to a
``store`` (checkpoint) at once, in the main process. A rerun with the same store skips the
finished tasks; since every replication's numbers depend only on (seed, setting, grid,
replication), an interrupted and resumed sweep gives exactly the numbers of an uninterrupted
one, on any backend.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .._validation import check_bool, check_instance, check_int
from ..data.presets import Setting
from .batched import check_device, fit_replications
from .grid import sample_sizes
from .replication import SOLVERS

__all__ = ["SCHEDULER_TIMEOUT", "Store", "Task", "make_tasks", "run_sweep", "run_task"]

#: Seconds to wait for a Dask scheduler before giving up with one clear error.
SCHEDULER_TIMEOUT = 5.0


class Store(Protocol):
    """Where finished tasks go (see :class:`tensorcnn.simulation.io.DirectoryStore`).

    ``load_task`` returns a finished task's rows only when it trusts them (``None``
    otherwise: the task is computed again); ``save`` is called once per finished task.
    """

    def load_task(self, task: Task) -> list[dict] | None: ...

    def save(self, task: Task, rows: list[dict]) -> None: ...


@dataclass(frozen=True)
class Task:
    """A batch of replications of one setting, each fitted at every sample size."""

    setting_index: int
    setting: Setting
    sizes: tuple[int, ...]
    reps: tuple[int, ...]
    seed: int
    solver: str
    #: Where the batched solver runs (None: numpy); not part of the key — the numbers agree
    #: to rounding on every device.
    device: str | None = None

    def __post_init__(self) -> None:
        # a Task built by hand (not by make_tasks) reaches run_task and the store as it is:
        # check it here, so that a bad one fails by name instead of inside a fit
        check_int(self.setting_index, "setting_index", minimum=0)
        check_instance(self.setting, Setting, "setting", "a Setting")
        for field_name, minimum in (("sizes", 1), ("reps", 0)):
            value = getattr(self, field_name)
            if not isinstance(value, tuple) or not value:
                raise TypeError(f"{field_name} must be a non-empty tuple of ints, got "
                                f"{value!r}")
            for item in value:
                check_int(item, f"{field_name} entries", minimum=minimum)
            if len(set(value)) != len(value):
                raise ValueError(f"{field_name} must be distinct, got {value!r}")
        check_int(self.seed, "seed", minimum=0)
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        if self.device is not None:
            check_instance(self.device, str, "device", "a torch device name or None")

    @property
    def key(self) -> str:
        # seed and grid in the key: a rerun with other ones in the same directory must not
        # pick up these rows
        return (f"{self.setting.name}__r{self.reps[0]:05d}-{self.reps[-1]:05d}__"
                f"{self.solver}__n{len(self.sizes)}-{self.sizes[0]}-{self.sizes[-1]}__"
                f"s{self.seed}")


def run_task(task: Task) -> list[dict]:
    """Fit every replication of a task, one BLAS thread each (no oversubscription).

    On numpy one replication at a time (a batch of one of the batched solver): a larger
    batch on a CPU only adds memory (benchmarks/bench_engine.py); on a torch device the
    task's replications are one batch.
    """
    check_instance(task, Task, "task", "a Task (make_tasks)")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        if task.device is None:
            return [row for rep in task.reps
                    for row in fit_replications(task.setting, task.sizes, [rep], task.seed,
                                                task.solver)]
        return fit_replications(task.setting, task.sizes, task.reps, task.seed, task.solver,
                                device=task.device)


def make_tasks(settings: Sequence[Setting], n_reps: int, seed: int,
               n_points: int = 10, batch_size: int = 10, solver: str = "als",
               sizes: dict[str, Sequence[int]] | None = None,
               grid: tuple[float, float] = (0.15, 0.60)) -> list[Task]:
    """All tasks of a sweep, validated before any work starts.

    Parameters
    ----------
    settings : sequence of Setting
    n_reps : int
        Replications per sample size (200 in the paper).
    seed : int
        Root of every SeedSequence.
    n_points : int, default 10
        Sample sizes per setting (√(d_M/n) equally spaced on [0.15, 0.60]).
    batch_size : int, default 10
        Replications per task (each fitted at every sample size).
    solver : {"als", "gd"}
    sizes : dict, optional
        Explicit sample sizes per setting name (the CP study), instead of the grid.
    grid : (low, high), default (0.15, 0.60)
        Interval of √(d_M/n) (003 §4.1).

    Raises
    ------
    ValueError
        Bad counts, an unknown solver, duplicate setting names, or a sample size below the
        model's parameter count.
    """
    n_reps = check_int(n_reps, "n_reps")
    batch_size = check_int(batch_size, "batch_size")
    seed = check_int(seed, "seed", minimum=0)
    n_points = check_int(n_points, "n_points", minimum=2)
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    names = [s.name for s in settings]
    if not settings or len(set(names)) != len(names):
        raise ValueError(f"settings must be non-empty with distinct names, got {names}")
    tasks = []
    for s_index, setting in enumerate(settings):
        if not isinstance(setting, Setting):
            raise TypeError(f"settings must hold Setting objects, got {type(setting).__name__}")
        if sizes is not None and setting.name in sizes:
            given = sizes[setting.name]
            if isinstance(given, str) or np.ndim(given) != 1 or len(given) == 0:
                raise ValueError(f"sizes[{setting.name!r}] must be a non-empty sequence of "
                                 f"ints, got {given!r}")
            ns = [check_int(n, f"sizes[{setting.name!r}] entries") for n in given]
        else:
            ns = [int(n) for n in sample_sizes(setting.n_params, n_points, *grid)]
        too_small = [n for n in ns if n < setting.n_free_params]
        if too_small:
            raise ValueError(
                f"setting {setting.name}: sample sizes {too_small} are below the "
                f"{setting.n_free_params} parameters of the fitted model"
            )
        if len(set(ns)) != len(ns):
            raise ValueError(f"setting {setting.name}: sample sizes {ns} are not distinct")
        for start in range(0, n_reps, batch_size):
            reps = tuple(range(start, min(start + batch_size, n_reps)))
            tasks.append(Task(s_index, setting, tuple(sorted(ns)), reps, int(seed), solver))
    return tasks


def _sequential(tasks: Iterable[Task]) -> Iterator[tuple[Task, list[dict]]]:
    for task in tasks:
        yield task, run_task(task)


def _joblib(tasks: list[Task], workers: int) -> Iterator[tuple[Task, list[dict]]]:
    # loky workers that end with this process (a parent watchdog in each) and a SIGTERM
    # that aborts the pool (joblib kills the workers) and exits 143: see ._pool
    from joblib import Parallel, delayed

    from ._pool import pool_kwargs, terminate_on_sigterm

    def job(task: Task) -> tuple[Task, list[dict]]:
        return task, run_task(task)

    parallel = Parallel(n_jobs=workers, return_as="generator_unordered", **pool_kwargs())
    with terminate_on_sigterm():
        outputs = parallel(delayed(job)(task) for task in tasks)
        try:
            yield from outputs
        finally:        # an abandoned stream (an error in the consumer) aborts the pool
            outputs.close()


def _dask(tasks: list[Task], scheduler: Any) -> Iterator[tuple[Task, list[dict]]]:
    try:
        from distributed import Client, as_completed
    except ImportError as error:  # pragma: no cover - depends on the optional extra
        raise ImportError("the Dask backend needs the optional extra: pip install "
                          "'dask[distributed]'") from error
    if isinstance(scheduler, Client):
        client = scheduler
    else:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError) as error:
            raise ConnectionError(f"scheduler {scheduler!r} is not reachable within "
                                  f"{SCHEDULER_TIMEOUT:g} s ({type(error).__name__})") from None
    try:
        futures = {client.submit(run_task, task, pure=False): task for task in tasks}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        if not isinstance(scheduler, Client):
            client.close()


def run_sweep(tasks: Sequence[Task], workers: int = 1, scheduler: Any = None,
              store: Store | None = None, progress: bool = True,
              report: dict | None = None, device: str | None = None
              ) -> tuple[list[dict], float]:
    """Run the tasks not yet in ``store``; return every row (sorted) and the wall time.

    Parameters
    ----------
    tasks : sequence of Task (:func:`make_tasks`)
    workers : int, default 1
        joblib processes on this machine (1: in this process).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (or client): run the tasks on that cluster instead.
    store : Store, optional
        Checkpoint: finished tasks are skipped, new ones saved as they finish.
    progress : bool, default True
        A tqdm progress bar over tasks.
    report : dict, optional
        Filled with ``loaded_fits`` (rows taken from the store), ``computed_fits`` and
        ``rejected_files`` (the store's messages for files it did not trust).
    device : str, optional
        A torch device for the batched Tucker/CP solver (None: numpy), see :func:`run_task`.

    Raises
    ------
    TypeError, ValueError
        For a bad argument (checked before any task runs): ``tasks`` not a sequence of
        :class:`Task`, ``workers`` < 1, ``store`` without ``load_task``/``save``, a
        non-bool ``progress``, a ``report`` that is not a dict, an unknown ``device``.

    Returns
    -------
    rows : list of dict
        One row per fit, sorted by (setting order, n, rep).
    seconds : float
        Wall time of this call.
    """
    if isinstance(tasks, str | bytes) or not isinstance(tasks, Sequence):
        raise TypeError(f"tasks must be a sequence of Task (make_tasks), got "
                        f"{type(tasks).__name__}")
    for task in tasks:
        check_instance(task, Task, "tasks entries", "a Task (make_tasks)")
    workers = check_int(workers, "workers")
    if scheduler is not None and not isinstance(scheduler, str) \
            and not hasattr(scheduler, "submit"):
        raise TypeError(f"scheduler must be a Dask scheduler address (str) or a "
                        f"distributed.Client, got {type(scheduler).__name__}")
    if store is not None and not (callable(getattr(store, "load_task", None))
                                  and callable(getattr(store, "save", None))):
        raise TypeError(f"store must have load_task(task) and save(task, rows) (a "
                        f"DirectoryStore), got {type(store).__name__}")
    check_bool(progress, "progress")
    if report is not None and not isinstance(report, dict):
        raise TypeError(f"report must be a dict (filled in) or None, got "
                        f"{type(report).__name__}")
    if device is not None:
        check_device(device)
        tasks = [dataclasses.replace(task, device=device) for task in tasks]
    start = time.perf_counter()
    rows: list[dict] = []
    todo = []
    for task in tasks:
        finished = store.load_task(task) if store is not None else None
        if finished is None:
            todo.append(task)
        else:
            rows.extend(finished)
    loaded = len(rows)
    # the largest tasks first, so that no worker is left with a long one at the end
    todo.sort(key=_cost, reverse=True)
    if scheduler is not None:
        stream = _dask(todo, scheduler)
    elif workers > 1 and len(todo) > 1:
        stream = _joblib(todo, workers)
    else:
        stream = _sequential(todo)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), unit="task",
                   desc="simulate")
    try:
        for task, task_rows in stream:
            for row in task_rows:
                row["task"] = task.key
            if store is not None:
                store.save(task, task_rows)
            rows.extend(task_rows)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if report is not None:
        report.update(loaded_fits=loaded, computed_fits=len(rows) - loaded,
                      rejected_files=list(getattr(store, "rejected", [])))
    order = {task.setting.name: task.setting_index for task in tasks}
    rows.sort(key=lambda r: (order.get(r["setting"], 0), r["n"], r["rep"]))
    return rows, time.perf_counter() - start


def _cost(task: Task) -> float:
    # the data a task's fits read: Σ_n n·P·L per replication (M_i is P × L)
    spec = task.setting.spec
    size = math.prod(spec.pooled_shape) * math.prod(spec.kernel_shape)
    return float(sum(task.sizes) * size * len(task.reps))

