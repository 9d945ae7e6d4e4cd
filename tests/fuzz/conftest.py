"""Prints the fuzz outcome counts by category at the end of a run that collected the suite."""

from __future__ import annotations

from .registry import TALLY


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    if not TALLY:
        return
    terminalreporter.section("tensorcnn fuzz outcomes")
    for key in sorted(TALLY):
        terminalreporter.write_line(f"{key:32s} {TALLY[key]}")
