"""The flags that several subcommands share, spelled one way (#20), and the old spellings.

Conventions (``docs/cli.md`` lists every flag of every subcommand):

- ``--quiet``: no progress bars and no running commentary (the result, and where it was
  written, are still printed); progress bars are on by default in every command that runs
  long.
- ``--seed N``: the one root seed of a run's random numbers; ``--seeds N …``: several seeds,
  one run each.
- ``--batch-size N``: the minibatch size of training.
- ``--checkpoint FILE``: one checkpoint file; ``--checkpoint-dir DIR``: a folder of them.
- ``--out DIR``: an output folder; ``--json FILE``: also write the result as JSON to FILE
  (``-``: print the JSON to stdout instead of the text).
- ``--data-root DIR``: the folder of a data set's files.

An old spelling stays accepted as a hidden alias (:func:`add_deprecated`): it stores into the
same ``dest`` and prints one line on stderr naming the new spelling.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["DeprecatedAlias", "add_deprecated", "add_json", "add_quiet", "deprecation_note",
           "write_json", "SEED_HELP", "SEEDS_HELP", "STDOUT"]

#: ``--json -``: the JSON goes to stdout (instead of the text).
STDOUT = "-"

SEED_HELP = "root seed of the run's random numbers (default {default})"
SEEDS_HELP = "several root seeds, one run each ({default})"


def deprecation_note(prog: str, old: str, new: str, why: str = "") -> None:
    """One line on stderr: ``prog: note: OLD is deprecated, use NEW`` (+ ``why``)."""
    print(f"{prog}: note: {old} is deprecated, use {new}{why}", file=sys.stderr)


class DeprecatedAlias(argparse.Action):
    """A hidden old spelling of a flag: stores into the new flag's ``dest`` and warns.

    ``nargs=0`` stores ``const`` (an old switch); otherwise the value, converted by ``type``
    as usual and then by ``convert`` (old meaning to new value) when given. ``why`` is
    appended to the note.
    """

    def __init__(self, option_strings, dest, *, new: str, convert=None, why: str = "",
                 nargs=None, const=None, **kwargs) -> None:
        kwargs["help"] = argparse.SUPPRESS
        kwargs.setdefault("default", argparse.SUPPRESS)
        super().__init__(option_strings, dest, nargs=nargs, const=const, **kwargs)
        self.new = new
        self.convert = convert
        self.why = why

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        deprecation_note(parser.prog, option_string or self.option_strings[0], self.new,
                         self.why)
        value = self.const if self.nargs == 0 else values
        if self.convert is not None:
            value = self.convert(value)
        setattr(namespace, self.dest, value)


def add_deprecated(parser: argparse.ArgumentParser, old: str, new: str, dest: str,
                   **kwargs: Any) -> argparse.Action:
    """Accept the old spelling ``old`` of ``new`` (hidden; same ``dest``; warns when used).

    ``kwargs``: ``nargs=0, const=VALUE`` for an old switch; ``type``, ``nargs``, ``convert``
    for an old flag with a value; ``why``, appended to the note.
    """
    return parser.add_argument(old, dest=dest, action=DeprecatedAlias, new=new, **kwargs)


def add_quiet(parser: argparse.ArgumentParser) -> argparse.Action:
    """``--quiet``: no progress bars and no running commentary (the result, and where it
    was written, are still printed)."""
    return parser.add_argument("--quiet", action="store_true",
                               help="no progress bars and no running commentary (the "
                                    "result, and where it was written, are still printed); "
                                    "progress bars are on by default")


class _JsonOrOldSwitch(argparse.Action):
    """``--json FILE``, where a bare ``--json`` (the old switch: print JSON instead of the
    text) still means ``--json -``, with a note."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if values is None:
            deprecation_note(parser.prog, f"{option_string} without FILE", f"{option_string} -")
            values = STDOUT
        setattr(namespace, self.dest, values)


def add_json(parser: argparse.ArgumentParser, what: str, dest: str = "json", *,
             old_switch: bool = False) -> argparse.Action:
    """``--json FILE``: also write ``what`` as JSON to FILE; ``-`` prints it instead of the
    text. ``old_switch``: a bare ``--json`` (an old switch) is still taken as ``--json -``."""
    extra: dict[str, Any] = dict(nargs="?", action=_JsonOrOldSwitch) if old_switch else {}
    return parser.add_argument("--json", dest=dest, default=None, metavar="FILE",
                               help=f"also write {what} as JSON to FILE (-: print the JSON "
                                    "to stdout instead of the text)", **extra)


def write_json(target: str | Path, value: Any) -> Path | None:
    """Write ``value`` as indented JSON to the file ``target`` (its folder created), or to
    stdout when ``target`` is ``"-"``; returns the file written (``None`` for stdout)."""
    text = json.dumps(value, indent=2) + "\n"
    if str(target) == STDOUT:
        sys.stdout.write(text)
        return None
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
