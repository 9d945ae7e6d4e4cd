"""003 Theorem 1 and 2 checks: they hold on reduced sweeps and fail against too-small bounds."""

from __future__ import annotations

import numpy as np

import tensorcnn.bounds

from .checks import load_check


def test_theorem2_bound_holds():
    failures, lines = load_check("theorem2_bound").run_check(reps=1, n_points=2)
    assert failures == []
    assert any("Tucker" in line for line in lines) and any("CP" in line for line in lines)


def test_check_fails_when_the_bound_is_too_small(monkeypatch):
    """Mutation: a bound 10^6 times smaller than Theorem 2's is violated by the fits."""
    original = tensorcnn.bounds.error_bound

    def shrunk(*args, **kwargs):
        return np.asarray(original(*args, **kwargs)) * 1e-6

    monkeypatch.setattr(tensorcnn.bounds, "error_bound", shrunk)
    failures, _ = load_check("theorem2_bound").run_check(reps=1, n_points=2)
    assert failures




def test_theorem1_check_passes_and_fails_on_a_too_small_bound(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["theorem1_bound.py", "--reps", "1", "--points", "2"])
    check = load_check("theorem1_bound")
    assert check.main() == 0
    original = check.error_bound

    def shrunk(*args, **kwargs):
        bound = original(*args, **kwargs)
        return None if bound is None else np.asarray(bound) * 1e-6

    monkeypatch.setattr(check, "error_bound", shrunk)
    assert check.main() == 1
    assert "exceed the Theorem 1 bound" in capsys.readouterr().out
