"""events_to_panel below the province: counts per prefecture or county and period.

The DuckDB query groups events by the text of the province and unit columns
and period. Here every distinct unit is resolved
with the division registry: a 6-digit code is taken as it is, a name through
:func:`massincidents.division_code` within the event's province (and, when the
name alone is ambiguous, within the period's year). Nothing is guessed:

- ``missing_<level>``: the unit column is empty;
- ``unknown_<level>``: no division has that code or name;
- ``ambiguous_<level>``: the name matches several units (the candidates are
  named in the warning);
- ``<level>_in_other_province``: the unit lies outside the event's province;
- ``<level>_not_valid_in_period``: the code is not in force in the event's
  year (map older codes first with :func:`massincidents.harmonise_codes`);
- ``year_outside_registry``: the event's year is outside the lists (2010-2019).

The panel is zero-filled over the roster valid in each period: a code valid
from 2015 gets rows from 2015 only. With ``vintage=`` (a year), the roster of
that year is used for every period and the units are checked against it:
the convention of a panel harmonised to one vintage (map older codes first
with :func:`massincidents.harmonise_codes`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from massincidents.errors import DataError, DataQualityWarning, Problem
from massincidents.events.checks import row_problems
from massincidents.events.dates import days_to_dates
from massincidents.events.query import EventQuery
from massincidents.provinces import OUTSIDE_MAINLAND_CODES, normalise_provinces

LEVELS = ("prefecture", "county")
_CODE = re.compile(r"\d{6}(\.0+)?")


def _year_of(period: pd.Series, freq: str) -> pd.Series:
    if freq == "year":
        return period
    if freq == "quarter":
        return period // 10
    if freq == "month":
        return period // 100
    days = pd.DatetimeIndex(days_to_dates(period.fillna(0).astype("int64")))
    return pd.Series(days.year, index=period.index).where(period.notna())


def _valid_years(level: str) -> dict[int, tuple[int, int]]:
    from massincidents.divisions.table import divisions

    table = divisions()
    rows = table[table["level"] == level]
    spans = rows.groupby("code").agg(first=("valid_from", "min"), last=("valid_to", "max"))
    return {int(c): (int(a), int(b)) for c, a, b in spans.itertuples()}


def _resolve(
    text: str, province: int | None, level: str, known: dict[int, tuple[int, int]]
) -> tuple[int | None, str, str]:
    """(code, reason, detail) of one unit text without a year; reason '' when resolved."""
    from massincidents.divisions.names import (
        AmbiguousDivisionError,
        UnknownDivisionError,
        division_code,
    )

    if _CODE.fullmatch(text):
        code = int(float(text))
        return (code, "", "") if code in known else (None, "unknown", f"code {code}")
    try:
        return division_code(text, level=level, province=province), "", ""
    except AmbiguousDivisionError as err:
        codes = ", ".join(str(c) for c in err.candidates["code"])
        return None, "ambiguous", f"{text!r} ({codes})"
    except UnknownDivisionError:
        return None, "unknown", repr(text)


def _resolve_all(
    province_text: pd.Series,
    unit_text: pd.Series,
    year: pd.Series,
    level: str,
    known: dict[int, tuple[int, int]],
) -> tuple[pd.Series, pd.Series, dict[str, set[str]], pd.Series]:
    """Code and reason of every grouped row, resolving each distinct text once.

    Returns
    -------
    code, reason, details, province
        ``code`` (nullable) and ``reason`` ("" when resolved, else "missing",
        "unknown" or "ambiguous") per row; ``details`` the texts named in the
        warning; ``province`` the event's province code per row.
    """
    from massincidents.divisions.names import AmbiguousDivisionError, division_code
    from massincidents.divisions.table import FIRST_YEAR, LAST_YEAR

    index = province_text.index
    pairs = pd.DataFrame({"prov": province_text.to_numpy(), "unit": unit_text.to_numpy()})
    # groups numbered in order of first appearance, as drop_duplicates keeps them
    keys = pairs.groupby(["prov", "unit"], dropna=False, sort=False).ngroup().to_numpy()
    distinct = pairs.drop_duplicates()
    texts = distinct["unit"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    provs, _ = normalise_provinces(distinct["prov"])
    prov_of_key = provs.to_numpy(dtype=object)
    code_of_key = np.full(len(distinct), -1, dtype=np.int64)
    reason_of_key = np.full(len(distinct), "", dtype=object)
    details: dict[str, set[str]] = {"unknown": set(), "ambiguous": set()}
    by_year: list[int] = []  # keys whose name must be resolved within each year
    cache: dict[tuple[str, object], tuple[int | None, str, str]] = {}
    years = year.to_numpy(dtype="float64", na_value=np.nan)
    for k, text in enumerate(texts):
        if text == "":
            reason_of_key[k] = "missing"
            continue
        p = prov_of_key[k]
        p = None if pd.isna(p) else int(p)
        if (text, p) not in cache:
            cache[(text, p)] = _resolve(text, p, level, known)
        got, why, detail = cache[(text, p)]
        if got is not None:
            code_of_key[k] = got
            if not _CODE.fullmatch(text):
                by_year.append(k)  # checked below against the years of its rows
            continue
        reason_of_key[k] = why
        if why == "ambiguous":
            by_year.append(k)
        else:
            details[why].add(detail)
    code_arr = code_of_key[keys].astype("float64")
    reason_arr = reason_of_key[keys].copy()
    if by_year:
        rows = np.flatnonzero(np.isin(keys, by_year))
        for k in by_year:
            mine = rows[keys[rows] == k]
            got = code_of_key[k]
            lo, hi = known.get(int(got), (0, 0)) if got >= 0 else (0, 0)
            ys = years[mine]
            if got >= 0 and np.all(np.isnan(ys) | ((ys >= lo) & (ys <= hi))):
                continue
            # a name resolved to the latest unit (毕节 -> 520500) but some events are
            # older, or a name ambiguous without a year: resolve it within each year
            text, p = texts[k], prov_of_key[k]
            p = None if pd.isna(p) else int(p)
            code_arr[mine] = np.nan
            reason_arr[mine] = "ambiguous"
            for y in np.unique(ys[~np.isnan(ys)]):
                sub = mine[ys == y]
                if not FIRST_YEAR <= int(y) <= LAST_YEAR:
                    reason_arr[sub] = ""  # reported as outside the registry's years
                    code_arr[sub] = got if got >= 0 else np.nan
                    continue
                try:
                    code_arr[sub] = division_code(text, level=level, province=p, year=int(y))
                    reason_arr[sub] = ""
                except AmbiguousDivisionError as err:
                    codes = ", ".join(str(c) for c in err.candidates["code"])
                    details["ambiguous"].add(f"{text!r} in {int(y)} ({codes})")
                except ValueError:
                    reason_arr[sub] = "unknown"
                    details["unknown"].add(repr(text))
    code = pd.Series(code_arr, index=index).astype("Int64")
    code = code.where(code >= 0)
    reason = pd.Series(reason_arr, index=index, dtype=object)
    prov = pd.Series(prov_of_key[keys], index=index).astype("Int64")
    return code, reason, details, prov


def assemble_units(
    counter: EventQuery,
    grouped: pd.DataFrame,
    panel_codes: tuple[int, ...],
    level: str,
    period_index: Callable[[str, pd.Timestamp, pd.Timestamp], pd.Index],
    vintage: int | None = None,
) -> pd.DataFrame:
    """Turn the grouped counts into the zero-filled unit-period panel with its accounting.

    ``period_index(freq, first, last)`` gives the periods of the window (the
    province-level panel's own function, passed in to keep the modules apart).
    With ``vintage``, the units of that year make the roster of every period
    and the events' units are checked against that year, not their own.
    """
    from massincidents.divisions.table import FIRST_YEAR, LAST_YEAR, divisions

    freq, window, label = counter.freq, counter.window, counter.source.label
    n = grouped["n"].astype("int64")
    read = int(n.sum())
    year = _year_of(grouped["period"], freq)
    if vintage is not None:  # every event is read against the vintage's roster
        year = pd.Series(float(vintage), index=grouped.index).where(grouped["period"].notna())
    known = _valid_years(level)
    code, reason, details, prov = _resolve_all(grouped["prov"], grouped["unit"], year, level, known)

    no_date = grouped["period"].isna().to_numpy()
    unit = code.fillna(-1).to_numpy(dtype="int64")
    event_province = prov.fillna(-1).to_numpy(dtype="int64")
    resolved = unit >= 0
    unit_province = np.where(resolved, unit // 10000 * 10000, -1)
    other_province = resolved & (event_province >= 0) & (unit_province != event_province)
    effective = np.where(resolved, unit_province, event_province)
    outside = np.isin(effective, OUTSIDE_MAINLAND_CODES)
    not_in_panel = resolved & ~other_province & ~np.isin(effective, panel_codes)
    y = year.fillna(0).to_numpy(dtype="int64")
    year_outside = ~no_date & ((y < FIRST_YEAR) | (y > LAST_YEAR))
    spans = pd.DataFrame.from_dict(known, orient="index", columns=["first", "last"])
    where = spans.index.get_indexer(unit)
    first = np.where(where >= 0, spans["first"].to_numpy()[where], 9999)
    last = np.where(where >= 0, spans["last"].to_numpy()[where], 0)
    not_valid = resolved & ~no_date & ~year_outside & ~((first <= y) & (y <= last))
    why = reason.to_numpy(dtype=object)

    reasons: list[tuple[str, np.ndarray]] = [
        ("outside_mainland", outside & ~resolved),
        (f"missing_{level}", (why == "missing") & ~outside),
        (f"unknown_{level}", (why == "unknown") & ~outside),
        (f"ambiguous_{level}", (why == "ambiguous") & ~outside),
        (f"{level}_in_other_province", other_province),
        ("province_not_in_panel", not_in_panel),
        ("unparseable_date", resolved & ~other_province & ~not_in_panel & no_date),
        ("year_outside_registry", year_outside),
        (f"{level}_not_valid_in_period", not_valid),
    ]
    counts = n.to_numpy()
    taken = np.zeros(len(grouped), dtype=bool)
    left_out: dict[str, int] = {}
    for name, mask in reasons:
        mask = mask & ~taken
        left_out[name] = int(counts[mask].sum())
        taken |= mask
    valid = ~taken

    problems = row_problems(counter, grouped, pd.Series(valid, index=grouped.index))
    if problems:
        raise DataError(problems)
    if not valid.any() and (window.start is None or window.end is None):
        raise DataError(
            [Problem(f"no event has both a known {level} and a valid date", file=label)]
        )
    first_days = grouped["first_day"].to_numpy()[valid]
    last_days = grouped["last_day"].to_numpy()[valid]
    first_day = pd.Timestamp(window.start or days_to_dates([first_days.min()])[0])
    last_day = pd.Timestamp(window.end or days_to_dates([last_days.max()])[0])
    in_window = valid & grouped["in_window"].to_numpy(dtype=bool)
    left_out["outside_window"] = int(counts[valid & ~in_window].sum())

    accounting: dict[str, Any] = {
        "events_read": read,
        "counted": int(counts[in_window].sum()),
        "left_out": left_out,
    }
    _warn(accounting, details, level)

    periods = period_index(freq, first_day, last_day)
    roster = _roster_index(divisions(), level, periods, freq, panel_codes, vintage)
    keys = grouped["period"].to_numpy()[in_window].astype("int64")
    if freq == "day":
        keys = pd.DatetimeIndex(days_to_dates(keys))
    cats = grouped["cat"].fillna("missing").to_numpy(dtype=object)[in_window]
    columns = sorted(set(cats), key=str) if counter.by is not None else ["count"]
    column_of = {c: i for i, c in enumerate(columns)}
    cells = np.zeros((len(roster), len(columns)), dtype=np.int64)
    at = roster.get_indexer(pd.MultiIndex.from_arrays([unit[in_window], keys]))
    if (at < 0).any():  # pragma: no cover - a counted event outside the roster is a bug
        raise RuntimeError("an event counted outside the roster of its year")
    np.add.at(
        cells, (at, np.array([column_of[c] for c in cats], dtype=np.int64)), counts[in_window]
    )
    table = pd.DataFrame(cells, index=roster, columns=columns)
    if counter.by is not None:
        table["total"] = table.sum(axis=1)
    table.insert(0, "province", roster.get_level_values(level).to_numpy() // 10000 * 10000)
    table.attrs["accounting"] = accounting
    table.attrs["freq"] = freq
    table.attrs["level"] = level
    return table


def _roster_index(
    table: pd.DataFrame,
    level: str,
    periods: pd.Index,
    freq: str,
    panel_codes: tuple[int, ...],
    vintage: int | None = None,
) -> pd.MultiIndex:
    """(unit, period) for every unit in force in each period's year, sorted."""
    from massincidents.divisions.table import FIRST_YEAR, LAST_YEAR

    rows = table[(table["level"] == level) & (table["province_code"].isin(panel_codes))]
    if freq == "day":
        years = np.asarray(pd.DatetimeIndex(periods).year)
    else:
        years = _year_of(pd.Series(periods), freq).to_numpy()
    if vintage is not None:
        years = np.full(len(periods), vintage)
    units, stamps = [], []
    for y in np.unique(years):
        if not FIRST_YEAR <= int(y) <= LAST_YEAR:
            continue
        in_force = np.unique(
            rows.loc[(rows["valid_from"] <= y) & (rows["valid_to"] >= y), "code"].to_numpy()
        )
        these = np.flatnonzero(years == y)
        units.append(np.repeat(in_force, len(these)))
        stamps.append(np.tile(these, len(in_force)))
    unit = np.concatenate(units) if units else np.empty(0, dtype=np.int64)
    position = np.concatenate(stamps) if stamps else np.empty(0, dtype=np.int64)
    order = np.lexsort((position, unit))
    return pd.MultiIndex.from_arrays(
        [unit[order].astype("int64"), periods[position[order]]], names=[level, freq]
    )


def _warn(accounting: dict[str, Any], details: dict[str, set[str]], level: str) -> None:
    left = {k: v for k, v in accounting["left_out"].items() if v}
    if not left:
        return
    detail = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in left.items())
    named = []
    for why in ("ambiguous", "unknown"):
        if details[why]:
            shown = sorted(details[why])
            more = f" and {len(shown) - 5} more" if len(shown) > 5 else ""
            named.append(f"{why} {level}: {'; '.join(shown[:5])}{more}")
    message = (
        f"events_to_panel counted {accounting['counted']} of {accounting['events_read']} "
        f"events; left out: {detail}"
    )
    if named:
        message += " (" + "; ".join(named) + ")"
    warnings.warn(message, DataQualityWarning, stacklevel=4)
