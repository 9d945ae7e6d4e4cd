"""The named simulations of 003: Theorem 1 (Fig. 3 (1)–(2)), Theorem 2 (Fig. 3 (3)), the
CP K-efficiency study (Fig. 7 (2)) and the logistic CNN of App. A.4 (binary labels on the
S1–S4 architectures). Returns data; the CLI writes files and plots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..data.presets import Setting, cp_study_settings, preset
from .runner import Store, make_tasks, run_sweep
from .summary import summarize

__all__ = ["CP_STUDY_SIZES", "CP_STUDY_SMALL", "EXPERIMENTS", "ExperimentResult",
           "Panel", "experiment_settings", "run_experiment"]

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


@dataclass
class ExperimentResult:
    rows: list[dict]
    summary: dict
    panels: list[Panel] = field(default_factory=list)
    wall_seconds: float = 0.0


def experiment_settings(name: str, names: Sequence[str] | None = None,
                        inputs: str = "both", paper_size: bool = False) -> tuple[
                            list[Setting], list[Panel]]:
    """Settings and panels of a named experiment (``names`` filters by setting name)."""
    if name not in EXPERIMENTS:
        raise ValueError(f"experiment must be one of {EXPERIMENTS}, got {name!r}")
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
            raise ValueError(f"theorem1 settings are S1-S4, got {bad}")
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
            raise ValueError(f"theorem2 settings are T1-T4, got {bad}")
        settings = [preset(b) for b in base]
        panels.append(Panel("fig3_3_theorem2_tucker.png",
                            "Fig. 3 (3): Theorem 2, Tucker CNN", tuple(base),
                            r"$\sqrt{d_M^{TU} / n}$"))
        return settings, panels
    if name == "classification":
        base = list(names) if names else ["S1", "S2", "S3", "S4"]
        bad = [b for b in base if b not in ("S1", "S2", "S3", "S4")]
        if bad:
            raise ValueError(f"classification settings are S1-S4, got {bad}")
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
            raise ValueError(f"no CP study setting among {list(names)}")
    panels.append(Panel("fig7_2_cp_kernels.png",
                        "Fig. 7 (2): CP block, estimation error against K",
                        tuple(s.name for s in settings), r"$1/\sqrt{n}$"))
    return settings, panels


def run_experiment(name: str, names: Sequence[str] | None = None, n_reps: int = 200,
                   seed: int = 0, workers: int = 1, scheduler: Any = None,
                   store: Store | None = None, progress: bool = True, inputs: str = "both",
                   n_points: int = 10, batch_size: int = 10, paper_size: bool = False,
                   sizes: Sequence[int] = CP_STUDY_SIZES) -> ExperimentResult:
    """Run a named experiment and summarise it (no files are written here).

    theorem1/theorem2: x = √(d_M/n) on the paper's grid. cp-kernels: x = 1/√n at the fixed
    training sizes ``sizes`` (the fitted models differ in size, so √(d_M/n) would not put
    them on one axis); the summary's r2 is then of mean error against 1/√n.
    """
    settings, panels = experiment_settings(name, names, inputs, paper_size)
    explicit = {s.name: list(sizes) for s in settings} if name == "cp-kernels" else None
    # the logistic MLE is unstable (near separation) at n ≈ 3 d_M: a grid of larger n
    grid = (0.08, 0.30) if name == "classification" else (0.15, 0.60)
    tasks = make_tasks(settings, n_reps, seed, n_points=n_points, batch_size=batch_size,
                       sizes=explicit, grid=grid)
    report: dict = {}
    rows, seconds = run_sweep(tasks, workers=workers, scheduler=scheduler, store=store,
                              progress=progress, report=report)
    x_key = "x"
    if name == "cp-kernels":
        for row in rows:
            row["inv_sqrt_n"] = row["n"] ** -0.5
        x_key = "inv_sqrt_n"
    summary = summarize(rows, settings, seed, x_key=x_key, wall_seconds=seconds,
                        with_bounds=name in ("theorem1", "theorem2", "fig3"))
    summary["_run"].update(report)
    return ExperimentResult(rows, summary, panels, seconds)
