"""#20: one spelling per idea across every subcommand, and the old spellings still work.

The parsers are walked (``tensorcnn.cli._reference.subcommand_parsers``, the same walk
that writes docs/cli.md): no visible old spelling, one spelling per idea, ``--quiet`` in
every command that runs long, and every hidden flag an alias of a visible one that parses
to the same value and prints one note naming the new spelling.
"""

from __future__ import annotations

import argparse
import json

import pytest

from tensorcnn.cli import main
from tensorcnn.cli._flags import DeprecatedAlias
from tensorcnn.cli._reference import subcommand_parsers

PARSERS = {name: parser for name, (parser, _) in subcommand_parsers().items()}

#: Old spellings that no subcommand may show (each is a hidden alias where it existed).
RETIRED = {"--batch": "--batch-size (minibatch) or --reps-per-task (simulate)",
           "--no-progress": "--quiet", "--progress": "--quiet (bars are on by default)",
           "--checkpoints": "--checkpoint-dir", "--data-dir": "--data-root",
           "--repetitions": "--reps"}

#: Commands that run long: progress bars by default, --quiet to turn them off.
LONG_RUNNING = ("ablation", "check", "shrinknet", "simulate", "train")


def _visible(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and a.help != argparse.SUPPRESS
            and not isinstance(a, argparse._HelpAction)]


def _flag(parser: argparse.ArgumentParser, name: str) -> argparse.Action | None:
    return next((a for a in _visible(parser) if name in a.option_strings), None)


def test_every_subcommand_is_walked():
    assert set(LONG_RUNNING) | {"audit", "count", "demo", "report"} <= set(PARSERS)


@pytest.mark.parametrize("command", sorted(PARSERS))
def test_no_retired_spelling_is_visible(command):
    shown = {s for a in _visible(PARSERS[command]) for s in a.option_strings}
    assert not shown & set(RETIRED), {s: RETIRED[s] for s in shown & set(RETIRED)}


@pytest.mark.parametrize("command", LONG_RUNNING)
def test_long_running_commands_have_quiet_and_no_progress_switch(command):
    quiet = _flag(PARSERS[command], "--quiet")
    assert quiet is not None and quiet.nargs == 0 and quiet.default is False
    assert quiet.dest == "quiet"


def test_one_idea_one_spelling_across_subcommands():
    """Each idea has one spelling, with the same shape of value everywhere."""
    seen: dict[str, set[tuple]] = {}
    for command, parser in PARSERS.items():
        for name, shape in (("--seed", "one"), ("--seeds", "list"), ("--batch-size", "one"),
                            ("--checkpoint", "file"), ("--checkpoint-dir", "dir"),
                            ("--json", "file"), ("--out", "dir"), ("--data-root", "dir"),
                            ("--quiet", "switch"), ("--reps", "one")):
            action = _flag(parser, name)
            if action is None:
                continue
            got = ("switch" if action.nargs == 0 else "list" if action.nargs in ("+", "*")
                   else "dir" if action.metavar == "DIR" else
                   "file" if action.metavar == "FILE" else "one")
            seen.setdefault(name, set()).add(got)
            assert got == shape, f"{command} {name}: {got}, expected {shape}"
    # the flags above exist where the ideas do
    assert {"--seed", "--seeds", "--batch-size", "--checkpoint", "--checkpoint-dir", "--json",
            "--out", "--data-root", "--quiet"} <= set(seen)


def test_the_same_dest_is_spelled_the_same_everywhere():
    spellings: dict[str, set[tuple[str, ...]]] = {}
    for parser in PARSERS.values():
        for action in _visible(parser):
            spellings.setdefault(action.dest, set()).add(tuple(action.option_strings))
    assert {d: s for d, s in spellings.items() if len(s) > 1} == {}


@pytest.mark.parametrize("command", sorted(PARSERS))
def test_every_hidden_flag_is_an_alias_of_a_visible_one(command):
    parser = PARSERS[command]
    visible = {a.dest for a in _visible(parser)}
    for action in parser._actions:
        if action.option_strings and action.help == argparse.SUPPRESS:
            assert isinstance(action, DeprecatedAlias), action.option_strings
            assert action.dest in visible, (action.option_strings, action.dest)


