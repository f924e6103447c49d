"""Tests for massincidents.core.cells: missing cells, numbers and years."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from massincidents.core.cells import is_missing, parse_numbers, parse_years


def test_missing_tokens() -> None:
    cells = pd.Series(["", " ", "—", "-", "…", "...", "NA", "n/a", None, np.nan, "0", 0, "abc"])
    assert is_missing(cells).tolist() == [True] * 10 + [False] * 3


def test_number_parsing() -> None:
    cells = ["1,234.5", " 7 ", "１２", "-3", "1e3", "\u22122.5", "－１", "x", True]
    numbers, bad = parse_numbers(pd.Series(cells))
    assert numbers.tolist()[:7] == [1234.5, 7.0, 12.0, -3.0, 1000.0, -2.5, -1.0]
    assert bad.tolist() == [False] * 7 + [True, True]


def test_year_parsing() -> None:
    years, missing, bad = parse_years(pd.Series(["2017年", "2016", 2015.0, "X2014", "17", ""]))
    assert years.tolist()[:4] == [2017, 2016, 2015, 2014]
    assert bad.tolist() == [False] * 4 + [True, False]
    assert missing.tolist() == [False] * 5 + [True]


# ---------------------------------------------------------------------------
# one strict rule for numbers: nothing is guessed into a digit (issue 14)
# ---------------------------------------------------------------------------

REFUSED = {
    "28014.94¹": "superscript",  # NFKC would read 28014.941
    "10²": "superscript",  # NFKC: 102
    "2.5②": "footnote mark",  # NFKC: 2.52
    "12 34": "spaces between digits",  # was 1234
    "2016 2017": "spaces between digits",  # was 20162017
    "1_000": "underscores",  # float() accepts it
    "1,23": "decimal comma",
    "1.234,5": "decimal comma",
    "1.5亿元": "'亿元'",
    "12.5%": "'%'",
    "٣": "not ASCII",  # Arabic-Indic three: float() accepts it
    "inf": "not a finite number",
    "100-999": "a range",
    "-Infinity": "not a finite number",
    "nan": "",  # "nan" is a missing-value token, never reaches number_or_none in a column
}


@pytest.mark.parametrize("cell", sorted(REFUSED))
def test_numbers_are_refused_not_guessed(cell: str) -> None:
    from massincidents.core.cells import non_number_reason, number_or_none

    assert number_or_none(cell) is None
    assert REFUSED[cell] in non_number_reason(cell)


@pytest.mark.parametrize("cell", [float("inf"), -np.inf, 1 + 2j, np.complex128(3), True])
def test_non_finite_and_non_real_values_are_not_numbers(cell: object) -> None:
    from massincidents.core.cells import non_number_reason, number_or_none

    assert number_or_none(cell) is None
    assert non_number_reason(cell)


def test_numeric_dtype_columns_follow_the_same_rule() -> None:
    numbers, bad = parse_numbers(pd.Series([1.5, np.inf, -np.inf, np.nan]))
    assert bad.tolist() == [False, True, True, False]
    assert numbers.isna().tolist() == [False, True, True, True]
    _, bad = parse_numbers(pd.Series([1 + 0j, 2 + 1j]))
    assert bad.all()
    _, bad = parse_numbers(pd.Series(pd.to_timedelta([1, 2], unit="D")))
    assert bad.all()


def test_decimal_values_are_numbers() -> None:
    from decimal import Decimal

    numbers, bad = parse_numbers(pd.Series([Decimal("1.25"), Decimal("Infinity")], dtype=object))
    assert numbers.tolist()[0] == 1.25 and bad.tolist() == [False, True]


def test_number_like_cells() -> None:
    from massincidents.core.cells import number_like

    assert all(number_like(c) for c in ["1.5亿元", "1.234,5", "10²", "28014.94¹", "12 34", "3%"])
    words = ["n.r.", "修订", "2016-03-01", "Beijing", "2017年数据为初步核算数"]
    assert not any(number_like(c) for c in words)


def test_years_are_ascii_digits() -> None:
    years, _, bad = parse_years(pd.Series(["２０１６", "201²", "٢٠١٦", "2016²"]))
    assert years.tolist()[0] == 2016
    assert bad.tolist() == [False, True, True, True]
