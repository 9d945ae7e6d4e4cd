r"""The channel graph of a model, read from a torch.fx trace, for garbage collection.

A *channel space* is a set of tensors whose axis 1 carries the same channels: the output
of a producer (a Linear's output units, a Conv's output channels, or the model's input),
carried through channel-wise modules (Switch, BatchNorm, activations, pooling, dropout,
Flatten, which turns each channel into a block of columns) and joined by residual sums
(``a + b`` puts ``a`` and ``b`` in one space: they must lose the same channels). A module
called several times joins the spaces of its calls. A space ends at its *consumers*: the
Linear / Conv layers that read it (their input columns / channels).

Channel c of a space can be removed when it is exactly 0 in the input of every consumer:
then the consumers' outputs do not depend on it, and it can be cut from every producer,
member and consumer of the space. Zeros start at the dead units of Switches and are
carried by the modules that map 0 to 0 channel-wise; a sum is 0 where all of its terms
are. :class:`ChannelGraph` records, per space, what it takes to decide that: the zero mask
of every consumer's input, the places where a zero channel stops being 0 (a BatchNorm, a
sigmoid: ``losses``) and the reasons why the space cannot be cut at all (``barriers``:
it reaches the model's output, an operation that mixes channels or is not understood,
a grouped convolution, sizes that disagree).

The trace has no shapes: a Linear is taken to read axis 1 (a 2-D input, or a flattened
one) and a Conv its channels; the sizes of every producer, member and consumer of a space
must agree, which catches a Linear applied to another axis unless the sizes coincide.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import fx, nn

from .switch import Switch

__all__ = ["ChannelGraph", "Space"]

_CONV = nn.modules.conv._ConvNd
_BATCHNORM = nn.modules.batchnorm._BatchNorm
#: Channel-wise modules that map 0 to 0 whatever their settings.
_ZERO_PRESERVING_MODULES = (nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)
#: The same, for tensors whose axis 1 is the channel axis only (not after Flatten).
_SPATIAL_MODULES = (
    nn.Upsample, nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd,
    nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)
#: Element-wise modules; whether they map 0 to 0 is checked numerically.
_ELEMENTWISE_MODULES = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.CELU, nn.SELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Tanh, nn.Hardtanh, nn.Hardswish, nn.Hardshrink, nn.Softshrink, nn.Tanhshrink,
    nn.Softsign, nn.Threshold, nn.RReLU, nn.Sigmoid, nn.Hardsigmoid, nn.LogSigmoid,
    nn.Softplus)
#: Element-wise modules that do not map 0 to 0 (in training mode).
_LOSSY_MODULES = (nn.AlphaDropout, nn.FeatureAlphaDropout)
#: Element-wise functions and methods; whether they map 0 to 0 is checked numerically.
_ELEMENTWISE_FUNCTIONS = {
    torch.relu, torch.relu_, F.relu, F.relu_, F.relu6, F.leaky_relu, F.elu, F.selu, F.celu,
    F.gelu, F.silu, F.mish, F.hardtanh, F.hardswish, torch.tanh, F.tanh, torch.sigmoid,
    F.sigmoid, F.softplus, F.logsigmoid, F.hardsigmoid, torch.neg, operator.neg, torch.abs,
    operator.abs}
_ELEMENTWISE_METHODS = {"relu", "relu_", "tanh", "tanh_", "sigmoid", "sigmoid_", "neg",
                        "neg_", "abs", "abs_", "clone", "contiguous"}
#: Channel-wise functions that map 0 to 0 whatever their arguments.
_DROPOUT_FUNCTIONS = {F.dropout, F.dropout1d, F.dropout2d, F.dropout3d}
#: The same, for tensors whose axis 1 is the channel axis only (not after Flatten).
_SPATIAL_FUNCTIONS = {
    F.max_pool1d, F.max_pool2d,
    F.max_pool3d, F.avg_pool1d, F.avg_pool2d, F.avg_pool3d, F.adaptive_avg_pool1d,
    F.adaptive_avg_pool2d, F.adaptive_avg_pool3d, F.adaptive_max_pool1d,
    F.adaptive_max_pool2d, F.adaptive_max_pool3d, F.interpolate}
_SUMS = {operator.add, operator.iadd, operator.sub, operator.isub, torch.add, torch.sub}
_SUM_METHODS = {"add", "add_", "sub", "sub_"}
_SCALINGS = {operator.mul, operator.imul, operator.truediv, operator.itruediv, torch.mul,
             torch.div}
_SCALING_METHODS = {"mul", "mul_", "div", "div_"}
_REDUCTIONS = {torch.mean, torch.sum, torch.amax, torch.amin}
_REDUCTION_METHODS = {"mean", "sum", "amax", "amin"}
#: Reads of a tensor that do not use its values (the results are not tensors).
_SHAPE_METHODS = {"size", "dim"}


class _Tracer(fx.Tracer):
    """torch.fx's tracer with Switch as a leaf (its forward checks the input's shape)."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return isinstance(m, Switch) or super().is_leaf_module(m, module_qualified_name)


