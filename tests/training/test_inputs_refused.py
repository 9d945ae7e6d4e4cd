"""Issue 14 (training) and issue 19 (SplitLBI path through the command): bad inputs are
refused with the argument named; ``tensorcnn train --optimizer splitlbi`` saves and plots
the regularisation path and records the residual."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from torch import nn

import tensorcnn.training as training
from tensorcnn.cli import main
from tensorcnn.training import (
    BatchLoader,
    ImageData,
    Normalize,
    fit,
    load_checkpoint,
    load_path,
    make_scheduler,
    train_test_split,
)


def _opt():
    return torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)


@pytest.mark.parametrize("kwargs,match", [
    (dict(milestones=[5, 2]), "increasing"),
    (dict(milestones=[3, 3]), "increasing"),
    (dict(milestones=[2, 10]), "epochs"),
    (dict(milestones=[0, 4]), "milestones"),
    (dict(milestones=[2, 4], gamma=-1), "gamma"),
])
def test_make_scheduler_refuses_bad_milestones_and_gamma(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_scheduler("multistep", _opt(), 10, **kwargs)


def test_make_scheduler_refuses_a_negative_step_gamma_and_keeps_good_milestones():
    with pytest.raises(ValueError, match="gamma"):
        make_scheduler("step", _opt(), 10, step_size=2, gamma=-1)
    with pytest.raises(ValueError, match="gamma"):
        make_scheduler("step", _opt(), 10, step_size=2, gamma=float("nan"))
    sched = make_scheduler("multistep", _opt(), 10, milestones=[2, 9])
    assert sorted(sched.milestones) == [2, 9]


@pytest.mark.parametrize("mean,std,match", [
    ([0.5, float("nan")], [1.0, 1.0], "mean must be finite"),
    ([0.5, 0.5], [1.0, float("inf")], "std must be finite"),
    ([0.5, 0.5, 0.5], [1.0, 1.0], "same length"),
    ([[0.5]], [[1.0]], r"shape \(C,\)"),
    ([0.5], [0.0], "std must be > 0"),
])
def test_normalize_refuses_nan_and_mismatched_statistics(mean, std, match):
    with pytest.raises(ValueError, match=match):
        Normalize(mean, std)


def test_normalize_refuses_a_batch_with_another_channel_count():
    with pytest.raises(ValueError, match="3 channels"):
        Normalize([0.0] * 3, [1.0] * 3)(torch.zeros(2, 1, 4, 4))


@pytest.mark.parametrize("labels", [[0, 1, 3], [-1, 0, 1], [0.5, 1.0, 0.0]])
def test_image_data_refuses_labels_out_of_range(labels):
    with pytest.raises(ValueError, match="labels"):
        ImageData(torch.zeros(3, 1, 2, 2), torch.tensor(labels), 3)


def test_train_test_split_refuses_an_empty_test_set():
    data = ImageData(torch.zeros(20, 1, 2, 2), torch.arange(20) % 2, 2)
    with pytest.raises(ValueError, match="test set empty"):
        train_test_split(data, 0.01)  # round(0.01 * 10) = 0 per class
    train, test = train_test_split(data, 0.2)
    assert (len(train), len(test)) == (16, 4)


def test_fit_refuses_an_empty_loader():
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="no examples"):
        fit(model, torch.optim.SGD(model.parameters(), lr=0.1), [], epochs=1,
            progress=False)
    data = ImageData(torch.zeros(3, 1, 1, 3), torch.tensor([0, 1, 0]), 2)
    loader = BatchLoader(data, 4, drop_last=True)  # 3 examples, one batch of 4 dropped
    flat = nn.Sequential(nn.Flatten(), nn.Linear(3, 2))
    with pytest.raises(ValueError, match="no examples"):
        fit(flat, torch.optim.SGD(flat.parameters(), lr=0.1), loader, epochs=1,
            progress=False)


def test_checkpoint_errors_are_exported():
    for name in ("CheckpointError", "CheckpointMismatchError", "load_states",
                 "harness_settings", "splitlbi_path", "path_arrays", "plot_path"):
        assert name in training.__all__ and hasattr(training, name)
    assert issubclass(training.CheckpointMismatchError, training.CheckpointError)


BASE = ["train", "--model", "s-conv", "--alpha", "2", "--dataset", "synthetic",
        "--image-size", "8", "--epochs", "1", "--batch-size", "500", "--threads", "1",
        "--quiet"]


@pytest.fixture
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("extra,argument", [
    (["--lr", "nan"], "--lr"), (["--lr", "-0.1"], "--lr"), (["--momentum", "1"], "--momentum"),
    (["--milestones", "5", "2"], "--milestones"), (["--nu", "0"], "--nu"),
    (["--epochs", "0"], "--epochs"), (["--weight-decay", "inf"], "--weight-decay"),
])
def test_train_command_refuses_bad_values_at_parse_time(extra, argument, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*BASE, *extra])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"argument {argument}" in err[0], err


def test_train_splitlbi_saves_and_plots_the_path_and_records_the_residual(
        tmp_path, capsys, restore_threads):
    out, ckpt = tmp_path / "run", tmp_path / "c.pt"
    argv = [*BASE, "--optimizer", "splitlbi", "--lam", "0.01", "--momentum", "0.9",
            "--epochs", "3", "--out", str(out), "--checkpoint", str(ckpt)]
    assert main(argv) == 0
    rows = list(csv.DictReader(open(out / "records.csv")))
    assert len(rows) == 3 and all(float(r["residual"]) > 0 for r in rows)
    layers = [k[len("residual/"):] for k in rows[0] if k.startswith("residual/")]
    assert "conv1.weight" in layers or any("conv" in name for name in layers)
    for r in rows:
        assert float(r["residual"]) == pytest.approx(
            sum(float(r[f"residual/{name}"]) for name in layers), rel=1e-9)
    arrays = load_path(out / "path.npz")
    assert (out / "path.png").stat().st_size > 0
    payload = load_checkpoint(ckpt)
    state = payload["optimizer"]["state"]
    saved = [s for s in state.values() if "entry_epoch" in s]
    assert len(saved) == len(layers)
    for name in layers:
        epochs = arrays[f"{name}/epochs"]
        assert epochs.tolist() == [0.0, 1.0, 2.0]
        entry, group = arrays[f"{name}/entry_epoch"], arrays[f"{name}/entry_epoch_group"]
        assert np.array_equal(group, entry.reshape(entry.shape[0], -1).min(axis=1))
        step = arrays[f"{name}/entry_step_group"]
        # A group that entered by epoch e entered by step (e + 1) × steps per epoch.
        steps_per_epoch = 4  # 2000 synthetic training images, batch 500
        assert np.all(step[np.isfinite(group)] <= (group[np.isfinite(group)] + 1)
                      * steps_per_epoch)
        norms = arrays[f"{name}/group_norms"]
        assert norms.shape == (3, entry.shape[0])
        # In supp(Γ) at epoch e exactly when entered by e and still non-zero.
        assert np.all((norms > 0) <= (group[None, :] <= epochs[:, None]))
        assert int(rows[-1][f"gamma_groups/{name}"]) == int((norms[-1] > 0).sum())
    assert "wrote" in capsys.readouterr().out
