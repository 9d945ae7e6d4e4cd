"""The command-line reference (``docs/cli.md``), generated from the parsers themselves.

``python -m tensorcnn.cli._reference > docs/cli.md`` rewrites the page; a test fails when
the page and the parsers disagree, so the table cannot go stale.
"""

from __future__ import annotations

import argparse

__all__ = ["reference_markdown"]

_HEADER = """# Command-line reference

Generated from the parsers (`python -m tensorcnn.cli._reference > docs/cli.md`; a test keeps
it in step). `tensorcnn COMMAND --help` shows the same with the full descriptions. Every
command reports a refused flag or input as one line, `tensorcnn COMMAND: error: …`, with exit
code 2; `--debug` (anywhere) shows the traceback instead.
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


def reference_markdown() -> str:
    """The page: one section per subcommand, one table row per flag or positional."""
    from . import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    lines = [_HEADER]
    helps = {choice.dest: choice.help for choice in subparsers._choices_actions}
    for name, sub in sorted(subparsers.choices.items()):
        if name == "shrinknet":          # its options live in the experiment's own parser
            from ._shrinknet_experiment import make_parser

            sub = make_parser()
        lines += [f"## `tensorcnn {name}`", "", " ".join((helps.get(name) or "").split()), "",
                  "| flag | value | default | meaning |", "|---|---|---|---|"]
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            lines.append(_flag_row(action))
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(reference_markdown(), end="")
