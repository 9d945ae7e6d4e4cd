"""Counting parameters and MACs of torch models, and the K/R audit (003 §3, §4.2).

* :func:`audit` — find the compressed blocks of any ``nn.Module`` and report K, R,
  t = K/R, parameters, MACs and the t = 1 saving (:class:`AuditReport`, :class:`BlockRow`).
* :func:`count_macs`, :func:`trace_calls`, :func:`call_macs` — MACs of a forward pass,
  ptflops convention (:class:`MacsReport`).
* :func:`register_macs`, :func:`macs_handler` — the registry of what each leaf module
  costs (looked up by MRO); a leaf with no handler is reported
  (:class:`UncountedModuleWarning`, or :class:`UncountedModuleError` with
  ``unknown="raise"``), never priced 0 silently.
* :func:`ptflops_macs` — the same from ptflops itself (optional dependency).
* :mod:`.reference_models` — ResNet-50, ResNeXt-50, MobileNetV2, ShuffleNet v2 in
  torchvision's layout (``REFERENCE_MODELS``).
"""

from .audit import AuditReport, BlockRow, audit
from .external import ptflops_macs
from .reference_models import REFERENCE_MODELS
from .registry import (
    UncountedModuleError,
    UncountedModuleWarning,
    macs_handler,
    register_macs,
)
from .trace import LeafCall, MacsReport, call_macs, count_macs, trace_calls, uncounted_modules

__all__ = ["REFERENCE_MODELS", "AuditReport", "BlockRow", "LeafCall", "MacsReport",
           "UncountedModuleError", "UncountedModuleWarning", "audit", "call_macs",
           "count_macs", "macs_handler", "ptflops_macs", "register_macs", "trace_calls",
           "uncounted_modules"]
