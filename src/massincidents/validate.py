"""Validation of provincial panels.

:func:`validate` looks at a province-year table once and reports *every*
problem it finds in a single :class:`~massincidents.errors.DataError`, each with
the file, the row (the file's line number when known) and the column, so that a
user can fix a file in one go. Problems that do not make the data unusable
(gaps in years, provinces missing from some years, rows for Hong Kong, Macao or
Taiwan) are issued as one warning each, with counts.

The private helpers that parse numbers and years (:func:`_parse_numbers`,
:func:`_parse_years`, :func:`_is_missing`) are shared with
:mod:`massincidents.io`, so that a reader and the validator agree on what a
number, a year and a missing cell are.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from massincidents.errors import DataError, DataQualityWarning, OutsideMainlandWarning, Problem
from massincidents.provinces import (
    MAINLAND_CODES,
    normalise_provinces,
    province_code,
    province_name,
)

__all__ = ["validate"]

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


# ---------------------------------------------------------------------------
# cell parsing, shared with massincidents.io
# ---------------------------------------------------------------------------


def _token(value: object) -> str:
    """Normalised text of a cell for comparison with token sets."""
    return unicodedata.normalize("NFKC", str(value)).strip().casefold()


def _is_missing(values: pd.Series) -> pd.Series:
    """Boolean mask of cells that are empty or hold a missing-value token.

    Examples
    --------
    >>> _is_missing(pd.Series(["1.5", "", "—", None, "NA", 2.0])).tolist()
    [False, True, True, True, True, False]
    """
    mask = values.isna().to_numpy(copy=True)
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        for i, value in enumerate(values.to_numpy()):
            if not mask[i] and isinstance(value, str) and _token(value) in MISSING_TOKENS:
                mask[i] = True
    return pd.Series(mask, index=values.index)


def _number_or_none(value: object) -> float | None:
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


def _parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
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
    >>> numbers, bad = _parse_numbers(pd.Series(["1,234.5", "—", "abc", 3]))
    >>> numbers.tolist()[:2], bad.tolist()
    ([1234.5, nan], [False, False, True, False])
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        return numbers, pd.Series(False, index=values.index)
    missing = _is_missing(values).to_numpy()
    out = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values.to_numpy()):
        if missing[i]:
            continue
        number = _number_or_none(value)
        if number is None:
            bad[i] = True
        else:
            out[i] = number
    return pd.Series(out, index=values.index), pd.Series(bad, index=values.index)


def _year_or_none(value: object) -> int | None:
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


def _parse_years(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse a column as integer years.

    Returns
    -------
    years, missing, bad
        ``years`` is a nullable ``Int64`` Series; ``missing`` marks empty
        cells; ``bad`` marks cells that are present but are not integer years.

    Examples
    --------
    >>> years, missing, bad = _parse_years(pd.Series(["2017年", 2016.0, "2015.5", ""]))
    >>> years.tolist(), bad.tolist()
    ([2017, 2016, <NA>, <NA>], [False, False, True, False])
    """
    missing = _is_missing(values)
    out: list[int | None] = []
    bad = np.zeros(len(values), dtype=bool)
    for i, (value, empty) in enumerate(zip(values.to_numpy(), missing.to_numpy(), strict=True)):
        year = None if empty else _year_or_none(value)
        if year is None and not empty:
            bad[i] = True
        out.append(year)
    years = pd.Series(out, index=values.index, dtype="Int64")
    return years, missing, pd.Series(bad, index=values.index)


def _is_national(value: object) -> bool:
    """True for cells such as 全国, "全  国", "National", "China" or "Total".

    Examples
    --------
    >>> _is_national("全  国"), _is_national("National"), _is_national("北京")
    (True, True, False)
    """
    if not isinstance(value, str):
        return False
    return re.sub(r"\s+", "", _token(value)) in NATIONAL_TOKENS


def _show(value: object) -> str:
    """A cell for messages: ``'abc'``, ``2.5`` (numpy scalars as plain numbers).

    Examples
    --------
    >>> _show(np.float64(2.5)), _show("abc"), _show(np.int64(3))
    ('2.5', "'abc'", '3')
    """
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _describe(code: int) -> str:
    """``110000 (Beijing)`` for messages."""
    try:
        return f"{code} ({province_name(code)})"
    except ValueError:
        return str(code)


