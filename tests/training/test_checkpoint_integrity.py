"""Training checkpoints that cannot lie (issue #18).

The refusal matrix: a byte-flipped, truncated, empty or foreign file is refused naming the
file; a rerun with another seed / lr (or optimizer hyperparameter) is refused naming the
keys; fewer epochs is refused; more epochs needs ``--extend`` and then follows the schedule
of the new total; bad ``--out`` / ``--json`` / ``--checkpoint`` paths fail before any
training; an interrupted run resumed by the same command ends bit-identical to an
uninterrupted one.
"""

from __future__ import annotations

import json
import os

import pytest
import torch

import tensorcnn.training.loop as loop
from tensorcnn.cli import main
from tensorcnn.training import BatchLoader, fit, load_checkpoint, make_scheduler, synthetic_images
from tensorcnn.training.checkpoint import (
    MAGIC,
    CheckpointError,
    CheckpointMismatchError,
    save_checkpoint,
)

from . import workers


@pytest.fixture(autouse=True)
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)  # the command sets --threads for the whole process


def argv(tmp_path, *extra, epochs=2, checkpoint="c.pt", out="r.json", optimizer="splitlbi"):
    args = ["train", "--model", "s-fc", "--alpha", "2", "--dataset", "synthetic",
            "--image-size", "8", "--optimizer", optimizer, "--lam", "0.05",
            "--momentum", "0.9", "--epochs", str(epochs), "--batch-size", "500", "--threads",
            "1", "--quiet"]
    if checkpoint is not None:
        args += ["--checkpoint", str(tmp_path / checkpoint)]
    if out is not None:
        args += ["--json", str(tmp_path / out)]
    return args + list(extra)


