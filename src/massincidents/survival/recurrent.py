r"""Counting-process data for recurrent incidents: Andersen-Gill, PWP and WLW.

From dated events (one row per incident, e.g. ``clb_strikes``) and an
observation window, :func:`recurrent_data` builds one row per at-risk
interval :math:`(t_0, t_1]` of each unit (province), the layout that
``mi.cox(..., start="start", stop="stop", event="event")`` reads, for the
recurrent-event schemes reviewed by Amorim and Cai (2015):

``"ag"`` (Andersen and Gill 1982)
    Calendar time; every interval of every unit, all events in one risk set:
    :math:`\lambda_i(t) = Y_i(t)\lambda_0(t)e^{x_i(t)'\beta}`.
``"pwp-total"`` (Prentice, Williams and Peterson 1981, total time)
    The same rows, stratified by event number (``stratum`` = ``enum``): a unit
    is at risk for its :math:`k`-th event only after its :math:`(k-1)`-th, with
    a baseline hazard of its own for each :math:`k`.
``"pwp-gap"`` (PWP, gap time)
    As ``"pwp-total"`` with the clock reset at each event: ``start`` and
    ``stop`` count days since the previous event (since the origin for the
    first); calendar times are kept in ``calendar_start``/``calendar_stop``.
``"wlw"`` (Wei, Lin and Weissfeld 1989, marginal)
    For each event number :math:`k = 1..K`, every unit is at risk from the
    start of observation until its :math:`k`-th event or censoring
    (``stratum`` = :math:`k`); use a cluster-robust variance by unit.

Time is measured in days: the day :math:`d` covers :math:`(\tau - 1, \tau]` with
:math:`\tau = (d - o) + 1` days, :math:`o` the origin (the window start,
or the unit's own ``origin``), so an incident on day :math:`d` happens at
:math:`\tau`, a unit observed over the whole window of :math:`L` days is at
risk on :math:`(0, L]`, and a covariate that changes on day :math:`d` takes its
new value from :math:`\tau - 1` on.

Same-day events. Several incidents of one unit on one day would give
intervals of zero length in ``"ag"``/``"pwp"`` (invalid: a unit cannot be at
risk for its next event during no time). ``ties="spread"`` (default) places the
:math:`j`-th of :math:`m` incidents of the day at :math:`\tau - 1 + j/m`,
i.e. evenly within the day: every incident is kept, intervals stay positive,
the total time at risk is unchanged, and incidents of other units on that day
stay tied with the last of them (the dates carry no order within a day, so
the order among one unit's same-day incidents is arbitrary but immaterial for
``"ag"``). ``ties="count"`` keeps one interval ending at :math:`\tau` whose
``event`` is the number :math:`m` of incidents (for Poisson-type or weighted
analyses; ``enum`` advances by :math:`m`); ``ties="first"`` keeps one incident
per unit-day and reports the others as left out ("incident-days").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from massincidents.core.design import as_frame
from massincidents.errors import DataError, Problem
from massincidents.survival.nonparametric import label

Scheme = Literal["ag", "pwp-total", "pwp-gap", "wlw"]
Ties = Literal["spread", "count", "first"]

UNKNOWN_UNIT = "unit missing (unknown)"
BAD_DATE = "date missing or unreadable"
NOT_A_UNIT = "unit not among the units at risk"
BEFORE_WINDOW = "before the observation window"
AFTER_WINDOW = "after the observation window"
BEFORE_ORIGIN = "before the unit's origin"
SAME_DAY = "another event of the unit on the same day (ties='first')"

_SCHEMES = ("ag", "pwp-total", "pwp-gap", "wlw")
WLW_MAX_ROWS = 20_000_000


# -- validation of counting-process rows ---------------------------------------------------
def check_counting_process(
    data: pd.DataFrame,
    *,
    unit: str,
    start: str,
    stop: str,
    event: str,
    strata: str | None = None,
    end: object = None,
) -> None:
    """Check counting-process rows ``(start, stop]`` and raise one error listing every problem.

    Parameters
    ----------
    data
        One row per at-risk interval.
    unit, start, stop, event
        Column names.
    strata
        Column within which intervals of a unit must not overlap (``"stratum"``
        for WLW data, where each event number has its own copy of the time
        axis).
    end
        End of observation: a number, or a mapping unit -> number; an interval
        whose ``stop`` is after it is an error.

    Returns
    -------
    None
        Nothing, when the rows are valid counting-process data.

    Raises
    ------
    DataError
        ``stop`` not after ``start``, a negative ``start``, missing times,
        a negative event count, intervals of a unit that overlap, intervals
        after the end of observation: each with its unit and (0-based) row.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"u": [1, 1], "a": [0, 10], "b": [10, 20], "d": [1, 0]})
    >>> check_counting_process(rows, unit="u", start="a", stop="b", event="d")  # valid
    >>> rows = pd.DataFrame({"u": [1, 1], "a": [0, 5], "b": [10, 20], "d": [1, 0]})
    >>> check_counting_process(rows, unit="u", start="a", stop="b", event="d")
    Traceback (most recent call last):
    ...
    massincidents.errors.DataError: 1 problem found in the input data:
      - row 1, column 'a': unit 1: interval (5, 20] overlaps the previous interval (0, 10]
    """
    frame = as_frame(data)
    needed = [unit, start, stop, event, *([strata] if strata else [])]
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise DataError([Problem("column not found in the data", column=c) for c in absent])
    a = pd.to_numeric(frame[start], errors="coerce").to_numpy(dtype=float)
    b = pd.to_numeric(frame[stop], errors="coerce").to_numpy(dtype=float)
    d = pd.to_numeric(frame[event], errors="coerce").to_numpy(dtype=float)
    units = frame[unit].tolist()
    problems: list[Problem] = []

    def add(i: int, column: str, message: str) -> None:
        problems.append(Problem(f"unit {units[i]!r}: {message}", row=int(i), column=column))

    for i in np.flatnonzero(~np.isfinite(a)).tolist():
        add(i, start, "start is missing or not a number")
    for i in np.flatnonzero(~np.isfinite(b)).tolist():
        add(i, stop, "stop is missing or not a number")
    for i in np.flatnonzero(np.isfinite(a) & (a < 0)).tolist():
        add(i, start, f"negative time {a[i]:g}")
    for i in np.flatnonzero(np.isfinite(a) & np.isfinite(b) & (b <= a)).tolist():
        add(i, stop, f"stop {b[i]:g} is not after start {a[i]:g} (no time at risk)")
    for i in np.flatnonzero(~(d >= 0)).tolist():
        add(i, event, "event must be a count >= 0 (0 = censored)")
    if end is not None:
        limit = (
            pd.Series(units).map(end).to_numpy(dtype=float)
            if isinstance(end, Mapping | pd.Series)
            else np.full(len(frame), float(end))  # type: ignore[arg-type]
        )
        for i in np.flatnonzero(np.isfinite(limit) & (b > limit)).tolist():
            what = "an event" if d[i] > 0 else "an interval"
            add(i, stop, f"{what} at {b[i]:g} is after the end of observation {limit[i]:g}")
    key = pd.DataFrame({"u": frame[unit].to_numpy(), "a": a, "b": b, "pos": np.arange(len(frame))})
    key["s"] = frame[strata].to_numpy() if strata else 0
    key = key[np.isfinite(a) & np.isfinite(b)].sort_values(["u", "s", "a", "b"], kind="stable")
    same = (key["u"].to_numpy()[1:] == key["u"].to_numpy()[:-1]) & (
        key["s"].to_numpy()[1:] == key["s"].to_numpy()[:-1]
    )
    prev_b = key["b"].to_numpy()[:-1]
    overlap = same & (key["a"].to_numpy()[1:] < prev_b)
    for j in np.flatnonzero(overlap):
        i = int(key["pos"].iloc[j + 1])
        p = int(key["pos"].iloc[j])
        add(
            i,
            start,
            f"interval ({a[i]:g}, {b[i]:g}] overlaps the previous interval ({a[p]:g}, {b[p]:g}]",
        )
    if problems:
        raise DataError(problems)


# -- inputs --------------------------------------------------------------------------------
def _day(value: object, what: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise DataError([Problem(f"{what}: cannot read {value!r} as a date")]) from err
    if pd.isna(stamp):
        raise DataError([Problem(f"{what} is missing")])
    return stamp.normalize()


def _per_unit(
    value: object, units: list[object], what: str
) -> tuple[dict[object, pd.Timestamp], dict[object, int | None]]:
    """A date per unit from a scalar, a mapping or a Series; with source rows for messages."""
    if isinstance(value, Mapping | pd.Series):
        mapping = dict(value.items())
        rows = {u: i for i, u in enumerate(mapping)}
        absent = [u for u in units if u not in mapping or pd.isna(mapping[u])]
        if absent:
            raise DataError([Problem(f"unit {u!r}: no {what} given", column=what) for u in absent])
        return {u: _day(mapping[u], f"{what} of unit {u!r}") for u in units}, {
            u: rows.get(u) for u in units
        }
    day = _day(value, what)
    return {u: day for u in units}, {u: None for u in units}


def _covariate_table(
    covariates: pd.DataFrame, unit: str, covariate_time: str
) -> tuple[pd.DataFrame, list[str]]:
    frame = as_frame(covariates)
    for column in (unit, covariate_time):
        if column not in frame.columns:
            raise DataError(
                [
                    Problem(
                        f"the covariate table needs a {column!r} column or index level",
                        column=column,
                    )
                ]
            )
    values = [c for c in frame.columns if c not in (unit, covariate_time)]
    if not values:
        raise DataError([Problem("the covariate table has no covariate column")])
    frame = frame.copy()
    frame["_period"] = _periods(frame[covariate_time], covariate_time)
    dup = frame.duplicated([unit, "_period"], keep="first").to_numpy()
    if dup.any():
        raise DataError(
            [
                Problem(
                    f"unit {label(frame[unit].iloc[i])}: period {frame['_period'].iloc[i]} "
                    "appears twice in the covariate table",
                    row=int(i),
                    column=covariate_time,
                )
                for i in np.flatnonzero(dup)
            ]
        )
    return frame, values


def _periods(values: pd.Series, covariate_time: str) -> pd.Series:
    if covariate_time == "year":
        years = pd.to_numeric(values, errors="coerce")
        bad = years.isna() | (years != years.round())
        if bad.any():
            raise DataError(
                [
                    Problem(
                        f"a year must be a whole number, got {label(values.iloc[i])}",
                        row=int(i),
                        column=covariate_time,
                    )
                    for i in np.flatnonzero(bad.to_numpy())
                ]
            )
        return years.astype(int).map(lambda y: pd.Period(year=y, freq="Y"))
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.dt.asfreq("M")
    if pd.api.types.is_numeric_dtype(values):
        raise DataError(
            [
                Problem(
                    "monthly covariates need dates, 'YYYY-MM' strings or monthly periods, "
                    "not numbers",
                    column=covariate_time,
                )
            ]
        )
    return pd.to_datetime(values.astype(str)).dt.to_period("M")


# -- events --------------------------------------------------------------------------------
def _classify(
    events: pd.DataFrame,
    unit: str,
    date: str,
    universe: set[object],
    start: dict[object, pd.Timestamp],
    end: dict[object, pd.Timestamp],
    origin: dict[object, pd.Timestamp] | None,
) -> tuple[np.ndarray, pd.Series]:
    """Reason each event is left out ('' when used), and its day."""
    n = len(events)
    reason = np.full(n, "", dtype=object)
    units = events[unit]
    days = pd.to_datetime(events[date], errors="coerce").dt.normalize()
    reason[units.isna().to_numpy()] = UNKNOWN_UNIT
    open_ = reason == ""
    reason[open_ & days.isna().to_numpy()] = BAD_DATE
    open_ = reason == ""
    known = units.map(lambda u: u in universe).to_numpy(dtype=bool)
    reason[open_ & ~known] = NOT_A_UNIT
    open_ = reason == ""
    idx = np.flatnonzero(open_)
    u_open = units.to_numpy()[idx]
    d_open = days.to_numpy()[idx]
    s = np.array([start[u] for u in u_open], dtype="datetime64[ns]")
    e = np.array([end[u] for u in u_open], dtype="datetime64[ns]")
    before = d_open < s
    after = d_open > e
    reason[idx[before]] = BEFORE_WINDOW
    reason[idx[after]] = AFTER_WINDOW
    if origin is not None:
        o = np.array([origin[u] for u in u_open], dtype="datetime64[ns]")
        reason[idx[~before & ~after & (d_open < o)]] = BEFORE_ORIGIN
    return reason, days


def _event_times(
    days: np.ndarray, origin: pd.Timestamp, ties: str
) -> tuple[np.ndarray, np.ndarray]:
    """Event times (days since origin, end-of-day) and event counts, after the tie rule."""
    tau = ((days - np.datetime64(origin, "ns")) // np.timedelta64(1, "D")).astype(float) + 1.0
    values, counts = np.unique(tau, return_counts=True)
    if ties == "count":
        return values, counts.astype(int)
    if ties == "first":
        return values, np.ones_like(counts)
    m = np.repeat(counts, counts)
    j = np.arange(len(m)) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    times = np.repeat(values, counts) - 1.0 + j / m
    return times, np.ones(len(times), dtype=int)


# -- building ------------------------------------------------------------------------------
def _unit_intervals(
    u: object,
    entry: float,
    exit_: float,
    ev_times: np.ndarray,
    ev_counts: np.ndarray,
    split_times: np.ndarray,
    period_times: np.ndarray,
) -> pd.DataFrame:
    inside = lambda x: x[(x > entry) & (x < exit_)]  # noqa: E731
    bounds = np.unique(
        np.concatenate([[entry, exit_], ev_times, inside(split_times), inside(period_times)])
    )
    a, b = bounds[:-1], bounds[1:]
    count = np.zeros(len(b), dtype=int)
    pos = np.searchsorted(b, ev_times)
    np.add.at(count, pos, ev_counts)
    enum = 1 + np.concatenate([[0], np.cumsum(count)[:-1]])
    # a boundary that is only a period change (no event, no split) may be merged later
    period_only = np.isin(b, period_times) & ~np.isin(b, split_times) & (count == 0)
    return pd.DataFrame(
        {
            "_unit": [u] * len(a),
            "start": a,
            "stop": b,
            "event": count,
            "enum": enum,
            "_period_only": period_only,
        }
    )


def _period_boundaries(
    origin: pd.Timestamp, first: pd.Timestamp, last: pd.Timestamp, freq: str
) -> tuple[np.ndarray, list[pd.Period]]:
    periods = pd.period_range(first.to_period(freq), last.to_period(freq), freq=freq)
    starts = np.array([(p.start_time.normalize() - origin).days for p in periods[1:]], dtype=float)
    return starts, list(periods)


def _attach_period_values(
    rows: pd.DataFrame,
    origin_of: dict[object, pd.Timestamp],
    table: pd.DataFrame,
    unit: str,
    values: list[str],
    freq: str,
) -> pd.DataFrame:
    """Covariates of the period each interval lies in; ``_found`` False where none is given."""
    o = rows["_unit"].map(origin_of)
    day = o + pd.to_timedelta(np.ceil(rows["stop"].to_numpy()) - 1.0, unit="D")
    periods = day.dt.to_period(freq)
    lookup = table.set_index([unit, "_period"])[values]
    key = pd.MultiIndex.from_arrays([rows["_unit"].to_numpy(), periods.to_numpy()])
    attached = lookup.reindex(key)
    for column in values:
        rows[column] = attached[column].to_numpy()
    rows["_found"] = key.isin(lookup.index)
    return rows


def _merge_period_runs(rows: pd.DataFrame, values: list[str]) -> pd.DataFrame:
    """Join neighbouring intervals split at a period boundary where nothing changed."""
    same_unit = rows["_unit"].to_numpy()[1:] == rows["_unit"].to_numpy()[:-1]
    merge = same_unit & rows["_period_only"].to_numpy()[:-1]
    for column in values:
        x = rows[column]
        prev, cur = x.iloc[:-1].reset_index(drop=True), x.iloc[1:].reset_index(drop=True)
        equal = ((prev == cur) | (prev.isna() & cur.isna())).to_numpy(dtype=bool)
        merge &= equal
    run = np.concatenate([[0], np.cumsum(~merge)])
    agg = {c: "first" for c in rows.columns if c not in ("start", "stop", "event")}
    agg.update({"start": "min", "stop": "max", "event": "sum"})
    return rows.groupby(run, sort=False).agg(agg).reset_index(drop=True)[list(rows.columns)]


def _splits_values(
    rows: pd.DataFrame,
    splits: pd.DataFrame,
    unit: str,
    date: str,
    origin_of: dict[object, pd.Timestamp],
) -> list[str]:
    carry = [c for c in splits.columns if c not in (unit, date)]
    if not carry:
        return []
    tab = splits[[unit, date, *carry]].copy()
    tab["_t"] = [
        float((_day(d, "split date") - origin_of[u]).days) if u in origin_of else np.nan
        for u, d in zip(tab[unit], tab[date], strict=True)
    ]
    tab = tab.dropna(subset=["_t"]).sort_values("_t", kind="stable")
    left = rows.reset_index().rename(columns={"index": "_pos"}).sort_values("start", kind="stable")
    tab = tab.rename(columns={unit: "_unit"})
    tab["_unit"] = tab["_unit"].astype(object)
    left["_unit"] = left["_unit"].astype(object)
    merged = pd.merge_asof(
        left,
        tab[["_unit", "_t", *carry]],
        left_on="start",
        right_on="_t",
        by="_unit",
        direction="backward",
    )
    merged = merged.sort_values("_pos")
    for column in carry:
        rows[column] = merged[column].to_numpy()
    return carry


def _check_options(scheme: str, ties: str, covariate_time: str, max_enum: object) -> None:
    """A ValueError for an option outside its menu."""
    if scheme not in _SCHEMES:
        raise ValueError(f"scheme is one of {', '.join(_SCHEMES)}; got {scheme!r}")
    if ties not in ("spread", "count", "first"):
        raise ValueError(f"ties is 'spread', 'count' or 'first'; got {ties!r}")
    if covariate_time not in ("year", "month"):
        raise ValueError(f"covariate_time is 'year' or 'month'; got {covariate_time!r}")
    if max_enum is not None and (not isinstance(max_enum, int) or max_enum < 1):
        raise ValueError(f"max_enum must be a whole number >= 1, got {max_enum!r}")


def _units_at_risk(
    frame: pd.DataFrame,
    unit: str,
    units: Sequence[object] | None,
    table: pd.DataFrame | None,
) -> tuple[list[Any], str]:
    """The units at risk and where they came from: ``units=``, the covariates or the events."""
    if units is not None:
        universe = list(dict.fromkeys(u.item() if isinstance(u, np.generic) else u for u in units))
        source = "units="
    elif table is not None:
        universe = list(dict.fromkeys(table[unit].dropna().tolist()))
        source = "the covariate table"
    else:
        universe = list(dict.fromkeys(frame[unit].dropna().tolist()))
        source = "the events"
    if not universe:
        raise DataError([Problem("no unit at risk: no events and no units= given")])
    return universe, source


@dataclass
class _RiskWindows:
    """Per unit: first and last day observed, origin, and entry/exit in days since the origin."""

    start_of: dict[Any, pd.Timestamp]
    end_of: dict[Any, pd.Timestamp]
    origin_of: dict[Any, pd.Timestamp]
    entry_of: dict[Any, float]
    exit_of: dict[Any, float]

    @classmethod
    def of(
        cls, universe: list[Any], start: object, end: object, origin: object
    ) -> _RiskWindows:
        """The windows; a unit with no time at risk is a DataError (naming its row)."""
        start_of, start_rows = _per_unit(start, universe, "start")
        end_of, end_rows = _per_unit(end, universe, "end")
        origin_of, origin_rows = (
            _per_unit(origin, universe, "origin")
            if origin is not None
            else (dict(start_of), dict.fromkeys(universe))
        )
        entry_of, exit_of = {}, {}
        problems = []
        for u in universe:
            first = max(start_of[u], origin_of[u])
            entry_of[u] = float((first - origin_of[u]).days)
            exit_of[u] = float((end_of[u] - origin_of[u]).days + 1)
            if exit_of[u] <= entry_of[u]:
                # the row of the table (mapping) that set the offending date, if any
                row = next(
                    (r[u] for r in (origin_rows, end_rows, start_rows) if r[u] is not None), None
                )
                problems.append(
                    Problem(
                        f"unit {u!r}: no time at risk (observed from {first.date()} "
                        f"to {end_of[u].date()})",
                        row=row,
                    )
                )
        if problems:
            raise DataError(problems)
        return cls(start_of, end_of, origin_of, entry_of, exit_of)


def _apply_ties(
    frame: pd.DataFrame, unit: str, reason: np.ndarray, days: pd.Series, ties: str
) -> tuple[np.ndarray, dict[str, Any]]:
    """Events used (``ties='first'`` sets aside later events of a unit-day) and a tie count."""
    used = reason == ""
    tie_info = {"policy": ties, "unit_days_with_several_events": 0, "events_on_those_days": 0}
    if used.any():
        key = pd.DataFrame({"u": frame[unit].to_numpy()[used], "d": days.to_numpy()[used]})
        sizes = key.groupby(["u", "d"], sort=False).size()
        tie_info["unit_days_with_several_events"] = int((sizes > 1).sum())
        tie_info["events_on_those_days"] = int(sizes[sizes > 1].sum())
        if ties == "first":
            later = key.duplicated(["u", "d"], keep="first").to_numpy()
            reason[np.flatnonzero(used)[later]] = SAME_DAY
            used = reason == ""
    return used, tie_info


def _raise_outside(frame: pd.DataFrame, unit: str, date: str, reason: np.ndarray) -> None:
    """``on_outside='raise'``: a DataError listing every event set aside (same-day ties apart)."""
    if not (reason != "").any():
        return
    bad = np.flatnonzero((reason != "") & (reason != SAME_DAY))
    if len(bad):
        unit_values = frame[unit].tolist()
        raise DataError(
            [
                Problem(
                    f"unit {unit_values[i]!r}, date {frame[date].iloc[i]}: {reason[i]}",
                    row=int(i),
                    column=date,
                )
                for i in bad
            ]
        )


def _all_intervals(
    universe: list[Any],
    window: _RiskWindows,
    ev_unit: np.ndarray,
    ev_day: np.ndarray,
    ties: str,
    split_frame: pd.DataFrame | None,
    unit: str,
    date: str,
    by_period: bool,
    freq: str,
) -> pd.DataFrame:
    """Every unit's at-risk time cut at its events, split dates and (covariate) periods."""
    pieces = []
    for u in universe:
        o = window.origin_of[u]
        mine = ev_unit == u
        times, counts = _event_times(ev_day[mine], o, ties)
        split_t = np.array([], dtype=float)
        if split_frame is not None:
            sd = pd.to_datetime(split_frame.loc[split_frame[unit] == u, date], errors="coerce")
            split_t = ((sd.dropna().dt.normalize() - o).dt.days).to_numpy(dtype=float)
        period_t = np.array([], dtype=float)
        if by_period:
            first_day = o + pd.Timedelta(days=window.entry_of[u])
            period_t, _ = _period_boundaries(o, first_day, window.end_of[u], freq)
        pieces.append(
            _unit_intervals(
                u, window.entry_of[u], window.exit_of[u], times, counts, split_t, period_t
            )
        )
    return pd.concat(pieces, ignore_index=True)


