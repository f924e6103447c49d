"""Read the data a specification runs on, rename columns, and account for every row.

Province-level data go through :func:`massincidents.read_panel` (any layout,
CSV in UTF-8 or GBK, Excel, Parquet; province names normalised to GB/T
codes). Prefecture- and county-level data are long tables (one row per unit
and period) read by ``read_panel(level=...)``: codes or names resolved by the
division registry (a ``province`` column disambiguates names), every unknown,
ambiguous or out-of-date unit refused with its row. Other-level data are long
tables read with the same file readers, unit labels kept as they are (whole
numbers become integers). Either way the columns are renamed by the specification's mapping,
checked against the specification, restricted to the window and extended by
the transforms, and every row left out is counted by reason.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from massincidents.core.cells import is_missing, number_or_none, parse_numbers
from massincidents.errors import DataError, Problem
from massincidents.io import read_panel
from massincidents.io.reader import read_table
from massincidents.io.table import Table, column_name
from massincidents.spec.core import Spec
from massincidents.spec.errors import SpecError, SpecProblem, did_you_mean
from massincidents.spec.transforms import apply_transforms

__all__ = ["Prepared", "prepare_data", "sha256_of"]


@dataclass
class Prepared:
    """Data ready for the models, with the record of how they were obtained.

    Attributes
    ----------
    frame
        Long panel: the unit and time columns, every other column of the
        source (renamed by the mapping), and the derived columns; rows inside
        the window only.
    source
        The file as given, or ``"<DataFrame>"``.
    sha256
        SHA-256 of the file's bytes (of the DataFrame written as UTF-8 CSV).
    accounting
        ``rows_in_source``, ``removed_by_reader`` (by reason),
        ``panel_rows``, ``outside_window``, ``rows_in_window``,
        ``undefined_by_transform``, ``replaced_by_transform`` (data columns
        a transform of the same name overwrote), ``encoding``, ``layout``,
        ``warnings``.

    Examples
    --------
    >>> import massincidents as mi
    >>> from massincidents.spec import default_spec
    >>> prepared = prepare_data(mi.datasets.load("province_year"), default_spec())
    >>> prepared.source, len(prepared.sha256), prepared.frame["year"].unique().tolist()
    ('<DataFrame>', 64, [2011, 2012, 2013, 2014, 2015, 2016, 2017])
    """

    frame: pd.DataFrame
    source: str
    sha256: str
    accounting: dict[str, Any] = field(default_factory=dict)


def sha256_of(data: str | os.PathLike[str] | pd.DataFrame) -> str:
    """SHA-256 of a file's bytes, or of a DataFrame written as UTF-8 CSV.

    Examples
    --------
    >>> import pandas as pd
    >>> sha256_of(pd.DataFrame({"a": [1]}))[:12]
    '5a6ced121d0d'
    """
    digest = hashlib.sha256()
    if isinstance(data, pd.DataFrame):
        digest.update(data.to_csv(index=True).encode("utf-8"))
        return digest.hexdigest()
    with open(data, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _original(spec: Spec, name: str) -> str:
    """The source's name of a column that the mapping renames to ``name``."""
    for old, new in spec.mapping.items():
        if new == name:
            return old
    return name


def _read_province(
    source: str | os.PathLike[str] | pd.DataFrame,
    spec: Spec,
    sheet: str | int | None,
    reader: dict[str, Any],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    count = _original(spec, spec.count)
    header = _header_names(source, sheet)
    unit, time = _original(spec, spec.unit), _original(spec, spec.time)
    # Key columns named in the file are passed on; otherwise read_panel finds them
    # (by name, e.g. 省份 or 地区, or by content; and in yearbook layouts).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        options: dict[str, Any] = {
            "province": unit if unit in header else None,
            "year": time if time in header else None,
            "sheet": sheet,
            "counts": [count] if count in header else None,
        }
        # options given by the user (--layout, --province, ...) win over the guesses
        options.update({k: v for k, v in reader.items() if v is not None})
        panel = read_panel(source, **options)
    attrs = dict(panel.attrs)
    frame = panel.reset_index()
    frame = frame.rename(columns={"province": spec.unit, "year": spec.time})
    info = {
        "rows_in_source": attrs.get("rows_read"),
        "removed_by_reader": {k: v for k, v in (attrs.get("rows_removed") or {}).items() if v},
        "encoding": attrs.get("encoding"),
        "layout": attrs.get("layout"),
        "warnings": [str(w.message) for w in caught],
    }
    return frame, info