# ---------------------------------------------------------------------------
# the checks
# ---------------------------------------------------------------------------


@dataclass
class _Checked:
    """What :func:`_check_frame` found and parsed."""

    problems: list[Problem] = field(default_factory=list)
    soft: list[tuple[str, type[Warning]]] = field(default_factory=list)
    codes: pd.Series | None = None
    years: pd.Series | None = None
    numeric: dict[str, pd.Series] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)


def _column_label(columns: Mapping[str, object] | None, name: str, i: int) -> str:
    """The column to name in a message for frame column ``name`` at row ``i``.

    ``columns`` maps frame columns either to one original header label or to a
    per-row sequence of labels (wide tables, where each cell came from its own
    year column).
    """
    if columns is None or name not in columns:
        return name
    label = columns[name]
    if isinstance(label, str):
        return label
    return str(label[i])  # type: ignore[index]


def _check_keys(
    frame: pd.DataFrame,
    province: str,
    year: str,
    rows: Sequence[int | None],
    columns: Mapping[str, object] | None,
    year_range: tuple[int, int],
    source: str | None,
) -> tuple[list[Problem], pd.Series, pd.Series]:
    """Check the province and year keys; return problems, codes and years."""
    problems: list[Problem] = []
    raw = frame[province]
    codes, unknown = normalise_provinces(raw)
    empty = _is_missing(raw)
    for i in np.flatnonzero((unknown | empty).to_numpy()):
        value = raw.iloc[i]
        col = _column_label(columns, province, i)
        if empty.iloc[i]:
            message = "province is missing"
        elif _is_national(value):
            message = (
                f"{_show(value)} is a national total, not a province; remove the row "
                "(read_panel drops such rows with a warning)"
            )
        else:
            try:
                province_code(value)
                message = f"unknown province {_show(value)}"
            except ValueError as err:
                message = str(err)[0].lower() + str(err)[1:]
        problems.append(Problem(message, file=source, row=rows[i], column=col))

    years, missing, bad = _parse_years(frame[year])
    low, high = year_range
    for i in np.flatnonzero(missing.to_numpy()):
        col = _column_label(columns, year, i)
        problems.append(Problem("year is missing", file=source, row=rows[i], column=col))
    for i in np.flatnonzero(bad.to_numpy()):
        col = _column_label(columns, year, i)
        value = frame[year].iloc[i]
        message = f"year {_show(value)} is not an integer year"
        problems.append(Problem(message, file=source, row=rows[i], column=col))
    outside = years.notna() & ((years < low) | (years > high))
    for i in np.flatnonzero(outside.fillna(False).to_numpy()):
        col = _column_label(columns, year, i)
        message = f"year {years.iloc[i]} is outside the plausible range {low}-{high}"
        problems.append(Problem(message, file=source, row=rows[i], column=col))
    return problems, codes, years


def _check_duplicates(
    frame: pd.DataFrame,
    province: str,
    codes: pd.Series,
    years: pd.Series,
    rows: Sequence[int | None],
    columns: Mapping[str, object] | None,
    source: str | None,
) -> list[Problem]:
    """One problem for every row that repeats a (province, year) key.

    A wide-table row that repeats another province row gives one problem
    listing its years, not one per year.
    """
    keys = pd.DataFrame({"code": codes, "year": years}).reset_index(drop=True)
    keys = keys[keys.notna().all(axis=1)]
    dup = keys.duplicated(keep=False)
    grouped: dict[tuple[object, ...], list[int]] = {}
    for (code, year), group in keys[dup].groupby(["code", "year"], sort=False):
        positions = list(group.index)
        first = positions[0]
        where = f"row {rows[first]}" if rows[first] is not None else f"position {first}"
        for i in positions[1:]:
            raw = frame[province].iloc[i]
            col = _column_label(columns, province, i)
            key = (rows[i] if rows[i] is not None else f"#{i}", col, where, _show(raw), int(code))
            grouped.setdefault(key, []).append(int(year))
    problems: list[Problem] = []
    for (row, col, where, raw, code), dup_years in grouped.items():
        if len(dup_years) == 1:
            what = f"duplicate province-year ({raw} = {_describe(code)}, {dup_years[0]})"
            same = "the same key is"
        else:
            what = (
                f"duplicate province-years ({raw} = {_describe(code)}, "
                f"{len(dup_years)} years: {_year_span(dup_years)})"
            )
            same = "the same keys are"
        problems.append(
            Problem(
                f"{what}; {same} at {where}",
                file=source,
                row=row if isinstance(row, int) else None,
                column=col,
            )
        )
    return problems


