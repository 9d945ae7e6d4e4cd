"""``tensorcnn check``: run every ``proofs_check/`` script and print a summary table.

A check script exits non-zero when its result fails. It may declare, at module level, a
literal ``CHECK = {"result": …, "paper": …, "section": …, "tolerance": …}``; the table reads
it without importing the script (``ast.literal_eval``), so a broken script still gets a row.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ._flags import STDOUT, add_json, add_quiet, write_json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check", help="run the numerical checks of the papers' results (proofs_check/)",
        description="Run each script in proofs_check/ (or --dir) in its own process and "
        "print a table: result, paper and section, tolerance, status, time. Exits 1 when a "
        "check fails.")
    parser.add_argument("--dir", type=Path, default=None,
                        help="folder of check scripts (default: ./proofs_check, else the one "
                        "beside the installed package)")
    parser.add_argument("--only", default="", help="run only scripts whose name contains this")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds allowed per script (default 900)")
    add_json(parser, "the table")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each script's output")
    add_quiet(parser)
    parser.set_defaults(func=run)


@dataclass
class CheckRow:
    """One line of the summary table."""

    script: str
    result: str
    paper: str
    section: str
    tolerance: str
    status: str
    seconds: float
    output: str


def _installed_check_dirs() -> list[Path]:
    """Where the installed distribution put its proofs_check scripts (a wheel's data files:
    ``<prefix>/share/tensorcnn/proofs_check`` for whatever prefix it was installed to)."""
    from importlib import metadata

    try:
        files = metadata.distribution("tensorcnn").files or []
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare tree
        return []
    return [Path(f.locate()).resolve().parent for f in files
            if f.name == "_report.py" and "proofs_check" in f.parts]


def find_check_dir(explicit: Path | None) -> Path:
    """The proofs_check folder: explicit, in the working directory, beside the package (a
    clone), or where a wheel installs it (``<prefix>/share/tensorcnn/proofs_check``)."""
    if explicit is not None:
        candidates = [explicit]
    else:
        candidates = [Path.cwd() / "proofs_check",
                      Path(__file__).resolve().parents[2] / "proofs_check",
                      *_installed_check_dirs()]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise SystemExit(f"no proofs_check folder found (looked in {', '.join(map(str, candidates))})")


def read_metadata(script: Path) -> dict[str, str]:
    """The script's literal CHECK dict, or defaults from its name and docstring."""
    metadata = {"result": script.stem.replace("_", " "), "paper": "?", "section": "?",
                "tolerance": "?"}
    try:
        tree = ast.parse(script.read_text())
    except SyntaxError:
        return metadata
    docstring = ast.get_docstring(tree)
    if docstring:
        metadata["result"] = docstring.strip().splitlines()[0]
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "CHECK"):
            try:
                declared = ast.literal_eval(node.value)
            except ValueError:
                break
            metadata.update({k: str(v) for k, v in declared.items() if k in metadata})
    return metadata


def run_script(script: Path, timeout: float) -> CheckRow:
    """Run one check script in a fresh interpreter and time it."""
    metadata = read_metadata(script)
    start = time.perf_counter()
    try:
        process = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                                 timeout=timeout, cwd=script.parent.parent)
        status = "PASS" if process.returncode == 0 else f"FAIL ({process.returncode})"
        output = process.stdout + process.stderr
    except subprocess.TimeoutExpired as error:
        status, output = "TIMEOUT", (error.stdout or "") if isinstance(error.stdout, str) else ""
    return CheckRow(script.name, metadata["result"], metadata["paper"], metadata["section"],
                    metadata["tolerance"], status, time.perf_counter() - start, output)


def format_table(rows: list[CheckRow]) -> str:
    headers = ["result", "paper", "section", "tolerance", "status", "time"]
    cells = [[r.result, r.paper, r.section, r.tolerance, r.status, f"{r.seconds:.1f}s"]
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    folder = find_check_dir(args.dir)
    say = (lambda *_, **__: None) if args.json == STDOUT else print
    status = (lambda *_, **__: None) if args.quiet else say
    scripts = sorted(p for p in folder.glob("*.py")
                     if not p.name.startswith("_") and args.only in p.name)
    if not scripts:
        print(f"no check scripts in {folder} matching {args.only!r}")
        return 1
    rows = []
    for script in scripts:
        row = run_script(script, args.timeout)
        rows.append(row)
        status(f"{row.status:<9} {script.name} ({row.seconds:.1f}s)", flush=True)
        if args.verbose or row.status != "PASS":
            say("    " + row.output.strip().replace("\n", "\n    "))
    status()
    say(format_table(rows))
    failed = [r for r in rows if r.status != "PASS"]
    say(f"\n{len(rows) - len(failed)} passed, {len(failed)} failed")
    if args.json is not None:
        write_json(args.json, [asdict(r) for r in rows])
    return 1 if failed else 0
