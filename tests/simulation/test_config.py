"""Experiment files: round trip with the named experiments, the shipped example, validation."""

import csv
import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from tensorcnn.cli import main
from tensorcnn.data import Setting, cp_study_settings, preset
from tensorcnn.simulation import (
    EXPERIMENTS,
    ConfigError,
    dumps_experiment,
    experiment_plan,
    load_experiment,
    parse_experiment,
)
from tensorcnn.simulation.replication import setting_hash, setting_truth

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "own_experiment.toml"
TIMINGS = ("fit_seconds", "cpu_seconds")

# --------------------------------------------------------------------------- setting hash
#: The fields of Setting before stride/padding/pool_stride/transition were added.
OLD_FIELDS = ("name", "input_shape", "kernel_shape", "pool_shape", "n_kernels", "model",
              "ranks", "fit_rank", "inputs", "spectral_norm", "unit_norm", "noise_sd", "task")


def _old_hash(setting):
    fields = {name: getattr(setting, name) for name in OLD_FIELDS}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=list).encode()).hexdigest()


@pytest.mark.parametrize("setting", [
    *(preset(n) for n in ("S1", "S2", "S3", "S4", "T1", "T2", "T3", "T4", "S1-var1")),
    preset("S3").as_classification(), *cp_study_settings(kernels=(2,), rank=2,
                                                         input_shape=(12, 12, 4),
                                                         kernel_shape=(3, 3, 4),
                                                         pool_shape=(3, 3, 1)),
], ids=lambda s: s.name)
def test_setting_hash_of_presets_is_what_old_checkpoints_carry(setting):
    assert setting_hash(setting) == _old_hash(setting)


def test_new_geometry_fields_change_the_hash_and_the_spec():
    base = preset("S1")
    strided = dataclasses.replace(base, name="S1", stride=2)
    assert strided.spec.stride == (2, 2, 2) and strided.spec.conv_shape == (3, 2, 3)
    assert setting_hash(strided) != setting_hash(base)
    padded = dataclasses.replace(base, padding=1, pool_stride=1)
    assert padded.spec.conv_shape == (8, 6, 8)                  # d + 2 - l + 1
    assert padded.spec.pooled_shape == (6, 5, 6)                # m - q + 1 (stride 1)
    assert setting_hash(padded) != setting_hash(base)
    # an explicit default is the default: same hash
    assert setting_hash(dataclasses.replace(base, stride=1, padding=0)) == setting_hash(base)


def test_fixed_transition_is_used_and_checked():
    phi = 0.3 * np.eye(245)
    setting = dataclasses.replace(preset("S1-var1"),
                                  transition=tuple(map(tuple, phi.tolist())))
    _, transition = setting_truth(setting, 0)
    np.testing.assert_array_equal(transition, phi)
    assert setting_hash(setting) != setting_hash(preset("S1-var1"))
    with pytest.raises(ValueError, match="stationary"):
        dataclasses.replace(setting, transition=tuple(map(tuple, (1.1 * np.eye(245)).tolist())))
    with pytest.raises(ValueError, match="var1"):
        dataclasses.replace(preset("S1"), transition=setting.transition)


# --------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_print_config_reads_back_as_the_same_experiment(name):
    plan = experiment_plan(name, n_reps=7, seed=3, n_points=4, batch_size=5)
    back = parse_experiment(dumps_experiment(plan, "a header"), f"{name}.toml")
    assert back.runs == plan.runs               # Setting equality: every field
    assert [setting_hash(s) for s in back.settings] == [setting_hash(s) for s in plan.settings]
    assert back.panels == plan.panels
    assert (back.seed, back.x_axis, back.bounds) == (plan.seed, plan.x_axis, plan.bounds)
    assert back.tasks() == plan.tasks()


def _numbers(folder):
    with (folder / "results.csv").open() as handle:
        rows = [{k: v for k, v in row.items() if k not in TIMINGS}
                for row in csv.DictReader(handle)]
    summary = json.loads((folder / "summary.json").read_text())
    summary.pop("_run")
    for entry in summary.values():
        for key in TIMINGS:
            entry.pop(key)
    return rows, summary


