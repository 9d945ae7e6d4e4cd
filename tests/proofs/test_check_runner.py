"""The ``tensorcnn check`` runner, and the 003 §2 checks failing on broken variants."""

from __future__ import annotations

import numpy as np
import pytest

import tensorcnn.cnn.geometry as geometry
import tensorcnn.cnn.spec as spec_module
from tensorcnn.cli import main
from tensorcnn.cli.check import read_metadata

from .checks import load_check


def test_runner_reports_pass_and_fail(tmp_path, capsys):
    (tmp_path / "good.py").write_text(
        '"""A result that holds."""\nCHECK = {"paper": "000", "section": "§1", '
        '"tolerance": "exact"}\nprint("fine")\n')
    (tmp_path / "bad.py").write_text('"""A result that fails."""\nraise SystemExit(3)\n')
    assert main(["check", "--dir", str(tmp_path), "--json", str(tmp_path / "t.json")]) == 1
    out = capsys.readouterr().out
    assert "A result that holds." in out and "FAIL (3)" in out and "1 passed, 1 failed" in out
    assert (tmp_path / "t.json").exists()
    assert main(["check", "--dir", str(tmp_path), "--only", "good"]) == 0


def test_metadata_is_read_without_importing(tmp_path):
    script = tmp_path / "x.py"
    script.write_text('"""Doc line."""\nimport not_a_module\nCHECK = {"paper": "003", '
                      '"section": "§2", "tolerance": "1e-8", "result": "R"}\n')
    assert read_metadata(script) == {"result": "R", "paper": "003", "section": "§2",
                                     "tolerance": "1e-8"}


@pytest.mark.parametrize("name", ["tucker_like_form", "nested_doll"])
def test_003_checks_pass(name):
    assert load_check(name).run_check(n_configs=12) == []


def test_tucker_like_check_fails_without_the_pooling_average(monkeypatch):
    """Mutation: U_F,b = Σ U_i instead of q^-1 Σ U_i (the missing 1/q factor)."""
    original = geometry.pooled_positioning_factor

    def no_average(size, kernel, stride, padding, pool, pool_stride):
        return original(size, kernel, stride, padding, pool, pool_stride) * pool

    monkeypatch.setattr(geometry, "pooled_positioning_factor", no_average)
    assert load_check("tucker_like_form").run_check(n_configs=12)
    assert load_check("nested_doll").run_check(n_configs=6)


def test_tucker_like_check_fails_with_swapped_kronecker_factors(monkeypatch):
    """Mutation: W = Σ A_k ⊗ B_k (A slow) instead of Σ B_k ⊗ A_k."""
    def swapped(B, A):
        from tensorcnn.tenalg import interleave_kron

        theta = np.einsum("kb,ka->ab", np.asarray(B).reshape(len(B), -1),
                          np.asarray(A).reshape(len(A), -1))
        theta = theta.reshape(*A.shape[1:], *B.shape[1:])
        return interleave_kron(theta, A.shape[1:], B.shape[1:])

    monkeypatch.setattr(spec_module, "kron_sum", swapped)
    assert load_check("tucker_like_form").run_check(n_configs=12)

