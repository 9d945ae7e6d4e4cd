"""Compressed block designs of 003 §3 as torch modules, their closed-form counts, and the
K > R → K = R reduction of Corollary 1.

* :class:`Bottleneck` (T1 :func:`resnet_bottleneck`, T2 :func:`funnel_block` /
  :func:`normalized_funnel_block`, :func:`resnext_bottleneck`), :class:`DepthwiseSeparable`
  (C1), :class:`InvertedResidual` (C2), :class:`ShuffleV2Unit`.
* ``block.cost(input_size)``, ``block.n_params()``, ``block.macs(input_size)`` — closed
  forms (ptflops convention, :mod:`tensorcnn.blocks.costs`); ``block.kr_ratio``,
  ``block.stack_ranks``.
* :func:`reduce_block` — the equivalent K = R block with linear activations.
* :func:`stacked_kernel` — the block's A_stack as a TensorLy Tucker/CP tensor.
"""

from .costs import Cost
from .modules import (
    Bottleneck,
    CompressedBlock,
    DepthwiseSeparable,
    InvertedResidual,
    ShuffleV2Unit,
    channel_shuffle,
    funnel_block,
    normalized_funnel_block,
    resnet_bottleneck,
    resnext_bottleneck,
)
from .reduction import reduce_block
from .stacked import stacked_kernel

__all__ = [
    "Bottleneck",
    "CompressedBlock",
    "Cost",
    "DepthwiseSeparable",
    "InvertedResidual",
    "ShuffleV2Unit",
    "channel_shuffle",
    "funnel_block",
    "normalized_funnel_block",
    "reduce_block",
    "resnet_bottleneck",
    "resnext_bottleneck",
    "stacked_kernel",
]
