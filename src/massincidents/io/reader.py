"""read_panel: read a file or DataFrame, find its layout, validate, return a panel.

The steps, each in its own module: :mod:`~massincidents.io.files` opens the
file and reads its cells (decoding a CSV with
:mod:`~massincidents.io.encoding`), :mod:`~massincidents.io.table` finds the
header row, title lines and footnotes, :mod:`~massincidents.io.layout`
reshapes the table to long form (finding the key columns with
:mod:`~massincidents.io.keys`), :func:`massincidents.validate.checks.check_frame`
checks every cell, and :mod:`~massincidents.io.output` builds the result.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import TypedDict

import pandas as pd

from massincidents.errors import DataError, DataQualityWarning, Problem
from massincidents.io.files import (
    SUPPORTED_EXTENSIONS,
    read_csv_grid,
    read_parquet,
    read_xls_grid,
    read_xlsx_grid,
    resolve,
)
from massincidents.io.footnotes import footnote_warning, strip_defined_marks
from massincidents.io.layout import (
    detect_layout,
    long_from_long,
    long_from_transposed,
    long_from_wide,
)
from massincidents.io.output import drop_outside_panel, finalise, warn_removed
from massincidents.io.table import (
    Table,
    indicator_and_unit,
    table_from_frame,
    table_from_grid,
    title_metadata,
)
from massincidents.validate.checks import check_frame

__all__ = ["LAYOUTS", "read_panel"]

#: Accepted values of ``layout=``.
LAYOUTS: tuple[str, ...] = ("auto", "long", "wide", "wide_transposed")


class TableOrigin(TypedDict):
    """Where a table came from: ``source`` (label for messages), ``file`` (``None`` for a
    DataFrame), the ``encoding`` of a CSV and the ``sheet`` of a workbook."""

    source: str
    file: str | None
    encoding: str | None
    sheet: str | None


def read_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    sheet: str | int | None,
    encoding: str | None,
) -> tuple[Table, TableOrigin]:
    """Read any source into a Table; also return where it came from.

    The second value holds ``source`` (label for messages), ``file`` (``None``
    for a DataFrame), ``encoding`` and ``sheet``.
    """
    origin: TableOrigin
    if isinstance(source, pd.DataFrame):
        origin = {"source": "<DataFrame>", "file": None, "encoding": None, "sheet": None}
        table = table_from_frame(source)
    else:
        path, label = resolve(source)
        origin = {"source": label, "file": label, "encoding": None, "sheet": None}
        kind = SUPPORTED_EXTENSIONS[path.suffix.lower()]
        if sheet is not None and kind not in ("xlsx", "xls"):
            message = f"sheet={sheet!r} given, but this is not an Excel file"
            raise DataError([Problem(message, label)])
        if kind == "parquet":
            table = table_from_frame(read_parquet(path, label))
        elif kind == "csv":
            rows, lines, origin["encoding"] = read_csv_grid(path, label, encoding)
            table = table_from_grid(rows, lines, label)
        else:
            reader = read_xlsx_grid if kind == "xlsx" else read_xls_grid
            rows, lines, name, sheets = reader(path, label, sheet)
            origin["sheet"] = name
            listing = ", ".join(repr(s) for s in sheets)
            where = f"sheet {name!r} (the workbook has sheets {listing}; use sheet=)"
            table = table_from_grid(rows, lines, label, where)
    if not table.header or table.body.empty:
        raise DataError([Problem("the table has no data rows", origin["source"])])
    return table, origin


def read_panel(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    province: str | None = None,
    year: str | None = None,
    sheet: str | int | None = None,
    layout: str = "auto",
    value_name: str | None = None,
    encoding: str | None = None,
    counts: Sequence[str] | None = None,
    year_range: tuple[int, int] = (1949, 2100),
    text: Sequence[str] | None = None,
    level: str = "province",
    unit: str | None = None,
) -> pd.DataFrame:
    """Read a province-year table from a file or DataFrame into a validated panel.

    Parameters
    ----------
    source
        Path to a ``.csv`` / ``.tsv`` / ``.txt`` (comma, tab or semicolon
        separated), ``.xlsx`` / ``.xlsm``, ``.xls`` or ``.parquet`` file, or a
        DataFrame (read as if it were a file with its columns as header).
    province, year
        In long layout, the names of the province and year columns. By default
        they are found by name (``province``, ``provcode``, ``省份``, ``地区``,
        ``Region``, ...; ``year``, ``年份``, ``年度``, ...) or, failing that, by
        content. In wide layout ``province`` names the province column (default:
        the first); in transposed wide layout ``year`` names the year column
        (default: the first).
    sheet
        Excel sheet, by name or 0-based index (default: the first sheet).
    layout
        ``"auto"`` (default) detects it from the header row; ``"long"``: one
        row per province-year; ``"wide"``: provinces down, years across (NBS
        and yearbook tables); ``"wide_transposed"``: years down, provinces
        across.
    value_name
        Name of the single value column of a wide table. Default: the
        indicator from an NBS ``指标：`` title line (its unit in parentheses goes
        to ``attrs["units"]``), else ``"value"``. Ignored in long layout.
    encoding
        Text encoding of a CSV. Default: detected -- a UTF-8 or UTF-16 BOM,
        else UTF-8, GBK, GB18030 in turn (a GBK decoding must look like Chinese).
    counts
        Count columns, checked to be whole numbers >= 0 and returned as
        ``int64`` when complete (see :func:`massincidents.validate`).
    year_range
        Inclusive range of plausible years.
    text
        Value columns to keep as text whatever they hold (codes, size bands
        such as ``">10000"``). Other columns that hold numbers, or cells meant
        as numbers, are numeric and every cell must be a number (see
        :func:`massincidents.validate`).
    level
        ``"province"`` (default), ``"prefecture"`` or ``"county"``: a table
        below the province, in long layout (one row per unit and year), keyed
        by GB/T 2260 codes or by names (Chinese, pinyin, English) that the
        division registry resolves within the row's year and, when the table
        has a province column, its province (see :func:`massincidents.validate`
        for the problems reported). The result is indexed by (``prefecture``
        or ``county``, ``year``) with a ``province`` column.
    unit
        Name of the unit column (default: found by name: ``prefecture``,
        ``pref_code``, ``city``, ``地级市``, ``城市``; ``county``, ``区县``, ``县``...).

    Returns
    -------
    pandas.DataFrame
        Indexed by (``province``: GB/T 2260 code, ``year``), both ``int64``,
        sorted. Numeric columns are ``float64``, or ``int64`` when complete
        and either named in ``counts`` or written as integers (``3``, not
        ``3.0``); text columns (see :func:`massincidents.validate` for the
        rule) stay ``object``. Cells such as ``""``, ``"—"``, ``"-"``,
        ``"…"``, ``"NA"`` are missing. A wide table may have two header rows,
        one of years and one of indicator names (NBS and EPS exports of
        several indicators, merged cells included, either row on top): each
        indicator becomes a column, its unit in parentheses goes to
        ``attrs["units"]``.

        ``attrs`` holds:

        - ``source`` (the path as given, or ``"<DataFrame>"``), ``encoding``
          (``"utf-8"``, ``"utf-8-sig"``, ``"gbk"``, ``"gb18030"``, ...; ``None``
          for Excel, Parquet and DataFrames), ``sheet``, ``layout`` (as
          detected), ``header_row`` (file line of the header);
        - ``title`` (the lines above the header), ``metadata`` (their
          ``key：value`` pairs, e.g. ``{"指标": ..., "时间": ...}``),
          ``indicator``, ``units`` (value column -> unit), ``notes``
          (footnote rows below the table);
        - ``rows_read``, ``rows_kept`` and ``rows_removed`` (by reason:
          ``blank``, ``footnote``, ``national_total``, ``outside_mainland``),
          counted in rows of the source -- in a wide table one row holds many
          province-years, so ``len(df)`` is larger;
        - ``columns_dropped`` (by reason: ``empty`` unnamed columns;
          ``identifier``, a second province column such as names next to
          codes in a wide table; ``national_total`` and ``outside_mainland``
          columns of a transposed table) and ``columns_renamed`` (a value
          column called ``province`` or ``year`` becomes ``province_raw``);
        - ``footnotes``: cells whose footnote marks (``28014.94¹``, ``2.5②``)
          were removed because a note below the table defines the mark
          (``注：¹ ...``), each as ``{"row", "column", "cell", "note"}``. A
          mark that no note defines is refused, as any non-numeric cell;
        - ``source_rows``, a dict (province, year) -> row number in the
          source: the 1-based file line for CSV, the Excel row number for a
          sheet, the 0-based position for DataFrame and Parquet sources.
          :func:`massincidents.validate` uses it to report file lines.

    Raises
    ------
    DataError
        For every failure, always naming the file: a missing file, a named
        pipe, device or socket (refused before it is opened), an
        unsupported extension, an undecodable file (listing the encodings
        tried), an empty or header-only file, a missing sheet (listing the
        sheets), a second header row that is not years over indicators (or
        a third), and every validation problem (duplicate
        province-years, unknown provinces, non-numeric cells, impossible
        years, bad counts), each with row and column.

    Warns
    -----
    OutsideMainlandWarning
        When rows for Hong Kong, Macao or Taiwan were removed (with the count).
    DataQualityWarning
        When national-total rows (全国, National, China) were removed, when
        footnote marks defined in the notes were removed from cells, and for
        the soft problems of :func:`massincidents.validate`.

    Examples
    --------
    >>> import pandas as pd
    >>> import massincidents as mi
    >>> wide = pd.DataFrame({"地区": ["北京市", "天津市", "全国"],
    ...                      "2017年": ["28014.94", "18549.19", "—"],
    ...                      "2016年": ["25669.13", "17885.39", "—"]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     panel = mi.read_panel(wide, value_name="gdp")
    >>> panel  # doctest: +NORMALIZE_WHITESPACE
                       gdp
    province year
    110000   2016  25669.13
             2017  28014.94
    120000   2016  17885.39
             2017  18549.19
    >>> panel.attrs["layout"], panel.attrs["rows_removed"]["national_total"]
    ('wide', 1)
    """
    if layout not in LAYOUTS:
        raise DataError(f"layout must be one of {', '.join(map(repr, LAYOUTS))}, got {layout!r}")
    counts = list(counts or [])
    if level not in ("province", "prefecture", "county"):
        raise DataError(f"level must be 'province', 'prefecture' or 'county', got {level!r}")
    if level != "province" and layout not in ("auto", "long"):
        raise DataError(f"level={level!r} reads long tables (one row per unit and year)")
    table, origin = read_table(source, sheet=sheet, encoding=encoding)
    label, file = origin["source"], origin["file"]
    if level != "province":
        from massincidents.io.units import read_unit_panel

        out = read_unit_panel(
            table, label, file, level=level, unit=unit, province=province, year=year,
            counts=counts, year_range=year_range, text=text,
        )  # fmt: skip
        out.attrs.update(
            {
                "source": label, "encoding": origin["encoding"], "sheet": origin["sheet"],
                "layout": "long", "header_row": table.header_line, "title": table.title,
                "notes": table.notes, "rows_read": len(table.lines),
                "rows_kept": len(out), "rows_removed": dict(table.removed),
            }
        )  # fmt: skip
        return out

    meta = title_metadata(table.title)
    indicator, unit = indicator_and_unit(meta)
    chosen = detect_layout(table, province, year) if layout == "auto" else layout
    if table.years is not None and chosen != "wide":
        message = (
            "the table has two header rows, years and indicator names: it is read with "
            f"layout='auto' or layout='wide', not {chosen!r}"
        )
        raise DataError([Problem(message, label, table.header_line)])
    value = value_name or indicator or "value"
    if chosen == "long":
        long = long_from_long(table, province, year, label)
    elif chosen == "wide":
        long = long_from_wide(table, province, value, label)
    else:
        long = long_from_transposed(table, year, value, label)

    removed = drop_outside_panel(long)
    footnotes = strip_defined_marks(long, table.notes)
    checked = check_frame(
        long.frame,
        rows=long.lines,
        columns=long.columns,
        counts=counts,
        year_range=year_range,
        source=file,
        text=text,
    )
    problems = long.problems + checked.problems
    if problems:
        raise DataError(problems)
    assert checked.codes is not None and checked.years is not None
    out = finalise(long, checked.numeric, checked.codes, checked.years, counts)

    warn_removed(label, removed, long.dropped)
    if footnotes:
        warnings.warn(footnote_warning(label, footnotes), DataQualityWarning, stacklevel=2)
    for message, category in checked.soft:
        warnings.warn(message, category, stacklevel=2)

    rows_removed = dict(table.removed)
    for reason, entries in removed.items():
        rows_removed[reason] = len({line for _, line in entries})
    kept = len(set(long.lines))
    out.attrs.update(
        {
            "source": label,
            "encoding": origin["encoding"],
            "sheet": origin["sheet"],
            "layout": chosen,
            "header_row": table.header_line,
            "title": table.title,
            "metadata": meta,
            "indicator": indicator,
            "notes": table.notes,
            "units": long.units or ({value: unit} if unit and chosen != "long" else {}),
            "rows_read": kept + sum(rows_removed.values()),
            "rows_kept": kept,
            "rows_removed": rows_removed,
            "columns_dropped": {k: v for k, v in long.dropped.items() if v},
            "columns_renamed": long.renamed,
            "footnotes": [
                {"row": f.row, "column": f.column, "cell": f.cell, "note": f.note}
                for f in footnotes
            ],
        }
    )
    return out
