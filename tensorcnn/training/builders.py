"""Models, optimizers and data sets by name, for command lines and experiment runners."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._validation import check_bool, check_int, check_nonnegative, check_path
from ..optim import BetaLasso, SplitLBI, param_groups_by_kind
from .datasets import ImageData, load_image_dataset
from .offline import load_digits, synthetic_images

__all__ = ["MODELS", "OPTIMIZERS", "DATA", "build_model", "build_optimizer", "load_data"]

MODELS = ("resnet20", "resnet32", "resnet44", "resnet56", "resnet110",
          "d-conv", "s-conv", "d-local", "s-local", "d-fc", "s-fc", "3-fc")
OPTIMIZERS = ("sgd", "splitlbi", "beta-lasso")
DATA = ("cifar10", "cifar100", "svhn", "mnist", "digits", "synthetic")


def build_model(name: str, num_classes: int, in_channels: int, image_size: int,
                alpha: int = 16) -> nn.Module:
    """A model of :data:`MODELS`: a CIFAR ResNet (depth in the name) or a 001 family."""
    if not isinstance(name, str) or name not in MODELS:
        raise ValueError(f"name (the model) must be one of {MODELS}, got {name!r}")
    if name.startswith("resnet") and name in MODELS:
        from ..nets.resnet_cifar import resnet_cifar

        return resnet_cifar(int(name[len("resnet"):]), num_classes, in_channels)
    if name in MODELS:
        from ..nets.families import build_family

        return build_family(name, alpha, image_size, in_channels, num_classes)
    raise AssertionError(f"unreachable: {name!r} is in MODELS")  # pragma: no cover


def build_optimizer(name: str, model: nn.Module, *, lr: float, momentum: float = 0.0,
                    weight_decay: float = 0.0, nesterov: bool = False, kappa: float = 1.0,
                    nu: float = 10.0, lam: float = 1.0, conv_penalty: str | None = "group",
                    linear_penalty: str | None = "lasso", beta: float = 50.0,
                    first_layer_lam: float | None = None,
                    track_path: bool = False) -> torch.optim.Optimizer:
    """An optimizer of :data:`OPTIMIZERS` on ``model`` with the papers' parameter groups.

    SplitLBI: ``conv_penalty`` on conv filters, ``linear_penalty`` on other weights, none
    on biases and normalisation parameters (004 §2), weight decay on weights of two or more
    axes only (the optimizer's default, as the released code), ``track_path`` recording
    the step at which each weight enters supp(Γ). β-lasso: λ on the weights (and
    ``first_layer_lam`` on the first weight if given, 001 A.2), 0 on the rest.

    Raises
    ------
    TypeError, ValueError
        An unknown ``name``, a ``model`` that is not an ``nn.Module`` with parameters, a
        negative or non-finite ``lr`` / ``momentum`` / ``weight_decay``, a non-bool
        ``nesterov`` / ``track_path`` (the optimizers check their own other settings).
    """
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"name (the optimizer) must be one of {OPTIMIZERS}, got {name!r}")
    if not isinstance(model, nn.Module) or next(iter(model.parameters()), None) is None:
        raise TypeError(f"model must be a torch.nn.Module with parameters, got "
                        f"{type(model).__name__}")
    lr = check_nonnegative(lr, "lr")
    momentum = check_nonnegative(momentum, "momentum")
    weight_decay = check_nonnegative(weight_decay, "weight_decay")
    nesterov = check_bool(nesterov, "nesterov")
    track_path = check_bool(track_path, "track_path")
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum,
                               weight_decay=weight_decay, nesterov=nesterov)
    if name == "splitlbi":
        groups = param_groups_by_kind(model, conv=dict(penalty=conv_penalty),
                                      linear=dict(penalty=linear_penalty),
                                      other=dict(penalty=None))
        return SplitLBI(groups, lr=lr, kappa=kappa, nu=nu, lam=lam, momentum=momentum,
                        weight_decay=weight_decay, nesterov=nesterov, track_path=track_path)
    if name == "beta-lasso":
        by_name: dict[str, dict[str, Any]] = {}
        if first_layer_lam is not None:
            first = next(n for n, p in model.named_parameters() if p.dim() >= 2)
            by_name[first] = dict(lam=first_layer_lam)
        groups = param_groups_by_kind(model, other=dict(lam=0.0), by_name=by_name)
        return BetaLasso(groups, lr=lr, lam=lam, beta=beta, momentum=momentum,
                         nesterov=nesterov)
    raise AssertionError(f"unreachable: {name!r} is in OPTIMIZERS")  # pragma: no cover


def load_data(name: str, root: str | Path | None = None, image_size: int = 32,
              seed: int = 0) -> tuple[ImageData, ImageData]:
    """(train, test) of a data set of :data:`DATA`; files are read from ``root``."""
    if not isinstance(name, str) or name not in DATA:
        raise ValueError(f"name (the dataset) must be one of {DATA}, got {name!r}")
    image_size = check_int(image_size, "image_size")
    # ``seed`` is the documented name here (``rng`` of the generators below).
    seed = check_int(seed, "seed", minimum=0)
    if root is not None:
        root = check_path(root, "root")
    if name == "digits":
        return load_digits(image_size, rng=seed)
    if name == "synthetic":
        return (synthetic_images(2000, image_size, rng=seed),
                synthetic_images(500, image_size, rng=seed + 1))
    if name in DATA:
        if root is None:
            raise ValueError(f"dataset {name!r} is read from files: give its folder (root, "
                             "--data-root on the command line), or use 'digits' or "
                             "'synthetic', which need no files")
        return load_image_dataset(name, root, True), load_image_dataset(name, root, False)
    raise AssertionError(f"unreachable: {name!r} is in DATA")  # pragma: no cover
