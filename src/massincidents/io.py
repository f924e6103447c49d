"""Read provincial panel files: CSV, Excel, Parquet, long or wide.

:func:`read_panel` reads the tables academics actually have: National Bureau
of Statistics (NBS) exports in GBK with title lines above the table and
footnotes below, yearbook tables with provinces down and years across
(``地区,2017年,2016年,...``), English datasets with years down and provinces
across, and tidy long files. It finds the header row and the layout by itself,
normalises province names to GB/T 2260 codes, validates the result with
:func:`massincidents.validate` and returns a DataFrame indexed by
(``province``, ``year``).

Every failure is a :class:`~massincidents.errors.DataError` (a
``ValueError``) naming the file, and the row and column when there is one --
including a file that does not exist, an unsupported extension, an undecodable
file and a missing Excel sheet. Errors from pandas, openpyxl and xlrd are
wrapped (``raise DataError(...) from err``). Nothing is written to disk.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from massincidents.errors import DataError, DataQualityWarning, OutsideMainlandWarning, Problem
from massincidents.provinces import MAINLAND_CODES, normalise_provinces
from massincidents.validate import (
    _check_frame,
    _is_missing,
    _is_national,
    _parse_years,
    _year_or_none,
)

__all__ = ["LAYOUTS", "SUPPORTED_EXTENSIONS", "read_panel"]

#: File extensions read_panel understands, and the reader used for each.
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".parquet": "parquet",
    ".pq": "parquet",
}

#: Accepted values of ``layout=``.
LAYOUTS: tuple[str, ...] = ("auto", "long", "wide", "wide_transposed")

#: Encodings tried, in order, when ``encoding=None`` and the file has no BOM.
AUTO_ENCODINGS: tuple[str, ...] = ("utf-8", "gbk", "gb18030")

# Header spellings of the key columns of a long table, in order of preference
# (compared after case folding and dropping spaces, "_", "-", ".").
_PROVINCE_NAMES = (
    "province",
    "provcode",
    "provincecode",
    "provincename",
    "provname",
    "prov",
    "省份",
    "地区",
    "省",
    "省份名称",
    "地区名称",
    "省区",
    "省市",
    "省级行政区",
    "省份代码",
    "地区代码",
    "region",
)
_YEAR_NAMES = ("year", "年份", "年度", "年", "yr", "时间", "period")

# Text that starts a footnote row below a table.
_FOOTNOTE = re.compile(
    r"^\s*(注|附注|说明|备注|数据来源|资料来源|来源|source|sources|note|notes|\*)",
    re.IGNORECASE,
)
# "指标：地区生产总值(亿元)" and similar title lines.
_TITLE = re.compile(r"^\s*([^:：]{1,20})\s*[:：]\s*(.*?)\s*$")
_UNIT = re.compile(r"^(.*?)\s*[(（]([^()（）]*)[)）]\s*$")
_INDICATOR_KEYS = ("指标", "indicator", "variable", "series")
_UNIT_KEYS = ("单位", "计量单位", "unit", "units")
_INTEGER_TEXT = re.compile(r"^[+-]?(\d+|\d{1,3}(,\d{3})+)$")
_PLAUSIBLE_SAMPLE = 200_000
_HEADER_SEARCH = 50


@dataclass
class _Table:
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


@dataclass
class _Long:
    """A table in long form, cells still raw, ready for validation."""

    frame: pd.DataFrame
    lines: list[int | None]
    columns: dict[str, object]
    value_columns: list[str]
    problems: list[Problem] = field(default_factory=list)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _label(cell: object) -> str:
    """Text of a header cell: ``2017.0`` -> ``"2017"``, ``None`` -> ``""``."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, pd.Timestamp):
        return cell.isoformat()
    return unicodedata.normalize("NFC", str(cell)).strip()


def _name_key(text: str) -> str:
    """Key for matching column names: case folded, no spaces or punctuation."""
    return re.sub(r"[\s_\-.]+", "", unicodedata.normalize("NFKC", text).casefold())


