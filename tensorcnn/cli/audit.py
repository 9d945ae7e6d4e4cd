"""``tensorcnn audit`` (K/R of the compressed blocks of a model) and ``tensorcnn count``
(params, MACs and K/R of one block design, 001 family or reference architecture; or, with
``kr-tables``, the ablation networks against 003 Tables 2–3)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ._flags import STDOUT, add_deprecated, add_json, write_json
from ._kr_tables import NETWORKS as KR_NETWORKS
from ._kr_tables import run_tables

BLOCKS = ("bottleneck", "funnel", "normalized-funnel", "resnext", "depthwise-separable",
          "inverted-residual", "shufflenet-unit")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="find the compressed blocks of a model and report K, R, t = K/R, params, MACs",
        description="Run MODEL once on zeros, find its bottleneck, grouped, depthwise-"
        "separable and inverted-residual blocks (003 §3) and print, per block, C, R, K, "
        "t = K/R, the expansion R/C, parameters, MACs (ptflops convention) and what K = R "
        "would save. MODEL is a built-in name (resnet50, resnext50, mobilenet_v2, "
        "shufflenet_v2) or 'package.module:callable' returning an nn.Module.",
    )
    parser.add_argument("model", help="built-in name or package.module:callable")
    parser.add_argument("--input-shape", type=int, nargs="+", default=[3, 224, 224],
                        metavar="N", help="one input without the batch axis (default 3 224 224)")
    add_json(parser, "the report", dest="json_path")
    parser.set_defaults(func=run_audit)

    count = subparsers.add_parser(
        "count",
        help="params, MACs and K/R of a block design, a 001 family member or an architecture",
        description="Closed-form parameters and MACs (ptflops convention). NAME is a block ("
        + ", ".join(BLOCKS) + "), a 001 family (d-conv, s-conv, d-local, s-local, d-fc, s-fc, "
        "3-fc; 3 input channels, --alpha, --image-size, --num-classes), a built-in "
        "architecture (resnet50, resnext50, mobilenet_v2, shufflenet_v2; --image-size), or "
        "'kr-tables': the #Params/#FLOPs columns of 003 Tables 2-3 for the K/R ablation "
        "networks next to the paper's numbers (--network, --ptflops).",
    )
    count.add_argument("name")
    count.add_argument("--in-channels", type=int, default=64, help="C (blocks; default 64)")
    count.add_argument("--rank", type=int, default=64, help="R (default 64)")
    count.add_argument("--out-channels", type=int, default=256, help="K (default 256)")
    count.add_argument("--expansion", type=int, default=6, help="x of an inverted residual")
    count.add_argument("--groups", type=int, default=32, help="ResNeXt cardinality g")
    count.add_argument("--width", type=int, default=4, help="ResNeXt path width r")
    count.add_argument("--kernel-size", type=int, default=3)
    count.add_argument("--stride", type=int, default=1)
    count.add_argument("--input-size", type=int, nargs="+", default=[56], metavar="H",
                       help="H [W] of a block's input (default 56)")
    count.add_argument("--alpha", type=int, default=16, help="α of a 001 family")
    count.add_argument("--image-size", type=int, default=32, help="image side s (default 32)")
    count.add_argument("--num-classes", type=int, default=10, help="c (families; default 10)")
    add_json(count, "the result (kr-tables: the rows)", old_switch=True)
    count.add_argument("--network", action="append", choices=list(KR_NETWORKS),
                       help="kr-tables: only these networks (repeatable; default all)")
    count.add_argument("--ptflops", action="store_true",
                       help="kr-tables: also count with ptflops on the real modules (slow)")
    add_deprecated(count, "--out", "--json FILE", "json")
    count.set_defaults(func=run_count, count_parser=count)


def load_model(spec: str):
    """A built-in reference architecture by name, or ``module:callable`` called with no
    arguments."""
    from torch import nn

    from ..counting.reference_models import REFERENCE_MODELS

    if spec in REFERENCE_MODELS:
        return REFERENCE_MODELS[spec]()
    if ":" not in spec:
        raise SystemExit(f"unknown model {spec!r}: use one of {sorted(REFERENCE_MODELS)} "
                         "or package.module:callable")
    module_name, _, attribute = spec.partition(":")
    # the current folder first, as `python -m` would: `audit mymod:fn` beside mymod.py works
    # from the console script too
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise SystemExit(f"cannot load {spec!r}: {error} (the module must be importable: "
                         "run from its folder, or put its package on PYTHONPATH)") from error
    model = factory() if callable(factory) and not isinstance(factory, nn.Module) else factory
    if not isinstance(model, nn.Module):
        raise SystemExit(f"{spec!r} did not give a torch.nn.Module")
    return model


def _millions(value: int) -> str:
    return f"{value / 1e6:.3f}M"


def run_audit(args: argparse.Namespace) -> int:
    from ..counting.audit import audit

    model = load_model(args.model)
    say = (lambda *_: None) if args.json_path == STDOUT else print
    try:
        report = audit(model, args.input_shape)
    except (TypeError, ValueError, RuntimeError) as error:
        raise SystemExit(f"audit failed: {error}") from error
    say(f"{args.model}: input {tuple(args.input_shape)}, {_millions(report.total_params)} "
        f"params, {report.total_macs / 1e9:.3f} GMac, {len(report.blocks)} compressed blocks")
    if report.uncounted:
        print(f"warning: {len(report.uncounted)} modules have no MAC handler and are not "
              f"counted ({', '.join(report.uncounted[:5])}"
              f"{', …' if len(report.uncounted) > 5 else ''}); "
              "see tensorcnn.counting.register_macs",
              file=sys.stderr if args.json_path == STDOUT else sys.stdout)
    header = (f"{'block':<22}{'kind':<22}{'C':>6}{'R':>6}{'K':>6}{'t=K/R':>7}{'R/C':>6}"
              f"{'params':>11}{'MACs':>13}{'params t=1':>12}{'MACs saved':>13}")
    say(header)
    say("-" * len(header))
    for row in report.blocks:
        say(f"{row.name:<22}{row.kind:<22}{row.in_channels:>6}{row.rank:>6}"
            f"{row.out_channels:>6}{row.t:>7.2f}{row.expansion:>6.2f}{row.params:>11,}"
            f"{row.macs:>13,}{row.params_t1:>12,}{row.macs_saved:>13,}")
    say(f"K = R in every block with K > R would save {_millions(report.params_saved)} params "
        f"and {report.macs_saved / 1e9:.3f} GMac (within the blocks)")
    if args.json_path is not None:
        written = write_json(args.json_path, {"model": args.model, **report.as_dict()})
        if written is not None:
            print(f"wrote {written}")
    return 0


def _count_block(args: argparse.Namespace) -> dict:
    from .. import blocks

    options = dict(kernel_size=args.kernel_size, stride=args.stride)
    C, R, K = args.in_channels, args.rank, args.out_channels
    makers = {
        "bottleneck": lambda: blocks.Bottleneck(C, R, K, **options),
        "funnel": lambda: blocks.funnel_block(C, R, **options),
        "normalized-funnel": lambda: blocks.normalized_funnel_block(C, **options),
        "resnext": lambda: blocks.resnext_bottleneck(C, args.groups, args.width, K, **options),
        "depthwise-separable": lambda: blocks.DepthwiseSeparable(C, K, **options),
        "inverted-residual": lambda: blocks.InvertedResidual(C, K, args.expansion, **options),
        "shufflenet-unit": lambda: blocks.ShuffleV2Unit(C, R, K, **options),
    }
    block = makers[args.name]()
    size = tuple(args.input_size) * (2 // len(args.input_size))
    cost = block.cost(size)
    return dict(name=args.name, in_channels=block.in_channels, rank=block.rank,
                out_channels=block.out_channels, t=block.kr_ratio,
                stack=f"{block.decomposition} ranks {block.stack_ranks}",
                input_size=list(size), params=cost.params, macs=cost.macs)


#: The options each kind of NAME reads (besides --json); any other option given is refused.
_BLOCK_OPTIONS = {
    "bottleneck": ("in_channels", "rank", "out_channels"),
    "funnel": ("in_channels", "rank"),
    "normalized-funnel": ("in_channels",),
    "resnext": ("in_channels", "groups", "width", "out_channels"),
    "depthwise-separable": ("in_channels", "out_channels"),
    "inverted-residual": ("in_channels", "out_channels", "expansion"),
    "shufflenet-unit": ("in_channels", "rank", "out_channels"),
}
_SHARED_BLOCK_OPTIONS = ("kernel_size", "stride", "input_size")
_OPTIONS = ("in_channels", "rank", "out_channels", "expansion", "groups", "width",
            "kernel_size", "stride", "input_size", "alpha", "image_size", "num_classes",
            "network", "ptflops")


def _refuse_unused_options(args: argparse.Namespace, used: tuple[str, ...]) -> None:
    """An option that NAME does not read is an error, not silently ignored (#20)."""
    parser = getattr(args, "count_parser", None)
    if parser is None:
        return
    unused = [name for name in _OPTIONS if name not in used
              and getattr(args, name, None) != parser.get_default(name)]
    if unused:
        flags = ", ".join("--" + name.replace("_", "-") for name in unused)
        verb = "does" if len(unused) == 1 else "do"
        raise SystemExit(f"count {args.name}: {flags} {verb} not apply to {args.name!r} "
                         f"(it reads {', '.join('--' + u.replace('_', '-') for u in used)})")


def run_count(args: argparse.Namespace) -> int:
    from ..counting.audit import audit
    from ..counting.reference_models import REFERENCE_MODELS
    from ..nets.families import FAMILIES, family_macs, family_n_params

    if args.name in BLOCKS:
        _refuse_unused_options(args, _BLOCK_OPTIONS[args.name] + _SHARED_BLOCK_OPTIONS)
    elif args.name in FAMILIES:
        _refuse_unused_options(args, ("alpha", "image_size", "num_classes"))
    elif args.name in REFERENCE_MODELS:
        _refuse_unused_options(args, ("image_size",))
    elif args.name == "kr-tables":
        _refuse_unused_options(args, ("network", "ptflops"))
    else:
        names = [*BLOCKS, *FAMILIES, *REFERENCE_MODELS, "kr-tables"]
        raise SystemExit(f"count: unknown name {args.name!r}; valid names: {', '.join(names)}")
    if args.name == "kr-tables":
        return run_tables(args)
    try:
        if args.name in BLOCKS:
            result = _count_block(args)
        elif args.name in FAMILIES:
            sizes = (args.name, args.alpha, args.image_size, 3, args.num_classes)
            result = dict(name=args.name, alpha=args.alpha, image_size=args.image_size,
                          params=family_n_params(*sizes), macs=family_macs(*sizes))
        elif args.name in REFERENCE_MODELS:
            report = audit(REFERENCE_MODELS[args.name](), (3, args.image_size, args.image_size))
            result = dict(name=args.name, image_size=args.image_size,
                          params=report.total_params, macs=report.total_macs,
                          t_per_block=sorted({row.t for row in report.blocks}))
    except (TypeError, ValueError) as error:
        raise SystemExit(f"count failed: {error}") from error
    if args.json != STDOUT:
        for key, value in result.items():
            print(f"{key:<14}{value:,}" if isinstance(value, int) else f"{key:<14}{value}")
    if args.json is not None:
        written = write_json(args.json, result)
        if written is not None:
            print(f"wrote {written}")
    return 0
