r"""The two proximal maps of the package's sparsity penalties, on numpy or torch arrays.

One home for the soft thresholds used by the convex solvers (:mod:`tensorcnn.sparsity`,
numpy) and by SplitLBI (:mod:`tensorcnn.optim`, torch): array methods only, so that the
same lines run on both backends (and on any torch device).

* Elementwise: Prox_{t‖·‖₁}(x) = sign(x) max(|x| − t, 0) = x − clip(x, −t, t).
* Group: Prox_{Σ_g t_g ‖·‖₂}(V)_g = max(0, 1 − t_g / ‖V_g‖₂) V_g (zero for a zero group).
"""

from __future__ import annotations

from typing import Any

from ._validation import check_positive

__all__ = ["group_shrinkage", "soft_threshold"]


def soft_threshold(x: Any, threshold: Any) -> Any:
    """sign(x) · max(|x| − t, 0), elementwise; ``threshold`` ≥ 0 broadcasts against x."""
    return x - x.clip(-threshold, threshold)


def group_shrinkage(norms: Any, threshold: Any, tiny: float) -> Any:
    """The factors max(0, 1 − t_g / ‖V_g‖₂) that scale each group V_g.

    Parameters
    ----------
    norms : array of shape (n_groups, 1) or (n_groups,)
        ‖V_g‖₂, computed by the caller (the backend's own norm: overflow-safe).
    threshold : float or array broadcasting against ``norms``
        t_g ≥ 0.
    tiny : float
        A positive floor for the norms (the dtype's smallest normal): a zero group then
        gets the factor 0 for any t ≥ 0, never 0/0.
    """
    check_positive(tiny, "tiny")
    return (1 - threshold / norms.clip(min=tiny)).clip(min=0)
