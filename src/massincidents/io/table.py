"""Find the table in a grid of cells: title lines, header row, body, footnotes.

NBS exports put title lines above the table (``数据库：分省年度数据``,
``指标：地区生产总值(亿元)``) and footnotes below it (``注：...``,
``数据来源：...``). :func:`table_from_grid` finds the header row, keeps the title
lines (and their ``key：value`` pairs, see :func:`title_metadata`), drops blank
and footnote rows, and refuses a second header row. The result is a
:class:`Table`: one header and the body rows below it, cells still raw.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from massincidents.core.cells import number_like, number_or_none
from massincidents.errors import DataError, Problem
from massincidents.io.keys import name_key, names_key_column, province_like, year_like

__all__ = [
    "HEADER_SEARCH",
    "UNIT_IN_PARENTHESES",
    "Table",
    "column_name",
    "indicator_and_unit",
    "table_from_frame",
    "table_from_grid",
    "title_metadata",
    "two_row_header",
]

#: How many rows from the top are searched for the header row (and, for a
#: CSV, looked at to guess the delimiter).
HEADER_SEARCH = 50

# Text that starts a footnote row below a table.
_FOOTNOTE = re.compile(
    r"^\s*(注|附注|说明|备注|数据来源|资料来源|来源|source|sources|note|notes|\*)",
    re.IGNORECASE,
)
# "指标：地区生产总值(亿元)" and similar title lines.
_TITLE = re.compile(r"^\s*([^:：]{1,20})\s*[:：]\s*(.*?)\s*$")
#: "地区生产总值(亿元)": a name and its unit in parentheses (ASCII or full width).
UNIT_IN_PARENTHESES = re.compile(r"^(.*?)\s*[(（]([^()（）]*)[)）]\s*$")
_INDICATOR_KEYS = ("指标", "indicator", "variable", "series")
_UNIT_KEYS = ("单位", "计量单位", "unit", "units")


@dataclass
class Table:
    """A table as found in a source: one header row and the rows below it.

    ``lines`` holds, for each body row, its 1-based line number in the file
    (the Excel row number for a sheet), or its 0-based position for a
    DataFrame or Parquet source.
    """

    header: list[str]
    body: pd.DataFrame
    lines: list[int]
    header_line: int | None = None
    title: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=lambda: {"blank": 0, "footnote": 0})
    #: For a two-row header (a row of years and a row of indicator names), the
    #: year label of each column; ``header`` then holds the indicator names.
    years: list[str] | None = None


def _label(cell: object) -> str:
    """Text of a header cell: ``2017.0`` -> ``"2017"``, ``None`` -> ``""``."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, pd.Timestamp):
        return cell.isoformat()
    return unicodedata.normalize("NFC", str(cell)).strip()


def _filled(row: Sequence[object]) -> list[int]:
    """Positions of the non-empty cells of a raw row."""
    return [j for j, cell in enumerate(row) if _label(cell) != ""]


def column_name(header: list[str], j: int) -> str:
    """A header label, or ``"column 3"`` (1-based) when the header cell is empty."""
    return header[j] if header[j] else f"column {j + 1}"


def _header_score(row: Sequence[object]) -> bool:
    """Whether a row looks like a header: key names, years or provinces across."""
    labels = [_label(c) for c in row]
    if names_key_column(labels):
        return True
    rest = [text for text in labels[1:] if text]
    return sum(map(year_like, rest)) >= 2 or sum(map(province_like, rest)) >= 2


def _find_header(rows: list[list[object]]) -> int | None:
    """Index of the header row: the first header-like row with two or more cells.

    Title lines above the table (``数据库：分省年度数据``) have a single filled
    cell and are skipped. When no row within the first 50 looks like a header,
    the first row with two or more filled cells is used.

    Examples
    --------
    >>> _find_header([["指标：GDP"], [], ["地区", "2017年", "2016年"], ["北京市", 1, 2]])
    2
    """
    candidates = [i for i, row in enumerate(rows[:HEADER_SEARCH]) if len(_filled(row)) >= 2]
    if not candidates:
        return None
    first = candidates[0]
    if _header_score(rows[first]):
        return first
    # A short line above the table ("Source: NBS, 2019" split at its comma) is
    # skipped only for a header-like row with more cells just below it; data
    # rows never win over a plain header such as "name,t,v".
    width = len(_filled(rows[first]))
    for i in candidates[1:6]:
        if _header_score(rows[i]) and len(_filled(rows[i])) > width:
            return i
    return first