def _pivot_hint(
    frame: pd.DataFrame,
    codes: pd.Series,
    years: pd.Series,
    text_columns: Sequence[str],
    columns: Mapping[str, object] | None,
    source: str | None,
) -> list[Problem]:
    """Explain duplicates that a text column tells apart ("long-long" tables).

    A table with one row per province, year *and variable* (columns such as
    ``variable, value``) repeats every (province, year); it needs a pivot, not
    a fix of its rows.
    """
    keys = pd.DataFrame({"code": codes, "year": years}).reset_index(drop=True)
    for name in text_columns:
        with_column = keys.assign(extra=frame[name].reset_index(drop=True))
        if not with_column.dropna().duplicated().any():
            spec = columns.get(name) if columns is not None else None
            label = spec if isinstance(spec, str) else name
            message = (
                f"the duplicate province-years differ by column {label!r}: the table has one "
                f"row per province, year and {label}; pivot it to one column per {label} "
                f"first, e.g. df.pivot_table(index=['province', 'year'], columns={label!r}, "
                "values='value')"
            )
            return [Problem(message, file=source, column=label)]
    return []


def _year_span(years: Sequence[int]) -> str:
    """``1993-2017`` for consecutive years, else a list.

    Examples
    --------
    >>> _year_span([2001, 2000, 2002]), _year_span([2000, 2005])
    ('2000-2002', '2000, 2005')
    """
    ordered = sorted(set(years))
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}-{ordered[-1]}"
    return ", ".join(map(str, ordered))


def _check_values(
    frame: pd.DataFrame,
    value_columns: Iterable[str],
    counts: Sequence[str],
    rows: Sequence[int | None],
    columns: Mapping[str, object] | None,
    source: str | None,
    checked: _Checked,
) -> None:
    """Check value columns: non-numeric cells, empty columns, bad counts."""
    for name in value_columns:
        values = frame[name]
        numbers, bad = _parse_numbers(values)
        n_bad, n_ok = int(bad.sum()), int(numbers.notna().sum())
        spec = columns.get(name) if columns is not None else None
        label = spec if isinstance(spec, str) else name  # wide tables: the value name
        if n_ok == 0 and n_bad == 0:
            message = f"column is entirely missing (all {len(frame)} cells empty)"
            checked.problems.append(Problem(message, file=source, column=label))
            checked.numeric[name] = numbers
            continue
        if name not in counts and n_bad > n_ok:
            checked.text.append(name)  # a text column (names, notes): not checked
            continue
        checked.numeric[name] = numbers
        for i in np.flatnonzero(bad.to_numpy()):
            message = f"non-numeric value {_show(values.iloc[i])} in a numeric column"
            col = _column_label(columns, name, i)
            checked.problems.append(Problem(message, file=source, row=rows[i], column=col))
        if name in counts:
            arr = numbers.to_numpy()
            with np.errstate(invalid="ignore"):
                negative = arr < 0
                fractional = ~np.isnan(arr) & (arr != np.round(arr))
            for i in np.flatnonzero(negative | fractional):
                kind = "negative" if negative[i] else "fractional"
                message = f"{kind} count {_show(values.iloc[i])}; counts must be whole numbers >= 0"
                col = _column_label(columns, name, i)
                checked.problems.append(Problem(message, file=source, row=rows[i], column=col))


def _examples(items: Sequence[str], n: int = 5) -> str:
    shown = "; ".join(items[:n])
    return shown + (f"; ... ({len(items) - n} more)" if len(items) > n else "")


