"""Static checks of the chapters' sources (no build): wording and structure a referee asked for.

These read the MyST sources only, so they run in a second; the numbers themselves are checked by
the build guards in the chapters (a ``RuntimeError`` stops the build when the data stop supporting
a sentence) and by ``test_book_build.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

BOOK = Path(__file__).resolve().parents[2] / "book"
CHAPTERS = BOOK / "chapters"


def _text(name: str) -> str:
    return (CHAPTERS / name).read_text(encoding="utf-8")


def _prose(name: str) -> str:
    """The chapter without its code cells."""
    return re.sub(r"```\{code-cell\}.*?```", "", _text(name), flags=re.S)


def test_causes_counts_its_models_right() -> None:
    prose = _prose("03_causes.md")
    assert "Three specifications" not in prose
    assert "Four models are fitted" in prose


def test_causes_says_where_the_missing_series_are() -> None:
    """'No provincial series' is not what the data say: the series are in licensed yearbooks."""
    text = _text("03_causes.md")
    assert "no provincial series" not in text.lower()
    assert "no public provincial series" not in text.lower()
    assert "with public data" not in text
    assert text.count("licensed yearbooks") >= 3
    assert "massincidents rerun" in text


def test_causes_words_income_by_what_survives() -> None:
    prose = _prose("03_causes.md")
    assert "this survives the wild bootstrap" not in prose
    text = _text("03_causes.md")
    checks = ("mi.influence", "CV3", "Romano-Wolf", "Holm", "Guangdong", "tbl-causes-fragility")
    for check in checks:
        assert check in text, check


def test_prevention_states_timing_rule_scale_and_assumptions() -> None:
    text = _text("04_prevention.md")
    assert "by 30 June" in text
    assert "share of the national count" in text
    assert "no anticipation" in text and "parallel trends with not-yet-treated" in text
    assert 'base_period="universal"' in text or "base_period=base_period" in text
    assert "mi.honest_did(" in text and "tbl-prevention-honest" in text


def test_prevention_uses_one_unit_and_two_row_cells() -> None:
    text = _text("04_prevention.md")
    assert "log GDP per capita\": \"log GDP per capita\"" not in text  # the old per-log-unit label
    assert '"GDP per capita, +10%"' in text
    assert "def hr_rows(" in text  # hazard ratio above, interval below
    # the one-cell 'HR [low, high]' layout that wrapped onto three lines
    assert "hr_cell(" not in text


def test_prevention_states_risk_sets_and_calendar_adjustment() -> None:
    prose = _prose("04_prevention.md")
    assert prose.lower().count("*risk set:*") >= 5  # AG, PWP total and gap, first strike, turnover
    assert "nearly the Andersen-Gill model" in prose
    assert "includes years after the one" in prose
    assert 'strata="cal_year"' in _text("04_prevention.md")


def test_ledger_is_in_the_table_of_contents_before_the_replication_page() -> None:
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc["parts"] for c in part.get("chapters", [])]
    assert "chapters/ledger" in files
    assert files.index("chapters/ledger") == files.index("chapters/replication") - 1
    text = _text("ledger.md")
    assert "LEDGER: list[LedgerRow]" in text  # the structure other chapters extend
    assert "tbl-ledger-causes" in text and "tbl-ledger-measures" in text
