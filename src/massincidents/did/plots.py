"""Event-study plots: coefficients by event time with pointwise and simultaneous bands.

:func:`plot_event_study` takes a tidy table, so it plots the output of
:meth:`massincidents.did.event_study.EventStudyResult.event_table`
(:func:`massincidents.event_study`, :func:`massincidents.sun_abraham`) and the
dynamic aggregation of :func:`massincidents.staggered_did` alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

REQUIRED = ("event_time", "estimate", "conf_low", "conf_high")


def plot_event_study(
    table: pd.DataFrame,
    *,
    ax=None,
    title: str | None = None,
    xlabel: str = "Event time (periods since adoption)",
    ylabel: str = "Estimate",
    label: str | None = None,
    level: float = 0.95,
    color: str | None = None,
    figsize: Sequence[float] = (7.0, 4.0),
):
    """Plot event-study coefficients with confidence intervals.

    Points are the estimates, vertical segments the pointwise confidence
    intervals (``conf_low``, ``conf_high``); when the table has ``band_low`` and
    ``band_high`` (a simultaneous band, e.g. from the multiplier bootstrap of
    :func:`massincidents.staggered_did`), they are drawn as a shaded ribbon.
    Horizontal reference line at 0; vertical line at event time -0.5 (between
    the last pre-period and adoption).

    Parameters
    ----------
    table
        Columns ``event_time``, ``estimate``, ``conf_low``, ``conf_high``;
        optional ``band_low``, ``band_high``. A reference row (estimate 0, no
        interval) is drawn as a hollow point.
    ax
        A matplotlib Axes to draw on; a new figure when None.
    title, xlabel, ylabel, label
        Title, axis labels, legend label of the estimates.
    level
        Confidence level, for the legend text.
    color
        Colour of points and intervals (seaborn's first colour by default).
    figsize
        Size of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from massincidents.did.plots import plot_event_study
    >>> t = pd.DataFrame({"event_time": [-2, -1, 0, 1], "estimate": [0.0, 0.0, 0.3, 0.5],
    ...                   "conf_low": [-0.1, 0.0, 0.1, 0.2], "conf_high": [0.1, 0.0, 0.5, 0.8]})
    >>> fig = plot_event_study(t, title="Policy")
    >>> fig.axes[0].get_xlabel()
    'Event time (periods since adoption)'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ValueError(f"the event-study table lacks column(s): {', '.join(missing)}")
    data = table.sort_values("event_time").reset_index(drop=True)
    if ax is None:
        fig, ax = plt.subplots(figsize=tuple(figsize))
    else:
        fig = ax.figure
    color = color or sns.color_palette()[0]
    pct = f"{100 * level:g}%"
    if {"band_low", "band_high"} <= set(data.columns) and data["band_low"].notna().any():
        ax.fill_between(
            data["event_time"],
            data["band_low"],
            data["band_high"],
            color=color,
            alpha=0.2,
            linewidth=0,
            label=f"{pct} simultaneous band",
        )
    has_ci = data["conf_low"].notna() & (data["conf_low"] != data["conf_high"])
    ax.vlines(
        data.loc[has_ci, "event_time"],
        data.loc[has_ci, "conf_low"],
        data.loc[has_ci, "conf_high"],
        color=color,
        linewidth=1.5,
        label=f"{pct} pointwise CI",
    )
    sns.lineplot(
        data=data,
        x="event_time",
        y="estimate",
        ax=ax,
        color=color,
        linewidth=1,
        alpha=0.6,
        errorbar=None,
    )
    is_ref = data["reference"].astype(bool) if "reference" in data.columns else ~has_ci & False
    sns.scatterplot(
        data=data.loc[~is_ref],
        x="event_time",
        y="estimate",
        ax=ax,
        color=color,
        s=36,
        zorder=3,
        label=label or "Estimate",
    )
    if is_ref.any():
        ax.scatter(
            data.loc[is_ref, "event_time"],
            data.loc[is_ref, "estimate"],
            facecolors="white",
            edgecolors=color,
            s=36,
            zorder=3,
            label="Reference period",
        )
    ax.axhline(0.0, color="0.3", linewidth=0.8, linestyle="-")
    ax.axvline(-0.5, color="0.3", linewidth=0.8, linestyle="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    sns.despine(ax=ax)
    return fig
