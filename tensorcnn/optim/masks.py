"""Keep a fixed sparsity pattern during training (retraining Γ-support subnetworks, 004 §4.4)."""

from __future__ import annotations

import torch
from torch import nn
from torch.optim import Optimizer
from torch.utils.hooks import RemovableHandle

__all__ = ["apply_masks_", "keep_masks"]


def apply_masks_(model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    """Multiply the named parameters of ``model`` by their masks in place.

    Parameters
    ----------
    model : nn.Module
    masks : dict
        Parameter name (as in ``model.named_parameters()``) → mask of the parameter's shape
        (bool or 0/1). Parameters not named keep all their weights.
    """
    params = dict(model.named_parameters())
    unknown = sorted(set(masks) - set(params))
    if unknown:
        raise KeyError(f"masks name parameters the model does not have: {unknown}")
    with torch.no_grad():
        for name, mask in masks.items():
            params[name].mul_(mask.to(device=params[name].device, dtype=params[name].dtype))


def keep_masks(optimizer: Optimizer, model: nn.Module,
               masks: dict[str, torch.Tensor]) -> RemovableHandle:
    """Apply ``masks`` now and after every ``optimizer.step()``; returns the hook's handle.

    This trains the subnetwork that the masks select (pruned weights stay exactly zero
    whatever the optimizer's update, momentum and weight decay included). Call
    ``handle.remove()`` to train the dense network again.
    """
    apply_masks_(model, masks)

    def hook(_optimizer, _args, _kwargs) -> None:
        apply_masks_(model, masks)

    return optimizer.register_step_post_hook(hook)
