"""The shared ending of the proofs_check scripts: verdict and exit status."""

from __future__ import annotations

from tests.proofs.checks import load_check


def test_report_fails_and_limits(capsys):
    report = load_check("_report").report
    status = report([f"case {i}" for i in range(12)], "summary", ["a line"], limit=3)
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert lines == ["summary", "a line", "FAIL case 0", "FAIL case 1", "FAIL case 2",
                     "FAIL (12 cases)"]


def test_report_passes(capsys):
    report = load_check("_report").report
    assert report([], "summary", unit=None) == 0
    assert capsys.readouterr().out.splitlines() == ["summary", "PASS"]


def test_report_bare_fail(capsys):
    report = load_check("_report").report
    assert report(["x"], "s", limit=None, unit=None) == 1
    assert capsys.readouterr().out.splitlines() == ["s", "FAIL x", "FAIL"]
