"""The math-to-code maps stay true: every code name and test path they cite resolves.

Reads the inline code spans of ``docs/papers/*.md`` and ``docs/cnn.md`` and resolves each:

- a path (``tests/cnn/test_spec.py``, ``proofs_check/…``, ``tensorcnn/cnn/``) exists in the
  repository, a bare script or test file name (``fig3_theorem2.py``) exists somewhere in it;
- ``file.py::test_name`` and a bare ``test_name`` name a test function defined there;
- a dotted name (``CNNSpec.design``, ``tenalg.kron``, ``tensorcnn.bounds.error_bound``)
  resolves by attribute lookup from ``tensorcnn``, one of its modules, or a public object
  defined in one; ``.attr`` resolves on the last object named on the same line, and a bare
  lowercase word may be a parameter of it (``max_entries``); call arguments written in the
  docs (``SplitLBI(momentum=…)``) must be parameters of the callable;
- ``tensorcnn SUBCOMMAND`` is a subcommand of the console command; a seed file name exists in
  ``../shared/seeds`` when that folder is present.

Single capital letters (math symbols) and spans with no code shape are not names.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import inspect
import itertools
import pkgutil
import re
import textwrap
from functools import cache
from pathlib import Path

import pytest
import torch.nn.functional

import tensorcnn

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs" / "papers").glob("*.md")) + [ROOT / "docs" / "cnn.md"]
SOURCE_FOLDERS = ("tensorcnn", "simulations", "proofs_check", "benchmarks", "tests", "docs")
SEEDS = ROOT.parent / "shared" / "seeds"
SPAN = re.compile(r"`([^`\n]+)`")
DOTTED = re.compile(r"^(\.?[A-Za-z_*][\w*]*(?:\.[A-Za-z_*][\w*]*)*)(.*)$")
KEYWORD = re.compile(r"(\w+)\s*=")
MISSING = object()
INSTANCE_ATTRIBUTE = object()  # resolved, but nothing to walk into


@cache
def public_objects() -> dict[str, list[object]]:
    """Every module of the package and every public name defined or exported in one."""
    index: dict[str, list[object]] = {}
    names = ["tensorcnn"] + [info.name for info in
                             pkgutil.walk_packages(tensorcnn.__path__, "tensorcnn.")]
    for module_name in names:
        module = importlib.import_module(module_name)
        index.setdefault(module_name.rsplit(".", 1)[-1], []).append(module)
        for attr, value in vars(module).items():
            if not attr.startswith("_"):
                index.setdefault(attr, []).append(value)
    return index


@cache
def defined_tests() -> dict[str, set[str]]:
    """Test file name -> the test functions it defines (module level and in classes)."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {node.name for node in ast.walk(tree)
                   if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
        found.setdefault(path.name, set()).update(defined)
    return found


def lookup(obj: object, attr: str) -> object:
    """``getattr`` that also knows a class's instance attributes (fields, ``self.x = …``)."""
    value = getattr(obj, attr, MISSING)
    if value is not MISSING:
        return value
    if inspect.isclass(obj) and attr in instance_attributes(obj):
        return INSTANCE_ATTRIBUTE
    return MISSING


@cache
def instance_attributes(cls: type) -> frozenset[str]:
    """Names a class's instances carry: annotations, dataclass fields, ``self.name = …``."""
    names = set(getattr(cls, "__dataclass_fields__", {}))
    for klass in cls.__mro__:
        names |= set(getattr(klass, "__annotations__", {}))
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        for node in ast.walk(tree):
            targets = (node.targets if isinstance(node, ast.Assign)
                       else [node.target] if isinstance(node, ast.AnnAssign) else [])
            names |= {t.attr for target in targets for t in ast.walk(target)
                      if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                      and t.value.id == "self"}
    return frozenset(names)


