r"""The Switch layer of 002 §3.2 and the regularised ShrinkNet penalty (Eq. (2), (9)).

``Switch(I; theta) = diag(theta) I`` (Eq. (1)): theta in R^C multiplies the feature/channel
axis (axis 1) of an input of shape (B, C, D_1, ..., D_n), n >= 0.

We implement the paper's signed theta (Eq. (1), SPEC §7). The authors' released code
multiplies by relu(theta); ``rectify=True`` gives that variant (then theta_j <= 0 kills the
neuron, the sign-flip symmetry of Prop. A.4 is lost, and the switch commutes with
positively homogeneous non-linearities such as ReLU).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from .._validation import as_generator, check_bool, check_nonnegative
from ._validation import check_p

__all__ = ["Switch", "shrinknet_penalty", "switches"]


class Switch(nn.Module):
    r"""diag(theta) along axis 1 (Eq. (1) of 002), with a mask of killed neurons.

    Parameters
    ----------
    num_features : int
        C, the size of axis 1 of the input.
    init : "normal" | "ones"
        theta ~ N(0, 1) as in 002 §3.3 (drawn with ``rng``), or all ones (the identity).
    rng : numpy Generator or int seed, for ``init="normal"``.
    rectify : bool
        Multiply by relu(theta) (the authors' code) instead of theta.

    Attributes
    ----------
    theta : Parameter, shape (C,)
    alive : bool buffer, shape (C,) — False for killed neurons; the effective multiplier
        is ``theta * alive`` (``relu(theta) * alive`` when rectified), so a killed neuron
        stays dead whatever the optimizer does to theta.
    """

    def __init__(self, num_features: int, init: str = "normal", rng: Any = None,
                 rectify: bool = False, dtype: torch.dtype | None = None,
                 device: Any = None):
        super().__init__()
        if not isinstance(num_features, int | np.integer) or num_features < 1:
            raise ValueError(f"num_features must be a positive integer, got {num_features!r}")
        rectify = check_bool(rectify, "rectify")
        if init == "normal":
            values = as_generator(rng).standard_normal(int(num_features))
        elif init == "ones":
            values = np.ones(int(num_features))
        else:
            raise ValueError(f"init must be 'normal' or 'ones', got {init!r}")
        dtype = dtype or torch.get_default_dtype()
        self.num_features = int(num_features)
        self.rectify = rectify
        self.theta = nn.Parameter(torch.as_tensor(values, dtype=dtype, device=device))
        self.register_buffer("alive", torch.ones(self.num_features, dtype=torch.bool,
                                                 device=device))

    def multiplier(self) -> torch.Tensor:
        """The effective switch values, shape (C,)."""
        theta = torch.relu(self.theta) if self.rectify else self.theta
        return theta * self.alive.to(theta.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2 or x.shape[1] != self.num_features:
            raise ValueError(f"Switch expects input (B, {self.num_features}, ...), got shape "
                             f"{tuple(x.shape)}")
        return x * self.multiplier().view(1, -1, *([1] * (x.dim() - 2)))

    @torch.no_grad()
    def kill(self, mask: torch.Tensor) -> int:
        """Kill the neurons where ``mask`` is True: theta_j = 0 and alive_j = False.

        Returns the number of neurons newly killed."""
        mask = torch.as_tensor(mask, dtype=torch.bool, device=self.alive.device)
        new = mask & self.alive
        self.theta[new] = 0.0
        self.alive &= ~mask
        return int(new.sum())

    @property
    def n_alive(self) -> int:
        return int(self.alive.sum())

    def extra_repr(self) -> str:
        return f"{self.num_features}, alive={self.n_alive}" + (", rectify" if self.rectify
                                                                else "")


def _check_model(model: Any) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def switches(model: nn.Module) -> list[tuple[str, Switch]]:
    """All Switch layers of ``model`` with their qualified names."""
    _check_model(model)
    return [(name, m) for name, m in model.named_modules() if isinstance(m, Switch)]


def shrinknet_penalty(model: nn.Module, lam: float, lam2: float = 0.0,
                      p: float = 2) -> torch.Tensor:
    r"""The regularised ShrinkNet penalty (Eq. (2), (9) of 002).

    .. math:: \Omega^{rs}_{\lambda,\lambda_2,p} = \lambda \sum_{\text{switches}}
              \lVert \theta \rVert_1 + \lambda_2 \sum_{W} \lVert W \rVert_p^p

    theta is each Switch's effective multiplier; W runs over the ``weight`` of every
    Linear / Conv layer (biases, BatchNorm affine parameters and theta are not in the
    lam2 term). Any p > 0.
    """
    _check_model(model)
    lam, lam2 = check_nonnegative(lam, "lam"), check_nonnegative(lam2, "lam2")
    p = check_p(p, solver=False)
    total = None
    for module in model.modules():
        term = None
        if isinstance(module, Switch) and lam > 0:
            term = lam * module.multiplier().abs().sum()
        elif isinstance(module, nn.Linear | nn.modules.conv._ConvNd) and lam2 > 0:
            term = lam2 * module.weight.abs().pow(p).sum()
        if term is not None:
            total = term if total is None else total + term
    if total is None:
        param = next(model.parameters(), None)
        return torch.zeros((), dtype=param.dtype if param is not None else None)
    return total