def _is_footnote(row: Sequence[object], trailing: bool) -> bool:
    """A row with a single filled cell holding a note rather than data."""
    filled = _filled(row)
    if len(filled) != 1:
        return False
    text = _label(row[filled[0]])
    if _FOOTNOTE.match(text):
        return True
    return trailing and not province_like(text) and not year_like(text)


_SECOND_HEADER_HINT = (
    "read_panel reads one header row, or two when one row holds the years and the other "
    "the indicator names (as NBS and EPS exports do); otherwise save the table in long "
    "form: a province column, a year column and one column per variable"
)


def _is_second_header(header: list[str], row: Sequence[object]) -> bool:
    """Whether the first row below the header is a second header row.

    Merged header cells (an indicator spanning several year columns, or a
    year spanning several indicators) export as a header row with blanks or
    repeats and a second row of sub-labels; bilingual tables repeat the header
    in a second language. Either way the row has no numbers and either starts
    empty, sits under a header with blanks or repeats, or itself names key
    columns (地区, year, ...).
    """
    cells = [_label(c) for c in row]
    rest = [text for text in cells[1:] if text]
    if not rest:
        return False
    if any(not year_like(t) and _looks_numeric(t) for t in rest):
        return False
    gaps = any(not h for h in header[1:]) or len(set(header)) < len(header)
    return not cells[0] or gaps or names_key_column(cells)


def _forward_fill(labels: list[str], other: list[str]) -> list[str]:
    """Fill a blank label from the left (a merged cell) where ``other`` has a label."""
    out: list[str] = []
    last = ""
    for text, below in zip(labels, other, strict=True):
        if text:
            last = text
        out.append(text or (last if below else ""))
    return out


def two_row_header(top: list[str], below: list[str]) -> tuple[list[str], list[str]] | None:
    """Indicator names and year labels per column from two header rows, else ``None``.

    One row must hold a year in every labelled column (blanks after a year
    are merged cells and take it), the other an indicator name and no years.
    Column 0 is the province column; its label is returned first.

    Examples
    --------
    >>> two_row_header(["地区", "2016年", "", "2017年", ""], ["", "GDP", "人口", "GDP", "人口"])
    (['地区', 'GDP', '人口', 'GDP', '人口'], ['', '2016年', '2016年', '2017年', '2017年'])
    >>> two_row_header(["province", "year", "gdp"], ["省份", "年份", "地区生产总值"]) is None
    True
    """
    top_filled = _forward_fill(top[1:], below[1:])
    below_filled = _forward_fill(below[1:], top[1:])
    used = [j for j, (a, b) in enumerate(zip(top_filled, below_filled, strict=True)) if a or b]
    if not used:
        return None
    for years, names in ((top_filled, below_filled), (below_filled, top_filled)):
        if all(year_like(years[j]) for j in used) and all(
            names[j] and not year_like(names[j]) for j in used
        ):
            key = top[0] or below[0]
            return [key, *names], ["", *years]
    return None


def _looks_numeric(text: str) -> bool:
    """A number, or a cell meant as one (``"1.5亿元"``): not a header label."""
    return number_or_none(text) is not None or number_like(text)


