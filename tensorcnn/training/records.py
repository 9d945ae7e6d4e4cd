"""Per-epoch records to tidy CSV / JSON files (called by scripts, not by the loop)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .._validation import check_path, check_str_sequence

__all__ = ["write_records", "long_format", "check_output_file", "RECORD_SUFFIXES"]

RECORD_SUFFIXES = (".csv", ".json")


def long_format(records: Iterable[dict[str, Any]],
                id_keys: Sequence[str] = ("epoch",)) -> list[dict[str, Any]]:
    """One row per (record, metric): ``id_keys`` plus ``metric`` and ``value``.

    Useful when records carry per-layer fields (``density/conv.weight`` …): the long table
    has one column per variable whatever the number of layers.

    Raises
    ------
    TypeError
        ``records`` is not a sequence of dicts, or ``id_keys`` not a sequence of key
        strings (a bare string would be read as its characters).
    """
    records = _check_records(records)
    check_str_sequence(id_keys, "id_keys", "a sequence of key strings, e.g. ('epoch',)")
    rows = []
    for record in records:
        ids = {k: record[k] for k in id_keys if k in record}
        for key, value in record.items():
            if key not in id_keys:
                rows.append({**ids, "metric": key, "value": value})
    return rows


def _check_records(records: Any) -> list[Mapping[str, Any]]:
    """``records`` as a list of mappings (a list / tuple / iterable of dicts), named on error."""
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, Iterable):
        raise TypeError(f"records must be a sequence of dicts (one per epoch), got "
                        f"{type(records).__name__}")
    records = list(records)
    for i, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise TypeError(f"records must hold dicts, got {type(record).__name__} at "
                            f"position {i}")
    return records


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    return value


def check_output_file(path: str | Path, what: str = "output",
                      suffixes: Sequence[str] | None = None) -> Path:
    """Check, before any work, that a file can later be written at ``path``.

    ``path`` must not be an existing folder, must end in one of ``suffixes`` (if given),
    and its folder must exist or be creatable (it is created now) and be writable (a
    temporary file is created in it and removed). An existing file is left as it is.

    Parameters
    ----------
    path : path
    what : str
        How the message calls the file (``"--out"``, ``"--checkpoint"`` …).
    suffixes : sequence of str, optional
        The allowed endings (e.g. ``(".csv", ".json")``).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        One line naming ``what``, the path and the reason.
    TypeError
        ``path`` is not a path, ``what`` not a string, or ``suffixes`` not a sequence of
        strings (a bare ``".csv"`` would match any substring of it).
    """
    if not isinstance(what, str):
        raise TypeError(f"what must be a string (how the message calls the file), got "
                        f"{what!r}")
    path = check_path(path, "path")
    if suffixes is not None:
        check_str_sequence(suffixes, "suffixes",
                           "a sequence of endings such as ('.csv', '.json')")
    if path.is_dir():
        raise ValueError(f"{what} {path} is an existing folder; give a file path")
    if suffixes is not None and path.suffix not in suffixes:
        raise ValueError(f"{what} {path} must end in {' or '.join(suffixes)}")
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ValueError(f"{what} {path}: a part of {parent} is a file, not a folder") from None
    except OSError as err:
        raise ValueError(f"{what} {path}: cannot create its folder {parent} "
                         f"({err.strerror or err})") from None
    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".probe")
    except OSError as err:
        raise ValueError(f"{what} {path}: its folder {parent} is not writable "
                         f"({err.strerror or err})") from None
    os.close(fd)
    os.unlink(probe)
    return path


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_records(records: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Write ``records`` to ``path``: ``.csv`` (columns = union of keys, in first-seen
    order) or ``.json`` (a list of objects; NaN becomes null).

    The file is replaced atomically (a temporary file in the same folder, then a rename):
    an interrupted write leaves the previous file intact.

    Raises
    ------
    TypeError
        ``records`` is not a sequence of dicts, or ``path`` not a path.
    ValueError
        ``path`` does not end in ``.csv`` or ``.json``.
    """
    records = _check_records(records)
    path = check_path(path, "path")
    if path.suffix not in RECORD_SUFFIXES:
        raise ValueError(f"path must end in .csv or .json, got {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        text = json.dumps([{k: _clean(v) for k, v in r.items()} for r in records],
                          indent=2) + "\n"
    else:
        columns: list[str] = []
        for record in records:
            columns.extend(k for k in record if k not in columns)
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
        text = buffer.getvalue()
    _atomic_write_text(path, text)
    return path
