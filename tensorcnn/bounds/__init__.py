"""Constants and bound curves of Theorems 1–2 of 003 (§2.3, §3, App. A.3).

* :func:`input_bounds` — c_x, C_x of Assumption 1 (iid: eigenvalues of Σ; VAR(1): bounds of
  the spectral density on a frequency grid).
* :func:`design_bounds` — c_u, C_u of Assumption 3 from ``CNNSpec.rip_constants``.
* :func:`bound_constants`, :func:`error_bound` — κ_L, κ_U, α_RSC, α_RSM and the bound
  (16 σ √α_RSM / α_RSC)(√(c d_M / n) + √(δ / n)), or a reason why it is vacuous.
"""

from .theorems import (
    BoundConstants,
    bound_constants,
    design_bounds,
    error_bound,
    input_bounds,
    tucker_constant,
)

__all__ = [
    "BoundConstants",
    "bound_constants",
    "design_bounds",
    "error_bound",
    "input_bounds",
    "tucker_constant",
]
