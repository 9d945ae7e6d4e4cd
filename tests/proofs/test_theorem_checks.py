"""003 Theorem 1 and 2 checks: they hold on reduced sweeps and fail against too-small bounds."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

import tensorcnn.bounds

PATH = Path(__file__).resolve().parents[2] / "proofs_check" / "theorem2_bound.py"


def load_check():
    spec = importlib.util.spec_from_file_location("theorem2_bound", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_theorem2_bound_holds():
    failures, lines = load_check().run_check(reps=1, n_points=2)
    assert failures == []
    assert any("Tucker" in line for line in lines) and any("CP" in line for line in lines)


def test_check_fails_when_the_bound_is_too_small(monkeypatch):
    """Mutation: a bound 10^6 times smaller than Theorem 2's is violated by the fits."""
    original = tensorcnn.bounds.error_bound

    def shrunk(*args, **kwargs):
        return np.asarray(original(*args, **kwargs)) * 1e-6

    monkeypatch.setattr(tensorcnn.bounds, "error_bound", shrunk)
    failures, _ = load_check().run_check(reps=1, n_points=2)
    assert failures


def load_theorem1():
    path = PATH.parent / "theorem1_bound.py"
    spec = importlib.util.spec_from_file_location("theorem1_bound", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_theorem1_check_passes_and_fails_on_a_too_small_bound(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["theorem1_bound.py", "--reps", "1", "--points", "2"])
    check = load_theorem1()
    assert check.main() == 0
    original = check.error_bound

    def shrunk(*args, **kwargs):
        bound = original(*args, **kwargs)
        return None if bound is None else np.asarray(bound) * 1e-6

    monkeypatch.setattr(check, "error_bound", shrunk)
    assert check.main() == 1
    assert "exceed the Theorem 1 bound" in capsys.readouterr().out