def _accounting(
    frame: pd.DataFrame, unit: str, date: str, reason: np.ndarray, used: np.ndarray
) -> dict[str, Any]:
    """``accounting`` (events, used, count per reason) and ``excluded`` (each event set aside)."""
    excluded_idx = np.flatnonzero(reason != "")
    accounting: dict[str, int] = {"events": len(frame), "used": int(used.sum())}
    for r in pd.Series(reason[excluded_idx]).value_counts().items():
        accounting[str(r[0])] = int(r[1])
    return {
        "accounting": accounting,
        "excluded": {
            "row": excluded_idx.tolist(),
            "unit": [None if pd.isna(v) else v for v in frame[unit].to_numpy()[excluded_idx]],
            "date": [str(v) for v in frame[date].to_numpy()[excluded_idx]],
            "reason": reason[excluded_idx].tolist(),
        },
    }


def recurrent_data(
    events: pd.DataFrame,
    *,
    unit: str = "province",
    date: str = "date",
    start: object,
    end: object,
    scheme: Scheme = "ag",
    covariates: pd.DataFrame | None = None,
    covariate_time: str = "year",
    splits: pd.DataFrame | None = None,
    origin: object = None,
    units: Sequence[object] | None = None,
    ties: Ties = "spread",
    max_enum: int | None = None,
    on_outside: Literal["report", "raise"] = "report",
) -> pd.DataFrame:
    r"""Counting-process rows for recurrent events (AG, PWP total and gap time, WLW).

    Each unit :math:`i` is at risk on :math:`(e_i, x_i]` (days since its
    origin; :math:`e_i > 0` is left truncation), cut at its events, at the
    changes of time-varying covariates and at ``splits`` dates; the
    :math:`k`-th event of unit :math:`i` ends the interval on which it is at
    risk for event :math:`k` (``enum``). See the module docstring for the
    schemes and for same-day events.

    Parameters
    ----------
    events
        One row per event, with a ``unit`` and a ``date`` column.
    unit, date
        Column names (also used in ``splits`` and ``covariates``).
    start, end
        First and last day of observation (inclusive): a date, or a mapping
        unit -> date (units entering or leaving at different times).
    scheme
        ``"ag"``, ``"pwp-total"``, ``"pwp-gap"`` or ``"wlw"``.
    covariates
        A table of time-varying covariates by ``(unit, covariate_time)`` (index
        levels or columns, e.g. ``mi.datasets.load("province_year")[["gdp"]]``);
        every other column is attached to the intervals, which are cut
        where any of them changes. Unit-periods absent from the table get
        missing values (counted in ``attrs["covariates_missing"]``).
    covariate_time
        ``"year"`` (integer years) or ``"month"`` (dates, ``"YYYY-MM"`` strings
        or monthly periods) in the covariate table.
    splits
        Further change dates, one row per ``(unit, date)``, e.g. leader
        changes. Its other columns are carried forward as step covariates
        (missing before a unit's first split date).
    origin
        Origin of each unit's clock (a date or mapping unit -> date), e.g. the
        start of a leader's tenure. Default: the start of observation. A unit
        observed from after its origin is left-truncated (its first
        ``start`` > 0); one whose origin is after ``start`` is observed from
        its origin.
    units
        Units at risk. Default: the units of ``covariates`` when given, else
        those with at least one event (units without events must then be
        listed, or they are missing from the risk sets).
    ties
        Same-day events of a unit: ``"spread"``, ``"count"`` or ``"first"``
        (module docstring).
    max_enum
        PWP: pool event numbers above ``max_enum`` in the last stratum. WLW:
        model event numbers 1..``max_enum`` only (the default, the largest
        count of any unit, can make very many rows).
    on_outside
        ``"report"`` (default): events outside the window, of unknown units,
        or before a unit's origin are left out and reported in ``attrs``;
        ``"raise"``: they are a :class:`~massincidents.DataError` listing each
        with its unit and row.

    Returns
    -------
    pandas.DataFrame
        ``unit``, ``start``, ``stop`` (days), ``event`` (0/1; a count with
        ``ties="count"``), ``enum``, for PWP and WLW ``stratum``, for PWP gap
        time ``calendar_start``/``calendar_stop``, then the covariates. ``attrs``:
        ``accounting`` (input events by fate: ``used`` and each reason, adding up
        to ``events``), ``excluded`` (row, unit, date, reason of each event left
        out: ``pd.DataFrame(rows.attrs["excluded"])``), ``ties``, ``window``,
        ``scheme``, ``covariates_missing``, for WLW ``wlw_events_beyond_max_enum``
        (events after the ``max_enum``-th of their unit, not modelled).

    Raises
    ------
    DataError
        Missing columns, unreadable window dates, a unit with no time at risk
        (end before start, or origin after end), and with
        ``on_outside="raise"`` every event that cannot be placed.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"province": [110000, 110000, 110000, 120000],
    ...                    "date": pd.to_datetime(["2011-01-05", "2011-01-05",
    ...                                            "2011-03-01", "2011-02-01"])})
    >>> rows = recurrent_data(ev, start="2011-01-01", end="2011-12-31")
    >>> print(rows.to_string(index=False))
     province  start  stop  event  enum
       110000    0.0   4.5      1     1
       110000    4.5   5.0      1     2
       110000    5.0  60.0      1     3
       110000   60.0 365.0      0     4
       120000    0.0  32.0      1     1
       120000   32.0 365.0      0     2
    >>> rows.attrs["accounting"]
    {'events': 4, 'used': 4}
    """
    _check_options(scheme, ties, covariate_time, max_enum)
    frame = as_frame(events)
    absent = [c for c in (unit, date) if c not in frame.columns]
    if absent:
        raise DataError([Problem("column not found in the events", column=c) for c in absent])
    frame = frame.reset_index(drop=True)
    table: pd.DataFrame | None = None
    cov_names: list[str] = []
    if covariates is not None:
        table, cov_names = _covariate_table(covariates, unit, covariate_time)
    universe, source = _units_at_risk(frame, unit, units, table)
    window = _RiskWindows.of(universe, start, end, origin)
    reason, days = _classify(
        frame,
        unit,
        date,
        set(universe),
        window.start_of,
        window.end_of,
        window.origin_of if origin is not None else None,
    )
    used, tie_info = _apply_ties(frame, unit, reason, days, ties)
    if on_outside == "raise":
        _raise_outside(frame, unit, date, reason)
    split_frame = None
    if splits is not None:
        split_frame = as_frame(splits)
        absent = [c for c in (unit, date) if c not in split_frame.columns]
        if absent:
            raise DataError([Problem("column not found in splits", column=c) for c in absent])
    freq = "Y" if covariate_time == "year" else "M"
    rows = _all_intervals(
        universe,
        window,
        frame[unit].to_numpy()[used],
        days.to_numpy()[used],
        ties,
        split_frame,
        unit,
        date,
        table is not None,
        freq,
    )
    missing_cov = 0
    if table is not None:
        rows = _attach_period_values(rows, window.origin_of, table, unit, cov_names, freq)
        rows = _merge_period_runs(rows, [*cov_names, "_found"])
        missing_cov = int((~rows["_found"].astype(bool)).sum())
        rows = rows.drop(columns="_found")
    split_names = (
        _splits_values(rows, split_frame, unit, date, window.origin_of)
        if split_frame is not None
        else []
    )
    rows = rows.drop(columns="_period_only")
    n_events = int(rows["event"].sum())
    rows = _apply_scheme(rows, scheme, max_enum)
    rows = rows.rename(columns={"_unit": unit})
    try:
        rows[unit] = rows[unit].astype(frame[unit].dtype)
    except (TypeError, ValueError):
        pass
    extra = [c for c in [*cov_names, *split_names] if c in rows.columns]
    lead = [c for c in rows.columns if c not in extra]
    rows = rows[lead + extra]
    rows.attrs = {
        "scheme": scheme,
        **_accounting(frame, unit, date, reason, used),
        "ties": tie_info,
        "window": {
            "start": str(start) if not isinstance(start, Mapping | pd.Series) else "per unit",
            "end": str(end) if not isinstance(end, Mapping | pd.Series) else "per unit",
            "origin": "start of observation" if origin is None else "per unit",
            "time_unit": "days",
            "units_from": source,
            "n_units": len(universe),
        },
        "covariates_missing": int(missing_cov),
    }
    if scheme == "wlw":
        rows.attrs["wlw_events_beyond_max_enum"] = n_events - int(rows["event"].sum())
    check_counting_process(
        rows,
        unit=unit,
        start="calendar_start" if scheme == "pwp-gap" else "start",
        stop="calendar_stop" if scheme == "pwp-gap" else "stop",
        event="event",
        strata="stratum" if scheme == "wlw" else None,
    )
    return rows