def describe_switch(name: str) -> str:
    """How error messages name a Switch (``index i`` for a child of an nn.Sequential)."""
    return f"the Switch at index {name}" if name.isdigit() else f"the Switch {name!r}"


@dataclass
class Space:
    """One channel space (see the module docstring).

    ``producers``: (name, module) of the Linear/Conv layers whose outputs it is, module
    None for the model's input; ``members``: (name, module) of the Switch, BatchNorm and
    PReLU layers with a parameter per channel; ``consumers``: (name, module, layout) of the
    Linear/Conv layers that read it, layout "channels" or "flat" (after Flatten: a block of
    columns per channel); ``consumer_zeros``: the zero mask (bool, shape (C,), None for no
    zero channel) of every consumer's input; ``losses``: (where, zero mask of its input) of
    every operation that does not map 0 to 0; ``barriers``: why no channel can be removed.
    """

    size: int | None = None
    producers: list[tuple[str, nn.Module | None]] = field(default_factory=list)
    members: list[tuple[str, nn.Module]] = field(default_factory=list)
    consumers: list[tuple[str, nn.Module, str]] = field(default_factory=list)
    consumer_zeros: list[torch.Tensor | None] = field(default_factory=list)
    losses: list[tuple[str, torch.Tensor]] = field(default_factory=list)
    barriers: list[str] = field(default_factory=list)

    def merge(self, other: Space) -> None:
        if other.size is not None:
            self.set_size(other.size, "a joined branch")
        self.producers += other.producers
        self.members += other.members
        self.consumers += other.consumers
        self.consumer_zeros += other.consumer_zeros
        self.losses += other.losses
        self.barriers += other.barriers

    def set_size(self, size: int, where: str) -> None:
        if self.size is None:
            self.size = size
        elif self.size != size:
            self.barriers.append(f"its sizes disagree ({self.size} channels, {size} at "
                                 f"{where}: is a Linear applied to an axis other than 1?)")

    def switches(self) -> list[tuple[str, Switch]]:
        return [(name, m) for name, m in _unique(self.members) if isinstance(m, Switch)]


def _unique(pairs):
    seen, out = set(), []
    for pair in pairs:
        if id(pair[1]) not in seen:
            seen.add(id(pair[1]))
            out.append(pair)
    return out


@dataclass
class _Value:
    """A tensor of the graph: its space, layout and the mask of its channels known to be 0."""

    space: int
    layout: str  # "channels" (axis 1 is the space) or "flat" (axis 1 is C blocks)
    zero: torch.Tensor | None


def _and(a: torch.Tensor | None, b: torch.Tensor | None) -> torch.Tensor | None:
    if a is None or b is None or a.shape != b.shape:
        return None
    return a & b


def _or(a: torch.Tensor | None, b: torch.Tensor | None) -> torch.Tensor | None:
    if a is None:
        return b
    if b is None or a.shape != b.shape:
        return a
    return a | b


