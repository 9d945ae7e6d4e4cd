"""Quality study: do the Tucker warm-start chains of the simulation lose objective?

Run at commit 2ff8ec5, where ``FIRST_STARTS`` was 4 (chain (a) below screened 4 starts at
the largest n); its result (``benchmarks/results/tucker_starts.json``, per-fit records
dropped) is why the simulation now starts the chain from the spectral start alone
(``FIRST_STARTS = 1``, docs/simulations.md). Run on today's code, (a) and (b) coincide.

For settings T1–T4, replications rep = 0..N_REPS-1, seed 0, and the 10 sample sizes of
``sample_sizes(setting.n_params)`` (largest first), compare

 (a) today's chain: ``fit_replication(setting, sizes, rep, seed=0)`` exactly (its rows give the
     objective per n); Ŵ and Ã of its fits are recorded by wrapping the fit_trace of the
     estimator it makes (``recording_fits``: the computation is untouched), and the recorded
     objectives are checked to be bitwise those of its rows;
 (b) the same chain with only the spectral start at the largest n (first_starts = 1; same data
     stream, same solver stream — which (b) then never draws from);
 (c) a reference per (n, rep): the lowest objective over the spectral start finished
     (n_init = 1, no warm start), N_RANDOM random starts each finished on its own (est.A_ set
     to a standard-normal (R, *kernel_shape) stack, warm_start = True, n_init = 1: the fit's
     only start is that stack, no screening, straight to Levenberg–Marquardt), and the chain
     solutions of (a) and (b).

Every fit flagged (chain objective > reference by more than 1e-9 relative) is diagnosed:
the flagged solution and the reference one are re-finished from their own Ã at tol = 1e-13;
equal polished objectives mean the same minimum (the gap was the solver's tol = 1e-8 stop).

Random starts of (c) come from SeedSequence(seed, spawn_key=(crc32(name), rep, 2)), a stream
independent of the replication's data (…, rep) and solver (…, rep, 1) streams.

One BLAS thread. ConvergenceWarnings are suppressed and counted per variant.

Usage: python tucker_starts.py [--reps 20] [--random 8] [--settings T1 T2 T3 T4]
       [--out benchmarks/results/tucker_starts.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

import tensorcnn
from tensorcnn._validation import ConvergenceWarning
from tensorcnn.data import preset
from tensorcnn.estimators._trace import design_to_trace
from tensorcnn.simulation import replication as _replication
from tensorcnn.simulation import sample_sizes
from tensorcnn.simulation.replication import (
    FIRST_STARTS,
    N_TEST,
    _draw,
    fit_replication,
    replication_streams,
    setting_key,
    setting_truth,
)
from tensorcnn.tenalg import mode_products

REL_TOL = 1e-9
_REF_STREAM = 2          # last spawn-key entry of the reference's random starts


class WarningCounter:
    """Suppress ConvergenceWarnings inside the block, count them."""

    def __init__(self):
        self.count = 0

    def __enter__(self):
        self._cm = warnings.catch_warnings(record=True)
        self._log = self._cm.__enter__()
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", ConvergenceWarning)
        return self

    def __exit__(self, *exc):
        self.count += sum(issubclass(w.category, ConvergenceWarning) for w in self._log)
        self._cm.__exit__(*exc)
        return False


@contextlib.contextmanager
def recording_fits(log):
    """Run fit_replication unchanged, but append (objective, W_, A_) of each of its fits to
    ``log``: the estimator it makes gets a fit_trace that calls the real one, then records.
    Nothing of the computation changes; restored on exit."""
    original = _replication.make_estimator

    def make_estimator(*args, **kwargs):
        est = original(*args, **kwargs)
        fit = est.fit_trace

        def fit_trace(M, y):
            out = fit(M, y)
            log.append(dict(n=int(M.shape[0]), objective=float(est.objective_),
                            W=est.W_.copy(), A=est.A_.copy(), n_iter=int(est.n_iter_),
                            converged=bool(est.converged_)))
            return out

        est.fit_trace = fit_trace
        return est

    _replication.make_estimator = make_estimator
    try:
        yield log
    finally:
        _replication.make_estimator = original


def replication_data(setting, sizes, rep, seed):
    """Training data exactly as fit_replication builds them: (M_all, y_all, solver stream)."""
    weights, transition = setting_truth(setting, seed)
    data_stream, solver_stream = replication_streams(setting, seed, rep)
    rng = np.random.default_rng(data_stream)
    _, Z_all, y_all = _draw(setting, sizes[0] + N_TEST, weights, transition, rng)
    M_all = design_to_trace(setting.spec, Z_all[: sizes[0]])
    return M_all, y_all, solver_stream, weights


def chain(setting, sizes, rep, seed, first_starts, counter):
    """fit_replication's chain (largest n first) with ``first_starts`` starts at the largest n.

    Returns (per-n list of dict(objective, W, n_iter, converged, seconds), total wall seconds
    including the data draw, as in a fit_replication call).
    """
    t0 = time.perf_counter()
    M_all, y_all, solver_stream, _ = replication_data(setting, sizes, rep, seed)
    estimator = setting.kind.make_estimator(setting, first_starts,
                                            rng=np.random.default_rng(solver_stream))
    out = []
    for n in sizes:
        start = time.perf_counter()
        with counter:
            estimator.fit_trace(M_all[:n], y_all[:n])
        seconds = time.perf_counter() - start
        estimator.n_init = 1        # smaller n: from the previous solution only
        out.append(dict(objective=float(estimator.objective_), W=estimator.W_.copy(),
                        A=estimator.A_.copy(), n_iter=int(estimator.n_iter_),
                        converged=bool(estimator.converged_), seconds=seconds))
    return out, time.perf_counter() - t0


def finished_fit(setting, M, y, kernels, counter):
    """One start finished on its own: spectral if kernels is None, else that kernel stack."""
    est = setting.kind.make_estimator(setting, 1, rng=0)
    if kernels is None:
        est.warm_start = False
    else:
        est.A_ = kernels            # the warm start is the fit's only start (n_init = 1)
    start = time.perf_counter()
    with counter:
        est.fit_trace(M, y)
    seconds = time.perf_counter() - start
    return dict(objective=float(est.objective_), W=est.W_.copy(), A=est.A_.copy(),
                n_iter=int(est.n_iter_), converged=bool(est.converged_), seconds=seconds)


def polished(setting, M, y, kernels, counter, tol=1e-13):
    """A solution's A_ re-finished with tol = 1e-13 (diagnostic: same minimum or not?)."""
    est = setting.kind.make_estimator(setting, 1, rng=0)
    est.tol = tol
    est.A_ = kernels
    with counter:
        est.fit_trace(M, y)
    return float(est.objective_), est.W_.copy()


