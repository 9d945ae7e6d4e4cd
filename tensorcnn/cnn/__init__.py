"""The positioning-matrix ("Tucker-like") form of CNNs (003 §2.2–2.4, App. A.1–A.2)."""

from .deep import ConvPoolStage, DeepCNNSpec
from .geometry import (
    StageGeometry,
    conv_output_size,
    conv_positioning_matrices,
    pool_output_size,
    pooled_positioning_factor,
)
from .spec import CNNSpec
from .torch_network import network_forward

__all__ = [
    "CNNSpec",
    "ConvPoolStage",
    "DeepCNNSpec",
    "StageGeometry",
    "conv_output_size",
    "conv_positioning_matrices",
    "network_forward",
    "pool_output_size",
    "pooled_positioning_factor",
]
