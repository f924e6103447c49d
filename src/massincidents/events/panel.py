"""events_to_panel: count events per province and period in DuckDB, zero-fill, account."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

from massincidents.errors import DataError, DataQualityWarning, Problem
from massincidents.events.checks import check_columns, check_formats, panel_codes, row_problems
from massincidents.events.dates import CHINA_TIME_ZONE, date_sql, days_to_dates, parse_window
from massincidents.events.query import EventQuery
from massincidents.events.sources import connect, literal, open_source, quote
from massincidents.provinces import OUTSIDE_MAINLAND_CODES, normalise_provinces

Freq = Literal["year", "quarter", "month", "day"]
Level = Literal["province", "prefecture", "county"]
FREQS: tuple[str, ...] = ("year", "quarter", "month", "day")


def events_to_panel(
    events: pd.DataFrame | str | Path | Sequence[str | Path],
    *,
    province: str = "province",
    date: str = "date",
    freq: Freq = "year",
    by: str | None = None,
    start: object = None,
    end: object = None,
    provinces: Sequence[int | str] | None = None,
    dayfirst: bool | None = None,
    date_format: str | Sequence[str] | None = None,
    glob: bool = False,
    level: Level = "province",
    unit: str | None = None,
    vintage: int | None = None,
) -> pd.DataFrame:
    r"""Count events per province (or prefecture, county) and period, zero-filled.

    .. math::

        y_{it} = \sum_{e} \mathbf{1}\{\text{prov}(e) = i,\ \text{date}(e) \in t\}

    Parameters
    ----------
    events
        A DataFrame; the path of one CSV or Parquet file (counted out of core
        by DuckDB, so it may be larger than memory; the path names that file
        exactly, even if it contains ``*``, ``?`` or ``[``); a list of such
        paths; or, with ``glob=True``, a pattern such as ``"events/*.csv"``.
    province
        Column holding the province (any spelling :func:`province_code`
        accepts, or a GB/T code).
    date
        Column holding the event date: a date, a timestamp, or text such as
        ``2015-03-02``, ``2015/3/2`` or ``2015年3月2日``. Dates are China
        Standard Time (UTC+8): a time-zone-aware timestamp (or text with an
        offset, ``2016-01-01T02:00+08:00``) is converted to it before its date
        is taken, a naive one is read as local China time; the machine's time
        zone plays no part. Month-precision text (``2015年3月``, ``2015-03``)
        is accepted for every ``freq`` but ``"day"``, where it counts as an
        unparseable date.
    freq
        ``"year"``, ``"quarter"`` (coded ``YYYYQ``, e.g. 20151), ``"month"``
        (coded ``YYYYMM``) or ``"day"`` (a date).
    by
        Optional category column (size band, industry, demand, response): one
        count column per category, plus ``total``. Events without a category
        are counted under ``"missing"``; a category literally named ``total``
        or ``missing`` is refused (rename it).
    start, end
        Observation window, inclusive: dates (China Standard Time) or years
        (``start=2011, end=2017`` means 2011-01-01 to 2017-12-31). Events
        outside it are reported, not counted. The window must not cut a
        period in two (``start="2015-07-01"`` with ``freq="year"`` is refused).
        Left out, a side is set by the first or last event, and an event dated
        before 1949 or after next year is refused as a likely mistyped year
        (pass ``start``/``end`` to count such data).
    provinces
        Provinces that make up the panel, as codes or names (default: the 31
        mainland provinces); every one gets a row for every period.
    dayfirst
        How to read a date with the year last (``03/04/2015``): ``True`` day
        first (3 April), ``False`` month first (4 March). Left as ``None``,
        such a date counts only if both readings fall in the same period;
        otherwise a DataError names its rows.
    date_format
        A strptime format (or a list tried in order), e.g. ``"%d/%m/%Y"``,
        used for text dates instead of the formats above.
    glob
        Read ``events`` as a pattern matching several files (Python's
        :mod:`glob` rules: ``*``, ``?``, ``[...]``, and ``**`` for any
        number of folders); the files are read as one table.
    level
        ``"province"`` (default), ``"prefecture"`` or ``"county"``. Below the
        province, each event's unit (a GB/T 2260 code, or a Chinese, pinyin or
        English name resolved within the event's province by
        :func:`division_code`) is counted, and the panel is zero-filled over
        the units in force in each period's year (2010-2019): a code valid
        from 2015 has no rows before 2015. Units that are missing, unknown,
        ambiguous, in another province than the event's, or not in force in
        the event's year are left out by reason, never guessed
        (``attrs["accounting"]``).
    unit
        Column holding the prefecture or county (default: the column named
        like ``level``).
    vintage
        Below the province: a year (2010-2019) whose units make the roster of
        every period, for codes harmonised to one vintage (see
        :func:`harmonise_codes`); the events' units are then checked against
        that year's roster instead of their own year's.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``province``, period), where the period level is named
        after ``freq``; column ``count`` (or one column per category and
        ``total`` when ``by`` is given). Below the province, indexed by
        (``prefecture`` or ``county``, period) with a ``province`` column.
        ``attrs["accounting"]`` holds the number of events read, counted, and
        left out by reason, so that ``counted == read - sum(left out)`` and
        the counts sum to ``counted``.

    Raises
    ------
    DataError
        When a named column is missing, a file cannot be read, an argument
        is not valid, or rows cannot be counted as they are (dates whose
        reading is ambiguous, likely mistyped years, reserved category
        names); the rows are named.

    Examples
    --------
    >>> import pandas as pd, massincidents as mi
    >>> ev = pd.DataFrame({"province": ["Guangdong", "广东", "Sichuan"],
    ...                    "date": ["2015-01-03", "2015-06-01", "2016-02-02"]})
    >>> panel = mi.events_to_panel(ev, freq="year")
    >>> int(panel.loc[(440000, 2015), "count"]), int(panel["count"].sum()), panel.shape
    (2, 3, (62, 1))

    Below the province, the units are zero-filled over the roster of each year
    (毕节市 520500 exists from 2011; 毕节地区 522400 before):

    >>> ev = pd.DataFrame({"province": ["Guizhou", "Guizhou", "Xinjiang"],
    ...                    "prefecture": ["毕节地区", "Bijie", "Hami"],
    ...                    "date": ["2010-05-01", "2012-03-01", "2016-02-02"]})
    >>> pref = mi.events_to_panel(ev, freq="year", level="prefecture")
    >>> int(pref.loc[(520500, 2012), "count"]), (522400, 2012) in pref.index, pref.index.names
    (1, False, FrozenList(['prefecture', 'year']))
    """
    if freq not in FREQS:
        raise DataError(f"freq must be one of {', '.join(map(repr, FREQS))}, got {freq!r}")
    if dayfirst is not None and date_format is not None:
        raise DataError("give dayfirst= or date_format=, not both")
    if dayfirst not in (None, True, False):
        raise DataError(f"dayfirst must be True, False or None, got {dayfirst!r}")
    if level not in ("province", "prefecture", "county"):
        raise DataError(f"level must be 'province', 'prefecture' or 'county', got {level!r}")
    if unit is not None and level == "province":
        raise DataError("unit= names the prefecture or county column: pass level= too")
    unit_column = (unit or level) if level != "province" else None
    if vintage is not None:
        if level == "province":
            raise DataError("vintage= applies below the province: pass level= too")
        if isinstance(vintage, bool) or not isinstance(vintage, int) or not (
            2010 <= vintage <= 2019
        ):
            raise DataError(f"vintage must be a year of the code lists, 2010-2019; got {vintage!r}")
    window = parse_window(start, end, freq)
    codes = panel_codes(provinces)

    with connect() as con:
        con.execute(f"SET TimeZone = {literal(CHINA_TIME_ZONE)}")
        source = open_source(con, events, glob=glob)
        try:
            types = source.describe(con)
        except duckdb.Error as err:
            raise DataError([Problem(f"cannot be read: {err}", file=source.label)]) from err
        wanted = {"province": province, "date": date, "category": by}
        if unit_column is not None:
            wanted[level] = unit_column
        check_columns(list(types), wanted, source.label)
        if date_format is not None:
            check_formats(con, date_format)
        dates = date_sql(
            quote(date), types[date], freq, dayfirst=dayfirst, date_format=date_format
        )
        query = EventQuery(
            con, source, province=province, date=date, by=by, freq=freq, window=window,
            dates=dates, unit=unit_column,
        )
        if unit_column is not None:
            from massincidents.events.levels import assemble_units

            return assemble_units(
                query, query.grouped(), codes, level, _period_index, vintage
            )
        return _assemble(query, query.grouped(), codes)


def _period_index(freq: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.Index:
    if freq == "year":
        return pd.Index(range(first.year, last.year + 1), name="year")
    if freq == "quarter":
        quarters = np.arange(first.year * 4 + first.quarter - 1, last.year * 4 + last.quarter)
        return pd.Index(quarters // 4 * 10 + quarters % 4 + 1, name="quarter")
    if freq == "month":
        months = np.arange(first.year * 12 + first.month - 1, last.year * 12 + last.month)
        return pd.Index(months // 12 * 100 + months % 12 + 1, name="month")
    return pd.Index(pd.date_range(first, last, freq="D"), name="day")


def _assemble(
    counter: EventQuery, grouped: pd.DataFrame, panel_codes: tuple[int, ...]
) -> pd.DataFrame:
    """Turn DuckDB's grouped counts into the zero-filled panel with row accounting."""
    freq, window, label = counter.freq, counter.window, counter.source.label
    n = grouped["n"].to_numpy(dtype="int64")
    read = int(n.sum())
    codes, unknown_rows = normalise_provinces(grouped["prov"])
    code_values = codes.to_numpy(dtype="int64", na_value=-1)  # -1: no code
    unknown = unknown_rows.to_numpy(dtype=bool)
    in_panel = np.isin(code_values, panel_codes)
    no_date = grouped["period"].isna().to_numpy()
    outside = np.isin(code_values, list(OUTSIDE_MAINLAND_CODES)) & ~in_panel
    not_in_panel = ~unknown & ~outside & ~in_panel
    valid = ~unknown & ~no_date & ~outside & ~not_in_panel

    problems = row_problems(counter, grouped, pd.Series(valid, index=grouped.index))
    if problems:
        raise DataError(problems)

    if not valid.any() and (window.start is None or window.end is None):
        raise DataError(
            [Problem("no event has both a known province and a valid date", file=label)]
        )
    first_days, last_days = (grouped[c].to_numpy()[valid] for c in ("first_day", "last_day"))
    first = pd.Timestamp(window.start or days_to_dates([first_days.min()])[0])
    last = pd.Timestamp(window.end or days_to_dates([last_days.max()])[0])
    periods = _period_index(freq, first, last)
    in_window = valid & grouped["in_window"].to_numpy(dtype=bool)
    outside_window = valid & ~in_window

    accounting: dict[str, Any] = {
        "events_read": read,
        "counted": int(n[in_window].sum()),
        "left_out": {
            "unknown_province": int(n[unknown].sum()),
            "outside_mainland": int(n[outside & ~unknown].sum()),
            "province_not_in_panel": int(n[not_in_panel].sum()),
            "unparseable_date": int(n[no_date & ~unknown & ~outside & ~not_in_panel].sum()),
            "outside_window": int(n[outside_window].sum()),
        },
    }
    left = {k: v for k, v in accounting["left_out"].items() if v}
    if left:
        detail = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in left.items())
        warnings.warn(
            f"events_to_panel counted {accounting['counted']} of {read} events; left out: {detail}",
            DataQualityWarning,
            stacklevel=3,
        )

    keys = grouped["period"].to_numpy()[in_window].astype("int64")
    table = _zero_filled(
        panel_codes,
        periods,
        ["province", freq],
        code_values[in_window],
        periods.get_indexer(pd.DatetimeIndex(days_to_dates(keys)) if freq == "day" else keys),
        grouped["cat"][in_window].fillna("missing"),
        n[in_window],
    )
    if counter.by is None:
        if "count" not in table.columns:
            table["count"] = np.int64(0)
        table = table[["count"]]
    else:
        table["total"] = table.sum(axis=1)
    table.attrs["accounting"] = accounting
    table.attrs["freq"] = freq
    return table


def _zero_filled(
    units: Sequence[int],
    periods: pd.Index,
    names: list[str],
    codes: np.ndarray,
    period_positions: np.ndarray,
    categories: pd.Series,
    n: np.ndarray,
) -> pd.DataFrame:
    """Counts summed into the zero-filled (unit, period) panel, one column per category.

    ``codes`` are the units of the counted groups (each in ``units``),
    ``period_positions`` their periods' positions in ``periods``, ``n`` their
    counts. Rows in the order of ``units``, then ``periods``; columns in the
    sorted order of the categories' text.
    """
    unit_positions = pd.Index(list(units)).get_indexer(codes)
    if (unit_positions < 0).any() or (period_positions < 0).any():  # pragma: no cover
        raise AssertionError("a counted group lies outside the panel")
    columns = sorted(categories.unique(), key=str)
    column_positions = pd.Index(columns).get_indexer(categories)
    cells = np.zeros((len(units) * len(periods), len(columns)), dtype="int64")
    np.add.at(cells, (unit_positions * len(periods) + period_positions, column_positions), n)
    index = pd.MultiIndex.from_product([list(units), periods], names=names)
    return pd.DataFrame(cells, index=index, columns=pd.Index(columns, dtype=object))
