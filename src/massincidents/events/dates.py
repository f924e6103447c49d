r"""Event dates: one time-zone rule, the text formats read, and the window.

**Time zone.** Every event is placed on its calendar date in China Standard
Time (``Asia/Shanghai``, UTC+8), whatever the time zone of the machine:

* a time-zone-aware timestamp (a pandas ``datetime64[ns, tz]`` column, a
  Parquet ``TIMESTAMP WITH TIME ZONE``, or text with an offset such as
  ``2015-12-31 20:00:00-08:00`` or ``2016-01-01T02:00:00Z``) is converted to
  China Standard Time before its date is taken;
* a naive timestamp or date (no offset) is read as local China time as it
  stands.

The DuckDB session that counts the events has its ``TimeZone`` set to
``Asia/Shanghai`` and converts aware timestamps explicitly with
``timezone('Asia/Shanghai', ...)``, so the host's ``TZ`` plays no part.

**Text dates.** ISO dates and times (``2015-03-02``, ``2015-3-2``,
``2015-03-02 10:00``), ``2015/3/2``, ``2015.03.02`` and ``2015年3月2日``; for
every ``freq`` but ``"day"`` also month-precision text (``2015年3月``,
``2015-03``, ``2015/03``). A date with the year last (``03/04/2015``,
``03-04-2015``, ``03.04.2015``) reads day first (3 April) or month first
(4 March): ``dayfirst=True`` or ``False`` chooses; without it such a date is
counted only when both readings fall in the same period (``03/04/2015`` counts
in 2015 in a yearly panel), and a date whose readings fall in different
periods is refused, naming its rows. ``date_format=`` replaces all of this with
one (or a list of) strptime formats.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from massincidents.errors import DataError
from massincidents.events.sources import literal

#: Events are dated in China Standard Time (UTC+8, no daylight saving).
CHINA_TIME_ZONE = "Asia/Shanghai"
#: With no ``start``, an event dated before this year is taken for a typo.
EARLIEST_YEAR = 1949

_ISO_LIKE = ("%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
_MONTH_ONLY = ("%Y年%m月", "%Y-%m", "%Y/%m")
_DAY_FIRST = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_MONTH_FIRST = ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y")
_AWARE = "TIMESTAMP WITH TIME ZONE"
_NAIVE = ("DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S")
_EPOCH = "DATE '1970-01-01'"


def latest_year() -> int:
    """With no ``end``, an event dated after this year (next year) is taken for a typo."""
    return dt.date.today().year + 1


def period_sql(freq: str, d: str) -> str:
    """SQL for the period of the DATE expression ``d``.

    Years as ``YYYY``, quarters ``YYYYQ``, months ``YYYYMM``, days as days
    since 1970-01-01 (an integer, so that no date is out of pandas' range).
    """
    return {
        "year": f"CAST(year({d}) AS BIGINT)",
        "quarter": f"CAST(year({d}) * 10 + quarter({d}) AS BIGINT)",
        "month": f"CAST(year({d}) * 100 + month({d}) AS BIGINT)",
        "day": f"CAST({d} - {_EPOCH} AS BIGINT)",
    }[freq]


def days_to_dates(days: pd.Series | np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 as ``datetime64[D]`` (any year DuckDB can hold)."""
    return np.asarray(days, dtype="int64").astype("datetime64[D]")


@dataclass(frozen=True)
class DateSQL:
    """SQL that reads one date column, in stages so that each parse runs once per row.

    * over the raw table: ``text`` (the value as written) and ``typed`` (the
      China Standard Time date of a date or timestamp column; NULL for text);
    * over ``t`` (the text) and ``r0`` (``typed``): ``readable``, the date
      when it reads one way only;
    * over ``t`` and ``r`` (``readable``): ``day_first`` and ``month_first``,
      the two readings of a year-last date (``03/04/2015``), NULL elsewhere;
    * over ``r``, ``day_first``, ``month_first``: ``date`` (the event's date,
      NULL if it cannot be read), ``ambiguous`` (the two readings fall in
      different periods) and ``reading`` (``'day-first'`` or
      ``'month-first'`` when only that reading is valid).
    """

    text: str
    typed: str
    readable: str
    day_first: str
    month_first: str
    date: str
    ambiguous: str
    reading: str


_NUMERIC_OFFSET = (
    r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
    r"\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)?"
)


def _strptime(text: str, formats: Sequence[str]) -> str:
    listed = "[" + ", ".join(literal(f) for f in formats) + "]"
    return f"CAST(TRY_STRPTIME({text}, {listed}) AS DATE)"


def date_sql(
    column: str,
    column_type: str,
    freq: str,
    *,
    dayfirst: bool | None = None,
    date_format: str | Sequence[str] | None = None,
) -> DateSQL:
    """Build the :class:`DateSQL` for the quoted ``column`` of DuckDB type ``column_type``."""
    text = f"trim(CAST({column} AS VARCHAR))"
    if column_type == _AWARE:
        aware_date = f"CAST(timezone({literal(CHINA_TIME_ZONE)}, {column}) AS DATE)"
        return DateSQL(text, aware_date, "r0", "NULL", "NULL", "r", "FALSE", "NULL")
    if column_type in _NAIVE:
        return DateSQL(text, f"CAST({column} AS DATE)", "r0", "NULL", "NULL", "r", "FALSE", "NULL")
    if date_format is not None:
        formats = [date_format] if isinstance(date_format, str) else list(date_format)
        return DateSQL(text, "NULL", _strptime("t", formats), "NULL", "NULL", "r", "FALSE", "NULL")

    # A plain date (10 characters at most) is cast directly; anything longer may
    # carry a time and an offset, read as a TIMESTAMPTZ in the session's China
    # time zone and converted explicitly.
    # Only numeric offsets (and Z/UTC) are read: DuckDB takes an abbreviation such as
    # "CST" for US Central time, 14 hours off China Standard Time, so text naming a
    # zone by letters is left unparsed (and reported) rather than shifted.
    aware = (
        f"CASE WHEN regexp_full_match(t, {literal(_NUMERIC_OFFSET)}) THEN "
        f"CAST(timezone({literal(CHINA_TIME_ZONE)}, TRY_CAST(t AS {_AWARE})) AS DATE) END"
    )
    iso = f"CASE WHEN length(t) <= 10 THEN TRY_CAST(t AS DATE) ELSE {aware} END"
    fixed = _strptime("t", _ISO_LIKE + (_MONTH_ONLY if freq != "day" else ()))
    readable = f"COALESCE({iso}, {fixed})"
    day_first = f"CASE WHEN r IS NULL THEN {_strptime('t', _DAY_FIRST)} END"
    month_first = f"CASE WHEN r IS NULL THEN {_strptime('t', _MONTH_FIRST)} END"
    if dayfirst is not None:
        chosen = "day_first" if dayfirst else "month_first"
        return DateSQL(text, "NULL", readable, day_first, month_first,
                       f"COALESCE(r, {chosen})", "FALSE", "NULL")
    ambiguous = (
        "(day_first IS NOT NULL AND month_first IS NOT NULL "
        f"AND {period_sql(freq, 'day_first')} <> {period_sql(freq, 'month_first')})"
    )
    date = f"COALESCE(r, CASE WHEN {ambiguous} THEN NULL ELSE COALESCE(day_first, month_first) END)"
    reading = (
        "CASE WHEN day_first IS NOT NULL AND month_first IS NULL THEN 'day-first' "
        "WHEN month_first IS NOT NULL AND day_first IS NULL THEN 'month-first' END"
    )
    return DateSQL(text, "NULL", readable, day_first, month_first, date, ambiguous, reading)


# ---------------------------------------------------------------------------
# the observation window
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """The observation window, inclusive; ``None`` on a side left to the data."""

    start: dt.date | None = None
    end: dt.date | None = None

    def contains_sql(self, d: str) -> str:
        """SQL: is the DATE ``d`` inside the window (FALSE when ``d`` is NULL)."""
        parts = []
        if self.start is not None:
            parts.append(f"{d} >= DATE '{self.start.isoformat()}'")
        if self.end is not None:
            parts.append(f"{d} <= DATE '{self.end.isoformat()}'")
        return f"COALESCE({' AND '.join(parts) if parts else f'{d} IS NOT NULL'}, FALSE)"

    def implausible_sql(self, d: str) -> str:
        """SQL: is ``d`` outside the plausible years on a side the data decide."""
        parts = []
        if self.start is None:
            parts.append(f"{d} < DATE '{EARLIEST_YEAR:04d}-01-01'")
        if self.end is None:
            parts.append(f"{d} > DATE '{latest_year():04d}-12-31'")
        return f"COALESCE({' OR '.join(parts) if parts else 'FALSE'}, FALSE)"


def _period_bounds(day: dt.date, freq: str) -> tuple[dt.date, dt.date]:
    """First and last day of the period of ``freq`` holding ``day``."""
    if freq == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if freq == "quarter":
        first_month = 3 * ((day.month - 1) // 3) + 1
        last_month = first_month + 2
    elif freq == "month":
        first_month = last_month = day.month
    else:
        return day, day
    last_day = calendar.monthrange(day.year, last_month)[1]
    return dt.date(day.year, first_month, 1), dt.date(day.year, last_month, last_day)


_PANDAS_YEARS = (1678, 2261)


def _out_of_range(name: str, value: object) -> DataError:
    years = f"{_PANDAS_YEARS[0]}-{_PANDAS_YEARS[1]}"
    return DataError(f"{name}={value!r} is outside the dates a panel can hold (years {years})")


def _bound(value: object, name: str) -> dt.date | None:
    """``start`` or ``end`` as a date in China Standard Time, or a DataError saying why not."""
    if value is None:
        return None
    hint = f"{name} must be a date such as '2015-01-01' (or a year, 2015); got {value!r}"
    is_year = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}\s*", value):
        value, is_year = int(value), True
    if is_year:
        year = int(value)  # type: ignore[call-overload]
        if not _PANDAS_YEARS[0] <= year <= _PANDAS_YEARS[1]:
            raise _out_of_range(name, value)
        return dt.date(year, 1, 1) if name == "start" else dt.date(year, 12, 31)
    if isinstance(value, bool):
        raise DataError(hint)
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except pd.errors.OutOfBoundsDatetime:
        raise _out_of_range(name, value) from None
    except (ValueError, TypeError, OverflowError):
        raise DataError(hint) from None
    if pd.isna(stamp):
        raise DataError(hint)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(CHINA_TIME_ZONE).tz_localize(None)
    if not _PANDAS_YEARS[0] <= stamp.year <= _PANDAS_YEARS[1]:
        raise _out_of_range(name, value)
    return stamp.date()


def parse_window(start: object, end: object, freq: str) -> Window:
    """Check ``start`` and ``end`` and return the :class:`Window`.

    Each is a date (text, ``datetime``, ``Timestamp``; an aware one is
    converted to China Standard Time) or a year (``2015`` or ``"2015"``: the
    first day of that year for ``start``, the last for ``end``). A window that
    cuts a period in two is refused: its first or last period would count only
    part of its events and still be presented as a whole period.
    """
    first, last = _bound(start, "start"), _bound(end, "end")
    if first is not None and last is not None and first > last:
        raise DataError(f"start={start!r} ({first}) is after end={end!r} ({last})")
    for name, value, day, side in (("start", start, first, 0), ("end", end, last, 1)):
        if day is None or freq == "day":
            continue
        edge = _period_bounds(day, freq)[side]
        if day != edge:
            where = "first" if side == 0 else "last"
            raise DataError(
                f"{name}={value!r} ({day}) falls inside a {freq}, which would be counted "
                f"as a whole {freq} although only part of it is observed: use "
                f"{name}='{edge}' (the {where} day of that {freq}) or a finer freq"
            )
    return Window(first, last)
