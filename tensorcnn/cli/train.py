"""``tensorcnn train``: train a model with SGD, SplitLBI or β-lasso; records to CSV/JSON.

Multi-GPU / multi-node: launch with torchrun, e.g.
``torchrun --nproc_per_node=4 -m tensorcnn.cli train ...``; the batch size is per process.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from pathlib import Path
from typing import Any, NoReturn

from ._flags import SEED_HELP, add_deprecated, add_quiet, deprecation_note


def _number(kind: str):
    """An argparse ``type``: a finite float that is "any", ">=0", ">0" or "[0,1)"."""
    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        if kind == ">=0" and value < 0:
            raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
        if kind == ">0" and value <= 0:
            raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
        if kind == "[0,1)" and not 0 <= value < 1:
            raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
        return value

    return convert


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


class _Milestones(argparse.Action):
    """``--milestones``: integers >= 1 in strictly increasing order."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        for a, b in zip(values, values[1:], strict=False):
            if b <= a:
                parser.error(f"argument {option_string}: milestones must be strictly "
                             f"increasing, got {' '.join(map(str, values))}")
        setattr(namespace, self.dest, list(values))


def _one_line_error(message: str) -> NoReturn:
    """The sub-parser's ``error``: one line on stderr (no usage block), exit code 2."""
    _fail(message)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model with SGD, SplitLBI or beta-lasso and write per-epoch records",
        description="Train a CIFAR ResNet or a 001 family on a data set (files read from "
        "--data-root; digits and synthetic need none) with SGD, SplitLBI (004) or "
        "beta-lasso (001 Alg. 1). Checkpoints every epoch and resumes from --checkpoint. "
        "Writes the per-epoch records to --out DIR (DIR/records.csv) and/or --json FILE. "
        "A checkpoint records the "
        "run's configuration and a SHA-256 checksum: a corrupt file, or a rerun with any "
        "other setting that changes the result (seed, lr, schedule, data, ...), is refused "
        "with the differing keys named; more --epochs needs --extend, fewer is refused. "
        "--out, --json and --checkpoint are checked before training. With --optimizer "
        "splitlbi the "
        "regularisation path (entry epoch and step of every weight and group, the group "
        "norms of Gamma per epoch) is kept in the checkpoint, written to --path (.npz; "
        "default DIR/path.npz) and plotted next to it (.png); the records carry the "
        "residual ||W - Gamma||^2/(2 nu). Errors (bad values included): one line on stderr, "
        "exit code 2.",
    )
    parser.error = _one_line_error  # one line, as the command's own errors
    from ..training.builders import DATA, MODELS, OPTIMIZERS
    from ..training.schedules import SCHEDULES

    parser.add_argument("--model", choices=MODELS, default="resnet20")
    parser.add_argument("--alpha", type=int, default=16, help="base channels of a 001 family")
    parser.add_argument("--dataset", choices=DATA, default="digits")
    parser.add_argument("--data-root", type=Path, default=None, metavar="DIR",
                        help="folder of the data set's files (digits and synthetic need none)")
    parser.add_argument("--image-size", type=int, default=32,
                        help="side of digits/synthetic images (files keep their own)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd")
    parser.add_argument("--lr", type=_number(">=0"), default=0.1,
                        help="learning rate (alpha, eta), finite and >= 0")
    parser.add_argument("--momentum", type=_number("[0,1)"), default=0.0,
                        help="momentum in [0, 1)")
    parser.add_argument("--weight-decay", type=_number(">=0"), default=0.0,
                        help="weight decay >= 0 (SplitLBI: weights of 2+ axes only, not "
                        "biases or BatchNorm)")
    parser.add_argument("--nesterov", action="store_true")
    parser.add_argument("--kappa", type=_number(">0"), default=1.0, help="SplitLBI kappa")
    parser.add_argument("--nu", type=_number(">0"), default=10.0, help="SplitLBI nu")
    parser.add_argument("--lam", type=_number(">=0"), default=None,
                        help="lambda (default 1 for SplitLBI, 1e-5 for beta-lasso)")
    parser.add_argument("--first-layer-lam", type=_number(">=0"), default=None,
                        help="beta-lasso lambda of the first weight")
    parser.add_argument("--beta", type=_number(">=0"), default=50.0, help="beta-lasso beta")
    parser.add_argument("--conv-penalty", choices=("group", "lasso", "none"), default="group")
    parser.add_argument("--linear-penalty", choices=("group", "lasso", "none"),
                        default="lasso")
    parser.add_argument("--schedule", choices=SCHEDULES, default="cosine")
    parser.add_argument("--step-size", type=_positive_int, default=30)
    parser.add_argument("--milestones", type=_positive_int, nargs="*", default=[],
                        action=_Milestones,
                        help="multistep epochs, strictly increasing and < --epochs")
    parser.add_argument("--epochs", type=_positive_int, default=10)
    parser.add_argument("--batch-size", type=_positive_int, default=128,
                        help="minibatch size (per process)")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True,
                        help="the data set's standard augmentation (default on)")
    parser.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                        help="mixed precision (default: on CUDA only)")
    parser.add_argument("--seed", type=int, default=0, help=SEED_HELP.format(default=0))
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--checkpoint", type=Path, default=None, metavar="FILE",
                        help="checkpoint file: written after every epoch; if it exists, the "
                        "run resumes from it (only with the same configuration)")
    parser.add_argument("--extend", action="store_true",
                        help="allow --epochs larger than the checkpoint's: the run continues "
                        "from its last epoch with the schedule rebuilt for the new total "
                        "(cosine: annealed over the new --epochs, so the lr jumps up at the "
                        "resume epoch to the new curve's value there); the records of the "
                        "added epochs carry extended_from")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder: the per-epoch records go to DIR/records.csv")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE",
                        help="also write the per-epoch records as JSON to FILE (.json)")
    parser.add_argument("--path", type=Path, default=None, metavar="FILE",
                        help="SplitLBI: the regularisation path file (.npz; default: "
                        "DIR/path.npz with --out DIR, none without --out); its plot is "
                        "written with the suffix .png")
    add_quiet(parser)
    add_deprecated(parser, "--batch", "--batch-size", "batch_size", type=_positive_int)
    add_deprecated(parser, "--no-progress", "--quiet", "quiet", nargs=0, const=True)
    parser.set_defaults(func=run)


