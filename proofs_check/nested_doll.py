"""003 §2.4, Eq. (7), App. A.2: the "nested doll" form of conv → pool → … → FC networks.

Checks, on random 2- and 3-stage networks (N = 1..3, channels 1..3 per stage, per-stage
stride, padding and pooling), that torch's multi-stage network with linear activations
equals ⟨X, (Σ_paths B ⊗ A^(S) ⊗ ⋯ ⊗ A^(1)) ×_j U_DF^(j)⟩, and that the single-channel
two-stage core is exactly B ⊗ Ã ⊗ A as printed in Eq. (7).
"""

from __future__ import annotations

import sys

import numpy as np
from _report import report

from tensorcnn.cnn import network_forward

CHECK = {
    "result": "Nested-doll form of deeper CNNs equals the network",
    "paper": "003",
    "section": "§2.4, Eq. (7), App. A.2",
    "tolerance": "1e-10 relative",
}
TOLERANCE = 1e-10


def random_deep_spec(rng: np.random.Generator, n_modes: int, n_stages: int):
    from tensorcnn import ConvPoolStage, DeepCNNSpec

    while True:
        shape = rng.integers(10, 16, n_modes)
        d0, stages = tuple(shape), []
        for _ in range(n_stages):
            l = rng.integers(1, 4, n_modes)
            stride = rng.integers(1, 3, n_modes)
            padding = rng.integers(0, 2, n_modes)
            m = (shape + 2 * padding - l) // stride + 1
            if (m < 1).any():
                break
            q = np.array([rng.integers(1, min(mj, 2) + 1) for mj in m])
            pool_stride = np.array([rng.integers(1, qj + 1) for qj in q])
            stages.append(ConvPoolStage(tuple(l), tuple(q), int(rng.integers(1, 4)),
                                        tuple(stride), tuple(padding), tuple(pool_stride)))
            shape = (m - q) // pool_stride + 1
        if len(stages) == n_stages:
            return DeepCNNSpec(d0, stages)


def run_check(n_configs: int = 120, seed: int = 0) -> list[str]:
    """Return a list of failure descriptions (empty when the result holds)."""
    from tensorcnn import ConvPoolStage, DeepCNNSpec

    rng = np.random.default_rng(seed)
    failures = []
    for index in range(n_configs):
        spec = random_deep_spec(rng, 1 + index % 3, 2 + index % 2)
        kernels = [rng.standard_normal(shape) for shape in spec.kernel_shapes]
        B = rng.standard_normal(spec.fc_shape)
        X = rng.standard_normal((4, *spec.input_shape))
        reference = network_forward(spec, X, kernels, B).numpy()
        scale = max(1.0, float(np.abs(reference).max()))
        error = float(np.abs(spec.forward(X, kernels, B) - reference).max()) / scale
        if not error <= TOLERANCE:
            failures.append(f"{spec}: differs by {error:.2e}")
    # Eq. (7) literally: one channel per stage, core B ⊗ Ã ⊗ A (np.kron: left slow).
    spec = DeepCNNSpec((9, 8), [ConvPoolStage((2, 3), (2, 2)), ConvPoolStage((2, 1), (1, 2))])
    A, A2 = rng.standard_normal((1, 1, 2, 3)), rng.standard_normal((1, 1, 2, 1))
    B = rng.standard_normal(spec.fc_shape)
    core = np.kron(np.kron(B[0], A2[0, 0]), A[0, 0])
    if not np.allclose(spec.weight([A, A2], B), core, rtol=0, atol=TOLERANCE):
        failures.append("single-channel core is not B ⊗ Ã ⊗ A")
    return failures


def main() -> int:
    failures = run_check()
    return report(failures, (
        "Checked 120 random 2- and 3-stage CNNs (N = 1..3, 1-3 channels per stage, "
        "per-stage stride/padding/pooling) against torch, and the core B ⊗ Ã ⊗ A of "
        f"Eq. (7); tolerance {TOLERANCE:g} relative."))


if __name__ == "__main__":
    sys.exit(main())
