"""An in-memory batch loader: seeded per epoch, sharded across distributed ranks."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator

import torch

from .._validation import check_bool, check_int
from .datasets import ImageData

__all__ = ["BatchLoader", "epoch_generator"]


def epoch_generator(seed: int, epoch: int, stream: int = 0) -> torch.Generator:
    """A CPU generator that depends only on (seed, epoch, stream).

    Deriving every epoch's randomness from these numbers (not from a generator carried over
    from the previous epoch) is what makes a run resumed at an epoch boundary draw the
    same batches and augmentations as one that was never interrupted. ``seed`` is any
    integer, ``epoch`` and ``stream`` non-negative integers.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    seed = int(seed)
    epoch = check_int(epoch, "epoch", minimum=0)
    stream = check_int(stream, "stream", minimum=0)
    return torch.Generator().manual_seed(
        (seed * 1_000_003 + epoch * 10_007 + stream) % (2 ** 63 - 1))


class BatchLoader:
    """Batches of (images, labels) from an :class:`ImageData`, on a device.

    uint8 images become float32 in [0, 1]; floating images keep their dtype.

    Parameters
    ----------
    data : ImageData
    batch_size : int
        Batch size per process.
    shuffle : bool
        Draw a fresh permutation each epoch (from ``seed`` and the epoch; call
        :meth:`set_epoch`).
    transform : callable, optional
        ``transform(x, generator)`` on each float batch (augmentation, normalisation).
    seed : int
    drop_last : bool
        Drop the last incomplete batch.
    rank, world_size : int
        This process's shard: as ``torch.utils.data.DistributedSampler``, the permuted
        indices are padded (by wrapping around) to a multiple of ``world_size`` and rank r
        takes positions r, r + world_size, …. With ``world_size`` ranks of batch b, the
        union of the ranks' i-th batches is the single-process i-th batch of size
        ``world_size`` · b.
    device : torch.device or str
        Where batches are placed.
    """

    def __init__(self, data: ImageData, batch_size: int, shuffle: bool = True,
                 transform: Callable | None = None, seed: int = 0, drop_last: bool = False,
                 rank: int = 0, world_size: int = 1,
                 device: torch.device | str = "cpu") -> None:
        if not isinstance(data, ImageData):
            raise TypeError(f"data must be an ImageData, got {type(data).__name__}")
        batch_size = check_int(batch_size, "batch_size")
        shuffle, drop_last = check_bool(shuffle, "shuffle"), check_bool(drop_last, "drop_last")
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be a callable (x, generator) -> x or None, got "
                            f"{transform!r}")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"seed must be an integer, got {seed!r}")
        rank = check_int(rank, "rank", minimum=0)
        world_size = check_int(world_size, "world_size")
        if not 0 <= rank < world_size:
            raise ValueError(f"need 0 <= rank < world_size, got {rank}, {world_size}")
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.transform = transform
        self.seed = seed
        self.drop_last = drop_last
        self.rank = rank
        self.world_size = world_size
        self.device = torch.device(device)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the permutation and augmentation draws of ``epoch``."""
        self.epoch = epoch

    def _indices(self) -> torch.Tensor:
        n = len(self.data)
        if self.shuffle:
            order = torch.randperm(n, generator=epoch_generator(self.seed, self.epoch))
        else:
            order = torch.arange(n)
        total = -(-n // self.world_size) * self.world_size
        if total > n:
            order = torch.cat([order, order[: total - n]])
        return order[self.rank::self.world_size]

    def __len__(self) -> int:
        per_rank = -(-len(self.data) // self.world_size)
        if self.drop_last:
            return per_rank // self.batch_size
        return -(-per_rank // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        indices = self._indices()
        generator = epoch_generator(self.seed, self.epoch, stream=1 + self.rank)
        for b in range(len(self)):
            idx = indices[b * self.batch_size:(b + 1) * self.batch_size]
            x = self.data.images[idx].to(self.device, non_blocking=True)
            # uint8 stays uint8 in memory (4× smaller) and becomes [0, 1] floats per batch.
            if x.dtype == torch.uint8:
                x = x.float().div_(255)
            y = self.data.labels[idx].to(self.device, non_blocking=True)
            if self.transform is not None:
                x = self.transform(x, generator)
            yield x, y