def _apply_scheme(rows: pd.DataFrame, scheme: str, max_enum: int | None) -> pd.DataFrame:
    if scheme == "ag":
        return rows
    if scheme in ("pwp-total", "pwp-gap"):
        out = rows.copy()
        stratum = out["enum"].to_numpy()
        if max_enum is not None:
            stratum = np.minimum(stratum, max_enum)
        out.insert(out.columns.get_loc("enum") + 1, "stratum", stratum)
        if scheme == "pwp-gap":
            # time of the previous event: the stop of the last interval with an event before
            ev_time = np.where(out["event"].to_numpy() > 0, out["stop"].to_numpy(), np.nan)
            prev = (
                pd.Series(ev_time)
                .groupby(out["_unit"].to_numpy())
                .shift(1)
                .groupby(out["_unit"].to_numpy())
                .ffill()
                .fillna(0.0)
                .to_numpy()
            )
            out.insert(out.columns.get_loc("stop") + 1, "calendar_start", out["start"].to_numpy())
            out.insert(
                out.columns.get_loc("calendar_start") + 1, "calendar_stop", out["stop"].to_numpy()
            )
            out["start"] = out["calendar_start"] - prev
            out["stop"] = out["calendar_stop"] - prev
        return out
    # WLW: event number k = 1..K; a row with enum e and m events is in the series of every
    # k >= e, with an event for e <= k <= e + m - 1.
    e = rows["enum"].to_numpy()
    m = rows["event"].to_numpy()
    total = rows.groupby("_unit")["event"].transform("sum").to_numpy()
    K = int(max_enum) if max_enum is not None else max(int(total.max()), 1)
    reps = np.maximum(K - e + 1, 0)
    if reps.sum() > WLW_MAX_ROWS:
        raise ValueError(
            f"WLW data for event numbers 1..{K} would have {int(reps.sum()):,} rows; "
            "pass max_enum= to model the first few event numbers only"
        )
    idx = np.repeat(np.arange(len(rows)), reps)
    k = e[idx] + (np.arange(len(idx)) - np.repeat(np.cumsum(reps) - reps, reps))
    out = rows.iloc[idx].reset_index(drop=True)
    out["event"] = ((k >= e[idx]) & (k <= e[idx] + m[idx] - 1)).astype(int)
    out["enum"] = k
    out.insert(out.columns.get_loc("enum") + 1, "stratum", k)
    return out.sort_values(["stratum", "_unit", "start"], kind="stable").reset_index(drop=True)