def _soft_problems(
    codes: pd.Series, years: pd.Series, source: str | None
) -> list[tuple[str, type[Warning]]]:
    """Gaps in years within provinces, provinces missing from some years, HK/MO/TW rows."""
    prefix = f"{source}: " if source else ""
    keys = pd.DataFrame({"code": codes, "year": years}).dropna().astype("int64")
    keys = keys.drop_duplicates()
    out: list[tuple[str, type[Warning]]] = []

    outside = keys[~keys["code"].isin(MAINLAND_CODES)]
    if len(outside):
        names = ", ".join(_describe(int(c)) for c in sorted(outside["code"].unique()))
        out.append(
            (
                f"{prefix}{len(outside)} row(s) are for Hong Kong, Macao or Taiwan ({names}), "
                "outside the mainland panel; drop them before fitting a mainland model",
                OutsideMainlandWarning,
            )
        )

    gaps: list[str] = []
    n_gap = 0
    for code, group in keys.groupby("code"):
        present = set(group["year"])
        missing = sorted(set(range(min(present), max(present) + 1)) - present)
        if missing:
            n_gap += len(missing)
            gaps.append(f"{_describe(int(code))}: {', '.join(map(str, missing))}")
    if gaps:
        out.append(
            (
                f"{prefix}{len(gaps)} province(s) have gaps in their years "
                f"({n_gap} missing province-year(s)): {_examples(gaps)}",
                DataQualityWarning,
            )
        )

    all_codes = set(keys["code"])
    absent: list[str] = []
    n_absent = 0
    if keys["year"].nunique() > 1 and len(all_codes) > 1:
        for year, group in keys.groupby("year"):
            missing_codes = sorted(all_codes - set(group["code"]))
            if missing_codes:
                n_absent += len(missing_codes)
                absent.append(f"{year}: {', '.join(_describe(int(c)) for c in missing_codes)}")
    if absent:
        out.append(
            (
                f"{prefix}{len(absent)} year(s) lack provinces that other years have "
                f"({n_absent} missing province-year(s)): {_examples(absent)}",
                DataQualityWarning,
            )
        )
    return out


def _check_frame(
    frame: pd.DataFrame,
    *,
    province: str = "province",
    year: str = "year",
    rows: Sequence[int | None] | None = None,
    columns: Mapping[str, object] | None = None,
    counts: Sequence[str] | None = None,
    year_range: tuple[int, int] = (1949, 2100),
    source: str | None = None,
) -> _Checked:
    """Run every check on a frame with ``province`` and ``year`` as columns.

    Parameters
    ----------
    frame
        The table, one row per observation, with a default (positional) index.
    rows
        For each row, the number to report (a file line number); defaults to
        the 0-based position.
    columns
        Frame column -> original column label, or a per-row sequence of labels.
    """
    frame = frame.reset_index(drop=True)
    if rows is None:
        rows = list(range(len(frame)))
    counts = list(counts or [])
    checked = _Checked()
    for name in counts:
        if name not in frame.columns:
            known = ", ".join(repr(c) for c in frame.columns)
            message = f"count column {name!r} not found; the columns are {known}"
            checked.problems.append(Problem(message, file=source, column=name))
    if len(frame) == 0:
        checked.problems.append(Problem("the table has no rows", file=source))
        return checked

    key_problems, codes, years = _check_keys(
        frame, province, year, rows, columns, year_range, source
    )
    cell_problems = key_problems + _check_duplicates(
        frame, province, codes, years, rows, columns, source
    )
    value_columns = [c for c in frame.columns if c not in (province, year)]
    _check_values(frame, value_columns, counts, rows, columns, source, checked)
    if any(p.message.startswith("duplicate province-year") for p in cell_problems):
        checked.problems += _pivot_hint(frame, codes, years, checked.text, columns, source)
    structural = [p for p in checked.problems if p.row is None]
    cell_problems += [p for p in checked.problems if p.row is not None]
    cell_problems.sort(key=lambda p: p.row if p.row is not None else -1)
    # A wide-table row with an unknown province gives one problem, not one per year.
    checked.problems = list(dict.fromkeys(structural + cell_problems))
    checked.codes, checked.years = codes, years
    if not checked.problems:
        checked.soft = _soft_problems(codes, years, source)
    return checked


def _as_columns(df: pd.DataFrame, province: str, year: str, source: str | None) -> pd.DataFrame:
    """Bring ``province`` and ``year`` from the index into columns if needed."""
    names = [n for n in df.index.names if n is not None]
    frame = df
    if province in names or year in names:
        overlap = [n for n in names if n in df.columns]
        if overlap:
            raise DataError(
                [Problem(f"{overlap[0]!r} is both an index level and a column", file=source)]
            )
        frame = df.reset_index(level=[n for n in names if n in (province, year)])
    missing = [n for n in (province, year) if n not in frame.columns]
    if missing:
        known = ", ".join(repr(c) for c in frame.columns)
        problems = [
            Problem(
                f"no {name!r} column or index level (the columns are {known}); "
                f"pass {'province' if name == province else 'year'}=... to name it",
                file=source,
            )
            for name in missing
        ]
        raise DataError(problems)
    return frame


