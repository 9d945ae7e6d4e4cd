"""Search the details 003 leaves open against the #Params/#FLOPs cells of Tables 2 and 3.

For each network, every design on a bounded grid (stem, max pooling, R, blocks per group,
Block A / shortcut of the t = 1 revision, cardinality, final 1×1 conv, stage depths) is
priced with the networks' own closed-form ``cost()`` (the tests tie it to
``sum(p.numel())`` and to ptflops). Blocks repeat within a group, so a design with depths
(n_1, n_2, n_3) costs cost(1, 1, 1) + Σ_s (n_s − 1)·Δ_s, Δ_s the cost of one more block in
group s — exact, and fast enough to sweep every depth in 1..``--max-depth``.

Prints, per network: the designs that reproduce *every* t cell to the printed precision,
then per t the number of matching designs and the closest ones. Usage::

    python simulations/kr_table_search.py [--network kr_resnext] [--max-depth 9]
"""

from __future__ import annotations

import argparse
import itertools

from tensorcnn.ablation.tables import PAPER, matches_printed, network_cost
from tensorcnn.blocks.costs import Cost

DEPTH_FIELD = {"kr_resnet41": "blocks", "kr_resnext": "blocks", "kr_shufflenet": "units"}

# The open details searched, per network (the depth field is swept separately); the
# first value of a t = 1 option is the one the t > 1 networks are built with (unused there).
GRIDS = {
    "kr_resnet41": dict(stem=[16, 64], max_pool=[True, False],
                        ranks=[(16, 32, 64), (64, 128, 256)],
                        block_a_t1=["funnel", "widening"], shortcut_t1=["conv3x3", "projection"],
                        revise_first_group=[True, False]),
    "kr_resnext": dict(stem=[24, 64], max_pool=[False, True], first_stride=[1, 2],
                       cardinality=[16, 32, 64]),
    "kr_shufflenet": dict(stem_stride=[1, 2], max_pool=[False, True],
                          final_conv=[0, 512, 1024, 2048],
                          down_branch_t1=["conv3x3", "standard"]),
}
# Options that only change the t = 1 network.
T1_ONLY = {"block_a_t1", "shortcut_t1", "revise_first_group", "down_branch_t1"}


def depth_costs(network: str, t: int, design: dict) -> tuple[Cost, list[Cost]]:
    """cost(1, 1, 1) and the cost Δ_s of one more block in each group s."""
    field = DEPTH_FIELD[network]
    base = network_cost(network, t, **design, **{field: (1, 1, 1)})
    deltas = []
    for s in range(3):
        depth = [1, 1, 1]
        depth[s] = 2
        more = network_cost(network, t, **design, **{field: tuple(depth)})
        deltas.append(Cost(more.params - base.params, more.macs - base.macs))
    return base, deltas


def search(network: str, max_depth: int) -> dict:
    """{(t, design items, depths): (params, macs, params_match, macs_match)}."""
    cells = {c.t: c for c in PAPER if c.network == network}
    grid = GRIDS[network]
    keys = list(grid)
    results = {}
    for values in itertools.product(*grid.values()):
        design = dict(zip(keys, values))
        for t, cell in cells.items():
            if t != 1 and any(design[k] != grid[k][0] for k in T1_ONLY if k in design):
                continue  # t > 1 networks do not depend on the t = 1 options
            base, deltas = depth_costs(network, t, design)
            for depths in itertools.product(range(1, max_depth + 1), repeat=3):
                params = base.params + sum((n - 1) * d.params for n, d in zip(depths, deltas))
                macs = base.macs + sum((n - 1) * d.macs for n, d in zip(depths, deltas))
                results[(t, tuple(design.items()), depths)] = (
                    params, macs,
                    matches_printed(params / 1e6, cell.params_m, cell.params_decimals),
                    matches_printed(macs / 1e9, cell.gmacs, cell.gmacs_decimals))
    return results


def report(network: str, results: dict, closest: int) -> None:
    cells = {c.t: c for c in PAPER if c.network == network}
    field = DEPTH_FIELD[network]
    print(f"\n=== {network}: {len(results)} (t, design) candidates ===")
    shared = None
    for t in cells:
        ok = {(tuple((k, v) for k, v in d if k not in T1_ONLY), n)
              for (tt, d, n), r in results.items() if tt == t and r[2] and r[3]}
        shared = ok if shared is None else shared & ok
    print(f"designs matching every t cell (t = 1 revision options free): {len(shared)}")
    for design, depths in sorted(shared, key=str)[:20]:
        print(f"  {dict(design)} {field}={depths}")
    for t, cell in cells.items():
        rows = [(abs(r[0] / (cell.params_m * 1e6) - 1) + abs(r[1] / (cell.gmacs * 1e9) - 1),
                 d, n, r) for (tt, d, n), r in results.items() if tt == t]
        hits = [row for row in rows if row[3][2] and row[3][3]]
        print(f"t = {t}: paper {cell.params_m}M, {cell.gmacs} GMac; {len(hits)} designs match "
              f"both cells; the matches first, then the closest:")
        ordered = sorted(rows, key=lambda r: (not (r[3][2] and r[3][3]), r[0]))
        for _score, d, n, (p, m, pm, mm) in ordered[:closest]:
            print(f"  {p / 1e6:8.3f}M {'ok' if pm else '--'}  {m / 1e9:7.4f} GMac "
                  f"{'ok' if mm else '--'}  {dict(d)} {field}={n}")


def ucf101_report() -> None:
    """The 3D network has no open depth; print its cells and the t = 1 lower bound."""
    print("\n=== kr_resnet3d18 (added blocks + FC, 16x112x112 clips) ===")
    for cell in (c for c in PAPER if c.network == "kr_resnet3d18"):
        cost = network_cost("kr_resnet3d18", cell.t)
        print(f"t = {cell.t:2d}: ours {cost.params / 1e6:7.3f}M {cost.macs / 1e9:7.4f} GMac;"
              f" paper {cell.params_m}M {cell.gmacs} GMac")
    bound = 4 * 27 * 256 ** 2
    print(f"any 4 blocks with a full 3x3x3 R->R conv (R = 256) hold >= {bound / 1e6:.3f}M "
          "weights > 6.97M: the t = 1 #Params cell cannot be met with R = 256")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=sorted(GRIDS) + ["kr_resnet3d18"],
                        action="append", help="default: all")
    parser.add_argument("--max-depth", type=int, default=8)
    parser.add_argument("--closest", type=int, default=5)
    args = parser.parse_args()
    for network in args.network or [*GRIDS, "kr_resnet3d18"]:
        if network == "kr_resnet3d18":
            ucf101_report()
        else:
            report(network, search(network, args.max_depth), args.closest)


if __name__ == "__main__":
    main()
