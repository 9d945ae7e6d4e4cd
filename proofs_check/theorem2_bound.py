"""003 Theorem 2: errors of Tucker- and CP-compressed CNN fits stay under the bound.

The paper's Theorem 2 settings T1–T4 have rank-deficient positioning factors (c_u = 0,
Assumption 3 fails; docs/interpretations.md), where the bound is vacuous. This check uses
geometries that satisfy Assumption 3 — the S3/S4 geometry (8, 8, 3), kernel (3, 3, 3),
pooling (3, 3, 1), K = 3 — with a Tucker stacked kernel of ranks (2, 2, 2, 2) and a CP one
of rank 2 (orthonormal factors, standard normal core/weights, noise N(0, 1), iid N(0, 1)
inputs). For n on the Fig. 3 grid (√(d_M/n) from 0.15 to 0.60), every fit's ‖Ŵ − W*‖_F
must lie under (16σ√α_RSM/α_RSC)(√(c_N d_M/n) + √(1/n)) with d_M = d_M^TU or d_M^CP,
c_N = 2^{N+1} log(N + 2) and the constants of ``tensorcnn.bounds``.
"""

from __future__ import annotations

import sys

import numpy as np
from _report import report

CHECK = {
    "result": "Theorem 2: Tucker/CP-compressed CNN errors under the bound",
    "paper": "003",
    "section": "§3 Theorem 2",
    "tolerance": "every fit (reduced sweep)",
}


def run_check(reps: int = 5, n_points: int = 4, seed: int = 0) -> tuple[list[str], list[str]]:
    """Return (failures, report lines)."""
    from tensorcnn import CNNSpec
    from tensorcnn.bounds import bound_constants, error_bound
    from tensorcnn.compressed import (
        cp_n_params,
        random_cp_stack,
        random_tucker_stack,
        tucker_n_params,
        unstack_kernels,
    )
    from tensorcnn.estimators import CPRegressor, TuckerRegressor

    spec = CNNSpec((8, 8, 3), (3, 3, 3), (3, 3, 1), n_kernels=3)
    constants = bound_constants(spec, None, compressed=True)
    rng = np.random.default_rng(seed)
    models = {
        "Tucker (2,2,2,2)": (tucker_n_params(spec.kernel_shape, spec.pooled_shape, (2, 2, 2, 2)),
                             lambda r: random_tucker_stack(spec.kernel_shape, 3, (2, 2, 2, 2),
                                                           rng=r),
                             lambda: TuckerRegressor(spec, (2, 2, 2, 2), rng=seed)),
        "CP rank 2": (cp_n_params(spec.kernel_shape, spec.pooled_shape, 2),
                      lambda r: random_cp_stack(spec.kernel_shape, 3, 2, rng=r),
                      lambda: CPRegressor(spec, 2, rng=seed)),
    }
    failures, lines = [], []
    if not constants.defined:
        return [f"Assumption 3 fails on the check's geometry: {constants.reason}"], lines
    for name, (d_M, draw_stack, make_estimator) in models.items():
        ratios = np.linspace(0.15, 0.60, n_points)
        sizes = np.ceil(d_M / ratios**2).astype(int)
        worst = 0.0
        for n in sizes:
            bound = float(error_bound(constants, d_M, np.array([n]), noise_sd=1.0)[0])
            for _ in range(reps):
                A = np.asarray(unstack_kernels(draw_stack(rng)))
                B = rng.standard_normal((3, *spec.pooled_shape))
                X = rng.standard_normal((n, *spec.input_shape))
                y = spec.forward(X, A, B) + rng.standard_normal(n)
                estimate = make_estimator().fit(X, y)
                error = float(np.linalg.norm(estimate.W_ - spec.weight(A, B)))
                worst = max(worst, error / bound)
                if not error <= bound:
                    failures.append(f"{name}, n={n}: error {error:.3g} > bound {bound:.3g}")
        lines.append(f"{name}: d_M = {d_M}, n in [{sizes.min()}, {sizes.max()}], "
                     f"{reps * n_points} fits, largest error / bound = {worst:.2e}")
    lines.insert(0, f"c_u = {constants.c_u:.2e}, C_u = {constants.C_u:.3f}, "
                    f"c_N = {constants.complexity_factor:.2f} (iid N(0, 1): c_x = C_x = 1)")
    return failures, lines


def main() -> int:
    failures, lines = run_check()
    return report(failures, (
        "Tucker/CP-compressed CNNs on the (8, 8, 3) / (3, 3, 3) / (3, 3, 1), K = 3 geometry "
        "(Assumption 3 holds), 5 fits at each of 4 sizes on the Fig. 3 grid:"),
        ["  " + line for line in lines], unit="fits")


if __name__ == "__main__":
    sys.exit(main())
