"""Training-step time and optimizer-state memory of SplitLBI and BetaLasso against SGD.

ResNet-20 (He et al. 2016, shortcut A; 0.27M parameters) and the 001 d-conv family at α
= 16 (1.65M parameters) on CIFAR-shaped batches (128 × 3 × 32 × 32, random data, 10
classes), float32 on CPU. One "step" is the whole training step: zero_grad, forward,
cross-entropy, backward, optimizer.step(). The three optimizers get identical model
copies and are timed interleaved (the order rotates every round) so that load from other
processes hits all three alike; the figures are medians over the rounds and only their
ratios are meant to be compared. The optimizer's own step() is timed separately, inside
each training step (cold caches: after the backward pass) and alone (``--repeat`` back-
to-back step() calls on fixed gradients, interleaved, warm caches).

Optimizers (issue 6 §6; 004 §4 settings):
- SGD: momentum 0.9, weight decay 1e-4 (the reference).
- SplitLBI: Mom-Wd (004 Eq. (13)-(14)), τ = 0.9, β = 1e-4, κ = 1, ν = 10, λ = 1; group
  lasso on conv filters, lasso on the fc weights, no penalty on BatchNorm and biases
  (and, as the optimizer's default, no weight decay on them either).
- BetaLasso: 001 Alg. 1 without momentum, β = 50, λ = 1e-6 on weights, 0 elsewhere.

Acceptance (issue 6): SplitLBI ≤ 1.10 × SGD's step time, BetaLasso ≤ 1.05 ×.

    python benchmarks/bench_optim.py [--models resnet20 d-conv] [--rounds 12]
                                     [--threads 2] [--batch 128]

Writes ``benchmarks/results/optim.json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from tensorcnn.optim import BetaLasso, SplitLBI, param_groups_by_kind
from tensorcnn.training.builders import build_model

MODELS = {"resnet20": "ResNet-20 (shortcut A)", "d-conv": "d-conv (001), alpha = 16"}
NAMES = ("sgd_momentum", "splitlbi", "beta_lasso")


def make_optimizers(models: dict[str, nn.Module]) -> dict[str, torch.optim.Optimizer]:
    return {
        "sgd_momentum": torch.optim.SGD(models["sgd_momentum"].parameters(), lr=0.1,
                                        momentum=0.9, weight_decay=1e-4),
        "splitlbi": SplitLBI(param_groups_by_kind(models["splitlbi"],
                                                  conv=dict(penalty="group"),
                                                  linear=dict(penalty="lasso"),
                                                  other=dict(penalty=None)),
                             lr=0.1, kappa=1.0, nu=10.0, lam=1.0, momentum=0.9,
                             weight_decay=1e-4),
        "beta_lasso": BetaLasso(param_groups_by_kind(models["beta_lasso"],
                                                     other=dict(lam=0.0)),
                                lr=0.1, lam=1e-6, beta=50.0),
    }


def _load_average() -> float | None:
    try:
        import os

        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def overhead_ratios(step: dict[str, float], opt_step: dict[str, float],
                    ref: str) -> dict[str, float]:
    """(SGD's whole step + this optimizer's step() − SGD's step()) / SGD's whole step.

    Forward and backward are the same computation for every optimizer (same model, same
    batch), so the difference between whole steps is the difference between the step()
    calls; this ratio uses only the short step() timings and is far less exposed to the
    load of other processes than the ratio of whole-step medians.
    """
    return {n: (step[ref] + opt_step[n] - opt_step[ref]) / step[ref] for n in step}


def state_bytes(optimizer: torch.optim.Optimizer) -> int:
    return sum(t.numel() * t.element_size() for state in optimizer.state.values()
               for t in state.values() if torch.is_tensor(t))


def bench_model(model_name: str, args: argparse.Namespace) -> dict:
    """Interleaved rounds of the three optimizers on one model; the ratios of the JSON."""
    torch.manual_seed(0)
    base = build_model(model_name, 10, 3, 32, alpha=16)
    names = NAMES
    models = {name: copy.deepcopy(base) for name in names}
    optimizers = make_optimizers(models)
    x = torch.randn(args.batch, 3, 32, 32)
    y = torch.randint(0, 10, (args.batch,))
    loss_fn = nn.CrossEntropyLoss()

    def train_step(name: str) -> tuple[float, float]:
        model, opt = models[name], optimizers[name]
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        before_step = time.perf_counter()
        opt.step()
        end = time.perf_counter()
        return end - start, end - before_step

    for _ in range(args.warmup):
        for name in names:
            train_step(name)
    step_times = {name: [] for name in names}
    opt_times = {name: [] for name in names}
    for r in range(args.rounds):
        order = names[r % 3:] + names[:r % 3]
        for name in order:
            total, only_opt = train_step(name)
            step_times[name].append(total)
            opt_times[name].append(only_opt)
    # step() alone: fixed gradients (those of the last training step), back-to-back calls.
    alone = {name: [] for name in names}
    for r in range(args.repeat):
        for name in names[r % 3:] + names[:r % 3]:
            start = time.perf_counter()
            optimizers[name].step()
            alone[name].append(time.perf_counter() - start)

    med = {name: statistics.median(step_times[name]) for name in names}
    # Paired: each round's step over the same round's SGD step, so that slow drifts of the
    # machine's load cancel; its median is the figure least disturbed by other processes.
    paired = {name: statistics.median(a / b for a, b in zip(step_times[name],
                                                            step_times["sgd_momentum"],
                                                            strict=True))
              for name in names}
    med_opt = {name: statistics.median(opt_times[name]) for name in names}
    med_alone = {name: statistics.median(alone[name]) for name in names}
    memory = {name: state_bytes(optimizers[name]) for name in names}
    ref = "sgd_momentum"
    overhead = overhead_ratios(med, med_opt, ref)
    return {
        "model": MODELS[model_name],
        "n_parameters": sum(p.numel() for p in base.parameters()),
        "parameter_bytes": sum(p.numel() * p.element_size() for p in base.parameters()),
        "median_step_seconds": med,
        "median_optimizer_step_seconds": med_opt,
        "median_optimizer_step_alone_seconds": med_alone,
        "step_time_ratio_vs_sgd_momentum": {n: med[n] / med[ref] for n in names},
        "paired_step_time_ratio_vs_sgd_momentum": paired,
        "overhead_step_time_ratio_vs_sgd_momentum": overhead,
        "optimizer_step_ratio_vs_sgd_momentum": {n: med_opt[n] / med_opt[ref] for n in names},
        "optimizer_step_alone_ratio_vs_sgd_momentum": {n: med_alone[n] / med_alone[ref]
                                                       for n in names},
        "optimizer_state_bytes": memory,
        "optimizer_state_ratio_vs_sgd_momentum": {n: memory[n] / memory[ref] for n in names},
        "step_time_quartiles_seconds": {
            n: statistics.quantiles(step_times[n], n=4) for n in names},
        "acceptance": {
            "splitlbi_le_1.10": med["splitlbi"] / med[ref] <= 1.10,
            "beta_lasso_le_1.05": med["beta_lasso"] / med[ref] <= 1.05,
            "paired_splitlbi_le_1.10": paired["splitlbi"] <= 1.10,
            "paired_beta_lasso_le_1.05": paired["beta_lasso"] <= 1.05,
            "overhead_splitlbi_le_1.10": overhead["splitlbi"] <= 1.10,
            "overhead_beta_lasso_le_1.05": overhead["beta_lasso"] <= 1.05},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS),
                        default=["resnet20", "d-conv"])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=30,
                        help="back-to-back step() calls per optimizer for 'step() alone'")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "optim.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tic = time.perf_counter()
    per_model = {name: bench_model(name, args) for name in args.models}
    result = {
        "setting": {"batch": args.batch, "input": [3, 32, 32], "dtype": "float32",
                    "device": "cpu", "threads": args.threads, "rounds": args.rounds,
                    "warmup": args.warmup, "repeat": args.repeat,
                    "torch": torch.__version__, "machine": platform.machine(),
                    "python": platform.python_version(),
                    "wall_seconds": time.perf_counter() - tic},
        "models": per_model,
        "load_average_1min_at_end": _load_average(),
        "paper_reference_004_table6": {"splitlbi_step_ratio_gpu": 0.0221 / 0.0197,
                                       "splitlbi_memory_ratio_gpu": 1459 / 1161},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for res in per_model.values():
        print(res["model"])
        for n in NAMES:
            print(f"  {n:<14} step {res['median_step_seconds'][n] * 1e3:8.1f} ms  "
                  f"ratio {res['step_time_ratio_vs_sgd_momentum'][n]:.3f}  "
                  f"paired {res['paired_step_time_ratio_vs_sgd_momentum'][n]:.3f}  "
                  f"overhead {res['overhead_step_time_ratio_vs_sgd_momentum'][n]:.3f}  "
                  f"step() {res['optimizer_step_ratio_vs_sgd_momentum'][n]:.2f} "
                  f"(alone {res['optimizer_step_alone_ratio_vs_sgd_momentum'][n]:.2f})  "
                  f"state {res['optimizer_state_ratio_vs_sgd_momentum'][n]:.2f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
