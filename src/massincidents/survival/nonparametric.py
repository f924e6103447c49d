r"""Kaplan-Meier, Nelson-Aalen and Aalen-Johansen estimators, as R ``survfit``.

With distinct event times :math:`t_1 < t_2 < \dots`, :math:`d_j` events and
:math:`n_j = \#\{i: e_i < t_j \le T_i\}` units at risk at :math:`t_j`
(:math:`e_i` the entry time, 0 unless the data are left-truncated),

.. math::

    \hat S(t) = \prod_{t_j \le t}\Big(1 - \frac{d_j}{n_j}\Big), \qquad
    \hat H(t) = \sum_{t_j \le t} \frac{d_j}{n_j},

with Greenwood's :math:`\widehat{\operatorname{Var}}\,\log\hat S(t) = \sum_{t_j\le t}
d_j / (n_j(n_j - d_j))` and :math:`\widehat{\operatorname{Var}}\,\hat H(t) =
\sum_{t_j \le t} d_j / n_j^2` (R's defaults, ``ctype = 1``). With competing
event types :math:`k = 1, \dots, K` the Aalen-Johansen estimator of the
cumulative incidence is

.. math::

    \hat F_k(t) = \sum_{t_j \le t} \hat S(t_j-)\,\frac{d_{kj}}{n_j},

with the infinitesimal-jackknife standard errors R ``survfit`` reports for
multi-state curves. Ties: at a time with both events and censorings, the
censored units count as at risk for the events (they leave just after), as in R.

Confidence intervals follow ``survival:::survfit_confint``: ``"log"`` (R's
default) :math:`\hat S\exp(\pm z\,\mathrm{se}_{\log})`, upper limit capped at 1;
``"log-log"`` :math:`\hat S^{\exp(\pm z\,\mathrm{se}_{\log}/\log \hat S)}`
(undefined where :math:`\hat S` is 0 or 1); ``"plain"`` :math:`\hat S \pm z\,
\mathrm{se}`, truncated to [0, 1].

Other Python libraries. lifelines' ``KaplanMeierFitter`` gives the same
curve, but its default band is the log-log one (R's and ours is ``"log"``; with
``conf_type="log-log"`` the limits agree to 1e-15). lifelines'
``NelsonAalenFitter`` smooths tied events by default (``nelson_aalen_smoothing``:
:math:`\sum_{i<d_j} 1/(n_j - i)` instead of :math:`d_j/n_j`, 0.3 % higher on
``lung``) and uses another variance, so its bands differ by about 2 %; with the
smoothing off the estimate is the same. statsmodels' ``SurvfuncRight`` has the
same Greenwood standard errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from massincidents.core.design import as_frame
from massincidents.errors import DataError, Problem

ConfType = Literal["log", "log-log", "plain"]

EVENT_FREE = "event-free"


def label(value: object) -> str:
    """``repr`` of a cell value for messages, numpy scalars as plain Python values."""
    return repr(value.item() if isinstance(value, np.generic) else value)


# -- input ---------------------------------------------------------------------------------
def _columns(frame: pd.DataFrame, names: Sequence[str | None]) -> None:
    missing = [n for n in names if n is not None and n not in frame.columns]
    if missing:
        raise DataError([Problem("column not found in the data", column=n) for n in missing])


def survival_sample(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    entry: str | None = None,
    by: str | Sequence[str] | None = None,
    multi: bool = False,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows usable for a survival curve, checked, and the rows left out by reason.

    Parameters
    ----------
    data
        One row per unit (or per at-risk interval with ``entry``).
    duration, event, entry
        Column names: exit time, event indicator (0/1; several codes when
        ``multi``), entry time (left truncation).
    by
        Grouping column(s).
    multi
        Accept several event codes (competing events).

    Returns
    -------
    frame, left_out
        Columns ``_time``, ``_event``, ``_entry``, ``_group`` and the input
        position ``_row``; rows with a missing value are left out and counted.

    Raises
    ------
    DataError
        Negative durations or entries, an entry not before the exit (no time
        at risk), or an event code that is not 0/1, each with its row.
    """
    frame = as_frame(data)
    groups = [by] if isinstance(by, str) else list(by or [])
    _columns(frame, [duration, event, entry, *groups])
    left_out: dict[str, int] = {}
    keep = np.ones(len(frame), dtype=bool)
    for column in [duration, event, entry, *groups]:
        if column is None:
            continue
        missing = keep & frame[column].isna().to_numpy()
        if missing.any():
            left_out[f"missing value in {column}"] = int(missing.sum())
            keep &= ~missing
    rows = frame.iloc[np.flatnonzero(keep)]
    position = np.flatnonzero(keep)
    time = pd.to_numeric(rows[duration], errors="coerce").to_numpy(dtype=float)
    start = (
        pd.to_numeric(rows[entry], errors="coerce").to_numpy(dtype=float)
        if entry is not None
        else np.zeros(len(rows))
    )
    problems: list[Problem] = []
    for i in np.flatnonzero(~np.isfinite(time)):
        problems.append(
            Problem("duration is not a finite number", row=int(position[i]), column=duration)
        )
    for i in np.flatnonzero(np.isfinite(time) & (time < 0)):
        problems.append(
            Problem(f"negative duration {time[i]:g}", row=int(position[i]), column=duration)
        )
    if entry is not None:
        for i in np.flatnonzero(~np.isfinite(start) | (start < 0)):
            problems.append(
                Problem("entry must be a non-negative number", row=int(position[i]), column=entry)
            )
        bad = np.isfinite(start) & np.isfinite(time) & (start >= time) & (time >= 0)
        for i in np.flatnonzero(bad):
            problems.append(
                Problem(
                    f"no time at risk: entry {start[i]:g} is not before the exit {time[i]:g}",
                    row=int(position[i]),
                    column=entry,
                )
            )
    codes = rows[event]
    if codes.dtype == bool:
        codes = codes.astype(int)
    if not multi:
        numeric = pd.to_numeric(codes, errors="coerce")
        bad_event = ~numeric.isin([0, 1]).to_numpy()
        if bad_event.any():
            values = sorted({str(v) for v in codes[bad_event]})
            hint = (
                " (R's 1 = censored, 2 = event coding: use status - 1)"
                if set(values) <= {"2", "2.0"}
                else "; for several event types use mi.cumulative_incidence"
            )
            for i in np.flatnonzero(bad_event)[:50]:
                problems.append(
                    Problem(
                        f"event must be 0 or 1, got {label(codes.iloc[i])}{hint}",
                        row=int(position[i]),
                        column=event,
                    )
                )
        codes = numeric
    if problems:
        raise DataError(problems)
    out = pd.DataFrame(
        {
            "_time": time,
            "_event": codes.to_numpy(),
            "_entry": start,
            "_row": position,
        }
    )
    if groups:
        out["_group"] = (
            rows[groups[0]].to_numpy()
            if len(groups) == 1
            else pd.Series(list(zip(*(rows[g] for g in groups), strict=True))).to_numpy()
        )
    else:
        out["_group"] = "all"
    if out.empty:
        raise DataError([Problem("no row has the duration, event and grouping columns")])
    return out, left_out


