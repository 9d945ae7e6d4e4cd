r"""Fold Switch layers into a neighbouring linear operator for inference (002 §3.6).

For a Switch with multiplier m (C,) at index i of an ``nn.Sequential``:

* backwards (preferred, as in 002): if the nearest module before it, skipping only
  Identity / Dropout / average pooling (linear and channel-wise), is a Linear or Conv
  (output j scaled: weight[j] *= m_j, bias[j] *= m_j) or a BatchNorm (weight and bias
  scaled);
* else forwards: the nearest module after it, skipping the same modules and Flatten, is a
  Linear / Conv (input column / channel j scaled: weight[:, j] *= m_j) or a BatchNorm in
  eval mode, which is the affine map y = gamma (x - mu)/sigma + b: gamma' = gamma m,
  mu' = 0, b' = b - gamma mu / sigma;
* otherwise a ``ValueError``: folding across a non-linearity would change the output.

``through_positive_homogeneous=True`` also lets the search cross ReLU / LeakyReLU / max
pooling when every m_j >= 0 (always so for a rectified Switch, relu(theta), as in the
authors' code): relu(m x) = m relu(x) for m >= 0. With the signed theta of Eq. (1) this is
wrong for m_j < 0, hence off by default.

The folded model is a deep copy in eval mode (BatchNorm folds use running statistics).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .._validation import check_bool
from .switch import Switch

__all__ = ["fold_switches"]

_LINEAR_CHANNELWISE = (nn.Identity, nn.Dropout, nn.modules.pooling._AvgPoolNd,
                       nn.modules.pooling._AdaptiveAvgPoolNd)
_POS_HOMOGENEOUS = (nn.ReLU, nn.LeakyReLU, nn.modules.pooling._MaxPoolNd,
                    nn.modules.pooling._AdaptiveMaxPoolNd)
_BATCHNORM = nn.modules.batchnorm._BatchNorm
_CONV = nn.modules.conv._ConvNd


def _view(m: torch.Tensor, ndim: int, axis: int) -> torch.Tensor:
    shape = [1] * ndim
    shape[axis] = -1
    return m.view(shape)


def _passable(module: nn.Module, m: torch.Tensor, positive_homogeneous: bool) -> bool:
    if isinstance(module, _LINEAR_CHANNELWISE):
        return True
    return positive_homogeneous and isinstance(module, _POS_HOMOGENEOUS) and bool((m >= 0).all())


@torch.no_grad()
def _fold_backward(layers, index, m, positive_homogeneous) -> bool:
    for j in range(index - 1, -1, -1):
        module = layers[j]
        if isinstance(module, nn.Linear | _CONV):
            module.weight.mul_(_view(m, module.weight.dim(), 0))
            if module.bias is not None:
                module.bias.mul_(m)
            return True
        if isinstance(module, _BATCHNORM):
            if not module.affine:
                return False
            module.weight.mul_(m)
            module.bias.mul_(m)
            return True
        if not _passable(module, m, positive_homogeneous):
            return False
    return False


@torch.no_grad()
def _fold_forward(layers, index, m, positive_homogeneous) -> bool:
    flattened = False
    for j in range(index + 1, len(layers)):
        module = layers[j]
        if isinstance(module, nn.Linear):
            if flattened:
                block, rest = divmod(module.in_features, m.numel())
                if rest:
                    return False
                scale = m.repeat_interleave(block)
            else:
                scale = m
            module.weight.mul_(scale.view(1, -1))
            return True
        if isinstance(module, _CONV) and not flattened:
            if module.groups != 1:
                return False
            module.weight.mul_(_view(m, module.weight.dim(), 1))
            return True
        if isinstance(module, _BATCHNORM) and not flattened:
            if not (module.affine and module.track_running_stats):
                return False
            sigma = torch.sqrt(module.running_var + module.eps)
            module.bias.sub_(module.weight * module.running_mean / sigma)
            module.running_mean.zero_()
            module.weight.mul_(m)
            return True
        if isinstance(module, nn.Flatten):
            flattened = True
            continue
        if not _passable(module, m, positive_homogeneous):
            return False
    return False


def fold_switches(model: nn.Sequential, through_positive_homogeneous: bool = False
                  ) -> nn.Sequential:
    """A copy of ``model`` (eval mode) with every Switch folded into a neighbour and removed.

    Raises
    ------
    TypeError
        ``model`` is not an ``nn.Sequential``.
    ValueError
        A Switch has no Linear / Conv / BatchNorm neighbour without a non-linearity in
        between (message names its index).
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential, got {type(model).__name__}")
    through_positive_homogeneous = check_bool(through_positive_homogeneous,
                                              "through_positive_homogeneous")
    folded = copy.deepcopy(model).eval()
    layers = list(folded)
    for index, module in enumerate(layers):
        if not isinstance(module, Switch):
            continue
        m = module.multiplier().detach()
        if not (_fold_backward(layers, index, m, through_positive_homogeneous)
                or _fold_forward(layers, index, m, through_positive_homogeneous)):
            raise ValueError(f"cannot fold the Switch at index {index}: no Linear/Conv/"
                             "BatchNorm neighbour without a non-linearity in between")
    return nn.Sequential(*[m for m in layers if not isinstance(m, Switch)])
