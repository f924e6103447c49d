"""Checks of events_to_panel's arguments and of rows that cannot be counted as they are."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import duckdb
import pandas as pd

from massincidents.errors import DataError, Problem
from massincidents.events.dates import EARLIEST_YEAR, latest_year
from massincidents.events.query import EventQuery
from massincidents.events.sources import literal
from massincidents.provinces import MAINLAND_CODES, UnknownProvinceError, province_code

#: Output columns of a ``by=`` panel besides the categories themselves.
RESERVED_CATEGORIES = {"total": "the row total", "missing": "events without a category"}


def panel_codes(provinces: Sequence[int | str] | None) -> tuple[int, ...]:
    """The province codes of the panel: each named once, each known."""
    if provinces is None:
        return MAINLAND_CODES
    if isinstance(provinces, str | int):
        provinces = [provinces]
    problems: list[Problem] = []
    codes: list[int] = []
    seen: dict[int, int | str] = {}
    for given in provinces:
        try:
            code = province_code(given)
        except UnknownProvinceError as err:
            problems.append(Problem(f"provinces=: {err}"))
            continue
        if code in seen:
            problems.append(
                Problem(f"provinces= lists {code} twice ({seen[code]!r} and {given!r})")
            )
            continue
        seen[code] = given
        codes.append(code)
    if problems:
        raise DataError(problems)
    if not codes:
        raise DataError("provinces= is empty: name at least one province")
    return tuple(codes)


def check_columns(available: list[str], wanted: dict[str, str | None], label: str) -> None:
    """A DataError naming each missing column, with the closest names."""
    problems = []
    for role, name in wanted.items():
        if name is not None and name not in available:
            close = difflib.get_close_matches(name, available, n=3, cutoff=0.4)
            hint = f"; close column names: {', '.join(close)}" if close else ""
            problems.append(Problem(f"the {role} column is missing{hint}", file=label, column=name))
    if problems:
        raise DataError(problems)


def check_formats(con: duckdb.DuckDBPyConnection, date_format: str | Sequence[str]) -> None:
    """A DataError when a ``date_format`` is not a format DuckDB's strptime knows."""
    formats = [date_format] if isinstance(date_format, str) else list(date_format)
    for fmt in formats:
        try:
            con.execute(f"SELECT TRY_STRPTIME('', {literal(str(fmt))})").fetchall()
        except duckdb.Error as err:
            raise DataError(f"date_format={fmt!r} is not a strptime format: {err}") from None


def row_problems(counter: EventQuery, grouped: pd.DataFrame, valid: pd.Series) -> list[Problem]:
    """Rows that cannot be counted as they are: named, never guessed."""
    n = grouped["n"].astype("int64")
    problems: list[Problem] = []
    date, freq = counter.date_column, counter.freq
    ambiguous = grouped["ambiguous"].astype(bool)
    if ambiguous.any():
        problems += counter.problems(
            "ambiguous", int(n[ambiguous].sum()),
            "{value!r} reads as {extra}, in different " + freq + "s: pass dayfirst=True "
            "(day first) or dayfirst=False (month first), or date_format=",
            date, extra="strftime(day_first, '%-d %B %Y') || ' (day first) or ' "
            "|| strftime(month_first, '%-d %B %Y') || ' (month first)'",
        )
    readings = set(grouped["reading"].dropna())
    if {"day-first", "month-first"} <= readings:
        for kind, other in (("day-first", "month-first"), ("month-first", "day-first")):
            problems += counter.problems(
                f"reading = '{kind}'", int(n[grouped["reading"] == kind].sum()),
                "{value!r} can only be read " + kind + ", but other rows can only be read "
                + other + ": the column mixes two conventions; pass dayfirst= to choose one "
                "(dates that do not fit it then count as unparseable)",
                date,
            )
    if counter.by is not None:
        for name, meaning in RESERVED_CATEGORIES.items():
            clash = grouped["cat"] == name
            if clash.any():
                problems += counter.problems(
                    f"cat = '{name}'", int(n[clash].sum()),
                    f"category {name!r} would be mixed up with the output column {name!r} "
                    f"({meaning}): rename it",
                    counter.by,
                )
    implausible = valid & grouped["implausible"].astype(bool)
    if implausible.any():
        spellings = ", ".join(literal(p) for p in grouped.loc[implausible, "prov"].unique())
        earliest = f"{EARLIEST_YEAR:04d}-01-01"
        problems += counter.problems(
            f"{counter.window.implausible_sql('d')} AND prov IN ({spellings})",
            int(n[implausible].sum()),
            "date {value!r} is {extra}, probably a mistyped year: fix it, or pass start= "
            "and end= to set the window (events outside it are then reported, not counted)",
            date,
            extra=f"CASE WHEN d < DATE '{earliest}' THEN 'before {EARLIEST_YEAR}' "
            f"ELSE 'after {latest_year()}' END",
        )
    return problems
