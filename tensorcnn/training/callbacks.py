"""Epoch callbacks for :func:`~tensorcnn.training.fit`: sparsity of β-lasso and SplitLBI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .loop import evaluate

__all__ = ["nonzeros_per_layer", "weight_nonzeros", "splitlbi_metrics"]


def nonzeros_per_layer(model: nn.Module, min_dim: int = 2) -> dict[str, tuple[int, int]]:
    """(non-zeros, size) of every parameter with at least ``min_dim`` axes (001 Fig. 3)."""
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
    """A callback for SplitLBI: Γ density per layer and overall, and the sparse model's
    test accuracy (W masked by supp Γ, 004 §4.3) when ``test_loader`` is given."""

    def callback(*, model: nn.Module, optimizer, **_: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
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
