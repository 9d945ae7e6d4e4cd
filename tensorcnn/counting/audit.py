"""The K/R audit: find the compressed blocks of any torch model and report t = K/R (003 §3).

A *block* is the largest module whose convolutions (in call order, leaving out a 1×1
projection shortcut that reads the block's input) form one of the patterns of 003 §3:

==========================  ==================================================  =========
kind                        convolutions                                        R
==========================  ==================================================  =========
``bottleneck``              1×1 C→R, k×k R→R (groups 1), 1×1 R→K                 R (Tucker)
``grouped``                 1×1 C→R, k×k R→R (1 < groups < R), 1×1 R→K           R = r g
``inverted-residual``       1×1 C→R (R > C), k×k depthwise R, 1×1 R→K            R = x C
``depthwise-bottleneck``    1×1 C→R (R ≤ C), k×k depthwise R, 1×1 R→K            R
``depthwise-separable``     k×k depthwise C, 1×1 C→K                             R = C
==========================  ==================================================  =========

(ShuffleNet v2's branch is a depthwise bottleneck; MobileNetV2's first block, expansion 1,
is depthwise-separable.) For each block the audit reports C, R, K, t = K/R, the expansion
R/C, the block's parameters and MACs (ptflops convention, :mod:`.trace`), and the same
block priced with K = R ("t = 1"): the last conv, the projection shortcut (and its BN) and
every BN or activation after the last conv with K channels get R channels; the block's
input stays C. The knock-on saving in the next block's input is not included. A block with
K ≤ R has nothing to remove (Corollary 1 needs K > R): its t = 1 cost is its cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from torch import nn

from .registry import check_unknown
from .trace import LeafCall, _macs, _report_uncounted, trace_calls, uncounted_modules

__all__ = ["AuditReport", "BlockRow", "audit"]

_NORMS = nn.modules.batchnorm._BatchNorm
# 1-D, 2-D and 3-D convolutions (e.g. the 3D ResNet of 003 Fig. 4(2)); not transposed ones.
_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_Conv = nn.Conv1d | nn.Conv2d | nn.Conv3d


@dataclass(frozen=True)
class BlockRow:
    """One compressed block found by :func:`audit`."""

    name: str
    kind: str
    in_channels: int
    rank: int
    out_channels: int
    t: float
    expansion: float
    groups: int
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    input_size: tuple[int, ...]
    params: int
    macs: int
    params_t1: int
    macs_t1: int

    @property
    def params_saved(self) -> int:
        """Parameters that K = R would save in this block."""
        return self.params - self.params_t1

    @property
    def macs_saved(self) -> int:
        """MACs that K = R would save in this block."""
        return self.macs - self.macs_t1

    def as_dict(self) -> dict:
        return {**asdict(self), "params_saved": self.params_saved,
                "macs_saved": self.macs_saved}


@dataclass(frozen=True)
class AuditReport:
    """Result of :func:`audit`: the blocks and the whole model's parameters and MACs."""

    input_shape: tuple[int, ...]
    total_params: int
    total_macs: int
    blocks: list[BlockRow] = field(default_factory=list)
    #: Qualified names of the modules whose MACs are not counted (priced 0): leaves with no
    #: handler in :mod:`.registry`, modules with children and parameters of their own.
    uncounted: tuple[str, ...] = ()

    @property
    def params_saved(self) -> int:
        return sum(row.params_saved for row in self.blocks)

    @property
    def macs_saved(self) -> int:
        return sum(row.macs_saved for row in self.blocks)

    def as_dict(self) -> dict:
        return {"input_shape": list(self.input_shape), "total_params": self.total_params,
                "total_macs": self.total_macs, "params_saved": self.params_saved,
                "macs_saved": self.macs_saved, "blocks": [r.as_dict() for r in self.blocks],
                "uncounted": list(self.uncounted)}


def _call_macs(call: LeafCall, out_channels: int | None = None) -> int:
    """MACs of a call, 0 for an uncounted one (reported once by :func:`audit`)."""
    return _macs(call, out_channels) or 0


def _is_pointwise(conv: _Conv) -> bool:
    return all(k == 1 for k in conv.kernel_size) and conv.groups == 1


def _is_depthwise(conv: _Conv) -> bool:
    return conv.groups == conv.in_channels == conv.out_channels and conv.groups > 1


def _classify(main: list[_Conv]) -> tuple[str, int, int, int] | None:
    """(kind, C, R, K) when the main-path convs form a compressed pattern."""
    if any(a.out_channels != b.in_channels for a, b in zip(main, main[1:], strict=False)):
        return None
    if len(main) == 2 and _is_depthwise(main[0]) and _is_pointwise(main[1]):
        C = main[0].in_channels
        return "depthwise-separable", C, C, main[1].out_channels
    if len(main) != 3 or not (_is_pointwise(main[0]) and _is_pointwise(main[2])):
        return None
    middle = main[1]
    if all(k == 1 for k in middle.kernel_size) or middle.in_channels != middle.out_channels:
        return None
    C, R, K = main[0].in_channels, middle.in_channels, main[2].out_channels
    if middle.groups == 1:
        kind = "bottleneck"
    elif _is_depthwise(middle):
        kind = "inverted-residual" if R > C else "depthwise-bottleneck"
    else:
        kind = "grouped"
    return kind, C, R, K