def parameters(obj: object) -> set[str]:
    try:
        return set(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return set()


def expand(name: str) -> list[str]:
    """``conv{1,2,3}d`` -> conv1d, conv2d, conv3d."""
    match = re.search(r"\{([^}]*)\}", name)
    if not match:
        return [name]
    return list(itertools.chain.from_iterable(
        expand(name[:match.start()] + part + name[match.end():])
        for part in match.group(1).split(",")))


def resolve_dotted(name: str, context: list[object]) -> tuple[object, object | None]:
    """(the object a dotted name refers to or ``MISSING``, the object it was found on).

    ``.attr`` and a bare parameter name are looked up on the objects of ``context`` (what the
    same line named before).
    """
    index = public_objects()  # imports every module, so attribute walks find submodules
    if name.startswith("."):
        starts, rest = list(context), name[1:].split(".")
    else:
        head, *rest = name.split(".")
        if head == "tensorcnn":
            starts = [tensorcnn]
        elif "*" in head:
            starts = [v for key, values in index.items()
                      if fnmatch.fnmatch(key, head) for v in values]
        else:
            starts = index.get(head, []) + ([getattr(torch.nn.functional, head)]
                                            if hasattr(torch.nn.functional, head) else [])
    for start in starts:
        obj, owner = start, None
        for attr in rest:
            if obj is INSTANCE_ATTRIBUTE:
                break  # an instance attribute's own attributes are not checked
            obj, owner = lookup(obj, attr), obj
            if obj is MISSING:
                break
        if obj is not MISSING:
            return obj, owner
    if not rest and not name.startswith("."):
        for candidate in context:
            if name in parameters(candidate):
                return candidate, None
    return MISSING, None


def check_span(text: str, context: list[object]) -> str | None:
    """What is wrong with one code span (``None``: nothing); updates ``context`` in place."""
    text = text.strip()
    if text.startswith("tensorcnn ") and re.fullmatch(r"tensorcnn [a-z][\w-]*( .*)?", text):
        from tensorcnn.cli import build_parser

        command = text.split()[1]
        choices = next(a for a in build_parser()._actions if a.dest == "command").choices
        return None if command in choices else f"no subcommand {command!r}"
    if re.fullmatch(r"\d{3}_\w+\.txt", text):
        if SEEDS.is_dir() and not (SEEDS / text).exists():
            return f"no seed file {text}"
        return None
    if "::" in text:
        file_name, test = text.split("::", 1)
        defined = defined_tests().get(Path(file_name).name)
        if defined is None:
            return f"no test file {file_name}"
        return None if test in defined else f"{file_name} defines no {test}"
    if "/" in text or re.fullmatch(r"[\w.-]+\.(py|md)", text):
        path = text.rstrip("/")
        if "/" in path:
            return None if (ROOT / path).exists() else f"no path {text}"
        hits = [hit for folder in SOURCE_FOLDERS for hit in (ROOT / folder).rglob(path)]
        return None if hits else f"no file named {text}"
    if text.startswith("test_") and re.fullmatch(r"test_\w+", text):
        defined = set().union(*defined_tests().values())
        return None if text in defined else f"no test function {text}"
    match = DOTTED.match(text)
    if not match or re.fullmatch(r"[A-Z]", text) or not re.fullmatch(r"[\w.{},*()\[\]=… ]+",
                                                                      text):
        return None  # prose or a formula, not a code name
    name, tail = match.groups()
    if tail and tail[0] not in "([{":
        return None
    if tail.startswith("{"):
        name, tail = name + tail, ""
    for variant in expand(name):
        obj, owner = resolve_dotted(variant, context)
        if obj is MISSING:
            return f"{variant!r} does not resolve"
        if tail.startswith("(") and "=" in tail:
            unknown = set(KEYWORD.findall(tail)) - parameters(obj)
            if unknown:
                return f"{variant} has no parameter(s) {sorted(unknown)}"
        context[:] = [o for o in (obj, owner)
                      if o is not None and o is not INSTANCE_ATTRIBUTE] or context
    return None


def spans() -> list[tuple[str, int, str]]:
    found = []
    for path in DOCS:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [(path.relative_to(ROOT).as_posix(), number, m.group(1))
                      for m in SPAN.finditer(line)]
    return found


@pytest.mark.parametrize("doc", [p.relative_to(ROOT).as_posix() for p in DOCS])
def test_every_code_name_in_the_maps_resolves(doc):
    problems = []
    by_line = itertools.groupby((s for s in spans() if s[0] == doc), key=lambda s: s[1])
    for number, group in by_line:
        context: list[object] = []
        for _, _, text in group:
            problem = check_span(text, context)
            if problem:
                problems.append(f"{doc}:{number}: `{text}`: {problem}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("text", ["CNNSpec.no_such_method", "tenalg.nothing_here",
                                  "tests/cnn/test_nothing.py", "test_spec.py::test_missing",
                                  "test_no_such_test_anywhere", "tensorcnn frobnicate",
                                  "SplitLBI(no_such_option=…)", "no_such_script.py"])
def test_a_stale_name_is_caught(text):
    assert check_span(text, []) is not None
