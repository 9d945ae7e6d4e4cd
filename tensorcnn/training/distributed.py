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

__all__ = ["DistInfo", "init_distributed", "dist_info", "all_reduce_sum", "barrier",
           "wrap_ddp", "unwrap"]


@dataclass(frozen=True)
class DistInfo:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


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
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def wrap_ddp(model: nn.Module, device: torch.device | str) -> nn.Module:
    """``DistributedDataParallel`` around ``model`` in a process group, else the model."""
    if not (dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
        return model
    device = torch.device(device)
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a DDP (or DataParallel) wrapper."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel
                                      | nn.DataParallel) else model