def study_setting(name, n_reps, n_random, seed=0, log=print):
    setting = preset(name)
    spec = setting.spec
    sizes = [int(n) for n in sorted(sample_sizes(setting.n_params), reverse=True)]
    R = setting.ranks[-1]
    factors = spec.positioning_factors()
    warn = {k: WarningCounter() for k in ("a_fit_replication", "b", "reference", "polish")}
    reps = []
    for rep in range(n_reps):
        # (a) exactly fit_replication
        recorded = []
        t0 = time.perf_counter()
        with warn["a_fit_replication"], recording_fits(recorded):
            rows = fit_replication(setting, sizes, rep, seed=seed)
        wall_a = time.perf_counter() - t0
        obj_a_rows = {r["n"]: r["objective"] for r in rows}
        fits_a = recorded          # fit_replication's own fits, largest n first
        replay_identical = ([f["n"] for f in recorded] == sizes
                            and all(obj_a_rows[f["n"]] == f["objective"] for f in recorded))
        # (b)
        fits_b, wall_b = chain(setting, sizes, rep, seed, 1, warn["b"])
        # (c) reference
        M_all, y_all, _, weights = replication_data(setting, sizes, rep, seed)
        ref_rng = np.random.default_rng(np.random.SeedSequence(
            seed, spawn_key=(setting_key(setting), rep, _REF_STREAM)))
        t_ref = time.perf_counter()
        per_n = []
        for k, n in enumerate(sizes):
            M, y = M_all[:n], y_all[:n]
            cands = {"spectral": finished_fit(setting, M, y, None, warn["reference"])}
            for j in range(n_random):
                kern = ref_rng.standard_normal((R, *spec.kernel_shape))
                cands[f"random{j}"] = finished_fit(setting, M, y, kern, warn["reference"])
            cands["chain_a"] = fits_a[k]
            cands["chain_b"] = fits_b[k]
            best = min(cands, key=lambda c: cands[c]["objective"])
            f_ref, W_ref = cands[best]["objective"], cands[best]["W"]

            def rel(c, cands=cands, f_ref=f_ref):
                return (cands[c]["objective"] - f_ref) / f_ref

            def dist(c, cands=cands, W_ref=W_ref, weights=weights):
                d = (cands[c]["W"] - W_ref).reshape(weights.W.shape)
                d_x = mode_products(d[None], factors)[0]
                return float(np.linalg.norm(d)), float(np.linalg.norm(d_x))

            f_a = obj_a_rows[n]
            gap_a = (f_a - f_ref) / f_ref
            gap_b = rel("chain_b")
            dW_a, dWx_a = dist("chain_a")
            dW_b, dWx_b = dist("chain_b")
            starts = ["spectral"] + [f"random{j}" for j in range(n_random)]
            polish = None
            if gap_a > REL_TOL or gap_b > REL_TOL:
                # diagnostic: re-finish the flagged chain solution(s) and the reference one at
                # tol = 1e-13; equal polished objectives = the same minimum, the gap was the
                # solver's tol = 1e-8 stopping rule
                p_ref, W_pref = polished(setting, M, y, cands[best]["A"], warn["polish"])
                polish = dict(f_ref=p_ref)
                for tag, c in (("a", "chain_a"), ("b", "chain_b")):
                    p_f, W_p = polished(setting, M, y, cands[c]["A"], warn["polish"])
                    polish[f"rel_gap_{tag}"] = (p_f - p_ref) / p_ref
                    polish[f"dW_{tag}"] = float(np.linalg.norm(W_p - W_pref))
            per_n.append(dict(
                n=n, f_ref=f_ref, ref_from=best,
                f_a=f_a, gap_a=gap_a, dW_a=dW_a, dWx_a=dWx_a,
                n_iter_a=fits_a[k]["n_iter"], converged_a=fits_a[k]["converged"],
                f_b=fits_b[k]["objective"], gap_b=gap_b, dW_b=dW_b, dWx_b=dWx_b,
                n_iter_b=fits_b[k]["n_iter"], converged_b=fits_b[k]["converged"],
                rel_b_minus_a=(fits_b[k]["objective"] - f_a) / f_ref,
                start_gaps={c: rel(c) for c in starts},
                start_dW={c: dist(c)[0] for c in starts},
                starts_at_ref=sum(rel(c) <= REL_TOL for c in starts),
                starts_converged=sum(cands[c]["converged"] for c in starts),
                spectral_equals_b=cands["spectral"]["objective"] == fits_b[k]["objective"],
                polish=polish,
            ))
        t_ref = time.perf_counter() - t_ref
        rec = dict(rep=rep, wall_a=wall_a, wall_b=wall_b,
                   fit_seconds_a=sum(r["fit_seconds"] for r in rows),
                   fit_seconds_b=sum(f["seconds"] for f in fits_b),
                   wall_reference=t_ref, replay_identical=replay_identical, per_n=per_n)
        reps.append(rec)
        n_bad_a = sum(p["gap_a"] > REL_TOL for p in per_n)
        n_bad_b = sum(p["gap_b"] > REL_TOL for p in per_n)
        log(f"{name} rep {rep:2d}: a {wall_a:.2f}s b {wall_b:.2f}s ref {t_ref:.1f}s "
            f"bad_a {n_bad_a} bad_b {n_bad_b} replay_ok {replay_identical} "
            f"max gap_a {max(p['gap_a'] for p in per_n):.2e} "
            f"max gap_b {max(p['gap_b'] for p in per_n):.2e}")
    return dict(setting=name, sizes=sizes, n_random=n_random, reps=reps,
                convergence_warnings={k: v.count for k, v in warn.items()},
                summary=summarize(name, sizes, reps))


