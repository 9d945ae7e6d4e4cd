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
import os
import sys
from pathlib import Path
from typing import Any

from .._validation import check_bool, check_callable, check_instance, check_path

__all__ = ["DeprecatedAlias", "add_deprecated", "add_json", "add_quiet", "deprecation_note",
           "write_json", "SEED_HELP", "SEEDS_HELP", "STDOUT"]

#: ``--json -``: the JSON goes to stdout (instead of the text).
STDOUT = "-"

SEED_HELP = "root seed of the run's random numbers (default {default})"
SEEDS_HELP = "several root seeds, one run each ({default})"


def _check_parser(parser: Any) -> None:
    """An argparse parser, subparser or argument group (what ``add_argument`` is called on).

    ``argparse._ActionsContainer`` is the one base the three share (argparse's own name:
    ``add_argument_group`` returns one that is not an ``ArgumentParser``).
    """
    check_instance(parser, argparse._ActionsContainer, "parser",
                   "an argparse.ArgumentParser (or an argument group)")


def _check_option(value: Any, name: str) -> str:
    """An option string such as ``--out``: a str starting with ``-``, longer than it."""
    check_instance(value, str, name, "an option string such as '--out'")
    if not value.startswith("-") or not value.strip("-"):
        raise ValueError(f"{name} must be an option string such as '--out', got {value!r}")
    return value


def _check_dest(dest: Any) -> str:
    """The attribute a flag stores into: a non-empty str."""
    check_instance(dest, str, "dest", "a str (the attribute of the parsed namespace)")
    if not dest:
        raise ValueError("dest must be a non-empty str (the attribute of the parsed "
                         "namespace), got ''")
    return dest


def deprecation_note(prog: str, old: str, new: str, why: str = "") -> None:
    """One line on stderr: ``prog: note: OLD is deprecated, use NEW`` (+ ``why``).

    Raises
    ------
    TypeError
        If an argument is not a str (checked before anything is printed).
    """
    for name, value in (("prog", prog), ("old", old), ("new", new), ("why", why)):
        check_instance(value, str, name, "a str")
    print(f"{prog}: note: {old} is deprecated, use {new}{why}", file=sys.stderr)


class DeprecatedAlias(argparse.Action):
    """A hidden old spelling of a flag: stores into the new flag's ``dest`` and warns.

    ``nargs=0`` stores ``const`` (an old switch); otherwise the value, converted by ``type``
    as usual and then by ``convert`` (old meaning to new value) when given. ``why`` is
    appended to the note.

    Raises
    ------
    TypeError, ValueError
        If ``new`` is not a non-empty str, ``convert`` not a callable (or None) or ``why``
        not a str (argparse checks ``option_strings``, ``dest`` and ``nargs``).
    """

    def __init__(self, option_strings, dest, *, new: str, convert=None, why: str = "",
                 nargs=None, const=None, **kwargs) -> None:
        check_instance(new, str, "new", "a str (the new spelling)")
        if not new:
            raise ValueError("new must be a non-empty str (the new spelling), got ''")
        check_callable(convert, "convert", allow_none=True)
        check_instance(why, str, "why", "a str")
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

    Raises
    ------
    TypeError, ValueError
        If ``parser`` is not an argparse parser, ``old`` not an option string (``--x``),
        ``new`` or ``dest`` not a non-empty str, or a keyword argument is refused by
        :class:`DeprecatedAlias` (checked before the flag is added).
    """
    _check_parser(parser)
    _check_option(old, "old")
    _check_dest(dest)
    return parser.add_argument(old, dest=dest, action=DeprecatedAlias, new=new, **kwargs)


def add_quiet(parser: argparse.ArgumentParser) -> argparse.Action:
    """``--quiet``: no progress bars and no running commentary (the result, and where it
    was written, are still printed).

    Raises
    ------
    TypeError
        If ``parser`` is not an argparse parser.
    """
    _check_parser(parser)
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
    text. ``old_switch``: a bare ``--json`` (an old switch) is still taken as ``--json -``.

    Raises
    ------
    TypeError, ValueError
        If ``parser`` is not an argparse parser, ``what`` not a str, ``dest`` not a
        non-empty str or ``old_switch`` not a bool.
    """
    _check_parser(parser)
    check_instance(what, str, "what", "a str (what the JSON holds, for the help)")
    _check_dest(dest)
    check_bool(old_switch, "old_switch")
    extra: dict[str, Any] = dict(nargs="?", action=_JsonOrOldSwitch) if old_switch else {}
    return parser.add_argument("--json", dest=dest, default=None, metavar="FILE",
                               help=f"also write {what} as JSON to FILE (-: print the JSON "
                                    "to stdout instead of the text)", **extra)


def write_json(target: str | Path, value: Any) -> Path | None:
    """Write ``value`` as indented JSON to the file ``target`` (its folder created), or to
    stdout when ``target`` is ``"-"``; returns the file written (``None`` for stdout).

    Raises
    ------
    TypeError
        If ``target`` is not a path (or ``"-"``) or ``value`` holds something JSON cannot
        write (a set, an object), checked before anything is written.
    ValueError
        If ``target`` is empty or an existing folder, or ``value`` is circular.
    """
    if isinstance(target, str | os.PathLike) and os.fspath(target) == STDOUT:
        path = None
    else:
        path = check_path(target, "target")
        if path.is_dir():
            raise ValueError(f"target must be a file path (or '-'), got the folder "
                             f"{os.fspath(target)!r}")
    try:
        text = json.dumps(value, indent=2) + "\n"
    except TypeError as error:         # json's message names the type, not the argument
        raise TypeError(f"value must hold JSON values only (dict, list, str, numbers, "
                        f"bool, None): {error}") from None
    except ValueError as error:        # a circular reference
        raise ValueError(f"value cannot be written as JSON: {error}") from None
    if path is None:
        sys.stdout.write(text)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
