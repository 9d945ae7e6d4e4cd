"""Simulation checkpoints that cannot lie: every untrusted task file is named and recomputed.

The corrupt matrix of the checkpoint issue: a file replaced by ``[]`` or by a JSON object, a
truncated file, a row removed (with and without a recomputed checksum), a flipped digit, a
file of another seed, of another setting with the same name; ``strict`` stops instead; and
the run reports how many fits were loaded and how many computed.
"""

import json
import warnings
from dataclasses import replace

import pytest

from tensorcnn.data import preset
from tensorcnn.simulation import make_tasks, run_sweep, summarize
from tensorcnn.simulation.io import (
    CheckpointError,
    CheckpointWarning,
    DirectoryStore,
    _digest,
)

NUMBERS = ("setting", "n", "rep", "error", "objective")


def _tasks(seed=11, setting=None):
    return make_tasks([setting or preset("S1")], n_reps=2, seed=seed, n_points=3,
                      batch_size=1)


def _numbers(rows):
    return [tuple(row[k] for k in NUMBERS) for row in rows]


@pytest.fixture(scope="module")
def reference():
    rows, _ = run_sweep(_tasks(), progress=False)
    return _numbers(rows)


def _finished_store(tmp_path):
    run_sweep(_tasks(), store=DirectoryStore(tmp_path), progress=False)
    files = sorted((tmp_path / "checkpoint").glob("*.json"))
    assert len(files) == 2
    return files[0]


def _edit_rows(path, edit, fix_checksum):
    payload = json.loads(path.read_text())
    payload["rows"] = edit(payload["rows"])
    if fix_checksum:
        payload["checksum"] = _digest(payload["rows"])
    path.write_text(json.dumps(payload))


def _flip_a_digit(path):
    text = path.read_text()
    at = text.index('"error": ') + len('"error": ') + 3
    digit = "1" if text[at] != "1" else "2"
    path.write_text(text[:at] + digit + text[at + 1:])


CORRUPTIONS = {
    "empty list": (lambda p: p.write_text("[]"), "not a tensorcnn-simulation-task file"),
    "json object": (lambda p: p.write_text('{"a": 1}'), "not a tensorcnn-simulation-task"),
    "truncated": (lambda p: p.write_text(p.read_text()[:500]), "unreadable"),
    "binary garbage": (lambda p: p.write_bytes(b"\xff\xfe\x00garbage"), "unreadable"),
    "row removed": (lambda p: _edit_rows(p, lambda r: r[:-1], False), "checksum mismatch"),
    "row removed, checksum redone": (lambda p: _edit_rows(p, lambda r: r[:-1], True),
                                     "incomplete: 2 rows for 3"),
    "row duplicated, checksum redone": (lambda p: _edit_rows(p, lambda r: r[:-1] + r[:1], True),
                                        "incomplete"),
    "digit flipped": (_flip_a_digit, "checksum mismatch"),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_a_corrupt_file_is_named_and_its_task_recomputed(tmp_path, reference, corruption):
    path = _finished_store(tmp_path)
    corrupt, reason = CORRUPTIONS[corruption]
    corrupt(path)
    store = DirectoryStore(tmp_path)
    report = {}
    with pytest.warns(CheckpointWarning, match=reason) as caught:
        rows, _ = run_sweep(_tasks(), store=store, progress=False, report=report)
    assert str(path) in str(caught[0].message)
    assert _numbers(rows) == reference                      # all 6 fits, the right ones
    assert report["loaded_fits"] == 3 and report["computed_fits"] == 3
    assert len(report["rejected_files"]) == 1
    # the recomputed task was written again and is trusted now
    with warnings.catch_warnings():
        warnings.simplefilter("error", CheckpointWarning)
        again, _ = run_sweep(_tasks(), store=DirectoryStore(tmp_path), progress=False,
                             report=report)
    assert _numbers(again) == reference and report["computed_fits"] == 0


def test_strict_store_stops_naming_the_file(tmp_path):
    path = _finished_store(tmp_path)
    path.write_text("[]")
    with pytest.raises(CheckpointError, match=str(path.name)):
        run_sweep(_tasks(), store=DirectoryStore(tmp_path, strict=True), progress=False)


def test_a_file_of_another_seed_under_this_key_is_not_taken(tmp_path, reference):
    other = tmp_path / "other"
    run_sweep(_tasks(seed=12), store=DirectoryStore(other), progress=False)
    mine = _tasks()
    for task, foreign in zip(mine, _tasks(seed=12)):
        (tmp_path / "checkpoint").mkdir(exist_ok=True)
        (other / "checkpoint" / f"{foreign.key}.json").rename(
            tmp_path / "checkpoint" / f"{task.key}.json")
    with pytest.warns(CheckpointWarning, match="from another run .*key"):
        rows, _ = run_sweep(mine, store=DirectoryStore(tmp_path), progress=False)
    assert _numbers(rows) == reference


def test_a_changed_setting_with_the_same_name_is_not_taken(tmp_path):
    _finished_store(tmp_path)
    louder = replace(preset("S1"), noise_sd=2.0)
    with pytest.warns(CheckpointWarning, match="setting_hash"):
        rows, _ = run_sweep(_tasks(setting=louder), store=DirectoryStore(tmp_path),
                            progress=False)
    fresh, _ = run_sweep(_tasks(setting=louder), progress=False)
    assert _numbers(rows) == _numbers(fresh)


def test_summary_bound_is_the_same_whatever_the_blas_threads(tmp_path):
    from threadpoolctl import threadpool_limits

    from tensorcnn.simulation.replication import _cached_truth

    setting = preset("S1-var1")
    rows, _ = run_sweep(make_tasks([setting], 2, 0, n_points=2), progress=False)
    summaries = []
    for threads in (1, 2):
        _cached_truth.cache_clear()                       # Φ drawn again, in this process
        with threadpool_limits(threads):
            summaries.append(summarize(rows, [setting], 0)[setting.name])
    assert summaries[0]["constants"] == summaries[1]["constants"]
    assert summaries[0]["bound"] == summaries[1]["bound"]


def test_unreachable_scheduler_fails_with_one_clear_error():
    pytest.importorskip("distributed")
    with pytest.raises(ConnectionError, match="not reachable within 5 s"):
        run_sweep(_tasks(), scheduler="tcp://127.0.0.1:9", progress=False)