def summarize(name, sizes, reps):
    fits = [(r["rep"], p) for r in reps for p in r["per_n"]]

    def worst(key, dkey, dxkey, k=5):
        bad = sorted((p[key], p["n"], rep, p[dkey], p[dxkey]) for rep, p in fits
                     if p[key] > REL_TOL)[::-1][:k]
        pol = {(rep, p["n"]): p["polish"] for rep, p in fits}
        tag = key[-1]
        return [dict(setting=name, n=n, rep=rep, rel_gap=g, dW_F=d, dW_identified_F=dx,
                     polished_rel_gap=pol[rep, n][f"rel_gap_{tag}"],
                     polished_dW_F=pol[rep, n][f"dW_{tag}"])
                for g, n, rep, d, dx in bad]

    def polished_bad(tag):
        return sum(p["polish"] is not None and p["polish"][f"rel_gap_{tag}"] > REL_TOL
                   for _, p in fits)

    def bands(key):
        vals = np.array([p[key] for _, p in fits])
        return {f">{t:g}": int((vals > t).sum()) for t in (1e-10, 1e-9, 1e-8, 1e-6, 1e-3)}

    diff_reps = sorted({rep for rep, p in fits if abs(p["rel_b_minus_a"]) > REL_TOL})
    by_n = {}
    for n in sizes:
        ps = [p for _, p in fits if p["n"] == n]
        by_n[n] = dict(
            bad_a=sum(p["gap_a"] > REL_TOL for p in ps),
            bad_b=sum(p["gap_b"] > REL_TOL for p in ps),
            b_lower=sum(p["rel_b_minus_a"] < -REL_TOL for p in ps),
            b_higher=sum(p["rel_b_minus_a"] > REL_TOL for p in ps),
            mean_starts_at_ref=float(np.mean([p["starts_at_ref"] for p in ps])),
            spectral_bad=sum(p["start_gaps"]["spectral"] > REL_TOL for p in ps),
        )
    return dict(
        n_fits=len(fits),
        n_bad_a=sum(p["gap_a"] > REL_TOL for _, p in fits),
        n_bad_b=sum(p["gap_b"] > REL_TOL for _, p in fits),
        gap_bands_a=bands("gap_a"), gap_bands_b=bands("gap_b"),
        n_bad_a_after_polish=polished_bad("a"), n_bad_b_after_polish=polished_bad("b"),
        worst_a=worst("gap_a", "dW_a", "dWx_a"), worst_b=worst("gap_b", "dW_b", "dWx_b"),
        n_reps_b_differs=len(diff_reps), reps_b_differs=diff_reps,
        n_fits_b_lower=sum(p["rel_b_minus_a"] < -REL_TOL for _, p in fits),
        n_fits_b_higher=sum(p["rel_b_minus_a"] > REL_TOL for _, p in fits),
        max_abs_rel_b_minus_a=max(abs(p["rel_b_minus_a"]) for _, p in fits),
        mean_wall_a=float(np.mean([r["wall_a"] for r in reps])),
        mean_wall_b=float(np.mean([r["wall_b"] for r in reps])),
        mean_fit_seconds_a=float(np.mean([r["fit_seconds_a"] for r in reps])),
        mean_fit_seconds_b=float(np.mean([r["fit_seconds_b"] for r in reps])),
        mean_wall_reference=float(np.mean([r["wall_reference"] for r in reps])),
        all_replays_identical=all(r["replay_identical"] for r in reps),
        spectral_equals_b_at_largest_n=all(r["per_n"][0]["spectral_equals_b"] for r in reps),
        by_n=by_n,
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--random", type=int, default=8)
    ap.add_argument("--settings", nargs="+", default=["T1", "T2", "T3", "T4"])
    ap.add_argument("--out", default="benchmarks/results/tucker_starts.json")
    args = ap.parse_args()
    threadpool_limits(1)
    t0, c0 = time.perf_counter(), time.process_time()
    result = dict(tensorcnn_file=tensorcnn.__file__, seed=0, rel_tol=REL_TOL,
                  first_starts=FIRST_STARTS, n_random=args.random, reps=args.reps,
                  python=platform.python_version(), numpy=np.__version__, settings={})
    for name in args.settings:
        result["settings"][name] = study_setting(name, args.reps, args.random,
                                                 log=lambda s: print(s, flush=True))
        result["wall_seconds"] = time.perf_counter() - t0
        result["cpu_seconds"] = time.process_time() - c0
        with open(args.out, "w") as fh:            # checkpoint after every setting
            json.dump(result, fh, indent=1)
        print(name, json.dumps({k: v for k, v in result["settings"][name]["summary"].items()
                                if k != "by_n"}, indent=1), flush=True)
    print(f"total wall {time.perf_counter() - t0:.0f}s cpu {time.process_time() - c0:.0f}s")


if __name__ == "__main__":
    main()
