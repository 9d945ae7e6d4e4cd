"""Data that needs no download: scikit-learn's digits, upsampled, and a synthetic image task."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from .._validation import as_generator, check_finite, check_int, check_nonnegative
from .datasets import ImageData

__all__ = ["load_digits", "synthetic_images", "train_test_split"]


def _check_fraction(test_fraction: float) -> float:
    test_fraction = check_finite(test_fraction, "test_fraction")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    return test_fraction


def train_test_split(data: ImageData, test_fraction: float = 0.25,
                     rng: np.random.Generator | int | None = 0) -> tuple[ImageData, ImageData]:
    """Split ``data`` at random, keeping each class's share (stratified).

    Each class c of n_c examples puts round(test_fraction · n_c) of them in the test set.

    Raises
    ------
    ValueError
        ``test_fraction`` outside (0, 1), or a split that leaves the test set or the
        training set empty (too few examples for this fraction).
    """
    if not isinstance(data, ImageData):
        raise TypeError(f"data must be an ImageData, got {type(data).__name__}")
    test_fraction = _check_fraction(test_fraction)
    rng = as_generator(rng)
    labels = data.labels.numpy()
    test = []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        test.extend(idx[: int(round(test_fraction * idx.size))].tolist())
    test_mask = np.zeros(labels.size, dtype=bool)
    test_mask[test] = True
    n_test = int(test_mask.sum())
    if n_test == 0 or n_test == labels.size:
        empty = "test" if n_test == 0 else "training"
        raise ValueError(f"train_test_split of {labels.size} examples with test_fraction="
                         f"{test_fraction} leaves the {empty} set empty (each class puts "
                         "round(test_fraction * its size) examples in the test set)")
    pick = [torch.from_numpy(np.flatnonzero(~test_mask)),
            torch.from_numpy(np.flatnonzero(test_mask))]
    return tuple(ImageData(data.images[i], data.labels[i], data.num_classes, data.name)
                 for i in pick)


def load_digits(image_size: int = 32, in_channels: int = 1, test_fraction: float = 0.25,
                rng: np.random.Generator | int | None = 0) -> tuple[ImageData, ImageData]:
    """scikit-learn's 8×8 handwritten digits (1797 images, 10 classes), upsampled.

    The grey levels 0..16 are scaled to [0, 1], resized to ``image_size`` × ``image_size``
    by bilinear interpolation and repeated over ``in_channels``; then split into train and
    test sets at random per class.

    Returns
    -------
    (train, test) : ImageData
        float32 images of shape (N, in_channels, image_size, image_size).
    """
    from sklearn.datasets import load_digits as sk_digits

    image_size = check_int(image_size, "image_size", minimum=8)
    in_channels = check_int(in_channels, "in_channels")
    test_fraction = _check_fraction(test_fraction)
    rng = as_generator(rng)
    digits = sk_digits()
    x = torch.from_numpy(digits.images.astype(np.float32) / 16.0).unsqueeze(1)
    if image_size != 8:
        x = F.interpolate(x, size=(image_size, image_size), mode="bilinear",
                          align_corners=False).clamp_(0, 1)
    x = x.repeat(1, in_channels, 1, 1)
    data = ImageData(x, torch.from_numpy(digits.target.astype(np.int64)), 10, "digits")
    return train_test_split(data, test_fraction, rng)


def synthetic_images(n: int, image_size: int = 16, in_channels: int = 1, num_classes: int = 4,
                     blobs: int = 3, shift: int = 2, noise: float = 0.3,
                     rng: np.random.Generator | int | None = 0,
                     templates_seed: int = 12345) -> ImageData:
    r"""A synthetic image classification task with local structure.

    Class c has a template T_c = Σ_{b < blobs} a_{cb} exp(−‖u − μ_{cb}‖² / (2 s²)) per
    channel (s = image_size / 8, centres μ_{cb} uniform on the image, amplitudes a_{cb} in
    {−1, +1}); an example of class c (uniform over classes) is T_c translated by an offset
    uniform in {−shift..shift}² (cyclically) plus iid N(0, noise²) pixels:

    .. math:: X = \mathrm{roll}(T_c, \delta) + \varepsilon, \quad
              \delta \sim U\{-s..s\}^2,\ \varepsilon_{ij} \sim N(0, \sigma^2).

    The templates depend only on ``templates_seed`` (shared by a train and a test set);
    ``rng`` draws the examples.

    Returns
    -------
    ImageData
        float32 images of shape (n, in_channels, image_size, image_size), labels (n,).
    """
    n, image_size = check_int(n, "n"), check_int(image_size, "image_size", minimum=2)
    in_channels = check_int(in_channels, "in_channels")
    num_classes = check_int(num_classes, "num_classes", minimum=2)
    blobs, shift = check_int(blobs, "blobs"), check_int(shift, "shift", minimum=0)
    noise = check_nonnegative(noise, "noise")
    templates_seed = check_int(templates_seed, "templates_seed", minimum=0)
    rng = as_generator(rng)
    t_rng = np.random.default_rng(templates_seed)
    grid = np.arange(image_size)
    uu, vv = np.meshgrid(grid, grid, indexing="ij")
    width = image_size / 8
    templates = np.zeros((num_classes, in_channels, image_size, image_size))
    for c in range(num_classes):
        for ch in range(in_channels):
            for _ in range(blobs):
                mu = t_rng.uniform(0, image_size, size=2)
                sign = t_rng.choice([-1.0, 1.0])
                templates[c, ch] += sign * np.exp(
                    -((uu - mu[0]) ** 2 + (vv - mu[1]) ** 2) / (2 * width ** 2))
    labels = rng.integers(0, num_classes, size=n)
    offsets = rng.integers(-shift, shift + 1, size=(n, 2))
    images = np.empty((n, in_channels, image_size, image_size))
    for i in range(n):
        images[i] = np.roll(templates[labels[i]], tuple(offsets[i]), axis=(1, 2))
    images += noise * rng.standard_normal(images.shape)
    return ImageData(torch.from_numpy(images.astype(np.float32)),
                     torch.from_numpy(labels.astype(np.int64)), num_classes, "synthetic")
