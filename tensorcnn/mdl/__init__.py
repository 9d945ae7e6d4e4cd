"""Minimum description length (001 §3): the prefix-free codes of Theorem 2 and the bounds.

Two codes of the weight sharing g: :func:`encode_sharing` (any n, within
2 log₂((n+1)/n) + 2 bits of the printed bound) and :class:`KraftSharingCode` (n ≤
:data:`MAX_KRAFT_N`, meets the printed bound ‖w‖₀ log₂(kn) + 2 log₂ n exactly for n ≥ 4,
which no whole-bit code can do for n ≤ 3).
"""

from .bounds import architecture_search_bound, occam_bound, sharing_length_bound
from .code import (
    SharedWeights,
    decode_model,
    decode_sharing,
    encode_model,
    encode_sharing,
    model_code_length,
    share_weights,
    sharing_code_length,
)
from .kraft import (
    MAX_KRAFT_N,
    KraftSharingCode,
    bound_attainable,
    floor_bound_length,
    kraft_sharing_code,
)

__all__ = [
    "MAX_KRAFT_N",
    "KraftSharingCode",
    "SharedWeights",
    "architecture_search_bound",
    "bound_attainable",
    "decode_model",
    "decode_sharing",
    "encode_model",
    "encode_sharing",
    "floor_bound_length",
    "kraft_sharing_code",
    "model_code_length",
    "occam_bound",
    "share_weights",
    "sharing_code_length",
    "sharing_length_bound",
]
