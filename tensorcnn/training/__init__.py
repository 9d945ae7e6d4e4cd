"""The shared training harness: data, augmentation, schedules, loop, checkpoints, DDP.

Library code only: functions return records and the caller writes them
(:func:`write_records`); nothing prints except tqdm progress bars.
"""

from .augment import Compose, Normalize, RandomCrop, RandomHorizontalFlip, standard_augmentation
from .callbacks import nonzeros_per_layer, splitlbi_metrics, splitlbi_path, weight_nonzeros
from .checkpoint import (
                      CheckpointError,
                      CheckpointMismatchError,
                      config_diff,
                      format_diff,
                      load_checkpoint,
                      load_states,
                      rng_states,
                      save_checkpoint,
                      set_rng_states,
)
from .datasets import (
                      DATASETS,
                      ImageData,
                      load_cifar10,
                      load_cifar100,
                      load_image_dataset,
                      load_mnist,
                      load_svhn,
                      read_idx,
)
from .distributed import (
                      DistInfo,
                      all_reduce_sum,
                      barrier,
                      dist_info,
                      init_distributed,
                      unwrap,
                      wrap_ddp,
)
from .loader import BatchLoader, epoch_generator
from .loop import evaluate, fit, harness_settings, train_epoch
from .offline import load_digits, synthetic_images, train_test_split
from .path import load_path, path_arrays, plot_path, save_path
from .records import long_format, write_records
from .schedules import SCHEDULES, make_scheduler

__all__ = [
    "Compose", "Normalize", "RandomCrop", "RandomHorizontalFlip", "standard_augmentation",
    "nonzeros_per_layer", "splitlbi_metrics", "splitlbi_path", "weight_nonzeros",
    "CheckpointError", "CheckpointMismatchError", "config_diff", "format_diff",
    "load_checkpoint", "load_states", "rng_states", "save_checkpoint", "set_rng_states",
    "DATASETS", "ImageData", "load_cifar10", "load_cifar100", "load_image_dataset",
    "load_mnist", "load_svhn", "read_idx",
    "DistInfo", "all_reduce_sum", "barrier", "dist_info", "init_distributed", "unwrap",
    "wrap_ddp", "BatchLoader", "epoch_generator", "evaluate", "fit", "harness_settings",
    "train_epoch", "load_path", "path_arrays", "plot_path", "save_path",
    "load_digits", "synthetic_images", "train_test_split", "long_format", "write_records",
    "SCHEDULES", "make_scheduler",
]
