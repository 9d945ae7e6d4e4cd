"""``tensorcnn ablation``: the K/R ablation runs of 003 §4.2 / App. A.5.2 (t × seeds)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ablation",
        help="train the K/R ablation networks for every t and seed; worst-seed table + curves",
        description="Train one ablation network (41-layer ResNet, ResNeXt or ShuffleNet v2) "
        "for every t and seed with SGD on the shared harness, then write the worst-seed "
        "test-accuracy table in the layout of 003 Tables 2-3 (table.md, table.csv), the "
        "training curves (records.csv, curves.png) and config.json to --out. "
        "--config paper: 003's hyper-parameters (300 epochs; needs --data-root); "
        "paper-table3: ResNeXt on SVHN, 350 epochs; paper-ucf101: the 3D network on UCF101 "
        "frame folders; smoke: minutes on a CPU (digits).",
    )
    parser.add_argument("--config", default="smoke",
                        choices=["smoke", "paper", "paper-table3", "paper-ucf101"])
    parser.add_argument("--network",
                        choices=["kr_resnet41", "kr_resnext", "kr_shufflenet", "kr_resnet3d18"])
    parser.add_argument("--dataset", choices=["cifar10", "svhn", "digits", "synthetic", "ucf101"])
    parser.add_argument("--data-root",
                        help="folder of the CIFAR-10 / SVHN files, or UCF101's frame folders")
    parser.add_argument("--train-split", help="UCF101 split file of the training videos")
    parser.add_argument("--test-split", help="UCF101 split file of the test videos")
    parser.add_argument("--pretrained", help="Kinetics checkpoint of the 3D backbone "
                        "(e.g. resnet-18-kinetics.pth)")
    parser.add_argument("--t", type=int, nargs="+", dest="t_values", metavar="T")
    parser.add_argument("--seeds", type=int, nargs="+")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--max-train", type=int, help="use only the first N training images")
    parser.add_argument("--max-test", type=int)
    parser.add_argument("--device", help="cpu (default), cuda, cuda:1 ...")
    parser.add_argument("--threads", type=int, help="torch intra-op threads")
    parser.add_argument("--checkpoints", type=Path, default=None,
                        help="folder of resumable per-(t, seed) checkpoints")
    parser.add_argument("--out", type=Path, default=Path("results/ablation"))
    parser.add_argument("--progress", action="store_true", help="tqdm bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..ablation.config import get_config
    from ..ablation.io import format_table, write_results
    from ..ablation.runner import run_ablation

    overrides = {k: getattr(args, k) for k in (
        "network", "dataset", "data_root", "epochs", "batch_size", "lr", "image_size",
        "max_train", "max_test", "device", "threads", "train_split", "test_split",
        "pretrained")}
    overrides["t_values"] = tuple(args.t_values) if args.t_values else None
    overrides["seeds"] = tuple(args.seeds) if args.seeds else None
    try:
        config = get_config(args.config, **overrides)
    except ValueError as error:
        raise SystemExit(f"tensorcnn ablation: {error}") from error
    print(f"{config.network} on {config.dataset}: t = {list(config.t_values)}, seeds "
          f"{list(config.seeds)}, {config.epochs} epochs, device {config.device}")
    result = run_ablation(config, checkpoint_dir=args.checkpoints, progress=args.progress)
    paths = write_results(result, args.out)
    print(format_table(result.table, config.dataset), end="")
    print(f"{result.seconds:.1f} s; wrote " + ", ".join(str(p) for p in paths.values()))
    return 0
