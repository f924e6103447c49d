"""Where the events come from: a DataFrame, one file, a list of files, or a glob.

A path names exactly one file. DuckDB treats ``*``, ``?`` and ``[...]`` in a
path as a glob pattern, so a file called ``ev[1].csv`` would otherwise be read
as ``ev1.csv``; :func:`escape_glob` makes every such character literal. Several
files are read only when asked for: a list of paths, or ``glob=True`` with a
pattern.
"""

from __future__ import annotations

import csv
import glob as globbing
import gzip
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pandas as pd

from massincidents.errors import DataError, Problem
from massincidents.events.dialect import plain_header, sniffer_answer_known
from massincidents.io.files import check_regular_file

#: The column DuckDB adds with the file each row came from (lists and globs).
FILE_COLUMN = "__massincidents_file"
#: The column with each row's number, added only when rows must be named.
ROW_COLUMN = "__massincidents_row"

_KINDS = {".csv": "csv", ".txt": "csv", ".gz": "csv", ".parquet": "parquet"}

#: This process's in-memory DuckDB database (opened once: about 11 ms) and its pid
_DATABASE: tuple[int, duckdb.DuckDBPyConnection] | None = None
#: Connections handed out by :func:`connect` and not yet given back
_IN_USE = 0
_DATABASE_LOCK = threading.Lock()


@contextmanager
def connect() -> Iterator[duckdb.DuckDBPyConnection]:
    """A new connection to this process's private in-memory DuckDB database.

    Opening a database costs about 11 ms, a connection to an open one
    (``cursor()``) almost nothing. Each call gets its own connection: its
    settings (the time zone) and registered tables are its own, so calls in
    several threads do not see each other's. Use it as ``with connect() as
    con:``; it is closed on leaving the block.

    A forked child opens a database of its own: the one it inherits belongs to
    DuckDB threads that were not copied, and closing it crashes the child. The
    database is closed before a fork when no connection is in use, so that the
    child inherits none; while a call in another thread holds one it stays
    open (closing it would close that call's connection too), and the child
    keeps its copy without ever closing it.
    """
    global _DATABASE, _IN_USE
    with _DATABASE_LOCK:
        if _DATABASE is None or _DATABASE[0] != os.getpid():
            _DATABASE = (os.getpid(), duckdb.connect())
        con = _DATABASE[1].cursor()
        _IN_USE += 1
    try:
        yield con
    except RuntimeError as err:
        # DuckDB's Python client answers a Ctrl-C during a query with this RuntimeError:
        # it is the user's interrupt, not a failure of the query
        if str(err) == INTERRUPTED:
            raise KeyboardInterrupt from err
        raise
    finally:
        with _DATABASE_LOCK:
            _IN_USE -= 1
            con.close()


#: The message of the RuntimeError DuckDB raises when a Ctrl-C interrupts a query
INTERRUPTED = "Query interrupted"


def _before_fork() -> None:
    """Hold the lock across the fork; close the database if no call is using it."""
    global _DATABASE
    _DATABASE_LOCK.acquire()
    if _DATABASE is not None and _IN_USE == 0:
        _DATABASE[1].close()
        _DATABASE = None


def _after_fork_in_parent() -> None:
    _DATABASE_LOCK.release()


#: Databases a forked child inherited open: kept, never closed (that crashes the child)
_INHERITED: list[duckdb.DuckDBPyConnection] = []


def _after_fork_in_child() -> None:
    """A fresh lock and no database: the child opens its own when next asked."""
    global _DATABASE, _DATABASE_LOCK, _IN_USE
    if _DATABASE is not None:
        _INHERITED.append(_DATABASE[1])
    _DATABASE, _DATABASE_LOCK, _IN_USE = None, threading.Lock(), 0


os.register_at_fork(
    before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child
)


def _has_glob(path: Path) -> bool:
    return any(c in str(path) for c in "*?[")


