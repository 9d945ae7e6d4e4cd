"""Shared ending of the proofs_check scripts: print what was checked, the failures, a verdict.

Each script's ``main`` computes its list of failure messages and calls :func:`report`, which
prints the summary line(s), at most ``limit`` failures, ``PASS`` or ``FAIL (k unit)``, and
returns the exit status (0 when nothing failed), so ``tensorcnn check`` reads every script the
same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def report(failures: Sequence[str], summary: str, lines: Iterable[str] = (),
           limit: int | None = 10, unit: str = "cases") -> int:
    """Print ``summary``, each of ``lines``, the first ``limit`` failures and the verdict.

    Parameters
    ----------
    failures : sequence of str
        One message per failed case; empty when the check holds.
    summary : str
        What was checked, with the tolerance (printed first).
    lines : iterable of str
        Further lines (a table, per-setting results) printed after the summary.
    limit : int or None
        How many failures to print (``None``: all of them).
    unit : str or None
        What a failure counts ("cases", "fits", …); ``None`` prints a bare ``FAIL``.

    Returns
    -------
    int
        0 if ``failures`` is empty, else 1.
    """
    print(summary)
    for line in lines:
        print(line)
    for failure in failures if limit is None else failures[:limit]:
        print("FAIL", failure)
    if not failures:
        print("PASS")
    else:
        print("FAIL" if unit is None else f"FAIL ({len(failures)} {unit})")
    return 1 if failures else 0
