"""read_panel below the province: prefecture-year and county-year tables.

A long table (one row per unit and year) keyed by a unit column -- GB/T 2260
codes, or Chinese, pinyin or English names -- with an optional province
column that tells apart names shared by several provinces. The keys are
checked by :func:`massincidents.validate.units.check_unit_keys` and the values
as in a province-year table; every problem names the file, row and column.
The result is indexed by (``prefecture`` or ``county``, ``year``) with a
``province`` column.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from massincidents.errors import DataError, Problem
from massincidents.io.keys import PROVINCE_NAMES, YEAR_NAMES, find_column
from massincidents.io.layout import Long, _empty_column, _unique_columns
from massincidents.io.output import finalise
from massincidents.io.table import Table
from massincidents.validate.checks import check_frame

#: header spellings of the unit column, in order of preference
UNIT_NAMES: dict[str, tuple[str, ...]] = {
    "prefecture": (
        "prefecture", "pref_code", "prefcode", "prefecture_code", "prefecture_name",
        "pref", "city", "city_code", "地级市", "城市", "地市", "地级市名称", "城市名称",
        "地级市代码", "城市代码",
    ),
    "county": (
        "county", "county_code", "countycode", "county_name", "district", "区县",
        "县", "县区", "县市区", "区县名称", "区县代码", "县代码",
    ),
}  # fmt: skip


def read_unit_panel(
    table: Table,
    label: str,
    file: str | None,
    *,
    level: str,
    unit: str | None,
    province: str | None,
    year: str | None,
    counts: Sequence[str],
    year_range: tuple[int, int],
    text: Sequence[str] | None,
) -> pd.DataFrame:
    """The validated (unit, year)-indexed panel of a long table (see the module)."""
    header = table.header
    ui = find_column(header, unit, UNIT_NAMES[level])
    yi = find_column(header, year, YEAR_NAMES)
    pi = find_column(header, province, PROVINCE_NAMES)
    shown = ", ".join(repr(h) for h in header if h)
    problems = []
    for found, given, kind in ((ui, unit, level), (yi, year, "year")):
        if found is None:
            what = f"no column named {given!r}" if given else f"no {kind} column found"
            argument = "unit" if kind == level else "year"
            message = (
                f"{what} among the columns {shown}; pass {argument}='<column>' (a table "
                f"below the province is read in long layout: one row per {level} and year)"
            )
            problems.append(Problem(message, label, table.header_line))
    if province is not None and pi is None:
        message = f"no column named {province!r} among the columns {shown}"
        problems.append(Problem(message, label, table.header_line))
    if problems:
        raise DataError(problems)
    assert ui is not None and yi is not None
    if len({ui, yi} | ({pi} if pi is not None else set())) < 2 + (pi is not None):
        message = f"the {level}, province and year columns must be different columns"
        raise DataError([Problem(message, label, table.header_line)])
    problems = _unique_columns(header, table, label)
    data: dict[str, pd.Series] = {level: table.body[ui], "year": table.body[yi]}
    columns: dict[str, object] = {level: header[ui], "year": header[yi]}
    if pi is not None:
        data["province"] = table.body[pi]
        columns["province"] = header[pi]
    values: list[str] = []
    dropped: list[str] = []
    renamed: dict[str, str] = {}
    for j, h in enumerate(header):
        if j in (ui, yi, pi):
            continue
        if not h:
            if _empty_column(table, j):
                dropped.append(f"column {j + 1}")
                continue
            message = "cells with values in a column that has no header"
            problems.append(Problem(message, label, table.header_line, f"column {j + 1}"))
            continue
        name = h
        if name in (level, "year", "province"):
            name = f"{h}_raw"
            renamed[h] = name
        if name in data:
            continue
        data[name] = table.body[j]
        columns[name] = h
        values.append(name)
    long = Long(pd.DataFrame(data), list(table.lines), columns, values, problems,
                {"empty": dropped}, renamed)  # fmt: skip
    checked = check_frame(
        long.frame, province="province", year="year", rows=long.lines, columns=long.columns,
        counts=counts, year_range=year_range, source=file, text=text, level=level, unit=level,
    )  # fmt: skip
    problems = long.problems + checked.problems
    if problems:
        raise DataError(problems)
    assert checked.codes is not None and checked.years is not None
    out = finalise(long, checked.numeric, checked.codes, checked.years, counts)
    out.index = out.index.set_names([level, "year"])
    codes = out.index.get_level_values(level).to_numpy()
    out.insert(0, "province", codes // 10000 * 10000)
    for message, category in checked.soft:  # pragma: no cover - none below the province yet
        import warnings

        warnings.warn(message, category, stacklevel=3)
    out.attrs["level"] = level
    out.attrs["columns_dropped"] = {"empty": dropped} if dropped else {}
    out.attrs["columns_renamed"] = renamed
    return out
