"""The batched simulation engine against the per-fit path it replaced, in the same run.

For each setting (default T1–T4, the Tucker panel of Fig. 3, where 92 % of the figure's CPU
time goes) and ``--reps`` replications on the Fig. 3 grid (10 sizes), the wall time per
replication of

* ``old``           — ``fit_replication`` of a checkout of ``--baseline`` (the commit before
  the solver split; ``git worktree`` in a temporary folder), one replication at a time;
* ``numpy_4starts`` — today's engine with the n_max screen of ``old`` (``FIRST_STARTS`` = 4)
  (the same algorithm as ``old`` up to the stopping tolerance, 1e-10 since 0.15 vs 1e-8);
* ``numpy``         — today's engine as ``simulate`` runs it on numpy: ``fit_replications``
  with one replication per call, one start at n_max (docs/simulations.md, item 11);
* ``numpy_batch``   — ``fit_replications`` with all ``--reps`` replications as one batch;
* ``torch_cpu``     — the same batch on torch (CPU, float64);
* ``torch_cuda``    — on CUDA, when a GPU is present (else left out, and said so).

Each variant runs in its own process (one BLAS thread, ``OMP_NUM_THREADS=1``; torch limited
to one thread), variants alternate over ``--repeat`` rounds and the minimum counts (the
machine is shared); each process reports its peak RSS. Every variant's rows are compared
with ``old``'s: the largest relative difference of objective and error, and whether the
numpy variants are bitwise equal, and the share of fits whose objective is at most
``old``'s + 1e-9 relative (``share_objective_ok``, the engine's quality criterion).
Writes ``benchmarks/results/engine.json``.

    python benchmarks/bench_engine.py [--settings T1,T2,T3,T4] [--reps 10] [--repeat 2]
        [--baseline 2ff8ec5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

#: Run in a fresh process per variant: prints one JSON line.
_WORKER = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
setting_name, reps, variant = sys.argv[1], int(sys.argv[2]), sys.argv[3]
import torch
torch.set_num_threads(1)
from threadpoolctl import threadpool_limits
from tensorcnn.data import preset
from tensorcnn.simulation import fit_replication, sample_sizes
setting = preset(setting_name)
sizes = tuple(int(n) for n in sample_sizes(setting.n_params))
with threadpool_limits(1):
    if variant == "old":
        run = lambda: [r for rep in range(reps) for r in fit_replication(setting, sizes, rep, 0)]
    else:
        from tensorcnn.simulation.batched import fit_replications
        if variant == "numpy_4starts":
            import tensorcnn.simulation.replication as replication
            replication.FIRST_STARTS = 4
        if variant in ("numpy", "numpy_4starts"):
            run = lambda: [r for rep in range(reps)
                           for r in fit_replications(setting, sizes, [rep], 0)]
        else:
            device = {"numpy_batch": None, "torch_cpu": "cpu", "torch_cuda": "cuda"}[variant]
            run = lambda: fit_replications(setting, sizes, range(reps), 0, device=device)
    fit_replication(setting, sizes[-3:], 10**6, 0)          # imports and caches warm
    start = time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - start
keys = ("rep", "n", "objective", "error", "n_iter", "converged")
print(json.dumps(dict(seconds=seconds, rss_mib=resource.getrusage(
    resource.RUSAGE_SELF).ru_maxrss / 1024, rows=[{k: r[k] for k in keys} for r in rows])))
"""


def _run(tree: Path, setting: str, reps: int, variant: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _WORKER, setting, str(reps), variant],
                         env=env, capture_output=True, text=True, check=True, cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _differences(rows: list[dict], reference: list[dict]) -> dict:
    key = lambda r: (r["rep"], r["n"])                         # noqa: E731
    ref = {key(r): r for r in reference}
    worst = {"objective": 0.0, "error": 0.0}
    bitwise = True
    # the quality criterion of #15: the engine's objective ≤ the per-fit path's + 1e-9
    # relative (a lower one is a closer or a better minimum)
    ok = [row["objective"] <= ref[key(row)]["objective"] * (1 + 1e-9) for row in rows]
    for row in rows:
        base = ref[key(row)]
        for column in worst:
            gap = abs(row[column] - base[column]) / max(abs(base[column]), 1e-300)
            worst[column] = max(worst[column], gap)
            bitwise &= row[column] == base[column]
    return dict(max_rel_objective=worst["objective"], max_rel_error=worst["error"],
                bitwise=bitwise, share_objective_ok=sum(ok) / len(ok), n_fits=len(ok))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", default="T1,T2,T3,T4")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--baseline", default="2ff8ec5",
                        help="commit of the per-fit path (before the solver split)")
    parser.add_argument("--out", type=Path, default=RESULTS / "engine.json")
    args = parser.parse_args()
    import torch

    variants = ["old", "numpy_4starts", "numpy", "numpy_batch", "torch_cpu"]
    if torch.cuda.is_available():
        variants.append("torch_cuda")
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", str(old_tree), args.baseline],
                       cwd=ROOT, check=True, capture_output=True)
        try:
            results: dict = {}
            for name in args.settings.split(","):
                runs: dict[str, list[dict]] = {v: [] for v in variants}
                for _ in range(args.repeat):
                    for variant in variants:
                        tree = old_tree if variant == "old" else ROOT
                        runs[variant].append(_run(tree, name, args.reps, variant))
                        print(name, variant, f"{runs[variant][-1]['seconds']:.2f} s",
                              file=sys.stderr)
                best = {v: min(r["seconds"] for r in runs[v]) for v in variants}
                entry = {}
                for variant in variants:
                    entry[variant] = dict(
                        seconds_per_rep=best[variant] / args.reps,
                        peak_rss_mib=max(r["rss_mib"] for r in runs[variant]),
                        ratio_old_over_this=best["old"] / best[variant],
                        **_differences(runs[variant][0]["rows"], runs["old"][0]["rows"]))
                results[name] = entry
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=ROOT,
                           check=False, capture_output=True)
    record = dict(
        reps=args.reps, repeat=args.repeat, baseline=args.baseline, variants=variants,
        cuda="run" if "torch_cuda" in variants else "not run: no GPU on this machine",
        machine=dict(platform=platform.platform(), cpus=os.cpu_count(),
                     load_average=os.getloadavg()),
        settings=results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    for name, entry in results.items():
        print(name, "  ".join(f"{v} {e['seconds_per_rep']:.3f} s/rep "
                              f"(x{e['ratio_old_over_this']:.2f}, objective ok "
                              f"{100 * e['share_objective_ok']:.1f} %)"
                              for v, e in entry.items()))
    for variant in variants[1:]:
        fits = [e[variant] for e in results.values()]
        record.setdefault("share_objective_ok", {})[variant] = (
            sum(f["share_objective_ok"] * f["n_fits"] for f in fits)
            / sum(f["n_fits"] for f in fits))
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
