"""Readers of the image data sets of the papers, from their original files in a local folder.

Nothing is downloaded. Each reader looks for the files under the folder it is given
(or under the standard sub-folder inside it) and raises ``FileNotFoundError`` naming the
files it expects when they are not there (or naming ``root`` when it is not an existing
folder). A ``root`` that is not a ``str`` / ``os.PathLike`` and a ``train`` that is not a bool
raise ``TypeError``, before any file is opened.

| data set | files | format |
|---|---|---|
| CIFAR-10 | ``cifar-10-batches-py/data_batch_{1..5}``, ``test_batch`` | python pickles |
| CIFAR-100 | ``cifar-100-python/train``, ``test`` | python pickles (fine labels) |
| SVHN | ``train_32x32.mat``, ``test_32x32.mat`` | MATLAB v5 (``X``: 32×32×3×N, ``y``) |
| MNIST | ``{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (optionally ``.gz``) | idx |
"""

from __future__ import annotations

import gzip
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .._validation import check_bool, check_int, check_path

__all__ = ["ImageData", "load_cifar10", "load_cifar100", "load_svhn", "load_mnist",
           "read_idx", "load_image_dataset", "DATASETS"]


@dataclass
class ImageData:
    """Images and labels held in memory.

    Attributes
    ----------
    images : Tensor of shape (N, C, H, W)
        uint8 in [0, 255] (files) or float32 in [0, 1] (generated data).
    labels : Tensor of shape (N,), int64 in [0, num_classes)
    num_classes : int
    name : str
    """

    images: torch.Tensor
    labels: torch.Tensor
    num_classes: int
    name: str = ""

    def __post_init__(self) -> None:
        # Checked before .dim() / .shape are read, so a numpy array or a list is named.
        for name in ("images", "labels"):
            if not isinstance(getattr(self, name), torch.Tensor):
                raise TypeError(f"{name} must be a torch.Tensor, got "
                                f"{type(getattr(self, name)).__name__}")
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, got {self.name!r}")
        if self.images.dim() != 4:
            raise ValueError(f"images must have shape (N, C, H, W), got {tuple(self.images.shape)}")
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError("labels must have shape (N,) matching the images")
        if self.labels.dtype == torch.bool or self.labels.is_complex() or (
                self.labels.is_floating_point()
                and not torch.equal(self.labels, self.labels.round())):
            raise ValueError(f"labels must be integer class indices, got dtype "
                             f"{self.labels.dtype}")
        if self.images.is_complex() or self.images.dtype == torch.bool:
            raise TypeError(f"images must be real (uint8 or floating), got dtype "
                            f"{self.images.dtype}")
        if self.images.is_floating_point() and not bool(torch.isfinite(self.images).all()):
            raise ValueError("images must be finite, got NaN or infinite pixels")
        self.num_classes = check_int(self.num_classes, "num_classes")
        self.labels = self.labels.long()
        if self.labels.numel() and (int(self.labels.min()) < 0
                                    or int(self.labels.max()) >= self.num_classes):
            raise ValueError(f"labels must lie in [0, num_classes) = [0, {self.num_classes}), "
                             f"got values in [{int(self.labels.min())}, "
                             f"{int(self.labels.max())}]")

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W)."""
        return tuple(self.images.shape[1:])

    def float_images(self) -> torch.Tensor:
        """The images as float32 in [0, 1] (uint8 is divided by 255)."""
        if self.images.dtype == torch.uint8:
            return self.images.float().div_(255)
        return self.images.float()

    def channel_stats(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel mean and standard deviation of :meth:`float_images`, shapes (C,)."""
        x = self.float_images()
        return x.mean(dim=(0, 2, 3)), x.std(dim=(0, 2, 3))


def _require(paths: list[Path], what: str, root: Path | None = None) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        where = f" under root={str(root)!r}" if root is not None else ""
        raise FileNotFoundError(
            f"{what}: expected the files {[str(p) for p in paths]}{where}; missing {missing}. "
            "tensorcnn reads local copies only and downloads nothing.")


def _root(root: str | Path) -> Path:
    """``root`` as a Path: a str / os.PathLike (else TypeError), an existing folder (else
    FileNotFoundError naming it: the readers only read local copies)."""
    root = check_path(root, "root")
    if not root.is_dir():
        raise FileNotFoundError(f"root={str(root)!r} is not an existing folder: give the folder "
                                "that holds the data set's files (nothing is downloaded)")
    return root


def _find_folder(root: str | Path, sub: str, marker: str) -> Path:
    root = Path(root)
    for folder in (root / sub, root):
        if (folder / marker).exists():
            return folder
    return root / sub


def _unpickle(path: Path) -> dict:
    with open(path, "rb") as f:
        return pickle.load(f, encoding="bytes")


def _key(batch: dict, name: str):
    return batch[name.encode()] if name.encode() in batch else batch[name]


