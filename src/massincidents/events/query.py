"""The DuckDB queries of one events_to_panel call.

:class:`EventQuery` counts the events grouped by province text, period,
window flags and category (a small table, whatever the size of the input), and,
only when something must be named, finds the rows behind a problem with their
file and row number (DuckDB numbers rows in a streaming window, so this too
stays out of core).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from massincidents.errors import DataError, Problem
from massincidents.events.dates import DateSQL, Window, period_sql
from massincidents.events.sources import FILE_COLUMN, ROW_COLUMN, Source, literal, quote

#: The column with each row's file (or the table's label) when rows are named.
SOURCE_COLUMN = "__massincidents_source"
#: Offending rows named in an error (all are counted).
ROWS_SHOWN = 10


class EventQuery:
    """The DuckDB queries of one call: grouped counts, and the rows behind a problem."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        source: Source,
        *,
        province: str,
        date: str,
        by: str | None,
        freq: str,
        window: Window,
        dates: DateSQL,
        unit: str | None = None,
    ) -> None:
        self.con, self.source, self.freq, self.window = con, source, freq, window
        self.date_column, self.by, self.dates = date, by, dates
        category = f"CAST({quote(by)} AS VARCHAR)" if by else "'count'"
        # below the province, the unit's text travels with the province's
        self._unit = ", unit" if unit is not None else ""
        unit_sql = f", CAST({quote(unit)} AS VARCHAR) AS unit" if unit is not None else ""
        self._raw = (
            f"CAST({quote(province)} AS VARCHAR) AS prov{unit_sql}, {category} AS cat, "
            f"{dates.text} AS t, {dates.typed} AS r0"
        )
        self._province, self._unit_column = province, unit

    def _counted(self) -> str:
        """SQL of the rows counted by their values as stored (see :meth:`grouped`)."""
        # For counting, the rows are first grouped by the columns as stored (text
        # dates: by their raw values, so that trimming and every parse run once
        # per distinct value); a date or timestamp column by its typed date
        # alone (its text, one per distinct timestamp, is not carried).
        province, unit, by, date = self._province, self._unit_column, self.by, self.date_column
        dates, relation = self.dates, self.source.relation
        if dates.typed == "NULL":
            columns = ", ".join(dict.fromkeys(quote(c) for c in (province, unit, by, date) if c))
            return (
                f"(SELECT {self._raw}, n FROM "
                f"(SELECT {columns}, count(*) AS n FROM {relation} GROUP BY ALL))"
            )
        category = f"CAST({quote(by)} AS VARCHAR)" if by else "'count'"
        unit_sql = f", CAST({quote(unit)} AS VARCHAR) AS unit" if unit is not None else ""
        typed = (
            f"CAST({quote(province)} AS VARCHAR) AS prov{unit_sql}, {category} AS cat, "
            f"CAST(NULL AS VARCHAR) AS t, {dates.typed} AS r0"
        )
        return (
            f"(SELECT prov{self._unit}, cat, t, r0, count(*) AS n "
            f"FROM (SELECT {typed} FROM {relation}) GROUP BY ALL)"
        )

    def _parsed(self, relation: str, keep: str = "", *, raw: str | None = None) -> str:
        """SQL of the parsed rows: ``prov``, ``cat``, ``t``, ``d`` and the reading flags.

        One SELECT per stage, so that each parse runs once per row; ``keep``
        names extra columns of ``relation`` carried through. ``raw``: SQL of
        the unparsed rows (``prov``, ``unit``, ``cat``, ``t``, ``r0`` and
        ``keep``) in place of the rows of ``relation``.
        """
        d, u = self.dates, self._unit
        keep = f"{keep}, " if keep else ""
        raw = raw or f"(SELECT {keep}{self._raw} FROM {relation})"
        return f"""
            (SELECT {keep}prov{u}, cat, t, r, day_first, month_first, {d.date} AS d,
                    {d.ambiguous} AS ambiguous, {d.reading} AS reading
             FROM (SELECT *, {d.day_first} AS day_first, {d.month_first} AS month_first
                   FROM (SELECT {keep}prov{u}, cat, t, COALESCE(r0, {d.readable}) AS r
                         FROM {raw})))
        """

    def grouped(self) -> pd.DataFrame:
        """One row per (province text, unit text, period, flags, category) with its count.

        The rows are first counted by their values as stored (province, unit,
        category, date): the dates are then read once per distinct value, not
        once per event (a few thousand distinct dates, whatever the number of
        events), and those counts are summed by period.
        """
        query = f"""
            SELECT prov{self._unit}, {period_sql(self.freq, "d")} AS period,
                   {self.window.contains_sql("d")} AS in_window,
                   {self.window.implausible_sql("d")} AS implausible,
                   ambiguous, reading, cat,
                   CAST(min(d) - DATE '1970-01-01' AS BIGINT) AS first_day,
                   CAST(max(d) - DATE '1970-01-01' AS BIGINT) AS last_day,
                   CAST(sum(n) AS BIGINT) AS n
            FROM {self._parsed(self.source.relation, keep="n", raw=self._counted())} GROUP BY ALL
        """
        try:
            return self.con.execute(query).df()
        except duckdb.Error as err:
            # a file the sniffed dialect cannot read: read it as auto-detection does, for
            # DuckDB's message (or its reading) to be auto-detection's
            if self.source.auto_detected is not None and not isinstance(
                err, duckdb.InterruptException
            ):
                self.source = self.source.without_sniffing()
                return self.grouped()
            problem = Problem(f"cannot be aggregated: {err}", file=self.source.label)
            raise DataError([problem]) from err

    def rows(self, condition: str, extra: str = "NULL") -> list[tuple[str, int, str, object]]:
        """(file, row, date as written, ``extra``) of the first rows meeting ``condition``.

        ``condition`` and ``extra`` are SQL over the parsed columns (``prov``,
        ``d``, ``ambiguous``, ``reading``, ``cat``, ``day_first``, ``month_first``).
        """
        file = quote(FILE_COLUMN) if self.source.several else literal(self.source.label)
        numbered = f"(SELECT *, {file} AS {SOURCE_COLUMN} FROM {self.source.numbered()})"
        query = f"""
            SELECT {SOURCE_COLUMN}, {ROW_COLUMN}, t, {extra}
            FROM {self._parsed(numbered, keep=f"{SOURCE_COLUMN}, {ROW_COLUMN}")}
            WHERE {condition}
            ORDER BY 1, 2 LIMIT {ROWS_SHOWN}
        """
        found = self.con.execute(query).fetchall()
        labels: dict[str, dict[int, int]] = {}
        for f in {f for f, *_ in found}:
            numbers = [r for g, r, *_ in found if g == f]
            labels[f] = self.source.row_labels(self.con, f, numbers)
        return [(f, labels[f][r], value, x) for f, r, value, x in found]

    def problems(
        self, condition: str, total: int, message: str, column: str, extra: str = "NULL"
    ) -> list[Problem]:
        """One Problem per offending row (the first few), and the count of the others."""
        found = [
            Problem(message.format(value=value, extra=x), file=f, row=row, column=column)
            for f, row, value, x in self.rows(condition, extra)
        ]
        if total > len(found):
            more = f"... {total - len(found)} more row(s) like these"
            found.append(Problem(more, file=self.source.label, column=column))
        return found