def refused(capsys, args) -> str:
    """Run the command, expect exit code 2 and exactly one line on stderr; return it."""
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def no_training(monkeypatch):
    """Make any epoch of training fail the test."""
    def train_epoch(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(loop, "train_epoch", train_epoch)


def without_time(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished 2-epoch SplitLBI run of the command: its folder and checkpoint bytes."""
    folder = tmp_path_factory.mktemp("finished")
    threads = torch.get_num_threads()
    try:
        assert main(argv(folder)) == 0
    finally:
        torch.set_num_threads(threads)
    return folder, (folder / "c.pt").read_bytes()


def copy_of(finished, tmp_path, data=None):
    (tmp_path / "c.pt").write_bytes(finished[1] if data is None else data)
    return tmp_path / "c.pt"


# -- corrupt files ------------------------------------------------------------------------

def test_byte_flipped_checkpoint_is_refused_by_name(finished, tmp_path, capsys, monkeypatch):
    data = bytearray(finished[1])
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(b ^ 0xFF for b in data[middle:middle + 64])
    path = copy_of(finished, tmp_path, bytes(data))
    with pytest.raises(CheckpointError, match=f"{path}.*checksum"):
        load_checkpoint(path)
    no_training(monkeypatch)
    err = refused(capsys, argv(tmp_path))
    assert str(path) in err and "checksum" in err
    assert not (tmp_path / "r.json").exists()
    # A flip inside the header is refused as well.
    data = bytearray(finished[1])
    data[len(MAGIC) + 5] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=str(path)):
        load_checkpoint(path)


@pytest.mark.parametrize("keep", ["half", "header", "empty", "one byte short"])
def test_truncated_or_empty_checkpoint_is_refused_by_name(finished, tmp_path, capsys,
                                                          monkeypatch, keep):
    data = finished[1]
    end = data.index(b"\n", len(MAGIC)) + 1
    cut = {"half": len(data) // 2, "header": end, "empty": 0,
           "one byte short": len(data) - 1}[keep]
    path = copy_of(finished, tmp_path, data[:cut])
    reason = "not a tensorcnn checkpoint" if keep == "empty" else "truncated"
    with pytest.raises(CheckpointError, match=f"{path}.*{reason}"):
        load_checkpoint(path)
    no_training(monkeypatch)
    err = refused(capsys, argv(tmp_path))
    assert str(path) in err and reason in err


def test_a_plain_torch_file_is_not_taken_for_a_checkpoint(tmp_path):
    """A file of torch.save (another program, or a checkpoint without checksum) is refused."""
    model = workers.make_model()
    torch.save({"model": model.state_dict(), "epoch": 0}, tmp_path / "old.pt")
    with pytest.raises(CheckpointError, match=f"{tmp_path / 'old.pt'}.*not a tensorcnn"):
        load_checkpoint(tmp_path / "old.pt")


def test_a_failed_write_leaves_the_previous_checkpoint_and_no_temporary_file(tmp_path,
                                                                            monkeypatch):
    path = save_checkpoint(tmp_path / "c.pt", epoch=1, records=[])
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(CheckpointError, match=f"{path}.*No space left"):
        save_checkpoint(path, epoch=2, records=[{"epoch": 2}])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1


# -- another run's checkpoint --------------------------------------------------------------

def test_changed_seed_and_lr_are_refused_naming_the_keys(finished, tmp_path, capsys,
                                                         monkeypatch):
    path = copy_of(finished, tmp_path)
    no_training(monkeypatch)
    err = refused(capsys, argv(tmp_path, "--seed", "99", "--lr", "0.5"))
    assert str(path) in err
    assert "seed: 0 -> 99" in err and "lr: 0.1 -> 0.5" in err
    assert path.read_bytes() == finished[1]  # untouched
    assert not (tmp_path / "r.json").exists()  # no records of the old run under new args
    err = refused(capsys, argv(tmp_path, "--schedule", "step", "--augment"))
    assert 'schedule: "cosine" -> "step"' in err


def test_fit_refuses_another_optimizer_setting_without_a_config(tmp_path):
    """The library path: fit reads the settings off the objects it is given."""
    data = synthetic_images(48, image_size=8, num_classes=3, rng=0)
    model = workers.make_model()
    fit(model, workers.make_optimizer(model), BatchLoader(data, 16, seed=3), epochs=1,
        checkpoint_path=tmp_path / "c.pt", progress=False)
    model = workers.make_model()
    other = workers.make_optimizer(model)
    for group in other.param_groups:
        group["momentum"] = 0.5
    with pytest.raises(CheckpointMismatchError, match=r"optimizer\.group0\.momentum: 0\.9 -> 0\.5"):
        fit(model, other, BatchLoader(data, 16, seed=3), epochs=1,
            checkpoint_path=tmp_path / "c.pt", progress=False)
    with pytest.raises(CheckpointMismatchError, match=r"train_loader\.seed: 3 -> 4"):
        fit(model, workers.make_optimizer(model), BatchLoader(data, 16, seed=4), epochs=1,
            checkpoint_path=tmp_path / "c.pt", progress=False)


# -- epochs --------------------------------------------------------------------------------

def test_fewer_epochs_than_the_checkpoint_holds_are_refused(finished, tmp_path, capsys,
                                                            monkeypatch):
    path = copy_of(finished, tmp_path)
    no_training(monkeypatch)
    err = refused(capsys, argv(tmp_path, epochs=1))
    assert str(path) in err and "2 completed epochs" in err and "fewer" in err
    assert "epoch 2" not in capsys.readouterr().out


def test_more_epochs_need_extend(finished, tmp_path, capsys, monkeypatch):
    copy_of(finished, tmp_path)
    no_training(monkeypatch)
    err = refused(capsys, argv(tmp_path, epochs=4))
    assert "--extend" in err and "2-epoch run" in err
    # --extend does not excuse another change.
    err = refused(capsys, argv(tmp_path, "--extend", "--seed", "1", epochs=4))
    assert "seed: 0 -> 1" in err


def cosine_lrs(lr, total):
    """The lr at the start of each epoch of torch's own cosine schedule over ``total``
    (and, last, the lr after the final step)."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    lrs = []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return [*lrs, opt.param_groups[0]["lr"]]


def test_extend_rebuilds_the_cosine_schedule_for_the_new_total(finished, tmp_path, capsys):
    copy_of(finished, tmp_path)
    assert main(argv(tmp_path, "--extend", epochs=5)) == 0
    assert "extended the run from 2 to 5 epochs" in capsys.readouterr().out
    records = json.loads((tmp_path / "r.json").read_text())
    assert [r["epoch"] for r in records] == [0, 1, 2, 3, 4]
    lrs = [r["lr"] for r in records]
    assert lrs[:2] == cosine_lrs(0.1, 2)[:2]  # the original 2-epoch run
    assert lrs[2:] == cosine_lrs(0.1, 5)[2:5]  # a fresh 5-epoch run's lr from epoch 2 on
    assert lrs[2] > 0.05 > cosine_lrs(0.1, 2)[2]  # the lr jumps at the resume epoch
    assert [r.get("extended_from") for r in records] == [None, None, 2, 2, 2]
    saved = load_checkpoint(tmp_path / "c.pt")
    assert saved["epochs"] == 5 and saved["config"]["epochs"] == 5
    assert saved["extensions"] == [{"at_epoch": 2, "from_epochs": 2, "to_epochs": 5}]
    # Every parameter group follows the new schedule (SplitLBI on s-fc: linear and other).
    assert saved["scheduler"]["T_max"] == 5
    assert {g["lr"] for g in saved["optimizer"]["param_groups"]} == {cosine_lrs(0.1, 5)[5]}
    assert len(saved["optimizer"]["param_groups"]) == 2
    # The checkpoint is now a 5-epoch run: the same command without --extend returns it.
    assert main(argv(tmp_path, epochs=5)) == 0
    assert without_time(json.loads((tmp_path / "r.json").read_text())) == \
        without_time(records)


def test_fit_extend_matches_a_fresh_scheduler_of_the_new_total_in_every_group(tmp_path):
    data = synthetic_images(48, image_size=8, num_classes=3, rng=0)
    model = workers.make_model()
    opt = workers.make_optimizer(model)
    fit(model, opt, BatchLoader(data, 16, seed=3), epochs=2,
        scheduler=make_scheduler("step", opt, 2, step_size=1, gamma=0.5),
        checkpoint_path=tmp_path / "c.pt", progress=False)
    model = workers.make_model()
    opt = workers.make_optimizer(model)
    records = fit(model, opt, BatchLoader(data, 16, seed=3), epochs=4,
                  scheduler=make_scheduler("step", opt, 4, step_size=1, gamma=0.5),
                  checkpoint_path=tmp_path / "c.pt", progress=False, extend=True)
    ref_opt = workers.make_optimizer(workers.make_model())
    ref = make_scheduler("step", ref_opt, 4, step_size=1, gamma=0.5)
    expected = []
    for _ in range(4):
        expected.append(ref_opt.param_groups[0]["lr"])
        ref_opt.step()
        ref.step()
    assert [r["lr"] for r in records] == expected
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in ref_opt.param_groups]


# -- output paths --------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["out is a folder", "out suffix", "out under a file",
                                  "checkpoint is a folder", "checkpoint under a file",
                                  "out is the checkpoint", "out dir is a file"])
