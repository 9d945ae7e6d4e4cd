"""β-lasso vs SGD on s-fc, offline digits task (001 §4.1, Table 2 / Fig. 3-4 set-up, small).

``--family s-conv`` / ``s-local`` (or any 001 family) runs the same comparison on that
network; the default, and the acceptance of issue 6, is s-fc.

s-fc (001: the fully-connected counterpart of s-conv: dense 'conv9×9(α, 2)', fc 24α, fc c,
BN + ReLU after each but the last) on scikit-learn's digits upsampled to s × s, trained
with SGD (momentum, weight decay) and with β-lasso (001 Alg. 1: no momentum, β = 50, a
larger λ on the first layer — the one that plays the convolution's role), both with the
cosine schedule from lr 0.1 (001 A.2). Per epoch: test accuracy and the non-zeros of every
weight. Acceptance (issue 6): β-lasso's first layer ≥ 5× sparser than SGD's at test
accuracy within 2 points.

Writes to ``--out``: ``records.csv`` (tidy: one row per method × epoch × metric),
``summary.json``, ``curves.png`` (test accuracy and first-layer density per epoch),
``nonzeros.png`` (non-zeros per layer at the end, 001 Fig. 3) and ``filters.png`` (first
layer receptive fields of random units, 001 Fig. 4).

    python simulations/beta_lasso_digits.py --out results/beta_lasso_digits
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from tensorcnn.nets.families import build_family
from tensorcnn.training import (
    BatchLoader,
    Normalize,
    fit,
    load_digits,
    long_format,
    make_scheduler,
    nonzeros_per_layer,
    weight_nonzeros,
    write_records,
)
from tensorcnn.training.builders import build_optimizer


def first_weight(model: torch.nn.Module) -> str:
    """Name of the first parameter with two or more axes (the conv-like layer of 001)."""
    return next(n for n, p in model.named_parameters() if p.dim() >= 2)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--image-size", type=int, default=16)
    p.add_argument("--family", default="s-fc", help="a 001 family (default s-fc)")
    p.add_argument("--alpha", type=int, default=8, help="base channels α")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--lam", type=float, default=2e-5, help="β-lasso λ on the other weights")
    p.add_argument("--lam-first", type=float, default=7e-4,
                   help="β-lasso λ on the first layer")
    p.add_argument("--beta", type=float, default=50.0)
    p.add_argument("--sgd-momentum", type=float, default=0.9)
    p.add_argument("--sgd-weight-decay", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-progress", action="store_true")
    return p.parse_args(argv)


def make_optimizer(method: str, model: torch.nn.Module, args) -> torch.optim.Optimizer:
    if method == "sgd":
        return build_optimizer("sgd", model, lr=args.lr, momentum=args.sgd_momentum,
                               weight_decay=args.sgd_weight_decay)
    return build_optimizer("beta-lasso", model, lr=args.lr, lam=args.lam, beta=args.beta,
                           first_layer_lam=args.lam_first)


def run(method: str, train, test, args):
    torch.manual_seed(args.seed)
    model = build_family(args.family, args.alpha, args.image_size, 1, 10)
    opt = make_optimizer(method, model, args)
    mean, std = train.channel_stats()
    normalize = Normalize(mean, std)
    records = fit(model, opt, BatchLoader(train, args.batch, seed=args.seed, transform=normalize),
                  epochs=args.epochs,
                  test_loader=BatchLoader(test, 512, shuffle=False, transform=normalize),
                  scheduler=make_scheduler("cosine", opt, args.epochs),
                  callbacks=[weight_nonzeros()], progress=not args.no_progress)
    for r in records:
        r["method"] = method
    return model, records


def counterpart_first_layer(args) -> dict[str, int]:
    """Weights of the first layer of s-conv and s-local of the same α (001 Fig. 3, red)."""
    out = {}
    for family in ("s-conv", "s-local"):
        model = build_family(family, args.alpha, args.image_size, 1, 10)
        out[family] = model.conv1.weight.numel()
    return out


def plot(out: Path, records: dict, models: dict, args) -> None:
    first = first_weight(models["sgd"])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for method, recs in records.items():
        epochs = [r["epoch"] for r in recs]
        axes[0].plot(epochs, [100 * r["test_accuracy"] for r in recs], label=method)
        axes[1].semilogy(epochs, [r[f"density/{first}"] for r in recs], label=method)
    axes[0].set(xlabel="epoch", ylabel="test accuracy (%)", title=f"{args.family} on digits")
    axes[1].set(xlabel="epoch", ylabel="share of non-zero weights",
                title="first layer density")
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 3.8))
    names = list(nonzeros_per_layer(models["sgd"]))
    width = 0.4
    for k, (method, model) in enumerate(models.items()):
        counts = nonzeros_per_layer(model)
        ax.bar(np.arange(len(names)) + k * width, [counts[n][0] for n in names], width,
               label=method)
    for k, (family, count) in enumerate(counterpart_first_layer(args).items()):
        ax.axhline(count, color="red", ls=("--", ":")[k % 2], lw=1,
                   label=f"{family} first-layer parameters")
    ax.set_xticks(np.arange(len(names)) + width / 2, names, rotation=15)
    ax.set(yscale="log", ylabel="non-zero weights", title="non-zeros per layer (001 Fig. 3)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "nonzeros.png", dpi=120)
    plt.close(fig)

    if args.family != "s-fc":
        return  # receptive-field images: rows of the dense first layer of s-fc only
    rng = np.random.default_rng(args.seed)
    units = rng.choice(models["sgd"].get_parameter(first).shape[0], size=8, replace=False)
    fig, axes = plt.subplots(2, 8, figsize=(12, 3.3))
    for row, (method, model) in enumerate(models.items()):
        w = model.get_parameter(first).detach()
        for col, u in enumerate(units):
            img = w[u].reshape(args.image_size, args.image_size).numpy()
            bound = max(float(np.abs(img).max()), 1e-12)
            axes[row, col].imshow(img, cmap="RdBu", vmin=-bound, vmax=bound)
            axes[row, col].axis("off")
        axes[row, 0].set_title(method, loc="left")
    fig.suptitle("first-layer receptive fields of random units (001 Fig. 4)")
    fig.savefig(out / "filters.png", dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    train, test = load_digits(args.image_size, rng=args.seed)
    models, records = {}, {}
    for method in ("sgd", "beta_lasso"):
        models[method], records[method] = run(method, train, test, args)

    rows = []
    for recs in records.values():
        rows += long_format(recs, id_keys=("method", "epoch"))
    write_records(rows, args.out / "records.csv")
    final = {m: recs[-1] for m, recs in records.items()}
    first = first_weight(models["sgd"])
    density = {m: r[f"density/{first}"] for m, r in final.items()}
    accuracy = {m: r["test_accuracy"] for m, r in final.items()}
    sparser = density["sgd"] / max(density["beta_lasso"], 1e-12)
    gap = 100 * (accuracy["sgd"] - accuracy["beta_lasso"])
    summary = {
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "n_train": len(train), "n_test": len(test),
        "first_layer": first,
        "first_layer_density": density,
        "first_layer_sparser_factor": sparser,
        "test_accuracy": accuracy,
        "accuracy_gap_points": gap,
        "nonzeros_per_layer": {m: {n: list(v) for n, v in nonzeros_per_layer(model).items()}
                               for m, model in models.items()},
        "counterpart_first_layer_parameters": counterpart_first_layer(args),
        "acceptance_5x_sparser_within_2_points": bool(sparser >= 5 and gap <= 2),
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    plot(args.out, records, models, args)
    print(f"first-layer density: SGD {density['sgd']:.4f}, β-lasso {density['beta_lasso']:.4f}"
          f" ({sparser:.1f}× sparser); test accuracy: SGD {100 * accuracy['sgd']:.2f}%, "
          f"β-lasso {100 * accuracy['beta_lasso']:.2f}% (gap {gap:.2f} points)")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
