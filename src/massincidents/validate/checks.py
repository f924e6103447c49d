"""The hard checks of a province-year table, each problem with row and column.

:func:`check_frame` runs them all on a frame with the keys as columns and
collects every problem (keys, duplicates, values) in one :class:`Checked`,
so that :func:`massincidents.validate` and :func:`massincidents.read_panel`
report a whole file's problems at once. Cells are parsed with
:mod:`massincidents.core.cells`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from massincidents.core.cells import (
    cell_token,
    is_missing,
    is_national,
    non_number_reason,
    number_like,
    parse_numbers,
    parse_years,
)
from massincidents.errors import Problem
from massincidents.provinces import normalise_provinces, province_code
from massincidents.validate.messages import describe, show, year_span
from massincidents.validate.soft import soft_problems

__all__ = ["Checked", "check_frame"]

#: Excel error values (a formula that failed). ``#N/A`` is a missing-value
#: token (see :data:`massincidents.core.cells.MISSING_TOKENS`), not an error.
EXCEL_ERRORS: frozenset[str] = frozenset(
    {"#div/0!", "#ref!", "#value!", "#name?", "#num!", "#null!", "#spill!", "#calc!", "#error"}
)
#: Largest count that a float64 holds exactly (2**53); larger counts are refused.
MAX_EXACT_COUNT = 2**53


def _excel_errors(values: pd.Series) -> np.ndarray:
    return np.array(
        [isinstance(v, str) and cell_token(v) in EXCEL_ERRORS for v in values.to_numpy()],
        dtype=bool,
    )


@dataclass
class Checked:
    """What :func:`check_frame` found and parsed."""

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
    empty = is_missing(raw)
    for i in np.flatnonzero((unknown | empty).to_numpy()).tolist():
        value = raw.iloc[i]
        col = _column_label(columns, province, i)
        if empty.iloc[i]:
            message = "province is missing"
        elif is_national(value):
            message = (
                f"{show(value)} is a national total, not a province; remove the row "
                "(read_panel drops such rows with a warning)"
            )
        else:
            try:
                province_code(value)
                message = f"unknown province {show(value)}"
            except ValueError as err:
                message = str(err)[0].lower() + str(err)[1:]
        problems.append(Problem(message, file=source, row=rows[i], column=col))

    years, missing, bad = parse_years(frame[year])
    low, high = year_range
    for i in np.flatnonzero(missing.to_numpy()).tolist():
        col = _column_label(columns, year, i)
        problems.append(Problem("year is missing", file=source, row=rows[i], column=col))
    for i in np.flatnonzero(bad.to_numpy()).tolist():
        col = _column_label(columns, year, i)
        value = frame[year].iloc[i]
        message = f"year {show(value)} is not an integer year"
        problems.append(Problem(message, file=source, row=rows[i], column=col))
    outside = years.notna() & ((years < low) | (years > high))
    for i in np.flatnonzero(outside.fillna(False).to_numpy()).tolist():
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
    grouped: dict[tuple[int | str, str, str, str, int], list[int]] = {}
    for (code, year), group in keys[dup].groupby(["code", "year"], sort=False):
        positions = list(group.index)
        first = positions[0]
        where = f"row {rows[first]}" if rows[first] is not None else f"position {first}"
        for i in positions[1:]:
            raw = frame[province].iloc[i]
            col = _column_label(columns, province, i)
            key = (rows[i] if rows[i] is not None else f"#{i}", col, where, show(raw), int(code))
            grouped.setdefault(key, []).append(int(year))
    problems: list[Problem] = []
    for (row, col, where, raw, code), dup_years in grouped.items():
        if len(dup_years) == 1:
            what = f"duplicate province-year ({raw} = {describe(code)}, {dup_years[0]})"
            same = "the same key is"
        else:
            what = (
                f"duplicate province-years ({raw} = {describe(code)}, "
                f"{len(dup_years)} years: {year_span(dup_years)})"
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


#: A column whose words (cells without digits that are not numbers) take more
#: distinct values than this, and outnumber its numbers, is a text column
#: (names, notes) with a few stray numbers; fewer distinct words are
#: placeholders such as "n.r." or "x" in a numeric column.
MAX_PLACEHOLDERS = 5


def _meant_as_numbers(values: pd.Series, numbers: pd.Series, bad: pd.Series) -> bool:
    """Whether a column is a numeric column (its cells are then all checked).

    It is when any cell that is not a number looks meant as one: number-like
    text (``"1.5亿元"``, ``"1.234,5"``, ``"10²"``, ``"12%"``, see
    :func:`massincidents.core.cells.number_like`) or a value such as ``inf``, a
    complex number or a duration. Otherwise a column with numbers is numeric
    whatever the share of its other cells, unless those outnumber the numbers
    and are identifiers or dates (cells with digits, ``"Le945062828"``) or
    words of more than :data:`MAX_PLACEHOLDERS` kinds (names, notes): then it
    is a text column with a few stray numbers. Placeholders such as
    ``"n.r."`` or ``"x"``, however many, do not make a numeric column text. A
    column without numbers is text.

    Examples
    --------
    >>> def numeric(cells):
    ...     values = pd.Series(cells, dtype=object)
    ...     numbers, bad = parse_numbers(values)
    ...     return _meant_as_numbers(values, numbers, bad)
    >>> numeric(["n.r."] * 19 + ["2.5"]), numeric(["1.5亿元"] * 20), numeric(["n.r."] * 20)
    (True, True, False)
    >>> numeric(["Hebei", "Henan", "Hubei", "Hunan", "Anhui", "Jilin", "3"])
    False
    """
    n_numbers = int(numbers.notna().sum())
    n_coded = 0
    words: list[str] = []
    for value in values[bad].to_numpy():
        if isinstance(value, str):
            if number_like(value):
                return True
            if any(c.isdigit() for c in value):
                n_coded += 1
            else:
                words.append(cell_token(value))
        elif not isinstance(value, bool | np.bool_ | pd.Timestamp | np.datetime64 | date):
            return True
    if n_numbers == 0 or n_coded > n_numbers:
        return False
    return not (len(set(words)) > MAX_PLACEHOLDERS and len(words) > n_numbers)


def _check_values(
    frame: pd.DataFrame,
    value_columns: Iterable[str],
    counts: Sequence[str],
    rows: Sequence[int | None],
    columns: Mapping[str, object] | None,
    source: str | None,
    checked: Checked,
    text: Sequence[str] = (),
) -> None:
    """Check value columns: non-numeric cells, empty columns, bad counts.

    One rule at any share of bad cells: a numeric column (see
    :func:`_meant_as_numbers`) has every cell that is not a number listed,
    whether that is one cell or 95% of them; nothing numeric silently becomes
    a text column. Columns named in ``text`` are text, whatever they hold.
    """
    for name in value_columns:
        values = frame[name]
        numbers, bad = parse_numbers(values)
        n_bad, n_ok = int(bad.sum()), int(numbers.notna().sum())
        spec = columns.get(name) if columns is not None else None
        label = spec if isinstance(spec, str) else name  # wide tables: the value name
        if n_ok == 0 and n_bad == 0:
            message = f"column is entirely missing (all {len(frame)} cells empty)"
            checked.problems.append(Problem(message, file=source, column=label))
            checked.numeric[name] = numbers
            continue
        excel = _excel_errors(values) if n_bad else np.zeros(len(values), dtype=bool)
        if name in text or (
            name not in counts and not _meant_as_numbers(values, numbers, bad & ~excel)
        ):
            checked.text.append(name)  # a text column (names, notes): not checked
            for i in np.flatnonzero(excel).tolist():
                message = f"Excel error value {show(values.iloc[i])} (a formula that failed)"
                col = _column_label(columns, name, i)
                checked.problems.append(Problem(message, file=source, row=rows[i], column=col))
            continue
        checked.numeric[name] = numbers
        if name not in counts and n_bad - int(excel.sum()) > n_ok:
            message = (
                f"{n_bad} of the {n_bad + n_ok} filled cells are not numbers, yet the column "
                f"holds numbers or cells meant as numbers (listed with their rows); fix those "
                f"cells, or, if it is a text column, name it in text=[{name!r}] "
                f"(massincidents validate --text {name})"
            )
            checked.problems.append(Problem(message, file=source, column=label))
        for i in np.flatnonzero(bad.to_numpy()).tolist():
            value = values.iloc[i]
            reason = non_number_reason(value)
            message = f"non-numeric value {show(value)} in a numeric column"
            if excel[i]:
                message = (
                    f"Excel error value {show(value)} (a formula that failed) in a numeric column"
                )
            elif reason:
                message += f": {reason}"
            col = _column_label(columns, name, i)
            checked.problems.append(Problem(message, file=source, row=rows[i], column=col))
        if name in counts:
            arr = numbers.to_numpy()
            with np.errstate(invalid="ignore"):
                negative = arr < 0
                fractional = ~np.isnan(arr) & (arr != np.round(arr))
                huge = arr > MAX_EXACT_COUNT
            for i in np.flatnonzero(negative | fractional | huge).tolist():
                kind = "negative" if negative[i] else "fractional" if fractional[i] else "huge"
                message = f"{kind} count {show(values.iloc[i])}; counts must be whole numbers >= 0"
                if kind == "huge":
                    message = (
                        f"huge count {show(values.iloc[i])}; counts above 2**53 "
                        f"({MAX_EXACT_COUNT}) cannot be held exactly"
                    )
                col = _column_label(columns, name, i)
                checked.problems.append(Problem(message, file=source, row=rows[i], column=col))


def check_frame(
    frame: pd.DataFrame,
    *,
    province: str = "province",
    year: str = "year",
    rows: Sequence[int | None] | None = None,
    columns: Mapping[str, object] | None = None,
    counts: Sequence[str] | None = None,
    year_range: tuple[int, int] = (1949, 2100),
    source: str | None = None,
    text: Sequence[str] | None = None,
    level: str = "province",
    unit: str | None = None,
) -> Checked:
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
    text
        Value columns kept as text, never checked as numbers.
    level, unit
        ``"prefecture"`` or ``"county"`` with the column ``unit`` holding the
        units: the keys are then checked by
        :func:`massincidents.validate.units.check_unit_keys` (``province``, when
        it is a column, disambiguates names) and ``codes`` are unit codes.
    """
    frame = frame.reset_index(drop=True)
    if rows is None:
        rows = list(range(len(frame)))
    counts = list(counts or [])
    text = list(text or [])
    checked = Checked()
    for kind, names in (("count", counts), ("text", text)):
        for name in names:
            if name not in frame.columns:
                known = ", ".join(repr(c) for c in frame.columns)
                message = f"{kind} column {name!r} not found; the columns are {known}"
                checked.problems.append(Problem(message, file=source, column=name))
    for name in sorted(set(counts) & set(text)):
        message = "named both in counts= and in text=; a count column holds numbers"
        checked.problems.append(Problem(message, file=source, column=name))
    if len(frame) == 0:
        checked.problems.append(Problem("the table has no rows", file=source))
        return checked

    if level != "province":
        from massincidents.validate.units import check_unit_keys

        assert unit is not None
        has_province = province in frame.columns and province != unit
        cell_problems, codes, years = check_unit_keys(
            frame, level=level, unit=unit, province=province if has_province else None,
            year=year, rows=rows, columns=columns, year_range=year_range, source=source,
        )  # fmt: skip
        keys: tuple[str, ...] = (province, year, unit)
    else:
        key_problems, codes, years = _check_keys(
            frame, province, year, rows, columns, year_range, source
        )
        cell_problems = key_problems + _check_duplicates(
            frame, province, codes, years, rows, columns, source
        )
        keys = (province, year)
    value_columns = [c for c in frame.columns if c not in keys]
    _check_values(frame, value_columns, counts, rows, columns, source, checked, text)
    if any(p.message.startswith("duplicate province-year") for p in cell_problems):
        checked.problems += _pivot_hint(frame, codes, years, checked.text, columns, source)
    structural = [p for p in checked.problems if p.row is None]
    cell_problems += [p for p in checked.problems if p.row is not None]
    cell_problems.sort(key=lambda p: p.row if p.row is not None else -1)
    # A wide-table row with an unknown province gives one problem, not one per year.
    checked.problems = list(dict.fromkeys(structural + cell_problems))
    checked.codes, checked.years = codes, years
    if not checked.problems and level == "province":
        checked.soft = soft_problems(codes, years, source)
    return checked
