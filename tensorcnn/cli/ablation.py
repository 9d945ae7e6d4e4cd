"""``tensorcnn ablation``: the K/R ablation runs of 003 §4.2 / App. A.5.2 (t × seeds)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._flags import SEEDS_HELP, add_deprecated, add_quiet


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
    parser.add_argument("--data-root", metavar="DIR",
                        help="folder of the CIFAR-10 / SVHN files, or UCF101's frame folders")
    parser.add_argument("--train-split", help="UCF101 split file of the training videos")
    parser.add_argument("--test-split", help="UCF101 split file of the test videos")
    parser.add_argument("--pretrained", help="Kinetics checkpoint of the 3D backbone "
                        "(e.g. resnet-18-kinetics.pth)")
    parser.add_argument("--t", type=int, nargs="+", dest="t_values", metavar="T",
                        help="the K/R ratios t to train (default: the config's)")
    parser.add_argument("--seeds", type=int, nargs="+", metavar="SEED",
                        help=SEEDS_HELP.format(default="default: the config's"))
    parser.add_argument("--epochs", type=int, help="epochs per run (default: the config's)")
    parser.add_argument("--batch-size", type=int,
                        help="minibatch size (default: the config's)")
    parser.add_argument("--lr", type=float, help="learning rate (default: the config's)")
    parser.add_argument("--image-size", type=int,
                        help="side of the square images or frames fed to the network "
                        "(default: the config's)")
    parser.add_argument("--max-train", type=int, help="use only the first N training images")
    parser.add_argument("--max-test", type=int, help="use only the first N test images")
    parser.add_argument("--device", help="torch device: cpu (default), cuda, cuda:1 ...")
    parser.add_argument("--threads", type=int, help="torch intra-op threads")
    parser.add_argument("--checkpoint-dir", type=Path, default=None, metavar="DIR",
                        help="folder of resumable per-(t, seed) checkpoints")
    parser.add_argument("--out", type=Path, default=Path("results/ablation"), metavar="DIR",
                        help="output folder (default results/ablation)")
    add_quiet(parser)
    add_deprecated(parser, "--checkpoints", "--checkpoint-dir", "checkpoint_dir", type=Path)
    add_deprecated(parser, "--progress", "nothing", "quiet", nargs=0, const=False,
                   why=": progress bars are on by default (--quiet turns them off)")
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
    if not args.quiet:
        print(f"{config.network} on {config.dataset}: t = {list(config.t_values)}, seeds "
              f"{list(config.seeds)}, {config.epochs} epochs, device {config.device}")
    result = run_ablation(config, checkpoint_dir=args.checkpoint_dir, progress=not args.quiet)
    paths = write_results(result, args.out)
    print(format_table(result.table, config.dataset), end="")
    print(f"{result.seconds:.1f} s; wrote " + ", ".join(str(p) for p in paths.values()))
    return 0
