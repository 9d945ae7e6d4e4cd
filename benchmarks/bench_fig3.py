"""Wall time of the full Fig. 3 of 003, and what the paper's protocol would need for it.

1. Runs ``tensorcnn simulate fig3`` (all three panels, all 12 settings, ``--reps``
   replications, ``--workers`` processes) in a fresh directory and records its wall time,
   the per-panel CPU seconds (sum of the rows' ``cpu_seconds``), the R² per setting and the
   share of converged fits. ``--from-run DIR`` reads a finished run instead.
2. The paper's protocol on a sample of Fig. 3 (3) fits: gradient descent with lr 0.01 and
   momentum 0.9 until the objective drops by less than 1e-8 relative (003 §4.1), on the n
   training samples as ``_paper_protocol.paper_gd`` implements it (one forward and one
   backward matrix–vector product per iteration), on the full Tucker CNN of the setting
   (core G, factors H^(1), …, H^(N+1) with K kernels, FC weights B), started like the truth
   is drawn (orthonormal factors, N(0, 1) core and B: the paper gives no initialisation).
   Each such fit is capped at ``--gd-max-iter`` iterations; a capped fit counts with its
   capped time, so the extrapolation is then a lower bound. One longer run (T1, smallest
   n, up to ``--gd-uncapped-iter``) shows how many iterations the protocol needs to stop.
   Each sampled fit is also fitted by our solver from scratch (screened starts, no warm
   start), on the same data: ``per_fit_ratio_fig3_3`` is GD time / ours (a lower bound
   where GD was capped). Fig. 3 (1)–(2) use the per-fit times of the same protocol from
   ``benchmarks/results/estimators.json`` (its ``per_setting.*.torch_mean_seconds``).

Extrapolation: mean time per fit of the sample × the fits of the full figure (12 settings ×
10 sizes × reps), one process, against this run's wall time. Writes
``benchmarks/results/fig3.json``.

    python benchmarks/bench_fig3.py [--reps 200] [--workers 2] [--from-run DIR]
        [--gd-reps 1] [--gd-max-iter 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from _paper_protocol import paper_gd, tucker_theta
from threadpoolctl import threadpool_limits

from tensorcnn.data import preset, tucker_weights
from tensorcnn.estimators._trace import design_to_trace
from tensorcnn.simulation import fit_replication, sample_sizes
from tensorcnn.simulation.replication import (
    N_TEST,
    _draw,
    make_estimator,
    setting_key,
    setting_truth,
)

RESULTS = Path(__file__).parent / "results"
PANELS = {"fig3_1": ("S1", "S2", "S3", "S4"),
          "fig3_2": ("S1-var1", "S2-var1", "S3-var1", "S4-var1"),
          "fig3_3": ("T1", "T2", "T3", "T4")}


def run_figure(reps: int, workers: int, out: Path) -> float:
    """Run the full Fig. 3 in a subprocess (a fresh interpreter, as a user would)."""
    start = time.perf_counter()
    launcher = "import sys; from tensorcnn.cli import main; sys.exit(main(sys.argv[1:]))"
    subprocess.run([sys.executable, "-c", launcher, "simulate", "fig3", "--reps",
                    str(reps), "--workers", str(workers), "--quiet", "--out", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def summarize_run(directory: Path) -> dict:
    summary = json.loads((directory / "summary.json").read_text())
    rows = [line.split(",") for line in (directory / "results.csv").read_text().splitlines()]
    header, body = rows[0], rows[1:]
    column = {name: i for i, name in enumerate(header)}
    cpu = {panel: 0.0 for panel in PANELS}
    for row in body:
        for panel, names in PANELS.items():
            if row[column["setting"]] in names:
                cpu[panel] += float(row[column["cpu_seconds"]])
    settings = {name: dict(r2=entry["r2"], converged_share=entry["converged_share"],
                           n_reps=entry["n_reps"][0])
                for name, entry in summary.items() if not name.startswith("_")}
    return dict(wall_seconds_in_run=summary["_run"]["wall_seconds"],
                n_fits=summary["_run"]["n_fits"], cpu_seconds_per_panel=cpu,
                settings=settings)


def paper_protocol_tucker(M: np.ndarray, y: np.ndarray, spec, ranks, rng: np.random.Generator,
                          max_iter: int) -> tuple[float, int, float, float]:
    """GD(lr 0.01, momentum 0.9) on the full Tucker CNN; returns (objective, iters, seconds,
    init scale).

    The protocol as ``_paper_protocol.paper_gd`` implements it: one forward and one backward
    matrix–vector product on the n × PL design per iteration. Started like the truth is
    drawn; where lr 0.01 diverges from there (T1 does, from every such start we tried), a
    user would shrink the start: the core and B are halved until GD stays finite (at most 6
    times), and only the last, finite, attempt is timed — in GD's favour.
    """
    start_weights = tucker_weights(spec, ranks, rng)      # initial point, drawn like the truth
    stacked = start_weights.stacked
    design = M.reshape(M.shape[0], -1)
    for halvings in range(7):
        scale = 0.5 ** halvings
        core = torch.tensor(scale * stacked.core, requires_grad=True)
        factors = [torch.tensor(f, requires_grad=True) for f in stacked.factors]
        B = torch.tensor(scale * start_weights.B.reshape(spec.n_kernels, -1),
                         requires_grad=True)
        start = time.perf_counter()
        objective, iterations = paper_gd(design, y, tucker_theta(core, factors, B),
                                         [core, *factors, B], max_iter=max_iter)
        seconds = time.perf_counter() - start
        if np.isfinite(objective):
            break
    return objective, iterations, seconds, scale


def ours_tucker(M: np.ndarray, y: np.ndarray, setting, rep: int) -> tuple[float, float]:
    """Our Tucker fit of the same data from scratch (screened starts as the chain's first
    fit, no warm start); returns (objective, seconds)."""
    estimator = make_estimator(setting, rng=np.random.default_rng(rep))
    start = time.perf_counter()
    estimator.fit_trace(M, y)
    return estimator.objective_, time.perf_counter() - start


def paper_protocol_sample(args: argparse.Namespace) -> tuple[list[dict], dict]:
    """The paper's protocol on a sample of Fig. 3 (3) fits, and one longer run."""
    # the paper's protocol on a sample of Fig. 3 (3) fits
    samples = []
    with threadpool_limits(1):
        for name in PANELS["fig3_3"]:
            setting = preset(name)
            index = setting_key(setting)
            sizes = sorted(int(n) for n in sample_sizes(setting.n_params))
            picks = np.linspace(0, len(sizes) - 1, args.gd_sizes).round().astype(int)
            weights, transition = setting_truth(setting, 0)
            for rep in range(args.gd_reps):
                rng = np.random.default_rng(np.random.SeedSequence(0, spawn_key=(index, rep)))
                _, Z_all, y_all = _draw(setting, sizes[-1] + N_TEST, weights, transition, rng)
                M = design_to_trace(setting.spec, Z_all[: sizes[-1]])
                # the simulation's own fits of this replication (same data: the warm-start
                # chain from the largest n down, its solver stream)
                chain = {row["n"]: row for row in fit_replication(setting, sizes, rep, 0)}
                for pick in picks:
                    n = sizes[pick]
                    objective, iters, seconds, scale = paper_protocol_tucker(
                        M[:n], y_all[:n], setting.spec, setting.ranks,
                        np.random.default_rng(rep), args.gd_max_iter)
                    f_ours, t_ours = chain[n]["objective"], chain[n]["fit_seconds"]
                    f_cold, t_cold = ours_tucker(M[:n], y_all[:n], setting, rep)
                    samples.append(dict(setting=name, n=n, rep=rep, seconds=seconds,
                                        iterations=iters, objective=objective,
                                        init_scale=scale,
                                        capped=iters >= args.gd_max_iter,
                                        seconds_ours=t_ours, objective_ours=f_ours,
                                        ratio=seconds / t_ours,
                                        objective_ok=f_ours <= objective * (1 + 1e-9),
                                        seconds_ours_cold=t_cold, objective_ours_cold=f_cold,
                                        ratio_cold=seconds / t_cold,
                                        objective_ok_cold=f_cold <= objective * (1 + 1e-9)))
                    print(f"{name} n={n:5d}: paper protocol {seconds:7.1f} s, {iters} "
                          f"iterations{' (capped)' if iters >= args.gd_max_iter else ''}; "
                          f"ours {t_ours:.3f} s (cold {t_cold:.3f} s), ratio "
                          f"{seconds / t_ours:.0f} (cold {seconds / t_cold:.0f}), f "
                          f"{objective:.6g} vs ours {f_ours:.6g} (cold {f_cold:.6g})",
                          flush=True)
    # one longer run: how many iterations the protocol needs to meet its own criterion
    with threadpool_limits(1):
        setting = preset("T1")
        sizes = sorted(int(n) for n in sample_sizes(setting.n_params))
        weights, transition = setting_truth(setting, 0)
        rng = np.random.default_rng(np.random.SeedSequence(0, spawn_key=(setting_key(setting),
                                                                      0)))
        _, Z_all, y_all = _draw(setting, sizes[-1] + N_TEST, weights, transition, rng)
        M = design_to_trace(setting.spec, Z_all[: sizes[0]])
        objective, iters, seconds, scale = paper_protocol_tucker(
            M, y_all[: sizes[0]], setting.spec, setting.ranks, np.random.default_rng(0),
            args.gd_uncapped_iter)
        long_run = dict(setting="T1", n=sizes[0], seconds=seconds, iterations=iters,
                        objective=objective, capped=iters >= args.gd_uncapped_iter,
                        init_scale=scale)
        print(f"T1 n={sizes[0]} uncapped: {seconds:.1f} s, {iters} iterations", flush=True)
    return samples, long_run


