"""What a cell of a statistical table means: a number, a year, a missing value.

The reader (:mod:`massincidents.io`) and the validator
(:mod:`massincidents.validate`) both parse cells with these functions, so that
they agree on what a number (``"1,234.5"``, full-width ``"１２"``), a year
(``2017``, ``"2017年"``, ``2017.0``), a missing cell (``""``, ``"—"``, ``"NA"``)
and a national-total row (``全国``, ``"National"``) are.

These are internal helpers of the package, not part of its public API.
"""

from __future__ import annotations

import datetime
import decimal
import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = [
    "MISSING_TOKENS",
    "NATIONAL_TOKENS",
    "cell_token",
    "footnote_mark",
    "is_missing",
    "is_national",
    "narrow",
    "non_number_reason",
    "number_like",
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

_YEAR_TEXT = re.compile(r"^[XxYy]?(\d{4})(?:\.0+)?\s*(?:年度?|年末)?$", re.ASCII)

# The one strict rule for a number written in a cell, applied to the text
# after full-width forms are narrowed (see :func:`narrow`): ASCII digits, an
# optional sign, decimal point and exponent, and commas only as thousands
# separators in groups of three. Nothing else: no spaces or underscores
# between digits, no superscript, circled or non-Latin digits, no units.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:[eE][+-]?\d+)?", re.ASCII)
# A cell that looks meant as a number but is not one: a run of digits and
# separators, perhaps after a sign such as 约, ~, < or ¥, and perhaps followed
# by up to four characters that are not ASCII letters or digits (a unit such as
# 亿元 or %, a footnote mark such as ¹, ② or *) or, after a space, by a word
# of up to eight letters ("1 days", "12 kg"). Identifiers ("Le945062828",
# "A12", "9f65a") and dates ("2016-03-01") are not number-like.
_NUMBER_LIKE = re.compile(
    r"(约|≈|~|<|>|≤|≥|¥|\$|€|£|)\s*([+-]?[0-9.,'_ ]*[0-9][0-9.,'_ ]*)"
    r"((?:[^\x00-\x7f]|[%*#]){0,4}|(?<= )[A-Za-z]{1,8}\.?)"
)
_EUROPEAN = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d{1,2}|\d+,\d{4,})", re.ASCII)
#: Full-width ASCII forms (U+FF01-U+FF5E), the ideographic space and the minus
#: sign U+2212 (typeset tables), narrowed to ASCII.
_NARROW = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0x2212: 0x2D}


def narrow(text: str) -> str:
    """Full-width forms to ASCII (``"１２．５"`` -> ``"12.5"``), surrounding spaces removed.

    Unlike Unicode NFKC normalisation, superscript (``¹``), circled (``②``)
    and other compatibility digits are left alone, so that a footnote mark is
    never read as a digit (NFKC turns ``"28014.94¹"`` into ``"28014.941"``).

    Examples
    --------
    >>> narrow("\u3000１２．５ "), narrow("\u22123.5"), narrow("28014.94¹")
    ('12.5', '-3.5', '28014.94¹')
    """
    return text.translate(_NARROW).strip()


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
    """Parse one non-missing cell as a finite number; ``None`` when it is not one.

    The one rule for numbers, used for CSV, Excel, Parquet and DataFrame
    cells alike. Numbers (Python, NumPy, ``Decimal``) must be real and
    finite: ``inf``, complex numbers, booleans, dates and durations are not
    numbers. Text must be an ASCII decimal number after full-width forms are
    narrowed: ``"1234.5"``, ``"-3"``, ``"1e3"``, ``"１２"``, and ``"1,234.5"``
    with commas in groups of three. Anything else is refused -- superscript
    or circled digits (``"28014.94¹"``, ``"2.5②"``), spaces or underscores
    between digits (``"12 34"``, ``"1_000"``), decimal commas (``"1,23"``),
    units (``"1.5亿元"``, ``"12%"``) -- rather than guessed;
    :func:`non_number_reason` says why.

    Examples
    --------
    >>> number_or_none("1,234.5"), number_or_none("１２"), number_or_none("28014.94¹")
    (1234.5, 12.0, None)
    >>> number_or_none("1_000"), number_or_none("12 34"), number_or_none(float("inf"))
    (None, None, None)
    """
    if isinstance(value, bool | np.bool_ | np.timedelta64 | np.datetime64):
        return None  # np.timedelta64 is a NumPy integer type
    if isinstance(value, int | float | np.integer | np.floating | decimal.Decimal):
        try:
            number = float(value)
        except (OverflowError, ValueError):  # a huge int, a Decimal NaN
            return None
        return number if np.isfinite(number) else None
    if not isinstance(value, str):
        return None
    text = narrow(value)
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    elif not _PLAIN_NUMBER.fullmatch(text):
        return None
    number = float(text)
    return number if np.isfinite(number) else None


def number_like(value: object) -> bool:
    """Whether a text cell that is not a number looks meant as one.

    A number with a unit or footnote mark (``"1.5亿元"``, ``"12%"``,
    ``"28014.94¹"``), with a decimal comma (``"1.234,5"``) or with spaces or
    underscores between its digits is number-like; words (``"n.r."``,
    ``"修订"``), dates (``"2016-03-01"``) and sentences are not.

    Examples
    --------
    >>> [number_like(v) for v in ["1.5亿元", "1.234,5", "10²", "约3", "n.r.", "2016-03-01", "A12"]]
    [True, True, True, True, False, False, False]
    """
    if not isinstance(value, str):
        return False
    return _NUMBER_LIKE.fullmatch(narrow(value)) is not None