def table_from_grid(
    rows: list[list[object]], lines: list[int], label: str, where: str = ""
) -> Table:
    """Split raw rows into title lines, header, body, footnotes and blank rows.

    ``where`` (such as "sheet 'x' (the workbook has sheets ...)") is added to
    the messages about an empty or table-less source.
    """
    if not any(_filled(row) for row in rows):
        message = f"{where or 'the file'} is empty (no cells with content)"
        raise DataError([Problem(message, label)])
    h = _find_header(rows)
    if h is None:
        message = f"no table found in {where or 'the file'}: no row has two or more filled cells"
        raise DataError([Problem(message, label)])
    title = [" ".join(_label(c) for c in row if _label(c)) for row in rows[:h] if _filled(row)]
    width = max(len(row) for row in rows[h:])
    header = [_label(c) for c in rows[h]] + [""] * (width - len(rows[h]))
    last_data = max((i for i in range(h + 1, len(rows)) if len(_filled(rows[i])) >= 2), default=h)
    removed = {"blank": 0, "footnote": 0}
    notes: list[str] = []
    keep_rows: list[list[object]] = []
    keep_lines: list[int] = []
    for i in range(h + 1, len(rows)):
        row = rows[i]
        if not _filled(row):
            removed["blank"] += 1
        elif _is_footnote(row, trailing=i > last_data):
            removed["footnote"] += 1
            notes.append(" ".join(_label(c) for c in row if _label(c)))
        else:
            keep_rows.append(list(row) + [None] * (width - len(row)))
            keep_lines.append(lines[i])
    if not keep_rows:
        message = "no data rows below the header (the file has only a header)"
        raise DataError([Problem(message, label, lines[h])])
    years = None
    if _is_second_header(header, keep_rows[0]):
        combined = two_row_header(header, [_label(c) for c in keep_rows[0]])
        if combined is None or len(keep_rows) == 1:
            what = "looks like a second header row (merged header cells?)"
            message = f"{what}: {_SECOND_HEADER_HINT}"
            raise DataError([Problem(message, label, keep_lines[0])])
        header, years = combined
        keep_rows, keep_lines = keep_rows[1:], keep_lines[1:]
        if _is_second_header(header, keep_rows[0]):
            message = f"looks like a third header row (units?): {_SECOND_HEADER_HINT}"
            raise DataError([Problem(message, label, keep_lines[0])])
    body = pd.DataFrame(keep_rows, dtype=object, columns=range(width))
    return Table(header, body, keep_lines, lines[h], title, notes, removed, years)


def _frame_label(cell: object) -> str:
    """A column label of a frame; pandas' ``Unnamed: 1_level_0`` placeholders are blank."""
    text = _label(cell)
    return "" if re.fullmatch(r"Unnamed: \d+(_level_\d+)?", text) else text


def table_from_frame(df: pd.DataFrame) -> Table:
    """A DataFrame (or Parquet table) as a Table; rows numbered by position.

    Two-level columns (``pd.read_excel(..., header=[0, 1])``) are read as a
    two-row header when one level holds years and the other indicator names;
    other multi-level columns are flattened, their labels joined with ``_``
    (``("value", "gdp")`` -> ``"value_gdp"``, ``("province", "")`` ->
    ``"province"``).
    """
    if not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names):
        df = df.reset_index()
    years = None
    combined = None
    if isinstance(df.columns, pd.MultiIndex) and df.columns.nlevels == 2:
        top = [_frame_label(c[0]) for c in df.columns]
        below = [_frame_label(c[1]) for c in df.columns]
        combined = two_row_header(top, below)
    if combined is not None:
        header, years = combined
    elif isinstance(df.columns, pd.MultiIndex):
        header = ["_".join(t for t in map(_frame_label, c) if t) for c in df.columns]
    else:
        header = [_label(c) for c in df.columns]
    body = pd.DataFrame(df.to_numpy(dtype=object), dtype=object, columns=range(df.shape[1]))
    return Table(header, body, list(range(len(df))), years=years)


def title_metadata(title: list[str]) -> dict[str, str]:
    """``{"指标": "地区生产总值(亿元)", ...}`` from "key：value" title lines."""
    meta: dict[str, str] = {}
    for line in title:
        match = _TITLE.match(line)
        if match:
            meta[match.group(1).strip()] = match.group(2)
    return meta


def indicator_and_unit(meta: dict[str, str]) -> tuple[str | None, str | None]:
    """Name and unit from title lines.

    Examples
    --------
    >>> indicator_and_unit({"指标": "地区生产总值(亿元)"})
    ('地区生产总值', '亿元')
    >>> indicator_and_unit({"单位": "亿元"})
    (None, '亿元')
    """
    name = unit = None
    for key, value in meta.items():
        if name_key(key) in _INDICATOR_KEYS and value and name is None:
            match = UNIT_IN_PARENTHESES.match(value)
            if match and match.group(1):
                name, unit = match.group(1).strip(), match.group(2).strip()
            else:
                name = value
    for key, value in meta.items():
        if name_key(key) in _UNIT_KEYS and value and unit is None:
            unit = value
    return name, unit
