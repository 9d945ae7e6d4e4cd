"""Per-epoch records to tidy CSV / JSON files (called by scripts, not by the loop)."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["write_records", "long_format"]


def long_format(records: Iterable[dict[str, Any]],
                id_keys: Sequence[str] = ("epoch",)) -> list[dict[str, Any]]:
    """One row per (record, metric): ``id_keys`` plus ``metric`` and ``value``.

    Useful when records carry per-layer fields (``density/conv.weight`` …): the long table
    has one column per variable whatever the number of layers.
    """
    rows = []
    for record in records:
        ids = {k: record[k] for k in id_keys if k in record}
        for key, value in record.items():
            if key not in id_keys:
                rows.append({**ids, "metric": key, "value": value})
    return rows


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    return value


def write_records(records: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Write ``records`` to ``path``: ``.csv`` (columns = union of keys, in first-seen
    order) or ``.json`` (a list of objects; NaN becomes null)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        path.write_text(json.dumps([{k: _clean(v) for k, v in r.items()} for r in records],
                                   indent=2) + "\n")
    elif path.suffix == ".csv":
        columns: list[str] = []
        for record in records:
            columns.extend(k for k in record if k not in columns)
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(records)
    else:
        raise ValueError(f"path must end in .csv or .json, got {path}")
    return path
