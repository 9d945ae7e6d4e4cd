"""The sweep runner: grid, seeds across backends, checkpoint/resume, summary, CLI."""

import json

import numpy as np
import pytest

from tensorcnn.cli import main
from tensorcnn.data import preset
from tensorcnn.simulation import make_tasks, run_sweep, sample_sizes, summarize
from tensorcnn.simulation.io import DirectoryStore

NUMBERS = ("setting", "n", "rep", "error", "error_identified", "prediction_error",
           "objective", "n_iter", "converged")


def _numbers(rows):
    return [tuple(row[k] for k in NUMBERS) for row in rows]


def _small_tasks(batch_size=2, settings=("S1", "S3-var1")):
    return make_tasks([preset(s) for s in settings], n_reps=3, seed=11, n_points=3,
                      batch_size=batch_size)


def test_sample_sizes_are_on_the_paper_grid():
    sizes = sample_sizes(51, 10)
    x = np.sqrt(51 / sizes)
    np.testing.assert_allclose(x, np.linspace(0.15, 0.60, 10), atol=0.002)
    assert sizes[0] == round(51 / 0.15**2) and sizes.min() > 51
    with pytest.raises(ValueError, match="n_points"):
        sample_sizes(51, 1)
    with pytest.raises(ValueError, match="distinct"):
        sample_sizes(1, 10)


def test_same_numbers_sequential_joblib_and_batching():
    sequential, _ = run_sweep(_small_tasks(batch_size=3), progress=False)
    parallel, _ = run_sweep(_small_tasks(batch_size=1), workers=2, progress=False)
    assert _numbers(sequential) == _numbers(parallel)
    assert len(sequential) == 2 * 3 * 3


def test_interrupt_and_resume_gives_identical_numbers(tmp_path):
    reference, _ = run_sweep(_small_tasks(), progress=False)

    class Interrupting(DirectoryStore):
        saves = 0

        def save(self, task, rows):
            if self.saves == 3:
                raise KeyboardInterrupt
            type(self).saves += 1
            super().save(task, rows)

    with pytest.raises(KeyboardInterrupt):
        run_sweep(_small_tasks(), store=Interrupting(tmp_path), progress=False)
    store = DirectoryStore(tmp_path)
    assert len(store.done()) == 3
    finished = {row["task"]: row["error"] for row in store.load()}

    ran = []
    original = store.save

    def spy(task, rows):
        ran.append(task.key)
        original(task, rows)

    store.save = spy
    resumed, _ = run_sweep(_small_tasks(), store=store, progress=False)
    assert _numbers(resumed) == _numbers(reference)
    assert not set(ran) & set(finished)          # finished tasks were not recomputed
    assert len(ran) == len(_small_tasks()) - 3


