"""The readers on small files written here in the real formats; the offline data sets."""

from __future__ import annotations

import gzip
import pickle
import struct

import numpy as np
import pytest
import torch
from scipy.io import savemat

from tensorcnn.training import (
    ImageData,
    load_cifar10,
    load_cifar100,
    load_digits,
    load_image_dataset,
    load_mnist,
    load_svhn,
    read_idx,
    synthetic_images,
    train_test_split,
)


def cifar_rows(rng, n):
    """n images as CIFAR stores them, and the same images as (n, 3, 32, 32)."""
    images = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
    rows = np.concatenate([images[:, c].reshape(n, 1024) for c in range(3)], axis=1)
    return rows, images


def write_pickle(path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def test_cifar10_reads_the_pickled_batches(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    write_pickle(folder / "batches.meta", {b"label_names": [b"x"] * 10})
    expected, labels = [], []
    for i in range(1, 6):
        rows, images = cifar_rows(rng, 3)
        lab = rng.integers(0, 10, 3).tolist()
        write_pickle(folder / f"data_batch_{i}", {b"data": rows, b"labels": lab})
        expected.append(images)
        labels += lab
    rows, test_images = cifar_rows(rng, 2)
    write_pickle(folder / "test_batch", {b"data": rows, b"labels": [7, 1]})

    train = load_cifar10(tmp_path)
    assert train.images.dtype == torch.uint8 and train.images.shape == (15, 3, 32, 32)
    assert np.array_equal(train.images.numpy(), np.concatenate(expected))
    assert train.labels.tolist() == labels and train.num_classes == 10
    test = load_cifar10(folder, train=False)  # the folder itself works too
    assert np.array_equal(test.images.numpy(), test_images)
    assert test.labels.tolist() == [7, 1]
    assert load_image_dataset("cifar10", tmp_path, train=False).labels.tolist() == [7, 1]


def test_cifar100_reads_fine_labels(tmp_path):
    rng = np.random.default_rng(1)
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    write_pickle(folder / "meta", {b"fine_label_names": []})
    rows, images = cifar_rows(rng, 4)
    write_pickle(folder / "train", {b"data": rows, b"fine_labels": [0, 99, 5, 42],
                                    b"coarse_labels": [0, 1, 2, 3]})
    data = load_cifar100(tmp_path)
    assert np.array_equal(data.images.numpy(), images)
    assert data.labels.tolist() == [0, 99, 5, 42] and data.num_classes == 100


def test_svhn_reads_mat_files_and_maps_label_10_to_0(tmp_path):
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, size=(5, 3, 32, 32), dtype=np.uint8)
    savemat(tmp_path / "test_32x32.mat",
            {"X": images.transpose(2, 3, 1, 0), "y": np.array([[10], [1], [2], [9], [10]])})
    data = load_svhn(tmp_path, train=False)
    assert np.array_equal(data.images.numpy(), images)
    assert data.labels.tolist() == [0, 1, 2, 9, 0]


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">i", s)
                                                        for s in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx_files(tmp_path, gz):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5, 9], dtype=np.uint8)
    for name, array in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)):
        raw = idx_bytes(array)
        if gz:
            with gzip.open(tmp_path / f"{name}.gz", "wb") as f:
                f.write(raw)
        else:
            (tmp_path / name).write_bytes(raw)
    data = load_mnist(tmp_path)
    assert data.images.shape == (6, 1, 28, 28)
    assert np.array_equal(data.images[:, 0].numpy(), images)
    assert data.labels.tolist() == labels.tolist()


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01" + struct.pack(">i", 2) + b"ab")
    with pytest.raises(ValueError, match="magic"):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">i", 5) + b"ab")
    with pytest.raises(ValueError, match="holds 2"):
        read_idx(tmp_path / "short")


@pytest.mark.parametrize("loader,expected", [
    (load_cifar10, "data_batch_1"), (load_cifar100, "train"), (load_svhn, "train_32x32.mat"),
    (load_mnist, "train-images-idx3-ubyte")])
def test_missing_files_name_what_is_expected(tmp_path, loader, expected):
    with pytest.raises(FileNotFoundError, match=expected):
        loader(tmp_path)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="dataset"):
        load_image_dataset("imagenet", ".")


def test_digits_are_upsampled_and_split_per_class():
    train, test = load_digits(image_size=20, in_channels=2, rng=5)
    assert train.images.shape[1:] == (2, 20, 20) and len(train) + len(test) == 1797
    assert torch.equal(train.images[:, 0], train.images[:, 1])
    assert float(train.images.min()) >= 0 and float(train.images.max()) <= 1
    for c in range(10):
        n_test = int((test.labels == c).sum())
        n_all = n_test + int((train.labels == c).sum())
        assert n_test == round(0.25 * n_all)
    again, _ = load_digits(image_size=20, in_channels=2, rng=5)
    assert torch.equal(again.images, train.images)
    native, _ = load_digits(image_size=8, rng=5)
    from sklearn.datasets import load_digits as sk
    raw = sk().images / 16.0
    # At the native size the images are sklearn's own (a subset, in some order).
    first = native.images[0, 0].double().numpy()
    assert np.any(np.all(np.isclose(raw, first, atol=1e-7), axis=(1, 2)))


def test_train_test_split_is_a_partition():
    data = ImageData(torch.arange(40.0).reshape(40, 1, 1, 1), torch.arange(40) % 4, 4)
    train, test = train_test_split(data, 0.3, rng=0)
    values = sorted(train.images.flatten().tolist() + test.images.flatten().tolist())
    assert values == list(range(40)) and len(test) == 12


def test_synthetic_images_follow_the_stated_model():
    a = synthetic_images(50, image_size=12, in_channels=2, num_classes=3, noise=0.0, shift=0,
                         rng=1)
    b = synthetic_images(50, image_size=12, in_channels=2, num_classes=3, noise=0.0, shift=0,
                         rng=2)
    assert a.images.shape == (50, 2, 12, 12) and a.num_classes == 3
    # Without noise or shift an image is its class template, shared across draws.
    for c in range(3):
        imgs = torch.cat([a.images[a.labels == c], b.images[b.labels == c]])
        assert torch.allclose(imgs, imgs[:1].expand_as(imgs))
    noisy = synthetic_images(50, image_size=12, num_classes=3, rng=1)
    assert torch.equal(noisy.images, synthetic_images(50, image_size=12, num_classes=3,
                                                      rng=1).images)
    with pytest.raises(ValueError):
        synthetic_images(0)
