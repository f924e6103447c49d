"""Plots of survival estimates: curves by group, cumulative hazards and incidence, residuals.

Each function takes the DataFrame an estimator returns
(:func:`~massincidents.kaplan_meier`, :func:`~massincidents.nelson_aalen`,
:func:`~massincidents.cumulative_incidence`) or, for
:func:`plot_schoenfeld`, a DataFrame of times and residuals (such as the
scaled Schoenfeld residuals of ``mi.cox_zph``), and draws on a matplotlib
``Axes`` (a new one unless ``ax`` is given) with seaborn's palette. Step
functions are right-continuous and start at time 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

if TYPE_CHECKING:  # pragma: no cover
    from massincidents.survival.zph import CoxZph
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def _groups(frame: pd.DataFrame) -> list[tuple[object, pd.DataFrame]]:
    by = frame.attrs.get("by")
    if by is None or by not in frame.columns:
        return [(None, frame)]
    return list(frame.groupby(by, sort=False))


def _steps(time: np.ndarray, value: np.ndarray, start: float) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([[0.0], time]), np.concatenate([[start], value])


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def _draw_curves(
    frame: pd.DataFrame,
    value: str,
    start: float,
    *,
    ax: Axes | None,
    ci: bool,
    marks: str | None,
    xlabel: str,
    ylabel: str,
) -> Axes:
    ax = _axes(ax)
    groups = _groups(frame)
    palette = sns.color_palette(n_colors=max(len(groups), 1))
    for (label, part), color in zip(groups, palette, strict=True):
        part = part.sort_values("time")
        x, y = _steps(part["time"].to_numpy(float), part[value].to_numpy(float), start)
        ax.step(x, y, where="post", color=color, label=None if label is None else str(label))
        if ci and {"conf_low", "conf_high"} <= set(part.columns):
            lo = np.concatenate([[start], part["conf_low"].to_numpy(float)])
            hi = np.concatenate([[start], part["conf_high"].to_numpy(float)])
            ax.fill_between(x, lo, hi, step="post", color=color, alpha=0.2, linewidth=0)
        if marks and marks in part.columns:
            censored = part[part[marks] > 0]
            ax.plot(censored["time"], censored[value], "|", color=color, markersize=6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(groups) > 1:
        ax.legend(title=frame.attrs.get("by"))
    return ax


def plot_survival(
    curves: pd.DataFrame,
    *,
    ax: Axes | None = None,
    ci: bool = True,
    censor_marks: bool = True,
    xlabel: str = "time",
    ylabel: str = "survival probability",
) -> Axes:
    """Kaplan-Meier curves, one per group, with pointwise confidence bands.

    Parameters
    ----------
    curves
        The result of :func:`~massincidents.kaplan_meier` (with ``by=`` for
        several groups).
    ax
        Axes to draw on.
    ci
        Shade the confidence band.
    censor_marks
        Tick marks at censoring times.
    xlabel, ylabel
        Axis labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from massincidents.survival import kaplan_meier
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "d": [1, 0, 1, 1, 0, 1], "g": list("aabbab")})
    >>> ax = plot_survival(kaplan_meier(df, duration="t", event="d", by="g"))
    >>> len(ax.get_legend().get_texts())
    2
    """
    return _draw_curves(
        curves,
        "survival",
        1.0,
        ax=ax,
        ci=ci,
        marks="n_censor" if censor_marks else None,
        xlabel=xlabel,
        ylabel=ylabel,
    )


def plot_cumhaz(
    curves: pd.DataFrame,
    *,
    ax: Axes | None = None,
    ci: bool = True,
    xlabel: str = "time",
    ylabel: str = "cumulative hazard",
) -> Axes:
    """Nelson-Aalen cumulative hazards, one per group, with confidence bands.

    Parameters
    ----------
    curves
        The result of :func:`~massincidents.nelson_aalen` (or of
        :func:`~massincidents.kaplan_meier`, whose ``cumhaz`` column is drawn
        without a band).
    ax, ci, xlabel, ylabel
        As :func:`plot_survival`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    frame = curves
    if "survival" in curves.columns:  # a Kaplan-Meier table: no band for H
        frame = curves.drop(columns=["conf_low", "conf_high"])
        frame.attrs = dict(curves.attrs)
    return _draw_curves(
        frame, "cumhaz", 0.0, ax=ax, ci=ci, marks=None, xlabel=xlabel, ylabel=ylabel
    )


