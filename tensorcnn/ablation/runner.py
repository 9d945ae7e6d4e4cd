"""The K/R ablation runner on the shared training harness (003 §4.2, App. A.5.2).

For every t and seed: build the network, train it with SGD and the step schedule through
:func:`tensorcnn.training.fit`, keep the per-epoch records. :func:`worst_seed_table` turns
the records into the paper's table: per t the *worst* seed's final test accuracy (003:
"we set seeds 1-5 and report the worst case scenario"), with the #FLOPs and #Params
columns of the network at the run's image size. Nothing is written here (see :mod:`.io`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._validation import check_bool, check_int, check_nonnegative, check_path
from ..training import (
    BatchLoader,
    Compose,
    ImageData,
    Normalize,
    fit,
    load_digits,
    load_image_dataset,
    make_scheduler,
    standard_augmentation,
    synthetic_images,
)
from .config import AblationConfig

__all__ = ["AblationResult", "checkpoint_name", "config_dict", "load_data", "run_ablation",
           "run_identity", "worst_seed_table"]


@dataclass
class AblationResult:
    """Records of every (t, seed, epoch) and the worst-seed table."""

    config: AblationConfig
    records: list[dict[str, Any]]
    table: list[dict[str, Any]]
    seconds: float

    def __post_init__(self) -> None:
        _check_config(self.config)
        for name in ("records", "table"):
            _check_dicts(getattr(self, name), name)
        self.seconds = check_nonnegative(self.seconds, "seconds")


def _check_config(config: Any) -> None:
    if not isinstance(config, AblationConfig):
        raise TypeError(f"config must be an AblationConfig, got {type(config).__name__}")


def _check_dicts(rows: Any, name: str, keys: Sequence[str] = ()) -> None:
    """``rows`` is a list / tuple of dicts, each holding ``keys``; the message names it."""
    if not isinstance(rows, list | tuple):
        raise TypeError(f"{name} must be a list of dicts, got {type(rows).__name__}")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"{name} must hold dicts, got {type(row).__name__} at position {i}")
        missing = [k for k in keys if k not in row]
        if missing:
            raise ValueError(f"{name}[{i}] lacks the keys {missing} (expected {list(keys)})")


def _subset(data: ImageData, n: int | None) -> ImageData:
    if n is None or n >= len(data):
        return data
    return ImageData(data.images[:n], data.labels[:n], data.num_classes, data.name)


def load_data(config: AblationConfig) -> tuple[ImageData, ImageData]:
    """(train, test) images of the configuration's data set, (N, 3, S, S)."""
    _check_config(config)
    if config.dataset in ("cifar10", "svhn"):
        if not config.data_root:
            raise ValueError(f"data_root is needed for dataset {config.dataset!r}")
        train = load_image_dataset(config.dataset, config.data_root, train=True)
        test = load_image_dataset(config.dataset, config.data_root, train=False)
    elif config.dataset == "digits":
        train, test = load_digits(config.image_size, in_channels=3, rng=0)
    else:
        train = synthetic_images(2000, config.image_size, 3, num_classes=10, rng=0)
        test = synthetic_images(500, config.image_size, 3, num_classes=10, rng=1)
    return _subset(train, config.max_train), _subset(test, config.max_test)


def _build(config: AblationConfig, t: int, num_classes: int) -> torch.nn.Module:
    from ..nets.kr_resnet import kr_resnet41
    from ..nets.kr_resnet3d import kr_resnet3d18
    from ..nets.kr_resnext import kr_resnext
    from ..nets.kr_shufflenet import kr_shufflenet

    builders = {"kr_resnet41": kr_resnet41, "kr_resnext": kr_resnext,
                "kr_shufflenet": kr_shufflenet, "kr_resnet3d18": kr_resnet3d18}
    return builders[config.network](t, num_classes, **config.design)


#: Hara et al.'s Kinetics mean (RGB, 0–255 scale); their models take x·255 − mean.
KINETICS_MEAN = (114.7748, 107.7354, 99.4750)


def _kinetics_input(x: torch.Tensor, generator=None) -> torch.Tensor:
    mean = torch.tensor(KINETICS_MEAN, dtype=x.dtype, device=x.device).view(1, 3, 1, 1, 1)
    return x * 255 - mean


class _Transformed:
    """A loader whose batches pass through ``transform(x)`` (set_epoch forwarded)."""

    def __init__(self, loader, transform) -> None:
        self.loader, self.transform = loader, transform

    def set_epoch(self, epoch: int) -> None:
        self.loader.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        for x, y in self.loader:
            yield self.transform(x), y


