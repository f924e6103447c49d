r"""Leader spells as survival data: time from taking office to the first large incident.

A spell of leader :math:`\ell` in province :math:`p` runs from the first month
of the tenure to the last (``leader_spells``: ``start``, ``end``, monthly).
Observation of incidents covers :math:`[D_0, D_1]` (the events data, e.g.
CLB 2011-2017). The spell is at risk from :math:`\max(\text{start}, D_0)` to
:math:`\min(\text{end of the last month}, D_1)`; its time scale is time since
taking office, so a spell that began before :math:`D_0` is *left-truncated*
at :math:`e = D_0 - \text{start}` and enters the risk set only then. The
outcome is the first incident of at least a given size in the province
during the observed part of the spell; otherwise the spell is censored at
leaving office or at :math:`D_1`.

Left truncation assumes that the hazard after :math:`D_0` does not depend
on whether an unobserved incident happened earlier in the tenure: for a spell
that began before :math:`D_0` the first *observed* incident need not be the
first of the tenure. ``left_truncated="drop"`` keeps only spells that begin
inside the events data (fewer spells, no such assumption).

Dates of tenures are months: an incident in the hand-over month counts for
both the outgoing and the incoming leader (each was in office during that
month), and ``time_unit="day"`` measures from the first of the start month.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from massincidents.core.design import as_frame
from massincidents.datasets.simulate import SIZE_BANDS
from massincidents.errors import DataError, Problem
from massincidents.survival.nonparametric import label

LEFT_OFFICE = "left office"
DATA_END = "end of the events data"
EVENT = "event"


def _month_index(d: pd.Series | pd.Timestamp) -> np.ndarray | int:
    if isinstance(d, pd.Timestamp):
        return d.year * 12 + d.month - 1
    return (d.dt.year * 12 + d.dt.month - 1).to_numpy(dtype=float)


def leader_spells_to_first_event(
    spells: pd.DataFrame,
    events: pd.DataFrame,
    *,
    role: str | None = "secretary",
    size_at_least: str | None = "1000-10000",
    unit: str = "province",
    date: str = "date",
    size: str = "size_band",
    size_order: tuple[str, ...] = SIZE_BANDS,
    events_start: object = None,
    events_end: object = None,
    time_unit: Literal["day", "month"] = "day",
    left_truncated: Literal["keep", "drop"] = "keep",
) -> pd.DataFrame:
    r"""Time from taking office to the first incident of a given size, one row per spell.

    .. math::

        T_\ell = \text{date of the first incident of size} \ge s
            \text{ in the province after taking office} - \text{start}_\ell,

    observed on :math:`(e_\ell, c_\ell]`, :math:`e_\ell` the left-truncation
    time and :math:`c_\ell` the censoring time (leaving office or the end of
    the events data), as described in the module docstring.

    Parameters
    ----------
    spells
        ``mi.datasets.load("leader_spells")`` or the same layout: ``unit``,
        ``role``, ``start`` and ``end`` (first day of the first and of the
        last month in office; ``end`` missing while still in office), and
        optionally ``leader_id``, ``name``.
    events
        Dated incidents with ``unit``, ``date`` and ``size`` columns, e.g.
        ``mi.datasets.load("clb_strikes")``.
    role
        Keep spells of this role (``"secretary"`` or ``"governor"``); ``None``
        keeps all.
    size_at_least
        Smallest size band that counts (``"1000-10000"`` = 1,000 participants
        or more); ``None`` counts every incident, including those of unknown
        size. Incidents of unknown size never count otherwise (the number in
        the window is reported).
    unit, date, size
        Column names in ``events`` (``unit`` also in ``spells``).
    size_order
        Size bands from smallest to largest (CLB's by default).
    events_start, events_end
        First and last day covered by the events data. Default: 1 January of
        the first event's year and 31 December of the last event's year.
    time_unit
        ``"day"``: days since the first day of the start month (an incident
        on day :math:`d` at :math:`d - \text{start} + 1`, leaving office at the
        end of the last month). ``"month"``: whole months, 1 = the first
        month in office (for :func:`~massincidents.discrete_hazard` with
        ``layout="spells"``).
    left_truncated
        ``"keep"`` (default) or ``"drop"`` spells that began before
        ``events_start`` (reported).

    Returns
    -------
    pandas.DataFrame
        One row per spell used: ``spell_id`` (unit, role and start month;
        ``leader_id`` is not a spell identifier, leaders move between
        provinces), ``unit``, ``role``, ``leader_id``/``name`` when
        present, ``spell_start``, ``spell_end`` (last month; missing if still
        in office), ``entry`` (left-truncation time, 0 if none), ``duration``
        (time of the event or of censoring), ``event`` (0/1), ``event_date``,
        ``left_truncated`` (bool), ``exit_reason`` (``"event"``, ``"left
        office"``, ``"end of the events data"``). ``attrs``: ``left_out``
        (spells by reason), ``events_window``, ``events_unknown_size``,
        ``time_unit``.

    Raises
    ------
    DataError
        Missing columns, spells whose end is before their start, an unknown
        size band: with the unit and row.

    Examples
    --------
    >>> import pandas as pd
    >>> spells = pd.DataFrame({"province": [1, 1], "role": "secretary",
    ...     "start": pd.to_datetime(["2009-03-01", "2012-05-01"]),
    ...     "end": pd.to_datetime(["2012-05-01", None])})
    >>> events = pd.DataFrame({"province": [1, 1], "size_band": ["1000-10000", "100-1000"],
    ...     "date": pd.to_datetime(["2013-02-10", "2011-06-01"])})
    >>> out = leader_spells_to_first_event(spells, events, events_start="2011-01-01",
    ...                                    events_end="2017-12-31", time_unit="month")
    >>> print(out[["entry", "duration", "event", "exit_reason"]].to_string(index=False))
     entry  duration  event exit_reason
        22        39      0 left office
         0        10      1       event
    """
    frame = as_frame(spells).reset_index(drop=True)
    ev = as_frame(events).reset_index(drop=True)
    _check_columns(
        frame, ev, unit=unit, date=date, size=size, role=role, size_at_least=size_at_least
    )
    if time_unit not in ("day", "month"):
        raise ValueError(f"time_unit is 'day' or 'month', got {time_unit!r}")
    ev_dates = pd.to_datetime(ev[date], errors="coerce").dt.normalize()
    if ev_dates.isna().all():
        raise DataError([Problem("no readable event date", column=date)])
    d0, d1 = _events_window(ev_dates, events_start, events_end)
    counts, unknown_size = _counting_events(
        ev, ev_dates, d0, d1, unit=unit, size=size, size_at_least=size_at_least, order=size_order
    )
    by_unit = _event_dates_by_unit(ev.loc[counts, unit], ev_dates[counts])
    start, end = _spell_dates(frame, unit)

    left_out: dict[str, int] = {}
    records = []
    for i in range(len(frame)):
        row = frame.iloc[i]
        if role is not None and row["role"] != role:
            continue
        if pd.isna(start.iloc[i]) or pd.isna(row[unit]):
            reason = "spell start or unit missing"
        else:
            outcome = _first_event_of_spell(
                start.iloc[i],
                end.iloc[i],
                by_unit.get(row[unit], np.array([], dtype="datetime64[ns]")),
                d0,
                d1,
                time_unit=time_unit,
                left_truncated=left_truncated,
            )
            if isinstance(outcome, dict):
                records.append(_spell_record(row, frame.columns, unit, outcome))
                continue
            reason = outcome
        left_out[reason] = left_out.get(reason, 0) + 1
    out = pd.DataFrame(records)
    if out.empty:
        raise DataError([Problem("no spell overlaps the events data")])
    if time_unit == "month":
        out["entry"] = out["entry"].astype(int)
        out["duration"] = out["duration"].astype(int)
    out.attrs = {
        "left_out": left_out,
        "events_window": [str(d0.date()), str(d1.date())],
        "events_unknown_size": unknown_size,
        "size_at_least": size_at_least,
        "time_unit": time_unit,
    }
    return out


def _check_columns(
    frame: pd.DataFrame,
    ev: pd.DataFrame,
    *,
    unit: str,
    date: str,
    size: str,
    role: str | None,
    size_at_least: str | None,
) -> None:
    """Refuse spells or events that lack a column the call names, listing all of them."""
    absent = [c for c in (unit, "start", "end", *(["role"] if role else [])) if c not in frame]
    absent_ev = [c for c in (unit, date, *([size] if size_at_least else [])) if c not in ev]
    if absent or absent_ev:
        raise DataError(
            [Problem("column not found in the spells", column=c) for c in absent]
            + [Problem("column not found in the events", column=c) for c in absent_ev]
        )


def _events_window(
    ev_dates: pd.Series, events_start: object, events_end: object
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day the events data cover: as given, else the whole first and last years."""
    d0 = (
        pd.Timestamp(events_start).normalize()
        if events_start is not None
        else pd.Timestamp(year=int(ev_dates.min().year), month=1, day=1)
    )
    d1 = (
        pd.Timestamp(events_end).normalize()
        if events_end is not None
        else pd.Timestamp(year=int(ev_dates.max().year), month=12, day=31)
    )
    return d0, d1


def _counting_events(
    ev: pd.DataFrame,
    ev_dates: pd.Series,
    d0: pd.Timestamp,
    d1: pd.Timestamp,
    *,
    unit: str,
    size: str,
    size_at_least: str | None,
    order: tuple[str, ...],
) -> tuple[np.ndarray, int]:
    """Which events count (in the window, with a unit, large enough); how many have no size."""
    in_window = ev_dates.between(d0, d1) & ev[unit].notna().to_numpy()
    if size_at_least is None:
        return in_window.copy(), 0
    if size_at_least not in order:
        raise DataError(
            [Problem(f"unknown size band {size_at_least!r}; bands are {list(order)}")]
        )
    rank = ev[size].map({b: i for i, b in enumerate(order)})
    bad = ev[size].notna() & rank.isna()
    if bad.any():
        raise DataError(
            [
                Problem(
                    f"size band {label(ev[size].iloc[i])} is not one of {list(order)}",
                    row=int(i),
                    column=size,
                )
                for i in np.flatnonzero(bad.to_numpy())
            ]
        )
    unknown_size = int((in_window & ev[size].isna()).sum())
    return in_window & (rank >= order.index(size_at_least)).to_numpy(), unknown_size


def _event_dates_by_unit(units: pd.Series, dates: pd.Series) -> dict[object, np.ndarray]:
    """The dates of the counting events of each unit, in order."""
    hits = pd.DataFrame({"u": units.to_numpy(), "d": dates.to_numpy()})
    hits = hits.sort_values("d", kind="stable")
    return {u: g["d"].to_numpy() for u, g in hits.groupby("u", sort=False)}


def _spell_dates(frame: pd.DataFrame, unit: str) -> tuple[pd.Series, pd.Series]:
    """Start and end of every spell as dates; a spell that ends before it starts is refused."""
    start = pd.to_datetime(frame["start"], errors="coerce")
    end = pd.to_datetime(frame["end"], errors="coerce")
    problems = []
    for i in np.flatnonzero((end < start).to_numpy()).tolist():
        problems.append(
            Problem(
                f"unit {label(frame[unit].iloc[i])}: spell ends ({end.iloc[i].date()}) "
                f"before it starts ({start.iloc[i].date()})",
                row=int(i),
                column="end",
            )
        )
    if problems:
        raise DataError(problems)
    return start, end


def _first_event_of_spell(
    s: pd.Timestamp,
    e: pd.Timestamp,
    dates: np.ndarray,
    d0: pd.Timestamp,
    d1: pd.Timestamp,
    *,
    time_unit: str,
    left_truncated: str,
) -> dict[str, object] | str:
    """Entry, duration and outcome of one spell starting ``s`` and ending ``e`` (its last month).

    ``dates`` are the unit's counting events in order. Returns the reason the
    spell is left out instead when it does not overlap the events data or is a
    left-truncated spell to drop.
    """
    # the tenure covers the whole last month
    leave = (e + pd.offsets.MonthBegin(1)) if pd.notna(e) else None
    obs_from = max(s, d0)
    after_data = d1 + pd.Timedelta(1, unit="D")
    obs_to = min(leave, after_data) if leave is not None else after_data
    if leave is not None and leave <= d0:
        return "spell ended before the events data begin"
    if s > d1:
        return "spell started after the events data end"
    truncated = s < d0
    if truncated and left_truncated == "drop":
        return "spell began before the events data (left_truncated='drop')"
    dates = dates[(dates >= np.datetime64(obs_from)) & (dates < np.datetime64(obs_to))]
    if len(dates):
        stop_day, event, reason = pd.Timestamp(dates[0]), 1, EVENT
    else:
        stop_day, event = None, 0
        reason = LEFT_OFFICE if leave is not None and leave <= after_data else DATA_END
    if time_unit == "day":
        entry = float((obs_from - s).days)
        duration = float((stop_day - s).days + 1) if event else float((obs_to - s).days)
    else:
        m0 = _month_index(s)
        entry = float(_month_index(obs_from) - m0)
        if event:
            duration = float(_month_index(stop_day) - m0 + 1)
        else:
            duration = float(_month_index(obs_to - pd.Timedelta(1, unit="D")) - m0 + 1)
    return {
        "spell_start": s,
        "spell_end": e,
        "entry": entry,
        "duration": duration,
        "event": event,
        "event_date": stop_day if event else pd.NaT,
        "left_truncated": bool(truncated),
        "exit_reason": reason,
    }


def _spell_record(
    row: pd.Series, columns: pd.Index, unit: str, outcome: dict[str, object]
) -> dict[str, object]:
    """One output row: the spell's identifiers, then its timing and outcome."""
    s = outcome["spell_start"]
    record = {
        "spell_id": f"{row[unit]}-{row.get('role', '')}-{s:%Y-%m}",
        unit: row[unit],
        "role": row.get("role"),
    }
    for column in ("leader_id", "name"):
        if column in columns:
            record[column] = row[column]
    record.update(outcome)
    return record
