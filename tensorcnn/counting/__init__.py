"""Counting parameters and MACs of torch models, and the K/R audit (003 §3, §4.2).

* :func:`audit` — find the compressed blocks of any ``nn.Module`` and report K, R,
  t = K/R, parameters, MACs and the t = 1 saving (:class:`AuditReport`, :class:`BlockRow`).
* :func:`trace_calls`, :func:`call_macs` — MACs of a forward pass, ptflops convention.
* :func:`ptflops_macs` — the same from ptflops itself (optional dependency).
* :mod:`.reference_models` — ResNet-50, ResNeXt-50, MobileNetV2, ShuffleNet v2 in
  torchvision's layout (``REFERENCE_MODELS``).
"""

from .audit import AuditReport, BlockRow, audit
from .external import ptflops_macs
from .reference_models import REFERENCE_MODELS
from .trace import LeafCall, call_macs, trace_calls

__all__ = ["REFERENCE_MODELS", "AuditReport", "BlockRow", "LeafCall", "audit", "call_macs",
           "ptflops_macs", "trace_calls"]
