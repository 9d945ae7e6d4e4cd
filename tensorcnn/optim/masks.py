"""Keep a fixed sparsity pattern during training (retraining Γ-support subnetworks, 004 §4.4)."""

from __future__ import annotations

import torch
from torch import nn
from torch.optim import Optimizer
from torch.utils.hooks import RemovableHandle

from .._validation import check_instance
from ._checks import UnknownNameError

__all__ = ["apply_masks_", "keep_masks"]


def apply_masks_(model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    """Multiply the named parameters of ``model`` by their masks in place.

    Parameters
    ----------
    model : nn.Module
    masks : dict
        Parameter name (as in ``model.named_parameters()``) → mask of the parameter's shape
        (bool or 0/1). Parameters not named keep all their weights.

    Raises
    ------
    TypeError
        ``model`` is not an ``nn.Module``, ``masks`` not a dict of str → tensor.
    ValueError
        A mask's shape differs from its parameter's, or a mask holds a value other than
        0 and 1 (NaN included).
    KeyError
        ``masks`` names a parameter the model does not have (an ``UnknownNameError``, also
        a ``ValueError``).
    """
    params = _check_masks(model, masks)
    with torch.no_grad():
        for name, mask in masks.items():
            params[name].mul_(mask.to(device=params[name].device, dtype=params[name].dtype))


def _check_masks(model: nn.Module, masks: dict[str, torch.Tensor]
                 ) -> dict[str, torch.Tensor]:
    """The named parameters of ``model``, after checking ``masks`` against them."""
    check_instance(model, nn.Module, "model", "an nn.Module")
    check_instance(masks, dict, "masks", "a dict of parameter name -> mask tensor")
    params = dict(model.named_parameters())
    unknown = sorted(map(repr, set(masks) - set(params)))
    if unknown:
        raise UnknownNameError(f"masks name parameters the model does not have: "
                               f"[{', '.join(unknown)}]")
    for name, mask in masks.items():
        if not isinstance(mask, torch.Tensor):
            raise TypeError(f"masks[{name!r}] must be a tensor (bool or 0/1), got "
                            f"{type(mask).__name__}")
        if tuple(mask.shape) != tuple(params[name].shape):
            raise ValueError(f"masks[{name!r}] must have the parameter's shape "
                             f"{tuple(params[name].shape)}, got {tuple(mask.shape)}")
        # a mask keeps (1) or prunes (0): any other value (0.5, NaN) would rescale weights
        if mask.dtype != torch.bool and not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"masks[{name!r}] must hold only 0 and 1 (or be bool)")
    return params


def keep_masks(optimizer: Optimizer, model: nn.Module,
               masks: dict[str, torch.Tensor]) -> RemovableHandle:
    """Apply ``masks`` now and after every ``optimizer.step()``; returns the hook's handle.

    This trains the subnetwork that the masks select (pruned weights stay exactly zero
    whatever the optimizer's update, momentum and weight decay included). Call
    ``handle.remove()`` to train the dense network again.

    Raises
    ------
    TypeError
        ``optimizer`` is not a ``torch.optim.Optimizer``; see :func:`apply_masks_` for
        ``model`` and ``masks``.
    """
    check_instance(optimizer, Optimizer, "optimizer", "a torch.optim.Optimizer")
    apply_masks_(model, masks)

    def hook(_optimizer, _args, _kwargs) -> None:
        apply_masks_(model, masks)

    return optimizer.register_step_post_hook(hook)
