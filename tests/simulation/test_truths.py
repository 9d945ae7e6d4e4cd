"""Truth draws in the CLI (--truths K / truths = K): the distribution equals r2_by_truth's."""

import csv
import json

import numpy as np
import pytest

from tensorcnn.cli import main
from tensorcnn.simulation import experiment_plan, parse_experiment, run_experiment
from tensorcnn.simulation.sensitivity import (
    r2_by_truth,
    summarize_r2_by_truth,
    truth_draws,
    truth_summary,
)

TINY = ["--reps", "2", "--points", "3", "--quiet"]


@pytest.fixture(scope="module")
def five_truths(tmp_path_factory):
    out = tmp_path_factory.mktemp("truths")
    assert main(["simulate", "theorem1", "--settings", "S1", "--inputs", "iid", *TINY,
                 "--truths", "5", "--out", str(out)]) == 0
    return out


def test_cli_truths_equal_r2_by_truth(five_truths):
    summary = json.loads((five_truths / "summary.json").read_text())
    library = r2_by_truth("theorem1", range(5), ["S1"], n_reps=2, inputs="iid", n_points=3,
                          progress=False)
    expected = summarize_r2_by_truth(library)["S1"]
    truths = summary["S1"]["truths"]
    for key, value in expected.items():
        assert truths[key] == value, key
    assert truths["seeds"] == [0, 1, 2, 3, 4]
    assert [d["r2"] for d in truths["draws"]] == [row["r2"] for row in library]
    assert [d["slope"] for d in truths["draws"]] == [row["slope"] for row in library]
    with (five_truths / "truths" / "results.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["r2"]) for r in rows] == [row["r2"] for row in library]
    # the fixed-truth fit is the run of the root seed, as without --truths
    assert summary["S1"]["r2"] == library[0]["r2"] == truths["draws"][0]["r2"]


def test_cli_truths_writes_both_figures_and_a_store_per_seed(five_truths):
    assert (five_truths / "truths_curves.png").stat().st_size > 0
    assert (five_truths / "truths_r2.png").stat().st_size > 0
    assert sorted(p.name for p in (five_truths / "truths").glob("seed_*")) == [
        f"seed_{s}" for s in range(1, 5)]


def test_truths_rerun_resumes_from_every_store(five_truths, capsys):
    before = json.loads((five_truths / "summary.json").read_text())["S1"]["truths"]
    assert main(["simulate", "theorem1", "--settings", "S1", "--inputs", "iid", *TINY,
                 "--truths", "5", "--out", str(five_truths)]) == 0
    assert "(0 computed" in capsys.readouterr().out
    assert json.loads((five_truths / "summary.json").read_text())["S1"]["truths"] == before


def test_quantiles_and_curves_against_numpy():
    plan = experiment_plan("theorem1", ["S1"], n_reps=2, inputs="iid", n_points=3)
    results = truth_draws(plan, [4, 7, 9], progress=False)
    entry = truth_summary(plan, results)["S1"]
    slopes = np.array([results[s].summary["S1"]["slope"] for s in (4, 7, 9)])
    assert entry["slope_median"] == pytest.approx(np.median(slopes))
    assert entry["slope_q10"] == pytest.approx(slopes.min() + 0.2 * (np.median(slopes)
                                                                     - slopes.min()))
    for draw, seed in zip(entry["draws"], (4, 7, 9)):
        own = run_experiment("theorem1", ["S1"], n_reps=2, seed=seed, inputs="iid",
                             n_points=3, progress=False)
        assert draw["mean"] == own.summary["S1"]["mean"]


def test_truths_from_the_file():
    text = ('truths = 3\nthreshold = 0.9\nreplications = 2\n[grid]\npoints = 3\n'
            '[[setting]]\nbase = "S1"\n')
    experiment = parse_experiment(text)
    assert (experiment.truths, experiment.threshold) == (3, 0.9)


def test_bad_truths_refused_before_work(tmp_path):
    with pytest.raises(SystemExit, match="--truths"):
        main(["simulate", "theorem1", "--truths", "0", "--out", str(tmp_path / "a")])
    with pytest.raises(SystemExit, match="--threshold"):
        main(["simulate", "theorem1", "--threshold", "1.5", "--out", str(tmp_path / "a")])
    assert not (tmp_path / "a").exists()
    plan = experiment_plan("theorem1", ["S1"], n_reps=1, inputs="iid", n_points=2)
    with pytest.raises(ValueError, match="seeds"):
        truth_draws(plan, [1, 1])
