"""001 Fig. 1 (right): parameters of d-/s-conv, their -local and -fc counterparts, and 3-fc,
against the base channels α and against the image side s.

Solid lines: exact counts of the modules ``tensorcnn.nets.families.build_family`` builds
(BN and biases included). Dashed lines: the totals printed in 001 Tables 3–4 (the d-local
dashed line is the table's erratum). The dotted black line is the largest model that fits
in ``--memory-gib`` of GPU memory at ``--bytes-per-param`` bytes per parameter (the paper:
16-bit training on a V100; the default counts 16-bit weights and gradients only).
Writes ``param_scaling.csv``, ``param_scaling.json`` and ``param_scaling.png`` to ``--out``.

    python simulations/param_scaling.py --out runs/param_scaling [--image-size 32] [--alpha 16]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tensorcnn.nets.families import FAMILIES, family_n_params, table_n_params  # noqa: E402


def counts(family: str, alpha: int, image_size: int, classes: int) -> dict:
    table = None if family == "3-fc" else table_n_params(family, alpha, image_size, classes)
    return dict(family=family, alpha=alpha, image_size=image_size, num_classes=classes,
                params_module=family_n_params(family, alpha, image_size, 3, classes),
                params_table=table)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--image-size", type=int, default=32, help="s for the α panel")
    parser.add_argument("--alpha", type=int, default=16, help="α for the s panel")
    parser.add_argument("--num-classes", type=int, default=10)
    parser.add_argument("--memory-gib", type=float, default=16.0)
    parser.add_argument("--bytes-per-param", type=float, default=4.0)
    args = parser.parse_args(argv)

    alphas = [2**i for i in range(0, 10)]
    sides = [8, 16, 32, 64, 128, 256]
    rows = [dict(panel="alpha", **counts(f, a, args.image_size, args.num_classes))
            for f in FAMILIES for a in alphas]
    rows += [dict(panel="image_size", **counts(f, args.alpha, s, args.num_classes))
             for f in FAMILIES for s in sides]
    limit = args.memory_gib * 2**30 / args.bytes_per_param

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for axis, panel, key, label in [(axes[0], "alpha", "alpha", "base channels α"),
                                    (axes[1], "image_size", "image_size", "image side s")]:
        for index, family in enumerate(FAMILIES):
            series = [r for r in rows if r["panel"] == panel and r["family"] == family]
            x = [r[key] for r in series]
            color = f"C{index}"
            axis.loglog(x, [r["params_module"] for r in series], "-o", ms=3, color=color,
                        label=family)
            if series[0]["params_table"] is not None:
                axis.loglog(x, [r["params_table"] for r in series], "--", color=color, lw=1)
        axis.axhline(limit, color="black", ls=":", lw=1.2)
        axis.set_xlabel(label)
        axis.set_ylabel("number of parameters")
    axes[0].set_title(f"s = {args.image_size}, c = {args.num_classes} (3-fc: α = width)")
    axes[1].set_title(f"α = {args.alpha}, c = {args.num_classes}")
    axes[0].legend(fontsize=7, title="solid: module, dashed: 001 table", title_fontsize=7)
    figure.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out / "param_scaling.png", dpi=150)
    with open(args.out / "param_scaling.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (args.out / "param_scaling.json").write_text(json.dumps(
        {"memory_limit_params": limit, "rows": rows}, indent=1))
    print(f"wrote {args.out}/param_scaling.png, .csv and .json ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