def _filled(row: Sequence[object]) -> list[int]:
    """Positions of the non-empty cells of a raw row."""
    return [j for j, cell in enumerate(row) if _label(cell) != ""]


def _column_name(header: list[str], j: int) -> str:
    """A header label, or ``"column 3"`` (1-based) when the header cell is empty."""
    return header[j] if header[j] else f"column {j + 1}"


def _province_like(text: str) -> bool:
    _, unknown = normalise_provinces(pd.Series([text], dtype=object))
    return bool(text) and not bool(unknown.iloc[0])


def _year_like(text: str) -> bool:
    year = _year_or_none(text) if text else None
    return year is not None and 1800 <= year <= 2200


# ---------------------------------------------------------------------------
# sources: path checks, encodings, readers
# ---------------------------------------------------------------------------


def _resolve(source: str | os.PathLike[str]) -> tuple[Path, str]:
    """Check that ``source`` is an existing file with a supported extension."""
    if not isinstance(source, str | os.PathLike):
        raise TypeError(
            f"read_panel reads a path or a DataFrame, got {type(source).__name__}; "
            "for an open file or buffer, read it with pandas first"
        )
    path = Path(source)
    label = str(source)
    if not path.exists():
        raise DataError([Problem("no such file (read_panel reads existing files only)", label)])
    if path.is_dir():
        raise DataError([Problem("is a directory, not a file", label)])
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        known = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        message = f"unsupported file extension {suffix or '(none)'!r}; read_panel reads {known}"
        raise DataError([Problem(message, label)])
    return path, label


@lru_cache(maxsize=4096)
def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _plausible_chinese(text: str) -> bool:
    """Whether text decoded as GBK looks like Chinese rather than mojibake.

    Real GBK text (NBS exports, yearbooks) is almost entirely made of the
    characters of the older GB 2312 set. Latin-1, Shift-JIS or other bytes
    forced through GBK decode mostly to rare characters outside it.
    """
    sample = [c for c in text[:_PLAUSIBLE_SAMPLE] if ord(c) > 127]
    if not sample:
        return True
    common = sum(_in_gb2312(c) for c in sample)
    return common / len(sample) >= 0.8


def _line_of(raw: bytes, position: int) -> int:
    return raw.count(b"\n", 0, position) + 1


