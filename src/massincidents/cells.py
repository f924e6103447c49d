"""What a cell of a statistical table means: a number, a year, a missing value.

The reader (:mod:`massincidents.io`) and the validator
(:mod:`massincidents.validate`) both parse cells with these functions, so that
they agree on what a number (``"1,234.5"``, full-width ``"１２"``), a year
(``2017``, ``"2017年"``, ``2017.0``), a missing cell (``""``, ``"—"``, ``"NA"``)
and a national-total row (``全国``, ``"National"``) are.

These are internal helpers of the package, not part of its public API.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = [
    "MISSING_TOKENS",
    "NATIONAL_TOKENS",
    "cell_token",
    "is_missing",
    "is_national",
    "number_or_none",
    "parse_numbers",
    "parse_years",
    "year_or_none",
]

#: Cell contents that mean "no value" in statistical tables (compared after
#: Unicode NFKC normalisation, stripping and case folding).
MISSING_TOKENS: frozenset[str] = frozenset(
    {
        "",
        "-",
        "--",
        "---",
        "—",
        "——",
        "–",
        "―",
        "...",
        "......",
        "…",
        "……",
        "·",
        "na",
        "n/a",
        "n.a.",
        "n.a",
        "nan",
        "null",
        "none",
        "#n/a",
        "n.d.",
        "无数据",
        "缺失",
    }
)

#: Spellings of national totals that appear as rows of provincial tables
#: (compared after removing all whitespace and case folding).
NATIONAL_TOKENS: frozenset[str] = frozenset(
    {
        "全国",
        "全国合计",
        "全国总计",
        "全国总计数",
        "合计",
        "总计",
        "中国",
        "中国合计",
        "national",
        "nationaltotal",
        "nationwide",
        "china",
        "chinatotal",
        "total",
        "all",
        "allchina",
        "wholecountry",
        "mainlandchina",
        "sum",
        "总和",
    }
)

_YEAR_TEXT = re.compile(r"^[XxYy]?(\d{4})(?:\.0+)?\s*(?:年度?|年末)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")


def cell_token(value: object) -> str:
    """Normalised text of a cell for comparison with token sets."""
    return unicodedata.normalize("NFKC", str(value)).strip().casefold()


def is_missing(values: pd.Series) -> pd.Series:
    """Boolean mask of cells that are empty or hold a missing-value token.

    Examples
    --------
    >>> is_missing(pd.Series(["1.5", "", "—", None, "NA", 2.0])).tolist()
    [False, True, True, True, True, False]
    """
    mask = values.isna().to_numpy(copy=True)
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        for i, value in enumerate(values.to_numpy()):
            if not mask[i] and isinstance(value, str) and cell_token(value) in MISSING_TOKENS:
                mask[i] = True
    return pd.Series(mask, index=values.index)


def number_or_none(value: object) -> float | None:
    """Parse one non-missing cell as a number; ``None`` when it is not one."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return None if np.isinf(number) or np.isnan(number) else number


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column as numbers.

    Parameters
    ----------
    values
        Cells of one column, of any dtype.

    Returns
    -------
    numbers, bad
        ``numbers`` is a float Series (NaN where missing or not a number);
        ``bad`` marks cells that are present but are not numbers.

    Examples
    --------
    >>> numbers, bad = parse_numbers(pd.Series(["1,234.5", "—", "abc", 3]))
    >>> numbers.tolist()[:2], bad.tolist()
    ([1234.5, nan], [False, False, True, False])
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        return numbers, pd.Series(False, index=values.index)
    missing = is_missing(values).to_numpy()
    out = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values.to_numpy()):
        if missing[i]:
            continue
        number = number_or_none(value)
        if number is None:
            bad[i] = True
        else:
            out[i] = number
    return pd.Series(out, index=values.index), pd.Series(bad, index=values.index)


def year_or_none(value: object) -> int | None:
    """Parse one non-missing cell as an integer year (``2017``, ``"2017年"``, ``2017.0``)."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(value) if float(value).is_integer() else None
    if isinstance(value, str):
        match = _YEAR_TEXT.match(unicodedata.normalize("NFKC", value).strip())
        return int(match.group(1)) if match else None
    return None


def parse_years(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse a column as integer years.

    Returns
    -------
    years, missing, bad
        ``years`` is a nullable ``Int64`` Series; ``missing`` marks empty
        cells; ``bad`` marks cells that are present but are not integer years.

    Examples
    --------
    >>> years, missing, bad = parse_years(pd.Series(["2017年", 2016.0, "2015.5", ""]))
    >>> years.tolist(), bad.tolist()
    ([2017, 2016, <NA>, <NA>], [False, False, True, False])
    """
    missing = is_missing(values)
    out: list[int | None] = []
    bad = np.zeros(len(values), dtype=bool)
    for i, (value, empty) in enumerate(zip(values.to_numpy(), missing.to_numpy(), strict=True)):
        year = None if empty else year_or_none(value)
        if year is None and not empty:
            bad[i] = True
        out.append(year)
    years = pd.Series(out, index=values.index, dtype="Int64")
    return years, missing, pd.Series(bad, index=values.index)


def is_national(value: object) -> bool:
    """True for cells such as 全国, "全  国", "National", "China" or "Total".

    Examples
    --------
    >>> is_national("全  国"), is_national("National"), is_national("北京")
    (True, True, False)
    """
    if not isinstance(value, str):
        return False
    return re.sub(r"\s+", "", cell_token(value)) in NATIONAL_TOKENS
