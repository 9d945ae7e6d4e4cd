"""A block's weights as the compressed stacked kernel A_stack of 003 §3 (TensorLy form).

With linear activations, no BN, no biases and no shortcut, a block is one k×k convolution
from C to K channels whose kernel A_stack ∈ R^{l_1×l_2×C×K} is

* T1/T2/ResNeXt bottleneck (1×1 W_1 ∈ R^{R×C}, k×k W_2 ∈ R^{R×R/g×l_1×l_2}, 1×1
  W_3 ∈ R^{K×R}): a Tucker tensor with core G[a, b, s, r] = W_2[r, s, a, b]
  (block-diagonal in (s, r) for g > 1), factors (I_{l_1}, I_{l_2}, W_1ᵀ, W_3) — Tucker
  ranks (l_1, l_2, R, R) (003 §3 T1, Kossaifi et al. 2020);
* depthwise-separable (depthwise D ∈ R^{C×l_1×l_2}, 1×1 P ∈ R^{K×C}) and inverted residual
  (1×1 E ∈ R^{R×C}, depthwise D ∈ R^{R×l_1×l_2}, 1×1 P ∈ R^{K×R}): a CP tensor of rank R of
  A_stack with its two spatial modes merged into one of size l_1 l_2, factors
  (D reshaped to (l_1 l_2) × R, Eᵀ (or I_C), P) — "CP rank C / xC" in 003 §3 C1/C2.

Biases and BN are not part of A_stack (they are affine terms), so they are ignored here.
"""

from __future__ import annotations

import torch
from tensorly.cp_tensor import CPTensor
from tensorly.tucker_tensor import TuckerTensor

from .modules import Bottleneck, CompressedBlock, DepthwiseSeparable, InvertedResidual

__all__ = ["stacked_kernel"]


def _pointwise(conv) -> torch.Tensor:
    return conv.weight.detach()[:, :, 0, 0]


def stacked_kernel(block: CompressedBlock) -> TuckerTensor | CPTensor:
    """A_stack of ``block`` from its weights.

    Returns
    -------
    TuckerTensor
        For a :class:`Bottleneck`: core (l_1, l_2, R, R), factors (l_1×l_1 identity,
        l_2×l_2 identity, C×R, K×R); the full tensor has shape (l_1, l_2, C, K).
    CPTensor
        For :class:`DepthwiseSeparable` / :class:`InvertedResidual`: rank R, factors
        ((l_1 l_2)×R, C×R, K×R); the full tensor has shape (l_1 l_2, C, K).

    Raises
    ------
    ValueError
        For a ShuffleNet unit (its split and shuffle are not one convolution).
    """
    branch = block.branch if hasattr(block, "branch") else None
    if isinstance(block, Bottleneck):
        middle = branch.conv2.weight.detach()
        R, per_group = middle.shape[0], middle.shape[1]
        core = torch.zeros(R, R, *middle.shape[2:], dtype=middle.dtype, device=middle.device)
        for group in range(block.groups):
            rows = slice(group * per_group, (group + 1) * per_group)
            core[rows, rows] = middle[rows]
        core = core.permute(2, 3, 1, 0)  # (l_1, l_2, s = input of conv2, r = output)
        eye = [torch.eye(size, dtype=middle.dtype, device=middle.device)
               for size in middle.shape[2:]]
        return TuckerTensor((core, [*eye, _pointwise(branch.conv1).T, _pointwise(branch.conv3)]))
    if isinstance(block, DepthwiseSeparable | InvertedResidual):
        depthwise = branch.depthwise.weight.detach()
        spatial = depthwise.reshape(depthwise.shape[0], -1).T
        if isinstance(block, InvertedResidual) and block.expansion > 1:
            channel = _pointwise(branch.expand).T
        else:
            channel = torch.eye(block.in_channels, dtype=depthwise.dtype, device=depthwise.device)
        last = branch.pointwise if isinstance(block, DepthwiseSeparable) else branch.project
        weights = torch.ones(block.rank, dtype=depthwise.dtype, device=depthwise.device)
        return CPTensor((weights, [spatial, channel, _pointwise(last)]))
    raise ValueError(
        f"block must be a Bottleneck, DepthwiseSeparable or InvertedResidual (what "
        f"stacked_kernel covers), got {type(block).__name__}"
    )