def _decode(raw: bytes, label: str, encoding: str | None) -> tuple[str, str]:
    """Decode file bytes; return the text and the encoding used.

    With ``encoding=None``: a UTF-8 or UTF-16 byte-order mark decides;
    otherwise UTF-8, GBK and GB18030 are tried in turn, and a GBK/GB18030
    decoding must look like Chinese (see :func:`_plausible_chinese`).

    Examples
    --------
    >>> _decode("地区,2017年".encode("gbk"), "x.csv", None)
    ('地区,2017年', 'gbk')
    >>> _decode(codecs.BOM_UTF8 + "地区".encode(), "x.csv", None)
    ('地区', 'utf-8-sig')
    """
    if encoding is not None:
        try:
            return raw.decode(encoding), encoding
        except LookupError as err:
            raise DataError([Problem(f"unknown encoding {encoding!r}", label)]) from err
        except UnicodeDecodeError as err:
            message = (
                f"cannot decode as {encoding}: byte {raw[err.start]:#04x} at offset "
                f"{err.start} is invalid; try encoding=None to detect the encoding"
            )
            raise DataError([Problem(message, label, _line_of(raw, err.start))]) from err
    boms = (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    for bom, name in boms:
        if raw.startswith(bom):
            try:
                return raw.decode(name), name
            except UnicodeDecodeError as err:
                message = f"starts with a {name} byte-order mark but is not valid {name}"
                raise DataError([Problem(message, label, _line_of(raw, err.start))]) from err
    tried: list[str] = []
    for name in AUTO_ENCODINGS:
        try:
            text = raw.decode(name)
        except UnicodeDecodeError as err:
            tried.append(f"{name} (invalid byte at line {_line_of(raw, err.start)})")
            continue
        if name != "utf-8" and not _plausible_chinese(text):
            tried.append(f"{name} (decodes, but to implausible characters)")
            continue
        return text, name
    message = (
        f"cannot detect the text encoding; tried {', '.join(tried)}. "
        "The file may be in another encoding: pass encoding=... "
        "(for example 'latin-1', 'cp1252', 'shift_jis' or 'big5')"
    )
    raise DataError([Problem(message, label)])


def _sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon: whichever splits most of the first lines."""
    lines = [line for line in text.splitlines()[:_HEADER_SEARCH] if line.strip()]
    best, best_score = ",", 0
    for delimiter in (",", "\t", ";"):
        score = sum(line.count(delimiter) > 0 for line in lines)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv_grid(
    path: Path, label: str, encoding: str | None
) -> tuple[list[list[object]], list[int], str]:
    """Rows of a delimited text file with the line number each starts on."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataError([Problem(f"cannot read the file: {err.strerror}", label)]) from err
    if not raw.strip():
        raise DataError([Problem("the file is empty (0 bytes or only blank lines)", label)])
    text, used = _decode(raw, label, encoding)
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    rows: list[list[object]] = []
    lines: list[int] = []
    last = 0
    try:
        for record in reader:
            rows.append(list(record))
            lines.append(last + 1)
            last = reader.line_num
    except csv.Error as err:
        raise DataError([Problem(f"malformed CSV: {err}", label, last + 1)]) from err
    return rows, lines, used


def _pick_sheet(names: list[str], sheet: str | int | None, label: str) -> str:
    """The sheet to read; a DataError listing the sheets when it does not exist."""
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool) and -len(names) <= sheet < len(names):
        return names[sheet]
    if isinstance(sheet, str) and sheet in names:
        return sheet
    listing = ", ".join(f"{i}: {name!r}" for i, name in enumerate(names))
    raise DataError([Problem(f"no sheet {sheet!r}; the workbook has sheets {listing}", label)])


def _read_xlsx_grid(
    path: Path, label: str, sheet: str | int | None
) -> tuple[list[list[object]], list[int], str, list[str]]:
    """Rows of an .xlsx sheet (values, not formulas), numbered as in Excel."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:
        message = f"cannot open as an .xlsx workbook ({type(err).__name__}: {err})"
        raise DataError([Problem(message, label)]) from err
    try:
        sheets = list(book.sheetnames)
        name = _pick_sheet(sheets, sheet, label)
        try:
            worksheet = book[name]
            # Read-only mode trusts the sheet's stored dimension, which some
            # writers get wrong ("A1:A1" for a full table): recompute it.
            worksheet.reset_dimensions()
            rows = [list(r) for r in worksheet.iter_rows(min_row=1, values_only=True)]
        except Exception as err:
            message = f"cannot read sheet {name!r} ({type(err).__name__}: {err})"
            raise DataError([Problem(message, label)]) from err
    finally:
        book.close()
    return rows, list(range(1, len(rows) + 1)), name, sheets


def _read_xls_grid(
    path: Path, label: str, sheet: str | int | None
) -> tuple[list[list[object]], list[int], str, list[str]]:
    """Rows of a legacy .xls sheet, numbered as in Excel; error cells become text."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as err:
        message = f"cannot open as an .xls workbook ({type(err).__name__}: {err})"
        raise DataError([Problem(message, label)]) from err
    try:
        sheets = list(book.sheet_names())
        name = _pick_sheet(sheets, sheet, label)
        sh = book.sheet_by_name(name)
        rows: list[list[object]] = []
        for i in range(sh.nrows):
            row: list[object] = []
            for c in sh.row(i):
                if c.ctype == xlrd.XL_CELL_ERROR:
                    row.append(xlrd.error_text_from_code.get(c.value, "#ERROR"))
                elif c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append(None)
                else:
                    row.append(c.value)
            rows.append(row)
    finally:
        book.release_resources()
    return rows, list(range(1, len(rows) + 1)), name, sheets


