"""R² over truth draws: rows per (seed, setting), the summary's shares, the script."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from tensorcnn.simulation import run_experiment
from tensorcnn.simulation.io import DirectoryStore
from tensorcnn.simulation.sensitivity import r2_by_truth, summarize_r2_by_truth

SCRIPT = Path(__file__).parents[2] / "simulations" / "truth_sensitivity.py"


def _script():
    spec = importlib.util.spec_from_file_location("truth_sensitivity", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rows_match_each_seeds_own_run_and_numpy_r2():
    rows = r2_by_truth("theorem1", [3, 1], ["S1"], n_reps=2, inputs="iid", progress=False)
    assert [(r["seed"], r["setting"]) for r in rows] == [(3, "S1"), (1, "S1")]
    for row in rows:
        run = run_experiment("theorem1", ["S1"], n_reps=2, seed=row["seed"], inputs="iid",
                             progress=False)
        by_n: dict = {}
        for fit in run.rows:
            by_n.setdefault(fit["n"], []).append(fit)
        x = np.array([group[0]["x"] for _, group in sorted(by_n.items())])
        mean = np.array([np.mean([f["error"] for f in group])
                         for _, group in sorted(by_n.items())])
        assert row["r2"] == pytest.approx(np.corrcoef(x, mean)[0, 1] ** 2, rel=1e-12)
        assert row["mean_first"] == pytest.approx(mean[0])
        assert row["mean_last"] == pytest.approx(mean[-1])
    # each seed is its own truth
    assert rows[0]["truth_norm"] != rows[1]["truth_norm"]


def test_resumes_from_each_seeds_checkpoint(tmp_path):
    def store(seed):
        return DirectoryStore(tmp_path / f"seed_{seed}")

    first = r2_by_truth("theorem1", [0, 2], ["S1"], n_reps=2, inputs="iid",
                        store_for_seed=store, progress=False)
    saved = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.json")}
    again = r2_by_truth("theorem1", [0, 2], ["S1"], n_reps=2, inputs="iid",
                        store_for_seed=store, progress=False)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.json")} == saved
    strip = [{k: v for k, v in r.items() if k != "wall_seconds"} for r in first]
    assert strip == [{k: v for k, v in r.items() if k != "wall_seconds"} for r in again]


def test_summary_counts_shares_and_seeds_below():
    r2 = [0.99, 0.94, 0.95, 0.97, 0.80]
    rows = [dict(seed=s, setting="A", r2=v, truth_norm=float(s)) for s, v in enumerate(r2)]
    rows += [dict(seed=0, setting="B", r2=0.5, truth_norm=1.0)]
    summary = summarize_r2_by_truth(rows, threshold=0.95)
    assert summary["A"]["share_at_least"] == pytest.approx(3 / 5)
    assert summary["A"]["below"] == [1, 4]
    assert summary["A"]["r2_median"] == pytest.approx(0.95)
    assert summary["A"]["r2_min"] == 0.80 and summary["A"]["r2_max"] == 0.99
    assert summary["B"]["spearman_r2_truth_norm"] is None
    assert summary["B"]["share_at_least"] == 0.0


def test_bad_input_is_refused_before_work():
    with pytest.raises(ValueError, match="name"):
        r2_by_truth("cp-kernels", [0])
    with pytest.raises(ValueError, match="seeds"):
        r2_by_truth("theorem1", [])
    with pytest.raises(ValueError, match="seeds"):
        r2_by_truth("theorem1", [1, 1])
    with pytest.raises(ValueError, match="seeds"):
        r2_by_truth("theorem1", [-1])
    with pytest.raises(ValueError, match="threshold"):
        summarize_r2_by_truth([dict(seed=0, setting="A", r2=1.0, truth_norm=1.0)], 1.5)
    with pytest.raises(ValueError, match="rows"):
        summarize_r2_by_truth([])


def test_script_parses_seeds_and_writes_its_files(tmp_path, capsys):
    module = _script()
    assert module.parse_seeds("0-3,7") == [0, 1, 2, 3, 7]
    with pytest.raises(Exception, match="seeds"):
        module.parse_seeds("3-1")
    assert module.main(["--out", str(tmp_path), "--settings", "S1", "--inputs", "iid",
                        "--seeds", "0-1", "--reps", "2"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["S1"]["n_truths"] == 2
    assert (tmp_path / "results.csv").read_text().count("\n") == 3
    assert (tmp_path / "r2_by_truth.png").stat().st_size > 0
    assert "S1: R² >= 0.95" in capsys.readouterr().out
