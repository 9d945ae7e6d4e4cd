"""003 Theorem 2 check: holds on the reduced sweep, and fails against a too-small bound."""

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
