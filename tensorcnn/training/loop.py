"""The train / evaluate loop: mixed precision on CUDA, checkpoint and resume, DDP-aware."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from .._validation import check_bool, check_int, check_path
from .checkpoint import (
    CheckpointError,
    CheckpointMismatchError,
    config_diff,
    format_diff,
    jsonable,
    load_checkpoint,
    load_states,
    rng_states,
    save_checkpoint,
    set_rng_states,
)
from .distributed import all_reduce_sum, barrier, dist_info, unwrap

__all__ = ["train_epoch", "evaluate", "fit", "harness_settings", "Callback"]

Callback = Callable[..., dict[str, Any] | None]


def _device_of(model: nn.Module) -> torch.device:
    return next(iter(model.parameters())).device


# -- argument checks of the public functions (before any work: no step, no file) ----------
def _check_model(model: Any) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if next(iter(model.parameters()), None) is None:
        raise ValueError(f"model must have parameters (their device is the run's), got "
                         f"{type(model).__name__} with none")


def _check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                        f"{type(optimizer).__name__}")


def _check_loader(loader: Any, name: str) -> None:
    if isinstance(loader, str | bytes | Mapping) or not hasattr(loader, "__iter__"):
        raise TypeError(f"{name} must be an iterable of (x, y) batches, got "
                        f"{type(loader).__name__}")


def _check_scheduler(scheduler: Any) -> None:
    if scheduler is not None and not (callable(getattr(scheduler, "step", None))
                                      and callable(getattr(scheduler, "state_dict", None))):
        raise TypeError(f"scheduler must be a torch.optim.lr_scheduler.LRScheduler or None, "
                        f"got {type(scheduler).__name__}")


def _check_loss_fn(loss_fn: Any) -> None:
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be a callable loss_fn(logits, y) or None, got "
                        f"{loss_fn!r}")


def _check_amp_dtype(amp_dtype: Any, allowed: tuple[torch.dtype, ...] | None = None) -> None:
    if amp_dtype is None and allowed is None:
        return
    if not isinstance(amp_dtype, torch.dtype) or not amp_dtype.is_floating_point or (
            allowed is not None and amp_dtype not in allowed):
        expected = (" or ".join(str(d) for d in allowed) if allowed is not None
                    else "a floating torch.dtype or None")
        raise TypeError(f"amp_dtype must be {expected}, got {amp_dtype!r}")


def _summary(sums: torch.Tensor, what: str) -> dict[str, float]:
    loss_sum, correct, n = all_reduce_sum(sums).tolist()
    if n == 0:  # the same on every rank: the counts are all-reduced
        raise ValueError(f"{what}: the loader yielded no examples (an empty data set, or "
                         "fewer examples than one batch with drop_last=True)")
    return {"loss": loss_sum / n, "accuracy": correct / n, "n": int(n)}


def train_epoch(model: nn.Module, loader, optimizer: torch.optim.Optimizer, *,
                loss_fn: Callable | None = None, scaler: torch.amp.GradScaler | None = None,
                amp_dtype: torch.dtype | None = None, progress: bool = False,
                desc: str = "train") -> dict[str, float]:
    """One pass over ``loader`` with an optimizer step per batch.

    Parameters
    ----------
    model : nn.Module
        Possibly wrapped in DDP.
    loader : iterable of (x, y)
        Batches already on the model's device.
    optimizer : torch.optim.Optimizer
    loss_fn : callable, default cross-entropy
        ``loss_fn(logits, y)``, a mean over the batch.
    scaler : torch.amp.GradScaler, optional
        Loss scaling for float16 autocast (CUDA).
    amp_dtype : torch.dtype, optional
        Run the forward pass under ``torch.autocast`` with this dtype.
    progress : bool
        A tqdm bar (rank 0 only).

    Returns
    -------
    dict
        ``loss`` (mean over examples, all ranks), ``accuracy``, ``n``.

    Raises
    ------
    ValueError
        If ``loader`` yields no examples (on every rank together).
    """
    _check_model(model)
    _check_loader(loader, "loader")
    _check_optimizer(optimizer)
    _check_loss_fn(loss_fn)
    if scaler is not None and not isinstance(scaler, torch.amp.GradScaler):
        raise TypeError(f"scaler must be a torch.amp.GradScaler or None, got "
                        f"{type(scaler).__name__}")
    _check_amp_dtype(amp_dtype)
    progress = check_bool(progress, "progress")
    if not isinstance(desc, str):
        raise TypeError(f"desc must be a string, got {desc!r}")
    loss_fn = loss_fn or F.cross_entropy
    device = _device_of(model)
    model.train()
    sums = torch.zeros(3, dtype=torch.float64, device=device)
    bar = tqdm(loader, desc=desc, leave=False,
               disable=not progress or not dist_info(device).is_main)
    for x, y in bar:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            out = model(x)
            loss = loss_fn(out, y)
        if scaler is not None and scaler.is_enabled():
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            # Accumulate on the device: no host sync per batch.
            sums += torch.stack([loss.detach().double() * y.shape[0],
                                 (out.argmax(1) == y).sum().double(),
                                 torch.tensor(float(y.shape[0]), device=device,
                                              dtype=torch.float64)])
    return _summary(sums, "train_epoch")


@torch.no_grad()
def evaluate(model: nn.Module, loader, *, loss_fn: Callable | None = None,
             amp_dtype: torch.dtype | None = None) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` (eval mode) over ``loader``, summed over ranks.

    Raises ``ValueError`` if ``loader`` yields no examples, ``TypeError`` / ``ValueError``
    for an argument of the wrong kind (named in the message).
    """
    _check_model(model)
    _check_loader(loader, "loader")
    _check_loss_fn(loss_fn)
    _check_amp_dtype(amp_dtype)
    loss_fn = loss_fn or F.cross_entropy
    model = unwrap(model)
    device = _device_of(model)
    was_training = model.training
    model.eval()
    sums = torch.zeros(3, dtype=torch.float64, device=device)
    for x, y in loader:
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            out = model(x)
            loss = loss_fn(out, y)
        sums += torch.stack([loss.double() * y.shape[0], (out.argmax(1) == y).sum().double(),
                             torch.tensor(float(y.shape[0]), device=device,
                                          dtype=torch.float64)])
    model.train(was_training)
    return _summary(sums, "evaluate")


