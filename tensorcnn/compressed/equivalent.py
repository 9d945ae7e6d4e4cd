r"""Corollary 1 of 003: a compressed CNN with K kernels equals one with R kernels.

(a) Tucker, A_stack = G ×_1 H^(1) ⋯ ×_{N+1} H^(N+1) with ranks (R_1, …, R_{N+1}):

.. math::
    \sum_{k=1}^K B_k \otimes A_k = \sum_{r=1}^{R_{N+1}} \tilde B_r \otimes \tilde A_r,\quad
    \tilde A_r = G[…, r] \times_1 H^{(1)} \cdots \times_N H^{(N)},\quad
    \tilde B_r = \sum_k H^{(N+1)}[k, r] B_k.

(b) CP, A_stack = Σ_r w_r h_r^(1) ∘ ⋯ ∘ h_r^(N+1): Ã_r = w_r h_r^(1) ∘ ⋯ ∘ h_r^(N) and
B̃_r = Σ_k h_r^(N+1)[k] B_k (proof in 003 App. A.3.3).

Because the positioning factors U_F^(j) act on W = Σ_k B_k ⊗ A_k linearly, the composite
weight W_X, hence every output of the network with linear activations, is unchanged.
"""

from __future__ import annotations

from typing import Any

import tensorly as tl
from tensorly.cp_tensor import CPTensor
from tensorly.tucker_tensor import TuckerTensor

from .._backend import as_array, on_backend_of
from .kernels import check_stacked

__all__ = ["equivalent_kernels"]


def equivalent_kernels(stacked: TuckerTensor | CPTensor, B: Any) -> tuple[Any, Any]:
    """The R kernels and FC weights equivalent to a compressed CNN (Corollary 1 of 003).

    Parameters
    ----------
    stacked : TuckerTensor or CPTensor
        A_stack of shape (l_1, …, l_N, K): Tucker ranks (R_1, …, R_{N+1}) or CP rank R.
    B : array of shape (K, p_1, …, p_N)
        The FC weights B_k.

    Returns
    -------
    A_tilde : array of shape (R, l_1, …, l_N)
        R = R_{N+1} (Tucker) or the CP rank. Tucker: each Ã_r has Tucker ranks at most
        (R_1, …, R_N). CP: each Ã_r = w_r h_r^(1) ∘ ⋯ ∘ h_r^(N) is rank one (the paper
        says "CP form with rank R"; rank one is the exact statement).
    B_tilde : array of shape (R, p_1, …, p_N)
        B̃ = B ×_1 H^(N+1)ᵀ.

    Both are on the backend of the factors; Σ_r B̃_r ⊗ Ã_r = Σ_k B_k ⊗ A_k exactly.

    Raises
    ------
    TypeError
        If ``stacked`` is not a TuckerTensor or CPTensor.
    ValueError
        If B does not have K rows.
    """
    stacked = check_stacked(stacked)
    factors = list(stacked.factors)
    kernel_factor = factors[-1]
    n_kernels = tuple(kernel_factor.shape)[0]
    B = as_array(B, "B", reference=kernel_factor)
    if len(B.shape) < 2 or tuple(B.shape)[0] != n_kernels:
        raise ValueError(
            f"B must have shape (K, p_1, ..., p_N) with K = {n_kernels} (the last mode of "
            f"stacked), got {tuple(B.shape)}"
        )
    with on_backend_of(kernel_factor):
        B_tilde = tl.tenalg.mode_dot(B, tl.transpose(kernel_factor), 0)
        if isinstance(stacked, TuckerTensor):
            n_modes = len(factors) - 1
            # G ×_1 H^(1) ⋯ ×_N H^(N): the (N+1)-th mode stays the new kernel index r.
            A_tilde = tl.tenalg.multi_mode_dot(stacked.core, factors[:-1],
                                               modes=list(range(n_modes)))
            A_tilde = tl.moveaxis(A_tilde, -1, 0)
        else:
            rank = tuple(kernel_factor.shape)[1]
            # An identity factor in front keeps component r on its own slice r.
            identity = tl.eye(rank, **tl.context(kernel_factor))
            A_tilde = tl.cp_to_tensor(CPTensor((stacked.weights, [identity, *factors[:-1]])))
    return A_tilde, B_tilde
