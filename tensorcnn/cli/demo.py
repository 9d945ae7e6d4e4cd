"""``tensorcnn demo``: the Tucker-like form of a CNN against torch's own network."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from ._flags import SEED_HELP, STDOUT, add_deprecated, add_json, write_json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="check <X, W_X> against torch's conv/pool/FC on the paper's settings",
        description="Build the CNNSpec of each setting of 003 Table 1 (S1-S4), draw A_k, "
        "B_k and X from N(0, 1), and compare the Tucker-like output <X, W_X> and <Z, W> "
        "with torch's conv + avg_pool + FC. Prints d_M per setting.",
    )
    parser.add_argument("--n", type=int, default=256, help="inputs per setting (default 256)")
    parser.add_argument("--seed", type=int, default=0, help=SEED_HELP.format(default=0))
    add_json(parser, "the table")
    # old: --out FILE, or DIR/demo.json when --out is a folder (an existing one, or a path
    # ending in /)
    add_deprecated(parser, "--out", "--json FILE", "json", convert=_old_out)
    parser.set_defaults(func=run)


def _old_out(value: str) -> str:
    """The file the old ``--out`` meant: ``value``, or ``value/demo.json`` for a folder."""
    if value.endswith(("/", os.sep)) or Path(value).is_dir():
        return str(Path(value) / "demo.json")
    return value


DEMO_SETTINGS = {
    "S1": dict(input_shape=(7, 5, 7), kernel_shape=(2, 2, 2), pool_shape=(3, 2, 3), n_kernels=1),
    "S2": dict(input_shape=(7, 5, 7), kernel_shape=(2, 2, 2), pool_shape=(3, 2, 3), n_kernels=3),
    "S3": dict(input_shape=(8, 8, 3), kernel_shape=(3, 3, 3), pool_shape=(3, 3, 1), n_kernels=1),
    "S4": dict(input_shape=(8, 8, 3), kernel_shape=(3, 3, 3), pool_shape=(3, 3, 1), n_kernels=3),
}


def run(args: argparse.Namespace) -> int:
    from .. import CNNSpec
    from ..cnn import network_forward

    if args.n < 1:
        raise SystemExit("--n must be a positive integer")
    rng = np.random.default_rng(args.seed)
    say = (lambda *_: None) if args.json == STDOUT else print
    rows = []
    header = f"{'setting':<8}{'input':<14}{'kernel':<11}{'pooled':<11}{'K':>3}{'d_M':>6}"
    say(header + f"{'max |<X,W_X> - torch|':>24}{'max |<Z,W> - torch|':>22}")
    for name, settings in DEMO_SETTINGS.items():
        spec = CNNSpec(**settings)
        A = rng.standard_normal((spec.n_kernels, *spec.kernel_shape))
        B = rng.standard_normal((spec.n_kernels, *spec.pooled_shape))
        X = rng.standard_normal((args.n, *spec.input_shape))
        y_torch = network_forward(spec, X, A, B).numpy()
        y_tucker = spec.forward(X, A, B)
        y_design = spec.design(X).reshape(args.n, -1) @ spec.weight(A, B).ravel()
        scale = max(1.0, float(np.abs(y_torch).max()))
        row = dict(setting=name, **{k: list(v) if isinstance(v, tuple) else v
                                    for k, v in settings.items()},
                   pooled_shape=list(spec.pooled_shape), d_M=spec.n_params,
                   max_abs_diff_composite=float(np.abs(y_tucker - y_torch).max()),
                   max_abs_diff_design=float(np.abs(y_design - y_torch).max()),
                   output_scale=scale)
        rows.append(row)
        say(f"{name:<8}{str(spec.input_shape):<14}{str(spec.kernel_shape):<11}"
              f"{str(spec.pooled_shape):<11}{spec.n_kernels:>3}{spec.n_params:>6}"
              f"{row['max_abs_diff_composite']:>24.2e}{row['max_abs_diff_design']:>22.2e}")
    ok = all(max(r["max_abs_diff_composite"], r["max_abs_diff_design"]) <= 1e-8 * r["output_scale"]
             for r in rows)
    say("Tucker-like form equals the torch network: " + ("yes" if ok else "NO"))
    if args.json is not None:
        written = write_json(args.json, {"rows": rows, "equal": ok})
        if written is not None:
            print(f"wrote {written}")
    return 0 if ok else 1