def plot_cumulative_incidence(
    incidence: pd.DataFrame,
    *,
    states: Sequence[object] | None = None,
    ax: Axes | None = None,
    ci: bool = True,
    xlabel: str = "time",
    ylabel: str = "cumulative incidence",
) -> Axes:
    """Aalen-Johansen cumulative incidence curves, one per event type (and group).

    Parameters
    ----------
    incidence
        The result of :func:`~massincidents.cumulative_incidence`.
    states
        Event types to draw; default all but ``"event-free"``.
    ax, ci, xlabel, ylabel
        As :func:`plot_survival`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    by = incidence.attrs.get("by")
    wanted = (
        list(states)
        if states is not None
        else [s for s in incidence["state"].unique() if s != "event-free"]
    )
    keys = [by, "state"] if by else ["state"]
    parts = [
        (k, p)
        for k, p in incidence.groupby(keys, sort=False)
        if (k[-1] if isinstance(k, tuple) else k) in wanted
    ]
    palette = sns.color_palette(n_colors=max(len(parts), 1))
    for (key, part), color in zip(parts, palette, strict=True):
        label = " / ".join(str(v) for v in key) if isinstance(key, tuple) else str(key)
        part = part.sort_values("time")
        x, y = _steps(part["time"].to_numpy(float), part["probability"].to_numpy(float), 0.0)
        ax.step(x, y, where="post", color=color, label=label)
        if ci:
            lo = np.concatenate([[0.0], part["conf_low"].to_numpy(float)])
            hi = np.concatenate([[0.0], part["conf_high"].to_numpy(float)])
            ax.fill_between(x, lo, hi, step="post", color=color, alpha=0.2, linewidth=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def plot_schoenfeld(
    residuals: object,
    *,
    time: str | Sequence[float] | np.ndarray = "time",
    terms: Sequence[str] | None = None,
    smooth: bool = True,
    frac: float = 2 / 3,
    ncols: int = 2,
) -> Figure:
    r"""Scaled Schoenfeld residuals against time, one panel per term, with a lowess smooth.

    Under proportional hazards the scaled residuals of a term scatter around
    its coefficient with no trend in time (Grambsch and Therneau 1994); a
    trend in the smooth suggests a time-varying effect :math:`\beta(t)`.

    Parameters
    ----------
    residuals
        A DataFrame with one row per event and one column of residuals per
        term (plus the time column when ``time`` names one); or the result of
        ``mi.cox_zph`` (any object with a ``residuals`` DataFrame and the
        transformed times ``x``, as R's ``plot(cox.zph(fit))``).
    time
        Name of the time column of ``residuals``, or the times themselves
        (aligned with the rows). Ignored for a ``cox_zph`` result.
    terms
        Columns to plot; default every numeric column other than the time.
    smooth
        Add a lowess smooth (statsmodels, fraction ``frac`` of the points).
    frac
        Lowess span.
    ncols
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> res = pd.DataFrame({"time": np.arange(1.0, 21.0), "x": np.sin(np.arange(20.0))})
    >>> fig = plot_schoenfeld(res)
    >>> [ax.get_title() for ax in fig.axes]
    ['x']
    """
    xlabel = "time"
    if not isinstance(residuals, pd.DataFrame) and hasattr(residuals, "residuals"):
        zph = cast("CoxZph", residuals)  # duck-typed: anything with .residuals and .x
        frame = zph.residuals
        t = np.asarray(zph.x, dtype=float)
        xlabel = f"time ({getattr(residuals, 'transform', 'transformed')} scale)"
    elif isinstance(residuals, pd.DataFrame):
        frame = residuals
        if isinstance(time, str):
            if time not in frame.columns:
                raise ValueError(f"residuals need a {time!r} column (or pass the times)")
            t = frame[time].to_numpy(float)
            frame = frame.drop(columns=time)
            xlabel = time
        else:
            t = np.asarray(time, dtype=float)
            if t.shape != (len(frame),):
                raise ValueError("time must have one value per row of residuals")
    else:
        raise TypeError("residuals must be a DataFrame or the result of mi.cox_zph")
    columns = list(terms) if terms is not None else [
        c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
    ]
    if not columns:
        raise ValueError("no residual column to plot")
    n = len(columns)
    cols = min(ncols, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.2 * rows), squeeze=False)
    color = sns.color_palette(n_colors=2)
    for ax, column in zip(axes.ravel(), columns, strict=False):
        r = frame[column].to_numpy(float)
        ax.scatter(t, r, s=8, alpha=0.5, color=color[0])
        if smooth and len(t) > 3:
            from statsmodels.nonparametric.smoothers_lowess import lowess

            fitted = lowess(r, t, frac=frac, return_sorted=True)
            ax.plot(fitted[:, 0], fitted[:, 1], color=color[1])
        ax.axhline(0.0, color="grey", linewidth=0.5)
        ax.set_title(column)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("scaled Schoenfeld residual")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig
