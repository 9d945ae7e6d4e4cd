"""Sparse-training optimizers: β-lasso (001 Alg. 1) and SplitLBI (004 Eq. (4), (12)-(14)).

Both are ``torch.optim.Optimizer`` subclasses with per-parameter-group hyper-parameters.
See ``docs/optim.md`` for the map from the papers' equations to this code.
"""

from .beta_lasso import BetaLasso
from .grouping import param_groups_by_kind
from .masks import apply_masks_, keep_masks
from .penalties import PENALTIES, GroupLasso, Lasso, group_view
from .splitlbi import SplitLBI

__all__ = ["BetaLasso", "SplitLBI", "GroupLasso", "Lasso", "PENALTIES", "group_view",
           "apply_masks_", "keep_masks", "param_groups_by_kind"]
