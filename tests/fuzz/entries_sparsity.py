"""Fuzz entries for the public names of tensorcnn.sparsity and neighbours that need a model, data
set, file or result object as input (issue #14); see tests/fuzz/registry.py."""

from __future__ import annotations

from .registry import Entry, Exempt

ENTRIES: list[Entry] = []
EXEMPT: list[Exempt] = []
