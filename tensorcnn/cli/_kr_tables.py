"""``tensorcnn count kr-tables``: #Params and #FLOPs of the K/R ablation networks next to
003 Tables 2–3 (each network built for every t, counted in closed form; MACs in the
cells' convention — convolutions, batch norm and linear layers, ReLU and pooling not
counted, see :mod:`tensorcnn.ablation.tables`).
"""

from __future__ import annotations

import argparse
import contextlib
import io

from ._flags import STDOUT, write_json

NETWORKS = ("kr_resnet41", "kr_resnet3d18", "kr_resnext", "kr_shufflenet")


def _ptflops(network: str, t: int) -> int:
    import torch

    from ..counting.external import ptflops_macs
    from ..nets.kr_resnet import kr_resnet41
    from ..nets.kr_resnet3d import kr_resnet3d18
    from ..nets.kr_resnext import kr_resnext
    from ..nets.kr_shufflenet import kr_shufflenet

    if network == "kr_resnet3d18":
        model = kr_resnet3d18(t)
        return ptflops_macs(torch.nn.Sequential(model.blocks, model.head), (512, 1, 4, 4))
    build = {"kr_resnet41": kr_resnet41, "kr_resnext": kr_resnext,
             "kr_shufflenet": kr_shufflenet}[network]
    return ptflops_macs(build(t), (3, 32, 32))


def run_tables(args: argparse.Namespace) -> int:
    """The table on stdout (``--json -``: the rows as JSON instead); ``--json FILE``: also
    the rows as JSON to FILE."""
    if args.json == STDOUT:
        with contextlib.redirect_stdout(io.StringIO()):
            records = _tables(args)
    else:
        records = _tables(args)
    if args.json is not None:
        written = write_json(args.json, records)
        if written is not None:
            print(f"wrote {written}")
    return 0


def _tables(args: argparse.Namespace) -> list[dict]:
    from ..ablation.tables import count_rows

    rows = count_rows(args.network or None)
    header = (f"{'table':<8}{'network':<15}{'t':>3}{'#Params':>12}{'paper':>8}{'diff':>8}"
              f"{'':>4}{'#FLOPs GMac':>13}{'paper':>7}{'diff':>8}")
    print(header + ("  ptflops GMac (+ReLU, pooling)" if args.ptflops else ""))
    records = []
    for row in rows:
        line = (f"{row.table:<8}{row.network:<15}{row.t:>3}{row.params / 1e6:>11.3f}M"
                f"{row.paper_params_m:>7.2f}M{row.params_rel_diff:>+8.1%}"
                f"{'ok' if row.params_match else '--':>4}{row.macs / 1e9:>13.4f}"
                f"{row.paper_gmacs:>7.3g}{row.gmacs_rel_diff:>+8.1%}"
                f"{'ok' if row.gmacs_match else '--':>4}")
        record = row.as_dict()
        if args.ptflops:
            record["ptflops_macs"] = _ptflops(row.network, row.t)
            line += f"{record['ptflops_macs'] / 1e9:>11.4f}"
        print(line)
        records.append(record)
    n_ok = sum(r.params_match and r.gmacs_match for r in rows)
    print("GMac: convolutions, batch norm and linear layers (ReLU and pooling not counted, as "
          "ptflops < 0.7.1 counted the papers' networks)")
    print(f"{n_ok} of {len(rows)} rows match both printed cells "
          "(see docs/ablation.md for the cells that cannot)")
    return records