def _read_units(
    source: str | os.PathLike[str] | pd.DataFrame,
    spec: Spec,
    sheet: str | int | None,
    reader: dict[str, Any],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Prefecture or county data through ``read_panel(level=...)``: units checked by the registry.

    The unit column holds GB/T 2260 codes or names; a ``province`` column (or
    the one named by the ``province`` reader option) disambiguates names.
    """
    label = "<DataFrame>" if isinstance(source, pd.DataFrame) else str(source)
    file = None if isinstance(source, pd.DataFrame) else label
    refused = sorted(
        k for k, v in reader.items() if v is not None and k not in ("encoding", "province", "text")
    )
    if refused or reader.get("layout") not in (None, "auto", "long"):
        raise DataError(
            [
                Problem(
                    f"the reader options {', '.join(refused)} apply to province data; "
                    f"{spec.level} data (data.level) are read as a long table with one row per "
                    "unit and period",
                    file,
                )
            ]
        )
    count = _original(spec, spec.count)
    header = _header_names(source, sheet)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel = read_panel(
            source,
            level=spec.level,
            unit=_original(spec, spec.unit),
            year=_original(spec, spec.time),
            province=reader.get("province"),
            sheet=sheet,
            encoding=reader.get("encoding"),
            counts=[count] if count in header else None,
            text=reader.get("text"),
        )
    attrs = dict(panel.attrs)
    frame = panel.reset_index().rename(columns={spec.level: spec.unit, "year": spec.time})
    info = {
        "rows_in_source": attrs.get("rows_read"),
        "removed_by_reader": {k: v for k, v in (attrs.get("rows_removed") or {}).items() if v},
        "encoding": attrs.get("encoding"),
        "layout": "long",
        "warnings": [str(w.message) for w in caught],
    }
    return frame, info


def _header_names(
    source: str | os.PathLike[str] | pd.DataFrame, sheet: str | int | None = None
) -> set[str]:
    """Column names in the header row of a source (best effort)."""
    if isinstance(source, pd.DataFrame):
        return {str(c) for c in source.columns} | {str(n) for n in source.index.names if n}
    try:
        table, _ = read_table(source, sheet=sheet, encoding=None)
    except DataError:
        return set()
    return set(table.header)


def _read_generic(
    source: str | os.PathLike[str] | pd.DataFrame,
    spec: Spec,
    sheet: str | int | None,
    reader: dict[str, Any],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A long table of any units: keys parsed, numbers parsed, nothing normalised."""
    label = "<DataFrame>" if isinstance(source, pd.DataFrame) else str(source)
    file = None if isinstance(source, pd.DataFrame) else label
    _refuse_province_options(reader, spec, file)
    table, origin = read_table(source, sheet=sheet, encoding=reader.get("encoding"))
    encoding = origin["encoding"]
    header = [column_name(table.header, j) for j in range(len(table.header))]
    unit_name, time_name = _original(spec, spec.unit), _original(spec, spec.time)
    _check_key_columns(header, unit_name, time_name, file)
    problems: list[Problem] = []
    units, times = _parse_keys(
        table.body[header.index(unit_name)],
        table.body[header.index(time_name)],
        unit_name,
        time_name,
        table.lines,
        file,
        problems,
    )
    data: dict[str, Any] = {
        spec.unit: _unit_labels(units).to_numpy(),
        spec.time: pd.array(times, dtype="Int64"),
    }
    keys = (header.index(unit_name), header.index(time_name))
    _parse_value_columns(table, header, keys, spec, file, data, problems)
    _check_count_column(data, _original(spec, spec.count), table.lines, file, problems)
    if problems:
        raise DataError(problems)
    frame = pd.DataFrame(data)
    frame[spec.time] = frame[spec.time].astype("int64")
    frame = frame.sort_values([spec.unit, spec.time], kind="stable").reset_index(drop=True)
    info = {
        "rows_in_source": len(table.body) + sum(table.removed.values()),
        "removed_by_reader": {k: v for k, v in table.removed.items() if v},
        "encoding": encoding,
        "layout": "long",
        "warnings": [],
    }
    return frame, info


def _refuse_province_options(reader: dict[str, Any], spec: Spec, file: str | None) -> None:
    """Reader options other than the encoding apply to province data only."""
    province_only = sorted(k for k, v in reader.items() if v is not None and k != "encoding")
    if province_only:
        raise DataError(
            [
                Problem(
                    f"the reader options {', '.join(province_only)} apply to province data; "
                    f"this specification's units are {spec.level!r} (data.level), read as a "
                    "long table with one row per unit and period",
                    file,
                )
            ]
        )


def _check_key_columns(
    header: list[str], unit_name: str, time_name: str, file: str | None
) -> None:
    """Refuse a table without its unit or time column, naming the columns it has."""
    problems: list[Problem] = []
    for name, role in ((unit_name, "unit"), (time_name, "time")):
        if name not in header:
            problems.append(
                Problem(
                    f"no {role} column {name!r}{did_you_mean(name, header)}; the columns "
                    f"are {', '.join(map(repr, header))}",
                    file,
                )
            )
    if problems:
        raise DataError(problems)


def _parse_keys(
    u: pd.Series,
    t: pd.Series,
    unit_name: str,
    time_name: str,
    lines: list[int],
    file: str | None,
    problems: list[Problem],
) -> tuple[list[object], list[int | None]]:
    """Unit labels (stripped text) and whole-number periods of every row.

    Missing units, missing or non-integer periods and duplicated (unit,
    period) pairs are added to ``problems`` with their lines.
    """
    unit_missing = is_missing(u).to_numpy()
    time_missing = is_missing(t).to_numpy()
    units: list[object] = []
    times: list[int | None] = []
    for i, (uv, tv) in enumerate(zip(u.to_numpy(), t.to_numpy(), strict=True)):
        line = lines[i]
        if unit_missing[i]:
            problems.append(Problem("the unit is missing", file, line, unit_name))
        number = None if time_missing[i] else number_or_none(tv)
        if time_missing[i]:
            problems.append(Problem("the time period is missing", file, line, time_name))
            times.append(None)
        elif number is None or not float(number).is_integer():
            problems.append(Problem(f"{tv!r} is not a whole-number period", file, line, time_name))
            times.append(None)
        else:
            times.append(int(number))
        units.append(None if unit_missing[i] else str(uv).strip())
    keys = pd.DataFrame({"u": units, "t": times})
    dup = keys.duplicated(keep=False) & keys.notna().all(axis=1)
    for i in dup.to_numpy().nonzero()[0]:
        problems.append(
            Problem(f"duplicate unit and period ({units[i]!r}, {times[i]})", file, lines[i])
        )
    return units, times


def _unit_labels(units: list[object]) -> pd.Series:
    """The unit labels as text, or as integers when every label is a whole number."""
    unit_values = pd.Series(units, dtype=object)
    as_numbers = [None if v is None else number_or_none(v) for v in units]
    if all(n is not None and float(n).is_integer() for n in as_numbers):
        unit_values = pd.Series([int(n) for n in as_numbers], dtype="int64")  # type: ignore[arg-type]
    return unit_values


def _parse_value_columns(
    table: Table,
    header: list[str],
    keys: tuple[int, int],
    spec: Spec,
    file: str | None,
    data: dict[str, Any],
    problems: list[Problem],
) -> None:
    """Add every named non-key column to ``data``: numbers where the column is numeric.

    A column with cells that are not numbers is an error (up to 20 cells
    reported) when the specification needs it or when most cells are
    numbers; otherwise it is kept as text.
    """
    needed = set(spec.needed_columns())
    for j, name in enumerate(header):
        if j in keys or not name:
            continue
        column = table.body[j]
        numbers, bad = parse_numbers(column.reset_index(drop=True))
        present = (~is_missing(column)).sum()
        target = spec.mapping.get(name, name)
        if bad.any() and (target in needed or bad.sum() < max(1, present) / 2):
            for i in bad.to_numpy().nonzero()[0][:20]:
                problems.append(
                    Problem(f"not a number: {column.iloc[i]!r}", file, table.lines[i], name)
                )
            continue
        data[name] = numbers.to_numpy() if not bad.any() else column.to_numpy()


def _check_count_column(
    data: dict[str, Any], count: str, lines: list[int], file: str | None, problems: list[Problem]
) -> None:
    """Counts must be whole numbers >= 0 (up to 20 offending cells reported)."""
    if count not in data:
        return
    y = pd.Series(data[count])
    negative = (y < 0) | (y.notna() & (y % 1 != 0))
    for i in negative.to_numpy().nonzero()[0][:20]:
        message = f"a count must be a whole number >= 0, got {y.iloc[i]!r}"
        problems.append(Problem(message, file, lines[i], count))

def _missing_column(spec: Spec, column: str, columns: list[str]) -> SpecProblem:
    """A column the specification names that neither the data nor a transform provide.

    The closest name is looked for among the data's columns and the derived
    columns of ``transforms:`` alike, so a misspelt derived name gets its hint.
    """
    derived = [c for c in spec.transforms if c not in columns]
    close = difflib.get_close_matches(column, [*columns, *derived], n=1, cutoff=0.6)
    hint = ""
    if close:
        made_here = " (derived under transforms:)" if close[0] in derived else ""
        hint = f" (did you mean {close[0]!r}{made_here}?)"
    made = f"; the transforms derive {', '.join(derived)}" if derived else ""
    return spec.problem(
        f"column {column!r} is not in the data{hint}; the data have "
        f"{', '.join(columns)}{made}. Rename a column with `mapping:` or --map old={column}",
        *spec.find(column),
    )


def prepare_data(
    source: str | os.PathLike[str] | pd.DataFrame,
    spec: Spec,
    *,
    sheet: str | int | None = None,
    reader: Mapping[str, Any] | None = None,
) -> Prepared:
    """Read ``source`` for ``spec``: rename, check, restrict to the window, transform.

    Parameters
    ----------
    source
        A file :func:`massincidents.read_panel` reads (CSV in UTF-8 or GBK,
        Excel, Parquet), or a DataFrame.
    spec
        The specification (its ``mapping`` renames columns first).
    sheet
        Excel sheet.
    reader
        More options of :func:`massincidents.read_panel` (``layout``,
        ``province``, ``year``, ``encoding``, ``value_name``, ``text``) for
        province data (``data.level: province``); prefecture and county data
        take ``encoding``, ``province`` (the column that disambiguates names)
        and ``text``; other units are read as a long table, where only
        ``encoding`` applies.

    Returns
    -------
    Prepared

    Raises
    ------
    DataError
        For problems in the data (from :func:`massincidents.read_panel`,
        or, for non-province units, missing keys, duplicate unit-periods,
        non-numeric cells and bad counts, with row numbers).
    SpecError
        For columns the specification names that the data lack, each with
        the line of the specification and the closest column of the data.

    Examples
    --------
    >>> import massincidents as mi
    >>> from massincidents.spec import default_spec
    >>> panel = mi.datasets.load("province_year")
    >>> prepared = prepare_data(panel, default_spec())
    >>> prepared.accounting["rows_in_window"], prepared.accounting["outside_window"]
    (217, 496)
    """
    if isinstance(source, str | os.PathLike) and not isinstance(source, pd.DataFrame):
        label = str(source)
        if not Path(source).is_file():
            raise DataError([Problem("no such file", label)])
    else:
        label = "<DataFrame>"
    checksum = sha256_of(source)
    if spec.level == "province":
        frame, info = _read_province(source, spec, sheet, dict(reader or {}))
    elif spec.level in ("prefecture", "county"):
        frame, info = _read_units(source, spec, sheet, dict(reader or {}))
    else:
        frame, info = _read_generic(source, spec, sheet, dict(reader or {}))
    keys = {spec.unit, spec.time}
    renames = {
        old: new for old, new in spec.mapping.items() if old in frame.columns and old not in keys
    }
    clashes = [new for old, new in renames.items() if new in frame.columns and new not in renames]
    if clashes:
        raise SpecError(
            [
                spec.problem(
                    f"the mapping renames a column to {new!r}, but the data already have a column "
                    f"{new!r}",
                    "mapping",
                )
                for new in clashes
            ]
        )
    frame = frame.rename(columns=renames)
    missing = [c for c in spec.needed_columns() if c not in frame.columns]
    if missing:
        raise SpecError([_missing_column(spec, c, list(map(str, frame.columns))) for c in missing])
    info["panel_rows"] = len(frame)
    # Transforms first (a lag reaches back before the window), then the window.
    if spec.window is not None:
        t = frame[spec.time]
        inside = (t >= spec.window[0]) & (t <= spec.window[1])
    else:
        inside = pd.Series(True, index=frame.index)
    info["replaced_by_transform"] = [c for c in spec.transforms if c in frame.columns]
    frame, undefined = apply_transforms(
        frame, spec.transforms, unit=spec.unit, time=spec.time, inside=inside
    )
    info["outside_window"] = int((~inside).sum())
    frame = frame.loc[inside].reset_index(drop=True)
    info["rows_in_window"] = len(frame)
    info["undefined_by_transform"] = {k: v for k, v in undefined.items() if v}
    return Prepared(frame=frame, source=label, sha256=checksum, accounting=info)