def _read_parquet(path: Path, label: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as err:
        message = f"cannot read as Parquet ({type(err).__name__}: {err})"
        raise DataError([Problem(message, label)]) from err


# ---------------------------------------------------------------------------
# structure: header row, title lines, footnotes
# ---------------------------------------------------------------------------


def _names_key_column(labels: Sequence[str]) -> bool:
    """Whether any cell is a key column name such as 地区, province or year."""
    keys = {_name_key(n) for n in (*_PROVINCE_NAMES, *_YEAR_NAMES)}
    return any(_name_key(text) in keys for text in labels if text)


def _header_score(row: Sequence[object]) -> bool:
    """Whether a row looks like a header: key names, years or provinces across."""
    labels = [_label(c) for c in row]
    if _names_key_column(labels):
        return True
    rest = [text for text in labels[1:] if text]
    return sum(map(_year_like, rest)) >= 2 or sum(map(_province_like, rest)) >= 2


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
    candidates = [i for i, row in enumerate(rows[:_HEADER_SEARCH]) if len(_filled(row)) >= 2]
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
    return trailing and not _province_like(text) and not _year_like(text)


def _check_second_header(header: list[str], row: Sequence[object], line: int, label: str) -> None:
    """Raise when the first row below the header is a second header row.

    Merged header cells (an indicator spanning several year columns) export
    as a header row with blanks or repeats and a second row of sub-labels;
    bilingual tables repeat the header in a second language. Either way the
    row has no numbers and either starts empty, sits under a header with
    blanks or repeats, or itself names key columns (地区, year, ...).
    """
    cells = [_label(c) for c in row]
    rest = [text for text in cells[1:] if text]
    if not rest:
        return
    numbers = [t for t in rest if not _year_like(t) and _looks_numeric(t)]
    if numbers:
        return
    gaps = any(not h for h in header[1:]) or len(set(header)) < len(header)
    if not cells[0] or gaps or _names_key_column(cells):
        message = (
            "looks like a second header row (merged header cells?): read_panel needs a "
            "single header row; flatten the header, e.g. one column per variable and year, "
            "or save the table in long form"
        )
        raise DataError([Problem(message, label, line)])


def _looks_numeric(text: str) -> bool:
    try:
        float(unicodedata.normalize("NFKC", text).replace(",", ""))
    except ValueError:
        return False
    return True


def _table_from_grid(
    rows: list[list[object]], lines: list[int], label: str, where: str = ""
) -> _Table:
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
    _check_second_header(header, keep_rows[0], keep_lines[0], label)
    body = pd.DataFrame(keep_rows, dtype=object, columns=range(width))
    return _Table(header, body, keep_lines, lines[h], title, notes, removed)


def _table_from_frame(df: pd.DataFrame) -> _Table:
    """A DataFrame (or Parquet table) as a _Table; rows numbered by position."""
    if not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names):
        df = df.reset_index()
    header = [_label(c) for c in df.columns]
    body = pd.DataFrame(df.to_numpy(dtype=object), dtype=object, columns=range(df.shape[1]))
    return _Table(header, body, list(range(len(df))))


def _title_metadata(title: list[str]) -> dict[str, str]:
    """``{"指标": "地区生产总值(亿元)", ...}`` from "key：value" title lines."""
    meta: dict[str, str] = {}
    for line in title:
        match = _TITLE.match(line)
        if match:
            meta[match.group(1).strip()] = match.group(2)
    return meta


def _indicator(meta: dict[str, str]) -> tuple[str | None, str | None]:
    """Name and unit from title lines.

    Examples
    --------
    >>> _indicator({"指标": "地区生产总值(亿元)"})
    ('地区生产总值', '亿元')
    >>> _indicator({"单位": "亿元"})
    (None, '亿元')
    """
    name = unit = None
    for key, value in meta.items():
        if _name_key(key) in _INDICATOR_KEYS and value and name is None:
            match = _UNIT.match(value)
            if match and match.group(1):
                name, unit = match.group(1).strip(), match.group(2).strip()
            else:
                name = value
    for key, value in meta.items():
        if _name_key(key) in _UNIT_KEYS and value and unit is None:
            unit = value
    return name, unit


