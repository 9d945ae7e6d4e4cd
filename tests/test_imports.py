"""The package's import structure (issue #13): no import cycle among tensorcnn's modules, and
no private helper in a public ``__all__``.

The import graph is read from the source with :mod:`ast`, not by importing: an edge A → B for
each ``import tensorcnn.…`` / ``from tensorcnn… import …`` / relative import executed when A
is imported (module level, including ``if``/``try``/``with`` blocks and class bodies; not
inside functions, and not under ``if TYPE_CHECKING:``). ``from package import name`` points
at ``package.name`` when that is a module, else at the package's ``__init__``.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

import tensorcnn

PACKAGE = Path(tensorcnn.__file__).resolve().parent
ROOT_NAME = "tensorcnn"

#: Helpers that the issue found exported and that must stay internal.
PRIVATE_HELPERS = {"check_stack", "check_batch", "solve_psd", "split_rank_k",
                   "check_nonneg", "_positive_int", "_check_count"}


def _module_name(path: Path) -> str:
    parts = [ROOT_NAME, *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (``__init__`` files as their package)."""
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_time_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements run when the module is imported (functions' bodies are not)."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        yield node
        if isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _import_time_statements(node.body)
            yield from _import_time_statements(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody,
                          *(handler.body for handler in node.handlers)):
                yield from _import_time_statements(block)
        elif isinstance(node, ast.With | ast.ClassDef):
            yield from _import_time_statements(node.body)


def _targets(node: ast.stmt, module: str, is_package: bool) -> Iterator[str]:
    known = modules()
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == ROOT_NAME or alias.name.startswith(ROOT_NAME + "."):
                yield alias.name
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            base = package[: len(package) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        if source != ROOT_NAME and not source.startswith(ROOT_NAME + "."):
            return
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            yield submodule if submodule in known else source


@cache
def import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports at import time."""
    graph: dict[str, set[str]] = {}
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        graph[name] = {target for node in _import_time_statements(tree.body)
                       for target in _targets(node, name, is_package)
                       if target != name and target in modules()}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle [a, b, …, a] of ``graph``, or None when it is acyclic (iterative DFS)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            successor = next(stack[-1], None)
            if successor is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(successor) == 1:
                return path[path.index(successor):] + [successor]
            elif not state.get(successor):
                state[successor] = 1
                path.append(successor)
                stack.append(iter(sorted(graph.get(successor, ()))))
    return None


def test_the_graph_sees_the_package():
    graph = import_graph()
    assert {"tensorcnn", "tensorcnn._validation", "tensorcnn.cnn.spec"} <= graph.keys()
    assert "tensorcnn.cnn._base" in graph["tensorcnn.cnn.spec"]
    assert "tensorcnn._validation" in graph["tensorcnn.sparsity._validation"]


def test_find_cycle_reports_the_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_no_import_cycle_among_tensorcnn_modules():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _importable_modules() -> list[str]:
    return [name for name in modules() if name.rsplit(".", 1)[-1] != "__main__"]


def _is_public(name: str) -> bool:
    return not any(part.startswith("_") for part in name.split(".")[1:])


@pytest.mark.parametrize("name", _importable_modules())
def test_every_all_is_public_names_that_exist(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        return
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    private = [entry for entry in exported
               if entry.startswith("_") and entry != "__version__"]
    assert not private, f"{name}.__all__ exports private names {private}"
    missing = [entry for entry in exported if not hasattr(module, entry)]
    assert not missing, f"{name}.__all__ names {missing}, which the module lacks"
    if _is_public(name):
        helpers = sorted(PRIVATE_HELPERS & set(exported))
        assert not helpers, f"{name}.__all__ exports private helpers {helpers}"
