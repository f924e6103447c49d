r"""Event tables to zero-filled province-period counts.

An event table has one row per incident (a strike, a protest, a petition) with
at least a province and a date. :func:`events_to_panel` counts events per
province and period and fills every province-period without an event with an
explicit zero, so that

.. math::

    y_{it} = \sum_{e} \mathbf{1}\{\text{prov}(e) = i,\ \text{date}(e) \in t\},

for all 31 mainland provinces :math:`i` and every period :math:`t` in the
window. The aggregation runs in DuckDB, which streams CSV and Parquet files
from disk, so files larger than memory are counted out of core; an in-memory
DataFrame goes through the same query.

Nothing is dropped silently: events with an unknown province, an unparseable
date, a place outside the mainland (Hong Kong, Macao, Taiwan) or a date
outside the requested window are counted by reason in
``result.attrs["accounting"]`` and announced with a :class:`DataQualityWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from massincidents.errors import DataError, DataQualityWarning, Problem
from massincidents.provinces import MAINLAND_CODES, OUTSIDE_MAINLAND_CODES, normalise_provinces

Freq = Literal["year", "quarter", "month", "day"]

_PERIOD_SQL: dict[str, str] = {
    "year": "CAST(year(d) AS INTEGER)",
    "quarter": "CAST(year(d) * 10 + quarter(d) AS INTEGER)",
    "month": "CAST(year(d) * 100 + month(d) AS INTEGER)",
    "day": "d",
}

# Formats tried, in order, for dates stored as text.
_DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%d/%m/%Y",
)
# Month-precision formats (2015年3月, 2015-03): used for every freq but "day",
# where a month cannot be placed on a day (such events count as unparseable).
_MONTH_FORMATS: tuple[str, ...] = ("%Y年%m月", "%Y-%m", "%Y/%m")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _date_sql(column: str, freq: str = "day") -> str:
    text = f"CAST({_quote(column)} AS VARCHAR)"
    formats = _DATE_FORMATS if freq == "day" else _DATE_FORMATS + _MONTH_FORMATS
    tries = [f"TRY_CAST({_quote(column)} AS DATE)"]
    tries += [f"CAST(TRY_STRPTIME(trim({text}), '{fmt}') AS DATE)" for fmt in formats]
    return "COALESCE(" + ", ".join(tries) + ")"


def _source_relation(
    con: duckdb.DuckDBPyConnection, events: pd.DataFrame | str | Path
) -> tuple[str, str]:
    """Register ``events`` with DuckDB and return (relation SQL, label for messages)."""
    if isinstance(events, pd.DataFrame):
        con.register("events_input", events)
        return "events_input", "<DataFrame>"
    path = Path(events)
    if not path.exists():
        raise DataError([Problem("file not found", file=str(path))])
    if path.is_file() and path.stat().st_size < 4096 and not path.read_bytes().strip():
        raise DataError(
            [Problem("the file is empty (0 bytes or only blank lines)", file=str(path))]
        )
    suffix = path.suffix.lower()
    literal = "'" + str(path).replace("'", "''") + "'"
    if suffix == ".parquet":
        return f"read_parquet({literal})", str(path)
    if suffix in {".csv", ".txt", ".gz"}:
        # all_varchar: a column's type is ours to interpret, row by row.
        return f"read_csv({literal}, header=true, all_varchar=true)", str(path)
    raise DataError(
        [Problem(f"unsupported file type {suffix!r}: use CSV or Parquet", file=str(path))]
    )


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def _check_columns(available: list[str], wanted: dict[str, str | None], label: str) -> None:
    import difflib

    problems = []
    for role, name in wanted.items():
        if name is not None and name not in available:
            close = difflib.get_close_matches(name, available, n=3, cutoff=0.4)
            hint = f"; close column names: {', '.join(close)}" if close else ""
            problems.append(Problem(f"the {role} column is missing{hint}", file=label, column=name))
    if problems:
        raise DataError(problems)


def _period_index(freq: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.Index:
    if freq == "year":
        return pd.Index(range(first.year, last.year + 1), name="year")
    if freq == "quarter":
        periods = pd.period_range(first, last, freq="Q")
        return pd.Index([p.year * 10 + p.quarter for p in periods], name="quarter")
    if freq == "month":
        periods = pd.period_range(first, last, freq="M")
        return pd.Index([p.year * 100 + p.month for p in periods], name="month")
    return pd.Index(pd.date_range(first, last, freq="D"), name="day")


def events_to_panel(
    events: pd.DataFrame | str | Path,
    *,
    province: str = "province",
    date: str = "date",
    freq: Freq = "year",
    by: str | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    provinces: Sequence[int] | None = None,
) -> pd.DataFrame:
    r"""Count events per province and period, zero-filled.

    Parameters
    ----------
    events
        A DataFrame, or the path of a CSV or Parquet file (counted out of core
        by DuckDB, so it may be larger than memory).
    province
        Column holding the province (any spelling :func:`province_code`
        accepts, or a GB/T code).
    date
        Column holding the event date (a date, a timestamp, or text such as
        ``2015-03-02``, ``2015/3/2`` or ``2015年3月2日``). Month-precision
        text (``2015年3月``, ``2015-03``) is accepted for every ``freq`` but
        ``"day"``, where it counts as an unparseable date.
    freq
        ``"year"``, ``"quarter"`` (coded ``YYYYQ``, e.g. 20151), ``"month"``
        (coded ``YYYYMM``) or ``"day"`` (a date).
    by
        Optional category column (size band, industry, demand, response): one
        count column per category, plus ``total``. Missing categories are
        counted under ``"missing"``.
    start, end
        Observation window (inclusive). Defaults to the first and last valid
        event dates; events outside the window are reported, not counted.
    provinces
        Province codes that make up the panel (default: the 31 mainland
        provinces); every one gets a row for every period.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``province``, period), where the period level is named
        after ``freq``; column ``count`` (or one column per category and
        ``total`` when ``by`` is given). ``attrs["accounting"]`` holds the
        number of events read, counted, and left out by reason, so that
        ``counted == read - sum(left out)`` and the counts sum to ``counted``.

    Raises
    ------
    DataError
        When a named column is missing or the file cannot be read.

    Examples
    --------
    >>> import pandas as pd, massincidents as mi
    >>> ev = pd.DataFrame({"province": ["Guangdong", "广东", "Sichuan"],
    ...                    "date": ["2015-01-03", "2015-06-01", "2016-02-02"]})
    >>> panel = mi.events_to_panel(ev, freq="year")
    >>> int(panel.loc[(440000, 2015), "count"]), int(panel["count"].sum()), panel.shape
    (2, 3, (62, 1))
    """
    if freq not in _PERIOD_SQL:
        raise ValueError(f"freq must be one of {sorted(_PERIOD_SQL)}, got {freq!r}")
    panel_codes = tuple(int(c) for c in (provinces if provinces is not None else MAINLAND_CODES))

    con = duckdb.connect()
    try:
        relation, label = _source_relation(con, events)
        try:
            available = _columns(con, relation)
        except duckdb.Error as err:
            raise DataError([Problem(f"cannot be read: {err}", file=label)]) from err
        _check_columns(available, {"province": province, "date": date, "category": by}, label)
        category_sql = f"COALESCE(CAST({_quote(by)} AS VARCHAR), 'missing')" if by else "'count'"
        window = []
        if start is not None:
            window.append(f"d >= DATE '{pd.Timestamp(start).date().isoformat()}'")
        if end is not None:
            window.append(f"d <= DATE '{pd.Timestamp(end).date().isoformat()}'")
        in_window_sql = " AND ".join(window) if window else "TRUE"
        query = f"""
            WITH parsed AS (
                SELECT CAST({_quote(province)} AS VARCHAR) AS prov,
                       {_date_sql(date, freq)} AS d,
                       {category_sql} AS cat
                FROM {relation}
            )
            SELECT prov, CASE WHEN d IS NULL THEN NULL ELSE {_PERIOD_SQL[freq]} END AS period,
                   COALESCE({in_window_sql}, FALSE) AS in_window,
                   min(d) AS first_d, max(d) AS last_d, cat, count(*) AS n
            FROM parsed GROUP BY ALL
        """
        try:
            grouped = con.execute(query).df()
        except duckdb.Error as err:
            raise DataError([Problem(f"cannot be aggregated: {err}", file=label)]) from err
    finally:
        con.close()

    return _assemble(
        grouped, freq=freq, by=by, start=start, end=end, panel_codes=panel_codes, label=label
    )


def _assemble(
    grouped: pd.DataFrame,
    *,
    freq: str,
    by: str | None,
    start: str | pd.Timestamp | None,
    end: str | pd.Timestamp | None,
    panel_codes: tuple[int, ...],
    label: str | None = None,
) -> pd.DataFrame:
    """Turn DuckDB's grouped counts into the zero-filled panel with row accounting."""
    n = grouped["n"].astype("int64")
    read = int(n.sum())
    codes, unknown = normalise_provinces(grouped["prov"])
    no_date = grouped["period"].isna()
    outside = codes.isin(OUTSIDE_MAINLAND_CODES).fillna(False)
    not_in_panel = ~unknown & ~outside & ~codes.isin(panel_codes).fillna(False)

    valid = ~unknown & ~no_date & ~outside & ~not_in_panel
    valid_dates = pd.concat([grouped.loc[valid, "first_d"], grouped.loc[valid, "last_d"]])
    valid_dates = pd.to_datetime(valid_dates)
    first = pd.Timestamp(start) if start is not None else valid_dates.min()
    last = pd.Timestamp(end) if end is not None else valid_dates.max()
    if pd.isna(first) or pd.isna(last):
        raise DataError(
            [Problem("no event has both a known province and a valid date", file=label)]
        )
    periods = _period_index(freq, first, last)
    keys = grouped["period"]
    if freq == "day":
        keys = pd.to_datetime(keys)
    in_window = valid & grouped["in_window"].astype(bool)
    outside_window = valid & ~in_window

    accounting = {
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

    kept = pd.DataFrame(
        {
            "province": codes[in_window].astype("int64"),
            "period": keys[in_window],
            "cat": grouped.loc[in_window, "cat"],
            "n": n[in_window],
        }
    )
    index = pd.MultiIndex.from_product([list(panel_codes), periods], names=["province", freq])
    table = kept.pivot_table(
        index=["province", "period"], columns="cat", values="n", aggfunc="sum", fill_value=0
    )
    table.index = table.index.set_names(["province", freq])
    table = table.reindex(index, fill_value=0).astype("int64")
    table.columns.name = None
    if by is None:
        if "count" not in table.columns:
            table["count"] = np.int64(0)
        table = table[["count"]]
    else:
        table = table[sorted(table.columns, key=str)]
        table["total"] = table.sum(axis=1)
    table.attrs["accounting"] = accounting
    table.attrs["freq"] = freq
    return table
