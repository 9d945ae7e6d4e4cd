"""001 Eq. (2) against sparsity: the MDL generalisation bound of a sparse (and shared) net.

For a search space of n parameters, b-bit weights, m training examples and confidence δ,
plots L_S + √((k b + |d(g)| + ln(2n/δ))/(2m)) against the share of non-zero weights, for
(i) no weight sharing (k = ‖w‖₀) and (ii) convolution-like sharing (k = ‖w‖₀ / r, each
parameter used r times), with |d(g)| both from the theorem's bound and from the exact
length of tensorcnn's code. Writes ``bound.csv`` and ``bound.png`` to ``--out``.

    python simulations/mdl_bound.py --out runs/mdl [--n 1000000] [--m 50000]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tensorcnn import mdl  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=1_000_000, help="parameters of the space")
    parser.add_argument("--m", type=int, default=50_000, help="training examples")
    parser.add_argument("--bits", type=int, default=32)
    parser.add_argument("--delta", type=float, default=0.05)
    parser.add_argument("--train-loss", type=float, default=0.0)
    parser.add_argument("--reuse", type=int, default=64,
                        help="r, uses of each parameter under convolution-like sharing")
    args = parser.parse_args(argv)

    density = np.logspace(-5, 0, 60)
    nnz = np.maximum(1, np.round(density * args.n)).astype(int)
    rows = []
    for label, k in [("no sharing (k = ||w||_0)", nnz),
                     (f"shared (k = ||w||_0 / {args.reuse})", np.maximum(1, nnz // args.reuse))]:
        paper = mdl.architecture_search_bound(args.train_loss, args.m, k, args.bits, nnz,
                                              args.n, args.delta)
        exact_bits = np.array([mdl.sharing_code_length(int(a), int(b), args.n)
                               for a, b in zip(nnz, k)])
        exact = mdl.architecture_search_bound(args.train_loss, args.m, k, args.bits, nnz,
                                              args.n, args.delta, sharing_bits=exact_bits)
        rows += [dict(sharing=label, density=float(d), n_nonzero=int(a), k=int(b),
                      bound_paper=float(p), bound_exact_code=float(e), code_bits=int(c))
                 for d, a, b, p, e, c in zip(density, nnz, k, paper, exact, exact_bits)]
        plt.loglog(density, paper - args.train_loss, label=f"{label}, paper's |d(g)| bound")
        plt.loglog(density, exact - args.train_loss, "--", label=f"{label}, exact code")
    plt.xlabel("share of non-zero weights ||w||_0 / n")
    plt.ylabel("generalisation gap bound")
    plt.title(f"001 Eq. (2): n = {args.n:,}, m = {args.m:,}, b = {args.bits}, "
              f"δ = {args.delta}")
    plt.legend(fontsize=7)
    args.out.mkdir(parents=True, exist_ok=True)
    plt.savefig(args.out / "bound.png", dpi=120, bbox_inches="tight")
    with open(args.out / "bound.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out / 'bound.png'} and {args.out / 'bound.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