def _cifar_images(rows) -> torch.Tensor:
    # Each row is 3072 bytes: the 32×32 red plane, then green, then blue (row-major).
    return torch.from_numpy(np.asarray(rows, dtype=np.uint8).reshape(-1, 3, 32, 32).copy())


def load_cifar10(root: str | Path, train: bool = True) -> ImageData:
    """CIFAR-10 from ``root/cifar-10-batches-py`` (or ``root`` itself)."""
    root, train = _root(root), check_bool(train, "train")
    folder = _find_folder(root, "cifar-10-batches-py", "batches.meta")
    names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
    paths = [folder / n for n in names]
    _require(paths, "CIFAR-10", root)
    batches = [_unpickle(p) for p in paths]
    images = torch.cat([_cifar_images(_key(b, "data")) for b in batches])
    labels = torch.cat([torch.as_tensor(_key(b, "labels")) for b in batches])
    return ImageData(images, labels, 10, "cifar10")


def load_cifar100(root: str | Path, train: bool = True) -> ImageData:
    """CIFAR-100 (100 fine labels) from ``root/cifar-100-python`` (or ``root`` itself)."""
    root, train = _root(root), check_bool(train, "train")
    folder = _find_folder(root, "cifar-100-python", "meta")
    path = folder / ("train" if train else "test")
    _require([path], "CIFAR-100", root)
    batch = _unpickle(path)
    return ImageData(_cifar_images(_key(batch, "data")),
                     torch.as_tensor(_key(batch, "fine_labels")), 100, "cifar100")


def load_svhn(root: str | Path, train: bool = True) -> ImageData:
    """SVHN (cropped digits) from ``root/{train,test}_32x32.mat``; label 10 is the digit 0."""
    from scipy.io import loadmat

    root, train = _root(root), check_bool(train, "train")
    path = root / ("train_32x32.mat" if train else "test_32x32.mat")
    _require([path], "SVHN", root)
    mat = loadmat(path)
    images = torch.from_numpy(np.ascontiguousarray(mat["X"].transpose(3, 2, 0, 1)))
    labels = torch.from_numpy(mat["y"].reshape(-1).astype(np.int64)) % 10
    return ImageData(images, labels, 10, "svhn")


def read_idx(path: str | Path) -> np.ndarray:
    """An idx file (MNIST format; gzip if the name ends in .gz) as a numpy array.

    Header: two zero bytes, a type byte (0x08 = uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of axes, then each size as a big-endian int32.
    """
    path = check_path(path, "path")
    if not path.is_file():
        raise FileNotFoundError(f"path={str(path)!r}: no such idx file")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:  # a corrupt .gz
        raise ValueError(f"path={str(path)!r} cannot be read as an idx file ({err})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"path={str(path)!r} is not an idx file (bad magic number)")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if raw[2] not in dtypes:
        raise ValueError(f"path={str(path)!r}: unknown idx type byte {raw[2]:#x}")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"path={str(path)!r}: truncated idx header ({ndim} axes announced)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    itemsize = np.dtype(dtypes[raw[2]]).itemsize
    if (len(raw) - 4 - 4 * ndim) % itemsize:
        raise ValueError(f"path={str(path)!r}: the data is not a whole number of "
                         f"{itemsize}-byte values (truncated file)")
    data = np.frombuffer(raw, dtype=dtypes[raw[2]], offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"path={str(path)!r}: header says {shape} but holds {data.size} "
                         "values")
    return data.reshape(shape).astype(dtypes[raw[2]][1:])


def load_mnist(root: str | Path, train: bool = True) -> ImageData:
    """MNIST from idx files in ``root`` (or ``root/MNIST/raw``), plain or gzipped."""
    root, train = _root(root), check_bool(train, "train")
    prefix = "train" if train else "t10k"
    names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
    for folder in (root, root / "MNIST" / "raw", root / "mnist"):
        found = []
        for name in names:
            for candidate in (folder / name, folder / f"{name}.gz"):
                if candidate.exists():
                    found.append(candidate)
                    break
        if len(found) == 2:
            images = torch.from_numpy(read_idx(found[0]).copy()).unsqueeze(1)
            labels = torch.from_numpy(read_idx(found[1]).astype(np.int64))
            return ImageData(images, labels, 10, "mnist")
    _require([root / n for n in names], "MNIST (plain or .gz)", root)
    raise AssertionError("unreachable")  # pragma: no cover


DATASETS = {"cifar10": load_cifar10, "cifar100": load_cifar100, "svhn": load_svhn,
            "mnist": load_mnist}


def load_image_dataset(name: str, root: str | Path, train: bool = True) -> ImageData:
    """One of :data:`DATASETS` by name."""
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"name (the dataset) must be one of {sorted(DATASETS)}, got {name!r}")
    return DATASETS[name](root, train)
