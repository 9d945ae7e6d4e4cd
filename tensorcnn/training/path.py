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
    """
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


def save_path(arrays: dict[str, np.ndarray], path: str | Path) -> Path:
    """Write :func:`path_arrays` to ``path`` (``.npz``), atomically; returns the path."""
    path = Path(path)
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
    """The arrays of a file written by :func:`save_path`."""
    with np.load(Path(path)) as data:
        return {key: data[key] for key in data.files}


def plot_path(arrays: dict[str, np.ndarray], path: str | Path, max_groups: int = 64) -> Path:
    """Draw the regularisation path: ‖Γ_g‖₂ of every group against the epoch, one panel per
    layer (at most ``max_groups`` groups per panel: those that entered first), with the
    count of groups in supp(Γ) on a second axis. Writes a PNG at ``path``."""
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
