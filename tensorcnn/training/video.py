"""Video clips from pre-extracted frame folders (UCF101 as in Hara et al. 2018; 003 §4.2).

Accepted layout (Hara et al.'s ``video_jpg`` folders)::

    root/<class name>/<video name>/<frame files>

Frame files are ``.jpg``/``.jpeg``/``.png`` images (read with matplotlib; JPEG needs
Pillow) or ``.npy`` arrays of shape (H, W, 3) (uint8 in [0, 255] or float in [0, 1]);
frames are ordered by file name (``image_00001.jpg`` …). Classes are the sorted class
folder names (label = position), unless ``classes`` is given. A UCF101 split file
(``trainlist01.txt``: lines ``ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi [label]``)
selects the videos of a split.

A clip is ``clip_length`` (16 in 003) consecutive frames: a random start when training,
the middle of the video when testing; a video with fewer frames is looped (Hara et al.'s
loop padding). Each frame is cropped to a square (random position when training, centre
when testing; the same crop for the whole clip), resized to ``size`` × ``size`` (112) and
returned as float32 in [0, 1]: a clip is a (3, T, size, size) tensor.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from .._validation import check_bool, check_int, check_path, check_str_sequence
from .loader import epoch_generator

__all__ = ["ClipLoader", "FRAME_SUFFIXES", "VideoClips", "clip_indices", "read_frame"]

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".npy")


def read_frame(path: str | Path) -> torch.Tensor:
    """One frame as a float32 (3, H, W) tensor in [0, 1].

    Raises
    ------
    TypeError
        ``path`` is not a path.
    FileNotFoundError
        No file at ``path``.
    ValueError
        A suffix not in :data:`FRAME_SUFFIXES`, a ``.npy`` that is not one numeric
        (H, W[, 3 or 4]) array, non-finite pixels.
    """
    path = check_path(path, "path")
    if path.suffix.lower() not in FRAME_SUFFIXES:
        raise ValueError(f"path={str(path)!r}: a frame file must end in one of "
                         f"{FRAME_SUFFIXES}")
    if not path.is_file():
        raise FileNotFoundError(f"path={str(path)!r}: no such frame file")
    if path.suffix == ".npy":
        try:
            array = np.load(path)
        except (ValueError, OSError, EOFError) as err:
            raise ValueError(f"path={str(path)!r} is not a .npy frame ({err})") from None
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "uif":
            raise ValueError(f"path={str(path)!r}: a frame must be a numeric array, got "
                             f"{getattr(array, 'dtype', type(array).__name__)}")
    else:
        import matplotlib.image as mpimg

        array = mpimg.imread(path)
    array = np.asarray(array)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"path={str(path)!r}: a frame must be (H, W, 3), got shape "
                         f"{array.shape}")
    array = array[:, :, :3]
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"path={str(path)!r}: a frame must have finite pixels, got NaN or "
                         "infinite values")
    scale = 255.0 if array.dtype == np.uint8 else 1.0
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32) / scale).permute(2, 0, 1)


def clip_indices(n_frames: int, clip_length: int, start: int) -> list[int]:
    """Frame indices start, start + 1, … (``clip_length`` of them), looping over the video.

    ``n_frames`` and ``clip_length`` are positive integers, ``start`` a non-negative one.
    """
    n_frames = check_int(n_frames, "n_frames")
    clip_length = check_int(clip_length, "clip_length")
    start = check_int(start, "start", minimum=0)
    return [(start + i) % n_frames for i in range(clip_length)]


class VideoClips:
    """The videos under ``root`` and their clips.

    Parameters
    ----------
    root : path
        ``root/<class>/<video>/<frames>``.
    clip_length : int, default 16
    size : int, default 112
    train : bool
        Random temporal start and crop position (True) or centred (False).
    classes : sequence of str, optional
        Class names in label order (default: the sorted class folders).
    split_file : path, optional
        Keep only the videos listed (UCF101 split format).

    Raises
    ------
    FileNotFoundError
        If ``root`` has no video folder with frames (the message gives the layout).
    """

    def __init__(self, root: str | Path, clip_length: int = 16, size: int = 112,
                 train: bool = True, classes: Sequence[str] | None = None,
                 split_file: str | Path | None = None) -> None:
        root = check_path(root, "root")
        clip_length, size = check_int(clip_length, "clip_length"), check_int(size, "size")
        train = check_bool(train, "train")
        if classes is not None:
            check_str_sequence(classes, "classes",
                               "a sequence of class folder names (str) or None")
        if split_file is not None:
            split_file = check_path(split_file, "split_file")
            if not split_file.is_file():
                raise FileNotFoundError(f"split_file={str(split_file)!r}: no such file")
        if not root.is_dir():
            raise FileNotFoundError(f"root={str(root)!r} is not an existing folder: expected "
                                    "root/<class>/<video>/<frames>")
        self.root, self.clip_length, self.size, self.train = Path(root), clip_length, size, train
        folders = sorted(p for p in self.root.glob("*") if p.is_dir())
        self.classes = list(classes) if classes is not None else [p.name for p in folders]
        wanted = None
        if split_file is not None:
            lines = Path(split_file).read_text().split()
            wanted = {Path(line).with_suffix("").as_posix() for line in lines
                      if "/" in line}
        self.videos: list[tuple[list[Path], int]] = []
        for label, name in enumerate(self.classes):
            for video in sorted(p for p in (self.root / name).glob("*") if p.is_dir()):
                if wanted is not None and f"{name}/{video.name}" not in wanted:
                    continue
                frames = sorted(f for f in video.iterdir() if f.suffix.lower() in FRAME_SUFFIXES)
                if frames:
                    self.videos.append((frames, label))
        if not self.videos:
            raise FileNotFoundError(
                f"no videos under root={str(self.root)!r}: expected "
                f"root/<class>/<video>/<frames> with "
                f"frames ending in {FRAME_SUFFIXES} (e.g. Hara et al.'s UCF101 video_jpg)")

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def __len__(self) -> int:
        return len(self.videos)

    def clip(self, index: int, generator: torch.Generator | None = None
             ) -> tuple[torch.Tensor, int]:
        """Clip ``index``: a (3, clip_length, size, size) float tensor and its label."""
        frames, label = self.videos[index]
        n = len(frames)
        if self.train:
            start = int(torch.randint(0, max(n - self.clip_length, 0) + 1, (1,),
                                      generator=generator))
        else:
            start = max((n - self.clip_length) // 2, 0)
        images = [read_frame(frames[i]) for i in clip_indices(n, self.clip_length, start)]
        clip = torch.stack(images, dim=1)  # (3, T, H, W)
        height, width = clip.shape[2:]
        side = min(height, width)
        if self.train:
            top = int(torch.randint(0, height - side + 1, (1,), generator=generator))
            left = int(torch.randint(0, width - side + 1, (1,), generator=generator))
        else:
            top, left = (height - side) // 2, (width - side) // 2
        clip = clip[:, :, top:top + side, left:left + side]
        if side != self.size:
            clip = F.interpolate(clip, size=(self.size, self.size), mode="bilinear",
                                 align_corners=False)
        return clip.contiguous(), label


class ClipLoader:
    """Batches (clips (B, 3, T, S, S), labels (B,)) for :func:`tensorcnn.training.fit`.

    Shuffling and the random clip/crop draws depend only on (``seed``, epoch): call
    :meth:`set_epoch` (``fit`` does), as :class:`~tensorcnn.training.BatchLoader`.
    """

    def __init__(self, clips: VideoClips, batch_size: int, shuffle: bool = True, seed: int = 0,
                 device: torch.device | str = "cpu") -> None:
        if not isinstance(clips, VideoClips):
            raise TypeError(f"clips must be a VideoClips, got {type(clips).__name__}")
        batch_size = check_int(batch_size, "batch_size")
        shuffle = check_bool(shuffle, "shuffle")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"seed must be an integer, got {seed!r}")
        if not isinstance(device, torch.device | str):
            raise TypeError(f"device must be a torch.device or a device string, got "
                            f"{device!r}")
        try:
            device = torch.device(device)
        except RuntimeError:
            raise ValueError(f"device must name a device (cpu, cuda, cuda:1 ...), got "
                             f"{device!r}") from None
        self.clips, self.batch_size, self.shuffle, self.seed = clips, batch_size, shuffle, seed
        self.device, self.epoch = torch.device(device), 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return -(-len(self.clips) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.clips)
        order = (torch.randperm(n, generator=epoch_generator(self.seed, self.epoch))
                 if self.shuffle else torch.arange(n))
        generator = epoch_generator(self.seed, self.epoch, stream=1)
        for b in range(len(self)):
            batch = [self.clips.clip(int(i), generator)
                     for i in order[b * self.batch_size:(b + 1) * self.batch_size]]
            x = torch.stack([clip for clip, _ in batch]).to(self.device)
            y = torch.tensor([label for _, label in batch], device=self.device)
            yield x, y
