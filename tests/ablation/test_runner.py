"""The ablation runner end-to-end on a tiny configuration, its table, files and CLI."""

import json

import pytest

from tensorcnn.ablation.config import CONFIGS, AblationConfig, get_config
from tensorcnn.ablation.io import format_table, write_results
from tensorcnn.ablation.runner import run_ablation, worst_seed_table
from tensorcnn.cli import main
from tensorcnn.nets.kr_resnet3d import kr_resnet3d18

TINY = dict(dataset="digits", image_size=8, t_values=(1, 4), seeds=(1, 2), epochs=2,
            batch_size=32, lr=0.02, lr_step=1, max_train=64, max_test=32, augment=False,
            threads=1)


def test_paper_defaults_are_003s_hyper_parameters():
    paper = CONFIGS["paper"]
    assert (paper.lr, paper.momentum, paper.weight_decay, paper.batch_size) == (0.1, 0.9,
                                                                                1e-4, 128)
    assert (paper.lr_step, paper.lr_gamma, paper.epochs) == (100, 0.1, 300)
    assert paper.t_values == (1, 4, 8, 16) and paper.seeds == (1, 2, 3, 4, 5)
    assert CONFIGS["paper-table3"].t_values == (1, 2, 4)


def test_tiny_ablation_end_to_end_writes_table_and_plots(tmp_path):
    config = get_config("smoke", **TINY)
    result = run_ablation(config)
    assert {(r["t"], r["seed"]) for r in result.records} == {(1, 1), (1, 2), (4, 1), (4, 2)}
    assert len(result.records) == 4 * config.epochs
    assert [row["t"] for row in result.table] == [1, 4]
    for row in result.table:
        finals = [r["test_accuracy"] for r in result.records
                  if r["t"] == row["t"] and r["epoch"] == config.epochs - 1]
        assert row["digits"] == pytest.approx(100 * min(finals))
        assert row["params_m"] > 0 and row["gmacs"] > 0
    paths = write_results(result, tmp_path)
    assert paths["curves"].stat().st_size > 1000
    assert "| 4 |" in paths["table_md"].read_text()
    assert json.loads(paths["config"].read_text())["seeds"] == [1, 2]


def test_worst_seed_is_the_minimum_of_the_last_epoch():
    records = [{"t": 1, "seed": s, "epoch": e, "test_accuracy": acc}
               for s, e, acc in [(1, 0, 0.9), (1, 1, 0.5), (2, 0, 0.1), (2, 1, 0.7)]]
    config = AblationConfig(dataset="digits", image_size=8)
    (row,) = worst_seed_table(records, config)
    assert row["worst_seed"] == 1 and row["digits"] == pytest.approx(50)
    assert row["mean"] == pytest.approx(60) and row["best"] == pytest.approx(70)
    assert "| 1 | 50.00 |" in format_table([row], "digits")


def test_bad_configuration_names_the_field():
    with pytest.raises(ValueError, match="network"):
        AblationConfig(network="vgg")
    with pytest.raises(ValueError, match="epochs"):
        AblationConfig(epochs=0)
    with pytest.raises(ValueError, match="config"):
        get_config("huge")
    with pytest.raises(ValueError, match="data_root"):
        run_ablation(get_config("paper", t_values=(1,), seeds=(1,)))


def test_cli_smoke_subset(tmp_path, capsys):
    code = main(["ablation", "--config", "smoke", "--t", "1", "--seeds", "3", "--epochs", "1",
                 "--image-size", "8", "--max-train", "32", "--max-test", "16",
                 "--out", str(tmp_path)])
    assert code == 0
    assert (tmp_path / "table.csv").exists() and (tmp_path / "curves.png").exists()
    assert "worst seed" in capsys.readouterr().out


def test_cli_kr_count_prints_every_cell(capsys):
    assert main(["count", "kr-tables", "--network", "kr_shufflenet"]) == 0
    out = capsys.readouterr().out
    assert out.count("kr_shufflenet") == 3 and "1.67M" in out


def _frames(folder, n, level):
    import numpy as np

    folder.mkdir(parents=True)
    for i in range(n):
        np.save(folder / f"image_{i + 1:05d}.npy", np.full((36, 40, 3), level + i, np.uint8))


def test_tiny_ucf101_ablation_on_synthetic_clips(tmp_path):
    for c, name in enumerate(["ApplyLipstick", "Basketball"]):
        for v in range(2):
            _frames(tmp_path / "frames" / name / f"v_{name}_g0{v}_c01", 18, 100 * c + 10 * v)
    split = tmp_path / "testlist01.txt"
    split.write_text("ApplyLipstick/v_ApplyLipstick_g00_c01.avi\nBasketball/v_Basketball_g01_c01.avi\n")
    config = get_config("paper-ucf101", data_root=str(tmp_path / "frames"), test_split=str(split),
                        t_values=(4,), seeds=(1,), epochs=1, batch_size=2, image_size=32,
                        threads=1)
    result = run_ablation(config)
    (row,) = result.table
    assert row["t"] == 4 and 0 <= row["ucf101"] <= 100
    # The added blocks + FC (2 classes here), priced on the 1×1×1 features of 32×32 frames.
    added = kr_resnet3d18(4, 2, freeze_backbone=False).added_cost((1, 1, 1))
    assert row["params_m"] == pytest.approx(added.params / 1e6)
    assert row["gmacs"] == pytest.approx(added.macs / 1e9)
    with pytest.raises(FileNotFoundError, match="resnet-18-kinetics.pth"):
        run_ablation(get_config("paper-ucf101", data_root=str(tmp_path / "frames"),
                                pretrained=str(tmp_path / "absent.pth"), t_values=(1,),
                                seeds=(1,), epochs=1, image_size=32))


def test_network_and_dataset_must_agree():
    with pytest.raises(ValueError, match="kr_resnet3d18"):
        AblationConfig(network="kr_resnet3d18", dataset="cifar10")


def test_checkpoints_are_keyed_by_the_whole_configuration(tmp_path):
    """#20: a changed configuration must not reuse (and mislabel) another run's checkpoint.

    Fails on version 0.9: the second run loaded the first run's finished checkpoint
    (file name ``{network}_t{t}_seed{seed}.pt``) and reported its accuracies.
    """
    from tensorcnn.ablation.runner import checkpoint_name

    small = dict(TINY, t_values=(1,), seeds=(1,))
    first = run_ablation(get_config("smoke", **small), checkpoint_dir=tmp_path)
    changed = get_config("smoke", **dict(small, max_train=96, lr=0.05))
    assert checkpoint_name(changed, 1, 1) != checkpoint_name(get_config("smoke", **small), 1, 1)
    resumed = run_ablation(changed, checkpoint_dir=tmp_path)
    fresh = run_ablation(changed)
    key = ("epoch", "train_loss", "test_accuracy")
    assert ([tuple(r[k] for k in key) for r in resumed.records]
            == [tuple(r[k] for k in key) for r in fresh.records])
    assert [r["train_loss"] for r in resumed.records] != [r["train_loss"] for r in first.records]
    # the same configuration again resumes its own finished checkpoint: nothing is retrained
    assert len(list(tmp_path.glob("*.pt"))) == 2
    again = run_ablation(changed, checkpoint_dir=tmp_path)
    assert [r["train_loss"] for r in again.records] == [r["train_loss"] for r in fresh.records]