def test_bad_output_paths_fail_before_any_training(tmp_path, capsys, monkeypatch, case):
    """``out`` here is the ``--json FILE`` of the records; "out dir is a file" gives
    ``--out DIR`` a plain file."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    out, checkpoint, extra = "r.json", "c.pt", []
    if case == "out dir is a file":
        extra = ["--out", str(tmp_path / "file")]
    elif case == "out is a folder":
        out = "folder"
    elif case == "out suffix":
        out = "rec.txt"
    elif case == "out under a file":
        out = "file/r.json"
    elif case == "checkpoint is a folder":
        checkpoint = "folder"
    elif case == "checkpoint under a file":
        checkpoint = "file/c.pt"
    else:
        out = checkpoint = "same.json"
    no_training(monkeypatch)
    err = refused(capsys, argv(tmp_path, *extra, out=out, checkpoint=checkpoint))
    assert ("--out" in err) or ("--json" in err) or ("--checkpoint" in err)
    assert not (tmp_path / "c.pt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder"]


# -- a clean interrupt -------------------------------------------------------------------

def test_interrupted_command_resumed_gives_bit_identical_results(tmp_path, monkeypatch):
    reference = tmp_path / "reference"
    assert main(argv(reference, epochs=3)) == 0
    real, calls = loop.train_epoch, [0]

    def interrupted(*args, **kwargs):
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "train_epoch", interrupted)
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        main(argv(run, epochs=3))
    assert load_checkpoint(run / "c.pt")["epoch"] == 0
    monkeypatch.undo()
    assert main(argv(run, epochs=3)) == 0
    got = json.loads((run / "r.json").read_text())
    want = json.loads((reference / "r.json").read_text())
    assert without_time(got) == without_time(want)
    a, b = load_checkpoint(run / "c.pt"), load_checkpoint(reference / "c.pt")
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key])
    for i, state in a["optimizer"]["state"].items():
        for name, value in state.items():
            if torch.is_tensor(value):
                assert torch.equal(value, b["optimizer"]["state"][i][name]), name