@dataclass(frozen=True)
class Source:
    """An events table registered with DuckDB.

    ``relation`` is the SQL that reads it, ``label`` names it in messages,
    ``kind`` is ``"frame"``, ``"csv"`` or ``"parquet"``, and ``several`` says
    whether rows come from more than one file (then ``FILE_COLUMN`` holds each
    row's file). ``columns``: the column names and types when they are known
    already (a CSV file whose dialect was sniffed once), else ``None``; then
    ``auto_detected`` is the same file read with auto-detection at every query.
    """

    relation: str
    label: str
    kind: str
    several: bool = False
    columns: tuple[tuple[str, str], ...] | None = None
    auto_detected: str | None = None

    def without_sniffing(self) -> Source:
        """This source read with auto-detection (itself if it is so already).

        A file that the sniffed dialect cannot read is read again this way, so
        that DuckDB names its problem as auto-detection does (the sniffed
        dialect is not listed as set by the user).
        """
        if self.auto_detected is None:
            return self
        return replace(self, relation=self.auto_detected, columns=None, auto_detected=None)

    def describe(self, con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        """Column name -> DuckDB type (``DESCRIBE``, unless known already)."""
        if self.columns is not None:
            return dict(self.columns)
        described = con.execute(f"DESCRIBE SELECT * FROM {self.relation}").fetchall()
        return {row[0]: row[1] for row in described}

    def numbered(self) -> str:
        """SQL reading the table with each row's number in ``ROW_COLUMN``.

        Without a partition DuckDB numbers the rows in a streaming window, in
        file order, so this stays out of core; it is used only to name rows.
        """
        over = f"PARTITION BY {quote(FILE_COLUMN)}" if self.several else ""
        return f"(SELECT *, row_number() OVER ({over}) AS {ROW_COLUMN} FROM {self.relation})"

    def row_labels(
        self, con: duckdb.DuckDBPyConnection, file: str, numbers: list[int]
    ) -> dict[int, int]:
        """The rows as :class:`~massincidents.errors.Problem` counts them.

        ``numbers`` are DuckDB's 1-based record numbers in ``file``. A CSV row
        is its 1-based line in the file (the header is line 1), found by
        reading the file up to the last record asked for, so that blank lines
        and line breaks inside quoted fields are counted; a Parquet row is its
        1-based record, a DataFrame row its 0-based position.
        """
        if self.kind == "frame":
            return {n: n - 1 for n in numbers}
        if self.kind == "parquet":
            return {n: n for n in numbers}
        return _csv_lines(con, file, set(numbers))


def _csv_lines(con: duckdb.DuckDBPyConnection, file: str, wanted: set[int]) -> dict[int, int]:
    """First line of each wanted data record of a CSV (DuckDB's numbering, 1-based)."""
    try:
        found = _scan_lines(con, file, wanted)
    except (csv.Error, OSError, duckdb.Error):
        found = {}
    # A record not found (a dialect Python reads differently): the line it
    # would be on without blank lines or quoted line breaks.
    return {n: found.get(n, n + 1) for n in wanted}


def _scan_lines(con: duckdb.DuckDBPyConnection, file: str, wanted: set[int]) -> dict[int, int]:
    sniffed = con.execute(
        "SELECT Delimiter, Quote, SkipRows FROM "
        f"sniff_csv({literal(escape_glob(file))}, header=true, all_varchar=true)"
    ).fetchone()
    delimiter, quote_char, skip = sniffed if sniffed else (",", '"', 0)
    if len(delimiter) != 1:
        return {}
    dialect = {"quotechar": quote_char} if len(quote_char) == 1 else {"quoting": csv.QUOTE_NONE}
    found: dict[int, int] = {}
    record, line = -1, 0  # record -1 is the header
    opener = gzip.open if file.lower().endswith(".gz") else open
    with opener(file, "rt", encoding="utf-8-sig", errors="replace", newline="") as handle:
        for _ in range(skip):  # the lines DuckDB skips above the header (a title, a comment)
            handle.readline()
        reader = csv.reader(handle, delimiter=delimiter, **dialect)
        for fields in reader:
            first_line, line = skip + line + 1, reader.line_num
            if not fields:  # DuckDB skips blank lines
                continue
            record += 1
            if record in wanted:
                found[record] = first_line
                if len(found) == len(wanted):
                    break
    return found


def quote(identifier: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def escape_glob(path: str) -> str:
    """``path`` with DuckDB's glob characters made literal (``[`` -> ``[[]``)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in path)


def _check_file(path: Path) -> str:
    """The kind of one named file, or a DataError saying why it cannot be read."""
    if path.is_dir():
        raise DataError(
            [Problem("is a directory: pass a list of files, or a pattern with glob=True",
                     file=str(path))]
        )
    if not path.exists():
        hint = "; to read the files matching a pattern, pass glob=True" if _has_glob(path) else ""
        raise DataError([Problem(f"file not found{hint}", file=str(path))])
    check_regular_file(path, str(path))  # a FIFO would block the read below, /dev/zero never end
    if path.stat().st_size < 4096 and not path.read_bytes().strip():
        raise DataError(
            [Problem("the file is empty (0 bytes or only blank lines)", file=str(path))]
        )
    kind = _KINDS.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            [Problem(f"unsupported file type {path.suffix.lower()!r}: use CSV or Parquet",
                     file=str(path))]
        )
    return kind


def _reader(kind: str, files: list[str], several: bool) -> str:
    listed = "[" + ", ".join(literal(f) for f in files) + "]"
    extra = f", union_by_name=true, filename={literal(FILE_COLUMN)}" if several else ""
    if kind == "parquet":
        return f"read_parquet({listed}{extra})"
    # all_varchar: a column's type is ours to interpret, row by row.
    return f"read_csv({listed}, header=true, all_varchar=true{extra})"


def sniff_csv(con: duckdb.DuckDBPyConnection, file: str) -> tuple | None:
    """DuckDB's sniffer on one CSV file (``file`` glob-escaped), ``None`` if it fails.

    Delimiter, quote, escape, new line, comment, lines skipped, and columns, as
    ``read_csv(file, header=true, all_varchar=true)`` would choose them.
    """
    try:
        return con.execute(
            "SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, Columns "
            f"FROM sniff_csv({literal(file)}, header=true, all_varchar=true)"
        ).fetchone()
    except duckdb.Error:
        return None


def _sniffed(
    con: duckdb.DuckDBPyConnection, file: str | Path
) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """One CSV file's ``read_csv`` with the dialect DuckDB sniffs, and its columns.

    The same options as :func:`_reader` (a header, every column text), sniffed
    once instead of at every query (about 10 ms each): the reading its
    sniffer chose spelled out (``auto_detect=false``, the dialect and the
    columns), each value a literal of ours. A plain file's dialect is known
    without sniffing (:func:`~massincidents.events.dialect.plain_header`);
    any other is sniffed (``sniff_csv``). Not DuckDB's own statement
    (``Prompt``): it puts the header's names in quotes unescaped, so a name
    with a quote would be read as SQL. ``None`` when the sniffer fails or
    reports a dialect not of the expected form: the file is then read with
    auto-detection, which says what is wrong with it.
    """
    path = Path(file)
    escaped = escape_glob(str(path))
    plain = (
        plain_header(path)
        if path.suffix.lower() != ".gz" and sniffer_answer_known()
        else None
    )
    if plain is not None:
        # what DuckDB's sniffer answers for a plain file
        delimiter, quote_char, escape, new_line, comment, skip = ",", "", "", "\\n", "", 0
        names = tuple((name, "VARCHAR") for name in plain)
    else:
        row = sniff_csv(con, escaped)
        if row is None:
            return None
        delimiter, quote_char, escape, new_line, comment, skip, columns = row
        if new_line not in ("\\n", "\\r\\n", "\\r") or not isinstance(skip, int):
            return None
        names = tuple((str(c["name"]), str(c["type"])) for c in columns)
    if not names or any(t != "VARCHAR" for _, t in names):
        return None

    def text(value: object) -> str:  # the sniffer writes an unset character as "(empty)"
        return "" if value == "(empty)" else str(value)

    listed = ", ".join(f"{literal(name)}: 'VARCHAR'" for name, _ in names)
    # DuckDB's parallel reader may refuse a quoted field's line breaks, or not, as
    # its parts fall: a dialect with a quote keeps auto-detection's parts
    parts = "" if text(quote_char) else _buffer_size(con, path)
    relation = (
        f"read_csv({literal(escaped)}, auto_detect=false, delim={literal(text(delimiter))}, "
        f"quote={literal(text(quote_char))}, escape={literal(text(escape))}, "
        f"new_line={literal(new_line)}, skip={skip}, comment={literal(text(comment))}, "
        f"columns={{{listed}}}, all_varchar=true, header=true{parts})"
    )
    try:  # binding it sniffs nothing now (about 1 ms); it must give the same columns
        described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    except duckdb.Error:
        return None
    if tuple((str(r[0]), str(r[1])) for r in described) != names:
        return None
    return relation, names


#: DuckDB's CSV buffer
_DEFAULT_BUFFER = 32 << 20
#: DuckDB's longest line (``max_line_size``), in bytes, unless told otherwise
LONGEST_LINE = 2_000_000
#: DuckDB cuts a buffer into parts of a quarter of it (at least LONGEST_LINE
#: bytes), one per thread at a time: the least buffer whose quarters are that
_LEAST_BUFFER = 4 * LONGEST_LINE


def _buffer_size(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The ``buffer_size`` option of :func:`buffer_option` for this file and connection.

    Only with the DuckDB releases whose reader it was checked against (those of
    :func:`sniffer_answer_known`): 1.0 and 1.1 take lines of up to 2 MiB by
    default, which ``max_line_size=2000000`` would refuse.
    """
    # a compressed file is read in one stream; an unchecked DuckDB keeps its own buffers
    if path.suffix.lower() == ".gz" or not sniffer_answer_known():
        return ""
    try:
        size = path.stat().st_size
    except OSError:
        return ""
    found = con.execute("SELECT current_setting('threads')").fetchone()
    return buffer_option(size, int(found[0]) if found else 1)


def buffer_option(size: int, threads: int) -> str:
    """A ``buffer_size`` option that gives each of DuckDB's threads part of a file.

    DuckDB reads a CSV in parts of 8 MiB (a quarter of its 32 MiB buffer), so
    a file smaller than that is read by one thread while the others wait.
    Buffers of the file's size over the threads, cut in quarters, read a 9 MB
    file in about 60% of the time; the rows read are the same. ``""``
    (DuckDB's buffer) for one thread or a file of 32 MiB per thread or more.

    DuckDB takes a ``buffer_size`` it is given as its longest line too, and
    would then read a line that its default refuses (over
    :data:`LONGEST_LINE` bytes): that limit is given with it. A part is then
    a quarter of the buffer, or LONGEST_LINE bytes if that is more; the buffer
    is a multiple of 16 bytes and at least :data:`_LEAST_BUFFER`, so that it
    is cut into four whole parts: DuckDB refuses to read a file in parallel
    where a part left over at a buffer's end is shorter than a line
    ("does not support a full read"). A file it still refuses (a line of a
    megabyte or more across parts) is read again with auto-detection.
    """
    if threads < 2:
        return ""
    buffer = max(-(-size // threads), _LEAST_BUFFER)
    buffer += -buffer % 16
    if buffer >= _DEFAULT_BUFFER:
        return ""
    return f", buffer_size={buffer}, max_line_size={LONGEST_LINE}"


def open_source(
    con: duckdb.DuckDBPyConnection,
    events: pd.DataFrame | str | Path | Sequence[str | Path],
    *,
    glob: bool = False,
) -> Source:
    """Register ``events`` with DuckDB; see the module docstring for the path rules."""
    if isinstance(events, pd.DataFrame):
        if glob:
            raise DataError("glob=True needs a file pattern, not a DataFrame")
        con.register("events_input", events)
        return Source("events_input", "<DataFrame>", "frame")
    if glob:
        if not isinstance(events, str | Path):
            raise DataError("glob=True needs one pattern (a str), not a list of paths")
        pattern = str(events)
        files = sorted(globbing.glob(pattern, recursive=True))
        if not files:
            raise DataError([Problem("no file matches this pattern", file=pattern)])
        return _several(files, pattern)
    if isinstance(events, str | Path):
        path = Path(events)
        kind = _check_file(path)
        reader = _reader(kind, [escape_glob(str(path))], False)
        if kind == "csv":
            sniffed = _sniffed(con, path)
            if sniffed is not None:
                return Source(sniffed[0], str(path), kind, columns=sniffed[1],
                              auto_detected=reader)
        return Source(reader, str(path), kind)
    if not isinstance(events, Sequence) or not all(isinstance(p, str | Path) for p in events):
        raise DataError(
            "events must be a DataFrame, the path of a CSV or Parquet file, or a list of paths; "
            f"got {type(events).__name__}"
        )
    files = [str(p) for p in events]
    if not files:
        raise DataError("the list of event files is empty")
    return _several(files, ", ".join(files))


def _several(files: list[str], label: str) -> Source:
    seen: dict[Path, str] = {}
    for f in files:
        resolved = Path(f).resolve()
        if resolved in seen:
            message = f"listed twice (also as {seen[resolved]!r}): its events would count twice"
            raise DataError([Problem(message, file=f)])
        seen[resolved] = f
    kinds = {_check_file(Path(f)) for f in files}
    if len(kinds) > 1:
        raise DataError(f"cannot mix CSV and Parquet files in one call: {label}")
    kind = kinds.pop()
    if len(files) == 1:
        label = files[0]
    relation = _reader(kind, [escape_glob(f) for f in files], len(files) > 1)
    return Source(relation, label, kind, several=len(files) > 1)
