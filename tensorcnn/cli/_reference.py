"""The command-line reference (``docs/cli.md``), generated from the parsers themselves.

``python -m tensorcnn.cli._reference > docs/cli.md`` rewrites the page; a test fails when
the page and the parsers disagree, so the table cannot go stale.
"""

from __future__ import annotations

import argparse

__all__ = ["reference_markdown", "subcommand_parsers"]

_HEADER = """# Command-line reference

Generated from the parsers (`python -m tensorcnn.cli._reference > docs/cli.md`; a test keeps
it in step). `tensorcnn COMMAND --help` shows the same with the full descriptions. Every
command reports a refused flag or input as one line, `tensorcnn COMMAND: error: …`, with exit
code 2; `--debug` (anywhere) shows the traceback instead.

One spelling per idea in every command: `--quiet` turns off the progress bars (on by
default where a command runs long) and the running commentary; `--seed` is one root seed,
`--seeds` several (one run each); `--batch-size` is a minibatch size; `--checkpoint FILE` one
checkpoint file, `--checkpoint-dir DIR` a folder of them; `--out DIR` an output folder;
`--json FILE` also writes the result as JSON to FILE (`--json -`: to stdout, instead of the
text); `--data-root DIR` the folder of a data set's files. Old spellings (`--batch`,
`--no-progress`, `--progress`, `--checkpoints`, `--data-dir`, `--repetitions`, `count
--json` without FILE, `count kr-tables --out FILE`, `demo --out FILE`, `train --out
FILE.csv`) still work and print a one-line note naming the new one; they are not listed.
"""


def _flag_row(action: argparse.Action) -> str:
    names = ", ".join(f"`{name}`" for name in action.option_strings) or f"`{action.dest}`"
    if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
        value = " \\| ".join(str(choice) for choice in action.choices)
    elif action.nargs == 0:
        value = "switch"
    else:
        value = str(action.metavar or action.dest.upper())
        if action.nargs in ("+", "*"):
            value += " …"
    default = action.default
    default = "" if default in (None, False, argparse.SUPPRESS) or action.nargs == 0 else (
        " ".join(map(str, default)) if isinstance(default, list | tuple) else str(default))
    text = " ".join((action.help or "").split()).replace("|", "\\|")
    return f"| {names} | {value} | {default} | {text} |"


def subcommand_parsers() -> dict[str, tuple[argparse.ArgumentParser, str]]:
    """``{name: (parser, one-line help)}`` of every subcommand, sorted by name; for
    ``shrinknet`` the experiment's own parser (where its options live)."""
    from . import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in subparsers._choices_actions}
    parsers = {}
    for name, sub in sorted(subparsers.choices.items()):
        if name == "shrinknet":
            from ._shrinknet_experiment import make_parser

            sub = make_parser()
        parsers[name] = (sub, " ".join((helps.get(name) or "").split()))
    return parsers


def reference_markdown() -> str:
    """The page: one section per subcommand, one table row per flag or positional (the
    hidden old spellings left out)."""
    lines = [_HEADER]
    for name, (sub, summary) in subcommand_parsers().items():
        lines += [f"## `tensorcnn {name}`", "", summary, "",
                  "| flag | value | default | meaning |", "|---|---|---|---|"]
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
                continue
            lines.append(_flag_row(action))
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(reference_markdown(), end="")
