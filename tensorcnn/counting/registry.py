"""What a leaf module (or a torch function) costs: a registry of MACs handlers, by MRO.

fvcore's design, applied to leaf modules: :func:`register_macs` maps a module class to a
handler ``fn(call) -> int`` (the MACs of one :class:`~tensorcnn.counting.trace.LeafCall`,
batch of one), and :func:`macs_handler` finds the handler of the nearest class in a type's
MRO, so a subclass of ``nn.Conv2d`` is priced as a convolution unless it registers its own.

The built-in handlers follow ptflops' PyTorch backend (the papers' GMac convention):

* convolutions and ``nn.Linear``: their multiply-adds, +1 per output for a bias; a
  transposed convolution, as ptflops, k · C_in · C_out / groups per *input* position;
* ``nn.BatchNorm*``: 2 per element (1 if not affine); ``nn.InstanceNorm*``,
  ``nn.GroupNorm``: likewise; ``nn.LayerNorm``: 1 per element (ptflops reads ``affine``,
  which ``LayerNorm`` does not have);
* activations (ReLU family, ELU, GELU, SiLU, sigmoid, tanh, softmax, …) and
  ``nn.Upsample``: 1 per output element; pooling: 1 per *input* element;
* free (registered as 0): ``nn.Identity``, ``nn.Flatten``, ``nn.Unflatten``, dropout,
  padding, ``nn.ChannelShuffle``, ``nn.PixelShuffle``, ``nn.PixelUnshuffle``;
* the package's own leaves: :class:`~tensorcnn.nets.local.LocallyConnected2d` costs what the
  matching ``nn.Conv2d`` costs (H_out W_out C_out C_in k_h k_w, +1 per output for a bias);
  :class:`~tensorcnn.sparsity.switch.Switch` (diag(θ) on axis 1) 1 per output element, as
  a non-affine batch norm. They are registered on first lookup, so importing
  :mod:`tensorcnn.counting` imports neither :mod:`tensorcnn.nets` nor
  :mod:`tensorcnn.sparsity`.

Torch functions that a module with children calls in its own ``forward`` (a residual
block's ``F.relu``) are priced by :func:`register_function_macs` handlers, looked up by
identity: the functional forms of the layers above (``F.conv2d``, ``F.linear``,
``F.batch_norm``, ``F.relu``, ``F.max_pool2d``, ``F.softmax``, ``F.interpolate`` …) and
``torch.matmul``/``mm``/``bmm`` (output elements × inner size), ``addmm``/``baddbmm``.
Elementwise arithmetic, concatenation and reshapes stay 0 (the convention); ``torch.einsum``,
``torch.tensordot``, ``torch.kron``, ``F.bilinear`` and attention functions are known to
cost MACs but have no handler, so their calls are reported.

A leaf without a handler is *uncounted*: :func:`~tensorcnn.counting.trace.call_macs`,
:func:`~tensorcnn.counting.trace.count_macs` and :func:`~tensorcnn.counting.audit` emit an
:class:`UncountedModuleWarning` naming it (``unknown="warn"``, the default) or raise an
:class:`UncountedModuleError` (``unknown="raise"``); it is never priced 0 silently.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:  # pragma: no cover
    from .trace import LeafCall

__all__ = ["UNKNOWN_POLICIES", "MacsHandler", "UncountedModuleError", "UncountedModuleWarning",
           "check_unknown", "function_handler", "macs_handler", "register_function_macs",
           "register_macs", "registered_types", "traced_functions"]

#: ``fn(call) -> int``: the MACs of one leaf call, batch of one. ``call.output_shape`` is
#: the shape to price (``call_macs(out_channels=...)`` has already replaced its channels).
MacsHandler = Callable[["LeafCall"], int]

#: Values of the ``unknown=`` argument of the counting functions.
UNKNOWN_POLICIES = ("warn", "raise")

_HANDLERS: dict[type[nn.Module], MacsHandler] = {}
_FUNCTION_HANDLERS: dict[Any, MacsHandler] = {}
#: Functions that cost MACs but have no built-in handler: called by a module's own forward
#: (outside a leaf), they are reported as uncounted unless a handler is registered.
_UNPRICED_FUNCTIONS = {torch.einsum, torch.tensordot, torch.kron, F.bilinear,
                       F.scaled_dot_product_attention, F.multi_head_attention_forward}
_PACKAGE_HANDLERS_LOADED = False


class UncountedModuleWarning(UserWarning):
    """A forward pass called a leaf module that no MACs handler covers (priced 0)."""


class UncountedModuleError(RuntimeError):
    """Raised instead of :class:`UncountedModuleWarning` when ``unknown="raise"``."""


def check_unknown(unknown: str) -> str:
    """``unknown`` when it is ``"warn"`` or ``"raise"``.

    Raises
    ------
    ValueError
        For any other value.
    """
    if unknown not in UNKNOWN_POLICIES:
        raise ValueError(f"unknown must be one of {UNKNOWN_POLICIES}, got {unknown!r}")
    return unknown


def _check_type(module_type: object) -> type[nn.Module]:
    if not (isinstance(module_type, type) and issubclass(module_type, nn.Module)):
        raise TypeError(f"module_type must be an nn.Module subclass, got {module_type!r}")
    if module_type is nn.Module:
        raise ValueError("registering nn.Module itself would price every module; register "
                         "the classes you mean")
    return module_type


def register_macs(module_type: type[nn.Module] | tuple[type[nn.Module], ...],
                  fn: MacsHandler | None = None):
    """Register ``fn`` as the MACs handler of ``module_type`` (and its subclasses).

    Usable directly, ``register_macs(MyLayer, fn)``, or as a decorator,
    ``@register_macs(MyLayer)``. A later registration of the same class replaces the
    earlier one; a subclass with no registration of its own inherits the handler of the
    nearest registered class in its MRO.

    Parameters
    ----------
    module_type : type or tuple of types
        ``nn.Module`` subclasses (not ``nn.Module`` itself).
    fn : callable ``(LeafCall) -> int``, optional
        The MACs of one call, batch of one; omitted, a decorator is returned.

    Returns
    -------
    callable
        ``fn`` (or the decorator that registers and returns it).

    Raises
    ------
    TypeError
        If a ``module_type`` is not an ``nn.Module`` subclass, or ``fn`` is not callable.
    ValueError
        If a ``module_type`` is ``nn.Module``, or ``module_type`` is an empty tuple.
    """
    types = module_type if isinstance(module_type, tuple) else (module_type,)
    if not types:
        raise ValueError("module_type must name at least one nn.Module subclass, got ()")
    types = tuple(_check_type(t) for t in types)

    def decorator(handler: MacsHandler) -> MacsHandler:
        if not callable(handler):
            raise TypeError(f"fn (a MACs handler) must be callable, got {handler!r}")
        for t in types:
            _HANDLERS[t] = handler
        return handler

    return decorator if fn is None else decorator(fn)


def macs_handler(module_type: type[nn.Module]) -> MacsHandler | None:
    """The handler of the nearest registered class in ``module_type``'s MRO, or None.

    Parameters
    ----------
    module_type : type
        An ``nn.Module`` subclass.

    Returns
    -------
    callable or None
        None when no class of the MRO is registered (the module is *uncounted*).

    Raises
    ------
    TypeError
        If ``module_type`` is not an ``nn.Module`` subclass (a module instance included).
    """
    if not (isinstance(module_type, type) and issubclass(module_type, nn.Module)):
        raise TypeError(f"module_type must be an nn.Module subclass, got {module_type!r}")
    _load_package_handlers()
    for klass in module_type.__mro__:
        handler = _HANDLERS.get(klass)
        if handler is not None:
            return handler
    return None


def registered_types() -> tuple[type[nn.Module], ...]:
    """Every class with a handler of its own (not the inherited ones)."""
    _load_package_handlers()
    return tuple(_HANDLERS)


def register_function_macs(function: Any, fn: MacsHandler | None = None):
    """Register ``fn`` as the MACs handler of a torch function (``F.relu``, ``torch.matmul``).

    It prices the calls of ``function`` that a module's *own* ``forward`` makes (a
    container such as a residual block calling ``F.relu``): calls inside a leaf module are
    the leaf's handler's business. Usable as a decorator; the lookup is by identity.

    Parameters
    ----------
    function : callable or tuple of callables
        As ``__torch_function__`` sees it: ``F.relu``, ``torch.relu`` and
        ``torch.Tensor.relu`` are three functions.
    fn : callable ``(LeafCall) -> int``, optional
        Gets a :class:`~tensorcnn.counting.trace.LeafCall` whose ``function`` is set and
        whose ``args``/``kwargs`` are the call's, tensors replaced by their shapes.

    Returns
    -------
    callable
        ``fn`` (or the decorator that registers and returns it).

    Raises
    ------
    TypeError
        If a ``function`` or ``fn`` is not callable (or a ``function`` not hashable).
    ValueError
        If ``function`` is an empty tuple.
    """
    functions = function if isinstance(function, tuple) else (function,)
    if not functions:
        raise ValueError("function must name at least one callable, got ()")
    for f in functions:
        if not callable(f):
            raise TypeError(f"function must be callable, got {f!r}")
        try:
            hash(f)
        except TypeError:       # the lookup is by identity, in a dict
            raise TypeError(f"function must be hashable (looked up by identity), got "
                            f"{f!r}") from None

    def decorator(handler: MacsHandler) -> MacsHandler:
        if not callable(handler):
            raise TypeError(f"fn (a MACs handler) must be callable, got {handler!r}")
        for f in functions:
            _FUNCTION_HANDLERS[f] = handler
        return handler

    return decorator if fn is None else decorator(fn)


def function_handler(function: Any) -> MacsHandler | None:
    """The handler registered for ``function`` (by identity), or None.

    Raises
    ------
    TypeError
        If ``function`` is not callable (nothing else can be registered).
    """
    if not callable(function):
        raise TypeError(f"function must be callable (a torch function such as F.relu), got "
                        f"{function!r}")
    try:
        return _FUNCTION_HANDLERS.get(function)
    except TypeError:           # an unhashable callable: never registered (lookup by identity)
        return None


def traced_functions() -> frozenset:
    """The functions :func:`~tensorcnn.counting.trace.trace_calls` records outside leaves:
    those with a handler and those known to cost MACs without one (reported)."""
    return frozenset(_FUNCTION_HANDLERS) | frozenset(_UNPRICED_FUNCTIONS)


# --------------------------------------------------------------------------- built-ins

def _out_elements(call: LeafCall) -> int:
    return math.prod(call.output_shape[1:])


def _in_elements(call: LeafCall) -> int:
    return math.prod(call.input_shape[1:])


def _conv_macs(call: LeafCall) -> int:
    module = call.module
    bias = _out_elements(call) if module.bias is not None else 0
    if module.transposed:
        # ptflops: every input position meets k · C_in · C_out / groups weights.
        out_channels = call.output_shape[1] if len(call.output_shape) > 1 else 1
        positions = math.prod(call.input_shape[2:])
        return (positions * math.prod(module.kernel_size) * module.in_channels
                * (out_channels // module.groups) + bias)
    per_output = math.prod(module.kernel_size) * module.in_channels // module.groups
    return _out_elements(call) * per_output + bias


def _linear_macs(call: LeafCall) -> int:
    module = call.module
    return _out_elements(call) * (module.in_features + (1 if module.bias is not None else 0))


def _affine_norm_macs(call: LeafCall) -> int:
    return _out_elements(call) * (2 if getattr(call.module, "affine", False) else 1)


def _per_output(call: LeafCall) -> int:
    return _out_elements(call)


def _per_input(call: LeafCall) -> int:
    return _in_elements(call)


def _free(call: LeafCall) -> int:
    return 0


def _locally_connected_macs(call: LeafCall) -> int:
    """LocallyConnected2d: the MACs of the matching ``nn.Conv2d`` (one filter a position)."""
    module = call.module
    fan_in = module.in_channels * math.prod(module.kernel_size)
    return _out_elements(call) * (fan_in + (1 if module.bias is not None else 0))


def _argument(call: LeafCall, index: int, name: str, default: Any = None) -> Any:
    """Argument ``index`` (or keyword ``name``) of a function call; tensors are shapes."""
    if len(call.args) > index:
        return call.args[index]
    return dict(call.kwargs).get(name, default)


def _numel(call: LeafCall) -> int:
    return math.prod(call.output_shape)


def _f_per_input(call: LeafCall) -> int:
    return math.prod(call.input_shape)


def _f_linear(call: LeafCall) -> int:
    weight = _argument(call, 1, "weight")
    bias = _argument(call, 2, "bias") is not None
    return _numel(call) * (weight[-1] + (1 if bias else 0))


def _f_conv(call: LeafCall) -> int:
    weight = _argument(call, 1, "weight")
    bias = _numel(call) if _argument(call, 2, "bias") is not None else 0
    return _numel(call) * math.prod(weight[1:]) + bias


def _f_conv_transpose(call: LeafCall) -> int:
    # weight (C_in, C_out / groups, *k): every input position meets all of it (ptflops).
    weight = _argument(call, 1, "weight")
    bias = _numel(call) if _argument(call, 2, "bias") is not None else 0
    positions = call.input_shape[0] * math.prod(call.input_shape[2:])
    return positions * math.prod(weight) + bias


def _f_norm(weight_index: int) -> MacsHandler:
    def handler(call: LeafCall) -> int:
        affine = _argument(call, weight_index, "weight") is not None
        return _numel(call) * (2 if affine else 1)
    return handler


def _f_matmul(call: LeafCall) -> int:
    inner = _argument(call, 0, "input")[-1]
    return _numel(call) * inner


def _f_addmm(call: LeafCall) -> int:
    inner = _argument(call, 1, "mat1", _argument(call, 1, "batch1"))[-1]
    return _numel(call) * inner + math.prod(_argument(call, 0, "input"))


def _optional(*names: str, namespace=nn) -> tuple[type[nn.Module], ...]:
    return tuple(getattr(namespace, name) for name in names if hasattr(namespace, name))


register_macs(nn.modules.conv._ConvNd, _conv_macs)
register_macs(nn.Linear, _linear_macs)
register_macs((nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm,
               nn.GroupNorm, nn.LayerNorm), _affine_norm_macs)
register_macs((nn.ReLU, nn.ReLU6, nn.PReLU, nn.ELU, nn.LeakyReLU, nn.SiLU, nn.GELU,
               nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid, nn.Tanh, nn.Hardtanh, nn.SELU,
               nn.CELU, nn.Mish, nn.Softplus, nn.LogSigmoid, nn.Softmax, nn.Upsample),
              _per_output)
register_macs((nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd,
               nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd),
              _per_input)
register_macs((nn.Identity, nn.Flatten, nn.Unflatten, nn.modules.dropout._DropoutNd,
               nn.ChannelShuffle, nn.PixelShuffle, nn.PixelUnshuffle)
              + _optional("_ConstantPadNd", "_ReflectionPadNd", "_ReplicationPadNd",
                          "_CircularPadNd", namespace=nn.modules.padding), _free)


_ACTIVATION_FUNCTIONS = (
    F.relu, F.relu6, F.elu, F.leaky_relu, F.prelu, F.gelu, F.silu, F.hardswish, F.hardsigmoid,
    F.hardtanh, F.selu, F.celu, F.mish, F.softplus, F.logsigmoid, F.softmax, F.log_softmax,
    F.sigmoid, F.tanh, F.interpolate, torch.relu, torch.relu_, torch.sigmoid, torch.tanh,
    torch.softmax, torch.Tensor.relu, torch.Tensor.relu_, torch.Tensor.sigmoid,
    torch.Tensor.tanh, torch.Tensor.softmax)
_POOL_FUNCTIONS = (
    F.max_pool1d, F.max_pool2d, F.max_pool3d, F.avg_pool1d, F.avg_pool2d, F.avg_pool3d,
    F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d,
    F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d)
register_function_macs(_ACTIVATION_FUNCTIONS, _numel)
register_function_macs(_POOL_FUNCTIONS, _f_per_input)
register_function_macs(F.linear, _f_linear)
register_function_macs((F.conv1d, F.conv2d, F.conv3d), _f_conv)
register_function_macs((F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d),
                       _f_conv_transpose)
register_function_macs(F.batch_norm, _f_norm(3))
register_function_macs(F.instance_norm, _f_norm(3))
register_function_macs(F.group_norm, _f_norm(2))
register_function_macs(F.layer_norm, lambda call: _numel(call))  # 1, as nn.LayerNorm
register_function_macs((torch.matmul, torch.Tensor.matmul, torch.mm, torch.Tensor.mm,
                        torch.bmm, torch.Tensor.bmm), _f_matmul)
register_function_macs((torch.addmm, torch.Tensor.addmm, torch.baddbmm, torch.Tensor.baddbmm),
                       _f_addmm)


def _load_package_handlers() -> None:
    """Register the package's own leaf modules (lazily: no import cycle with ``nets``)."""
    global _PACKAGE_HANDLERS_LOADED
    if _PACKAGE_HANDLERS_LOADED:
        return
    from ..nets.local import LocallyConnected2d
    from ..sparsity.switch import Switch

    _PACKAGE_HANDLERS_LOADED = True

    # setdefault: a handler the user registered before the first lookup wins.
    _HANDLERS.setdefault(LocallyConnected2d, _locally_connected_macs)
    _HANDLERS.setdefault(Switch, _per_output)
