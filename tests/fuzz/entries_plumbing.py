"""Fuzz entries for the names that were exempt as plumbing or "needs a run folder": the
report readers and writers, the figure writer, the shared CLI flag helpers, the worker-pool
plumbing, the estimators' unit helpers, the model-kind base and the row builder (issue #14);
see tests/fuzz/registry.py."""

from __future__ import annotations

from .registry import Entry, Exempt

ENTRIES: list[Entry] = []
EXEMPT: list[Exempt] = []
