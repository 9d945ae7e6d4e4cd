"""tensorcnn report: several finished runs side by side, rebuilt without refitting."""

import json
import re

import numpy as np
import pytest

from tensorcnn.cli import main
from tensorcnn.simulation.report import check_run, load_run, write_report

TINY = ["--reps", "2", "--points", "3", "--quiet"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for inputs in ("iid", "var1"):
        extra = ["--truths", "2"] if inputs == "var1" else []
        assert main(["simulate", "theorem1", "--settings", "S1", "--inputs", inputs, *TINY,
                     *extra, "--out", str(root / inputs)]) == 0
    return root / "iid", root / "var1"


def test_report_of_two_runs_writes_combined_plot_and_report(two_runs, tmp_path, monkeypatch):
    import tensorcnn.simulation.runner as runner

    def no_fits(task):
        raise AssertionError("report refitted a task")

    monkeypatch.setattr(runner, "run_task", no_fits)
    out = tmp_path / "report"
    assert main(["report", *map(str, two_runs), "--out", str(out)]) == 0
    for figure in ("combined.png", "iid_curves.png", "var1_curves.png", "var1_truths.png"):
        assert (out / figure).stat().st_size > 0, figure
    text = (out / "report.md").read_text()
    for folder in two_runs:
        summary = json.loads((folder / "summary.json").read_text())
        for name, entry in summary.items():
            if name.startswith("_"):
                continue
            assert f"| {name} |" in text
            assert f"{entry['r2']:.4f}" in text and f"{entry['slope']:.4g}" in text
    assert text.count("results.csv agrees with summary.json") == 2
    assert "## iid" in text and "## var1" in text
    assert "Truth draws (root seeds 0, 1)" in text
    assert "(combined.png)" in text


def test_check_run_recomputes_means_from_the_rows(two_runs):
    record = load_run(two_runs[0])
    assert check_run(record) == []
    n = int(record.rows[0]["n"])
    mine = [r for r in record.rows if int(r["n"]) == n]
    assert record.summary["S1"]["mean"][0] == pytest.approx(
        np.mean([float(r["error"]) for r in mine]), rel=1e-12)
    record.rows[0]["error"] = str(float(record.rows[0]["error"]) + 1.0)
    problems = check_run(record)
    assert len(problems) == 1 and re.search(rf"S1, n = {n}: mean error", problems[0])
    record.rows.pop()
    assert any("fits in results.csv" in p for p in check_run(record))


def test_report_of_one_run_goes_into_its_folder_and_labels_are_unique(two_runs, tmp_path):
    import shutil

    copy = tmp_path / "iid"
    shutil.copytree(two_runs[0], copy)
    assert main(["report", str(copy)]) == 0
    assert (copy / "report.md").is_file() and (copy / "iid_curves.png").is_file()
    path = write_report([load_run(two_runs[0]), load_run(copy)], tmp_path / "twice")
    assert "## iid-2" in path.read_text()


def test_report_refuses_what_is_not_a_finished_run(two_runs, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="summary.json is missing"):
        main(["report", str(tmp_path / "empty")])
    with pytest.raises(SystemExit, match="--out is required"):
        main(["report", *map(str, two_runs)])
    with pytest.raises(SystemExit, match="--labels"):
        main(["report", *map(str, two_runs), "--labels", "a", "--out", str(tmp_path)])
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "summary.json").write_text('{"S1": {"x": [1]}}')
    (tmp_path / "bad" / "results.csv").write_text("")
    with pytest.raises(SystemExit, match="not a summary"):
        main(["report", str(tmp_path / "bad")])


def test_write_report_refuses_bad_records(tmp_path):
    with pytest.raises(ValueError, match="records"):
        write_report([], tmp_path)
    with pytest.raises(TypeError, match="RunRecord"):
        write_report([tmp_path], tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_run(tmp_path / "nowhere")
