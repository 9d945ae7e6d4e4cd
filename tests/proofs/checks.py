"""Load a ``proofs_check/`` script as a module, as the tests of the checks need."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

CHECKS = Path(__file__).resolve().parents[2] / "proofs_check"


def load_check(name: str):
    """Import ``proofs_check/<name>.py`` under a private module name.

    The folder goes on ``sys.path`` first, as when the script runs, so that its shared
    helpers (``_report``, ``_shrinknet_cli``) import.
    """
    if str(CHECKS) not in sys.path:
        sys.path.insert(0, str(CHECKS))
    spec = importlib.util.spec_from_file_location(f"check_{name}", CHECKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
