"""Minimum description length (001 §3): the prefix-free code of Theorem 2 and the bounds."""

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

__all__ = [
    "SharedWeights",
    "architecture_search_bound",
    "decode_model",
    "decode_sharing",
    "encode_model",
    "encode_sharing",
    "model_code_length",
    "occam_bound",
    "share_weights",
    "sharing_code_length",
    "sharing_length_bound",
]