def _gather(obj: Any) -> list[Any]:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        out = [None] * dist.get_world_size()
        dist.all_gather_object(out, obj)
        return out
    return [obj]


_LOADER_SETTINGS = ("batch_size", "seed", "shuffle", "drop_last")
_SCHEDULER_PROGRESS = ("last_epoch",)


def harness_settings(model: nn.Module, optimizer: torch.optim.Optimizer, scheduler=None,
                     train_loader=None) -> dict[str, Any]:
    """The settings of a run that :func:`fit` can read off its objects, as flat keys.

    ``model.class`` and ``model.<entry>`` (shape and dtype of every state-dict entry);
    ``optimizer.class``, ``optimizer.groups`` and ``optimizer.group<i>.<key>`` (every
    hyperparameter of every parameter group; ``lr`` is left out when the group has an
    ``initial_lr``, i.e. when a scheduler owns it); ``scheduler.class`` and
    ``scheduler.<key>`` (its state-dict entries except its progress: ``T_max``,
    ``milestones``, ``base_lrs`` …); ``train_loader.<attr>`` for ``batch_size``, ``seed``,
    ``shuffle``, ``drop_last`` and ``train_loader.size`` (examples) where the loader has
    them. Taken before anything is loaded, so a fresh run and its resumption agree.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    _check_optimizer(optimizer)
    _check_scheduler(scheduler)
    net = unwrap(model)
    out: dict[str, Any] = {"model.class": type(net).__name__}
    for name, value in net.state_dict().items():
        out[f"model.{name}"] = f"{tuple(value.shape)} {value.dtype}"
    out["optimizer.class"] = type(optimizer).__name__
    out["optimizer.groups"] = len(optimizer.param_groups)
    for i, group in enumerate(optimizer.param_groups):
        for key, value in group.items():
            if key == "params" or (key == "lr" and "initial_lr" in group):
                continue
            out[f"optimizer.group{i}.{key}"] = jsonable(value)
        out[f"optimizer.group{i}.params"] = len(group["params"])
    if scheduler is not None:
        out["scheduler.class"] = type(scheduler).__name__
        for key, value in scheduler.state_dict().items():
            if key.startswith("_") or key in _SCHEDULER_PROGRESS:
                continue
            out[f"scheduler.{key}"] = jsonable(value)
    if train_loader is not None:
        for attr in _LOADER_SETTINGS:
            if hasattr(train_loader, attr):
                out[f"train_loader.{attr}"] = jsonable(getattr(train_loader, attr))
        data = getattr(train_loader, "data", None)
        if data is not None and hasattr(data, "__len__"):
            out["train_loader.size"] = len(data)
    return out


def _short(diff: dict[str, tuple[Any, Any]], limit: int = 12) -> str:
    keys = list(diff)
    text = format_diff({k: diff[k] for k in keys[:limit]})
    if len(keys) > limit:
        text += f"; … and {len(keys) - limit} more"
    return text


def _check_resume(payload: dict[str, Any], path: Path, *, epochs: int,
                  config: Mapping[str, Any] | None, settings: dict[str, Any],
                  extend: bool) -> bool:
    """Refuse to resume ``payload`` unless it is the same run; True when extending it."""
    for key in ("epoch", "epochs", "records", "rng", "settings"):
        if key not in payload:
            raise CheckpointError(f"checkpoint {path} was not written by fit "
                                  f"(no entry {key!r}): refusing to resume from it")
    done, old_total = payload["epoch"] + 1, payload["epochs"]
    if epochs < done:
        raise CheckpointMismatchError(
            f"checkpoint {path} holds {done} completed epochs (of a {old_total}-epoch run); "
            f"epochs={epochs} is fewer: a run cannot be shortened (ask for {old_total} "
            "epochs to get its records, or use another checkpoint path)")
    longer = epochs > old_total
    diff: dict[str, tuple[Any, Any]] = {}
    if epochs != old_total and not (longer and extend):
        diff["epochs"] = (old_total, epochs)
    if config is not None:
        diff.update(config_diff(payload.get("config") or {}, config, ignore=("epochs",)))
    # A longer run's scheduler is built for the new total: its settings (T_max …) differ.
    ignore = tuple(k for k in {**payload["settings"], **settings}
                   if k.startswith("scheduler.") and k != "scheduler.class") if longer else ()
    diff.update(config_diff(payload["settings"], settings, ignore=ignore))
    if list(diff) == ["epochs"] and longer:
        raise CheckpointMismatchError(
            f"checkpoint {path} is of a {old_total}-epoch run and epochs={epochs} is more: "
            f"pass extend=True (tensorcnn train --extend) to continue it to {epochs} epochs "
            "with the schedule rebuilt for the new total, or use another checkpoint path")
    if diff:
        message = (f"checkpoint {path} is of another run; refusing to resume it with a "
                   f"different configuration: {_short(diff)}")
        if "epochs" in diff and not longer:
            message += (f" (a shorter run has another schedule: ask for {old_total} epochs "
                        "or use another checkpoint path)")
        raise CheckpointMismatchError(message)
    return longer and extend


def _fast_forward(scheduler, steps: int) -> None:
    """Step a fresh scheduler ``steps`` times (its lr values only; no training)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)`")
        for _ in range(steps):
            scheduler.step()


def fit(model: nn.Module, optimizer: torch.optim.Optimizer, train_loader, *, epochs: int,
        test_loader=None, scheduler=None, loss_fn: Callable | None = None,
        amp: bool | None = None, amp_dtype: torch.dtype = torch.float16,
        checkpoint_path: str | Path | None = None, checkpoint_every: int = 1,
        resume: bool = True, callbacks: Sequence[Callback] = (),
        progress: bool = True, config: Mapping[str, Any] | None = None,
        extend: bool = False) -> list[dict[str, Any]]:
    """Train for ``epochs`` epochs and return one record (a flat dict) per epoch.

    Each epoch: ``train_loader.set_epoch(epoch)`` (if it has it), one :func:`train_epoch`,
    :func:`evaluate` on ``test_loader``, the ``callbacks``, ``scheduler.step()``, then a
    checkpoint every ``checkpoint_every`` epochs and at the end. With ``resume`` and an
    existing checkpoint the run continues after its last epoch, with the model, optimizer
    (SplitLBI's V and Γ included), scheduler, grad scaler, every process's RNG states and
    the earlier records restored — so a killed run, resumed, ends where an uninterrupted
    one would (when the data order and augmentation are seeded per epoch, as in
    :class:`~tensorcnn.training.BatchLoader`).

    A checkpoint is resumed only by the run that wrote it. It records ``epochs``, the
    caller's ``config`` and the :func:`harness_settings` of the objects passed (model
    entries' shapes, optimizer hyperparameters, scheduler settings, loader batch size and
    seed); before the first epoch they are compared with this call's, and any difference
    raises :class:`~tensorcnn.training.checkpoint.CheckpointMismatchError` naming the
    differing keys (old -> new). A corrupt or unreadable file raises
    :class:`~tensorcnn.training.checkpoint.CheckpointError` naming it.

    **Epochs.** Fewer ``epochs`` than the checkpoint's completed epochs is refused; fewer
    than its total is refused too (the schedule would differ). More epochs is refused
    unless ``extend=True``. Extending rebuilds the schedule for the new total: pass a
    ``scheduler`` built for the new ``epochs`` (e.g. ``make_scheduler("cosine", opt,
    new_epochs)``); its settings (``T_max`` …) may differ from the checkpoint's, its class
    may not. It is not loaded from the checkpoint but stepped from epoch 0 to the resume
    epoch ``k``, so every epoch from ``k`` on gets exactly the lr that a fresh run of
    ``epochs`` epochs has at that epoch (cosine: annealing over the new total, continued
    from epoch ``k``). The lr therefore jumps at the resume epoch: a finished 6-epoch
    cosine run ends near 0, and its extension to 8 restarts at the 8-epoch curve's
    value at epoch 6. Everything else (model, optimizer state, RNG, records) continues.
    The records of the epochs trained after an extension carry ``extended_from`` (the
    total it extended).

    Parameters
    ----------
    model : nn.Module
        On its device; wrapped in DDP by the caller when distributed
        (:func:`~tensorcnn.training.wrap_ddp`).
    optimizer : torch.optim.Optimizer
    train_loader, test_loader : iterables of (x, y) batches on the model's device
    epochs : int
        Total epochs of the run (a resumed run stops at the same total).
    scheduler : torch.optim.lr_scheduler.LRScheduler, optional
        Stepped once per epoch.
    loss_fn : callable, default cross-entropy
    amp : bool, optional
        Autocast the forward pass; default: on CUDA only. float16 uses a GradScaler.
    amp_dtype : torch.dtype
        float16 (default) or bfloat16.
    checkpoint_path : path, optional
        Written by rank 0 only, atomically, with a checksum.
    checkpoint_every : int
        Epochs between checkpoints (the last epoch is always saved).
    resume : bool
        Continue from an existing ``checkpoint_path`` (else it is overwritten).
    callbacks : sequence of callables
        ``callback(epoch=…, model=…, optimizer=…, record=…)`` after evaluation; a returned
        dict is merged into the epoch's record (e.g. Γ sparsity, sparse-model accuracy).
    progress : bool
        tqdm bars on rank 0; the function prints nothing else.
    config : mapping, optional
        The run's configuration (JSON-able: the arguments that change the result). Saved
        in the checkpoint and, when given, compared with the saved one on resume (a
        checkpoint without one then differs in every key); its ``epochs`` entry, if any,
        is compared through ``epochs``. Without it only the :func:`harness_settings` and
        ``epochs`` are compared.
    extend : bool
        Allow ``epochs`` larger than the checkpoint's total (see above).

    Returns
    -------
    list of dict
        ``epoch``, ``lr`` (of the first group, at the epoch's start), ``train_loss``,
        ``train_accuracy``, ``test_loss``, ``test_accuracy`` (with a test loader),
        ``seconds``, the callbacks' fields, and ``extended_from`` after an extension. The
        caller writes them (see :func:`~tensorcnn.training.write_records`).

    Raises
    ------
    CheckpointError
        The checkpoint is unreadable or corrupt, or (:class:`CheckpointMismatchError`)
        belongs to another run; raised before the first epoch.
    ValueError
        ``train_loader`` (or ``test_loader``) yields no examples: raised before the first
        epoch when the loader has a length (one process), else in the first epoch; before
        anything is checkpointed either way.
    TypeError, ValueError
        An argument of the wrong kind or out of range (``epochs=0``, ``callbacks=[1]``,
        ``amp="yes"`` …), named in the message, before any work.
    """
    epochs = check_int(epochs, "epochs")
    checkpoint_every = check_int(checkpoint_every, "checkpoint_every")
    _check_model(model)
    _check_optimizer(optimizer)
    _check_loader(train_loader, "train_loader")
    if test_loader is not None:
        _check_loader(test_loader, "test_loader")
    _check_scheduler(scheduler)
    _check_loss_fn(loss_fn)
    if amp is not None:
        amp = check_bool(amp, "amp")
    _check_amp_dtype(amp_dtype, allowed=(torch.float16, torch.bfloat16))
    if checkpoint_path is not None:
        checkpoint_path = check_path(checkpoint_path, "checkpoint_path")
    resume, progress = check_bool(resume, "resume"), check_bool(progress, "progress")
    extend = check_bool(extend, "extend")
    if isinstance(callbacks, str | bytes) or not isinstance(callbacks, Sequence) or \
            not all(callable(c) for c in callbacks):
        raise TypeError(f"callbacks must be a sequence of callables, got {callbacks!r}")
    if config is not None and not isinstance(config, Mapping):
        raise TypeError(f"config must be a mapping (the run's configuration) or None, got "
                        f"{type(config).__name__}")
    device = _device_of(model)
    info = dist_info(device)
    if info.world_size == 1:
        # One process: an empty loader is refused now, before a checkpoint is read or
        # written. Distributed runs keep the check inside the epoch, where the example
        # counts are all-reduced, so that every rank raises together (no rank left
        # waiting in a collective).
        for name, loader in (("train_loader", train_loader), ("test_loader", test_loader)):
            if loader is not None and hasattr(loader, "__len__") and len(loader) == 0:
                raise ValueError(f"{name} yields no examples (an empty data set, or fewer "
                                 "examples than one batch with drop_last=True)")
    amp = device.type == "cuda" if amp is None else amp
    autocast_dtype = amp_dtype if amp else None
    scaler = torch.amp.GradScaler(device.type,
                                  enabled=bool(amp and amp_dtype == torch.float16
                                               and device.type == "cuda"))
    settings = harness_settings(model, optimizer, scheduler, train_loader)
    saved_config = None if config is None else jsonable(dict(config))
    records: list[dict[str, Any]] = []
    extensions: list[dict[str, int]] = []
    start = 0
    if checkpoint_path is not None and Path(checkpoint_path).is_dir():
        raise CheckpointError(f"checkpoint {checkpoint_path} is a folder, not a file")
    if checkpoint_path is not None and resume and Path(checkpoint_path).exists():
        path = Path(checkpoint_path)
        payload = load_checkpoint(path, map_location=device)
        extending = _check_resume(payload, path, epochs=epochs, config=config,
                                  settings=settings, extend=extend)
        start = payload["epoch"] + 1
        extensions = list(payload.get("extensions", []))
        if extending:
            # The schedule of the new total, from epoch 0 to the resume epoch (lr only).
            if scheduler is not None:
                _fast_forward(scheduler, start)
            lrs = [group["lr"] for group in optimizer.param_groups]
            load_states(payload, path, model=unwrap(model), optimizer=optimizer,
                        scaler=scaler)
            for group, lr in zip(optimizer.param_groups, lrs, strict=True):
                group["lr"] = lr
            extensions.append({"at_epoch": start, "from_epochs": payload["epochs"],
                               "to_epochs": epochs})
        else:
            load_states(payload, path, model=unwrap(model), optimizer=optimizer,
                        scheduler=scheduler, scaler=scaler)
        rng = payload["rng"]
        set_rng_states(rng[info.rank] if len(rng) == info.world_size else rng[0])
        records = list(payload["records"])
    extended_from = extensions[-1]["from_epochs"] if extensions else None

    bar = tqdm(range(start, epochs), desc="epochs", initial=start, total=epochs,
               disable=not progress or not info.is_main)
    for epoch in bar:
        if hasattr(train_loader, "set_epoch"):
            train_loader.set_epoch(epoch)
        record: dict[str, Any] = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"]}
        tic = time.perf_counter()
        train = train_epoch(model, train_loader, optimizer, loss_fn=loss_fn, scaler=scaler,
                            amp_dtype=autocast_dtype, progress=progress,
                            desc=f"epoch {epoch}")
        record.update(train_loss=train["loss"], train_accuracy=train["accuracy"])
        if test_loader is not None:
            test = evaluate(model, test_loader, loss_fn=loss_fn, amp_dtype=autocast_dtype)
            record.update(test_loss=test["loss"], test_accuracy=test["accuracy"])
        for callback in callbacks:
            extra = callback(epoch=epoch, model=unwrap(model), optimizer=optimizer,
                             record=record)
            if extra:
                record.update(extra)
        if scheduler is not None:
            scheduler.step()
        if extended_from is not None:
            record["extended_from"] = extended_from
        record["seconds"] = time.perf_counter() - tic
        records.append(record)
        bar.set_postfix(loss=f"{train['loss']:.4f}")
        last = epoch == epochs - 1
        if checkpoint_path is not None and ((epoch + 1) % checkpoint_every == 0 or last):
            states = _gather(rng_states())
            if info.is_main:
                save_checkpoint(checkpoint_path, model=unwrap(model), optimizer=optimizer,
                                scheduler=scheduler, scaler=scaler, epoch=epoch,
                                epochs=epochs, records=records, rng=states,
                                config=saved_config, settings=settings,
                                extensions=extensions)
            barrier()
    return records