def _group_order(values: np.ndarray) -> list[object]:
    try:
        return sorted(pd.unique(values))
    except TypeError:
        return list(pd.unique(values))


# -- risk sets -----------------------------------------------------------------------------
def risk_table(time: np.ndarray, event: np.ndarray, entry: np.ndarray) -> pd.DataFrame:
    """Numbers at risk, with events and censorings, at each distinct exit time.

    Parameters
    ----------
    time, event, entry
        Exit times, event indicators (0/1; weights are not supported), entry
        times (0 without left truncation).

    Returns
    -------
    pandas.DataFrame
        ``time``, ``n_risk`` (:math:`\\#\\{e_i < t \\le T_i\\}`), ``n_event``,
        ``n_censor``.

    Examples
    --------
    >>> import numpy as np
    >>> risk_table(np.array([1.0, 2, 2, 3]), np.array([1, 1, 0, 1]), np.zeros(4))
       time  n_risk  n_event  n_censor
    0   1.0       4        1         0
    1   2.0       3        1         1
    2   3.0       1        1         0
    """
    times, inverse = np.unique(time, return_inverse=True)
    d = np.bincount(inverse, weights=(event != 0).astype(float), minlength=len(times))
    c = np.bincount(inverse, minlength=len(times)) - d
    sorted_time = np.sort(time)
    sorted_entry = np.sort(entry)
    n = len(time)
    n_exit_ge = n - np.searchsorted(sorted_time, times, side="left")
    n_entry_ge = n - np.searchsorted(sorted_entry, times, side="left")
    return pd.DataFrame(
        {
            "time": times,
            "n_risk": (n_exit_ge - n_entry_ge).astype(int),
            "n_event": d.astype(int),
            "n_censor": c.astype(int),
        }
    )


