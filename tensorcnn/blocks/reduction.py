r"""The K > R → K = R reduction of a block with linear activations (Corollary 1 of 003).

A block whose last layer is a 1×1 conv R → K (weights V ∈ R^{K×R}) followed by BN
(scale s, shift β, in inference mode) computes out = diag(s) V z + β from its rank-R
bottleneck z. When its output feeds a 1×1 conv with weights M ∈ R^{M×K} and bias b (the
next layer; the FC weights B_k of 003), the pair equals the same design with K = R,
whose last conv is the identity, followed by a 1×1 conv with

.. math:: \tilde M = M \operatorname{diag}(s) V \in R^{M×R}, \qquad
          \tilde b = b + M β,

which is B̃_r = Σ_k H^(N+1)[k, r] B_k of Corollary 1 with H^(N+1) = diag(s) V. Everything
before the last conv is copied unchanged. Linear activations are required (Corollary 1);
so is the absence of a shortcut, which would add the K-channel input to the output.
"""

from __future__ import annotations

import torch
from torch import nn

from .modules import CompressedBlock

__all__ = ["reduce_block"]


def _affine_of_last_layer(block: CompressedBlock) -> tuple[torch.Tensor, torch.Tensor]:
    """(H, β) with out = H z + β for the block's last conv (+ BN, inference mode)."""
    conv = block.branch.get_submodule(block.expand_conv)
    weight = conv.weight[:, :, 0, 0]
    shift = conv.bias if conv.bias is not None else torch.zeros_like(weight[:, 0])
    if block.batch_norm:
        norm = block.branch.get_submodule(block.expand_norm)
        scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
        weight, shift = scale[:, None] * weight, scale * (shift - norm.running_mean) + norm.bias
    return weight, shift


def reduce_block(block: CompressedBlock, next_layer: nn.Conv2d) -> tuple[CompressedBlock,
                                                                         nn.Conv2d]:
    """The equivalent block with K = R and the next layer that absorbs the dropped part.

    Parameters
    ----------
    block : Bottleneck, DepthwiseSeparable or InvertedResidual
        With ``activation=None`` (linear activations) and no shortcut. BN layers are used
        in inference mode (running statistics); the block itself is left in its mode.
    next_layer : nn.Conv2d
        A 1×1 convolution with K input channels (groups 1) that consumes the block.

    Returns
    -------
    small : CompressedBlock
        Same design with out_channels = R; its last 1×1 conv is the identity and its last
        BN (if any) the identity; all other weights copied. ``small.eval()`` is set.
    new_next : nn.Conv2d
        1×1 conv R → M with bias, so that ``new_next(small(x)) == next_layer(block(x))``.

    Raises
    ------
    ValueError
        Non-linear activations, a shortcut, a next layer that is not a 1×1 conv with K
        inputs, or a block design without a final R → K conv (ShuffleNet units).
    """
    if not isinstance(block, CompressedBlock) or not block.expand_conv:
        raise ValueError(
            "block must be a Bottleneck, DepthwiseSeparable or InvertedResidual, got "
            f"{type(block).__name__}"
        )
    if block.activated:
        raise ValueError("Corollary 1 needs linear activations: build the block with "
                         "activation=None")
    if getattr(block, "shortcut_kind", "none") != "none":
        raise ValueError("block must be built with shortcut='none' for the reduction (a "
                         "shortcut adds K input channels to the output)")
    if (not isinstance(next_layer, nn.Conv2d) or next_layer.kernel_size != (1, 1)
            or next_layer.groups != 1 or next_layer.in_channels != block.out_channels):
        raise ValueError(
            f"next_layer must be a 1x1 nn.Conv2d with groups=1 and in_channels = K = "
            f"{block.out_channels}, got {next_layer!r}"
        )
    rank = block.rank
    small = block.with_out_channels(rank).to(block.branch[0].weight)
    skip = (f"branch.{block.expand_conv}.", f"branch.{block.expand_norm}.")
    state = {key: value for key, value in block.state_dict().items()
             if not key.startswith(skip)}
    missing, unexpected = small.load_state_dict(state, strict=False)
    assert not unexpected and all(key.startswith(skip) for key in missing)
    was_training = block.training
    with torch.no_grad():
        weight, shift = _affine_of_last_layer(block.eval())
        block.train(was_training)
        conv = small.branch.get_submodule(block.expand_conv)
        conv.weight.copy_(torch.eye(rank, dtype=conv.weight.dtype)[:, :, None, None])
        if conv.bias is not None:
            conv.bias.zero_()
        if block.batch_norm:
            norm = small.branch.get_submodule(block.expand_norm)
            norm.weight.fill_(1.0)
            norm.bias.zero_()
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0 - norm.eps)
        new_next = nn.Conv2d(rank, next_layer.out_channels, 1, stride=next_layer.stride,
                             bias=True).to(next_layer.weight)
        outer = next_layer.weight[:, :, 0, 0]
        new_next.weight.copy_((outer @ weight)[:, :, None, None])
        bias = next_layer.bias if next_layer.bias is not None else torch.zeros_like(outer[:, 0])
        new_next.bias.copy_(bias + outer @ shift)
    return small.eval(), new_next
