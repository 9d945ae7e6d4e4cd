"""003 §2.2, Eq. (3)–(5): the Tucker-like form of a conv → avg-pool → FC network.

Checks, on random geometries (N = 1..3, strides, padding, overlapping pooling, K = 1..4),
that the network computed by torch's own conv/avg_pool/FC equals ⟨X, W_X⟩ with
W_X = (Σ_k B_k ⊗ A_k) ×_j U_F^(j), and equals ⟨Z, W⟩ with Z = X ×_j U_F^(j)ᵀ; and, for
N = 4 (no torch convolution), that ⟨X, W_X⟩ = ⟨Z, W⟩ = vec(X)ᵀ U_G vec(W).
"""

from __future__ import annotations

import sys

import numpy as np
from _report import report

from tensorcnn.cnn import network_forward

CHECK = {
    "result": "Tucker-like form of a CNN equals the network",
    "paper": "003",
    "section": "§2.2, Eq. (3)-(5)",
    "tolerance": "1e-10 relative",
}
TOLERANCE = 1e-10


def random_spec(rng: np.random.Generator, n_modes: int):
    from tensorcnn import CNNSpec

    while True:
        d = rng.integers(3, 9, n_modes)
        l = rng.integers(1, 4, n_modes)
        stride = rng.integers(1, 3, n_modes)
        padding = rng.integers(0, 2, n_modes)
        m = (d + 2 * padding - l) // stride + 1
        if (m < 1).any():
            continue
        q = np.array([rng.integers(1, mj + 1) for mj in m])
        pool_stride = np.array([rng.integers(1, qj + 1) for qj in q])
        return CNNSpec(tuple(d), tuple(l), tuple(q), int(rng.integers(1, 5)),
                       stride=tuple(stride), padding=tuple(padding),
                       pool_stride=tuple(pool_stride))


def run_check(n_configs: int = 200, seed: int = 0) -> list[str]:
    """Return a list of failure descriptions (empty when the result holds)."""
    rng = np.random.default_rng(seed)
    failures = []
    for index in range(n_configs):
        n_modes = 1 + index % 4
        spec = random_spec(rng, n_modes)
        A = rng.standard_normal((spec.n_kernels, *spec.kernel_shape))
        B = rng.standard_normal((spec.n_kernels, *spec.pooled_shape))
        X = rng.standard_normal((5, *spec.input_shape))
        y = spec.forward(X, A, B)
        via_design = spec.design(X).reshape(5, -1) @ spec.weight(A, B).ravel()
        candidates = {"<Z, W>": via_design}
        if n_modes <= 3:
            reference = network_forward(spec, X, A, B).numpy()
            candidates["<X, W_X>"] = y
        else:
            reference = y
            candidates["vec(X)' U_G vec(W)"] = (X.reshape(5, -1) @ spec.design_matrix()
                                                @ spec.weight(A, B).ravel())
        scale = max(1.0, float(np.abs(reference).max()))
        for name, value in candidates.items():
            error = float(np.abs(value - reference).max()) / scale
            if not error <= TOLERANCE:
                failures.append(f"{spec}: {name} differs by {error:.2e}")
    return failures


def main() -> int:
    failures = run_check()
    return report(failures, (
        "Checked 200 random CNN geometries (N = 1..4, stride, padding, overlapping pooling, "
        "K = 1..4): torch network = <X, W_X> = <Z, W> (N <= 3); <X, W_X> = <Z, W> = "
        f"vec(X)' U_G vec(W) (N = 4); tolerance {TOLERANCE:g} relative."))


if __name__ == "__main__":
    sys.exit(main())
