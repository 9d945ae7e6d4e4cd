"""docs/cli.md is the parsers' own table: regenerate it when a flag changes (#20)."""

from __future__ import annotations

from pathlib import Path

from tensorcnn.cli._reference import reference_markdown

PAGE = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_the_reference_page_matches_the_parsers():
    assert PAGE.read_text() == reference_markdown(), (
        "docs/cli.md is stale: python -m tensorcnn.cli._reference > docs/cli.md")


def test_every_subcommand_and_flag_is_listed():
    text = PAGE.read_text()
    for command in ("ablation", "audit", "check", "count", "demo", "shrinknet", "simulate",
                    "train"):
        assert f"## `tensorcnn {command}`" in text
    assert "`--out`" in text and "`--seed`" in text
