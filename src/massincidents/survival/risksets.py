r"""Risk sets of counting-process survival data, as index arithmetic.

Rows are intervals :math:`(a_i, b_i]` in stratum :math:`s_i` with an event
indicator :math:`\delta_i` at :math:`b_i`. Row :math:`i` is *at risk* at an
event time :math:`t` of its stratum when :math:`a_i < t \le b_i` (with no start
time, when :math:`t \le b_i`). Sorting the distinct (stratum, event time) pairs
once, every row's at-risk event times form one contiguous range of positions
``lo[i] <= j < hi[i]`` in that sorted list. A sum over a risk set,
:math:`\sum_{i \in R(t_j)} v_i`, is then a difference array (add :math:`v_i` at
``lo[i]``, subtract it at ``hi[i]``) and one cumulative sum; and a sum over a
row's at-risk times, :math:`\sum_{j=lo_i}^{hi_i - 1} w_j`, is a difference of
two entries of a cumulative sum. Nothing is sorted again when the
coefficients change, so each Newton step costs a few passes over the rows.

Tied event times within a stratum are handled by *slots*: one per event, the
``k``-th of the ``d`` tied events at a time getting the Efron fraction
:math:`k/d` (``0`` for Breslow).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RiskSets:
    """Index structure of the risk sets (independent of the coefficients).

    Attributes
    ----------
    lo, hi
        For each row, its at-risk event times are positions ``lo <= j < hi``
        of ``times``.
    event
        Event indicator per row (bool).
    death_rows
        Rows with an event, ordered by event-time position.
    death_time
        Event-time position of each row in ``death_rows``.
    frac
        Efron fraction :math:`k/d` of each event's slot (zeros for Breslow).
    n_deaths
        Number of events at each event time.
    times
        The event times, ordered by stratum then time.
    time_stratum
        The stratum code of each event time.
    stratum
        The stratum code of each row.
    ties
        ``"efron"`` or ``"breslow"``.
    """

    lo: np.ndarray
    hi: np.ndarray
    event: np.ndarray
    death_rows: np.ndarray
    death_time: np.ndarray
    frac: np.ndarray
    n_deaths: np.ndarray
    times: np.ndarray
    time_stratum: np.ndarray
    stratum: np.ndarray
    ties: str

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.lo.shape[0])

    @property
    def n_times(self) -> int:
        """Number of distinct (stratum, event time) pairs."""
        return int(self.times.shape[0])

    @property
    def n_events(self) -> int:
        """Number of events."""
        return int(self.death_rows.shape[0])

    def at_risk_sum(self, values: np.ndarray) -> np.ndarray:
        r""":math:`\sum_{i \in R(t_j)} v_i` for every event time :math:`t_j`.

        ``values`` has shape (n,) or (n, k); the result (n_times,) or (n_times, k).
        """
        m = self.n_times + 1
        if values.ndim == 1:
            diff = np.bincount(self.lo, weights=values, minlength=m)
            diff -= np.bincount(self.hi, weights=values, minlength=m)
            return np.cumsum(diff)[:-1]
        out = np.empty((self.n_times, values.shape[1]))
        for col in range(values.shape[1]):
            out[:, col] = self.at_risk_sum(np.ascontiguousarray(values[:, col]))
        return out

    def death_sum(self, values: np.ndarray) -> np.ndarray:
        r""":math:`\sum_{i \in D(t_j)} v_i`: sums over the events at each event time."""
        v = values[self.death_rows]
        if v.ndim == 1:
            return np.bincount(self.death_time, weights=v, minlength=self.n_times)
        out = np.empty((self.n_times, v.shape[1]))
        for col in range(v.shape[1]):
            out[:, col] = np.bincount(self.death_time, weights=v[:, col], minlength=self.n_times)
        return out

    def over_row_times(self, per_time: np.ndarray) -> np.ndarray:
        r""":math:`\sum_{j=lo_i}^{hi_i-1} w_j` for every row: a sum over the times it is at risk.

        ``per_time`` has shape (n_times,) or (n_times, k).
        """
        if per_time.ndim == 1:
            cum = np.concatenate([[0.0], np.cumsum(per_time)])
        else:
            cum = np.vstack([np.zeros((1, per_time.shape[1])), np.cumsum(per_time, axis=0)])
        out = cum[self.hi]
        out -= cum[self.lo]
        return out

    def row_time(self) -> np.ndarray:
        """Event-time position of each row's own event (``-1`` for censored rows)."""
        out = np.full(self.n, -1, dtype=np.int64)
        out[self.death_rows] = self.death_time
        return out


