"""One forward pass of a model with every leaf-module call recorded, and its MACs.

Recorded too are the calls of costly torch functions (``F.relu``, ``F.conv2d``,
``torch.matmul``, pooling, …; :func:`~tensorcnn.counting.registry.traced_functions`) that a
module with children makes in its own ``forward`` — a residual block's ``F.relu`` — so
they are not lost between the leaves (functions called inside a leaf are its handler's).

MACs follow ptflops' PyTorch backend (the papers' GMac convention): convolutions and linear
layers their multiply-adds (+1 per output for a bias), batch norm 2 per element (1 if not
affine), activations 1 per output element, pooling 1 per input element; additions,
concatenation, reshapes and dropout 0. A module called twice counts twice.

What each leaf costs comes from the handler registry of :mod:`.registry`
(:func:`~tensorcnn.counting.registry.register_macs`, looked up by MRO; functions:
:func:`~tensorcnn.counting.registry.register_function_macs`). A leaf with no handler, a
call of a function known to cost MACs but without a handler (``torch.einsum`` …), or a
module with children that holds parameters of its own, is *uncounted*: reported by name through an
:class:`~tensorcnn.counting.registry.UncountedModuleWarning` (``unknown="warn"``) or an
:class:`~tensorcnn.counting.registry.UncountedModuleError` (``unknown="raise"``), and listed
in :attr:`MacsReport.uncounted` — never priced 0 silently.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .._validation import check_int
from ..cnn.geometry import normalize_shape
from .registry import (
    UncountedModuleError,
    UncountedModuleWarning,
    check_unknown,
    function_handler,
    macs_handler,
    traced_functions,
)

__all__ = ["LeafCall", "MacsReport", "call_macs", "count_macs", "trace_calls",
           "uncounted_modules"]


@dataclass(frozen=True)
class LeafCall:
    """One call of a leaf module, or of a torch function by a non-leaf module's ``forward``.

    Attributes
    ----------
    name : str
        Qualified name of the module (for a function call: of the module calling it).
    module : nn.Module
        The leaf (for a function call: the module whose ``forward`` called it).
    input_shape, output_shape : tuple of int
        Shapes of the first tensor argument and of the (first) tensor output.
    function : callable or None
        The torch function (``F.relu``, ``torch.Tensor.matmul``…), None for a module call.
    args, kwargs : tuple
        A function call's arguments with each tensor replaced by its shape (kwargs as
        ``(name, value)`` pairs); empty for a module call.
    """

    name: str
    module: nn.Module
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    function: Callable | None = None
    args: tuple = ()
    kwargs: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class MacsReport:
    """Result of :func:`count_macs`.

    Attributes
    ----------
    input_shape : tuple of int
        One input without the batch axis.
    total_macs : int
        Sum of ``macs`` (the uncounted modules contribute 0).
    calls : tuple of LeafCall
        Every leaf call of the forward pass, in call order.
    macs : tuple of int
        The MACs of each call (0 for an uncounted one).
    uncounted : tuple of str
        Qualified names (``""`` for the model itself) of the modules whose MACs are not
        counted: leaves with no handler, and modules with children that hold parameters
        of their own.
    """

    input_shape: tuple[int, ...]
    total_macs: int
    calls: tuple[LeafCall, ...]
    macs: tuple[int, ...]
    uncounted: tuple[str, ...] = ()


def _function_name(function: Callable) -> str:
    owner = getattr(function, "__module__", None) or getattr(
        getattr(function, "__objclass__", None), "__name__", "")
    return f"{owner}.{getattr(function, '__qualname__', repr(function))}".lstrip(".")


def _describe(name: str, module: nn.Module) -> str:
    n_params = sum(p.numel() for p in module.parameters(recurse=False))
    return (f"{name or '<model>'!s} ({type(module).__module__}.{type(module).__qualname__}, "
            f"{n_params:,} own parameters)")


def _report_uncounted(found: list[tuple[str, nn.Module, str]], unknown: str,
                      stacklevel: int) -> None:
    """Warn about (or raise for) the uncounted modules ``(name, module, why)``."""
    if not found:
        return
    lines = "; ".join(f"{_describe(name, module)}: {why}" for name, module, why in found)
    message = (f"{len(found)} module(s) not counted (priced 0 MACs): {lines}. Register a "
               "handler with tensorcnn.counting.register_macs(ModuleType, fn)")
    if unknown == "raise":
        raise UncountedModuleError(message)
    warnings.warn(message, UncountedModuleWarning, stacklevel=stacklevel + 1)


def _macs(call: LeafCall, out_channels: int | None = None) -> int | None:
    """The MACs of ``call`` (``out_channels`` applied), or None when it has no handler."""
    handler = (macs_handler(type(call.module)) if call.function is None
               else function_handler(call.function))
    if handler is None:
        return None
    if out_channels is not None and len(call.output_shape) > 1:
        shape = list(call.output_shape)
        shape[1] = out_channels
        call = dataclasses.replace(call, output_shape=tuple(shape))
    return int(handler(call))


def call_macs(call: LeafCall, out_channels: int | None = None, unknown: str = "warn") -> int:
    """MACs of one leaf call (batch of one), ptflops convention.

    Parameters
    ----------
    call : LeafCall
        From :func:`trace_calls`.
    out_channels : int, optional
        Replaces the channel count of the output (and of a conv's filters) to price the
        same call with fewer output channels (used for "what t = 1 saves").
    unknown : {"warn", "raise"}
        What a module with no registered handler does: an
        :class:`~tensorcnn.counting.registry.UncountedModuleWarning` and 0, or an
        :class:`~tensorcnn.counting.registry.UncountedModuleError`.

    Returns
    -------
    int

    Raises
    ------
    UncountedModuleError
        With ``unknown="raise"``, for a module with no handler.
    ValueError
        For an ``unknown`` other than "warn" or "raise", or ``out_channels`` < 1.
    TypeError
        If ``call`` is not a :class:`LeafCall` or ``out_channels`` not an int.
    """
    if not isinstance(call, LeafCall):
        raise TypeError(f"call must be a LeafCall (from trace_calls), got "
                        f"{type(call).__name__}")
    if out_channels is not None:
        check_int(out_channels, "out_channels")
    check_unknown(unknown)
    macs = _macs(call, out_channels)
    if macs is None:
        why = ("no MACs handler" if call.function is None
               else f"calls {_function_name(call.function)}, which has no MACs handler")
        _report_uncounted([(call.name, call.module, why)], unknown, 2)
        return 0
    return macs


def uncounted_modules(model: nn.Module,
                      calls: Sequence[LeafCall]) -> list[tuple[str, nn.Module, str]]:
    """The modules of a traced forward pass whose MACs :func:`call_macs` cannot count.

    Parameters
    ----------
    model : nn.Module
    calls : sequence of LeafCall
        ``trace_calls(model, ...)``.

    Returns
    -------
    list of (name, module, reason)
        Each called leaf with no handler and each module calling a function that costs
        MACs but has no handler (once, in call order), then each module with children that
        holds parameters of its own and calls no traced function (what it does with them,
        ``x * self.gate`` say, is not seen: only leaves and traced functions are).

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module`` or ``calls`` not a sequence of
        :class:`LeafCall`.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(calls, str | bytes) or not isinstance(calls, Sequence) or not all(
            isinstance(call, LeafCall) for call in calls):
        raise TypeError("calls must be a sequence of LeafCall (trace_calls(model, ...)), got "
                        f"{type(calls).__name__} {calls!r:.80}")
    found, seen = [], set()
    for call in calls:
        if call.function is None:
            key = id(call.module)
            missing = macs_handler(type(call.module)) is None
            why = "no MACs handler"
        else:
            key = (id(call.module), call.function)
            missing = function_handler(call.function) is None
            why = f"calls {_function_name(call.function)}, which has no MACs handler"
        if missing and key not in seen:
            seen.add(key)
            found.append((call.name, call.module, why))
    calling = {id(call.module) for call in calls if call.function is not None}
    for name, module in model.named_modules():
        if (next(module.children(), None) is not None and id(module) not in calling
                and next(module.parameters(recurse=False), None) is not None):
            found.append((name, module, "has children and parameters of its own, and its "
                          "own computation is not traced (only leaves and torch functions "
                          "are)"))
    return found


def trace_calls(model: nn.Module, input_shape: Sequence[int]) -> list[LeafCall]:
    """Run ``model`` once on zeros of shape (1, *input_shape) and record each leaf call.

    The model runs in eval mode under ``torch.no_grad`` and is returned to its mode.

    Parameters
    ----------
    model : nn.Module
    input_shape : sequence of int
        One input without the batch axis, e.g. (C, H, W).

    Returns
    -------
    list of LeafCall
        In call order; a module called twice appears twice. Calls of
        :func:`~tensorcnn.counting.registry.traced_functions` made by a non-leaf module's
        own ``forward`` are included (``function`` set).

    Raises
    ------
    ValueError
        If ``input_shape`` has a size < 1, or the model cannot run on an input of that
        shape (torch's ``RuntimeError``, e.g. a channel mismatch, as the cause).
    TypeError
        If ``model`` is not an ``nn.Module``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    input_shape = normalize_shape(input_shape, "input_shape")
    calls: list[LeafCall] = []
    handles = []
    running: list[tuple[str, nn.Module]] = []  # the non-leaf modules whose forward runs
    in_leaf = [0]
    for name, module in model.named_modules():
        if next(module.children(), None) is not None:
            def enter(module, inputs, name=name):
                running.append((name, module))

            def leave(module, inputs, output):
                running.pop()

            handles += [module.register_forward_pre_hook(enter),
                        module.register_forward_hook(leave)]
            continue

        def enter_leaf(module, inputs):
            in_leaf[0] += 1

        def hook(module, inputs, output, name=name):
            in_leaf[0] -= 1
            first = inputs[0] if inputs else output
            calls.append(LeafCall(name, module, tuple(first.shape), tuple(output.shape)))

        handles += [module.register_forward_pre_hook(enter_leaf),
                    module.register_forward_hook(hook)]
    traced = traced_functions()

    class _Functions(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            output = func(*args, **kwargs)
            if not in_leaf[0] and running and _is_traced(func, traced):
                first_in, first_out = _first_tensor(args), _first_tensor(output)
                if first_in is not None and first_out is not None:
                    name, module = running[-1]
                    calls.append(LeafCall(
                        name, module, tuple(first_in.shape), tuple(first_out.shape),
                        function=func, args=_shapes(args),
                        kwargs=tuple((k, _shapes(v)) for k, v in kwargs.items())))
            return output
    try:
        parameter = next(model.parameters(), None)
        kwargs = {} if parameter is None else dict(dtype=parameter.dtype,
                                                   device=parameter.device)
        was_training = model.training
        model.eval()
        x = torch.zeros((1, *input_shape), **kwargs)
        try:
            with torch.no_grad(), _Functions():
                model(x)
        except RuntimeError as error:
            # torch's shape errors are RuntimeErrors deep in a layer: say which input it was
            raise ValueError(f"model cannot run on an input of shape (1, *input_shape) = "
                             f"{tuple(x.shape)}: {error}") from error
        finally:
            model.train(was_training)
    finally:
        for handle in handles:
            handle.remove()
    return calls


def _is_traced(func: Any, traced: frozenset) -> bool:
    try:
        return func in traced
    except TypeError:  # an unhashable callable
        return False


def _first_tensor(value: Any) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, list | tuple):
        for item in value:
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def _shapes(value: Any) -> Any:
    """``value`` with every tensor replaced by its shape (a tuple of ints)."""
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    if isinstance(value, list | tuple):
        return tuple(_shapes(item) for item in value)
    return value


def count_macs(model: nn.Module, input_shape: Sequence[int],
               unknown: str = "warn") -> MacsReport:
    """MACs of one forward pass of ``model`` on a batch of one, call by call.

    Parameters
    ----------
    model : nn.Module
        Run once on zeros (eval mode, no grad), see :func:`trace_calls`.
    input_shape : sequence of int
        One input without the batch axis.
    unknown : {"warn", "raise"}
        What uncounted modules (see :func:`uncounted_modules`) do: one
        :class:`~tensorcnn.counting.registry.UncountedModuleWarning` naming them all, or an
        :class:`~tensorcnn.counting.registry.UncountedModuleError`.

    Returns
    -------
    MacsReport

    Raises
    ------
    UncountedModuleError
        With ``unknown="raise"`` when a module is uncounted.
    ValueError, TypeError
        As :func:`trace_calls`; ``ValueError`` for a bad ``unknown``.
    """
    check_unknown(unknown)
    calls = trace_calls(model, input_shape)
    found = uncounted_modules(model, calls)
    _report_uncounted(found, unknown, 2)
    macs = tuple(_macs(call) or 0 for call in calls)
    return MacsReport(tuple(input_shape), sum(macs), tuple(calls), macs,
                      tuple(dict.fromkeys(name for name, _, _ in found)))