def _match(calls: list[LeafCall]):
    """Split a module's conv calls into main path and projection shortcut, and classify.

    A projection shortcut is a 1×1 conv that reads what the main path reads and outputs
    what it outputs; it may be called before or after the main path.
    """
    convs = [c for c in calls if isinstance(c.module, _CONVS)]
    if len(convs) < 2 or len({id(c.module) for c in convs}) != len(convs):
        return None
    block_input = convs[0].input_shape
    candidates = [c for c in convs if _is_pointwise(c.module) and c.input_shape == block_input]
    for skip in [None, *candidates]:
        main = [c for c in convs if c is not skip]
        found = _classify([c.module for c in main])
        if found is None:
            continue
        if skip is None:
            return found, main, []
        if (skip.input_shape == main[0].input_shape
                and skip.output_shape == main[-1].output_shape):
            return found, main, [skip]
    return None


def _row(name: str, module: nn.Module, calls: list[LeafCall], found, main, shortcut) -> BlockRow:
    kind, C, R, K = found
    params = sum(p.numel() for p in module.parameters())
    macs = sum(_call_macs(call) for call in calls)
    if K <= R:
        # No redundancy to remove (Corollary 1 needs K > R): t = 1 costs what the block costs.
        params_t1, macs_t1 = params, macs
    else:
        last = calls.index(main[-1])
        resized = {id(main[-1])} | {id(c) for c in shortcut}
        for call in shortcut:  # the BN right after a projection conv
            following = calls.index(call) + 1
            if following < len(calls) and isinstance(calls[following].module, _NORMS):
                resized.add(id(calls[following]))
        resized |= {id(c) for c in calls[last + 1:] if not isinstance(c.module, _CONVS)
                    and len(c.output_shape) > 1 and c.output_shape[1] == K}
        macs_t1 = sum(_call_macs(c, out_channels=R) if id(c) in resized else _call_macs(c)
                      for c in calls)
        params_t1, seen = params, set()
        for call in calls:
            layer = call.module
            if id(call) not in resized or id(layer) in seen:
                continue
            seen.add(id(layer))
            if isinstance(layer, _CONVS):
                per_output = layer.weight[0].numel() + (1 if layer.bias is not None else 0)
                params_t1 -= (K - R) * per_output
            elif isinstance(layer, _NORMS) and layer.affine:
                params_t1 -= 2 * (K - R)
    middle = main[1].module if len(main) == 3 else main[0].module
    return BlockRow(name=name, kind=kind, in_channels=C, rank=R, out_channels=K, t=K / R,
                    expansion=R / C, groups=middle.groups, kernel_size=middle.kernel_size,
                    stride=middle.stride, input_size=tuple(main[0].input_shape[2:]),
                    params=params, macs=macs, params_t1=params_t1, macs_t1=macs_t1)


def audit(model: nn.Module, input_shape: Sequence[int], unknown: str = "warn") -> AuditReport:
    """Find the compressed blocks of ``model`` and report their K, R, t = K/R and costs.

    Parameters
    ----------
    model : torch.nn.Module
        Any model taking a (1, *input_shape) tensor; it is run once on zeros (eval mode).
    input_shape : tuple of ints
        One input without the batch axis, e.g. (3, 224, 224).
    unknown : {"warn", "raise"}
        What modules the MACs cannot be counted for (a leaf with no handler in
        :mod:`.registry`, see :func:`~tensorcnn.counting.trace.uncounted_modules`) do: one
        :class:`~tensorcnn.counting.registry.UncountedModuleWarning` naming them, or an
        :class:`~tensorcnn.counting.registry.UncountedModuleError`.

    Returns
    -------
    AuditReport
        ``blocks`` in forward order (a list of :class:`BlockRow`), ``total_params`` and
        ``total_macs`` of the model (ptflops convention), ``uncounted`` (names of the
        modules priced 0 for want of a handler); ``as_dict()`` for JSON.

    Raises
    ------
    UncountedModuleError
        With ``unknown="raise"`` when a module is uncounted.
    ValueError, TypeError
        For a bad ``input_shape``, ``unknown`` or ``model``.
    """
    check_unknown(unknown)
    calls = trace_calls(model, input_shape)
    found = uncounted_modules(model, calls)
    _report_uncounted(found, unknown, 2)
    claimed: set[int] = set()
    rows = []
    # Shallowest first, so a block is reported at the largest module that is exactly it.
    for name, module in sorted(model.named_modules(), key=lambda item: item[0].count(".")
                               if item[0] else -1):
        prefix = f"{name}." if name else ""
        inside = [c for c in calls if c.name.startswith(prefix) or c.name == name]
        if not inside or any(id(c) in claimed for c in inside):
            continue
        matched = _match(inside)
        if matched is None:
            continue
        claimed.update(id(c) for c in inside)
        rows.append((calls.index(inside[0]), _row(name, module, inside, *matched)))
    rows.sort(key=lambda item: item[0])
    total_params = sum(p.numel() for p in model.parameters())
    return AuditReport(tuple(input_shape), total_params, sum(_call_macs(c) for c in calls),
                       [row for _, row in rows],
                       tuple(dict.fromkeys(name for name, _, _ in found)))
