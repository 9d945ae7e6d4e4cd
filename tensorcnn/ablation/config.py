"""Configurations of the K/R ablation runs: the paper's (003 §4.2, App. A.5.2) and a CPU
smoke configuration on offline data."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .._validation import check_bool, check_finite, check_int, check_nonnegative, check_positive

__all__ = ["AblationConfig", "CONFIGS", "get_config"]

NETWORKS = ("kr_resnet41", "kr_resnext", "kr_shufflenet", "kr_resnet3d18")
DATASETS = ("cifar10", "svhn", "digits", "synthetic", "ucf101")


@dataclass(frozen=True)
class AblationConfig:
    """One ablation: a network trained for every t and seed on one data set.

    Attributes
    ----------
    network : {"kr_resnet41", "kr_resnext", "kr_shufflenet", "kr_resnet3d18"}
        ``kr_resnet3d18`` goes with ``ucf101``, the image networks with the image sets.
    dataset : {"cifar10", "svhn", "digits", "synthetic", "ucf101"}
        cifar10/svhn are read from ``data_root`` (nothing is downloaded); digits
        (scikit-learn, upsampled to ``image_size``, 3 channels) and synthetic need no files;
        ucf101: frame folders under ``data_root`` (:mod:`tensorcnn.training.video`) with the
        videos of ``train_split`` / ``test_split`` (UCF101 split files; all videos when
        None), clips of ``clip_length`` frames.
    t_values, seeds : tuples of ints
        003: t ∈ {1, 4, 8, 16} (Table 2) or {1, 2, 4} (Table 3), seeds 1–5.
    epochs, batch_size, lr, momentum, weight_decay, lr_step, lr_gamma :
        003: 300 epochs (350 for Table 3), batch 128, SGD lr 0.1 ÷10 every 100 epochs,
        momentum 0.9, weight decay 1e-4.
    image_size : int
        Side of the (square) images or frames fed to the network (32 for CIFAR-10/SVHN,
        112 for UCF101).
    pretrained : str or None
        3D network: the Kinetics checkpoint loaded into its backbone
        (:func:`~tensorcnn.nets.kr_resnet3d.load_pretrained_backbone`).
    augment : bool
        The harness's standard augmentation for the data set (crop + flip for CIFAR-10,
        crop for SVHN; none for digits/synthetic).
    max_train, max_test : int or None
        Use only the first examples (smoke runs).
    threads : int or None
        ``torch.set_num_threads`` for the run (None: leave torch's default).
    design : dict
        Overrides of the network's design dataclass (e.g. ``ResNeXtDesign``); empty: the
        defaults, which reproduce the paper's #Params/#FLOPs (``docs/ablation.md``).
        ``kr_resnext`` with ``design=dict(tensorcnn.nets.kr_resnext.SHUFFLE_WIDTHS)``
        builds 003's literal "R = 24, 58, 116, 232" reading instead.
    """

    network: str = "kr_resnet41"
    dataset: str = "cifar10"
    data_root: str | None = None
    t_values: tuple[int, ...] = (1, 4, 8, 16)
    seeds: tuple[int, ...] = (1, 2, 3, 4, 5)
    epochs: int = 300
    batch_size: int = 128
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    lr_step: int = 100
    lr_gamma: float = 0.1
    image_size: int = 32
    augment: bool = True
    max_train: int | None = None
    max_test: int | None = None
    device: str = "cpu"
    threads: int | None = None
    design: dict = field(default_factory=dict)
    clip_length: int = 16
    train_split: str | None = None
    test_split: str | None = None
    pretrained: str | None = None

    def __post_init__(self) -> None:
        if self.network not in NETWORKS:
            raise ValueError(f"network must be one of {NETWORKS}, got {self.network!r}")
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {DATASETS}, got {self.dataset!r}")
        for name in ("data_root", "train_split", "test_split", "pretrained"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str | os.PathLike):
                raise TypeError(f"{name} must be a path (str or os.PathLike) or None, "
                                f"got {value!r}")
        for name, minimum in (("t_values", 1), ("seeds", 0)):
            value = getattr(self, name)
            if isinstance(value, str | bytes) or not isinstance(value, Sequence):
                raise TypeError(f"{name} must be a tuple of integers, got {value!r}")
            for item in value:
                check_int(item, name, minimum=minimum)
        for name in ("epochs", "batch_size", "lr_step", "image_size", "clip_length"):
            check_int(getattr(self, name), name)
        for name in ("max_train", "max_test", "threads"):
            if getattr(self, name) is not None:
                check_int(getattr(self, name), name)
        check_positive(self.lr, "lr")
        check_nonnegative(self.weight_decay, "weight_decay")
        check_positive(self.lr_gamma, "lr_gamma")
        if not 0 <= check_finite(self.momentum, "momentum") < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        check_bool(self.augment, "augment")
        if not isinstance(self.device, str):
            raise TypeError(f"device must be a string (cpu, cuda, cuda:1 ...), "
                            f"got {self.device!r}")
        if not isinstance(self.design, dict):
            raise TypeError(f"design must be a dict of design overrides, got {self.design!r}")
        if (self.network == "kr_resnet3d18") != (self.dataset == "ucf101"):
            raise ValueError("network kr_resnet3d18 goes with dataset ucf101 and only with it, "
                             f"got network {self.network!r}, dataset {self.dataset!r}")
        if not self.t_values or not self.seeds:
            raise ValueError("t_values and seeds must not be empty")


CONFIGS: dict[str, AblationConfig] = {
    # 003 §4.2 (Table 2): the 41-layer ResNet on CIFAR-10 (SVHN: --dataset svhn).
    "paper": AblationConfig(),
    # 003 App. A.5.2 (Table 3): ResNeXt / ShuffleNet v2 on SVHN, 350 epochs. ResNeXt: the
    # 41-layer skeleton with 32-group 3×3 convs, R = 64, 128, 256 (kr_resnext's default,
    # 1.46M / 2.13M / 4.44M for t = 1, 2, 4); ShuffleNet: --network kr_shufflenet.
    "paper-table3": AblationConfig(network="kr_resnext", dataset="svhn", t_values=(1, 2, 4),
                                   epochs=350),
    # 003 §4.2 (Table 2, UCF101): Kinetics-pretrained 3D ResNet-18 + 4 Blocks B, frozen
    # backbone; SGD wd 1e-5, momentum 0.9, batch 64, lr 0.001 ÷10 every 30 epochs, 80 epochs.
    "paper-ucf101": AblationConfig(network="kr_resnet3d18", dataset="ucf101", epochs=80,
                                   batch_size=64, lr=0.001, weight_decay=1e-5, lr_step=30,
                                   image_size=112, augment=False),
    # Minutes on a CPU: digits upsampled to 16×16, two t, two seeds, four epochs. lr 0.005
    # and batch 64: at lr 0.1 (and still at 0.02 for t = 4) the 41-layer net blows up in its
    # first steps on this small set.
    "smoke": AblationConfig(dataset="digits", t_values=(1, 4), seeds=(1, 2), epochs=4,
                            batch_size=64, lr=0.005, lr_step=2, image_size=16, augment=False,
                            threads=1),
}


def get_config(name: str, **overrides) -> AblationConfig:
    """The configuration ``name`` (a key of :data:`CONFIGS`) with ``overrides`` applied."""
    if name not in CONFIGS:
        raise ValueError(f"name (the config) must be one of {sorted(CONFIGS)}, got {name!r}")
    return replace(CONFIGS[name], **{k: v for k, v in overrides.items() if v is not None})
