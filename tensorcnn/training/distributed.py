"""torch.distributed glue: start-up from torchrun's environment, reductions, DDP wrapping.

A script launched by ``torchrun --nproc_per_node=G script.py`` calls :func:`init_distributed`
once; the library functions of this package then shard data by rank, all-reduce metrics
and let rank 0 alone write checkpoints. Without torchrun (``WORLD_SIZE`` unset or 1) all of
it is a no-op, so the same script runs on one CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from .._validation import check_int

__all__ = ["DistInfo", "init_distributed", "dist_info", "all_reduce_sum", "barrier",
           "wrap_ddp", "unwrap"]


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the process group: rank, world size, local rank, device.

    Raises
    ------
    TypeError, ValueError
        A rank that is not an integer in [0, world_size), a world size < 1, a negative
        local rank, or a device that is not a ``torch.device``.
    """

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    def __post_init__(self) -> None:
        check_int(self.rank, "rank", minimum=0)
        check_int(self.world_size, "world_size")
        check_int(self.local_rank, "local_rank", minimum=0)
        if self.rank >= self.world_size:
            raise ValueError(f"rank must be < world_size = {self.world_size}, got {self.rank}")
        if not isinstance(self.device, torch.device):
            raise TypeError(f"device must be a torch.device, got {self.device!r}")

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _as_device(device: object) -> torch.device:
    """``device`` (a torch.device or a device string) as a torch.device, named on failure."""
    if not isinstance(device, torch.device | str):
        raise TypeError(f"device must be a torch.device or a device string, got {device!r}")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ValueError(f"device must name a device (cpu, cuda, cuda:1 ...), got "
                         f"{device!r}") from None


def _default_device(local_rank: int) -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def init_distributed(backend: str | None = None) -> DistInfo:
    """Join the process group described by torchrun's variables (RANK, WORLD_SIZE, …).

    ``backend`` defaults to NCCL on CUDA and gloo on CPU. Returns this process's
    :class:`DistInfo`; with no (or a one-process) world, nothing is initialised.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = _default_device(local_rank)
    if world_size > 1 and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend or ("nccl" if device.type == "cuda" else "gloo"))
    return dist_info(device)


def dist_info(device: torch.device | str | None = None) -> DistInfo:
    """Rank and world size of the current process group (0 and 1 without one)."""
    if dist.is_available() and dist.is_initialized():
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(device) if device is not None else _default_device(local_rank)
    return DistInfo(rank, world, local_rank, device)


def all_reduce_sum(values: torch.Tensor) -> torch.Tensor:
    """Sum ``values`` over the ranks (identity without a process group)."""
    if not isinstance(values, torch.Tensor):
        raise TypeError(f"values must be a torch.Tensor, got {type(values).__name__}")
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def wrap_ddp(model: nn.Module, device: torch.device | str) -> nn.Module:
    """``DistributedDataParallel`` around ``model`` in a process group, else the model.

    ``model`` and ``device`` are checked in one process too, so that a script tried on
    one CPU fails where it would fail under torchrun.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    device = _as_device(device)
    if not (dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
        return model
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a DDP (or DataParallel) wrapper."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel
                                      | nn.DataParallel) else model
