"""The documentation site builds offline and reaches every public name of tensorcnn."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tensorcnn

ROOT = Path(__file__).resolve().parents[1]


def public_subpackages() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(tensorcnn.__path__)
                  if not m.name.startswith("_") and m.name != "cli")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("mkdocstrings_handlers.python")
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                             "--site-dir", str(out)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_every_subpackage_has_an_api_page():
    pages = {p.stem for p in (ROOT / "docs" / "api").glob("*.md")}
    assert set(public_subpackages()) <= pages
    nav = (ROOT / "mkdocs.yml").read_text()
    for name in public_subpackages():
        assert f"api/{name}.md" in nav, name


def test_every_public_name_is_reachable(site):
    """Each name in a subpackage's __all__ has an anchor, under the package path or, for a
    function shadowed by a same-named submodule, under its defining module."""
    anchors = set()
    for page in site.rglob("*.html"):
        anchors |= set(re.findall(r'id="([^"]+)"', page.read_text()))
    missing = []
    for name in public_subpackages():
        module = importlib.import_module(f"tensorcnn.{name}")
        for public in getattr(module, "__all__", []):
            obj = getattr(module, public)
            defined = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
            if f"tensorcnn.{name}.{public}" not in anchors and defined not in anchors:
                missing.append(f"tensorcnn.{name}.{public}")
    assert not missing, f"not in the API docs: {missing}"


def test_top_level_names_are_documented(site):
    for public in tensorcnn.__all__:
        if public.startswith("__"):
            continue
        owner = getattr(tensorcnn, public).__module__.split(".")[1]
        page = (site / "api" / owner / "index.html").read_text()
        assert f'id="tensorcnn.{owner}.{public}"' in page, public