def confidence_band(
    p: np.ndarray, se_log: np.ndarray, conf_type: ConfType, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence limits of a probability, as ``survival:::survfit_confint``.

    Parameters
    ----------
    p
        Estimates (survival or state probabilities).
    se_log
        Standard errors of :math:`\\log p` (``survfit``'s ``std.err`` for
        Kaplan-Meier; the standard error of :math:`p` divided by :math:`p` for
        Aalen-Johansen).
    conf_type
        ``"log"``, ``"log-log"`` or ``"plain"``.
    level
        Coverage, e.g. 0.95.

    Returns
    -------
    lower, upper
        NaN where the transformation is undefined (``"log"`` at :math:`p = 0`,
        ``"log-log"`` at 0 and 1).

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi = confidence_band(np.array([0.8]), np.array([0.1]), "log", 0.95)
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.6576, 0.9732)
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = np.asarray(p, dtype=float)
    se_log = np.asarray(se_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            half = z * se_log * p
            return np.maximum(p - half, 0.0), np.minimum(p + half, 1.0)
        if conf_type == "log":
            xx = np.where(p == 0, np.nan, p)
            return xx * np.exp(-z * se_log), np.minimum(xx * np.exp(z * se_log), 1.0)
        if conf_type == "log-log":
            xx = np.where((p == 0) | (p == 1), np.nan, p)
            half = z * se_log / np.log(xx)
            loglog = np.log(-np.log(xx))
            return np.exp(-np.exp(loglog - half)), np.exp(-np.exp(loglog + half))
    raise ValueError(f"conf_type is 'log', 'log-log' or 'plain', got {conf_type!r}")


def _curve_one(sample: pd.DataFrame, conf_type: ConfType, level: float) -> pd.DataFrame:
    table = risk_table(
        sample["_time"].to_numpy(), sample["_event"].to_numpy(), sample["_entry"].to_numpy()
    )
    n = table["n_risk"].to_numpy(dtype=float)
    d = table["n_event"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n > 0, 1.0 - d / n, 1.0))
        # Greenwood; R adds nothing once n == d (the curve is 0 and its log undefined).
        green = np.cumsum(np.where((n > d) & (n > 0), d / (n * (n - d)), 0.0))
        cumhaz = np.cumsum(np.where(n > 0, d / n, 0.0))
        var_h = np.cumsum(np.where(n > 0, d / n**2, 0.0))
    se_log = np.sqrt(green)
    lower, upper = confidence_band(surv, se_log, conf_type, level)
    table["survival"] = surv
    table["std_err"] = surv * se_log
    table["std_err_log"] = se_log
    table["conf_low"] = lower
    table["conf_high"] = upper
    table["cumhaz"] = cumhaz
    table["cumhaz_se"] = np.sqrt(var_h)
    return table


def _by_name(by: str | Sequence[str] | None) -> str | None:
    if by is None:
        return None
    return by if isinstance(by, str) else "group"


def _by_group(sample: pd.DataFrame, by: str | Sequence[str] | None, one: object) -> pd.DataFrame:
    pieces = []
    for label in _group_order(sample["_group"].to_numpy()):
        part = sample[sample["_group"] == label] if by is not None else sample
        curve = one(part)  # type: ignore[operator]
        if by is not None:
            curve.insert(0, _by_name(by), [label] * len(curve))
        pieces.append(curve)
    return pd.concat(pieces, ignore_index=True)


