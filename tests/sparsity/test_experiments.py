"""Fig. 1 / Fig. 2 helpers of 002 §4.3–4.4: sparsity, normalised loss, matched comparison."""

import numpy as np
import pytest

from tensorcnn.sparsity.datasets import make_group_sparse_regression
from tensorcnn.sparsity.experiments import (
    column_sparsity,
    gamma_experiment,
    matched_comparison,
    normalized_loss,
    tradeoff_curves,
)


def test_column_sparsity_and_normalised_loss_by_hand():
    W = np.array([[0.0, 5e-4], [1e-3, 0.0], [0.2, -0.3], [-9e-4, 9e-4]])
    assert column_sparsity(W) == pytest.approx(2 / 4)  # rows 0 and 3 are all < 1e-3
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((10, 4)), rng.standard_normal((10, 2))
    expected = np.sum((Y - X @ W) ** 2) / np.sum(Y ** 2)
    assert normalized_loss(X, Y, W, "squared") == pytest.approx(expected, rel=1e-12)
    assert normalized_loss(X, Y, np.zeros((4, 2)), "squared") == 1.0


def test_matched_comparison_uses_the_lower_envelope():
    rows = [dict(method="group_lasso", sparsity=0.0, loss=0.1),
            dict(method="group_lasso", sparsity=0.5, loss=0.4),
            dict(method="shrinknet", sparsity=0.25, loss=0.2),
            dict(method="shrinknet", sparsity=1.0, loss=1.0)]
    out = {r["sparsity"]: r for r in matched_comparison(rows)}
    assert out[0.25]["group_lasso"] == 0.4 and out[0.25]["shrinknet"] == 0.2
    assert out[0.0]["shrinknet"] == 0.2 and not out[0.0]["shrinknet_at_or_below"]
    assert out[0.5]["shrinknet"] == 1.0 and not out[0.5]["shrinknet_at_or_below"]


def test_shrinknet_curve_at_or_below_group_lasso_on_synthetic_multitarget():
    X, Y, _ = make_group_sparse_regression(150, 15, 4, 4, noise=1.0, rng=3)
    rows = tradeoff_curves(X, Y, "squared", n_lams=8)
    assert all(0 <= r["loss"] <= 1 + 1e-12 for r in rows)
    for method in ("group_lasso", "shrinknet"):
        assert max(r["sparsity"] for r in rows if r["method"] == method) == 1.0
    matched = [m for m in matched_comparison(rows) if m["reached_by_both"]]
    assert len(matched) >= 3
    assert all(m["shrinknet_at_or_below"] for m in matched), matched


def test_gamma_experiment_rows_and_cost():
    X, Y, _ = make_group_sparse_regression(80, 6, 2, 2, rng=0)
    rows = gamma_experiment(X, Y, [0.2, 0.99], 0.05, 1e-3, repetitions=2, rng=0, epochs=4,
                            lr=0.05, batch_size=40)
    assert len(rows) == 2 * 3
    base = [r for r in rows if r["gamma"] is None]
    assert all(r["cost"] == 6 * 4 for r in base)  # no removal: d inputs in every epoch
    assert all(r["cost"] <= 6 * 4 for r in rows)
    again = gamma_experiment(X, Y, [0.2, 0.99], 0.05, 1e-3, repetitions=2, rng=0, epochs=4,
                             lr=0.05, batch_size=40)
    assert [r["final_loss"] for r in rows] == [r["final_loss"] for r in again]


def test_cli_runs_the_simulation(tmp_path):
    from tensorcnn.cli import main

    out = tmp_path / "run"
    code = main(["shrinknet", "--out", str(out), "--skip-tradeoff", "--reps", "2",
                 "--epochs", "2", "--gammas", "0.5", "--datasets", "synthetic_multitarget"])
    assert code == 0
    assert {"gamma.csv", "gamma.png", "summary.json"} <= {p.name for p in out.iterdir()}
