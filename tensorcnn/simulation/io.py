"""Files of a simulation run: the checkpoint store, the tidy CSV and ``summary.json``.

Layout of ``DIR``::

    DIR/checkpoint/<task>.json   one file per finished task: its identity, a checksum and
                                 its rows (exact floats)
    DIR/results.csv              one row per fit (tidy)
    DIR/summary.json             per setting: slope, intercept, r2, per-n mean/sd, bound, …
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import warnings
from pathlib import Path

from .._validation import check_bool, check_path
from .replication import setting_hash
from .runner import Task

__all__ = ["CheckpointError", "CheckpointWarning", "DirectoryStore", "task_identity",
           "write_results", "write_summary"]


#: Written into every task file; a file of another format is not trusted.
STORE_FORMAT = "tensorcnn-simulation-task"
STORE_VERSION = 2


class CheckpointWarning(UserWarning):
    """A checkpoint file was not trusted (unreadable, incomplete, from another run)."""


class CheckpointError(ValueError):
    """A checkpoint file was not trusted and the store is strict."""


def _check_task(task: object, name: str = "task") -> None:
    if not isinstance(task, Task):
        raise TypeError(f"{name} must be a Task (make_tasks), got {type(task).__name__}")


def _check_rows(rows: object, name: str = "rows") -> list[dict]:
    if isinstance(rows, str | bytes) or not isinstance(rows, list | tuple):
        raise TypeError(f"{name} must be a list of dicts (one per fit), got "
                        f"{type(rows).__name__}")
    bad = [i for i, row in enumerate(rows) if not isinstance(row, dict)]
    if bad:
        raise TypeError(f"{name} must hold dicts (one per fit); {name}[{bad[0]}] is a "
                        f"{type(rows[bad[0]]).__name__}")
    return list(rows)


def _digest(rows: list[dict]) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def task_identity(task: Task) -> dict:
    """What a task file must match to count as this task: key, seed, grid, setting, reps.

    Raises
    ------
    TypeError
        If ``task`` is not a :class:`~tensorcnn.simulation.runner.Task`.
    """
    _check_task(task)
    return dict(key=task.key, seed=int(task.seed), solver=task.solver,
                sizes=[int(n) for n in task.sizes], reps=[int(r) for r in task.reps],
                setting=task.setting.name, setting_hash=setting_hash(task.setting),
                expected_rows=len(task.sizes) * len(task.reps))


class DirectoryStore:
    """Checkpoint of finished tasks in ``root/checkpoint``; writes are atomic (tmp + rename).

    A task file is written only when the whole task has finished, so an interrupt (Ctrl-C, a
    killed worker, a crash) loses at most the tasks in flight. Each file carries the task's
    identity (:func:`task_identity`: key, seed, grid, a hash of the setting, the expected
    replications) and a SHA-256 checksum of its rows. On load a file that is unreadable,
    has another format, does not match the task, is incomplete or fails its checksum is
    reported by name (a :class:`CheckpointWarning`) and its task recomputed — or, with
    ``strict=True``, a :class:`CheckpointError` stops the run. It is never counted as done.

    Parameters
    ----------
    root : path
        The run's output folder (the store lives in ``root/checkpoint``).
    strict : bool, default False
        Raise instead of recomputing when a file is not trusted.
    """

    def __init__(self, root: str | os.PathLike, strict: bool = False) -> None:
        root = check_path(root, "root")
        self.strict = check_bool(strict, "strict")
        if root.exists() and not root.is_dir():
            raise ValueError(f"root must be a folder (the run's output folder), got the file "
                             f"{str(root)!r}")
        self.path = root / "checkpoint"
        self.path.mkdir(parents=True, exist_ok=True)
        self.rejected: list[str] = []

    def done(self) -> set[str]:
        """Keys of the task files present (trusted or not: :meth:`load_task` decides)."""
        return {p.stem for p in self.path.glob("*.json")}

    def save(self, task: Task, rows: list[dict]) -> None:
        """Write the finished ``task``'s rows with its identity and checksum."""
        _check_task(task)
        rows = _check_rows(rows)
        target = self.path / f"{task.key}.json"
        temporary = target.with_suffix(".json.tmp")
        payload = dict(format=STORE_FORMAT, version=STORE_VERSION, **task_identity(task),
                       checksum=_digest(rows), rows=rows)
        temporary.write_text(json.dumps(payload))
        os.replace(temporary, target)

    def load_task(self, task: Task) -> list[dict] | None:
        """The rows of ``task`` if its file is present and trusted, else ``None``."""
        _check_task(task)
        path = self.path / f"{task.key}.json"
        if not path.exists():
            return None
        problem = None
        try:
            payload = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            payload, problem = None, f"unreadable ({error})"
        if problem is None:
            problem = self._check(payload, task)
        if problem is None:
            return payload["rows"]
        message = f"checkpoint file {path}: {problem}"
        self.rejected.append(message)
        if self.strict:
            raise CheckpointError(message)
        warnings.warn(f"{message}; its task is recomputed", CheckpointWarning, stacklevel=2)
        return None

    @staticmethod
    def _check(payload: object, task: Task) -> str | None:
        if not isinstance(payload, dict) or payload.get("format") != STORE_FORMAT:
            return f"not a {STORE_FORMAT} file (written by another version or tool?)"
        if payload.get("version") != STORE_VERSION:
            return f"format version {payload.get('version')!r}, expected {STORE_VERSION}"
        expected = task_identity(task)
        differing = [k for k, v in expected.items() if payload.get(k) != v]
        if differing:
            shown = ", ".join(f"{k}: {payload.get(k)!r} (this run: {expected[k]!r})"
                              for k in differing[:3])
            return f"from another run ({shown})"
        rows = payload.get("rows")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            return "its rows are not a list of records"
        if payload.get("checksum") != _digest(rows):
            return "checksum mismatch (the file was changed after it was written)"
        cells = {(r.get("n"), r.get("rep")) for r in rows}
        wanted = {(n, rep) for n in expected["sizes"] for rep in expected["reps"]}
        if len(rows) != expected["expected_rows"] or cells != wanted:
            return (f"incomplete: {len(rows)} rows for {expected['expected_rows']} expected "
                    f"fits")
        return None

    def load(self) -> list[dict]:
        """Every row of every readable task file (no identity check; for inspection)."""
        rows: list[dict] = []
        for path in sorted(self.path.glob("*.json")):
            try:
                payload = json.loads(path.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(payload, dict) and isinstance(payload.get("rows"), list):
                rows.extend(payload["rows"])
        return rows


def write_results(rows: list[dict], out: str | os.PathLike) -> Path:
    """Write the tidy table (one row per fit) to ``out/results.csv``.

    Raises
    ------
    TypeError
        If ``rows`` is not a list of dicts or ``out`` not a path.
    """
    rows = _check_rows(rows)
    path = check_path(out, "out") / "results.csv"
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
    """Write ``out/summary.json``.

    Raises
    ------
    TypeError
        If ``summary`` is not a dict that JSON can write, or ``out`` not a path (checked
        before the file is touched).
    """
    if not isinstance(summary, dict):
        raise TypeError(f"summary must be a dict (summarize), got {type(summary).__name__}")
    path = check_path(out, "out") / "summary.json"
    try:
        text = json.dumps(summary, indent=2)
    except (TypeError, ValueError) as error:   # not JSON-serialisable, or circular
        raise TypeError(f"summary must hold JSON values only: {error}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