def _dense_rank(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` by hashing: sorts only the distinct values.

    Counting-process data have far fewer distinct times than rows, so this is
    O(n) plus a sort of the distinct values, where ``np.unique`` sorts all rows.
    """
    codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=False)
    uniques = np.asarray(uniques)
    order = np.argsort(uniques, kind="stable")
    rank = np.empty(order.shape[0], dtype=np.int64)
    rank[order] = np.arange(order.shape[0], dtype=np.int64)
    return uniques[order], rank[codes]


def build_risk_sets(
    stop: np.ndarray,
    event: np.ndarray,
    *,
    start: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    ties: str = "efron",
) -> RiskSets:
    """Build the risk-set index of counting-process data.

    Parameters
    ----------
    stop
        End of each interval (the event or censoring time).
    event
        1 (or True) where the interval ends in an event.
    start
        Start of each interval (exclusive); ``None`` means every row is at risk
        from the beginning of time (plain right-censored data).
    strata
        Integer stratum codes; rows of different strata never share a risk set.
    ties
        ``"efron"`` or ``"breslow"``.

    Returns
    -------
    RiskSets

    Examples
    --------
    >>> import numpy as np
    >>> rs = build_risk_sets(np.array([1.0, 2, 2, 3]), np.array([1, 1, 0, 1]))
    >>> rs.times.tolist(), rs.at_risk_sum(np.ones(4)).tolist()
    ([1.0, 2.0, 3.0], [4.0, 3.0, 1.0])
    """
    if ties not in {"efron", "breslow"}:
        raise ValueError(f"ties is 'efron' or 'breslow', got {ties!r}")
    stop = np.asarray(stop, dtype=float)
    event = np.asarray(event).astype(bool)
    n = stop.shape[0]
    stratum = (
        np.zeros(n, dtype=np.int64) if strata is None else _dense_rank(np.asarray(strata))[1]
    )
    # Times as integer ranks, so (stratum, time) is one exact integer key.
    if start is None:
        uniq, stop_code = _dense_rank(stop)
        start_code = np.full(n, -1, dtype=np.int64)
    else:
        uniq, codes = _dense_rank(np.concatenate([np.asarray(start, float), stop]))
        start_code, stop_code = codes[:n], codes[n:]
    width = np.int64(uniq.shape[0] + 1)
    base = stratum * width
    stop_key = base + stop_code.ravel()
    start_key = base + start_code.ravel()

    event_keys = np.unique(stop_key[event])
    lo = np.searchsorted(event_keys, start_key, side="right").astype(np.int64)
    hi = np.searchsorted(event_keys, stop_key, side="right").astype(np.int64)

    rows = np.flatnonzero(event)
    death_time = hi[rows] - 1
    order = np.argsort(death_time, kind="stable")
    rows, death_time = rows[order], death_time[order]
    n_deaths = np.bincount(death_time, minlength=event_keys.shape[0])
    first = np.concatenate([[0], np.cumsum(n_deaths)[:-1]])
    k = np.arange(rows.shape[0]) - first[death_time]
    frac = k / n_deaths[death_time] if ties == "efron" else np.zeros(rows.shape[0])

    return RiskSets(
        lo=lo,
        hi=hi,
        event=event,
        death_rows=rows,
        death_time=death_time,
        frac=frac.astype(float),
        n_deaths=n_deaths,
        times=uniq[event_keys % width],
        time_stratum=event_keys // width,
        stratum=stratum,
        ties=ties,
    )
