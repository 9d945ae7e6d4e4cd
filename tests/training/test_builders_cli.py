"""Builders by name and the ``tensorcnn train`` command."""

from __future__ import annotations

import csv

import pytest
import torch

from tensorcnn.cli import main
from tensorcnn.optim import BetaLasso, SplitLBI
from tensorcnn.training.builders import build_model, build_optimizer, load_data


def test_builders_make_the_named_objects():
    resnet = build_model("resnet20", 10, 3, 32)
    assert sum(p.numel() for p in resnet.parameters()) == 269_722  # He et al.: 0.27M
    assert resnet(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    sfc = build_model("s-fc", 10, 1, 16, alpha=2)
    opt = build_optimizer("splitlbi", sfc, lr=0.1, lam=0.5)
    assert isinstance(opt, SplitLBI)
    assert {g["kind"]: g["penalty"] for g in opt.param_groups} == {
        "linear": "lasso", "other": None}
    conv = build_model("s-conv", 10, 1, 16, alpha=2)
    groups = build_optimizer("splitlbi", conv, lr=0.1).param_groups
    kinds = {g["kind"]: g["penalty"] for g in groups}
    assert kinds["conv"] == "group"
    bl = build_optimizer("beta-lasso", sfc, lr=0.1, lam=1e-5, first_layer_lam=1e-4)
    assert isinstance(bl, BetaLasso)
    named = [g for g in bl.param_groups if g.get("name")]
    assert named[0]["name"] == "conv1.linear.weight" and named[0]["lam"] == 1e-4
    assert [g["lam"] for g in bl.param_groups if g["kind"] == "other"] == [0.0]
    with pytest.raises(ValueError, match="model"):
        build_model("vgg", 10, 3, 32)
    with pytest.raises(ValueError, match="optimizer"):
        build_optimizer("adam", sfc, lr=0.1)
    with pytest.raises(ValueError, match="root"):
        load_data("cifar10")
    with pytest.raises(ValueError, match="dataset"):
        load_data("imagenet")


@pytest.fixture
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)  # the command sets --threads for the whole process


def test_train_command_writes_records_and_resumes(tmp_path, capsys, restore_threads):
    argv = ["train", "--model", "s-fc", "--alpha", "2", "--dataset", "synthetic",
            "--image-size", "8", "--optimizer", "beta-lasso", "--lam", "1e-4",
            "--epochs", "2", "--batch-size", "500", "--threads", "1", "--quiet",
            "--checkpoint", str(tmp_path / "c.pt"), "--out", str(tmp_path / "run")]
    assert main(argv) == 0
    rows = list(csv.DictReader(open(tmp_path / "run" / "records.csv")))
    assert [r["epoch"] for r in rows] == ["0", "1"]
    assert "density/conv1.linear.weight" in rows[0]
    argv[argv.index("--epochs") + 1] = "3"
    assert main([*argv, "--extend"]) == 0  # resumes after epoch 1 and runs one more
    rows = list(csv.DictReader(open(tmp_path / "run" / "records.csv")))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    assert [r["extended_from"] for r in rows] == ["", "", "2"]
    assert "test accuracy" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["train", "--optimizer", "splitlbi", "--kappa", "0", "--dataset", "synthetic",
              "--model", "3-fc", "--image-size", "8", "--epochs", "1", "--quiet"])
