"""Numerical check of Corollary 1 of 003 (a) Tucker and (b) CP.

For random compressed stacked kernels A_stack ∈ R^{l_1×⋯×l_N×K} with K > R, the reduced
network of :func:`tensorcnn.compressed.equivalent_kernels` (R kernels) must have the same
composite weight W_X as the original (K kernels), and the same outputs on random inputs
when both are run by torch's own conv/avg-pool/FC. Exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _report import report

from tensorcnn import CNNSpec
from tensorcnn.cnn import network_forward
from tensorcnn.compressed import (
    equivalent_kernels,
    random_cp_stack,
    random_tucker_stack,
    stacked_rank,
    unstack_kernels,
)

CHECK = {
    "result": "Corollary 1 (a) Tucker, (b) CP: K kernels equal R kernels",
    "paper": "003",
    "section": "§3, Corollary 1, App. A.3.3",
    "tolerance": "1e-10 relative",
}
TOLERANCE = 1e-10

# (input, kernel, pooling window, K, Tucker ranks or CP rank): the Theorem 2 settings of
# 003 Table 1 restricted to 3 modes, and the CP K-efficiency setting of App. A.5.1 shrunk.
CASES = [
    ("tucker", (10, 10, 8), (5, 5, 3), (3, 3, 3), 3, (2, 2, 2, 1)),
    ("tucker", (12, 12, 6), (7, 7, 3), (3, 3, 2), 5, (2, 3, 2, 2)),
    ("tucker", (9, 7), (3, 2), (2, 3), 8, (3, 2, 4)),
    ("cp", (10, 10, 8), (6, 6, 8), (5, 5, 1), 16, 6),
    ("cp", (7, 5, 7), (2, 2, 2), (3, 2, 3), 6, 2),
    ("cp", (10, 9), (3, 3), (2, 2), 12, 5),
]


def check(kind, input_shape, kernel_shape, pool_shape, n_kernels, ranks, rng):
    if kind == "tucker":
        stacked = random_tucker_stack(kernel_shape, n_kernels, ranks, rng)
    else:
        stacked = random_cp_stack(kernel_shape, n_kernels, ranks, rng,
                                  orthonormal=ranks <= min(*kernel_shape, n_kernels))
    spec = CNNSpec(input_shape, kernel_shape, pool_shape, n_kernels)
    B = rng.standard_normal((n_kernels, *spec.pooled_shape))
    A = unstack_kernels(stacked)
    A_tilde, B_tilde = equivalent_kernels(stacked, B)
    R = stacked_rank(stacked)
    reduced = CNNSpec(input_shape, kernel_shape, pool_shape, R)
    W_X = spec.composite_weight(A, B)
    weight_gap = float(np.abs(reduced.composite_weight(A_tilde, B_tilde) - W_X).max())
    X = rng.standard_normal((16, *input_shape))
    y = network_forward(spec, X, A, B).numpy()
    output_gap = float(np.abs(network_forward(reduced, X, A_tilde, B_tilde).numpy() - y).max())
    scale = max(1.0, float(np.abs(W_X).max()), float(np.abs(y).max()))
    ok = max(weight_gap, output_gap) <= TOLERANCE * scale and A_tilde.shape[0] == R < n_kernels
    return ok, (f"{kind:<7}{str(input_shape):<15}{str(kernel_shape):<12}K={n_kernels:<3}"
                f"R={R:<3}max|ΔW_X|={weight_gap:.1e}  max|Δy|={output_gap:.1e}  "
                + ("ok" if ok else "FAILED"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--part", choices=["a", "b", "both"], default="both",
                        help="(a) Tucker, (b) CP, or both (default)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    kinds = {"a": ["tucker"], "b": ["cp"], "both": ["tucker", "cp"]}[args.part]
    failures, lines = [], []
    for case in CASES:
        if case[0] in kinds:
            ok, line = check(*case, rng=rng)
            lines.append(line)
            if not ok:
                failures.append(f"({'a' if case[0] == 'tucker' else 'b'}) {line}")
    return report(failures, "Corollary 1 of 003: a K-kernel Tucker/CP-compressed CNN equals "
                  f"its R-kernel reduction (tolerance {TOLERANCE:g} x scale, float64)", lines)

if __name__ == "__main__":
    sys.exit(main())
