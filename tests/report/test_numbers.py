"""Report tables: significant digits by magnitude, integers as integers, tiny effects flagged."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import massincidents as mi
from massincidents.report.numbers import format_number, tiny_per_unit, whole_number_columns
from massincidents.report.tables import format_cell, to_markdown
from massincidents.spec import rerun

SPEC = {
    "version": 1,
    "data": {"unit": "province", "time": "year"},
    "outcome": {"count": "y", "exposure": "population"},
    "causes": {"social": ["x1_yuan"], "solving": [], "legal": [], "system": ["x2"]},
    "measures": {m: [] for m in mi.spec.MEASURES},
    "models": ["poisson"],
}


def test_significant_digits_by_magnitude() -> None:
    assert format_cell(1.2e-6, 4) == "1.200e-06"  # a fixed 4 decimals printed 0.0000
    assert format_cell(-0.00042, 4) == "-0.0004200"
    assert format_cell(123456.789, 4) == "123457"
    assert format_cell(2.5e9, 3) == "2.50e+09"
    assert format_cell(0.5, 3) == "0.500" and format_cell(12, 4) == "12"
    assert format_number(9.99996, 4) == "10.00" and format_number(0.0999999, 4) == "0.1000"


def test_whole_numbers_print_as_integers() -> None:
    df = whole_number_columns(pd.DataFrame({"used": [248.0, None], "b": [0.25, 1.0]}))
    assert to_markdown(df).splitlines()[2:] == ["| 248 | 0.250 |", "|  | 1.00 |"]


def test_tiny_per_unit_rule() -> None:
    assert tiny_per_unit(4e-4) and not tiny_per_unit(6e-4) and not tiny_per_unit(float("nan"))


def test_badly_scaled_indicator_is_flagged_and_readable(tmp_path: Path) -> None:
    df = mi.datasets.simulate_panel(31, 6, seed=2)
    df["x1_yuan"] = df["x1"] * 1e6  # the indicator in yuan instead of millions
    result = rerun(df, SPEC, tmp_path / "out")
    assert any("Rescale x1_yuan" in note for note in result.notes)
    assert not any("Rescale x2" in note for note in result.notes)
    md = (tmp_path / "out" / "tables" / "coefficients.md").read_text(encoding="utf-8")
    row = next(line for line in md.splitlines() if "| x1_yuan |" in line)
    assert "0.0000 |" not in row and "e-0" in row
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "per unit of x1_yuan is tiny: rescale x1_yuan" in page
    rows_md = (tmp_path / "out" / "tables" / "rows.md").read_text(encoding="utf-8")
    assert "| 186 |" in rows_md and "186.0" not in rows_md