# ---------------------------------------------------------------------------
# layout: long, wide (years across), wide_transposed (years down)
# ---------------------------------------------------------------------------


def _find_column(header: list[str], wanted: str | None, aliases: Sequence[str]) -> int | None:
    """Index of the column named ``wanted``, else of the first alias present."""
    keys = [_name_key(h) for h in header]
    if wanted is not None:
        for candidate in (wanted, _name_key(wanted)):
            if candidate in header:
                return header.index(candidate)
            if candidate in keys:
                return keys.index(candidate)
        return None
    for alias in aliases:
        if _name_key(alias) in keys:
            return keys.index(_name_key(alias))
    return None


def _mostly_provinces(values: pd.Series) -> bool:
    """Whether at least 80% of the filled cells of a column name provinces."""
    filled = values[~_is_missing(values)]
    if filled.empty:
        return False
    _, unknown = normalise_provinces(filled)
    return bool((~unknown).mean() >= 0.8)


def _guess_by_content(body: pd.DataFrame, exclude: set[int], kind: str) -> int | None:
    """First column whose cells are mostly provinces (or all years)."""
    for j in body.columns:
        if j in exclude:
            continue
        values = body[j][~_is_missing(body[j])]
        if values.empty:
            continue
        if kind == "province":
            if _mostly_provinces(values):
                return int(j)
        else:
            years, _, bad = _parse_years(values)
            if not bad.any() and years.between(1800, 2200).all():
                return int(j)
    return None


def _detect_layout(table: _Table, province: str | None, year: str | None) -> str:
    """``"wide"`` if years run across, ``"wide_transposed"`` if provinces do, else long."""
    if province is not None and year is not None:
        return "long"
    rest = [h for j, h in enumerate(table.header) if j > 0 and h]
    if not rest:
        return "long"
    n_years = sum(map(_year_like, rest))
    n_provinces = sum(map(_province_like, rest))
    if n_years >= 2 and n_years >= len(rest) / 2 and year is None:
        return "wide"
    if n_provinces >= 2 and n_provinces >= len(rest) / 2 and province is None:
        return "wide_transposed"
    return "long"


def _unique_columns(header: list[str], table: _Table, label: str) -> list[Problem]:
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


def _empty_column(table: _Table, j: int) -> bool:
    return bool(_is_missing(table.body[j]).all())


def _long_from_long(table: _Table, province: str | None, year: str | None, label: str) -> _Long:
    """Key columns found by name (or content); every other column is a value."""
    header = table.header
    pi = _find_column(header, province, _PROVINCE_NAMES)
    yi = _find_column(header, year, _YEAR_NAMES)
    if pi is None and province is None:
        pi = _guess_by_content(table.body, {yi} if yi is not None else set(), "province")
    if yi is None and year is None:
        yi = _guess_by_content(table.body, {pi} if pi is not None else set(), "year")
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
    return _Long(frame, lines, columns, values, problems, {"empty": dropped}, renamed)


def _melt_wide(
    table: _Table, key: int, pairs: list[tuple[int, object]], key_name: str, other: str, value: str
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
        labels.extend([_column_name(table.header, j)] * n)
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({key_name: [], other: [], value: []}, dtype=object)
    )
    key_labels = [_column_name(table.header, key)] * len(frame)
    return frame, lines, labels, key_labels