#: The records file in ``--out DIR``.
RECORDS_FILE = "records.csv"


def _output_files(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """The records files: ``(csv_or_old_file, json_file)``.

    ``--out DIR`` gives ``DIR/records.csv``. The old form ``--out FILE.csv|FILE.json`` (a
    path with that suffix that is not a folder) still writes that file, with a note.
    """
    from ..training.records import RECORD_SUFFIXES

    records = None
    if args.out is not None:
        if args.out.suffix in RECORD_SUFFIXES and not args.out.is_dir():
            deprecation_note("tensorcnn train", f"--out {args.out} (a records file)",
                             "--out DIR (writes DIR/records.csv) or --json FILE")
            records = args.out
        else:
            records = args.out / RECORDS_FILE
    return records, args.json


def _fail(message: str) -> NoReturn:
    """One line on stderr, exit code 2 (as argparse's usage errors)."""
    print(f"tensorcnn train: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _digest(*tensors) -> str:
    h = hashlib.sha256()
    for tensor in tensors:
        h.update(tensor.detach().cpu().contiguous().numpy())  # the buffer, no copy
    return h.hexdigest()[:16]


_OPTIMIZER_ARGS = {
    "sgd": ("lr", "momentum", "weight_decay", "nesterov"),
    "splitlbi": ("lr", "kappa", "nu", "lam", "momentum", "weight_decay", "nesterov",
                 "conv_penalty", "linear_penalty"),
    "beta-lasso": ("lr", "lam", "beta", "momentum", "nesterov", "first_layer_lam"),
}


def run_config(args: argparse.Namespace, train, test, *, lam: float, amp: bool,
               world_size: int) -> dict[str, Any]:
    """The settings of a ``tensorcnn train`` run that change its result (JSON-able).

    Every argument that the run depends on, with defaults resolved (``lam``, ``amp``) and
    those that the chosen model, data set, optimizer or schedule ignores left out; plus the
    data's sizes, shapes and a SHA-256 of its contents (so ``--data-root`` may move).
    Not included: ``--threads``, ``--checkpoint``, ``--out``, ``--json``, ``--path``,
    ``--quiet``, ``--extend``, ``--data-root``. (``--batch-size`` is recorded as ``batch``,
    the key of earlier versions, so that their checkpoints still resume.)
    """
    config: dict[str, Any] = {"model": args.model}
    if not args.model.startswith("resnet"):
        config["alpha"] = args.alpha
    config["dataset"] = args.dataset
    if args.dataset in ("digits", "synthetic"):
        config["image_size"] = args.image_size
    config.update(train_size=len(train), test_size=len(test),
                  image_shape=list(train.image_shape), num_classes=train.num_classes,
                  train_sha256=_digest(train.images, train.labels),
                  test_sha256=_digest(test.images, test.labels))
    config["optimizer"] = args.optimizer
    values = {**vars(args), "lam": lam}
    for name in _OPTIMIZER_ARGS[args.optimizer]:
        config[name] = values[name]
    config["schedule"] = args.schedule
    if args.schedule == "step":
        config["step_size"] = args.step_size
    if args.schedule == "multistep":
        config["milestones"] = list(args.milestones)
    config.update(epochs=args.epochs, batch=args.batch_size, world_size=world_size,
                  augment=args.augment, amp=amp, seed=args.seed)
    return config


def run(args: argparse.Namespace) -> int:
    import torch

    from ..training import (
        BatchLoader,
        Compose,
        Normalize,
        fit,
        init_distributed,
        make_scheduler,
        path_arrays,
        plot_path,
        save_path,
        splitlbi_metrics,
        splitlbi_path,
        standard_augmentation,
        weight_nonzeros,
        wrap_ddp,
        write_records,
    )
    from ..training.builders import build_model, build_optimizer, load_data
    from ..training.checkpoint import CheckpointError
    from ..training.records import RECORD_SUFFIXES, check_output_file

    records_file, json_file = _output_files(args)
    path_file = _path_file(args, records_file)

    if args.epochs < 1 or args.batch_size < 1:
        _fail(f"--epochs and --batch-size must be positive, got {args.epochs} and "
              f"{args.batch_size}")
    # The output paths are checked before any work, not after the last epoch.
    outputs = [(flag, path) for flag, path in (("--out", records_file), ("--json", json_file),
                                               ("--checkpoint", args.checkpoint))
               if path is not None]
    for i, (flag, path) in enumerate(outputs):
        for other, other_path in outputs[i + 1:]:
            if path.resolve() == other_path.resolve():
                _fail(f"{flag} and {other} are the same file: {path}")
    try:
        if records_file is not None:
            check_output_file(records_file, "--out", RECORD_SUFFIXES)
        if json_file is not None:
            check_output_file(json_file, "--json", (".json",))
        if args.checkpoint is not None:
            check_output_file(args.checkpoint, "--checkpoint")
        if path_file is not None:
            check_output_file(path_file, "--path", (".npz",))
    except ValueError as err:
        _fail(str(err))
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    info = init_distributed()
    torch.manual_seed(args.seed)
    try:
        train, test = load_data(args.dataset, args.data_root, args.image_size, args.seed)
    except (ValueError, FileNotFoundError) as err:
        _fail(str(err))
    channels, size, _ = train.image_shape
    model = build_model(args.model, train.num_classes, channels, size, args.alpha)
    model = model.to(info.device)
    lam = args.lam if args.lam is not None else (1e-5 if args.optimizer == "beta-lasso" else 1.0)
    penalty = {"none": None, "group": "group", "lasso": "lasso"}
    try:
        optimizer = build_optimizer(
            args.optimizer, model, lr=args.lr, momentum=args.momentum,
            weight_decay=args.weight_decay, nesterov=args.nesterov, kappa=args.kappa,
            nu=args.nu, lam=lam, conv_penalty=penalty[args.conv_penalty],
            linear_penalty=penalty[args.linear_penalty], beta=args.beta,
            first_layer_lam=args.first_layer_lam, track_path=args.optimizer == "splitlbi")
        scheduler = make_scheduler(args.schedule, optimizer, args.epochs,
                                   step_size=args.step_size, milestones=args.milestones)
    except ValueError as err:
        _fail(str(err))
    normalize = Normalize(*train.channel_stats())
    augment = standard_augmentation(args.dataset) if args.augment else Compose([])
    train_loader = BatchLoader(train, args.batch_size, seed=args.seed,
                               transform=Compose([augment, normalize]), rank=info.rank,
                               world_size=info.world_size, device=info.device)
    test_loader = BatchLoader(test, max(args.batch_size, 256), shuffle=False,
                              transform=normalize, rank=info.rank,
                              world_size=info.world_size, device=info.device)
    callbacks = [weight_nonzeros()]
    if args.optimizer == "splitlbi":
        callbacks += [splitlbi_path(), splitlbi_metrics(test_loader)]
    amp = info.device.type == "cuda" if args.amp is None else args.amp
    config = run_config(args, train, test, lam=lam, amp=amp, world_size=info.world_size)
    try:
        records = fit(wrap_ddp(model, info.device), optimizer, train_loader,
                      epochs=args.epochs, test_loader=test_loader, scheduler=scheduler,
                      amp=amp, checkpoint_path=args.checkpoint, callbacks=callbacks,
                      progress=not args.quiet, config=config, extend=args.extend)
    except CheckpointError as err:
        _fail(str(err))
    if info.is_main:
        last = records[-1]
        if "extended_from" in last:
            print(f"extended the run from {last['extended_from']} to {args.epochs} epochs "
                  f"({args.schedule} schedule rebuilt for {args.epochs} epochs)")
        print(f"{args.model} / {args.optimizer} on {args.dataset}: epoch {last['epoch'] + 1}"
              f" of {args.epochs}, train loss {last['train_loss']:.4f}, test accuracy "
              f"{100 * last['test_accuracy']:.2f}%")
        for target in (records_file, json_file):
            if target is not None:
                print(f"wrote {write_records(records, target)}")
        if path_file is not None:
            arrays = path_arrays(optimizer, model)
            print(f"wrote {save_path(arrays, path_file)} and "
                  f"{plot_path(arrays, path_file.with_suffix('.png'))}")
    return 0


def _path_file(args: argparse.Namespace, records_file: Path | None) -> Path | None:
    """Where the SplitLBI path goes: --path, else DIR/path.npz of --out DIR (beside the
    records file of the old ``--out FILE``: ``<out>.path.npz``), else nowhere."""
    if args.optimizer != "splitlbi":
        if args.path is not None:
            _fail(f"--path needs --optimizer splitlbi, got --optimizer {args.optimizer}")
        return None
    if args.path is not None:
        return args.path
    if records_file is None:
        return None
    if records_file.name == RECORDS_FILE and records_file.parent == args.out:
        return args.out / "path.npz"
    return records_file.with_suffix(".path.npz")