def _curves(
    sample: pd.DataFrame,
    by: str | Sequence[str] | None,
    one: object,
    *,
    left_out: dict[str, int],
    conf_type: ConfType,
    level: float,
    **attrs: object,
) -> pd.DataFrame:
    """``one`` applied to each group of ``by``, the call's settings recorded in ``attrs``."""
    out = _by_group(sample, by, one)
    out.attrs.update(
        {"conf_type": conf_type, "level": level, "left_out": left_out, **attrs, "by": _by_name(by)}
    )
    return out


def kaplan_meier(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    entry: str | None = None,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    conf_type: ConfType = "log",
) -> pd.DataFrame:
    r"""Kaplan-Meier survival curves with Greenwood standard errors, as R ``survfit``.

    .. math::

        \hat S(t) = \prod_{t_j \le t}\Big(1 - \frac{d_j}{n_j}\Big), \qquad
        \widehat{\operatorname{Var}}\,\log \hat S(t) = \sum_{t_j \le t}
        \frac{d_j}{n_j (n_j - d_j)},

    :math:`n_j` the units with entry :math:`< t_j \le` exit.

    Parameters
    ----------
    data
        One row per unit, or per at-risk interval ``(entry, duration]``
        (counting-process rows, left truncation).
    duration
        Exit time (event or censoring).
    event
        1 if the exit is an event, 0 if censored (booleans accepted).
    entry
        Entry time for left-truncated data (``Surv(entry, duration, event)``).
    by
        Column(s) defining groups; one curve each (R ``~ by``).
    level
        Confidence level (R ``conf.int``).
    conf_type
        ``"log"`` (R's default), ``"log-log"`` or ``"plain"`` (see the module
        docstring for the formulas).

    Returns
    -------
    pandas.DataFrame
        One row per group and distinct exit time (event or censoring, as the
        ``survfit`` object): [``by``], ``time``, ``n_risk``, ``n_event``,
        ``n_censor``, ``survival``, ``std_err`` (of :math:`\hat S`, as
        ``summary.survfit``), ``std_err_log`` (of :math:`\log \hat S`, the
        ``std.err`` of the ``survfit`` object), ``conf_low``, ``conf_high``,
        ``cumhaz`` (Nelson-Aalen) and ``cumhaz_se``. ``attrs`` records
        ``conf_type``, ``level`` and the rows left out by reason (``left_out``).

    Raises
    ------
    DataError
        Missing columns, negative durations, entry not before exit, event
        codes other than 0/1 (all listed with their rows).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [1, 2, 2, 3, 4], "d": [1, 1, 0, 1, 0]})
    >>> km = kaplan_meier(df, duration="t", event="d")
    >>> print(km[["time", "n_risk", "n_event", "survival"]].to_string(index=False))
     time  n_risk  n_event  survival
      1.0       5        1       0.8
      2.0       4        1       0.6
      3.0       2        1       0.3
      4.0       1        0       0.3
    """
    sample, left_out = survival_sample(data, duration=duration, event=event, entry=entry, by=by)
    return _curves(
        sample,
        by,
        lambda part: _curve_one(part, conf_type, level),
        left_out=left_out,
        conf_type=conf_type,
        level=level,
    )


