"""Reshape a table to long form: one row per province-year, whatever its layout.

Three layouts are read: ``long`` (a province column, a year column, one
column per variable), ``wide`` (provinces down, years across, as in NBS and
yearbook tables: ``地区,2017年,2016年,...``) and ``wide_transposed`` (years
down, provinces across). :func:`detect_layout` tells them apart from the
header row; the ``long_from_*`` functions return a :class:`Long` with the
cells still raw, each row remembering its file line and source column so that
the validator can point at the cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from massincidents.core.cells import is_missing, is_national, year_or_none
from massincidents.errors import DataError, Problem
from massincidents.io.keys import (
    PROVINCE_NAMES,
    YEAR_NAMES,
    find_column,
    guess_by_content,
    mostly_provinces,
    province_like,
    year_like,
)
from massincidents.io.table import UNIT_IN_PARENTHESES, Table, column_name
from massincidents.provinces import MAINLAND_CODES, normalise_provinces

__all__ = [
    "Long",
    "detect_layout",
    "long_from_long",
    "long_from_transposed",
    "long_from_wide",
]


@dataclass
class Long:
    """A table in long form, cells still raw, ready for validation."""

    frame: pd.DataFrame
    lines: list[int | None]
    columns: dict[str, object]
    value_columns: list[str]
    problems: list[Problem] = field(default_factory=list)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)


def detect_layout(table: Table, province: str | None, year: str | None) -> str:
    """``"wide"`` if years run across, ``"wide_transposed"`` if provinces do, else long."""
    if table.years is not None:
        return "wide"
    if province is not None and year is not None:
        return "long"
    rest = [h for j, h in enumerate(table.header) if j > 0 and h]
    if not rest:
        return "long"
    n_years = sum(map(year_like, rest))
    n_provinces = sum(map(province_like, rest))
    if n_years >= 2 and n_years >= len(rest) / 2 and year is None:
        return "wide"
    if n_provinces >= 2 and n_provinces >= len(rest) / 2 and province is None:
        return "wide_transposed"
    return "long"


def _unique_columns(header: list[str], table: Table, label: str) -> list[Problem]:
    """Problems for repeated header labels."""
    problems = []
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        if not h:
            continue
        if h in seen:
            message = f"duplicate column name (also column {seen[h] + 1})"
            problems.append(Problem(message, label, table.header_line, h))
        else:
            seen[h] = j
    return problems


def _empty_column(table: Table, j: int) -> bool:
    return bool(is_missing(table.body[j]).all())


def long_from_long(table: Table, province: str | None, year: str | None, label: str) -> Long:
    """Key columns found by name (or content); every other column is a value."""
    header = table.header
    pi = find_column(header, province, PROVINCE_NAMES)
    yi = find_column(header, year, YEAR_NAMES)
    if pi is None and province is None:
        pi = guess_by_content(table.body, {yi} if yi is not None else set(), "province")
    if yi is None and year is None:
        yi = guess_by_content(table.body, {pi} if pi is not None else set(), "year")
    problems = []
    shown = ", ".join(repr(h) for h in header if h)
    for found, given, kind in ((pi, province, "province"), (yi, year, "year")):
        if found is None:
            what = f"no column named {given!r}" if given else f"no {kind} column found"
            message = (
                f"{what} among the columns {shown}; pass {kind}='<column>' for a long table, "
                "or layout='wide' (provinces down, years across) or "
                "layout='wide_transposed' (years down, provinces across)"
            )
            problems.append(Problem(message, label, table.header_line))
    if problems:
        raise DataError(problems)
    assert pi is not None and yi is not None
    if pi == yi:
        message = f"the same column {header[pi]!r} cannot be both province and year"
        raise DataError([Problem(message, label, table.header_line)])
    problems = _unique_columns(header, table, label)
    data: dict[str, pd.Series] = {"province": table.body[pi], "year": table.body[yi]}
    columns: dict[str, object] = {"province": header[pi], "year": header[yi]}
    dropped: list[str] = []
    renamed: dict[str, str] = {}
    values: list[str] = []
    for j, h in enumerate(header):
        if j in (pi, yi):
            continue
        if not h:
            if _empty_column(table, j):
                dropped.append(f"column {j + 1}")
                continue
            message = "cells with values in a column that has no header"
            problems.append(Problem(message, label, table.header_line, f"column {j + 1}"))
            continue
        name = h
        if name in ("province", "year"):
            name = f"{h}_raw"
            renamed[h] = name
        if name in data:
            continue  # duplicate name, reported above
        data[name] = table.body[j]
        columns[name] = h
        values.append(name)
    frame = pd.DataFrame(data)
    lines: list[int | None] = list(table.lines)
    return Long(frame, lines, columns, values, problems, {"empty": dropped}, renamed)


def _melt_wide(
    table: Table, key: int, pairs: list[tuple[int, object]], key_name: str, other: str, value: str
) -> tuple[pd.DataFrame, list[int | None], list[str], list[str]]:
    """Stack the ``pairs`` (column index, key of the column) into long rows.

    Returns the frame (``key_name`` from the key column, ``other`` from the
    column headers, ``value`` from the cells), each row's file line, and for
    each row the header label its ``other`` key and value came from.
    """
    parts = []
    lines: list[int | None] = []
    labels: list[str] = []
    n = len(table.body)
    for j, column_key in pairs:
        parts.append(
            pd.DataFrame(
                {
                    key_name: table.body[key].to_numpy(),
                    other: np.full(n, column_key, dtype=object),
                    value: table.body[j].to_numpy(),
                }
            )
        )
        lines.extend(table.lines)
        labels.extend([column_name(table.header, j)] * n)
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({key_name: [], other: [], value: []}, dtype=object)
    )
    key_labels = [column_name(table.header, key)] * len(frame)
    return frame, lines, labels, key_labels


def _key_column(table: Table, name: str | None, label: str) -> int:
    """The key column of a wide table: the one called ``name``, else the first."""
    if name is None:
        return 0
    key = find_column(table.header, name, ())
    if key is None:
        message = f"no column named {name!r} among {', '.join(map(repr, table.header))}"
        raise DataError([Problem(message, label, table.header_line)])
    return key


def long_from_wide(table: Table, province: str | None, value: str, label: str) -> Long:
    """Provinces down, years across (``地区,2017年,2016年,...``)."""
    if table.years is not None:
        return _long_from_two_row_header(table, province, label)
    header = table.header
    key = _key_column(table, province, label)
    problems = _unique_columns(header, table, label)
    pairs: list[tuple[int, object]] = []
    dropped: list[str] = []
    identifiers: list[str] = []
    for j, h in enumerate(header):
        if j == key:
            continue
        year = year_or_none(h) if h else None
        if year is not None:
            pairs.append((j, year))
        elif _empty_column(table, j):
            dropped.append(column_name(header, j))
        elif mostly_provinces(table.body[j]):
            identifiers.append(column_name(header, j))  # e.g. names next to codes
        else:
            message = (
                "header is not a year; in layout='wide' every column after the province "
                "column must be a year such as 2017 or 2017年"
            )
            problems.append(Problem(message, label, table.header_line, column_name(header, j)))
    frame, lines, labels, key_labels = _melt_wide(table, key, pairs, "province", "year", value)
    columns: dict[str, object] = {"province": key_labels, "year": labels, value: labels}
    return Long(
        frame, lines, columns, [value], problems, {"empty": dropped, "identifier": identifiers}
    )


def _long_from_two_row_header(table: Table, province: str | None, label: str) -> Long:
    """Provinces down; across, a row of years over a row of indicator names.

    NBS and EPS exports of several indicators put the years in one header row
    (each year merged across its indicators) and the indicator names in the
    next, or the other way round. Each indicator becomes a column of the
    long table, each year a row; a unit in parentheses after an indicator name
    (``地区生产总值(亿元)``) goes to ``units``.
    """
    assert table.years is not None
    header, year_labels = table.header, table.years
    key = _key_column(table, province, label)
    problems: list[Problem] = []
    cells: dict[str, dict[int, int]] = {}  # indicator -> year -> column
    units: dict[str, str] = {}
    dropped: list[str] = []
    renamed: dict[str, str] = {}
    for j in range(len(header)):
        if j == key:
            continue
        if not header[j]:
            if _empty_column(table, j):
                dropped.append(f"column {j + 1}")
            else:
                message = "cells with values in a column that has no header"
                problems.append(Problem(message, label, table.header_line, f"column {j + 1}"))
            continue
        name, unit = _name_and_unit(header[j])
        if name in ("province", "year"):
            renamed[name] = f"{name}_raw"
            name = renamed[name]
        year = year_or_none(year_labels[j])
        assert year is not None  # two_row_header accepts year rows only
        by_year = cells.setdefault(name, {})
        if year in by_year:
            first = by_year[year]
            message = f"duplicate column: {name} for {year} (also column {first + 1})"
            problems.append(Problem(message, label, table.header_line, _two_row_label(table, j)))
            continue
        by_year[year] = j
        if unit:
            units.setdefault(name, unit)
    names = list(cells)
    years = sorted({year for by_year in cells.values() for year in by_year})
    n = len(table.body)
    empty = np.full(n, None, dtype=object)
    parts = []
    lines: list[int | None] = []
    labels: dict[str, list[str]] = {name: [] for name in ("province", "year", *names)}
    for year in years:
        part = {"province": table.body[key].to_numpy(), "year": np.full(n, year, dtype=object)}
        for name in names:
            at = cells[name].get(year)
            part[name] = empty if at is None else table.body[at].to_numpy()
            where = f"{name}, {year}" if at is None else _two_row_label(table, at)
            labels[name].extend([where] * n)
        parts.append(pd.DataFrame(part))
        lines.extend(table.lines)
        labels["province"].extend([column_name(header, key)] * n)
        labels["year"].extend([f"{year}"] * n)
    columns = ["province", "year", *names]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return Long(
        frame,
        lines,
        dict(labels),
        names,
        problems,
        {"empty": dropped},
        renamed,
        units,
    )


def _two_row_label(table: Table, j: int) -> str:
    """How a column under a two-row header is named in messages: ``地区生产总值(亿元), 2016年``."""
    assert table.years is not None
    return f"{table.header[j]}, {table.years[j]}"


def _name_and_unit(text: str) -> tuple[str, str | None]:
    """``("地区生产总值", "亿元")`` from ``"地区生产总值(亿元)"``; no unit: ``(text, None)``."""
    match = UNIT_IN_PARENTHESES.match(text)
    if match and match.group(1):
        return match.group(1).strip(), match.group(2).strip()
    return text, None


def long_from_transposed(table: Table, year: str | None, value: str, label: str) -> Long:
    """Years down, provinces across (``,Beijing,Tianjin,...``)."""
    header = table.header
    key = _key_column(table, year, label)
    problems = _unique_columns(header, table, label)
    pairs: list[tuple[int, object]] = []
    dropped: dict[str, list[str]] = {"empty": [], "national_total": [], "outside_mainland": []}
    for j, h in enumerate(header):
        if j == key:
            continue
        if not h and _empty_column(table, j):
            dropped["empty"].append(column_name(header, j))
            continue
        if is_national(h):
            dropped["national_total"].append(h)
            continue
        codes, unknown = normalise_provinces(pd.Series([h], dtype=object))
        if bool(unknown.iloc[0]):
            message = (
                "header is not a province; in layout='wide_transposed' every column after "
                "the year column must be a province"
            )
            problems.append(Problem(message, label, table.header_line, column_name(header, j)))
        elif int(codes.iloc[0]) not in MAINLAND_CODES:
            dropped["outside_mainland"].append(h)
        else:
            pairs.append((j, h))
    frame, lines, labels, key_labels = _melt_wide(table, key, pairs, "year", "province", value)
    frame = frame[["province", "year", value]]
    columns: dict[str, object] = {"province": labels, "year": key_labels, value: labels}
    return Long(frame, lines, columns, [value], problems, dropped)
