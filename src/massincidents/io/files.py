"""Open a source file and read its cells: CSV, Excel (.xlsx, .xls) or Parquet.

:func:`resolve` checks the path and extension. The CSV and Excel readers
return a raw grid -- a list of rows of cells, exactly as in the file, with the
file line (or Excel row number) each row starts on -- for
:func:`massincidents.io.table.table_from_grid` to find the table in; Parquet is
read straight into a DataFrame. Every failure is a
:class:`~massincidents.errors.DataError` naming the file.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import pandas as pd

from massincidents.errors import DataError, Problem
from massincidents.io.encoding import decode
from massincidents.io.table import HEADER_SEARCH

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "check_regular_file",
    "read_csv_grid",
    "read_parquet",
    "read_xls_grid",
    "read_xlsx_grid",
    "resolve",
]

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


def resolve(source: str | os.PathLike[str]) -> tuple[Path, str]:
    """Check that ``source`` is an existing file with a supported extension."""
    if not isinstance(source, str | os.PathLike):
        raise TypeError(
            f"read_panel reads a path or a DataFrame, got {type(source).__name__}; "
            "for an open file or buffer, read it with pandas first"
        )
    path = Path(source)
    label = str(source)
    check_regular_file(path, label)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        known = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        message = f"unsupported file extension {suffix or '(none)'!r}; read_panel reads {known}"
        raise DataError([Problem(message, label)])
    return path, label


def check_regular_file(path: Path, label: str) -> None:
    """Raise a DataError unless ``path`` is an existing regular file (or a link to one).

    Named pipes, devices and sockets are refused before they are opened: a
    FIFO blocks the reader and ``/dev/zero`` never ends.
    """
    try:
        mode = path.stat().st_mode  # follows symbolic links
    except FileNotFoundError:
        raise DataError([Problem("no such file", label)]) from None
    except (OSError, ValueError) as err:  # permission, name too long, NUL in the name
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise DataError([Problem(f"cannot open the file: {reason}", label)]) from None
    if stat.S_ISDIR(mode):
        raise DataError([Problem("is a directory, not a file", label)])
    if not stat.S_ISREG(mode):
        # A named pipe blocks on reading and a device such as /dev/zero never
        # ends: refuse them before opening anything.
        kind = _special_kind(mode)
        message = f"is {kind}, not a regular file; only regular files are read"
        raise DataError([Problem(message, label)])


def _special_kind(mode: int) -> str:
    """``"a named pipe (FIFO)"``, ``"a character device"``, ... for messages."""
    kinds = (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "a special file")


def _sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon: whichever splits most of the first lines."""
    lines = [line for line in text.splitlines()[:HEADER_SEARCH] if line.strip()]
    best, best_score = ",", 0
    for delimiter in (",", "\t", ";"):
        score = sum(line.count(delimiter) > 0 for line in lines)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv_grid(
    path: Path, label: str, encoding: str | None
) -> tuple[list[list[object]], list[int], str]:
    """Rows of a delimited text file with the line number each starts on."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataError([Problem(f"cannot read the file: {err.strerror}", label)]) from err
    if not raw.strip():
        raise DataError([Problem("the file is empty (0 bytes or only blank lines)", label)])
    text, used = decode(raw, label, encoding)
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
    if rows and text.count('"') % 2 and any("\n" in str(cell) for cell in rows[-1]):
        # The csv module reads an unclosed quote to the end of the file.
        message = "malformed CSV: a quoted field opened on this line is never closed"
        raise DataError([Problem(message, label, lines[-1])])
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


def read_xlsx_grid(
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


def read_xls_grid(
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


#: What to do when pandas has no Parquet engine (pyarrow is an optional extra).
PARQUET_EXTRA = (
    "reading Parquet needs pyarrow, which is not installed: "
    "pip install 'massincidents[parquet]' (or save the table as CSV or Excel)"
)


def read_parquet(path: Path, label: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except ImportError as err:  # neither pyarrow nor fastparquet
        raise DataError([Problem(PARQUET_EXTRA, label)]) from err
    except Exception as err:
        message = f"cannot read as Parquet ({type(err).__name__}: {err})"
        raise DataError([Problem(message, label)]) from err
