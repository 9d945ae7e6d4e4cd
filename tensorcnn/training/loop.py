"""The train / evaluate loop: mixed precision on CUDA, checkpoint and resume, DDP-aware."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from .checkpoint import load_checkpoint, rng_states, save_checkpoint, set_rng_states
from .distributed import all_reduce_sum, barrier, dist_info, unwrap

__all__ = ["train_epoch", "evaluate", "fit", "Callback"]

Callback = Callable[..., dict[str, Any] | None]


def _device_of(model: nn.Module) -> torch.device:
    return next(iter(model.parameters())).device


def _summary(sums: torch.Tensor) -> dict[str, float]:
    loss_sum, correct, n = all_reduce_sum(sums).tolist()
    n = max(n, 1.0)
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
    """
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
    return _summary(sums)


@torch.no_grad()
def evaluate(model: nn.Module, loader, *, loss_fn: Callable | None = None,
             amp_dtype: torch.dtype | None = None) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` (eval mode) over ``loader``, summed over ranks."""
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
    return _summary(sums)


def _gather(obj: Any) -> list[Any]:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        out = [None] * dist.get_world_size()
        dist.all_gather_object(out, obj)
        return out
    return [obj]


def fit(model: nn.Module, optimizer: torch.optim.Optimizer, train_loader, *, epochs: int,
        test_loader=None, scheduler=None, loss_fn: Callable | None = None,
        amp: bool | None = None, amp_dtype: torch.dtype = torch.float16,
        checkpoint_path: str | Path | None = None, checkpoint_every: int = 1,
        resume: bool = True, callbacks: Sequence[Callback] = (),
        progress: bool = True) -> list[dict[str, Any]]:
    """Train for ``epochs`` epochs and return one record (a flat dict) per epoch.

    Each epoch: ``train_loader.set_epoch(epoch)`` (if it has it), one :func:`train_epoch`,
    :func:`evaluate` on ``test_loader``, the ``callbacks``, ``scheduler.step()``, then a
    checkpoint every ``checkpoint_every`` epochs and at the end. With ``resume`` and an
    existing checkpoint the run continues after its last epoch, with the model, optimizer
    (SplitLBI's V and Γ included), scheduler, grad scaler, every process's RNG states and
    the earlier records restored — so a killed run, resumed, ends where an uninterrupted
    one would (when the data order and augmentation are seeded per epoch, as in
    :class:`~tensorcnn.training.BatchLoader`).

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
        Written by rank 0 only, atomically.
    callbacks : sequence of callables
        ``callback(epoch=…, model=…, optimizer=…, record=…)`` after evaluation; a returned
        dict is merged into the epoch's record (e.g. Γ sparsity, sparse-model accuracy).
    progress : bool
        tqdm bars on rank 0; the function prints nothing else.

    Returns
    -------
    list of dict
        ``epoch``, ``lr`` (of the first group, at the epoch's start), ``train_loss``,
        ``train_accuracy``, ``test_loss``, ``test_accuracy`` (with a test loader),
        ``seconds``, and the callbacks' fields. The caller writes them (see
        :func:`~tensorcnn.training.write_records`).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
    device = _device_of(model)
    info = dist_info(device)
    amp = device.type == "cuda" if amp is None else amp
    autocast_dtype = amp_dtype if amp else None
    scaler = torch.amp.GradScaler(device.type,
                                  enabled=bool(amp and amp_dtype == torch.float16
                                               and device.type == "cuda"))
    records: list[dict[str, Any]] = []
    start = 0
    if checkpoint_path is not None and resume and Path(checkpoint_path).exists():
        payload = load_checkpoint(checkpoint_path, map_location=device, model=unwrap(model),
                                  optimizer=optimizer, scheduler=scheduler, scaler=scaler)
        rng = payload["rng"]
        set_rng_states(rng[info.rank] if len(rng) == info.world_size else rng[0])
        start = payload["epoch"] + 1
        records = list(payload["records"])

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
        record["seconds"] = time.perf_counter() - tic
        records.append(record)
        bar.set_postfix(loss=f"{train['loss']:.4f}")
        last = epoch == epochs - 1
        if checkpoint_path is not None and ((epoch + 1) % checkpoint_every == 0 or last):
            states = _gather(rng_states())
            if info.is_main:
                save_checkpoint(checkpoint_path, model=unwrap(model), optimizer=optimizer,
                                scheduler=scheduler, scaler=scaler, epoch=epoch,
                                records=records, rng=states)
            barrier()
    return records
