"""003 Lemma 2: restricted strong convexity and smoothness of the empirical norm.

For iid N(0, I) inputs (c_x = C_x = 1) and the settings S1–S4, κ_L = c_u and κ_U = C_u
(Assumption 3, from ``CNNSpec.rip_constants``). Over random directions Δ ∈ S_2K, the
empirical norm (1/n) Σ_i ⟨Z_i, Δ⟩² / ‖Δ‖²_F should lie in [α_RSC, α_RSM] =
[κ_L/2, 3κ_U/2] once n ≳ (κ_U/κ_L)² d_M. Reports the frequency for n = c·d_M,
c ∈ {1, 2, 5, 10, 20, 50}, and requires it to be 1 at n = 50 d_M (the lemma's regime).
"""

from __future__ import annotations

import sys

import numpy as np
from _report import report

CHECK = {
    "result": "Lemma 2: empirical norm in [alpha_RSC, alpha_RSM] ||D||^2 (random directions)",
    "paper": "003",
    "section": "App. A.3.4 Lemma 2",
    "tolerance": "frequency 1.0 at n = 50 d_M",
}
SETTINGS = {
    "S1": ((7, 5, 7), (2, 2, 2), (3, 2, 3), 1),
    "S2": ((7, 5, 7), (2, 2, 2), (3, 2, 3), 3),
    "S3": ((8, 8, 3), (3, 3, 3), (3, 3, 1), 1),
    "S4": ((8, 8, 3), (3, 3, 3), (3, 3, 1), 3),
}
MULTIPLIERS = (1, 2, 5, 10, 20, 50)


def restricted_frequencies(spec, n_directions: int, rng, interval=None) -> dict[int, tuple]:
    """Per c: (share of random Δ ∈ S_2K with empirical norm in [κ_L/2, 3κ_U/2] ‖Δ‖²,
    smallest ratio empirical / α_RSC, largest ratio empirical / α_RSM)."""
    from tensorcnn.tenalg import kron_sum

    c_u, C_u = spec.rip_constants()
    low, high = interval if interval is not None else (c_u / 2, 3 * C_u / 2)
    K = spec.n_kernels
    directions = np.stack([
        kron_sum(rng.standard_normal((2 * K, *spec.pooled_shape)),
                 rng.standard_normal((2 * K, *spec.kernel_shape))).ravel()
        for _ in range(n_directions)])
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    frequencies = {}
    for multiplier in MULTIPLIERS:
        n = multiplier * spec.n_params
        Z = spec.design(rng.standard_normal((n, *spec.input_shape))).reshape(n, -1)
        empirical = np.mean((Z @ directions.T) ** 2, axis=0)
        frequencies[multiplier] = (float(np.mean((empirical >= low) & (empirical <= high))),
                                   float(empirical.min() / low), float(empirical.max() / high))
    return frequencies


def run_check(n_directions: int = 400, seed: int = 0, interval=None) -> tuple[list[str], dict]:
    from tensorcnn import CNNSpec

    rng = np.random.default_rng(seed)
    failures, table = [], {}
    for name, (d, l, q, K) in SETTINGS.items():
        spec = CNNSpec(d, l, q, K)
        table[name] = restricted_frequencies(spec, n_directions, rng, interval)
        if table[name][MULTIPLIERS[-1]][0] < 1.0:
            failures.append(f"{name}: frequency {table[name][MULTIPLIERS[-1]][0]:.3f} < 1 "
                            f"at n = {MULTIPLIERS[-1]} d_M")
    return failures, table


def main() -> int:
    failures, table = run_check()
    lines = ["cells: frequency (min empirical / alpha_RSC, max empirical / alpha_RSM)",
             "setting " + "".join(f"{f'n={c}d_M':>22}" for c in MULTIPLIERS)]
    lines += [f"{name:<8}" + "".join(f"{row[c][0]:>8.3f} ({row[c][1]:5.1f}, {row[c][2]:4.2f})"
                                     for c in MULTIPLIERS) for name, row in table.items()]
    return report(failures, (
        "Share of 400 random unit directions in S_2K with (1/n) sum <Z_i, D>^2 in "
        "[kappa_L/2, 3 kappa_U/2] (iid N(0,1) inputs):"), lines, limit=None, unit="settings")


if __name__ == "__main__":
    sys.exit(main())