def _long_from_wide(table: _Table, province: str | None, value: str, label: str) -> _Long:
    """Provinces down, years across (``地区,2017年,2016年,...``)."""
    header = table.header
    key = _find_column(header, province, ()) if province is not None else 0
    if key is None:
        message = f"no column named {province!r} among {', '.join(map(repr, header))}"
        raise DataError([Problem(message, label, table.header_line)])
    problems = _unique_columns(header, table, label)
    pairs: list[tuple[int, object]] = []
    dropped: list[str] = []
    identifiers: list[str] = []
    for j, h in enumerate(header):
        if j == key:
            continue
        year = _year_or_none(h) if h else None
        if year is not None:
            pairs.append((j, year))
        elif _empty_column(table, j):
            dropped.append(_column_name(header, j))
        elif _mostly_provinces(table.body[j]):
            identifiers.append(_column_name(header, j))  # e.g. names next to codes
        else:
            message = (
                "header is not a year; in layout='wide' every column after the province "
                "column must be a year such as 2017 or 2017年"
            )
            problems.append(Problem(message, label, table.header_line, _column_name(header, j)))
    frame, lines, labels, key_labels = _melt_wide(table, key, pairs, "province", "year", value)
    columns: dict[str, object] = {"province": key_labels, "year": labels, value: labels}
    return _Long(
        frame, lines, columns, [value], problems, {"empty": dropped, "identifier": identifiers}
    )


def _long_from_transposed(table: _Table, year: str | None, value: str, label: str) -> _Long:
    """Years down, provinces across (``,Beijing,Tianjin,...``)."""
    header = table.header
    key = _find_column(header, year, ()) if year is not None else 0
    if key is None:
        message = f"no column named {year!r} among {', '.join(map(repr, header))}"
        raise DataError([Problem(message, label, table.header_line)])
    problems = _unique_columns(header, table, label)
    pairs: list[tuple[int, object]] = []
    dropped: dict[str, list[str]] = {"empty": [], "national_total": [], "outside_mainland": []}
    for j, h in enumerate(header):
        if j == key:
            continue
        if not h and _empty_column(table, j):
            dropped["empty"].append(_column_name(header, j))
            continue
        if _is_national(h):
            dropped["national_total"].append(h)
            continue
        codes, unknown = normalise_provinces(pd.Series([h], dtype=object))
        if bool(unknown.iloc[0]):
            message = (
                "header is not a province; in layout='wide_transposed' every column after "
                "the year column must be a province"
            )
            problems.append(Problem(message, label, table.header_line, _column_name(header, j)))
        elif int(codes.iloc[0]) not in MAINLAND_CODES:
            dropped["outside_mainland"].append(h)
        else:
            pairs.append((j, h))
    frame, lines, labels, key_labels = _melt_wide(table, key, pairs, "year", "province", value)
    frame = frame[["province", "year", value]]
    columns: dict[str, object] = {"province": labels, "year": key_labels, value: labels}
    return _Long(frame, lines, columns, [value], problems, dropped)


# ---------------------------------------------------------------------------
# rows outside the panel, and the final frame
# ---------------------------------------------------------------------------


def _drop_outside_panel(long: _Long) -> dict[str, list[tuple[str, int | None]]]:
    """Remove national-total and Hong Kong/Macao/Taiwan rows; return what went.

    Returns
    -------
    dict
        ``{"national_total": [(spelling, line), ...], "outside_mainland": [...]}``
        with one entry per removed cell row.
    """
    raw = long.frame["province"]
    national = raw.map(_is_national).astype(bool)
    codes, _ = normalise_provinces(raw)
    outside = (codes.notna() & ~codes.isin(MAINLAND_CODES)).fillna(False).astype(bool)
    removed = {
        "national_total": [
            (str(raw.iloc[i]), long.lines[i]) for i in np.flatnonzero(national.to_numpy())
        ],
        "outside_mainland": [
            (str(raw.iloc[i]), long.lines[i]) for i in np.flatnonzero(outside.to_numpy())
        ],
    }
    keep = ~(national | outside).to_numpy()
    if not keep.all():
        long.frame = long.frame[keep].reset_index(drop=True)
        long.lines = [line for line, k in zip(long.lines, keep, strict=True) if k]
        for name, spec in list(long.columns.items()):
            if not isinstance(spec, str):
                long.columns[name] = [s for s, k in zip(spec, keep, strict=True) if k]  # type: ignore[call-overload]
    return removed


