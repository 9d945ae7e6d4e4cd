"""Checkpoints that resume a run exactly: model, optimizer, scheduler, scaler, RNG, epoch."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["save_checkpoint", "load_checkpoint", "rng_states", "set_rng_states"]


def rng_states() -> dict[str, Any]:
    """The states of python's, numpy's and torch's (CPU and every CUDA device) generators."""
    # The legacy global numpy state is saved on purpose: code outside tensorcnn (data
    # pipelines, user callbacks) may draw from it, and an exact resume must restore it.
    states = {"python": random.getstate(), "numpy": np.random.get_state(),  # noqa: NPY002
              "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore what :func:`rng_states` returned."""
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])  # noqa: NPY002
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def save_checkpoint(path: str | Path, **objects: Any) -> None:
    """Write ``objects`` to ``path`` atomically (a temporary file, then a rename).

    A process killed while writing leaves the previous checkpoint intact. Objects with a
    ``state_dict`` method are stored by their state dict; the rest as they are.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {name: (obj.state_dict() if hasattr(obj, "state_dict") else obj)
               for name, obj in objects.items()}
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path, map_location: torch.device | str | None = "cpu",
                    **objects: Any) -> dict[str, Any]:
    """Load ``path``; every object passed by name gets ``load_state_dict`` of its entry.

    Returns the whole payload (for the plain entries such as the epoch and the records).
    The file holds numpy and python RNG states, so it is read with ``weights_only=False``:
    load only checkpoints you wrote.
    """
    payload = torch.load(path, map_location=map_location, weights_only=False)
    for name, obj in objects.items():
        if obj is None:
            continue
        if name not in payload:
            raise KeyError(f"checkpoint {path} has no entry {name!r}")
        obj.load_state_dict(payload[name])
    return payload
