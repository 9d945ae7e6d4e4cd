r"""Sparsity penalties Ω_λ of SplitLBI and their proximal maps (Eq. (5) of 004).

A penalty is a small object with ``prox(V, lam)`` returning Prox_{Ω_λ}(V) =
argmin_Γ ½‖Γ − V‖² + Ω_λ(Γ) for one parameter tensor, and ``groups(t)`` viewing a tensor of
the parameter's shape as (n_groups, group_size). ``PENALTIES`` maps the names accepted by
:class:`~tensorcnn.optim.SplitLBI` to these objects; a new penalty is a new small class.

Groups are the slices along the first axis: one group per output channel of a conv1d/2d/3d
weight (C_out, C_in, *kernel), one per row (output unit) of a linear weight (out, in, ...)
of any shape; for a 1-D tensor every entry is its own group and a 0-D tensor is one group.
"""

from __future__ import annotations

import math

import torch

from .._prox import group_shrinkage, soft_threshold
from .._validation import check_bool

__all__ = ["GroupLasso", "Lasso", "PENALTIES", "group_view"]


def group_view(t: torch.Tensor) -> torch.Tensor:
    """View ``t`` as (n_groups, group_size): groups are slices along the first axis."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"t must be a torch.Tensor, got {type(t).__name__}")
    if t.dim() == 0:
        return t.reshape(1, 1)
    return t.reshape(t.shape[0], -1)


class Lasso:
    r"""Ω_λ(Γ) = λ‖Γ‖_1; prox is the elementwise soft threshold sign(V) max(|V| − λ, 0)."""

    name = "lasso"

    def prox(self, V: torch.Tensor, lam: float) -> torch.Tensor:
        return soft_threshold(V, lam)

    def groups(self, t: torch.Tensor) -> torch.Tensor:
        return t.reshape(-1, 1)


class GroupLasso:
    r"""Ω_λ(Γ) = Σ_g λ_g ‖Γ_g‖_2 over the slices Γ_g along the first axis (004 §2).

    The prox (Eq. (4c) of 004 without the factor κ) is
    Prox(V)_g = max(0, 1 − λ_g / ‖V_g‖_2) V_g, with λ_g = λ, or λ √|g| when
    ``scale_by_size`` (the size-weighted group lasso of Yuan & Lin, cited by 004).

    Parameters
    ----------
    scale_by_size : bool, default False
        Multiply λ by the square root of the group size |g|.
    """

    name = "group"

    def __init__(self, scale_by_size: bool = False) -> None:
        self.scale_by_size = check_bool(scale_by_size, "scale_by_size")

    def prox(self, V: torch.Tensor, lam: float) -> torch.Tensor:
        rows = group_view(V)
        if self.scale_by_size:
            lam = lam * math.sqrt(rows.shape[1])
        norms = torch.linalg.vector_norm(rows, dim=1, keepdim=True)
        return (rows * group_shrinkage(norms, lam, torch.finfo(V.dtype).tiny)).reshape(V.shape)

    def groups(self, t: torch.Tensor) -> torch.Tensor:
        return group_view(t)


PENALTIES = {"group": GroupLasso, "lasso": Lasso}