def _video_task(config: AblationConfig):
    """(num_classes, make_loaders(seed)) for UCF101 clips from frame folders."""
    from ..training.video import ClipLoader, VideoClips

    if not config.data_root:
        raise ValueError("data_root (the frame folders) is needed for dataset 'ucf101'")
    common = dict(clip_length=config.clip_length, size=config.image_size)
    train = VideoClips(config.data_root, train=True, split_file=config.train_split, **common)
    test = VideoClips(config.data_root, train=False, split_file=config.test_split,
                      classes=train.classes, **common)

    def loaders(seed: int):
        return (_Transformed(ClipLoader(train, config.batch_size, True, seed, config.device),
                             _kinetics_input),
                _Transformed(ClipLoader(test, config.batch_size, False, seed, config.device),
                             _kinetics_input))
    return train.num_classes, loaders


def _image_task(config: AblationConfig):
    """(num_classes, make_loaders(seed)) for the image data sets."""
    train, test = load_data(config)
    mean, std = train.channel_stats()
    normalize = Normalize(mean, std.clamp_min(1e-6))
    augment = standard_augmentation(config.dataset) if config.augment else Compose([])

    def loaders(seed: int):
        return (BatchLoader(train, config.batch_size, shuffle=True,
                            transform=Compose([augment, normalize]), seed=seed,
                            device=config.device),
                BatchLoader(test, config.batch_size, shuffle=False, transform=normalize,
                            device=config.device))
    return train.num_classes, loaders


def _seed_everything(seed: int) -> None:
    # The weights draw from torch's global generator; data order and augmentation are
    # seeded by the BatchLoader (seed, epoch).
    torch.manual_seed(seed)


#: Fields that do not change what one (t, seed) run computes: which runs an ablation holds,
#: where it runs, and ``epochs`` (a longer run extends a shorter one: ``fit`` rebuilds the
#: schedule and says so).
_NOT_IDENTITY = ("t_values", "seeds", "threads", "device", "epochs")


def run_identity(config: AblationConfig, t: int, seed: int) -> dict[str, Any]:
    """Everything that defines one (t, seed) run of ``config``: the key of its checkpoint.

    A checkpoint written under another identity (other data, lr, schedule, design, …) is
    never taken for this run: its file name carries a hash of the identity, and ``fit``
    refuses a checkpoint whose recorded identity differs, naming the keys.
    """
    _check_run(config, t, seed)
    identity = {k: v for k, v in asdict(config).items() if k not in _NOT_IDENTITY}
    return {**identity, "t": int(t), "seed": int(seed)}


def _check_run(config: AblationConfig, t: int, seed: int) -> None:
    if not isinstance(config, AblationConfig):
        raise TypeError(f"config must be an AblationConfig, got {config!r}")
    check_int(t, "t")
    check_int(seed, "seed", minimum=0)


def checkpoint_name(config: AblationConfig, t: int, seed: int) -> str:
    """``{network}_t{t}_seed{seed}_{hash of the run's identity}.pt``."""
    _check_run(config, t, seed)
    import hashlib
    import json

    digest = hashlib.sha256(json.dumps(run_identity(config, t, seed), sort_keys=True,
                                       default=str).encode()).hexdigest()[:12]
    return f"{config.network}_t{t}_seed{seed}_{digest}.pt"