def _removal_message(label: str, what: str, entries: list[tuple[str, int | None]]) -> str:
    """``data.csv: removed 2 row(s) for ...: 香港 (row 35), 澳门 (row 36)``."""
    lines = sorted({line for _, line in entries if line is not None})
    seen: dict[str, int | None] = {}
    for name, line in entries:
        seen.setdefault(name, line)
    examples = ", ".join(
        f"{name} (row {line})" if line is not None else name for name, line in seen.items()
    )
    n_rows = len(lines) if lines else len(entries)
    cells = f" ({len(entries)} province-years)" if len(entries) != n_rows else ""
    return f"{label}: removed {n_rows} row(s){cells} for {what}: {examples}"


def _written_as_integers(raw: pd.Series) -> bool:
    """Whether every cell is an integer (int dtype, Python int or text like ``"1,200"``).

    Mirrors pandas' own inference: ``3`` is an integer, ``3.0`` is not.
    """
    if pd.api.types.is_integer_dtype(raw):
        return True
    for value in raw.to_numpy():
        if isinstance(value, bool | np.bool_):
            return False
        if isinstance(value, int | np.integer):
            continue
        text = unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""
        if _INTEGER_TEXT.match(text):
            continue
        return False
    return len(raw) > 0


def _finalise(
    long: _Long,
    numeric: dict[str, pd.Series],
    codes: pd.Series,
    years: pd.Series,
    counts: Sequence[str],
) -> pd.DataFrame:
    """Build the (province, year)-indexed frame with numbers as numbers."""
    index = pd.MultiIndex.from_arrays(
        [codes.astype("int64").to_numpy(), years.astype("int64").to_numpy()],
        names=["province", "year"],
    )
    data: dict[str, object] = {}
    for name in long.value_columns:
        if name in numeric:
            numbers = numeric[name]
            if not numbers.isna().any() and (
                name in counts or _written_as_integers(long.frame[name])
            ):
                numbers = numbers.astype("int64")
            data[name] = numbers.to_numpy()
        else:
            values = long.frame[name].astype(object)
            values = values.where(~_is_missing(values), None)
            data[name] = values.map(lambda v: v.strip() if isinstance(v, str) else v).to_numpy()
    out = pd.DataFrame(data, index=index, columns=long.value_columns)
    order = np.lexsort((index.get_level_values(1), index.get_level_values(0)))
    rows = {
        (int(p), int(y)): line
        for p, y, line in zip(codes.astype("int64"), years.astype("int64"), long.lines, strict=True)
    }
    out = out.iloc[order]
    out.attrs["source_rows"] = {key: rows[key] for key in out.index}
    return out


def _read_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    sheet: str | int | None,
    encoding: str | None,
) -> tuple[_Table, dict[str, str | None]]:
    """Read any source into a _Table; also return where it came from.

    The second value holds ``source`` (label for messages), ``file`` (``None``
    for a DataFrame), ``encoding`` and ``sheet``.
    """
    origin: dict[str, str | None] = {"encoding": None, "sheet": None}
    if isinstance(source, pd.DataFrame):
        origin.update(source="<DataFrame>", file=None)
        table = _table_from_frame(source)
    else:
        path, label = _resolve(source)
        origin.update(source=label, file=label)
        kind = SUPPORTED_EXTENSIONS[path.suffix.lower()]
        if sheet is not None and kind not in ("xlsx", "xls"):
            message = f"sheet={sheet!r} given, but this is not an Excel file"
            raise DataError([Problem(message, label)])
        if kind == "parquet":
            table = _table_from_frame(_read_parquet(path, label))
        elif kind == "csv":
            rows, lines, origin["encoding"] = _read_csv_grid(path, label, encoding)
            table = _table_from_grid(rows, lines, label)
        else:
            reader = _read_xlsx_grid if kind == "xlsx" else _read_xls_grid
            rows, lines, name, sheets = reader(path, label, sheet)
            origin["sheet"] = name
            listing = ", ".join(repr(s) for s in sheets)
            where = f"sheet {name!r} (the workbook has sheets {listing}; use sheet=)"
            table = _table_from_grid(rows, lines, label, where)
    if not table.header or table.body.empty:
        raise DataError([Problem("the table has no data rows", origin["source"])])
    return table, origin


