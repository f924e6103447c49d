"""benchmarks/readme_timings.py: pytest's closing lines, the step table, the README markers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "readme_timings", REPO_ROOT / "benchmarks" / "readme_timings.py"
)
rt = importlib.util.module_from_spec(_spec)
sys.modules["readme_timings"] = rt  # dataclasses look their module up
_spec.loader.exec_module(rt)


def test_counts_come_from_the_last_closing_line() -> None:
    output = (
        "===== 3 passed in 1.00s =====\n"
        "....\n"
        "=== 1,403 is not a count here ===\n"
        "==== 1398 passed, 5 skipped, 2 deselected, 12 warnings in 161.20s (0:02:41) ====\n"
    )
    assert rt.pytest_counts(output) == {
        "passed": 1398,
        "skipped": 5,
        "deselected": 2,
        "warnings": 12,
    }
    assert rt.pytest_counts("= 2 failed, 1 passed, 1 error in 3.0s =") == {
        "failed": 2,
        "passed": 1,
        "errors": 1,
    }
    with pytest.raises(ValueError, match="no pytest summary"):
        rt.pytest_counts("make: *** [test] Error 1")


def test_book_time_is_read_from_the_step_table() -> None:
    table = (
        "        massincidents reproduce\n"
        "┏━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━┓\n"
        "┃ step             ┃ seconds ┃ status ┃\n"
        "┡━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━┩\n"
        "│ 01_data_clb      │     3.1 │ ok     │\n"
        "│ book             │    55.4 │ ok     │\n"
        "└──────────────────┴─────────┴────────┘\n"
    )
    assert rt.step_seconds(table, "book") == 55.4
    assert rt.step_seconds(table, "01_data_clb") == 3.1
    assert rt.step_seconds(table, "02_missing") is None


def _timings(**changes) -> object:
    values = {
        "date": "2026-12-07",
        "cores": 2,
        "setup": 46.2,
        "reproduce": 64.0,
        "book": 55.4,
        "rebuild": 1.6,
        "test_pinned": 161.0,
        "tests_pinned": {"passed": 1398, "skipped": 5},
        "test_latest": 290.0,
        "tests_latest": {"passed": 1340, "skipped": 3},
    }
    return rt.Timings(**{**values, **changes})


def test_paragraph_says_what_was_measured() -> None:
    text = rt.paragraph(_timings())
    assert "measured 2026-12-07" in text and "2-core" in text
    assert "took 46 s" in text and "`make reproduce` 64 s" in text
    assert "55 s the cold book build" in text and "rebuild takes 2 s" in text
    assert "2 min 41 s in `.venv`" in text and "1,398 tests, 5 skipped" in text
    assert "4 min 50 s for `.venv-latest`" in text and "1,340 tests" in text
    failed = rt.paragraph(_timings(tests_pinned={"passed": 10, "failed": 2}))
    assert "12 tests" in failed and "2 FAILED" in failed
    skipped = rt.paragraph(
        _timings(test_latest=None, tests_latest=None, latest_skipped_reason="no Python 3.13")
    )
    assert "was skipped (no Python 3.13)" in skipped


def test_only_the_text_between_the_markers_changes() -> None:
    readme = f"intro\n{rt.START}\nold numbers\n{rt.END}\n## Example\n"
    assert rt.replace_between_markers(readme, "new numbers") == (
        f"intro\n{rt.START}\nnew numbers\n{rt.END}\n## Example\n"
    )
    with pytest.raises(ValueError, match="once each"):
        rt.replace_between_markers("no markers", "x")


def test_readme_holds_the_markers_once() -> None:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert text.count(rt.START) == 1 and text.count(rt.END) == 1
    assert text.index(rt.START) < text.index(rt.END)