def run_ablation(config: AblationConfig, *, checkpoint_dir: str | Path | None = None,
                 progress: bool = False,
                 on_run: Callable[[int, int, list[dict]], None] | None = None
                 ) -> AblationResult:
    """Train ``config.network`` for every t in ``config.t_values`` and seed in ``config.seeds``.

    Parameters
    ----------
    config : AblationConfig
    checkpoint_dir : path, optional
        One resumable checkpoint per (t, seed) (the harness's ``fit``), keyed by the run's
        whole configuration (:func:`run_identity`); a killed run started again continues
        where it stopped, a run with another configuration starts afresh.
    progress : bool
        tqdm bars.
    on_run : callable, optional
        ``on_run(t, seed, records)`` after each (t, seed), e.g. to write partial results.

    Returns
    -------
    AblationResult
        ``records``: one dict per (t, seed, epoch) with the harness's fields (``epoch``,
        ``lr``, ``train_loss``, ``train_accuracy``, ``test_loss``, ``test_accuracy``,
        ``seconds``) plus ``t`` and ``seed``; ``table``: :func:`worst_seed_table`.
    """
    import time

    _check_config(config)
    if checkpoint_dir is not None:
        checkpoint_dir = check_path(checkpoint_dir, "checkpoint_dir")
        if checkpoint_dir.exists() and not checkpoint_dir.is_dir():
            raise ValueError(f"checkpoint_dir={str(checkpoint_dir)!r} is a file, not a folder")
    progress = check_bool(progress, "progress")
    if on_run is not None and not callable(on_run):
        raise TypeError(f"on_run must be a callable on_run(t, seed, records) or None, got "
                        f"{on_run!r}")
    tic = time.perf_counter()
    threads = torch.get_num_threads()
    if config.threads:
        torch.set_num_threads(config.threads)
    try:
        num_classes, make_loaders = (_video_task if config.dataset == "ucf101"
                                     else _image_task)(config)
        records: list[dict[str, Any]] = []
        for t in config.t_values:
            for seed in config.seeds:
                _seed_everything(seed)
                model = _build(config, t, num_classes)
                if config.pretrained:
                    from ..nets.kr_resnet3d import load_pretrained_backbone

                    load_pretrained_backbone(model, config.pretrained)
                model = model.to(config.device)
                optimizer = torch.optim.SGD(
                    [p for p in model.parameters() if p.requires_grad], lr=config.lr,
                    momentum=config.momentum, weight_decay=config.weight_decay)
                scheduler = make_scheduler("step", optimizer, config.epochs,
                                           step_size=config.lr_step, gamma=config.lr_gamma)
                train_loader, test_loader = make_loaders(seed)
                identity = run_identity(config, t, seed)
                path = (None if checkpoint_dir is None
                        else Path(checkpoint_dir) / checkpoint_name(config, t, seed))
                run = fit(model, optimizer, train_loader, epochs=config.epochs,
                          test_loader=test_loader, scheduler=scheduler, checkpoint_path=path,
                          progress=progress, config=identity)
                run = [{"t": t, "seed": seed, **r} for r in run]
                records.extend(run)
                if on_run is not None:
                    on_run(t, seed, run)
    finally:
        torch.set_num_threads(threads)
    return AblationResult(config, records, worst_seed_table(records, config, num_classes),
                          time.perf_counter() - tic)


def worst_seed_table(records: list[dict[str, Any]], config: AblationConfig,
                     num_classes: int = 10) -> list[dict[str, Any]]:
    """The paper's table: one row per t with the worst seed's final test accuracy (%).

    Returns
    -------
    list of dict
        ``t``, ``{dataset}`` (worst final test accuracy over the seeds, %), ``worst_seed``,
        ``mean``, ``best`` (%), ``n_seeds``, ``gmacs`` (#FLOPs, GMac, ptflops convention)
        and ``params_m`` (#Params, M) of the network at ``config.image_size`` with
        ``num_classes`` outputs (for the 3D network: its added blocks and FC layer).

    Raises
    ------
    TypeError, ValueError
        ``records`` not a list of dicts with ``t``, ``seed``, ``epoch`` and
        ``test_accuracy``, ``config`` not an AblationConfig, ``num_classes`` not a
        positive integer.
    """
    _check_dicts(records, "records", ("t", "seed", "epoch", "test_accuracy"))
    _check_config(config)
    num_classes = check_int(num_classes, "num_classes")
    last: dict[tuple[int, int], dict[str, Any]] = {}
    for record in records:
        key = (record["t"], record["seed"])
        if key not in last or record["epoch"] > last[key]["epoch"]:
            last[key] = record
    rows = []
    for t in sorted({t for t, _ in last}):
        finals = {seed: r["test_accuracy"] for (tt, seed), r in last.items() if tt == t}
        worst = min(finals, key=finals.get)
        with torch.device("meta"):  # counts only: no memory for the weights
            model = _build(config, t, num_classes)
            # 3D: what Table 2 counts, the added blocks + FC on the backbone's features.
            cost = (model.added_cost(_features_3d(config)) if config.dataset == "ucf101"
                    else model.cost(config.image_size))
        rows.append({"t": t, config.dataset: 100 * finals[worst], "worst_seed": worst,
                     "mean": 100 * float(np.mean(list(finals.values()))),
                     "best": 100 * max(finals.values()), "n_seeds": len(finals),
                     "gmacs": cost.macs / 1e9, "params_m": cost.params / 1e6})
    return rows


def _features_3d(config: AblationConfig) -> tuple[int, int, int]:
    """(T, H, W) at the end of the 3D ResNet-18 backbone for the configuration's clips."""
    t, s = config.clip_length, config.image_size
    s = (s + 2 * 3 - 7) // 2 + 1  # conv1: stride 1 in time, 2 in space
    t, s = (t - 1) // 2 + 1, (s - 1) // 2 + 1  # max pooling 3/2
    for _ in range(3):  # layer2-4: stride 2
        t, s = (t - 1) // 2 + 1, (s - 1) // 2 + 1
    return t, s, s


def config_dict(config: AblationConfig) -> dict[str, Any]:
    """The configuration as a JSON-ready dict."""
    _check_config(config)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}
