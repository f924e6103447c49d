"""The key checks of a prefecture-year or county-year table.

:func:`check_unit_keys` resolves every row's unit with the division registry
(a GB/T 2260 code, or a Chinese, pinyin or English name resolved within the
row's province when the table has a province column, and within the row's
year) and checks the year. Each problem names the row and the column:

- a missing, unknown (with the closest spellings) or ambiguous (with the
  candidates) unit;
- a unit outside the row's province;
- a code not in force in the row's year (years 2010-2019, those of the lists;
  other years are checked against every code the lists hold);
- a duplicate unit-year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from massincidents.core.cells import is_missing, parse_years
from massincidents.errors import Problem
from massincidents.provinces import normalise_provinces
from massincidents.validate.messages import show

__all__ = ["check_unit_keys"]

UNIT_LEVELS = ("prefecture", "county")


def _label(columns: Mapping[str, object] | None, name: str, i: int) -> str:
    if columns is None or name not in columns:
        return name
    label = columns[name]
    return label if isinstance(label, str) else str(label[i])  # type: ignore[index]


def _code_text(value: object) -> str:
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


def check_unit_keys(
    frame: pd.DataFrame,
    *,
    level: str,
    unit: str,
    province: str | None,
    year: str,
    rows: Sequence[int | None],
    columns: Mapping[str, object] | None,
    year_range: tuple[int, int],
    source: str | None,
) -> tuple[list[Problem], pd.Series, pd.Series]:
    """Check the unit, province and year keys; return problems, unit codes and years."""
    from massincidents.divisions.names import (
        AmbiguousDivisionError,
        UnknownDivisionError,
        division_code,
    )
    from massincidents.divisions.table import FIRST_YEAR, LAST_YEAR, divisions

    problems: list[Problem] = []
    years, missing_year, bad_year = parse_years(frame[year])
    low, high = year_range
    for i in np.flatnonzero(missing_year.to_numpy()).tolist():
        problems.append(Problem("year is missing", source, rows[i], _label(columns, year, i)))
    for i in np.flatnonzero(bad_year.to_numpy()).tolist():
        message = f"year {show(frame[year].iloc[i])} is not an integer year"
        problems.append(Problem(message, source, rows[i], _label(columns, year, i)))
    outside = (years.notna() & ((years < low) | (years > high))).fillna(False)
    for i in np.flatnonzero(outside.to_numpy()).tolist():
        message = f"year {years.iloc[i]} is outside the plausible range {low}-{high}"
        problems.append(Problem(message, source, rows[i], _label(columns, year, i)))

    provinces = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if province is not None:
        provinces, unknown = normalise_provinces(frame[province])
        given = ~is_missing(frame[province])
        for i in np.flatnonzero((unknown & given).to_numpy()).tolist():
            message = f"unknown province {show(frame[province].iloc[i])}"
            problems.append(Problem(message, source, rows[i], _label(columns, province, i)))

    table = divisions()
    at_level = table[table["level"] == level]
    spans = at_level.groupby("code").agg(first=("valid_from", "min"), last=("valid_to", "max"))
    names = at_level.drop_duplicates("code", keep="last").set_index("code")["name_zh"]
    codes = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    cache: dict[tuple[str, object, object], tuple[int | None, str]] = {}
    raw = frame[unit]
    empty = is_missing(raw)
    for i in range(len(frame)):
        col = _label(columns, unit, i)
        if empty.iloc[i]:
            problems.append(Problem(f"{level} is missing", source, rows[i], col))
            continue
        text = _code_text(raw.iloc[i])
        prov = provinces.iloc[i]
        prov = None if pd.isna(prov) else int(prov)
        y = years.iloc[i]
        in_lists = pd.notna(y) and FIRST_YEAR <= int(y) <= LAST_YEAR
        key = (text, prov, int(y) if in_lists else None)
        if key not in cache:
            try:
                got = division_code(text, level=level, province=prov, year=key[2])
                cache[key] = (got, "")
            except AmbiguousDivisionError as err:
                listed = "; ".join(
                    f"{r.code} {r.name_zh} ({r.province_code})"
                    for r in err.candidates.itertuples(index=False)
                )
                hint = "add a province column" if prov is None else "use the full name or the code"
                cache[key] = (None, f"ambiguous {level} {show(raw.iloc[i])}: {listed}; {hint}")
            except UnknownDivisionError as err:
                cache[key] = (
                    None,
                    _unknown(text, raw.iloc[i], level, prov, key[2], err, spans, names),
                )
        resolved, message = cache[key]
        if resolved is None:
            problems.append(Problem(message, source, rows[i], col))
            continue
        if prov is not None and resolved // 10000 * 10000 != prov:
            name = names.get(resolved, "")
            message = f"{level} {resolved} {name} is not in province {prov} of this row"
            problems.append(Problem(message, source, rows[i], col))
            continue
        codes.iloc[i] = resolved

    keys = pd.DataFrame({"code": codes, "year": years}).reset_index(drop=True)
    keys = keys[keys.notna().all(axis=1)]
    dup = keys.duplicated(keep=False)
    for (code, y), group in keys[dup].groupby(["code", "year"], sort=False):
        positions = list(group.index)
        first = positions[0]
        where = f"row {rows[first]}" if rows[first] is not None else f"position {first}"
        for i in positions[1:]:
            message = (
                f"duplicate {level}-year ({show(raw.iloc[i])} = {int(code)} "
                f"{names.get(int(code), '')}, {int(y)}); the same key is at {where}"
            )
            problems.append(Problem(message, source, rows[i], _label(columns, unit, i)))
    return problems, codes, years


def _unknown(
    text: str,
    value: object,
    level: str,
    prov: int | None,
    year: int | None,
    err: Exception,
    spans: pd.DataFrame,
    names: pd.Series,
) -> str:
    """Message for a unit the registry does not resolve in that year."""
    if text.isdigit() and len(text) == 6 and int(text) in spans.index:
        code = int(text)
        if prov is not None and code // 10000 * 10000 != prov:
            return f"{level} {code} {names.get(code, '')} is not in province {prov} of this row"
        first, last = spans.loc[code, "first"], spans.loc[code, "last"]
        return (
            f"{level} code {code} ({names.get(code, '')}) is not in force in {year} "
            f"(valid {first}-{last}); map old codes with mi.harmonise_codes"
        )
    message = str(err)
    if prov is not None and "closest" not in message:
        message += f" in province {prov}"
    return message[0].lower() + message[1:] if message else f"unknown {level} {show(value)}"
