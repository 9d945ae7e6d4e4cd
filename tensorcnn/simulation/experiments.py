"""The named simulations of 003: Theorem 1 (Fig. 3 (1)–(2)), Theorem 2 (Fig. 3 (3)), the
CP K-efficiency study (Fig. 7 (2)) and the logistic CNN of App. A.4 (binary labels on the
S1–S4 architectures). Returns data; the CLI writes files and plots."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .._validation import check_bool, check_finite, check_instance, check_int, check_path
from ..data.presets import Setting, cp_study_settings, preset
from .batched import check_device
from .grid import sample_sizes
from .replication import SOLVERS
from .runner import Store, Task, make_tasks, run_sweep
from .summary import summarize

__all__ = ["CP_STUDY_SIZES", "CP_STUDY_SMALL", "DEFAULT_GRID", "EXPERIMENTS", "X_AXES",
           "Experiment", "ExperimentResult", "Panel", "SettingRun", "experiment_plan",
           "experiment_settings", "run_experiment"]

EXPERIMENTS = ("theorem1", "theorem2", "fig3", "cp-kernels", "classification")

#: A reduced CP study that runs in minutes on 2 cores: the paper's K/R ratios (1, 2, 3, 4)
#: of K ∈ {8, 16, 24, 32}, R = 8, with R = 2; 12 × 12 inputs with 4 channels, 3 × 3 kernels
#: spanning the channels, pooling (3, 3).
CP_STUDY_SMALL = dict(kernels=(2, 4, 6, 8), rank=2, input_shape=(12, 12, 4),
                      kernel_shape=(3, 3, 4), pool_shape=(3, 3, 1))
#: Training sizes of the CP study (x-axis of Fig. 7 (2)).
CP_STUDY_SIZES = (300, 500, 800, 1200, 2000)


@dataclass(frozen=True)
class Panel:
    """One figure: its file name, title and the settings it shows."""

    filename: str
    title: str
    settings: tuple[str, ...]
    xlabel: str = r"$\sqrt{d_M / n}$"

    def __post_init__(self) -> None:
        check_instance(self.filename, str, "filename", "a str (the figure's file name)")
        if not self.filename.strip():
            raise ValueError(f"filename must be a non-empty file name, got {self.filename!r}")
        check_instance(self.title, str, "title", "a str")
        check_instance(self.xlabel, str, "xlabel", "a str (matplotlib mathtext)")
        if not isinstance(self.settings, tuple | list) or not all(
                isinstance(name, str) for name in self.settings):
            raise TypeError(f"settings must be a tuple of setting names (str), got "
                            f"{self.settings!r}")


#: Interval of √(d_M/n) of 003 §4.1.
DEFAULT_GRID = (0.15, 0.60)
#: The x-axes a summary can fit against: name -> (row column, axis label).
X_AXES = {"sqrt(d_M/n)": ("x", r"$\sqrt{d_M / n}$"), "1/sqrt(n)": ("inv_sqrt_n", r"$1/\sqrt{n}$")}


@dataclass
class ExperimentResult:
    """What a run returns: one row per fit, the summary (``summary.json``), its figures."""

    rows: list[dict]
    summary: dict
    panels: list[Panel] = field(default_factory=list)
    wall_seconds: float = 0.0


def experiment_settings(name: str, names: Sequence[str] | None = None,
                        inputs: str = "both", paper_size: bool = False) -> tuple[
                            list[Setting], list[Panel]]:
    """Settings and panels of a named experiment (``names`` filters by setting name).

    Raises
    ------
    ValueError, TypeError
        An unknown experiment ``name`` or ``inputs``, ``names`` that are not setting names of
        the experiment (or not a sequence of str), a non-bool ``paper_size``.
    """
    if name not in EXPERIMENTS:
        raise ValueError(f"name (the experiment) must be one of {EXPERIMENTS}, got {name!r}")
    if names is not None:
        if isinstance(names, str | bytes) or not isinstance(names, Sequence) or not all(
                isinstance(n, str) for n in names):
            raise TypeError(f"names must be a sequence of setting names (str) or None, got "
                            f"{names!r}")
    check_bool(paper_size, "paper_size")
    if name == "fig3":
        # all three panels in one sweep (one worker pool, balanced across panels)
        first = [n for n in names or () if not n.startswith("T")]
        second = [n for n in names or () if n.startswith("T")]
        settings, panels = [], []
        if first or not names:
            part = experiment_settings("theorem1", first or None, inputs, paper_size)
            settings += part[0]
            panels += part[1]
        if second or not names:
            part = experiment_settings("theorem2", second or None, inputs, paper_size)
            settings += part[0]
            panels += part[1]
        return settings, panels
    if inputs not in ("iid", "var1", "both"):
        raise ValueError(f"inputs must be 'iid', 'var1' or 'both', got {inputs!r}")
    panels: list[Panel] = []
    if name == "theorem1":
        base = list(names) if names else ["S1", "S2", "S3", "S4"]
        bad = [b for b in base if b not in ("S1", "S2", "S3", "S4")]
        if bad:
            raise ValueError(f"names: theorem1 settings are S1-S4, got {bad}")
        settings = []
        if inputs in ("iid", "both"):
            settings += [preset(b) for b in base]
            panels.append(Panel("fig3_1_theorem1_iid.png",
                                "Fig. 3 (1): Theorem 1, iid inputs", tuple(base)))
        if inputs in ("var1", "both"):
            settings += [preset(f"{b}-var1") for b in base]
            panels.append(Panel("fig3_2_theorem1_var1.png",
                                "Fig. 3 (2): Theorem 1, VAR(1) inputs",
                                tuple(f"{b}-var1" for b in base)))
        return settings, panels
    if name == "theorem2":
        base = list(names) if names else ["T1", "T2", "T3", "T4"]
        bad = [b for b in base if b not in ("T1", "T2", "T3", "T4")]
        if bad:
            raise ValueError(f"names: theorem2 settings are T1-T4, got {bad}")
        settings = [preset(b) for b in base]
        panels.append(Panel("fig3_3_theorem2_tucker.png",
                            "Fig. 3 (3): Theorem 2, Tucker CNN", tuple(base),
                            r"$\sqrt{d_M^{TU} / n}$"))
        return settings, panels
    if name == "classification":
        base = list(names) if names else ["S1", "S2", "S3", "S4"]
        bad = [b for b in base if b not in ("S1", "S2", "S3", "S4")]
        if bad:
            raise ValueError(f"names: classification settings are S1-S4, got {bad}")
        settings = [preset(b).as_classification() for b in base]
        panels.append(Panel("classification_theorem3.png",
                            "003 App. A.4: logistic CNN (Theorem 3), iid inputs",
                            tuple(s.name for s in settings)))
        return settings, panels
    options = {} if paper_size else CP_STUDY_SMALL
    settings = cp_study_settings(**options)
    if names:
        settings = [s for s in settings if s.name in names]
        if not settings:
            raise ValueError(f"names: no CP study setting among {list(names)}")
    panels.append(Panel("fig7_2_cp_kernels.png",
                        "Fig. 7 (2): CP block, estimation error against 1/√n, one curve per K",
                        tuple(s.name for s in settings), r"$1/\sqrt{n}$"))
    return settings, panels


@dataclass(frozen=True)
class SettingRun:
    """One setting of an experiment and how it is swept.

    Parameters
    ----------
    setting : Setting
    n_reps : int, default 200
        Replications per sample size.
    n_points : int, default 10
        Sample sizes on the grid (ignored when ``sizes`` is given).
    grid : (low, high), default (0.15, 0.60)
        Interval of √(d_M/n) (003 §4.1).
    sizes : tuple of ints, optional
        Explicit training sizes instead of the grid.
    solver : {"als", "gd"}, default "als"
    batch_size : int, default 10
        Replications per task (changes no number, only the checkpoint's files).
    """

    setting: Setting
    n_reps: int = 200
    n_points: int = 10
    grid: tuple[float, float] = DEFAULT_GRID
    sizes: tuple[int, ...] | None = None
    solver: str = "als"
    batch_size: int = 10

    def __post_init__(self) -> None:
        if not isinstance(self.setting, Setting):
            raise TypeError(f"setting must be a Setting, got {type(self.setting).__name__}")
        check_int(self.n_reps, "n_reps")
        check_int(self.n_points, "n_points", minimum=2)
        check_int(self.batch_size, "batch_size")
        if not isinstance(self.solver, str):
            raise TypeError(f"solver must be a string, got {self.solver!r}")
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        if isinstance(self.grid, str) or not hasattr(self.grid, "__len__"):
            raise TypeError(f"grid must be a pair (low, high), got {self.grid!r}")
        if len(self.grid) != 2:
            raise ValueError(f"grid must be (low, high), got {self.grid!r}")
        low, high = (check_finite(v, "grid") for v in self.grid)
        if not 0.0 < low < high < 1.0:
            raise ValueError(f"grid must satisfy 0 < low < high < 1, got {self.grid!r}")
        if self.sizes is not None:
            if isinstance(self.sizes, str) or not hasattr(self.sizes, "__len__"):
                raise TypeError(f"sizes must be a tuple of ints or None, got {self.sizes!r}")
            if not self.sizes:
                raise ValueError("sizes must hold at least one sample size (or be None)")
            for n in self.sizes:
                check_int(n, "sizes")

    def sample_sizes(self) -> tuple[int, ...]:
        """The training sizes n of this setting, increasing."""
        if self.sizes is not None:
            return tuple(sorted(int(n) for n in self.sizes))
        return tuple(sorted(int(n) for n in sample_sizes(self.setting.n_params, self.n_points,
                                                         *self.grid)))


@dataclass(frozen=True)
class Experiment:
    """A whole experiment: its settings, how they are swept, the run's options, the figures.

    Built by :func:`experiment_plan` (the named experiments of 003) or read from a file by
    :func:`tensorcnn.simulation.config.load_experiment`; :meth:`run` runs it.

    Parameters
    ----------
    name : str
        Title of the experiment (the CLI's experiment name, or the file's ``name``).
    runs : tuple of SettingRun
        The settings (distinct names), in the order of the results.
    panels : tuple of Panel
        The figures of a run (each names some of the settings).
    x_axis : {"sqrt(d_M/n)", "1/sqrt(n)"}, default "sqrt(d_M/n)"
        What the summary's linear fit regresses the mean error on (:data:`X_AXES`).
    bounds : bool, default True
        Put the Theorem 1/2 bound into the summary (regression settings only).
    seed : int, default 0
        Root seed (its truth W* is the run's "fixed truth").
    truths : int, default 1
        Truth draws: the experiment repeated with root seeds seed, seed + 1, … (each draws a
        new W*), see :func:`tensorcnn.simulation.sensitivity.truth_draws`.
    threshold : float, default 0.95
        R² that a truth draw's fit is counted as reaching.
    workers : int, default 1
        joblib processes.
    scheduler : str, optional
        A Dask scheduler address.
    out : str, optional
        Output folder of the CLI.
    device : str, optional
        None: the solvers run on numpy, one replication at a time. A torch device ("cpu",
        "cuda", …): the Tucker and CP fits of a task's replications are solved as one batch
        there (:func:`tensorcnn.simulation.batched.fit_replications`; rank-K fits stay on
        numpy). The numbers agree to rounding either way.
    """

    name: str
    runs: tuple[SettingRun, ...]
    panels: tuple[Panel, ...] = ()
    x_axis: str = "sqrt(d_M/n)"
    bounds: bool = True
    seed: int = 0
    truths: int = 1
    threshold: float = 0.95
    workers: int = 1
    scheduler: str | None = None
    out: str | None = None
    device: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, got {self.name!r}")
        bad = [type(r).__name__ for r in self.runs if not isinstance(r, SettingRun)]
        if bad:
            raise TypeError(f"runs must hold SettingRun objects, got {bad}")
        if any(not isinstance(p, Panel) for p in self.panels):
            raise TypeError("panels must hold Panel objects")
        check_int(self.seed, "seed", minimum=0)
        check_int(self.truths, "truths")
        check_int(self.workers, "workers")
        check_device(self.device)
        check_bool(self.bounds, "bounds")
        if self.scheduler is not None and not isinstance(self.scheduler, str) \
                and not hasattr(self.scheduler, "submit"):
            raise TypeError(f"scheduler must be a Dask scheduler address (str), a "
                            f"distributed.Client or None, got {type(self.scheduler).__name__}")
        if self.out is not None:
            check_path(self.out, "out")
        if not 0.0 < check_finite(self.threshold, "threshold") <= 1.0:
            raise ValueError(f"threshold must lie in (0, 1], got {self.threshold!r}")
        if self.x_axis not in X_AXES:
            raise ValueError(f"x_axis must be one of {tuple(X_AXES)}, got {self.x_axis!r}")
        names = [run.setting.name for run in self.runs]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"runs must be non-empty with distinct setting names, got {names}")

    @property
    def settings(self) -> list[Setting]:
        """The settings, in order."""
        return [run.setting for run in self.runs]

    @property
    def x_key(self) -> str:
        """The row column of the x-axis (``x`` or ``inv_sqrt_n``)."""
        return X_AXES[self.x_axis][0]

    @property
    def xlabel(self) -> str:
        """The axis label of :attr:`x_axis`."""
        return X_AXES[self.x_axis][1]

    def replace(self, **changes: Any) -> Experiment:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def map_runs(self, **changes: Any) -> Experiment:
        """A copy with the same fields of every :class:`SettingRun` changed."""
        return self.replace(runs=tuple(dataclasses.replace(run, **changes) for run in self.runs))

    def select(self, names: Sequence[str]) -> Experiment:
        """The experiment restricted to the settings called ``names`` (panels follow)."""
        if isinstance(names, str | bytes) or not isinstance(names, Sequence) or not all(
                isinstance(n, str) for n in names) or not names:
            raise TypeError(f"names must be a non-empty sequence of setting names (str), got "
                            f"{names!r}")
        known = [run.setting.name for run in self.runs]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"names: settings {unknown} are not in the experiment ({known})")
        runs = tuple(run for run in self.runs if run.setting.name in names)
        panels = tuple(dataclasses.replace(p, settings=tuple(s for s in p.settings
                                                             if s in names))
                       for p in self.panels)
        return self.replace(runs=runs, panels=tuple(p for p in panels if p.settings))

    def tasks(self, seed: int | None = None) -> list[Task]:
        """All tasks of one sweep (root seed ``seed``, default :attr:`seed`), validated."""
        seed = self.seed if seed is None else seed
        tasks: list[Task] = []
        for index, run in enumerate(self.runs):
            name = run.setting.name
            sizes = {name: run.sizes} if run.sizes is not None else None
            part = make_tasks([run.setting], run.n_reps, seed, n_points=run.n_points,
                              batch_size=run.batch_size, solver=run.solver, sizes=sizes,
                              grid=run.grid)
            tasks += [dataclasses.replace(task, setting_index=index) for task in part]
        return tasks

    def run(self, seed: int | None = None, workers: int | None = None, scheduler: Any = None,
            store: Store | None = None, progress: bool = True,
            device: str | None = None) -> ExperimentResult:
        """Run the sweep with root seed ``seed`` (default :attr:`seed`) and summarise it.

        ``workers`` and ``scheduler`` default to the experiment's; no files are written here
        (``store`` is the checkpoint).
        """
        # check_int, not int(): int(2.5) would run seed 2, int("x") fail without the name
        seed = self.seed if seed is None else check_int(seed, "seed", minimum=0)
        tasks = self.tasks(seed)
        report: dict = {}
        rows, seconds = run_sweep(tasks, workers=self.workers if workers is None else workers,
                                  scheduler=self.scheduler if scheduler is None else scheduler,
                                  store=store, progress=progress, report=report,
                                  device=self.device if device is None else device)
        if self.x_key == "inv_sqrt_n":
            for row in rows:
                row["inv_sqrt_n"] = row["n"] ** -0.5
        summary = summarize(rows, self.settings, seed, x_key=self.x_key, wall_seconds=seconds,
                            with_bounds=self.bounds)
        summary["_run"].update(report)
        return ExperimentResult(rows, summary, list(self.panels), seconds)


def experiment_plan(name: str, names: Sequence[str] | None = None, n_reps: int = 200,
                    seed: int = 0, inputs: str = "both", n_points: int = 10,
                    batch_size: int = 10, paper_size: bool = False,
                    sizes: Sequence[int] = CP_STUDY_SIZES, solver: str = "als",
                    workers: int = 1, scheduler: Any = None) -> Experiment:
    """A named experiment as an :class:`Experiment` (what :func:`run_experiment` runs).

    theorem1/theorem2/fig3: x = √(d_M/n) on the paper's grid, with the bounds.
    classification: the grid (0.08, 0.30) (the logistic MLE is unstable near separation at
    n ≈ 3 d_M), no bounds. cp-kernels: x = 1/√n at the fixed training sizes ``sizes`` (the
    fitted models differ in size, so √(d_M/n) would not put them on one axis), no bounds.
    """
    settings, panels = experiment_settings(name, names, inputs, paper_size)
    grid = (0.08, 0.30) if name == "classification" else DEFAULT_GRID
    if isinstance(sizes, str) or not hasattr(sizes, "__len__") or len(sizes) == 0:
        raise TypeError(f"sizes must be a non-empty sequence of ints, got {sizes!r}")
    # checked for every experiment (only cp-kernels uses them): int(2.5) would truncate
    checked = tuple(check_int(n, "sizes entries") for n in sizes)
    explicit = checked if name == "cp-kernels" else None
    if explicit is not None:
        n_points = SettingRun.n_points          # unused with explicit sizes
    runs = tuple(SettingRun(s, n_reps=n_reps, n_points=n_points, grid=grid, sizes=explicit,
                            solver=solver, batch_size=batch_size) for s in settings)
    return Experiment(name, runs, tuple(panels),
                      x_axis="1/sqrt(n)" if name == "cp-kernels" else "sqrt(d_M/n)",
                      bounds=name in ("theorem1", "theorem2", "fig3"), seed=seed,
                      workers=workers, scheduler=scheduler)


def run_experiment(name: str, names: Sequence[str] | None = None, n_reps: int = 200,
                   seed: int = 0, workers: int = 1, scheduler: Any = None,
                   store: Store | None = None, progress: bool = True, inputs: str = "both",
                   n_points: int = 10, batch_size: int = 10, paper_size: bool = False,
                   sizes: Sequence[int] = CP_STUDY_SIZES) -> ExperimentResult:
    """Run a named experiment and summarise it (no files are written here).

    theorem1/theorem2: x = √(d_M/n) on the paper's grid. cp-kernels: x = 1/√n at the fixed
    training sizes ``sizes``; the summary's r2 is then of mean error against 1/√n (see
    :func:`experiment_plan`).
    """
    plan = experiment_plan(name, names, n_reps=n_reps, seed=seed, inputs=inputs,
                           n_points=n_points, batch_size=batch_size, paper_size=paper_size,
                           sizes=sizes)
    return plan.run(workers=workers, scheduler=scheduler, store=store, progress=progress)
