"""#20: flags a subcommand does not read are refused; outputs go where a user expects."""

from __future__ import annotations

import json

import pytest

from tensorcnn.cli import main


@pytest.mark.parametrize("argv, named", [
    (["count", "bottleneck", "--alpha", "3", "--network", "kr_resnext"], "--alpha, --network"),
    (["count", "funnel", "--out-channels", "3"], "--out-channels"),
    (["count", "d-conv", "--rank", "8"], "--rank"),
    (["count", "resnet50", "--alpha", "2"], "--alpha"),
    (["count", "kr-tables", "--in-channels", "8"], "--in-channels"),
])
def test_count_refuses_options_its_name_does_not_read(argv, named, capsys):
    """Fails on version 0.9: the options were silently ignored."""
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    assert named in capsys.readouterr().err


def test_count_lists_the_valid_names(capsys):
    with pytest.raises(SystemExit):
        main(["count", "resnet18"])
    err = capsys.readouterr().err
    assert "resnet18" in err and "bottleneck" in err and "kr-tables" in err


def test_count_still_reads_its_own_options(capsys):
    assert main(["count", "bottleneck", "--rank", "32", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["rank"] == 32


@pytest.mark.parametrize("suffix", ["/", ""])
def test_demo_out_folder_gets_a_file_inside(tmp_path, suffix, capsys):
    """Fails on version 0.9: ``--out dir/`` wrote a file named ``dir``."""
    folder = tmp_path / "demo"
    if not suffix:
        folder.mkdir()
    assert main(["demo", "--n", "8", "--out", str(folder) + suffix]) == 0
    assert json.loads((folder / "demo.json").read_text())["equal"] is True


def test_train_file_dataset_without_root_says_what_to_do(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["train", "--dataset", "cifar10", "--epochs", "1"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "--data-root" in err and "digits" in err and "Traceback" not in err


def test_audit_finds_a_module_in_the_current_folder(tmp_path, monkeypatch, capsys):
    """#20: ``audit mymod:fn`` beside mymod.py failed from the console script (no cwd on
    sys.path)."""
    import sys

    (tmp_path / "mymod_for_audit.py").write_text(
        "import torch.nn as nn\n"
        "def fn():\n    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(8, 8, 1))\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    assert main(["audit", "mymod_for_audit:fn", "--input-shape", "3", "16", "16"]) == 0
    assert "mymod_for_audit:fn" in capsys.readouterr().out
    sys.modules.pop("mymod_for_audit", None)
