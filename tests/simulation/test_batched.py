"""The batched simulation engine (:mod:`tensorcnn.simulation.batched`): a batch of
replications gives, row by row, what :func:`~tensorcnn.simulation.fit_replication` gives
for each replication alone (bitwise on numpy, to rounding on torch), and refuses bad
input by name."""

from __future__ import annotations

import pytest

from tensorcnn.data import Setting
from tensorcnn.simulation.batched import batchable, fit_replications
from tensorcnn.simulation.replication import fit_replication

TUCKER = Setting("tiny-tucker", (6, 6, 2), (3, 3, 2), (2, 2, 1), 2, model="tucker",
                 ranks=(2, 2, 2, 1))
CP = Setting("tiny-cp", (6, 6, 2), (3, 3, 2), (2, 2, 1), 2, model="cp", ranks=(2,))
RANK = Setting("tiny-rank", (6, 5), (2, 2), (2, 2), 2)
SIZES = (60, 90, 140)
SEED = 5
TIMES = {"fit_seconds", "cpu_seconds"}


def _one_at_a_time(setting, reps, sizes=SIZES):
    return [row for rep in reps for row in fit_replication(setting, sizes, rep, SEED)]


def _without_times(rows):
    return [{k: v for k, v in row.items() if k not in TIMES} for row in rows]


@pytest.mark.parametrize("setting", [TUCKER, CP], ids=["tucker", "cp"])
@pytest.mark.parametrize("reps", [(0, 1, 2), (2,)])
def test_batch_is_bitwise_the_one_at_a_time_rows(setting, reps):
    assert batchable(setting)
    rows = fit_replications(setting, SIZES, reps, SEED)
    expected = _one_at_a_time(setting, reps)
    assert [(r["rep"], r["n"]) for r in rows] == [(r["rep"], r["n"]) for r in expected]
    assert _without_times(rows) == _without_times(expected)
    assert all(set(row) == set(want) for row, want in zip(rows, expected))
    assert all(row["fit_seconds"] >= 0 and row["cpu_seconds"] >= 0 for row in rows)


def test_batch_order_and_size_do_not_change_a_replication():
    """Replication 1 in the batch (2, 1) and in the batch (1,) alone: the same rows."""
    together = fit_replications(TUCKER, SIZES, (2, 1), SEED)
    alone = fit_replications(TUCKER, SIZES, (1,), SEED)
    assert _without_times(together[len(SIZES):]) == _without_times(alone)


@pytest.mark.parametrize("setting", [TUCKER, CP], ids=["tucker", "cp"])
def test_torch_cpu_rows_agree_to_rounding(setting):
    pytest.importorskip("torch")
    reps, sizes = (0, 2), (60, 140)
    rows = fit_replications(setting, sizes, reps, SEED, device="cpu")
    expected = fit_replications(setting, sizes, reps, SEED)
    for row, want in zip(rows, expected, strict=True):
        for column in ("setting", "model", "inputs", "d_M", "n", "x", "rep", "solver"):
            assert row[column] == want[column]
        for column in ("error", "objective", "prediction_error", "error_identified"):
            assert row[column] == pytest.approx(want[column], rel=1e-10), column


def test_rank_setting_falls_back_to_fit_replication():
    assert not batchable(RANK)
    assert not batchable(TUCKER, solver="gd")
    sizes = (40, 60)
    rows = fit_replications(RANK, sizes, (0, 3), SEED)
    assert _without_times(rows) == _without_times(_one_at_a_time(RANK, (0, 3), sizes))


@pytest.mark.parametrize("reps", [(), [], (-1,), (0, 1, 0), "01", 3, (1.5,), ((0, 1),)])
def test_bad_reps_are_refused_by_name(reps):
    with pytest.raises((ValueError, TypeError), match="reps"):
        fit_replications(TUCKER, SIZES, reps, SEED)


@pytest.mark.parametrize(("device", "error"), [("tpu9", ValueError), (3, TypeError),
                                                ("cuda", ValueError)])
def test_bad_device_is_refused_by_name(device, error):
    if device == "cuda":
        torch = pytest.importorskip("torch")
        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
    elif device == "tpu9":
        pytest.importorskip("torch")
    with pytest.raises(error, match="device"):
        fit_replications(TUCKER, SIZES, (0,), SEED, device=device)


@pytest.mark.parametrize(("argument", "value"), [("sizes", ()), ("sizes", (60, 60)),
                                                 ("sizes", "60"), ("seed", -1),
                                                 ("seed", 2.5)])
def test_bad_sizes_and_seed_are_refused_by_name(argument, value):
    call = dict(setting=TUCKER, sizes=SIZES, reps=(0,), seed=SEED)
    call[argument] = value
    with pytest.raises((ValueError, TypeError), match=argument):
        fit_replications(**call)


def test_check_device_passes_usable_devices_through():
    from tensorcnn.simulation.batched import check_device

    assert check_device(None) is None
    pytest.importorskip("torch")
    assert check_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="device"):
        check_device("tpu9")
    with pytest.raises(TypeError, match="device"):
        check_device(b"cpu")


def test_sweep_on_a_torch_device_resumes_and_matches_numpy(tmp_path):
    """#15 item 6: batched tasks (device="cpu") through run_sweep, joblib workers, an
    interrupted checkpoint and its resume: the rows of the numpy sweep, to rounding."""
    pytest.importorskip("torch")
    from tensorcnn.simulation.io import DirectoryStore
    from tensorcnn.simulation.runner import make_tasks, run_sweep

    tasks = make_tasks([TUCKER], 6, SEED, sizes={TUCKER.name: SIZES[:2]}, batch_size=2)
    reference, _ = run_sweep(tasks, progress=False)

    class Interrupting(DirectoryStore):
        def save(self, task, rows):
            super().save(task, rows)
            raise KeyboardInterrupt            # after the first finished task

    with pytest.raises(KeyboardInterrupt):
        run_sweep(tasks, store=Interrupting(tmp_path), progress=False, device="cpu")
    store = DirectoryStore(tmp_path)
    assert len(store.done()) == 1
    # the two tasks left run in two joblib workers
    resumed, _ = run_sweep(tasks, store=store, progress=False, device="cpu", workers=2)
    assert [(r["rep"], r["n"]) for r in resumed] == [(r["rep"], r["n"]) for r in reference]
    for got, want in zip(resumed, reference):
        for column in ("error", "objective", "prediction_error"):
            assert got[column] == pytest.approx(want[column], rel=1e-10)


def test_sweep_refuses_a_bad_device_before_any_work():
    from tensorcnn.simulation.runner import make_tasks, run_sweep

    tasks = make_tasks([TUCKER], 1, SEED, sizes={TUCKER.name: SIZES[:1]})
    with pytest.raises(ValueError, match="device"):
        run_sweep(tasks, progress=False, device="tpu9")
