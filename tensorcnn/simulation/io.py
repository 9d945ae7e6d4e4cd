"""Files of a simulation run: the checkpoint store, the tidy CSV and ``summary.json``.

Layout of ``DIR``::

    DIR/checkpoint/<task>.json   one file per finished task (rows; exact floats)
    DIR/results.csv              one row per fit (tidy)
    DIR/summary.json             per setting: slope, intercept, r2, per-n mean/sd, bound, …
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

__all__ = ["DirectoryStore", "write_results", "write_summary"]


class DirectoryStore:
    """Checkpoint of finished tasks in ``root/checkpoint``; writes are atomic (tmp + rename).

    A task file is written only when the whole task has finished, so an interrupt (Ctrl-C, a
    killed worker, a crash) loses at most the tasks in flight.
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.path = Path(root) / "checkpoint"
        self.path.mkdir(parents=True, exist_ok=True)

    def done(self) -> set[str]:
        return {p.stem for p in self.path.glob("*.json")}

    def save(self, key: str, rows: list[dict]) -> None:
        target = self.path / f"{key}.json"
        temporary = target.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(rows))
        os.replace(temporary, target)

    def load(self) -> list[dict]:
        rows: list[dict] = []
        for path in sorted(self.path.glob("*.json")):
            rows.extend(json.loads(path.read_text()))
        return rows


def write_results(rows: list[dict], out: str | os.PathLike) -> Path:
    """Write the tidy table (one row per fit) to ``out/results.csv``."""
    path = Path(out) / "results.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not rows:
        path.write_text("")
        return path
    fields = list(dict.fromkeys(key for row in rows for key in row))  # union, first-seen order
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_summary(summary: dict, out: str | os.PathLike) -> Path:
    """Write ``out/summary.json``."""
    path = Path(out) / "summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2))
    return path