def non_number_reason(value: object) -> str:
    """Why a non-missing cell is not read as a number, for error messages ("" if no hint).

    Examples
    --------
    >>> non_number_reason("2.5②")
    "a footnote mark '②' after the number 2.5: remove the mark (and check the note it points to)"
    >>> non_number_reason("1.234,5")
    "a decimal comma? write numbers as 1234.5 (point for decimals, no separator or ',' for thousands)"
    """  # noqa: E501
    if isinstance(value, complex | np.complexfloating):
        return "a complex number"
    if isinstance(value, bool | np.bool_):
        return "a true/false value, not a number"
    if isinstance(value, float | np.floating) and np.isinf(value):
        return "an infinite value"
    if isinstance(value, pd.Timedelta | np.timedelta64 | datetime.timedelta):
        return "a duration: convert it to a number (e.g. of days) first"
    if isinstance(value, pd.Timestamp | np.datetime64 | datetime.date):
        return "a date, not a number"
    if not isinstance(value, str):
        return f"a {type(value).__name__}, not a number"
    text = narrow(value)
    if text.casefold().lstrip("+-") in ("inf", "infinity", "nan"):
        return "not a finite number"
    marked = footnote_mark(text)
    if marked is not None:
        trailing, mark = marked
        what = "a footnote mark"
        if any(unicodedata.decomposition(c).startswith("<super>") for c in mark):
            what = "a superscript (footnote mark or exponent?)"
        return (
            f"{what} {mark!r} after the number {trailing}: remove the mark "
            "(and check the note it points to)"
        )
    if any(_is_mark(c) or (c.isdigit() and not c.isascii()) for c in text):
        return "digits that are not ASCII 0-9 (superscript, circled or non-Latin digits)"
    if "_" in text and number_or_none(text.replace("_", "")) is not None:
        return "underscores between digits: write the number without separators"
    if re.search(r"\d\s+\d", text):
        return "spaces between digits: one number or two? write it without spaces"
    if re.fullmatch(r"[0-9.,]+\s*(?:-|–|~|～|至|到)\s*[0-9.,]+", text):
        return "a range, not a number (if the column holds categories, name it in text=)"
    if _EUROPEAN.fullmatch(text):
        return (
            "a decimal comma? write numbers as 1234.5 "
            "(point for decimals, no separator or ',' for thousands)"
        )
    match = _NUMBER_LIKE.fullmatch(text)
    if match and (match.group(1) or match.group(3)):
        extra = " and ".join(repr(g) for g in (match.group(1), match.group(3)) if g)
        return (
            f"text {extra} around the number: keep only the number in the cell "
            "(put units such as 亿元 or % in the column name)"
        )
    return ""


def footnote_mark(value: object) -> tuple[str, str] | None:
    """``("28014.94", "¹")`` for a number followed by footnote marks, else ``None``.

    Marks are superscript and circled digits and ``*``, ``†``, ``‡``, ``§``, ``#``.

    Examples
    --------
    >>> footnote_mark("28014.94¹"), footnote_mark("2.5②"), footnote_mark("3*"), footnote_mark("3")
    (('28014.94', '¹'), ('2.5', '②'), ('3', '*'), None)
    """
    if not isinstance(value, str):
        return None
    text = narrow(value)
    number = text.rstrip("".join(c for c in text if _is_mark(c))).rstrip()
    if number == text or number_or_none(number) is None:
        return None
    return number, text[len(number) :].strip()


def _is_mark(char: str) -> bool:
    """A superscript or circled digit, or another footnote sign (``*``, ``†``, ``‡``)."""
    if char in "*†‡§#":
        return True
    return not char.isascii() and unicodedata.digit(char, None) is not None and not (
        unicodedata.category(char) == "Nd"
    )


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
        ``bad`` marks cells that are present but are not numbers by the
        rule of :func:`number_or_none` -- for every dtype, so that a DataFrame
        or Parquet column of ``inf``, complex numbers or durations is refused
        just as the same cells in a CSV are.

    Examples
    --------
    >>> numbers, bad = parse_numbers(pd.Series(["1,234.5", "—", "abc", 3, "10²"]))
    >>> numbers.tolist()[:2], bad.tolist()
    ([1234.5, nan], [False, False, True, False, True])
    """
    dtype = values.dtype
    if pd.api.types.is_numeric_dtype(dtype) and dtype.kind in "iuf":  # not bool, complex, m8
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        infinite = np.isinf(numbers.to_numpy())
        if infinite.any():  # the same rule as for text: "inf" is not a number
            numbers = numbers.where(~infinite)
        return numbers, pd.Series(infinite, index=values.index)
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
    if isinstance(value, bool | np.bool_ | np.timedelta64 | np.datetime64):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(value) if float(value).is_integer() else None
    if isinstance(value, str):
        match = _YEAR_TEXT.match(narrow(value))
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
