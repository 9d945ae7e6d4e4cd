"""The benchmarks' GD baseline is the paper's protocol: same iterates as the textbook loop."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "_paper_protocol.py"
_spec = importlib.util.spec_from_file_location("_paper_protocol", _PATH)
protocol = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(protocol)


def _textbook(M, y, A, B, tol, max_iter):
    """Heavy-ball GD written out in numpy: step, evaluate, compare (003 §4.1)."""
    n = y.size
    vel_a, vel_b = np.zeros_like(A), np.zeros_like(B)

    def f(A, B):
        r = y - M @ (B.T @ A).ravel()
        return r @ r / n

    f_old = f(A, B)
    for step in range(1, max_iter + 1):
        r = y - M @ (B.T @ A).ravel()
        grad = (-2.0 / n) * (r @ M).reshape(B.shape[1], A.shape[1])
        vel_a = 0.9 * vel_a + B @ grad
        vel_b = 0.9 * vel_b + A @ grad.T
        A, B = A - 0.01 * vel_a, B - 0.01 * vel_b
        f_new = f(A, B)
        drop = f_old - f_new
        if 0 <= drop < tol * f_old:
            return f_new, step
        f_old = f_new
    return f_old, max_iter


@pytest.mark.parametrize("seed", [0, 1])
def test_rank_k_protocol_matches_the_textbook_loop(seed):
    rng = np.random.default_rng(seed)
    n, P, L, K = 80, 3, 4, 2
    M = rng.standard_normal((n, P * L))
    y = M @ rng.standard_normal(P * L) + 0.1 * rng.standard_normal(n)
    A0, B0 = 0.3 * rng.standard_normal((K, L)), 0.3 * rng.standard_normal((K, P))
    expected = _textbook(M, y, A0, B0, 1e-8, 5000)
    A = torch.tensor(A0, requires_grad=True)
    B = torch.tensor(B0, requires_grad=True)
    got = protocol.paper_gd(M, y, protocol.rank_k_theta(A, B), [A, B], 1e-8, 5000)
    assert got[1] == expected[1] and expected[1] < 5000
    assert got[0] == pytest.approx(expected[0], rel=1e-10)


def test_tucker_theta_is_the_tucker_cnn():
    rng = np.random.default_rng(2)
    import tensorly as tl

    core = rng.standard_normal((2, 2, 3))
    factors = [rng.standard_normal((3, 2)), rng.standard_normal((4, 2)),
               rng.standard_normal((5, 3))]            # last: K = 5 kernels
    B = rng.standard_normal((5, 6))
    stack = tl.tucker_to_tensor((core, factors))           # (3, 4, 5)
    expected = sum(np.outer(B[k], stack[..., k].ravel()) for k in range(5)).ravel()
    got = protocol.tucker_theta(torch.tensor(core), [torch.tensor(f) for f in factors],
                                torch.tensor(B))()
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