def per_fit_summary(samples: list[dict]) -> dict:
    """Median GD time / ours per T setting (a lower bound where GD was capped), and the
    share of sampled fits where our objective is ≤ GD's (1 + 1e-9).

    A GD fit that diverged (non-finite objective: lr 0.01 is too large for that start) has
    no time to compare with; it is counted in ``gd_diverged`` and left out of both.
    """
    if not samples or "ratio" not in samples[0]:          # an old sample: no ratios
        return dict(per_fit_ratio_fig3_3=None, share_objective_ok_fig3_3=None)
    finite = [x for x in samples if np.isfinite(x["objective"])]
    ratios = {}
    for name in PANELS["fig3_3"]:
        mine = [x for x in finite if x["setting"] == name]
        if mine:
            ratios[name] = dict(
                median=float(np.median([x["ratio"] for x in mine])),
                min=float(np.min([x["ratio"] for x in mine])),
                median_cold=float(np.median([x["ratio_cold"] for x in mine])),
                n_fits=len(mine), lower_bound=any(x["capped"] for x in mine))
    return dict(per_fit_ratio_fig3_3=ratios,
                share_objective_ok_fig3_3=float(np.mean([x["objective_ok"] for x in finite]))
                if finite else None,
                share_objective_ok_cold_fig3_3=float(np.mean([x["objective_ok_cold"]
                                                              for x in finite]))
                if finite else None,
                gd_diverged=[{k: x[k] for k in ("setting", "n", "rep", "iterations")}
                             for x in samples if not np.isfinite(x["objective"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--from-run", type=Path, default=None,
                        help="read a finished 'simulate fig3' run instead of running one")
    parser.add_argument("--gd-reps", type=int, default=1,
                        help="replications per (T setting, size) of the paper's protocol")
    parser.add_argument("--gd-sizes", type=int, default=3,
                        help="sample sizes per T setting for the paper's protocol (spread "
                        "over the grid)")
    parser.add_argument("--gd-max-iter", type=int, default=1000,
                        help="cap per fit of the paper's protocol (capped fits make the "
                        "extrapolation a lower bound)")
    parser.add_argument("--gd-uncapped-iter", type=int, default=100_000,
                        help="cap of one longer run at T1's smallest n, to see how many "
                        "iterations the protocol needs to stop")
    parser.add_argument("--gd-from", type=Path, default=None,
                        help="take the paper-protocol sample from this earlier fig3.json")
    parser.add_argument("--gd-only", action="store_true",
                        help="only the paper-protocol sample and its per-fit ratios (no "
                        "figure run), written to --out (default results/fig3_gd_sample.json)")
    parser.add_argument("--peak-rss-mib", type=float, default=None,
                        help="with --from-run: the run's peak RSS as measured outside "
                        "(e.g. GNU time's maximum resident set size)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    load_before = os.getloadavg()
    if args.out is None:
        args.out = RESULTS / ("fig3_gd_sample.json" if args.gd_only else "fig3.json")
    if args.gd_only:
        samples, long_run = paper_protocol_sample(args)
        result = dict(machine=dict(platform=platform.platform(), cpu_count=os.cpu_count(),
                                   load_average_before=load_before,
                                   load_average_after=os.getloadavg()),
                      **per_fit_summary(samples), paper_protocol_sample=samples,
                      paper_protocol_long_run=long_run)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
        print(json.dumps({k: v for k, v in result.items() if k != "paper_protocol_sample"},
                         indent=1))
        print(f"wrote {args.out}")
        return
    peak_rss_mib = None
    if args.from_run is None:
        directory = Path(tempfile.mkdtemp(prefix="fig3_"))
        wall = run_figure(args.reps, args.workers, directory)
        # the largest process of the run (the CLI or one of its workers), as GNU time shows
        peak_rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"full Fig. 3, {args.reps} reps, {args.workers} workers: {wall:.1f} s", flush=True)
    else:
        directory = args.from_run
    run = summarize_run(directory)
    if args.from_run is not None:          # the sweep's own wall time (no start-up, no plots)
        wall = run["wall_seconds_in_run"]
    if args.from_run is None:
        shutil.rmtree(directory)
    if args.gd_from is not None:     # reuse a previous result's sample of the paper's protocol
        previous = json.loads(args.gd_from.read_text())
        samples, long_run = previous["paper_protocol_sample"], previous["paper_protocol_long_run"]
    else:
        samples, long_run = paper_protocol_sample(args)
    estimators = json.loads((RESULTS / "estimators.json").read_text())
    per_fit_s = {name: v["torch_mean_seconds"] for name, v in estimators["per_setting"].items()}
    fits_per_setting = 10 * args.reps
    paper = {
        "fig3_1_and_2": 2 * fits_per_setting * sum(v for v in per_fit_s.values() if v),
        # settings where the protocol diverged in every sampled fit have no time to count
        "fig3_3": fits_per_setting * sum(
            float(np.mean(finite)) for name in PANELS["fig3_3"]
            if (finite := [s["seconds"] for s in samples
                           if s["setting"] == name and np.isfinite(s["objective"])])),
        "fig3_3_settings_left_out": [
            name for name in PANELS["fig3_3"]
            if not any(s["setting"] == name and np.isfinite(s["objective"]) for s in samples)],
    }
    paper["total"] = paper["fig3_1_and_2"] + paper["fig3_3"]
    result = dict(
        machine=dict(platform=platform.platform(), cpu_count=os.cpu_count(),
                     load_average_before=load_before, load_average_after=os.getloadavg()),
        reps=args.reps, workers=args.workers, full_fig3_wall_seconds=wall, run=run,
        peak_rss_mib=peak_rss_mib if peak_rss_mib is not None else args.peak_rss_mib,
        paper_protocol_seconds_extrapolated=paper,
        paper_protocol_lower_bound=any(s["capped"] for s in samples),
        speedup_wall=(paper["total"] / wall) if wall else None,
        **per_fit_summary(samples),
        paper_protocol_sample=samples, paper_protocol_long_run=long_run,
        paper_protocol_sample_from=str(args.gd_from) if args.gd_from else "this run",
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "paper_protocol_sample"},
                     indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