def _source_rows(df: pd.DataFrame) -> list[int | None] | None:
    """Row numbers from ``df.attrs["source_rows"]`` when they match the frame.

    ``read_panel`` stores a dict from (province, year) to file line; a list
    aligned with the rows is accepted too. Anything that does not match the
    current rows (for example after filtering) is ignored.
    """
    stored = df.attrs.get("source_rows")
    if isinstance(stored, Mapping):
        labels: list[Hashable] = list(df.index)
        if labels and all(label in stored for label in labels):
            return [stored[label] for label in labels]
        return None
    if isinstance(stored, list | tuple) and len(stored) == len(df):
        return list(stored)
    return None


def validate(
    df: pd.DataFrame,
    *,
    counts: Sequence[str] | None = None,
    year_range: tuple[int, int] = (1949, 2100),
    source: str | None = None,
    province: str = "province",
    year: str = "year",
) -> pd.DataFrame:
    """Check a province-year panel and report every problem at once.

    Hard problems, each reported with file, row and column:

    - duplicate (province, year) keys (after normalising province names, so
      ``北京`` and ``北京市`` in the same year are duplicates);
    - unknown provinces (with the closest known spellings), national-total
      rows, missing provinces;
    - missing years, non-integer years (``2017.5``, ``"2017-06"``) and years
      outside ``year_range``;
    - non-numeric cells (``"abc"``) in numeric columns; a column counts as
      numeric when its dtype is numeric or when at most half of its filled
      cells are not numbers (mostly-text columns, such as names, are left
      alone);
    - negative or fractional values in the columns named in ``counts``, and
      count columns that do not exist;
    - a value column that is entirely missing.

    Soft problems, issued as one warning each with counts:
    :class:`~massincidents.errors.DataQualityWarning` for gaps in the years of
    a province and for years that lack provinces present in other years;
    :class:`~massincidents.errors.OutsideMainlandWarning` for rows for Hong
    Kong, Macao or Taiwan.

    Parameters
    ----------
    df
        The panel, with ``province`` and ``year`` either as index levels (as
        returned by :func:`massincidents.read_panel`) or as columns. Provinces
        may be codes or any spelling :func:`massincidents.province_code`
        accepts.
    counts
        Names of count columns (incidents, strikes), which must hold whole
        numbers >= 0. Nothing is treated as a count unless named here.
    year_range
        Inclusive range of plausible years.
    source
        File name to print in messages; defaults to ``df.attrs["source"]``.
    province, year
        Names of the key columns or index levels.

    Returns
    -------
    pandas.DataFrame
        ``df`` itself, unchanged, when there are no hard problems.

    Raises
    ------
    DataError
        Listing every hard problem. Rows are file line numbers when
        ``df.attrs["source_rows"]`` (set by ``read_panel``) matches the rows,
        otherwise 0-based positions in ``df``.

    Examples
    --------
    >>> import pandas as pd
    >>> import massincidents as mi
    >>> df = pd.DataFrame({"province": ["北京", "Beijing", "Gotham"],
    ...                    "year": [2017, 2017, 2017], "strikes": [3, 2.5, "n/a"]})
    >>> try:
    ...     mi.validate(df, counts=["strikes"])
    ... except mi.DataError as err:
    ...     print(err)
    3 problems found in the input data:
      - row 1, column 'province': duplicate province-year ('Beijing' = 110000 (Beijing), 2017); the same key is at row 0
      - row 1, column 'strikes': fractional count 2.5; counts must be whole numbers >= 0
      - row 2, column 'province': unknown province 'Gotham'.
    """  # noqa: E501
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"validate expects a pandas DataFrame, got {type(df).__name__}")
    if source is None and isinstance(df.attrs.get("source"), str):
        source = df.attrs["source"]
    rows = _source_rows(df)
    frame = _as_columns(df, province, year, source)
    checked = _check_frame(
        frame,
        province=province,
        year=year,
        rows=rows,
        counts=counts,
        year_range=year_range,
        source=source,
    )
    if checked.problems:
        raise DataError(checked.problems)
    for message, category in checked.soft:
        warnings.warn(message, category, stacklevel=2)
    return df
