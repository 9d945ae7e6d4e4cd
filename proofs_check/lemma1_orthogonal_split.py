"""003 Lemma 1(a): a rank-2K element splits into two orthogonal rank-K parts (Fig. 6).

For Δ = Σ_{k=1}^{2K} B_k ⊗ A_k ∈ S_2K, the rearrangement T(Δ) = Σ_k vec(B_k) vec(A_k)ᵀ has
rank ≤ 2K; splitting its SVD into the top K and the next K singular triplets and folding
the singular vectors back into tensors gives W_1, W_2 ∈ S_K with Δ = W_1 + W_2 and
⟨W_1, W_2⟩ = 0. Checked on random shapes (N = 1..4, K = 1..4).
"""

from __future__ import annotations

import sys

import numpy as np
from _report import report

CHECK = {
    "result": "Lemma 1(a): S_2K element = two orthogonal S_K elements (SVD split)",
    "paper": "003",
    "section": "App. A.3.4 Lemma 1(a), Fig. 6",
    "tolerance": "1e-10 relative",
}
TOLERANCE = 1e-10


def svd_split(delta, pooled_shape, kernel_shape, K):
    """Fig. 6: fold the top-K and the next-K singular triplets of T(Δ) into W_1, W_2."""
    from tensorcnn.tenalg import kron_sum, kron_to_matrix

    theta = kron_to_matrix(delta, pooled_shape, kernel_shape)
    U, s, Vt = np.linalg.svd(theta, full_matrices=False)
    parts = []
    for block in (slice(0, K), slice(K, 2 * K)):
        B = U[:, block].T.reshape(-1, *pooled_shape)
        A = (s[block, None] * Vt[block]).reshape(-1, *kernel_shape)
        if B.shape[0] == 0:  # fewer than 2K singular values: the part is zero
            B, A = np.zeros((1, *pooled_shape)), np.zeros((1, *kernel_shape))
        parts.append(kron_sum(B, A))
    return parts


def run_check(split=svd_split, n_cases: int = 300, seed: int = 0) -> list[str]:
    """Return failure descriptions (empty when the lemma's construction works)."""
    from tensorcnn.tenalg import kron_sum, kron_to_matrix

    rng = np.random.default_rng(seed)
    failures = []
    for _ in range(n_cases):
        n_modes = int(rng.integers(1, 5))
        p = tuple(int(v) for v in rng.integers(1, 4, n_modes))
        l = tuple(int(v) for v in rng.integers(1, 4, n_modes))
        K = int(rng.integers(1, 5))
        B = rng.standard_normal((2 * K, *p))
        A = rng.standard_normal((2 * K, *l))
        delta = kron_sum(B, A)
        W1, W2 = split(delta, p, l, K)
        scale = np.linalg.norm(delta)
        problems = []
        if np.linalg.norm(W1 + W2 - delta) > TOLERANCE * scale:
            problems.append("W1 + W2 != Δ")
        if abs(np.sum(W1 * W2)) > TOLERANCE * scale**2:
            problems.append(f"<W1, W2> = {np.sum(W1 * W2):.2e} != 0")
        for name, W in (("W1", W1), ("W2", W2)):
            singular = np.linalg.svd(kron_to_matrix(W, p, l), compute_uv=False)
            if np.sum(singular > TOLERANCE * scale) > K:
                problems.append(f"{name} has Kronecker rank > K")
        if problems:
            failures.append(f"p={p}, l={l}, K={K}: " + "; ".join(problems))
    return failures


def main() -> int:
    failures = run_check()
    return report(failures, (
        "300 random Δ = Σ_{k<=2K} B_k ⊗ A_k (N = 1..4, K = 1..4): the SVD split of T(Δ) "
        f"gives W1 + W2 = Δ, <W1, W2> = 0, rank_T(W_i) <= K; tolerance {TOLERANCE:g}."))


if __name__ == "__main__":
    sys.exit(main())
