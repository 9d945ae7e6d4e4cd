"""Batch augmentations of the papers, in plain torch: random crop with padding, flips.

A transform is a callable ``t(x, generator) -> x`` on a batch x of shape (N, C, H, W) on any
device; the random draws come from ``generator``, a CPU ``torch.Generator`` (small index
tensors are drawn on the CPU and moved), so the same seed gives the same batch on CPU and
GPU. The standard CIFAR augmentation of He et al. (2016), used by 004 ("the standard data
augmentation implemented in pytorch"), is ``Compose([RandomCrop(4), RandomHorizontalFlip()])``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.nn import functional as F

from .._validation import check_int

__all__ = ["Compose", "RandomCrop", "RandomHorizontalFlip", "Normalize", "standard_augmentation"]

Transform = Callable[[torch.Tensor, torch.Generator | None], torch.Tensor]


class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms: Sequence[Transform]) -> None:
        if isinstance(transforms, str | bytes) or not isinstance(transforms, Sequence) or \
                not all(callable(t) for t in transforms):
            raise TypeError(f"transforms must be a sequence of callables (x, generator) -> x, "
                            f"got {transforms!r}")
        self.transforms = list(transforms)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        for t in self.transforms:
            x = t(x, generator)
        return x


class RandomCrop:
    """Zero-pad by ``padding`` on every side, then crop the original size at a random offset.

    Each image of the batch gets its own offset (δ_h, δ_w) uniform on {0..2·padding}².
    """

    def __init__(self, padding: int = 4) -> None:
        self.padding = check_int(padding, "padding", minimum=0)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if self.padding == 0:
            return x
        n, _, h, w = x.shape
        p = self.padding
        padded = F.pad(x, (p, p, p, p))
        offsets = torch.randint(0, 2 * p + 1, (n, 2), generator=generator).to(x.device)
        rows = offsets[:, :1] + torch.arange(h, device=x.device)  # (N, H)
        cols = offsets[:, 1:] + torch.arange(w, device=x.device)  # (N, W)
        batch = torch.arange(n, device=x.device)[:, None, None]
        # Advanced indices around a slice put the indexed axes first: (N, H, W, C).
        out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
        return out.permute(0, 3, 1, 2).contiguous()


class RandomHorizontalFlip:
    """Mirror each image left-right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0 <= p <= 1:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        flip = (torch.rand(x.shape[0], generator=generator) < self.p).to(x.device)
        return torch.where(flip[:, None, None, None], x.flip(-1), x)


def _as_vector(value: Sequence[float] | torch.Tensor, name: str) -> torch.Tensor:
    if isinstance(value, str | bytes):
        raise TypeError(f"{name} must be a sequence of numbers of shape (C,), got {value!r}")
    try:
        return torch.as_tensor(value, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"{name} must be a sequence of numbers of shape (C,), got "
                        f"{value!r}") from error


class Normalize:
    """(x − mean) / std per channel; ``mean`` and ``std`` of shape (C,).

    Raises
    ------
    ValueError
        ``mean`` or ``std`` not 1-D, of different lengths, empty, not finite, or a
        ``std`` <= 0; at call time, an input whose channel count is not C.
    """

    def __init__(self, mean: Sequence[float] | torch.Tensor, std: Sequence[float] | torch.Tensor):
        mean, std = _as_vector(mean, "mean"), _as_vector(std, "std")
        for name, value in (("mean", mean), ("std", std)):
            if value.dim() != 1 or value.numel() == 0:
                raise ValueError(f"{name} must have shape (C,) with C >= 1, got shape "
                                 f"{tuple(value.shape)}")
            if not torch.isfinite(value).all():
                raise ValueError(f"{name} must be finite, got {value.tolist()}")
        if mean.shape != std.shape:
            raise ValueError(f"mean and std must have the same length (one per channel), got "
                             f"{mean.numel()} and {std.numel()}")
        if torch.any(std <= 0):
            raise ValueError(f"std must be > 0, got {std.tolist()}")
        self.mean = mean.reshape(1, -1, 1, 1)
        self.std = std.reshape(1, -1, 1, 1)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.mean.shape[1]:
            raise ValueError(f"Normalize has {self.mean.shape[1]} channels; expected a batch "
                             f"(N, {self.mean.shape[1]}, H, W), got {tuple(x.shape)}")
        mean = self.mean.to(device=x.device, dtype=x.dtype)
        std = self.std.to(device=x.device, dtype=x.dtype)
        return (x - mean) / std


def standard_augmentation(dataset: str, padding: int = 4) -> Compose:
    """The papers' training augmentation for a data set name.

    CIFAR-10/100: random crop (padding 4) + horizontal flip (He et al. 2016; 004 §4).
    SVHN: random crop only (mirrored digits are other digits). MNIST, digits, synthetic:
    none (004 trains LeNet on MNIST without augmentation).
    """
    if not isinstance(dataset, str):
        raise TypeError(f"dataset must be a data set name (str), got {dataset!r}")
    padding = check_int(padding, "padding", minimum=0)
    if dataset in ("cifar10", "cifar100"):
        return Compose([RandomCrop(padding), RandomHorizontalFlip()])
    if dataset == "svhn":
        return Compose([RandomCrop(padding)])
    return Compose([])