def _warn_removed(
    label: str,
    removed: dict[str, list[tuple[str, int | None]]],
    dropped: dict[str, list[str]],
) -> None:
    """One warning per kind of removal: rows (long, wide) or columns (transposed)."""
    kinds = (
        (
            "outside_mainland",
            OutsideMainlandWarning,
            "Hong Kong, Macao or Taiwan, outside the mainland panel",
        ),
        ("national_total", DataQualityWarning, "national totals, not provinces"),
    )
    for reason, category, what in kinds:
        if removed[reason]:
            warnings.warn(_removal_message(label, what, removed[reason]), category, stacklevel=3)
        if dropped.get(reason):
            names = ", ".join(dropped[reason])
            message = f"{label}: removed {len(dropped[reason])} column(s) for {what}: {names}"
            warnings.warn(message, category, stacklevel=3)


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

    Returns
    -------
    pandas.DataFrame
        Indexed by (``province``: GB/T 2260 code, ``year``), both ``int64``,
        sorted. Numeric columns are ``float64``, or ``int64`` when complete
        and either named in ``counts`` or written as integers (``3``, not
        ``3.0``); mostly-text columns stay ``object``. Cells such as ``""``,
        ``"—"``, ``"-"``, ``"…"``, ``"NA"`` are missing.

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
        - ``source_rows``, a dict (province, year) -> row number in the
          source: the 1-based file line for CSV, the Excel row number for a
          sheet, the 0-based position for DataFrame and Parquet sources.
          :func:`massincidents.validate` uses it to report file lines.

    Raises
    ------
    DataError
        For every failure, always naming the file: a missing file, an
        unsupported extension, an undecodable file (listing the encodings
        tried), an empty or header-only file, a missing sheet (listing the
        sheets), a second header row, and every validation problem (duplicate
        province-years, unknown provinces, non-numeric cells, impossible
        years, bad counts), each with row and column.

    Warns
    -----
    OutsideMainlandWarning
        When rows for Hong Kong, Macao or Taiwan were removed (with the count).
    DataQualityWarning
        When national-total rows (全国, National, China) were removed, and for
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
    table, origin = _read_table(source, sheet=sheet, encoding=encoding)
    label, file = origin["source"], origin["file"]

    meta = _title_metadata(table.title)
    indicator, unit = _indicator(meta)
    chosen = _detect_layout(table, province, year) if layout == "auto" else layout
    value = value_name or indicator or "value"
    if chosen == "long":
        long = _long_from_long(table, province, year, label)
    elif chosen == "wide":
        long = _long_from_wide(table, province, value, label)
    else:
        long = _long_from_transposed(table, year, value, label)

    removed = _drop_outside_panel(long)
    checked = _check_frame(
        long.frame,
        rows=long.lines,
        columns=long.columns,
        counts=counts,
        year_range=year_range,
        source=file,
    )
    problems = long.problems + checked.problems
    if problems:
        raise DataError(problems)
    assert checked.codes is not None and checked.years is not None
    out = _finalise(long, checked.numeric, checked.codes, checked.years, counts)

    _warn_removed(label, removed, long.dropped)
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
            "units": {value: unit} if unit and chosen != "long" else {},
            "rows_read": kept + sum(rows_removed.values()),
            "rows_kept": kept,
            "rows_removed": rows_removed,
            "columns_dropped": {k: v for k, v in long.dropped.items() if v},
            "columns_renamed": long.renamed,
        }
    )
    return out
