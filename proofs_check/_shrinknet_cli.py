"""Shared command line of the shrinknet_prop_a*.py scripts: run the checks, print, exit."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from tensorcnn.sparsity.propositions import Check


def main(run: Callable[..., list[Check]], title: str, doc: str | None, argv=None,
         must_fail: Callable[[int], list[Check]] | None = None,
         must_fail_title: str = "") -> int:
    """Print every check of ``run(seed)``; exit 1 unless all pass (and all of
    ``must_fail(seed)``, the deliberately wrong variant shown for contrast, fail)."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    checks = run(args.seed)
    for check in checks:
        print(check)
    ok = all(c.passed for c in checks)
    if must_fail is not None:
        print(f"\n{must_fail_title} (each expected to FAIL):")
        contrast = must_fail(args.seed)
        for check in contrast:
            print(check)
        ok &= not any(c.passed for c in contrast)
    print(f"\n{title}:", "verified" if ok else "NOT verified")
    return 0 if ok else 1
