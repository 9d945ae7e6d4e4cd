"""Speed of the Tucker-like operator against torch's own conv + pool + FC and against U_G.

Geometry of 003 App. A.5.1: 32×32 inputs with 16 channels (the channel mode is a third
mode that the kernel spans fully), 8×8 kernels, stride 1, 5×5 average pooling, K = 8,
a batch of 1000, float64. Timings are medians over repeats in one run; only ratios are
meant to be compared. Writes ``benchmarks/results/operator.json``.

    python benchmarks/bench_operator.py [--batch 1000] [--repeats 5] [--skip-ug]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from tensorcnn import CNNSpec


def median_time(function, repeats: int) -> float:
    function()  # warm-up: caches, allocator, thread pool
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-ug", action="store_true",
                        help="skip the materialised-U_G baseline (3.4 GB in float64)")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "operator.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    spec = CNNSpec((32, 32, 16), (8, 8, 16), (5, 5, 1), n_kernels=8)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((8, *spec.kernel_shape))
    B = rng.standard_normal((8, *spec.pooled_shape))
    X = rng.standard_normal((args.batch, *spec.input_shape))

    # torch's network: channels first, the kernel spans the 16 channels.
    X_t = torch.from_numpy(X).permute(0, 3, 1, 2).contiguous()
    A_t = torch.from_numpy(A).permute(0, 3, 1, 2).contiguous()
    B_t = torch.from_numpy(B[..., 0])

    def torch_network(x, a, b):
        with torch.no_grad():
            out = torch.nn.functional.conv2d(x, a)
            out = torch.nn.functional.avg_pool2d(out, 5)
            return (out * b).flatten(1).sum(1)

    W = spec.weight(A, B)
    reference = torch_network(X_t, A_t, B_t).numpy()
    checks = {
        "forward": spec.forward(X, A, B),
        "design_contraction": spec.design(X).reshape(args.batch, -1) @ W.ravel(),
    }
    errors = {k: float(np.abs(v - reference).max() / np.abs(reference).max())
              for k, v in checks.items()}

    timings = {
        "torch_conv_pool_fc_float64": median_time(lambda: torch_network(X_t, A_t, B_t),
                                                  args.repeats),
        "torch_conv_pool_fc_float32": median_time(
            lambda: torch_network(X_t.float(), A_t.float(), B_t.float()), args.repeats),
        "design_plus_contraction": median_time(
            lambda: spec.design(X).reshape(args.batch, -1) @ W.ravel(), args.repeats),
        "design_only": median_time(lambda: spec.design(X), args.repeats),
        "forward_composite_weight": median_time(lambda: spec.forward(X, A, B), args.repeats),
    }
    if not args.skip_ug:
        start = time.perf_counter()
        U_G = spec.design_matrix(max_entries=10**9)
        timings["build_U_G"] = time.perf_counter() - start
        X_flat = X.reshape(args.batch, -1)
        timings["materialised_U_G_matmul"] = median_time(lambda: X_flat @ U_G,
                                                         max(1, args.repeats // 2))
        errors["materialised_U_G"] = float(np.abs(
            (X_flat @ U_G) @ W.ravel() - reference).max() / np.abs(reference).max())
        del U_G

    base = timings["torch_conv_pool_fc_float64"]
    ratios = {
        "design_plus_contraction_over_torch64": timings["design_plus_contraction"] / base,
        "forward_over_torch64": timings["forward_composite_weight"] / base,
        "forward_over_torch32": timings["forward_composite_weight"]
        / timings["torch_conv_pool_fc_float32"],
    }
    if "materialised_U_G_matmul" in timings:
        ratios["materialised_U_G_over_design"] = (timings["materialised_U_G_matmul"]
                                                  / timings["design_only"])
    result = {
        "benchmark": "Tucker-like CNN operator vs torch conv+pool+FC and materialised U_G",
        "geometry": {"input_shape": spec.input_shape, "kernel_shape": spec.kernel_shape,
                     "pool_shape": spec.pool_shape, "n_kernels": 8, "batch": args.batch,
                     "dtype": "float64"},
        "machine": {"threads": args.threads, "platform": platform.platform(),
                    "torch": torch.__version__, "numpy": np.__version__},
        "seconds_median": timings,
        "ratios": ratios,
        "max_relative_error_vs_torch": errors,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    for name, value in ratios.items():
        print(f"{name:<42} {value:8.3f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
