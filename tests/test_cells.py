"""Tests for massincidents.cells: missing cells, numbers and years."""

from __future__ import annotations

import numpy as np
import pandas as pd

from massincidents.cells import is_missing, parse_numbers, parse_years


def test_missing_tokens() -> None:
    cells = pd.Series(["", " ", "—", "-", "…", "...", "NA", "n/a", None, np.nan, "0", 0, "abc"])
    assert is_missing(cells).tolist() == [True] * 10 + [False] * 3


def test_number_parsing() -> None:
    numbers, bad = parse_numbers(pd.Series(["1,234.5", " 7 ", "１２", "-3", "1e3", "x", True]))
    assert numbers.tolist()[:5] == [1234.5, 7.0, 12.0, -3.0, 1000.0]
    assert bad.tolist() == [False] * 5 + [True, True]


def test_year_parsing() -> None:
    years, missing, bad = parse_years(pd.Series(["2017年", "2016", 2015.0, "X2014", "17", ""]))
    assert years.tolist()[:4] == [2017, 2016, 2015, 2014]
    assert bad.tolist() == [False] * 4 + [True, False]
    assert missing.tolist() == [False] * 5 + [True]