def _maps_zero_to_zero(fn, *args, **kwargs) -> bool:
    """Whether ``fn(0, *args, **kwargs)`` is 0 (checked on a small zero tensor)."""
    try:
        with torch.no_grad():
            out = fn(torch.zeros(2, 3, 2, dtype=torch.get_default_dtype()), *args, **kwargs)
    except Exception:  # noqa: BLE001 - not an element-wise operation
        return False
    return torch.is_tensor(out) and out.shape == (2, 3, 2) and bool((out == 0).all())


class ChannelGraph:
    """The channel spaces of ``model`` (see the module docstring).

    Parameters
    ----------
    model : nn.Module
        Traced with torch.fx (Switch and torch.nn's own modules are leaves; everything
        else, nested containers and residual blocks included, is traced through).

    Raises
    ------
    TypeError
        torch.fx cannot trace ``model`` (e.g. data-dependent control flow, no forward).
    """

    def __init__(self, model: nn.Module) -> None:
        try:
            self.graph = _Tracer().trace(model)
        except Exception as err:  # noqa: BLE001 - any tracing failure is reported
            raise TypeError(
                f"model ({type(model).__name__}) cannot be traced by torch.fx, which "
                "garbage collection needs (e.g. an nn.Sequential, or a module whose forward "
                f"has no data-dependent control flow): {type(err).__name__}: {err}"
            ) from err
        self.modules = dict(model.named_modules())
        self._parent: list[int] = []
        self._spaces: list[Space] = []
        self._module_space: dict[tuple[str, int], int] = {}
        self._values: dict[fx.Node, _Value | None] = {}
        self._first_input = True
        for node in self.graph.nodes:
            self._values[node] = self._visit(node)

    # ------------------------------------------------------------------ union-find
    def _new_space(self, barrier: str | None = None) -> int:
        self._parent.append(len(self._parent))
        self._spaces.append(Space(barriers=[barrier] if barrier else []))
        return len(self._parent) - 1

    def _find(self, i: int) -> int:
        while self._parent[i] != i:
            self._parent[i] = self._parent[self._parent[i]]
            i = self._parent[i]
        return i

    def _union(self, i: int, j: int) -> int:
        i, j = self._find(i), self._find(j)
        if i != j:
            self._parent[j] = i
            self._spaces[i].merge(self._spaces[j])
            self._spaces[j] = None  # type: ignore[assignment]
        return i

    def space(self, i: int) -> Space:
        return self._spaces[self._find(i)]

    def spaces(self) -> list[Space]:
        """Every channel space (one entry per set of joined tensors)."""
        return [s for i, s in enumerate(self._spaces) if self._find(i) == i]

    def _module_space_of(self, role: str, module: nn.Module, space: int | None) -> int:
        """The space of a module's inputs or outputs, joined over all its calls."""
        key = (role, id(module))
        if key not in self._module_space:
            self._module_space[key] = self._new_space() if space is None else space
        elif space is not None:
            self._module_space[key] = self._union(self._module_space[key], space)
        return self._find(self._module_space[key])

    # ---------------------------------------------------------------------- nodes
    def _tensor_args(self, node: fx.Node) -> list[_Value]:
        found: list[_Value] = []
        fx.node.map_arg((node.args, node.kwargs),
                        lambda n: found.append(self._values[n]) if self._values.get(n)
                        else None)
        return found

    def _bar(self, node: fx.Node, reason: str) -> _Value:
        """Every tensor argument of ``node`` cannot be cut; its output is a new space."""
        for value in self._tensor_args(node):
            self.space(value.space).barriers.append(reason)
        return _Value(self._new_space(f"it is produced by {reason}"), "channels", None)

    def _visit(self, node: fx.Node) -> _Value | None:
        if node.op == "placeholder":
            reason = None if self._first_input else (
                f"it is the model's input {node.name!r} (only the first input can be cut)")
            space = self._new_space(reason)
            self._first_input = False
            self.space(space).producers.append((node.name, None))
            return _Value(space, "channels", None)
        if node.op == "get_attr":
            return None
        if node.op == "output":
            for value in self._tensor_args(node):
                self.space(value.space).barriers.append("it is an output of the model")
            return None
        if node.op == "call_module":
            return self._visit_module(node, node.target, self.modules[node.target])
        return self._visit_call(node)

    def _first(self, node: fx.Node) -> _Value | None:
        arg = node.args[0] if node.args else None
        return self._values.get(arg) if isinstance(arg, fx.Node) else None

    def _others_constant(self, node: fx.Node) -> bool:
        rest = [a for a in (*node.args[1:], *node.kwargs.values())]
        found: list[fx.Node] = []
        fx.node.map_arg(rest, found.append)
        return not found

    def _visit_module(self, node: fx.Node, name: str, module: nn.Module) -> _Value:
        x = self._first(node)
        what = f"{name} ({type(module).__name__})"
        if len(node.args) != 1 or node.kwargs:
            return self._bar(node, f"{what}, called with several arguments")
        if isinstance(module, nn.Linear | _CONV):
            transposed = isinstance(module, _CONV) and module.transposed
            if transposed or (isinstance(module, _CONV) and module.groups != 1):
                kind = "transposed" if transposed else "grouped"
                return self._bar(node, f"{what}, a {kind} convolution")
            size_in = module.in_features if isinstance(module, nn.Linear) else module.in_channels
            if x is not None:
                if isinstance(module, _CONV) and x.layout == "flat":
                    self.space(x.space).barriers.append(f"{what} reads it flattened")
                space_in = self._module_space_of("in", module, x.space)
                target = self.space(space_in)
                if x.layout == "channels":
                    target.set_size(size_in, what)
                target.consumers.append((name, module, x.layout))
                target.consumer_zeros.append(x.zero)
            size_out = (module.out_features if isinstance(module, nn.Linear)
                        else module.out_channels)
            space_out = self._module_space_of("out", module, None)
            out = self.space(space_out)
            if not any(m is module for _, m in out.producers):
                out.producers.append((name, module))
            out.set_size(size_out, what)
            return _Value(space_out, "channels", None)
        if x is None:
            return self._bar(node, what)
        if isinstance(module, Switch | _BATCHNORM) or (
                isinstance(module, nn.PReLU) and module.num_parameters > 1):
            if x.layout != "channels":
                return self._bar(node, f"{what} on a flattened tensor")
            space = self._module_space_of("member", module, x.space)
            target = self.space(space)
            size = module.num_parameters if isinstance(module, nn.PReLU) else module.num_features
            target.set_size(size, what)
            target.members.append((name, module))
            if isinstance(module, Switch):
                return _Value(space, "channels", _or(x.zero, ~module.alive.detach().cpu()))
            if isinstance(module, nn.PReLU):
                return _Value(space, "channels", x.zero)
            return self._lose(x, space, what)
        if isinstance(module, nn.Flatten):
            if x.layout == "channels" and module.start_dim == 1 and module.end_dim == -1:
                return _Value(x.space, "flat", x.zero)
            return self._bar(node, f"{what} other than from axis 1 to the last")
        if isinstance(module, (*_ZERO_PRESERVING_MODULES, nn.PReLU)):
            return x
        if isinstance(module, _SPATIAL_MODULES):
            return x if x.layout == "channels" else self._bar(node, f"{what} after Flatten")
        if isinstance(module, _LOSSY_MODULES):
            return self._lose(x, x.space, what)
        if isinstance(module, _ELEMENTWISE_MODULES):
            return x if _maps_zero_to_zero(module) else self._lose(x, x.space, what)
        return self._bar(node, f"{what}, a module garbage collection does not know")

    def _lose(self, x: _Value, space: int, where: str) -> _Value:
        """An operation that does not map 0 to 0: the zero channels of ``x`` stop there."""
        if x.zero is not None and bool(x.zero.any()):
            self.space(space).losses.append((where, x.zero))
        return _Value(self._find(space), x.layout, None)

    def _visit_call(self, node: fx.Node) -> _Value | None:
        target, method = node.target, node.op == "call_method"
        label = (f"the method .{target}()" if method
                 else f"{getattr(target, '__name__', target)}()")
        what = f"{label} at node {node.name!r}"
        tensors = self._tensor_args(node)
        if not tensors:
            return None
        x = self._first(node)
        if method and target in _SHAPE_METHODS or (
                not method and target is getattr and node.args[1] in ("shape", "device",
                                                                      "dtype")):
            return None
        if (target in _SUM_METHODS if method else target in _SUMS):
            return self._visit_sum(node, what)
        if (target in _SCALING_METHODS if method else target in _SCALINGS):
            scalars = [a for a in (*node.args, *node.kwargs.values())
                       if not isinstance(a, fx.Node)]
            if len(tensors) == 1 and len(node.args) == 2 and len(scalars) == 1 and \
                    isinstance(scalars[0], int | float) and math.isfinite(scalars[0]) and \
                    (scalars[0] != 0 or target in (operator.mul, operator.imul, torch.mul,
                                                   "mul", "mul_")):
                return self._values[next(a for a in node.args if isinstance(a, fx.Node))]
            return self._bar(node, f"{what} (only a product by a finite number is known)")
        if x is not None and len(tensors) == 1 and self._is_flatten(node, method):
            if x.layout == "channels":  # the batch size may come from x.size(0)
                return _Value(x.space, "flat", x.zero)
            return self._bar(node, f"{what} of a flattened tensor")
        if x is None or len(tensors) != 1 or not self._others_constant(node):
            return self._bar(node, what)
        if (target in _ELEMENTWISE_METHODS if method else target in _ELEMENTWISE_FUNCTIONS):
            args, kwargs = node.args[1:], node.kwargs
            fn = (lambda t, *a, **k: getattr(t, target)(*a, **k)) if method else target
            return x if _maps_zero_to_zero(fn, *args, **kwargs) else \
                self._lose(x, x.space, what)
        if not method and target in _DROPOUT_FUNCTIONS:
            return x
        if not method and target in _SPATIAL_FUNCTIONS:
            return x if x.layout == "channels" else self._bar(node, f"{what} after Flatten")
        if (target in _REDUCTION_METHODS if method else target in _REDUCTIONS):
            dims = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)
            dims = (dims,) if isinstance(dims, int) else dims
            if x.layout == "channels" and isinstance(dims, tuple | list) and dims and \
                    all(isinstance(d, int) and d >= 2 for d in dims):
                return x
            return self._bar(node, f"{what} (only reductions over axes >= 2 are known)")
        return self._bar(node, f"{what}, an operation garbage collection does not know")

    def _visit_sum(self, node: fx.Node, what: str) -> _Value:
        terms = [a for a in node.args[:2]]
        values = [self._values.get(a) if isinstance(a, fx.Node) else None for a in terms]
        if any(isinstance(a, fx.Node) and v is None for a, v in zip(terms, values,
                                                                   strict=True)):
            return self._bar(node, f"{what}, a sum with a tensor that is not a channel "
                             "space (a parameter or buffer)")
        if set(node.kwargs) - {"alpha"}:
            return self._bar(node, what)
        if all(v is not None for v in values):
            a, b = values
            if a.layout != b.layout:
                return self._bar(node, f"{what}, a sum of a flat and an unflattened tensor")
            return _Value(self._union(a.space, b.space), a.layout, _and(a.zero, b.zero))
        x = next(v for v in values if v is not None)
        constant = next(a for a in terms if not isinstance(a, fx.Node))
        if isinstance(constant, int | float) and constant == 0:
            return x
        return self._lose(x, x.space, what)

    @staticmethod
    def _is_flatten(node: fx.Node, method: bool) -> bool:
        """``torch.flatten(x, 1)``, ``x.flatten(1)``, ``x.view(n, -1)``, ``x.reshape(n, -1)``."""
        target, args, kwargs = node.target, node.args, node.kwargs
        if (method and target == "flatten") or (not method and target is torch.flatten):
            start = kwargs.get("start_dim", args[1] if len(args) > 1 else 0)
            end = kwargs.get("end_dim", args[2] if len(args) > 2 else -1)
            return start == 1 and end == -1
        if (method and target in ("view", "reshape")) or (not method and
                                                          target is torch.reshape):
            shape = args[1:] if method else args[1:2]
            if len(shape) == 1 and isinstance(shape[0], tuple | list):
                shape = tuple(shape[0])
            return len(shape) == 2 and shape[1] == -1 and not kwargs
        return False

