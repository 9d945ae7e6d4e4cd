"""The ``tensorcnn`` console command.

Each subcommand lives in its own module of this package and exposes
``register(subparsers)``, which adds an ``argparse`` sub-parser whose ``func`` default takes
the parsed arguments and returns an exit code. New modules are picked up automatically.

Errors are one line on stderr, ``tensorcnn <command>: error: <message>``, and exit code 2,
never a traceback: argparse's usage errors (a flag's type or validator refused its value),
the ``ValueError`` / ``TypeError`` / ``OSError`` / ``LookupError`` by which the library
refuses bad input, and ``SystemExit("message")`` of a subcommand. ``--debug`` (anywhere on
the command line) lets the exception through with its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["build_parser", "main"]

#: Exceptions by which the library refuses bad input: reported as one line, exit code 2.
REFUSALS = (ValueError, TypeError, OSError, LookupError)


class CLIError(SystemExit):
    """Exit code 2 after a one-line error on stderr; ``str()`` is the message (not the code),
    so that ``pytest.raises(SystemExit, match=...)`` sees what the user saw."""

    def __init__(self, message: str) -> None:
        super().__init__(2)
        self.message = message

    def __str__(self) -> str:
        return self.message


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line (``prog: error: message``)."""

    def error(self, message: str) -> NoReturn:
        _fail(self.prog, message)


def _fail(prog: str, message: str) -> NoReturn:
    message = " ".join(str(message).split()) or "failed"
    prefix = f"{prog}: "
    if message.startswith(prefix):  # a subcommand that already named itself
        message = message[len(prefix):]
    if message.startswith("error: "):
        message = message[len("error: "):]
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise CLIError(message)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand module of this package registered."""
    from .. import __version__

    parser = _Parser(
        prog="tensorcnn",
        description="Statistics of compressed convolutional networks (see README.md).",
    )
    parser.add_argument("--version", action="version", version=f"tensorcnn {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error (anywhere on the command line)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code.

    Raises
    ------
    SystemExit
        Code 2 after one line ``tensorcnn <command>: error: <message>`` on stderr, for a
        refused flag or an input the library refused (module docstring); with ``--debug``
        a library error propagates with its traceback instead.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [arg for arg in argv if arg != "--debug"]
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    prog = f"tensorcnn {args.command}"
    try:
        return int(args.func(args) or 0)
    except CLIError:
        raise
    except SystemExit as error:
        if debug and isinstance(error.__cause__, Exception):
            raise error.__cause__ from error  # the library's error, with its traceback
        if debug or error.code is None or isinstance(error.code, int):
            raise
        _fail(prog, str(error.code))
    except REFUSALS as error:
        if debug:
            raise
        _fail(prog, str(error) or type(error).__name__)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
