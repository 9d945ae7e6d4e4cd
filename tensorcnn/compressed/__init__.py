"""Compressed CNNs: Tucker/CP stacked kernels, their model complexity and Corollary 1 (003 §3).

* :func:`random_tucker_stack`, :func:`random_cp_stack` — seeded stacked kernels
  A_stack ∈ R^{l_1×⋯×l_N×K} with orthonormal factors (003 §4.1, App. A.5.1).
* :func:`unstack_kernels`, :func:`compressed_composite_weight` — the kernels A_k and the
  composite weight W_X of the compressed CNN through :class:`~tensorcnn.cnn.CNNSpec`.
* :func:`tucker_n_params`, :func:`cp_n_params` — d_M^TU and d_M^CP (Theorem 2);
  :func:`cp_n_free_params` — the CP model's own free parameters.
* :func:`equivalent_kernels` — the R-kernel network of Corollary 1, and :func:`kr_ratio`.
"""

from .counts import (
    check_cp_rank,
    check_tucker_ranks,
    cp_n_free_params,
    cp_n_params,
    tucker_n_params,
)
from .equivalent import equivalent_kernels
from .kernels import (
    check_stacked,
    compressed_composite_weight,
    kr_ratio,
    orthonormal_columns,
    random_cp_stack,
    random_tucker_stack,
    stacked_rank,
    unstack_kernels,
)

__all__ = [
    "check_cp_rank",
    "check_stacked",
    "check_tucker_ranks",
    "compressed_composite_weight",
    "cp_n_free_params",
    "cp_n_params",
    "equivalent_kernels",
    "kr_ratio",
    "orthonormal_columns",
    "random_cp_stack",
    "random_tucker_stack",
    "stacked_rank",
    "tucker_n_params",
    "unstack_kernels",
]
