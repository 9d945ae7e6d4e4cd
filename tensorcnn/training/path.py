"""SplitLBI's regularisation path as arrays, a ``.npz`` file and a plot (004 §2, Fig. 1-2).

The optimizer records the path (:meth:`~tensorcnn.optim.SplitLBI.record_path`, once per
epoch, e.g. through the :func:`~tensorcnn.training.splitlbi_path` callback; entry steps with
``track_path=True``); this module reads it off the optimizer, writes it and draws it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from torch import nn

from .._figures import save_figure
from .._validation import check_int, check_path

__all__ = ["path_arrays", "save_path", "load_path", "plot_path"]


def path_arrays(optimizer, model: nn.Module | None = None) -> dict[str, np.ndarray]:
    """The recorded path of every penalised parameter, as numpy arrays.

    Keys, for a parameter called ``name`` (its name in ``model``):

    - ``name/entry_epoch`` (the parameter's shape) and ``name/entry_epoch_group``
      (n_groups,): the epoch at which the weight / group (slice along the first axis)
      entered supp(Γ), ``inf`` where never;
    - ``name/entry_step``, ``name/entry_step_group``: the same in optimizer steps (only
      with ``track_path=True``);
    - ``name/epochs`` (R,) and ``name/group_norms`` (R, n_groups): ‖Γ_g‖₂ at each recorded
      epoch (the regularisation path).

    Parameters
    ----------
    optimizer : tensorcnn.optim.SplitLBI
        With :meth:`~tensorcnn.optim.SplitLBI.record_path` called at least once.
    model : nn.Module, optional
        Names the parameters (else ``group{i}.param{j}``).

    Raises
    ------
    TypeError
        ``optimizer`` is not a SplitLBI (it has no penalised parameters / path), or
        ``model`` not an ``nn.Module``.
    ValueError
        No path recorded yet.
    """
    from ..optim import SplitLBI

    if not isinstance(optimizer, SplitLBI):
        raise TypeError(f"optimizer must be a tensorcnn.optim.SplitLBI (the optimizer that "
                        f"records the path), got {type(optimizer).__name__}")
    if model is not None and not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module or None, got {type(model).__name__}")
    names = {id(p): name for name, p in model.named_parameters()} if model is not None else {}
    for gi, group in enumerate(optimizer.param_groups):
        for pi, p in enumerate(group["params"]):
            names.setdefault(id(p), f"group{gi}.param{pi}")
    out: dict[str, np.ndarray] = {}
    for p in optimizer.penalised_parameters():
        state = optimizer.state.get(p, {})
        if "entry_epoch" not in state:
            continue
        name = names[id(p)]
        for key, getter in (("entry_epoch", optimizer.entry_epochs),
                            ("entry_step", optimizer.entry_steps)):
            if key in state:
                out[f"{name}/{key}"] = getter(p).detach().cpu().double().numpy()
                out[f"{name}/{key}_group"] = getter(p, level="group").cpu().double().numpy()
        out[f"{name}/epochs"] = state["path_epochs"].cpu().double().numpy()
        out[f"{name}/group_norms"] = state["path_norms"].cpu().double().numpy()
    if not out:
        raise ValueError("the optimizer holds no recorded path: call record_path(epoch) "
                         "(or use the splitlbi_path callback) during training")
    return out


def _check_arrays(arrays: object) -> None:
    if not isinstance(arrays, dict) or not all(isinstance(k, str) for k in arrays):
        raise TypeError(f"arrays must be a dict of name -> array, as path_arrays returns, "
                        f"got {type(arrays).__name__}")


def save_path(arrays: dict[str, np.ndarray], path: str | Path) -> Path:
    """Write :func:`path_arrays` to ``path`` (``.npz``), atomically; returns the path.

    Raises
    ------
    TypeError
        ``arrays`` is not a dict with string keys, or ``path`` not a path.
    ValueError
        ``path`` does not end in ``.npz``.
    """
    _check_arrays(arrays)
    path = check_path(path, "path")
    if path.suffix != ".npz":
        raise ValueError(f"path file {path} must end in .npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_path(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of a file written by :func:`save_path`.

    Raises
    ------
    TypeError
        ``path`` is not a path.
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not an ``.npz`` archive (the message names it).
    """
    path = check_path(path, "path")
    if not path.is_file():
        raise FileNotFoundError(f"path={str(path)!r}: no such file (a .npz of save_path)")
    try:
        data = np.load(path)
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"path={str(path)!r} is not a .npz file of save_path ({err})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"path={str(path)!r} holds a single array, not the .npz archive "
                         "save_path writes")
    with data:
        return {key: data[key] for key in data.files}


def plot_path(arrays: dict[str, np.ndarray], path: str | Path, max_groups: int = 64) -> Path:
    """Draw the regularisation path: ‖Γ_g‖₂ of every group against the epoch, one panel per
    layer (at most ``max_groups`` groups per panel: those that entered first), with the
    count of groups in supp(Γ) on a second axis. Writes a PNG at ``path``.

    Raises
    ------
    TypeError, ValueError
        ``arrays`` is not a dict of path arrays (no ``<name>/group_norms``, or a layer
        without its ``/epochs`` and ``/entry_epoch_group``), ``path`` not a path,
        ``max_groups`` not a positive integer; before anything is drawn.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    _check_arrays(arrays)
    path = check_path(path, "path")
    if path.suffix.lstrip(".").lower() not in FigureCanvasBase.get_supported_filetypes():
        raise ValueError(f"path={str(path)!r} must end in a figure format matplotlib writes "
                         f"(.png, .pdf, .svg …), got {path.suffix!r}")
    max_groups = check_int(max_groups, "max_groups")
    for key in [k for k in arrays if k.endswith("/group_norms")]:
        name = key[: -len("/group_norms")]
        lacking = [f"{name}/{part}" for part in ("epochs", "entry_epoch_group")
                   if f"{name}/{part}" not in arrays]
        if lacking:
            raise ValueError(f"arrays lacks {lacking} (expected what path_arrays returns)")
        norms = np.asarray(arrays[key])
        if norms.ndim != 2 or np.asarray(arrays[f"{name}/epochs"]).shape != norms.shape[:1]:
            raise ValueError(f"arrays[{key!r}] must have shape (len(epochs), n_groups), got "
                             f"{norms.shape}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = [key[: -len("/group_norms")] for key in arrays if key.endswith("/group_norms")]
    if not layers:
        raise ValueError("no path in arrays (keys '<name>/group_norms')")
    cols = min(len(layers), 4)
    rows = -(-len(layers) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.0 * cols, 3.2 * rows), squeeze=False)
    for ax, name in zip(axes.flat, layers, strict=False):
        epochs = arrays[f"{name}/epochs"]
        norms = arrays[f"{name}/group_norms"]
        entry = arrays[f"{name}/entry_epoch_group"]
        shown = np.argsort(entry, kind="stable")[:max_groups]
        ax.plot(epochs, norms[:, shown], lw=0.8, alpha=0.7)
        ax.set(title=name, xlabel="epoch", ylabel="‖Γ_g‖₂")
        twin = ax.twinx()
        twin.step(epochs, (norms > 0).sum(axis=1), where="post", color="k", lw=1.5)
        twin.set_ylim(0, 1.05 * norms.shape[1])
        twin.set_ylabel(f"groups in supp Γ (of {norms.shape[1]})")
    for ax in list(axes.flat)[len(layers):]:
        ax.set_visible(False)
    return save_figure(fig, path, dpi=110)