def test_print_config_then_config_reproduces_simulate_bit_for_bit(tmp_path, capsys):
    named, from_file = tmp_path / "named", tmp_path / "file"
    tiny = ["--reps", "2", "--points", "3", "--quiet"]
    assert main(["simulate", "theorem1", "--settings", "S1", *tiny, "--out", str(named)]) == 0
    capsys.readouterr()
    # the full preset file (8 settings, 200 replications) ...
    assert main(["simulate", "--print-config", "theorem1"]) == 0
    config = tmp_path / "theorem1.toml"
    config.write_text(capsys.readouterr().out)
    assert len(load_experiment(config).runs) == 8
    # ... run with the same flags as the named run
    assert main(["simulate", "--config", str(config), "--settings", "S1,S1-var1", *tiny,
                 "--out", str(from_file)]) == 0
    rows, summary = _numbers(named)
    assert len(rows) == 2 * 2 * 3
    assert _numbers(from_file) == (rows, summary)
    for figure in ("fig3_1_theorem1_iid.png", "fig3_2_theorem1_var1.png"):
        assert (from_file / figure).stat().st_size > 0
    # and a file printed with the tiny flags runs the same without any flag
    capsys.readouterr()
    assert main(["simulate", "--print-config", "theorem1", "--settings", "S1", *tiny[:-1]]) == 0
    config.write_text(capsys.readouterr().out)
    again = tmp_path / "again"
    assert main(["simulate", "--config", str(config), "--quiet", "--out",
                 str(again)]) == 0
    assert _numbers(again) == (rows, summary)