def test_dask_local_cluster_gives_the_same_numbers():
    distributed = pytest.importorskip("distributed")
    reference, _ = run_sweep(_small_tasks(settings=("S1",)), progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        rows, _ = run_sweep(_small_tasks(settings=("S1",)), scheduler=client, progress=False)
        # a scheduler address (what --scheduler passes) opens and closes its own client
        by_address, _ = run_sweep(_small_tasks(settings=("S1",)),
                                  scheduler=cluster.scheduler_address, progress=False)
    assert _numbers(rows) == _numbers(reference)
    assert _numbers(by_address) == _numbers(reference)


def test_summary_linear_fit_matches_numpy():
    settings = [preset("S1")]
    rows, seconds = run_sweep(make_tasks(settings, 2, 0, n_points=4), progress=False)
    summary = summarize(rows, settings, 0, wall_seconds=seconds)
    entry = summary["S1"]
    x = np.array(entry["x"])
    mean = np.array([np.mean([r["error"] for r in rows if r["n"] == n]) for n in entry["n"]])
    slope, intercept = np.polyfit(x, mean, 1)
    r2 = np.corrcoef(x, mean)[0, 1] ** 2
    assert entry["slope"] == pytest.approx(slope) and entry["intercept"] == pytest.approx(
        intercept)
    assert entry["r2"] == pytest.approx(r2)
    assert entry["bound"]["defined"] and len(entry["bound"]["values"]) == 4
    assert summary["_run"]["n_fits"] == 8


def test_vacuous_bound_is_reported_not_inf():
    settings = [preset("T1")]
    rows, _ = run_sweep(make_tasks(settings, 1, 0, n_points=2), progress=False)
    entry = summarize(rows, settings, 0)["T1"]
    assert entry["bound"] == dict(defined=False, reason=entry["constants"]["reason"])
    assert "c_u = 0" in entry["bound"]["reason"]


def test_bad_sweep_input_before_work():
    with pytest.raises(ValueError, match="n_reps"):
        make_tasks([preset("S1")], 0, 0)
    with pytest.raises(ValueError, match="solver"):
        make_tasks([preset("S1")], 1, 0, solver="sgd")
    with pytest.raises(ValueError, match="distinct names"):
        make_tasks([preset("S1"), preset("S1")], 1, 0)
    with pytest.raises(ValueError, match="below the"):
        make_tasks([preset("S2")], 1, 0, sizes={"S2": [40]})
    with pytest.raises(ValueError, match="workers"):
        run_sweep([], workers=0)


def test_cli_writes_results_summary_and_plot(tmp_path, capsys):
    code = main(["simulate", "theorem1", "--settings", "S1", "--inputs", "iid", "--reps", "2",
                 "--points", "3", "--quiet", "--out", str(tmp_path)])
    assert code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {"slope", "intercept", "r2", "mean", "sd", "solver"} <= set(summary["S1"])
    assert (tmp_path / "fig3_1_theorem1_iid.png").stat().st_size > 0
    lines = (tmp_path / "results.csv").read_text().splitlines()
    assert len(lines) == 1 + 3 * 2
    with pytest.raises(SystemExit, match="S1-S4"):
        main(["simulate", "theorem1", "--settings", "T1", "--out", str(tmp_path)])


def test_classification_rows_and_logit_scale():
    setting = preset("S3").as_classification()
    truth = setting.draw_weights(0)
    assert np.linalg.norm(setting.spec.composite_weight(truth.A, truth.B)) == pytest.approx(1.0)
    rows, _ = run_sweep(make_tasks([setting], 2, 0, n_points=2, grid=(0.2, 0.3)),
                        progress=False)
    assert len(rows) == 4 and all(r["setting"] == "S3-logit" for r in rows)
    assert all(np.isfinite(r["error"]) for r in rows)


def test_replication_nests_samples_across_sizes():
    """Row at size n = a direct fit on the first n of one draw, tested on the 200 after n_max."""
    from tensorcnn.estimators import RankKRegressor
    from tensorcnn.simulation import fit_replication, simulate_regression
    from tensorcnn.simulation.replication import replication_streams, setting_truth

    setting = preset("S1-var1")
    sizes = (60, 90, 150)
    rows = fit_replication(setting, sizes, rep=4, seed=9)
    weights, transition = setting_truth(setting, 9)
    data_stream, solver_stream = replication_streams(setting, 9, 4)
    data = simulate_regression(setting, 150, weights, transition,
                               np.random.default_rng(data_stream))
    starts = np.random.default_rng(solver_stream)
    X_all = np.concatenate([data.X, data.X_test])
    y_all = np.concatenate([data.y, data.y_test])
    Z_all = setting.spec.design(X_all)
    assert [r["n"] for r in rows] == list(sizes)
    for row, n in sorted(zip(rows, sizes), key=lambda pair: -pair[1]):   # the run's order
        fit = RankKRegressor(setting.spec, rng=starts).fit_design(Z_all[:n], y_all[:n])
        assert row["error"] == pytest.approx(np.linalg.norm(fit.W_ - weights.W), rel=1e-9)
        delta_x = setting.spec.composite_weight(fit.A_, fit.B_) - setting.spec.composite_weight(
            weights.A, weights.B)
        gap = X_all[150:350].reshape(200, -1) @ delta_x.ravel()
        assert row["prediction_error"] == pytest.approx(np.sqrt(np.mean(gap**2)), rel=1e-6)


@pytest.mark.parametrize("argv, flag", [
    (["theorem2", "--inputs", "var1"], "--inputs"),
    (["theorem1", "--paper-size"], "--paper-size"),
    (["cp-kernels", "--points", "10"], "--points"),
])
def test_cli_refuses_flags_it_would_ignore(tmp_path, argv, flag):
    with pytest.raises(SystemExit, match=f"{flag} does not apply"):
        main(["simulate", *argv, "--out", str(tmp_path)])
    assert not (tmp_path / "config.json").exists()        # refused before any work


def test_cli_refuses_another_configuration_in_the_same_out(tmp_path):
    base = ["simulate", "theorem1", "--inputs", "iid", "--reps", "2", "--points", "2",
            "--quiet", "--out", str(tmp_path)]
    assert main([*base, "--settings", "S1"]) == 0
    assert main([*base, "--settings", "S1"]) == 0             # the same one resumes
    with pytest.raises(SystemExit, match=r"settings: \['S1'\] -> \['S3'\]"):
        main([*base, "--settings", "S3"])
    assert "S1" in json.loads((tmp_path / "summary.json").read_text())
    assert main([*base, "--settings", "S3", "--overwrite"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert "S3" in summary and "S1" not in summary
    with pytest.raises(SystemExit, match="names no setting"):
        main([*base, "--settings", " , "])


def test_python_dash_m_runs_the_cli():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "tensorcnn", "--version"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("tensorcnn ")
