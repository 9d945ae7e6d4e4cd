"""Solver speed of tensorcnn.sparsity, as ratios against a baseline timed in the same run.

* multinomial group lasso: our FISTA vs cvxpy + Clarabel (if installed) on the same problem;
* squared group lasso: scikit-learn's MultiTaskLasso (what ``group_lasso`` uses) vs our
  generic FISTA with the quadratic data fit;
* ShrinkNet (p = 2) one solve vs one group-lasso solve at a lam with similar sparsity.

Writes ``benchmarks/results/bench_sparsity.json``. Times are medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from tensorcnn.sparsity import (
    GroupL2,
    Quadratic,
    fista,
    group_lasso,
    group_lasso_lambda_max,
    group_lasso_objective,
    shrinknet,
)
from tensorcnn.sparsity.datasets import make_group_sparse_regression


def median_time(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "bench_sparsity.json")
    args = parser.parse_args(argv)
    rows = []
    X, Y, _ = make_group_sparse_regression(500, 50, 8, 8, rng=0)
    lam = 0.1 * group_lasso_lambda_max(X, Y)
    t_sk, W_sk = median_time(lambda: group_lasso(X, Y, lam), args.repeat)
    datafit = Quadratic(Y)

    def ours():
        return fista(lambda W: (datafit.value(X @ W), X.T @ datafit.value_grad(X @ W)[1]),
                     lambda W: datafit.value(X @ W), GroupL2(lam), np.zeros((50, 8)),
                     np.linalg.norm(X, 2) ** 2 / 500, tol=1e-10).W

    t_fi, W_fi = median_time(ours, args.repeat)
    rows.append(dict(problem="squared group lasso 500x50x8", baseline="sklearn MultiTaskLasso",
                     baseline_s=t_sk, candidate="FISTA (ours)", candidate_s=t_fi,
                     ratio=t_fi / t_sk,
                     objective_rel_diff=abs(group_lasso_objective(X, Y, W_fi, lam)
                                            - group_lasso_objective(X, Y, W_sk, lam))
                     / group_lasso_objective(X, Y, W_sk, lam)))
    Xm, y, _ = make_group_sparse_regression(300, 20, 4, 5, noise=0.5, loss="multinomial",
                                            rng=1)
    Ym = np.eye(4)[y]
    lam_m = 0.1 * group_lasso_lambda_max(Xm, Ym, "multinomial")
    t_ours, W_ours = median_time(lambda: group_lasso(Xm, Ym, lam_m, "multinomial"),
                                 args.repeat)
    try:
        import cvxpy as cp

        def reference():
            W = cp.Variable((20, 4))
            Z = Xm @ W
            fit = (cp.sum(cp.log_sum_exp(Z, axis=1)) - cp.sum(cp.multiply(Ym, Z))) / 300
            cp.Problem(cp.Minimize(fit + lam_m * cp.sum(cp.norm(W, 2, axis=1)))).solve(
                solver=cp.CLARABEL)
            return W.value

        t_ref, W_ref = median_time(reference, args.repeat)
        rows.append(dict(problem="multinomial group lasso 300x20x4",
                         baseline="cvxpy + Clarabel", baseline_s=t_ref,
                         candidate="FISTA (ours)", candidate_s=t_ours, ratio=t_ours / t_ref,
                         objective_rel_diff=abs(
                             group_lasso_objective(Xm, Ym, W_ours, lam_m, "multinomial")
                             - group_lasso_objective(Xm, Ym, W_ref, lam_m, "multinomial"))
                         / group_lasso_objective(Xm, Ym, W_ref, lam_m, "multinomial")))
    except ImportError:
        rows.append(dict(problem="multinomial group lasso 300x20x4", baseline=None,
                         candidate="FISTA (ours)", candidate_s=t_ours))
    t_sn, _ = median_time(lambda: shrinknet(X, Y, 0.5 * lam, 0.01), args.repeat)
    rows.append(dict(problem="ShrinkNet p=2 500x50x8", baseline="group lasso (sklearn)",
                     baseline_s=t_sk, candidate="ShrinkNet BCD (ours)", candidate_s=t_sn,
                     ratio=t_sn / t_sk))
    result = dict(machine=platform.platform(), python=platform.python_version(),
                  repeat=args.repeat, rows=rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    for row in rows:
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
