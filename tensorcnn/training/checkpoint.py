"""Checkpoints that resume a run exactly and cannot lie about what they hold.

A checkpoint file is three parts::

    tensorcnn-checkpoint\\n                                   (magic line)
    {"payload_bytes": N, "sha256": "<hex>", "version": 1}\\n  (one JSON line)
    <N bytes: torch.save of a dict of the saved entries>      (payload)

The SHA-256 of the payload bytes is checked before anything is unpickled, so a flipped byte,
a truncated file or a file of another program is refused with a :class:`CheckpointError`
naming the file — never loaded silently, never a pickle traceback. Files are written
atomically: a temporary file in the same folder, flushed and ``fsync``-ed, then
``os.replace``-d over the old one (and the folder ``fsync``-ed), so a process killed while
writing leaves the previous checkpoint intact.

The entries are what :func:`~tensorcnn.training.fit` saves: model, optimizer (SplitLBI's V
and Γ included), scheduler, grad scaler, RNG states, epoch, records, and the run's
configuration, which :func:`config_diff` compares with a new run's before resuming.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import pickle
import random
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._validation import check_path

__all__ = ["CheckpointError", "CheckpointMismatchError", "save_checkpoint",
           "load_checkpoint", "load_states", "config_diff", "format_diff", "jsonable",
           "rng_states", "set_rng_states", "MAGIC", "FORMAT_VERSION"]

MAGIC = b"tensorcnn-checkpoint\n"
FORMAT_VERSION = 1
_MAX_HEADER = 4096


class CheckpointError(RuntimeError):
    """A checkpoint file is unreadable, corrupt, or not a tensorcnn checkpoint."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint belongs to another run than the one asked to resume from it."""


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
    """Restore what :func:`rng_states` returned.

    Raises
    ------
    TypeError, ValueError
        ``states`` is not such a mapping (a missing key, a value of the wrong kind); it
        is checked whole before any generator is touched, so nothing is half-restored.
    """
    if not isinstance(states, Mapping):
        raise TypeError(f"states must be the mapping rng_states() returns, got "
                        f"{type(states).__name__}")
    missing = [key for key in ("python", "numpy", "torch") if key not in states]
    if missing:
        raise ValueError(f"states lacks the entries {missing} (expected what rng_states() "
                         "returns)")
    if not isinstance(states["python"], tuple):
        raise TypeError(f"states['python'] must be random.getstate()'s tuple, got "
                        f"{type(states['python']).__name__}")
    if not isinstance(states["numpy"], tuple | dict):
        raise TypeError(f"states['numpy'] must be numpy.random.get_state()'s tuple, got "
                        f"{type(states['numpy']).__name__}")
    if not isinstance(states["torch"], torch.Tensor) or states["torch"].dtype != torch.uint8:
        raise TypeError(f"states['torch'] must be torch.get_rng_state()'s uint8 tensor, got "
                        f"{type(states['torch']).__name__}")
    # Dry runs on throw-away generators: a malformed state fails here, before any global
    # generator changes (no partial restore).
    try:
        random.Random().setstate(states["python"])
        np.random.RandomState().set_state(states["numpy"])  # noqa: NPY002
        torch.Generator().set_state(states["torch"])
    except (TypeError, ValueError, RuntimeError, KeyError, IndexError) as err:
        raise ValueError(f"states holds a malformed generator state ({type(err).__name__}: "
                         f"{err})") from None
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])  # noqa: NPY002
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def jsonable(value: Any) -> Any:
    """``value`` as JSON-able data: mappings (keys as strings), lists, scalars, else repr.

    Used for configurations and settings fingerprints, so that they compare by value and
    print readably in a refusal message. Non-finite floats become strings.
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, torch.dtype | torch.device):
        return str(value)
    return repr(value)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def save_checkpoint(path: str | Path, **objects: Any) -> Path:
    """Write ``objects`` to ``path`` atomically, with a SHA-256 checksum of the payload.

    Objects with a ``state_dict`` method are stored by their state dict; the rest as they
    are (they must be picklable by ``torch.save``). The file is written to a temporary file
    in the same folder, flushed and ``fsync``-ed, then renamed over ``path``: a process
    killed while writing leaves the previous checkpoint intact.

    Parameters
    ----------
    path : path
        The checkpoint file; its folder is created if needed.
    **objects
        The entries, by name.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    CheckpointError
        ``path`` is an existing folder, or the file cannot be written (the message names
        it; the previous checkpoint, if any, is untouched).
    """
    path = check_path(path, "path")
    if path.is_dir():
        raise CheckpointError(f"checkpoint {path} is a folder, not a file")
    payload = {name: (obj.state_dict() if hasattr(obj, "state_dict") else obj)
               for name, obj in objects.items()}
    buffer = io.BytesIO()
    try:
        torch.save(payload, buffer)
    except (pickle.PicklingError, AttributeError, TypeError) as err:
        # Before the file is touched: an entry that cannot be pickled names the entries.
        raise TypeError(f"the checkpoint entries {sorted(objects)} must be picklable by "
                        f"torch.save (or have a state_dict): {err}") from None
    data = buffer.getvalue()
    header = json.dumps({"version": FORMAT_VERSION, "sha256": hashlib.sha256(data).hexdigest(),
                         "payload_bytes": len(data)}, sort_keys=True).encode() + b"\n"
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC)
            f.write(header)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        raise CheckpointError(f"cannot write checkpoint {path}: {err}") from err
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    _fsync_folder(path.parent)
    return path


def _verified_payload(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise CheckpointError(f"cannot read checkpoint {path}: {err}") from err
    if not raw.startswith(MAGIC):
        raise CheckpointError(
            f"checkpoint {path} is not a tensorcnn checkpoint (no header; corrupt, or written "
            "by another program or an older tensorcnn without checksums): refusing to load it")
    end = raw.find(b"\n", len(MAGIC), len(MAGIC) + _MAX_HEADER)
    try:
        if end < 0:
            raise ValueError("no end of header line")
        header = json.loads(raw[len(MAGIC):end])
        version, digest, size = header["version"], header["sha256"], header["payload_bytes"]
    except (ValueError, KeyError, TypeError) as err:
        raise CheckpointError(f"checkpoint {path} has an unreadable header ({err}): the file "
                              "is corrupt") from None
    if version != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {path} has format version {version!r}; this "
                              f"tensorcnn reads version {FORMAT_VERSION}")
    data = raw[end + 1:]
    if len(data) != size:
        raise CheckpointError(f"checkpoint {path} is truncated or padded: {len(data)} payload "
                              f"bytes, the header says {size}")
    if hashlib.sha256(data).hexdigest() != digest:
        raise CheckpointError(f"checkpoint {path} fails its SHA-256 checksum: the file is "
                              "corrupt; refusing to load it")
    return data


def _check_loadable(objects: Mapping[str, Any]) -> None:
    for name, obj in objects.items():
        if obj is not None and not callable(getattr(obj, "load_state_dict", None)):
            raise TypeError(f"{name} must be an object with load_state_dict (a model, "
                            f"optimizer, scheduler ...) or None, got {type(obj).__name__}")


def load_states(payload: Mapping[str, Any], path: str | Path, **objects: Any) -> None:
    """``obj.load_state_dict(payload[name])`` for every ``name=obj`` (``None`` skipped).

    Raises
    ------
    CheckpointError
        An entry is missing or does not fit its object (shapes, parameter groups); the
        message names the file and the entry.
    TypeError
        ``payload`` is not a mapping, or an object has no ``load_state_dict`` (checked for
        every object before any is loaded).
    """
    if not isinstance(payload, Mapping):
        raise TypeError(f"payload must be a mapping of checkpoint entries, got "
                        f"{type(payload).__name__}")
    _check_loadable(objects)
    for name, obj in objects.items():
        if obj is None:
            continue
        if name not in payload:
            raise CheckpointError(f"checkpoint {path} has no entry {name!r}")
        try:
            obj.load_state_dict(payload[name])
        except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise CheckpointError(f"checkpoint {path}: entry {name!r} does not fit this "
                                  f"{type(obj).__name__}: {first}") from err


def load_checkpoint(path: str | Path, map_location: torch.device | str | None = "cpu",
                    **objects: Any) -> dict[str, Any]:
    """Verify and load ``path``; every object passed by name gets ``load_state_dict``.

    The header and the payload's SHA-256 are checked before anything is unpickled.

    Parameters
    ----------
    path : path
        A file written by :func:`save_checkpoint`.
    map_location : torch.device or str, optional
        Where tensors are loaded (as in ``torch.load``).
    **objects
        ``name=obj``: ``obj.load_state_dict(payload[name])`` (see :func:`load_states`).

    Returns
    -------
    dict
        The whole payload (for the plain entries such as the epoch and the records).

    Raises
    ------
    CheckpointError
        The file cannot be read, is not a tensorcnn checkpoint, is truncated, fails its
        checksum, cannot be unpickled, or an entry does not fit its object. The message
        names the file.

    Notes
    -----
    The payload holds numpy and python RNG states, so it is unpickled with
    ``weights_only=False`` (after the checksum check): load only checkpoints you wrote. The
    checksum detects corruption, not tampering.
    """
    path = check_path(path, "path")
    if not (map_location is None or isinstance(map_location, str | torch.device | Mapping)
            or callable(map_location)):
        raise TypeError(f"map_location must be a torch.device, a device string, a mapping, "
                        f"a callable or None, got {map_location!r}")
    if isinstance(map_location, str):
        try:
            torch.device(map_location)
        except RuntimeError:
            raise ValueError(f"map_location must name a device (cpu, cuda, cuda:1 ...), got "
                             f"{map_location!r}") from None
    _check_loadable(objects)
    data = _verified_payload(path)
    try:
        payload = torch.load(io.BytesIO(data), map_location=map_location, weights_only=False)
    except Exception as err:  # noqa: BLE001 - any unpickling failure is a bad checkpoint
        raise CheckpointError(f"checkpoint {path} cannot be unpickled "
                              f"({type(err).__name__}: {err})") from err
    if not isinstance(payload, dict):
        raise CheckpointError(f"checkpoint {path} does not hold a dict of entries")
    load_states(payload, path, **objects)
    return payload


_ABSENT = "<absent>"


def config_diff(old: Mapping[str, Any], new: Mapping[str, Any],
                ignore: tuple[str, ...] = ()) -> dict[str, tuple[Any, Any]]:
    """The keys whose values differ between two configurations: ``{key: (old, new)}``.

    Both are compared as :func:`jsonable` data; a key present on one side only shows
    ``"<absent>"`` on the other. Keys in ``ignore`` are skipped.

    Raises
    ------
    TypeError
        ``old`` or ``new`` is not a mapping, or ``ignore`` is not a tuple / list of key
        strings (a bare string would skip every key that is a substring of it).
    """
    for name, value in (("old", old), ("new", new)):
        if not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a mapping (a configuration), got "
                            f"{type(value).__name__}")
    if not isinstance(ignore, tuple | list | set | frozenset) or \
            not all(isinstance(k, str) for k in ignore):
        raise TypeError(f"ignore must be a tuple of key strings, got {ignore!r}")
    old, new = jsonable(dict(old)), jsonable(dict(new))
    keys = list(old) + [k for k in new if k not in old]
    return {k: (old.get(k, _ABSENT), new.get(k, _ABSENT)) for k in keys
            if k not in ignore and old.get(k, _ABSENT) != new.get(k, _ABSENT)}


def format_diff(diff: Mapping[str, tuple[Any, Any]]) -> str:
    """``key: old -> new`` for each differing key, separated by ``; ``.

    Raises
    ------
    TypeError
        ``diff`` is not a mapping of key -> (old, new) pairs (what :func:`config_diff`
        returns).
    """
    if not isinstance(diff, Mapping) or not all(
            isinstance(pair, tuple | list) and len(pair) == 2 for pair in diff.values()):
        raise TypeError(f"diff must be a mapping of key -> (old, new) pairs, as config_diff "
                        f"returns, got {type(diff).__name__}")
    return "; ".join(f"{key}: {json.dumps(a)} -> {json.dumps(b)}"
                     for key, (a, b) in diff.items())
