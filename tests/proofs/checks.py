"""Load a ``proofs_check/`` script as a module, as the tests of the checks need."""

from __future__ import annotations

import importlib.util
from pathlib import Path

CHECKS = Path(__file__).resolve().parents[2] / "proofs_check"


def load_check(name: str):
    """Import ``proofs_check/<name>.py`` under a private module name."""
    spec = importlib.util.spec_from_file_location(f"check_{name}", CHECKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