def nelson_aalen(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    entry: str | None = None,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    conf_type: Literal["log", "plain"] = "log",
) -> pd.DataFrame:
    r"""Nelson-Aalen cumulative hazard with pointwise confidence bands.

    .. math::

        \hat H(t) = \sum_{t_j \le t} \frac{d_j}{n_j}, \qquad
        \widehat{\operatorname{Var}}\,\hat H(t) = \sum_{t_j \le t} \frac{d_j}{n_j^2}

    (R ``survfit``'s ``cumhaz`` and ``std.chaz`` with ``ctype = 1``).

    Parameters
    ----------
    data, duration, event, entry, by, level
        As :func:`kaplan_meier`.
    conf_type
        ``"log"`` (default): :math:`\hat H\exp(\pm z\,\mathrm{se}/\hat H)`, which
        keeps the band positive; it is the ``"log-log"`` band of
        :math:`e^{-\hat H}` mapped back by :math:`-\log`, i.e. ``-log`` of the
        limits of ``survfit(..., stype = 2, ctype = 1, conf.type = "log-log")``.
        ``"plain"``: :math:`\hat H \pm z\,\mathrm{se}`, lower limit at least 0
        (the ``"log"`` band of :math:`e^{-\hat H}` mapped back). R's survfit
        itself reports no band for :math:`H`.

    Returns
    -------
    pandas.DataFrame
        [``by``], ``time``, ``n_risk``, ``n_event``, ``n_censor``, ``cumhaz``,
        ``std_err``, ``conf_low``, ``conf_high`` (NaN for the ``"log"`` band
        while :math:`\hat H = 0`).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [1, 2, 2, 3], "d": [1, 1, 0, 1]})
    >>> nelson_aalen(df, duration="t", event="d")["cumhaz"].round(4).tolist()
    [0.25, 0.5833, 1.5833]
    """
    if conf_type not in {"log", "plain"}:
        raise ValueError(f"conf_type is 'log' or 'plain', got {conf_type!r}")
    sample, left_out = survival_sample(data, duration=duration, event=event, entry=entry, by=by)
    z = float(stats.norm.ppf(0.5 + level / 2))

    def one(part: pd.DataFrame) -> pd.DataFrame:
        curve = _curve_one(part, "log", level)
        h, se = curve["cumhaz"].to_numpy(), curve["cumhaz_se"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            if conf_type == "log":
                hh = np.where(h > 0, h, np.nan)
                low, high = hh * np.exp(-z * se / hh), hh * np.exp(z * se / hh)
            else:
                low, high = np.maximum(h - z * se, 0.0), h + z * se
        return pd.DataFrame(
            {
                "time": curve["time"],
                "n_risk": curve["n_risk"],
                "n_event": curve["n_event"],
                "n_censor": curve["n_censor"],
                "cumhaz": h,
                "std_err": se,
                "conf_low": low,
                "conf_high": high,
            }
        )

    return _curves(sample, by, one, left_out=left_out, conf_type=conf_type, level=level)


# -- competing events ----------------------------------------------------------------------
def _aalen_johansen_one(
    sample: pd.DataFrame, causes: list[object], conf_type: ConfType, level: float
) -> pd.DataFrame:
    time = sample["_time"].to_numpy()
    code = sample["_event"].to_numpy()
    entry = sample["_entry"].to_numpy()
    is_event = np.isin(code, np.asarray(causes))
    table = risk_table(time, is_event.astype(int), entry)
    times = table["time"].to_numpy()
    n_risk = table["n_risk"].to_numpy(dtype=float)
    m, n_units, K = len(times), len(time), len(causes)
    cause_index = np.full(n_units, -1)
    for k, c in enumerate(causes):
        cause_index[code == c] = k
    d_k = np.zeros((m, K))
    exit_pos = np.searchsorted(times, time)
    np.add.at(d_k, (exit_pos[is_event], cause_index[is_event]), 1.0)

    surv = 1.0
    cif = np.zeros(K)
    u_s = np.zeros(n_units)  # influence of unit i on S(t) (infinitesimal jackknife)
    u_f = np.zeros((n_units, K))
    p_out = np.zeros((m, K + 1))
    se_out = np.zeros((m, K + 1))
    for j in range(m):
        n = n_risk[j]
        if n <= 0:
            p_out[j] = [surv, *cif]
            se_out[j] = se_out[j - 1] if j else 0.0
            continue
        at_risk = (entry < times[j]) & (time >= times[j])
        lam_k = d_k[j] / n
        lam = lam_k.sum()
        dn = np.zeros((n_units, K))
        hit = at_risk & (exit_pos == j) & is_event
        dn[hit, cause_index[hit]] = 1.0
        dlam_k = (dn - at_risk[:, None] * lam_k[None, :]) / n
        dlam = dlam_k.sum(axis=1)
        u_f = u_f + u_s[:, None] * lam_k[None, :] + surv * dlam_k
        cif = cif + surv * lam_k
        u_s = u_s * (1.0 - lam) - surv * dlam
        surv = surv * (1.0 - lam)
        p_out[j] = [surv, *cif]
        se_out[j] = np.sqrt(np.concatenate([[u_s @ u_s], (u_f**2).sum(axis=0)]))
    states = [EVENT_FREE, *causes]
    pieces = []
    for s, state in enumerate(states):
        p, se = p_out[:, s], se_out[:, s]
        with np.errstate(divide="ignore", invalid="ignore"):
            se_log = np.where(se == 0, 0.0, se / p)
        lower, upper = confidence_band(p, se_log, conf_type, level)
        pieces.append(
            pd.DataFrame(
                {
                    "time": times,
                    "state": [state] * m,
                    "n_risk": table["n_risk"].to_numpy(),
                    "n_event": (
                        table["n_event"].to_numpy() if s == 0 else d_k[:, s - 1].astype(int)
                    ),
                    "probability": p,
                    "std_err": se,
                    "conf_low": lower,
                    "conf_high": upper,
                }
            )
        )
    return pd.concat(pieces, ignore_index=True)


def cumulative_incidence(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    entry: str | None = None,
    by: str | Sequence[str] | None = None,
    censored: object = 0,
    level: float = 0.95,
    conf_type: ConfType = "log",
) -> pd.DataFrame:
    r"""Cumulative incidence of competing event types (Aalen-Johansen), as R ``survfit``.

    .. math::

        \hat F_k(t) = \sum_{t_j \le t} \hat S(t_j-)\,\frac{d_{kj}}{n_j}, \qquad
        \hat S(t) = \prod_{t_j \le t}\Big(1 - \frac{\sum_k d_{kj}}{n_j}\Big),

    the probability of having had an event of type :math:`k` first by
    :math:`t` (not :math:`1 - ` a Kaplan-Meier curve that censors the other
    types, which overstates it). Standard errors are the infinitesimal
    jackknife :math:`\sqrt{\sum_i U_i(t)^2}`, :math:`U_i` the derivative of
    the estimate with respect to unit :math:`i`'s case weight, as R
    ``survfit(Surv(time, factor_event) ~ ...)`` reports for multi-state
    curves; the cost is proportional to units x distinct times.

    Parameters
    ----------
    data
        One row per unit (or at-risk interval with ``entry``).
    duration
        Time of the first event, or of censoring.
    event
        Event type; ``censored`` marks censoring, every other value is a type.
    entry
        Entry time (left truncation).
    by
        Grouping column(s).
    censored
        The value of ``event`` that means censored (default 0).
    level, conf_type
        As :func:`kaplan_meier`; the limits use the standard error of
        :math:`\log \hat F_k` = se / :math:`\hat F_k` (``survfit``'s ``"log"``
        default, capped at 1).

    Returns
    -------
    pandas.DataFrame
        Long format, one row per group, distinct time and state: [``by``],
        ``time``, ``state`` (``"event-free"`` or the event type), ``n_risk``,
        ``n_event`` (of that type; all types for ``"event-free"``),
        ``probability``, ``std_err``, ``conf_low``, ``conf_high``. The
        probabilities of the states add up to 1 at every time.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4], "type": [1, 2, 0, 1]})
    >>> ci = cumulative_incidence(df, duration="t", event="type")
    >>> ci[ci["time"] == 4].set_index("state")["probability"].round(3).to_dict()
    {'event-free': 0.0, 1: 0.75, 2: 0.25}
    """
    sample, left_out = survival_sample(
        data, duration=duration, event=event, entry=entry, by=by, multi=True
    )
    codes = sample["_event"].to_numpy()
    causes = [c for c in _group_order(codes) if c != censored]
    if not causes:
        raise DataError([Problem("no event: every row is censored", column=event)])
    return _curves(
        sample,
        by,
        lambda part: _aalen_johansen_one(part, causes, conf_type, level),
        left_out=left_out,
        conf_type=conf_type,
        level=level,
        states=[EVENT_FREE, *causes],
    )
