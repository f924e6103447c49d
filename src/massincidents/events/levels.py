"""events_to_panel below the province: counts per prefecture or county and period.

The DuckDB query groups events by the text of the province and unit columns
(joined by :data:`SEPARATOR`) and period. Here every distinct unit is resolved
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
from 2015 gets rows from 2015 only.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from massincidents.errors import DataError, DataQualityWarning, Problem
from massincidents.events.checks import row_problems
from massincidents.events.dates import days_to_dates
from massincidents.events.query import EventQuery
from massincidents.provinces import OUTSIDE_MAINLAND_CODES, normalise_provinces

#: joins the province and unit texts in the grouped query
SEPARATOR = "\x1f"
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


def assemble_units(
    counter: EventQuery,
    grouped: pd.DataFrame,
    panel_codes: tuple[int, ...],
    level: str,
) -> pd.DataFrame:
    """Turn the grouped counts into the zero-filled unit-period panel with its accounting."""
    from massincidents.divisions.names import AmbiguousDivisionError, division_code
    from massincidents.divisions.table import FIRST_YEAR, LAST_YEAR, divisions

    freq, window, label = counter.freq, counter.window, counter.source.label
    n = grouped["n"].astype("int64")
    read = int(n.sum())
    split = grouped["prov"].fillna(SEPARATOR).str.split(SEPARATOR, n=1, expand=True)
    prov_text = split[0].replace("", None)
    unit_text = split[1].fillna("").str.strip()
    prov, _ = normalise_provinces(prov_text)
    known = _valid_years(level)
    year = _year_of(grouped["period"], freq)

    # resolve each distinct (unit text, province) once; names ambiguous without a
    # year are tried again within each year
    code = pd.Series(pd.NA, index=grouped.index, dtype="Int64")
    reason = pd.Series("", index=grouped.index, dtype=object)
    details: dict[str, set[str]] = {"unknown": set(), "ambiguous": set()}
    pairs = pd.DataFrame({"text": unit_text, "prov": prov})
    for (text, province), rows in pairs.groupby(["text", "prov"], dropna=False).groups.items():
        if text == "":
            reason[rows] = "missing"
            continue
        p = None if pd.isna(province) else int(province)
        got, why, detail = _resolve(text, p, level, known)
        if got is not None:
            code[rows] = got
            lo, hi = known[got]
            years = year[rows]
            if _CODE.fullmatch(text) or years.isna().all() or years.dropna().between(lo, hi).all():
                continue
            # a name resolved to the latest unit (毕节 -> 520500) but the event is older:
            # resolve it again within each year
            code[rows] = pd.NA
            why = "ambiguous"
        if why == "ambiguous":
            for y, sub in year[rows].groupby(year[rows]).groups.items():
                if not FIRST_YEAR <= int(y) <= LAST_YEAR:
                    continue
                try:
                    code[sub] = division_code(text, level=level, province=p, year=int(y))
                except AmbiguousDivisionError as err:
                    codes = ", ".join(str(c) for c in err.candidates["code"])
                    details["ambiguous"].add(f"{text!r} in {int(y)} ({codes})")
                    reason[sub] = "ambiguous"
                except ValueError:
                    reason[sub] = "unknown"
                    details["unknown"].add(repr(text))
            rest = rows[code[rows].isna() & reason[rows].eq("")]
            if len(rest):
                reason[rest] = "ambiguous"
                details["ambiguous"].add(detail)
        else:
            reason[rows] = why
            details[why].add(detail)

    no_date = grouped["period"].isna()
    resolved = code.notna()
    unit_province = (code // 10000 * 10000).astype("Int64")
    other_province = resolved & prov.notna() & (unit_province != prov).fillna(False)
    effective_province = unit_province.where(resolved, prov)
    outside = effective_province.isin(OUTSIDE_MAINLAND_CODES).fillna(False).astype(bool)
    not_in_panel = (
        resolved
        & ~other_province
        & ~effective_province.isin(panel_codes).fillna(False).astype(bool)
    )
    year_outside = ~no_date & ~year.between(FIRST_YEAR, LAST_YEAR).fillna(False).astype(bool)
    first = np.array([known.get(int(c), (9999, 0))[0] if pd.notna(c) else 9999 for c in code])
    last = np.array([known.get(int(c), (9999, 0))[1] if pd.notna(c) else 0 for c in code])
    y = year.fillna(0).to_numpy()
    not_valid = (
        resolved
        & ~no_date
        & ~year_outside
        & ~pd.Series((first <= y) & (y <= last), index=code.index)
    )

    reasons: list[tuple[str, pd.Series]] = [
        ("outside_mainland", outside & ~resolved),
        (f"missing_{level}", reason.eq("missing") & ~outside),
        (f"unknown_{level}", reason.eq("unknown") & ~outside),
        (f"ambiguous_{level}", reason.eq("ambiguous") & ~outside),
        (f"{level}_in_other_province", other_province),
        ("province_not_in_panel", not_in_panel),
        ("unparseable_date", resolved & ~other_province & ~not_in_panel & no_date),
    ]
    taken = pd.Series(False, index=grouped.index)
    left_out: dict[str, int] = {}
    for name, mask in reasons:
        mask = mask & ~taken
        left_out[name] = int(n[mask].sum())
        taken |= mask
    for name, mask in (
        ("year_outside_registry", year_outside),
        (f"{level}_not_valid_in_period", not_valid),
    ):
        mask = mask & ~taken
        left_out[name] = int(n[mask].sum())
        taken |= mask
    valid = ~taken

    problems = row_problems(counter, grouped, valid)
    if problems:
        raise DataError(problems)
    days = grouped.loc[valid, ["first_day", "last_day"]]
    if days.empty and (window.start is None or window.end is None):
        raise DataError(
            [Problem(f"no event has both a known {level} and a valid date", file=label)]
        )
    first_day = pd.Timestamp(window.start or days_to_dates([days["first_day"].min()])[0])
    last_day = pd.Timestamp(window.end or days_to_dates([days["last_day"].max()])[0])
    in_window = valid & grouped["in_window"].astype(bool)
    left_out["outside_window"] = int(n[valid & ~in_window].sum())

    accounting: dict[str, Any] = {
        "events_read": read,
        "counted": int(n[in_window].sum()),
        "left_out": left_out,
    }
    _warn(accounting, details, level)

    from massincidents.events.panel import _period_index

    periods = _period_index(freq, first_day, last_day)
    roster = _roster_index(divisions(), level, periods, freq, panel_codes)
    keys = grouped.loc[in_window, "period"].astype("int64")
    if freq == "day":
        keys = pd.Series(pd.DatetimeIndex(days_to_dates(keys)), index=keys.index)
    kept = pd.DataFrame(
        {
            level: code[in_window].astype("int64"),
            "period": keys,
            "cat": grouped.loc[in_window, "cat"].fillna("missing"),
            "n": n[in_window],
        }
    )
    table = kept.pivot_table(
        index=[level, "period"], columns="cat", values="n", aggfunc="sum", fill_value=0
    )
    table.index = table.index.set_names([level, freq])
    table = table.reindex(roster, fill_value=0).astype("int64")
    table.columns.name = None
    if counter.by is None:
        if "count" not in table.columns:
            table["count"] = np.int64(0)
        table = table[["count"]]
    else:
        table = table[sorted(table.columns, key=str)]
        table["total"] = table.sum(axis=1)
    codes = table.index.get_level_values(level)
    table.insert(0, "province", (np.asarray(codes) // 10000 * 10000).astype("int64"))
    table.attrs["accounting"] = accounting
    table.attrs["freq"] = freq
    table.attrs["level"] = level
    return table


def _roster_index(
    table: pd.DataFrame, level: str, periods: pd.Index, freq: str, panel_codes: tuple[int, ...]
) -> pd.MultiIndex:
    """(unit, period) for every unit in force in each period's year."""
    from massincidents.divisions.table import FIRST_YEAR, LAST_YEAR

    rows = table[(table["level"] == level) & (table["province_code"].isin(panel_codes))]
    if freq == "day":
        years = pd.DatetimeIndex(periods).year
    else:
        years = _year_of(pd.Series(periods), freq).to_numpy()
    pairs = []
    for y in sorted(set(int(v) for v in years)):
        if not FIRST_YEAR <= y <= LAST_YEAR:
            continue
        in_force = rows[(rows["valid_from"] <= y) & (rows["valid_to"] >= y)]["code"].unique()
        these = [p for p, py in zip(periods, years, strict=True) if int(py) == y]
        pairs += [(int(c), p) for c in sorted(in_force) for p in these]
    pairs.sort(key=lambda cp: (cp[0], cp[1]))
    return pd.MultiIndex.from_tuples(pairs, names=[level, freq])


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
