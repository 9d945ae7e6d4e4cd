"""The fuzz registry: for each public name of tensorcnn, how to call it with valid input and
which invalid inputs it must refuse, or why it is exempt (issue #14).

A public name is every entry of every ``__all__`` of every tensorcnn module, keyed by the
module that *defines* it (``tensorcnn.data.inputs.var1_inputs``; re-exports share that
key). :func:`public_names` walks them; ``test_fuzz.py`` fails when one has neither an
:class:`Entry` nor an :class:`Exempt` here, so a new public function cannot slip in unfuzzed.

An :class:`Entry` gives

* ``base``: a function returning one valid call (keyword arguments, plus ``args`` for
  positional-only ones); the invalid cases replace one argument of it at a time;
* ``valid``: optionally a hypothesis strategy of more valid calls (default: ``base``);
* ``bad``: argument name → values that must be refused with ``ValueError`` / ``TypeError``
  whose message names the argument (a :class:`Bad` to expect another name or mark an
  owner's ``xfail``);
* ``check``: what a valid result must satisfy beyond "finite" (shape, dtype, type);
* ``call``: how to call (default: the public object itself), e.g. a method of a class.

More than one entry may share a name (a class and its methods: ``"tensorcnn.cnn.spec.
CNNSpec.forward"`` counts for ``CNNSpec``).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

import tensorcnn


@dataclass(frozen=True)
class Bad:
    """One invalid value, with the name its error message must contain (default: the
    argument's) and, for code owned elsewhere, the strict-xfail reason."""

    value: Any
    names: str | None = None
    xfail: str | None = None
    raises: tuple[type[BaseException], ...] = (ValueError, TypeError)


@dataclass
class Entry:
    name: str
    base: Callable[[], dict[str, Any]]
    bad: dict[str, list[Any]] = field(default_factory=dict)
    valid: Any = None                     # hypothesis strategy of call dicts
    check: Callable[[Any, dict[str, Any]], None] | None = None
    call: Callable[..., Any] | None = None
    xfail_valid: str | None = None        # owner reason when the valid call fails today

    def target(self) -> Callable[..., Any]:
        if self.call is not None:
            return self.call
        return resolve(self.name)

    def strategy(self):
        return self.valid if self.valid is not None else st.builds(self.base)


@dataclass(frozen=True)
class Exempt:
    name: str
    reason: str
    covered_by: str = ""                  # the test that covers it, where one does


# -- reasons shared by many exemptions ---------------------------------------------
CONSTANT = "a constant (data, not a callable): no input to refuse"
EXCEPTION = "an exception or warning class: raised by the package, not called with user input"
PROTOCOL = "a typing alias / protocol / abstract base: nothing to call with input"


def resolve(dotted: str) -> Any:
    """The object at a dotted path (module, then attributes)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise LookupError(dotted)


def public_names() -> dict[str, Any]:
    """Every public name of the package, keyed by ``defining_module.name``."""
    names: dict[str, Any] = {}
    modules = ["tensorcnn"] + sorted(
        m.name for m in pkgutil.walk_packages(tensorcnn.__path__, "tensorcnn."))
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            home = module_name
            if inspect.isclass(obj) or inspect.isfunction(obj):
                home = getattr(obj, "__module__", module_name) or module_name
            names.setdefault(f"{home}.{name}", obj)
    return names


# -- result checks --------------------------------------------------------------------
def non_finite(value: Any, path: str = "result", depth: int = 0) -> Iterator[str]:
    """Paths of NaN / infinite numbers inside a result (arrays, tensors, containers,
    dataclasses); modules, strings and other objects are not looked into."""
    if depth > 6:
        return
    if isinstance(value, bool | str | bytes) or value is None:
        return
    if isinstance(value, int | np.integer):
        return
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            yield path
        return
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc" and not np.isfinite(value).all():
            yield path
        return
    if type(value).__module__.startswith("torch") and hasattr(value, "is_floating_point"):
        import torch

        if isinstance(value, torch.Tensor) and value.is_floating_point() and \
                not bool(torch.isfinite(value.detach()).all()):
            yield path
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from non_finite(item, f"{path}[{key!r}]", depth + 1)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from non_finite(item, f"{path}[{i}]", depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from non_finite(getattr(value, f.name, None), f"{path}.{f.name}", depth + 1)


def shape(expected: Callable[[dict[str, Any]], tuple[int, ...]] | tuple[int, ...],
          dtype: Any = None) -> Callable[[Any, dict[str, Any]], None]:
    """A check: the result has this shape (a tuple, or a function of the call) and dtype."""

    def check(result: Any, kwargs: dict[str, Any]) -> None:
        want = expected(kwargs) if callable(expected) else expected
        assert tuple(result.shape) == tuple(want), f"shape {tuple(result.shape)} != {want}"
        if dtype is not None:
            assert result.dtype == dtype, f"dtype {result.dtype} != {dtype}"

    return check


def instance(cls: Any) -> Callable[[Any, dict[str, Any]], None]:
    """A check: the result is an instance of ``cls`` (a type, or a dotted name)."""

    def check(result: Any, kwargs: dict[str, Any]) -> None:
        want = resolve(cls) if isinstance(cls, str) else cls
        assert isinstance(result, want), f"{type(result).__name__} is not a {want}"

    return check


def all_of(*checks: Callable[[Any, dict[str, Any]], None]):
    def check(result: Any, kwargs: dict[str, Any]) -> None:
        for one in checks:
            one(result, kwargs)

    return check


def registry() -> tuple[list[Entry], list[Exempt]]:
    """All entries and exemptions, from the ``entries_*`` modules of this package.

    The first modules (``entries_core``, ``entries_nets``, ``entries_others``) exempted
    names that the per-area modules written later now fuzz or exempt with a reason of their
    own: such an older exemption is dropped, so a name is never both.
    """
    from . import (
        entries_core,
        entries_nets,
        entries_others,
        entries_plumbing,
        entries_simulation,
        entries_solvers,
        entries_sparsity,
        entries_training,
    )

    first = (entries_core, entries_nets, entries_others)
    areas = (entries_plumbing, entries_simulation, entries_solvers, entries_sparsity,
             entries_training)
    entries = [e for module in (*first, *areas) for e in module.ENTRIES]
    area_entries = [e.name for module in areas for e in module.ENTRIES]
    area_exempt = {x.name for module in areas for x in module.EXEMPT}

    def superseded(name: str) -> bool:
        return name in area_exempt or any(
            e == name or e.startswith((name + ".", name + "[")) for e in area_entries)

    exempt = [x for module in first for x in module.EXEMPT if not superseded(x.name)]
    exempt += [x for module in areas for x in module.EXEMPT]
    return entries, exempt


#: Outcome counts of this session's fuzz run, by category (printed at the end of the run).
TALLY: dict[str, int] = {}

#: Examples per hypothesis-driven entry: 4 by default (the suite stays under 60 s on 2 cores),
#: more with ``--fuzz-profile=long`` or ``TENSORCNN_FUZZ=long`` / ``HYPOTHESIS_PROFILE=thorough``.
PROFILES = {"default": 4, "long": 100}