def test_exactly_one_of_experiment_config_print_config(tmp_path):
    with pytest.raises(SystemExit, match="exactly one"):
        main(["simulate", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="exactly one"):
        main(["simulate", "theorem1", "--config", str(EXAMPLE), "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="--inputs does not apply"):
        main(["simulate", "--config", str(EXAMPLE), "--inputs", "iid", "--out", str(tmp_path)])
    assert not any(tmp_path.iterdir())


# --------------------------------------------------------------------------- the example
def test_example_file_describes_a_setting_not_in_the_paper():
    experiment = load_experiment(EXAMPLE)
    setting = experiment.runs[0].setting
    assert setting.name == "tucker2d-var1" and setting.model == "tucker"
    spec = setting.spec
    assert spec.input_shape == (16, 16) and spec.stride == (2, 2)
    assert spec.pool_stride == (1, 1) and spec.pool_shape == (3, 3)          # overlapping
    # conv ⌊(16 + 2·1 − 4)/2⌋ + 1 = 8, pooled 8 − 3 + 1 = 6
    assert spec.conv_shape == (8, 8) and spec.pooled_shape == (6, 6)
    _, transition = setting_truth(setting, experiment.seed)
    assert np.linalg.norm(transition, 2) == pytest.approx(0.8)
    # the base preset with one field changed
    s2 = experiment.runs[2].setting
    assert s2 == dataclasses.replace(preset("S2"), name="S2-K5", n_kernels=5)


def test_example_file_runs_tiny_from_the_cli(tmp_path, capsys):
    out = tmp_path / "own"
    assert main(["simulate", "--config", str(EXAMPLE), "--reps", "2", "--points", "3",
                 "--quiet", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert list(k for k in summary if not k.startswith("_")) == [
        "tucker2d-var1", "tucker2d-iid", "S2-K5"]
    assert summary["tucker2d-var1"]["d_M"] == load_experiment(EXAMPLE).runs[0].setting.n_params
    with (out / "results.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 3 * 3 * 2
    for figure in ("tucker2d.png", "s2_k5.png"):
        assert (out / figure).stat().st_size > 0
    record = json.loads((out / "config.json").read_text())
    assert record["settings"][0]["stride"] == 2 and record["settings"][0]["replications"] == 2


def test_the_python_api_runs_the_same_file():
    experiment = load_experiment(EXAMPLE).select(["S2-K5"]).map_runs(n_reps=1, n_points=2)
    result = experiment.run(progress=False)
    assert len(result.rows) == 2 and {r["setting"] for r in result.rows} == {"S2-K5"}
    assert result.summary["S2-K5"]["n"] == list(experiment.runs[0].sample_sizes())


def test_transition_file_and_explicit_sizes(tmp_path):
    phi = np.diag(np.linspace(-0.5, 0.7, 245))
    np.save(tmp_path / "phi.npy", phi)
    (tmp_path / "e.toml").write_text(
        'replications = 1\n[[setting]]\nbase = "S1-var1"\nname = "fixed-phi"\n'
        'transition_file = "phi.npy"\ngrid = { n = [300, 100, 200] }\n')
    experiment = load_experiment(tmp_path / "e.toml")
    run = experiment.runs[0]
    assert run.sample_sizes() == (100, 200, 300)
    np.testing.assert_array_equal(setting_truth(run.setting, 0)[1], phi)


# --------------------------------------------------------------------------- bad files
SETTING = """[[setting]]
name = "a"
input_shape = [7, 5, 7]
kernel_shape = [2, 2, 2]
pool_shape = [3, 2, 3]
n_kernels = 1
"""


def _text(top="", setting=SETTING, replace=(), add="", tail=""):
    body = setting
    for old, new in replace:
        assert old in body
        body = body.replace(old, new)
    return f'name = "t"\nreplications = 1\n{top}\n{body}{add}\n{tail}'


BAD = {
    "toml-syntax": (_text(top="seed = "), "TOML syntax", "seed = "),
    "unknown-top-key": (_text(top="seeds = 1"), "seeds", "seeds = 1"),
    "unknown-setting-key": (_text(add="kernel = [2, 2, 2]"), "setting[1] (a).kernel",
                            "kernel = "),
    "unknown-base": (_text(add='base = "S9"'), "base", "base = "),
    "missing-kernels": (_text(replace=[("n_kernels = 1\n", "")]), "n_kernels", "[[setting]]"),
    "kernels-not-int": (_text(replace=[("n_kernels = 1", 'n_kernels = "3"')]), "n_kernels",
                        "n_kernels"),
    "kernels-float": (_text(replace=[("n_kernels = 1", "n_kernels = 2.5")]), "n_kernels",
                      "n_kernels"),
    "modes-differ": (_text(replace=[("kernel_shape = [2, 2, 2]", "kernel_shape = [2, 2]")]),
                     "kernel_shape", "kernel_shape"),
    "kernel-exceeds-input": (_text(replace=[("kernel_shape = [2, 2, 2]",
                                             "kernel_shape = [9, 2, 2]")]),
                             "kernel_shape", "kernel_shape"),
    "pool-exceeds-conv": (_text(add="stride = 4"), "pool_shape", "pool_shape"),
    "negative-padding": (_text(add="padding = -1"), "padding", "padding"),
    "tucker-ranks-length": (_text(add='model = "tucker"\nranks = [1, 1, 1]'), "ranks",
                            "ranks"),
    "tucker-ranks-too-large": (_text(add='model = "tucker"\nranks = [3, 2, 2, 1]'), "ranks",
                               "ranks"),
    "tucker-without-ranks": (_text(add='model = "tucker"'), "ranks", "model"),
    "cp-rank-too-large": (_text(add='model = "cp"\nranks = [2]'), "ranks", "ranks"),
    "ranks-for-rank-model": (_text(add="ranks = [1, 1, 1, 1]"), "ranks", "ranks"),
    "unknown-model": (_text(add='model = "tt"'), "model", "model"),
    "non-stationary-norm": (_text(add='inputs = "var1"\nspectral_norm = 1.0'),
                            "spectral_norm", "spectral_norm"),
    "norm-for-iid": (_text(add="spectral_norm = 0.5"), "spectral_norm", "spectral_norm"),
    "non-stationary-phi-file": (_text(add='inputs = "var1"\ntransition_file = "big.npy"'),
                                "transition_file", "transition_file"),
    "phi-file-wrong-shape": (_text(add='inputs = "var1"\ntransition_file = "small.npy"'),
                             "transition_file", "transition_file"),
    "phi-file-missing": (_text(add='inputs = "var1"\ntransition_file = "none.npy"'),
                         "transition_file", "transition_file"),
    "n-below-identifiable": (_text(add="grid = { n = [10, 40] }"), "grid.n", "grid = "),
    "n-and-points": (_text(add="grid = { n = [100, 200], points = 3 }"), "grid.points",
                     "grid = "),
    "grid-low-above-high": (_text(top="[grid]\nlow = 0.5\nhigh = 0.4"), "grid.low", "low = "),
    "grid-not-distinct": (_text(top="[grid]\nlow = 0.50\nhigh = 0.51\npoints = 9"),
                          "grid.points", "points = "),
    "zero-replications": (_text(add="replications = 0"), "replications",
                          "replications = 0"),
    "duplicate-names": (_text(tail=SETTING), "setting[2] (a).name", 'name = "a"'),
    "no-settings": (_text(setting=""), "setting", None),
    "gd-on-tucker": (_text(add='model = "tucker"\nranks = [1, 1, 1, 1]\nsolver = "gd"'),
                     "solver", 'solver = "gd"'),
    "plot-unknown-setting": (_text(tail='[[plot]]\nfile = "f.png"\nsettings = ["b"]'),
                             "plot[1].settings", "settings = "),
    "zero-truths": (_text(top="truths = 0"), "truths", "truths = "),
    "base-changed-without-name": (_text(setting='[[setting]]\nbase = "S2"\nn_kernels = 5\n'),
                                  "n_kernels", "n_kernels"),
    "bad-x-axis": (_text(top='x_axis = "n"'), "x_axis", "x_axis"),
    "classification-with-bounds": (_text(add='task = "classification"'), "task", "task"),
}


def _write_bad(tmp_path, text):
    np.save(tmp_path / "big.npy", 1.2 * np.eye(245))
    np.save(tmp_path / "small.npy", 0.1 * np.eye(3))
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


def _line(text, marker):
    if marker is None:
        return None
    positions = [i for i, line in enumerate(text.splitlines(), 1) if line.startswith(marker)]
    return positions[-1] if marker == 'name = "a"' else positions[0]


@pytest.mark.parametrize("case", list(BAD))
def test_malformed_file_gives_one_line_naming_field_and_line(tmp_path, case):
    text, field, marker = BAD[case]
    path = _write_bad(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_experiment(path)
    message = str(caught.value)
    assert "\n" not in message
    assert field in caught.value.field, message
    line = _line(text, marker)
    assert caught.value.line == line, message
    assert message.startswith(f"{path}:{line}: " if line else f"{path}: ")


@pytest.mark.parametrize("case", list(BAD))
def test_malformed_file_starts_no_work(tmp_path, case):
    path = _write_bad(tmp_path, BAD[case][0])
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as caught:
        main(["simulate", "--config", str(path), "--quiet", "--out", str(out)])
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)
    assert not out.exists()


def test_valid_base_file_parses():
    """The template of the bad files is itself valid (so each case tests its one change)."""
    experiment = parse_experiment(_text())
    assert experiment.runs[0].setting == Setting("a", (7, 5, 7), (2, 2, 2), (3, 2, 3), 1)


def test_experiment_objects_refuse_bad_fields():
    from tensorcnn.simulation import Experiment, SettingRun

    run = SettingRun(preset("S1"), n_reps=1, n_points=2)
    with pytest.raises(TypeError, match="setting"):
        SettingRun("S1")
    with pytest.raises(ValueError, match="n_reps"):
        SettingRun(preset("S1"), n_reps=0)
    with pytest.raises(ValueError, match="grid"):
        SettingRun(preset("S1"), grid=(0.6, 0.1))
    with pytest.raises(ValueError, match="seed"):
        Experiment("e", (run,), seed=-1)
    with pytest.raises(ValueError, match="distinct"):
        Experiment("e", (run, run))
    with pytest.raises(ValueError, match="threshold"):
        Experiment("e", (run,), threshold=1.5)
    with pytest.raises(TypeError, match="Experiment"):
        dumps_experiment("theorem1")
    with pytest.raises(TypeError, match="text"):
        parse_experiment(b"seed = 1")
