"""Our rank-K solver against the paper's fitting protocol, per fit on the same data.

For a sample of fits of the Theorem 1 settings S1–S4 (iid inputs, the sample sizes of the
Fig. 3 grid, the simulation's own seeds), fit the same data with

* ``als``   — :class:`tensorcnn.estimators.RankKRegressor` (multi-start ALS, sufficient
  statistics);
* ``gd``    — the paper's protocol (GD, lr 0.01, momentum 0.9, stop at a 1e-8 relative
  drop) on sufficient statistics (:class:`tensorcnn.estimators.PaperGDRegressor`): the
  protocol made as fast as we can make it;
* ``torch`` — the same protocol as a reproducer would write it: torch autograd on the n
  training samples, ``torch.optim.SGD(lr=0.01, momentum=0.9)``, float64, the same initial
  A, B (on a sub-sample of the fits, it is slow).

Reports per fit the time ratios and the relative objective difference
(f_ours − f_GD) / f_GD, the share of fits with f_ours ≤ f_GD (1 + 1e-9), and the paper
protocol's extrapolated time for the full Fig. 3 (1)–(2): mean time per fit per setting ×
the number of fits (10 sizes × 200 replications × 2 input kinds). Optionally records the wall
time of a full Fig. 3 run from its ``summary.json`` files. Single BLAS thread per fit.

    python benchmarks/bench_estimators.py [--reps 3] [--torch-every 4]
        [--fig3 DIR1 DIR2 ...] [--out benchmarks/results/estimators.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from tensorcnn.data import theorem1_settings
from tensorcnn.estimators import PaperGDRegressor, RankKRegressor
from tensorcnn.estimators._trace import design_to_trace
from tensorcnn.simulation import sample_sizes, simulate_regression
from tensorcnn.simulation.replication import setting_truth


def torch_protocol(M: np.ndarray, y: np.ndarray, A0: np.ndarray, B0: np.ndarray,
                   tol: float = 1e-8, max_iter: int = 1_000_000) -> tuple[float, int]:
    """The paper's GD protocol with torch autograd on the data; returns (objective, iters)."""
    n = y.shape[0]
    M_t = torch.tensor(M.reshape(n, B0.shape[1], A0.shape[1]))
    y_t = torch.tensor(y)
    A = torch.tensor(A0, requires_grad=True)
    B = torch.tensor(B0, requires_grad=True)
    optimizer = torch.optim.SGD([A, B], lr=0.01, momentum=0.9)

    def loss_fn():
        prediction = torch.einsum("npl,kp,kl->n", M_t, B, A)
        return torch.mean((y_t - prediction) ** 2)

    f_old = float(loss_fn())
    for iteration in range(1, max_iter + 1):
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            f_new = float(loss_fn())
        drop = f_old - f_new
        f_old = f_new
        if 0 <= drop < tol * (f_new + drop):
            return f_new, iteration
    return f_old, max_iter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="replications per sample size")
    parser.add_argument("--torch-every", type=int, default=4,
                        help="run the torch protocol on every k-th fit (it is slow)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fig3", nargs="*", type=Path, default=[],
                        help="run directories of the full Fig. 3 (their summary.json)")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "estimators.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    fits = []
    settings = theorem1_settings("iid")
    start_all = time.perf_counter()
    with threadpool_limits(1):
        for s_index, setting in enumerate(settings):
            weights, transition = setting_truth(setting, args.seed, s_index)
            for n_index, n in enumerate(sample_sizes(setting.n_params)):
                for rep in range(args.reps):
                    seq = np.random.SeedSequence(args.seed, spawn_key=(s_index, n_index, rep))
                    data = simulate_regression(setting, int(n), weights, transition,
                                               np.random.default_rng(seq))
                    t0 = time.perf_counter()
                    ours = RankKRegressor(setting.spec).fit_design(data.Z, data.y)
                    t_ours = time.perf_counter() - t0
                    t0 = time.perf_counter()
                    gd = PaperGDRegressor(setting.spec, rng=rep).fit_design(data.Z, data.y)
                    t_gd = time.perf_counter() - t0
                    row = dict(setting=setting.name, n=int(n), rep=rep,
                               seconds_ours=t_ours, seconds_gd=t_gd,
                               objective_ours=ours.objective_, objective_gd=gd.objective_,
                               rel_diff=(ours.objective_ - gd.objective_) / gd.objective_,
                               iters_ours=ours.n_iter_, iters_gd=gd.n_iter_,
                               gd_converged=gd.converged_)
                    if len(fits) % args.torch_every == 0:
                        rng = np.random.default_rng(rep)      # PaperGDRegressor's init
                        K = setting.spec.n_kernels
                        M = design_to_trace(setting.spec, data.Z)
                        L, P = int(np.prod(setting.spec.kernel_shape)), M.shape[1]
                        A0, B0 = rng.standard_normal((K, L)), rng.standard_normal((K, P))
                        t0 = time.perf_counter()
                        f_torch, it_torch = torch_protocol(M, data.y, A0, B0)
                        row.update(seconds_torch=time.perf_counter() - t0,
                                   objective_torch=f_torch, iters_torch=it_torch)
                    fits.append(row)
                    print(f"{setting.name} n={n:5d} rep={rep} ours {t_ours * 1e3:7.1f} ms  "
                          f"gd {t_gd * 1e3:8.1f} ms  ratio {t_gd / t_ours:6.1f}  "
                          f"rel diff {row['rel_diff']: .2e}", flush=True)
    ok = [f["rel_diff"] <= 1e-9 for f in fits]
    ratio_gd = [f["seconds_gd"] / f["seconds_ours"] for f in fits]
    torch_fits = [f for f in fits if "seconds_torch" in f]
    ratio_torch = [f["seconds_torch"] / f["seconds_ours"] for f in torch_fits]
    fits_per_setting = 10 * 200 * 2      # Fig. 3 (1) and (2)
    extrapolation = {}
    for setting in settings:
        mine = [f for f in torch_fits if f["setting"] == setting.name]
        gd_mine = [f for f in fits if f["setting"] == setting.name]
        extrapolation[setting.name] = dict(
            torch_mean_seconds=float(np.mean([f["seconds_torch"] for f in mine])) if mine
            else None,
            gd_mean_seconds=float(np.mean([f["seconds_gd"] for f in gd_mine])),
            ours_mean_seconds=float(np.mean([f["seconds_ours"] for f in gd_mine])),
        )
    total = lambda key: sum(v[key] * fits_per_setting for v in extrapolation.values()  # noqa: E731
                            if v[key] is not None)
    # CPU time (data + fit, one BLAS thread) of one replication per sample size of every
    # Fig. 3 setting: × 200 replications / 2 cores = the full Fig. 3 on an unloaded 2-core
    # machine, independent of how loaded this machine is while the benchmark runs.
    from tensorcnn.data import theorem2_settings
    from tensorcnn.simulation import fit_replication

    fig3_settings = theorem1_settings("iid") + theorem1_settings("var1") + theorem2_settings()
    cpu = {}
    with threadpool_limits(1):
        for s_index, setting in enumerate(fig3_settings):
            ns = sample_sizes(setting.n_params)
            seconds = [fit_replication(setting, s_index, j, int(n), 0, args.seed)["cpu_seconds"]
                       for j, n in enumerate(ns)]
            cpu[setting.name] = float(np.sum(seconds))      # one replication of the grid
            print(f"{setting.name}: {cpu[setting.name]:.2f} CPU s per replication of the grid",
                  flush=True)
    fig3_cpu = dict(
        per_setting_cpu_seconds_per_replication=cpu,
        panels_cpu_seconds_200_reps={
            "fig3_1": 200 * sum(v for k, v in cpu.items() if k in ("S1", "S2", "S3", "S4")),
            "fig3_2": 200 * sum(v for k, v in cpu.items() if k.endswith("-var1")),
            "fig3_3": 200 * sum(v for k, v in cpu.items() if k.startswith("T")),
        },
    )
    fig3_cpu["full_fig3_estimated_wall_seconds_2_cores"] = sum(
        fig3_cpu["panels_cpu_seconds_200_reps"].values()) / 2
    fig3 = {}
    for directory in args.fig3:
        summary = json.loads((directory / "summary.json").read_text())
        fig3[str(directory)] = summary.get("_run", {})
    result = dict(
        machine=dict(platform=platform.platform(), cpu_count=os.cpu_count(),
                     load_average=os.getloadavg()),
        n_fits=len(fits), share_objective_ok=float(np.mean(ok)),
        time_ratio_gd=dict(median=float(np.median(ratio_gd)), min=float(np.min(ratio_gd)),
                           mean=float(np.mean(ratio_gd))),
        time_ratio_torch=dict(median=float(np.median(ratio_torch)),
                              min=float(np.min(ratio_torch))) if ratio_torch else None,
        extrapolated_fig3_1_2_seconds=dict(
            ours=total("ours_mean_seconds"), paper_protocol_gd=total("gd_mean_seconds"),
            paper_protocol_torch=total("torch_mean_seconds")),
        per_setting=extrapolation, fig3_cpu=fig3_cpu, fig3_runs=fig3,
        benchmark_seconds=time.perf_counter() - start_all, fits=fits,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "fits"}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
