"""SplitLBI's Γ path and its early-stopped subnetworks (004 §4.3-4.4, App. D-E), small.

s-conv (001; ``--model resnet20`` for 004's network) on the offline digits task, trained
with SplitLBI Mom-Wd (004 Eq. (13)-(14)):
group lasso on the conv filters, lasso on the fc weights, no penalty on BatchNorm and
biases. Per epoch: Γ density per layer, accuracy of the dense model W and of the sparse
model W ⊙ 1(Γ ≠ 0). Then, for early-stopping epochs t:

- retrain (004 §4.4, "Lottery"): the subnetwork supp(Γ_t), from the initial weights W_0,
  trained from scratch with SGD (momentum, weight decay) with the mask kept;
- rewind (004 App. D, "F-epoch t"): the subnetwork supp(Γ_T) of the last epoch, from the
  weights W_t of epoch t, fine-tuned the same way.

Writes to ``--out``: ``path.csv`` (tidy, one row per epoch × metric), ``subnets.csv``,
``summary.json`` and ``path.png``.

    python simulations/splitlbi_path.py --out results/splitlbi_path
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import torch

from tensorcnn.optim import SplitLBI, keep_masks, param_groups_by_kind
from tensorcnn.training import (
    BatchLoader,
    Normalize,
    fit,
    load_digits,
    long_format,
    make_scheduler,
    splitlbi_metrics,
    write_records,
)
from tensorcnn.training.builders import build_model


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--model", default="s-conv",
                   help="a 001 family or resnet20/56 (004 uses ResNet-20/56; slow on CPU)")
    p.add_argument("--alpha", type=int, default=8)
    p.add_argument("--image-size", type=int, default=16)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--retrain-epochs", type=int, default=10)
    p.add_argument("--stops", type=int, nargs="+", default=[2, 5, 10],
                   help="early-stopping epochs t (1-based: after t epochs)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.1, help="α")
    p.add_argument("--kappa", type=float, default=1.0)
    p.add_argument("--nu", type=float, default=10.0)
    # 004 Table 10 uses λ = 0.05-0.1 over 160 epochs of 391 steps; a run of a few hundred
    # steps needs a smaller λ for the lasso'd fc weights to leave 0 (V grows ≈ α W / ν a step).
    p.add_argument("--lam", type=float, default=0.01, help="λ")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-progress", action="store_true")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    train, test = load_digits(args.image_size, rng=args.seed)
    normalize = Normalize(*train.channel_stats())
    train_loader = BatchLoader(train, args.batch, seed=args.seed, transform=normalize)
    test_loader = BatchLoader(test, 512, shuffle=False, transform=normalize)

    torch.manual_seed(args.seed)
    model = build_model(args.model, 10, 1, args.image_size, args.alpha)
    initial = copy.deepcopy(model.state_dict())
    opt = SplitLBI(param_groups_by_kind(model, conv=dict(penalty="group"),
                                        linear=dict(penalty="lasso"),
                                        other=dict(penalty=None)),
                   lr=args.lr, kappa=args.kappa, nu=args.nu, lam=args.lam,
                   momentum=args.momentum, weight_decay=args.weight_decay)
    stops = sorted(t for t in set(args.stops) if 1 <= t <= args.epochs)
    snapshots = {}

    def snapshot(*, epoch, model, optimizer, **_):
        if epoch + 1 in stops or epoch + 1 == args.epochs:
            snapshots[epoch + 1] = (copy.deepcopy(model.state_dict()),
                                    {k: v.clone() for k, v in
                                     optimizer.support_masks(model).items()})

    records = fit(model, opt, train_loader, epochs=args.epochs, test_loader=test_loader,
                  scheduler=make_scheduler("step", opt, args.epochs, step_size=30),
                  callbacks=[splitlbi_metrics(test_loader, level="group"), snapshot],
                  progress=not args.no_progress)
    write_records(long_format(records), args.out / "path.csv")

    def train_subnet(state, masks):
        torch.manual_seed(args.seed)
        net = build_model(args.model, 10, 1, args.image_size, args.alpha)
        net.load_state_dict(state)
        sgd = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        keep_masks(sgd, net, masks)
        recs = fit(net, sgd, train_loader, epochs=args.retrain_epochs,
                   test_loader=test_loader,
                   scheduler=make_scheduler("cosine", sgd, args.retrain_epochs),
                   progress=not args.no_progress)
        total = sum(m.numel() for m in masks.values())
        return recs[-1]["test_accuracy"], sum(int(m.sum()) for m in masks.values()) / total

    final_state, final_masks = snapshots[args.epochs]
    subnets = []
    for t in stops:
        state_t, masks_t = snapshots[t]
        acc, density = train_subnet(initial, masks_t)
        subnets.append(dict(kind="retrain", stop_epoch=t, density=density, test_accuracy=acc))
        acc, density = train_subnet(state_t, final_masks)
        subnets.append(dict(kind="rewind", stop_epoch=t, density=density, test_accuracy=acc))
    write_records(subnets, args.out / "subnets.csv")

    summary = {"settings": {k: (str(v) if isinstance(v, Path) else v)
                            for k, v in vars(args).items()},
               "final": {k: records[-1][k] for k in ("test_accuracy", "sparse_test_accuracy",
                                                     "gamma_density")},
               "subnets": subnets}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    epochs = [r["epoch"] + 1 for r in records]
    for key in [k for k in records[-1] if k.startswith("gamma_density/")]:
        axes[0].plot(epochs, [r[key] for r in records], label=key.split("/", 1)[1])
    axes[0].plot(epochs, [r["gamma_density"] for r in records], "k--", label="all")
    axes[0].set(xlabel="epoch", ylabel="share of non-zeros of Γ", title="Γ path")
    axes[0].legend(fontsize=7)
    axes[1].plot(epochs, [100 * r["test_accuracy"] for r in records], label="dense W")
    axes[1].plot(epochs, [100 * r["sparse_test_accuracy"] for r in records],
                 label="W ⊙ 1(Γ≠0)")
    for kind, marker in (("retrain", "*"), ("rewind", "o")):
        pts = [s for s in subnets if s["kind"] == kind]
        axes[1].scatter([s["stop_epoch"] for s in pts],
                        [100 * s["test_accuracy"] for s in pts], marker=marker, s=60,
                        label=f"subnet {kind}", zorder=3)
    axes[1].set(xlabel="epoch (stop epoch for subnets)", ylabel="test accuracy (%)")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out / "path.png", dpi=120)
    plt.close(fig)
    print(json.dumps(summary["final"]))
    for s in subnets:
        print(f"{s['kind']:<8} t={s['stop_epoch']:<3} density {s['density']:.3f} "
              f"test accuracy {100 * s['test_accuracy']:.2f}%")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