#: (command, old argv, new argv): each old spelling parses as its new one.
ALIASES = [
    ("train", ["--batch", "64"], ["--batch-size", "64"]),
    ("train", ["--no-progress"], ["--quiet"]),
    ("simulate", ["theorem1", "--batch", "3"], ["theorem1", "--reps-per-task", "3"]),
    ("simulate", ["theorem1", "--no-progress"], ["theorem1", "--quiet"]),
    ("ablation", ["--checkpoints", "ckpt"], ["--checkpoint-dir", "ckpt"]),
    ("ablation", ["--progress"], []),
    ("count", ["bottleneck", "--json"], ["bottleneck", "--json", "-"]),
    ("count", ["kr-tables", "--out", "rows.json"], ["kr-tables", "--json", "rows.json"]),
    ("demo", ["--out", "table.json"], ["--json", "table.json"]),
    ("shrinknet", ["--data-dir", "data"], ["--data-root", "data"]),
    ("shrinknet", ["--repetitions", "4"], ["--reps", "4"]),
]


@pytest.mark.parametrize("command, old, new", ALIASES,
                         ids=[f"{c}{o[-2] if len(o) > 1 else ''}{o[-1]}" for c, o, _ in ALIASES])
def test_old_spelling_parses_to_the_same_value_and_warns(command, old, new, capsys):
    parser = PARSERS[command]
    expected = vars(parser.parse_args(new))
    assert capsys.readouterr().err == ""
    got = vars(parser.parse_args(old))
    assert got == expected
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "deprecated" in err, err
    retired = next(arg for arg in old if arg.startswith("--"))
    assert err.startswith(f"tensorcnn {command}: note: {retired}")
    if new:
        assert next(arg for arg in new if arg.startswith("--")) in err


def test_every_alias_is_tested():
    tested = {(command, next(a for a in old if a.startswith("--")))
              for command, old, _ in ALIASES}
    aliases = {(command, s) for command, parser in PARSERS.items() for a in parser._actions
               if isinstance(a, DeprecatedAlias) for s in a.option_strings}
    assert aliases <= tested, aliases - tested


def test_demo_old_out_folder_still_means_demo_json_inside(tmp_path):
    parsed = PARSERS["demo"].parse_args(["--out", str(tmp_path) + "/"])
    assert parsed.json == str(tmp_path / "demo.json")


def test_json_dash_prints_only_json(tmp_path, capsys):
    assert main(["count", "bottleneck", "--rank", "16", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["rank"] == 16
    (tmp_path / "good.py").write_text('"""Holds."""\nprint("fine")\n')
    assert main(["check", "--dir", str(tmp_path), "--quiet", "--json", "-"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in rows] == ["PASS"]


def test_json_file_is_written_besides_the_text(tmp_path, capsys):
    assert main(["count", "funnel", "--json", str(tmp_path / "c.json")]) == 0
    out = capsys.readouterr().out
    assert "params" in out and "wrote" in out
    assert json.loads((tmp_path / "c.json").read_text())["name"] == "funnel"


def test_check_quiet_drops_the_per_script_lines(tmp_path, capsys):
    (tmp_path / "good.py").write_text('"""Holds."""\n')
    assert main(["check", "--dir", str(tmp_path)]) == 0
    assert "PASS      good.py" in capsys.readouterr().out
    assert main(["check", "--dir", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "PASS      good.py" not in out and "1 passed, 0 failed" in out


TRAIN = ["train", "--model", "3-fc", "--dataset", "synthetic", "--image-size", "8",
         "--epochs", "1", "--batch-size", "500", "--threads", "1", "--quiet"]


@pytest.fixture
def restore_threads():
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_train_out_dir_and_the_old_out_file(tmp_path, capsys, restore_threads):
    assert main([*TRAIN, "--out", str(tmp_path / "run"),
                 "--json", str(tmp_path / "r.json")]) == 0
    assert (tmp_path / "run" / "records.csv").is_file()
    assert len(json.loads((tmp_path / "r.json").read_text())) == 1
    assert capsys.readouterr().err == ""
    assert main([*TRAIN, "--out", str(tmp_path / "old.csv")]) == 0     # the old form
    assert (tmp_path / "old.csv").is_file()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "deprecated" in err and "--out DIR" in err
