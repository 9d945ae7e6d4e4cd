"""Epoch callbacks for :func:`~tensorcnn.training.fit`: sparsity of β-lasso and SplitLBI,
SplitLBI's residual and its regularisation path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .._validation import check_int
from .loop import evaluate

__all__ = ["nonzeros_per_layer", "weight_nonzeros", "splitlbi_metrics", "splitlbi_path"]


def nonzeros_per_layer(model: nn.Module, min_dim: int = 2) -> dict[str, tuple[int, int]]:
    """(non-zeros, size) of every parameter with at least ``min_dim`` axes (001 Fig. 3)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    min_dim = check_int(min_dim, "min_dim", minimum=0)
    return {name: (int(torch.count_nonzero(p)), p.numel())
            for name, p in model.named_parameters() if p.dim() >= min_dim}


def weight_nonzeros() -> Callable[..., dict[str, Any]]:
    """A callback recording ``nonzeros/<name>`` and ``density/<name>`` of each weight."""

    def callback(*, model: nn.Module, **_: Any) -> dict[str, Any]:
        out = {}
        for name, (nnz, size) in nonzeros_per_layer(model).items():
            out[f"nonzeros/{name}"] = nnz
            out[f"density/{name}"] = nnz / size
        return out

    return callback


def splitlbi_metrics(test_loader=None, level: str = "weight") -> Callable[..., dict[str, Any]]:
    """A callback for SplitLBI: Γ density per layer and overall, the residual
    ``residual`` = Σ_layers ‖W − Γ‖²/(2ν) and ``residual/<name>`` per layer (the released
    code's ``calculate_all_residue``), and the sparse model's test accuracy (W masked by
    supp Γ, 004 §4.3) when ``test_loader`` is given. ``level``: "weight" (densities per
    layer) or "group" (also the group densities)."""
    if level not in ("weight", "group"):
        raise ValueError(f"level must be 'weight' or 'group', got {level!r}")

    def callback(*, model: nn.Module, optimizer, **_: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        residual = optimizer.residual(model)
        out["residual"] = sum(residual.values())
        for name, value in residual.items():
            out[f"residual/{name}"] = value
        total = nonzero = 0
        for name, mask in optimizer.support_masks(model).items():
            out[f"gamma_density/{name}"] = float(mask.float().mean())
            total += mask.numel()
            nonzero += int(mask.sum())
        out["gamma_density"] = nonzero / max(total, 1)
        if level == "group":
            for name, value in optimizer.sparsity(model, level="group").items():
                out[f"gamma_group_density/{name}"] = value
        if test_loader is not None:
            with optimizer.sparse_weights():
                sparse = evaluate(model, test_loader)
            out["sparse_test_loss"] = sparse["loss"]
            out["sparse_test_accuracy"] = sparse["accuracy"]
        return out

    return callback


def splitlbi_path() -> Callable[..., dict[str, Any]]:
    """A callback that records SplitLBI's regularisation path after every epoch.

    Calls ``optimizer.record_path(epoch)`` (entry epochs per weight and ‖Γ_g‖₂ per group,
    kept in the optimizer's state and so in every checkpoint; the released code's
    ``update_prune_order(epoch)``) and adds ``gamma_groups/<name>``, the number of groups
    of each layer in supp(Γ), to the epoch's record. Put it before callbacks that read the
    path. :func:`~tensorcnn.training.path_arrays` / ``save_path`` / ``plot_path`` write it.
    """

    def callback(*, epoch: int, model: nn.Module, optimizer, **_: Any) -> dict[str, Any]:
        optimizer.record_path(epoch)
        return {f"gamma_groups/{name}": int(mask.sum())
                for name, mask in _group_supports(optimizer, model).items()}

    return callback


def _group_supports(optimizer, model: nn.Module) -> dict[str, torch.Tensor]:
    names = {id(p): name for name, p in model.named_parameters()}
    return {names.get(id(p), str(i)): optimizer.group_support(p)
            for i, p in enumerate(optimizer.penalised_parameters())}
