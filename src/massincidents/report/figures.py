"""The figures of a rerun: coefficient plot, measures plot, event-study plot.

Drawn on :class:`matplotlib.figure.Figure` objects (no pyplot state, no GUI
backend) and saved as PNG and SVG with the date left out and fixed SVG ids
(``svg.hashsalt``), so the same inputs give byte-identical files.

Matplotlib is not thread-safe: its font cache, its mathtext parser and its
``rcParams`` are shared by every thread. Every figure of the package is
therefore drawn and saved under one lock (:data:`FIGURE_LOCK`), and no text
is parsed as mathtext: names from the user (which may hold ``$``) are drawn
with ``parse_math=False`` and the log axis is labelled in plain numbers. Two
reruns in two threads give the same bytes as one after the other.
"""

from __future__ import annotations

import base64
import io
import itertools
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullFormatter

__all__ = [
    "FIGURE_LOCK",
    "coefficient_figure",
    "did_figure",
    "measures_figure",
    "png_base64",
    "save_figure",
    "save_figure_as",
]

#: Held while any figure of the package is drawn or saved (matplotlib is not thread-safe).
FIGURE_LOCK = threading.RLock()

#: The salt of every saved SVG's ids (fixed, so that the files are reproducible).
_SVG_HASHSALT = "massincidents"

_PLAIN: dict[str, Any] = {"parse_math": False}


def _plain_legend(ax: object) -> None:
    """Legend entries drawn as written (no mathtext)."""
    legend = ax.get_legend()  # type: ignore[attr-defined]
    if legend is not None:
        for text in legend.get_texts():
            text.set_parse_math(False)

def log_ticks(lo: float, hi: float, most: int = 9) -> list[float]:
    """Tick positions of a log axis over ``[lo, hi]``: at most ``most``, at least two.

    1, 2 and 5 times the powers of ten when they fit, else the powers of
    ten (every second, third... decade over very wide ranges); over a range
    too narrow for three of those, finer steps (1, 1.2, 1.5, 2, 3, ... 9 times
    the powers of ten).

    Examples
    --------
    >>> log_ticks(0.5, 2.2)
    [0.5, 1.0, 2.0]
    >>> log_ticks(1e-6, 1e4)
    [1e-06, 0.0001, 0.01, 1.0, 100.0, 10000.0]
    >>> log_ticks(0.53, 1.5)
    [0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5]
    >>> log_ticks(0.9, 1.1)
    [0.9, 1.0]
    """
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))

    def inside(subs: tuple[float, ...], step: int = 1) -> list[float]:
        values = [float(f"{m}e{k}") for k in range(first, last + 1, step) for m in subs]
        return [v for v in values if lo <= v <= hi]

    ticks = inside((1, 2, 5))
    if len(ticks) > most:
        ticks = inside((1,))
        step = 1
        while len(ticks) > most:
            step += 1
            # keep 1 (= no association) among the ticks: decades counted from 10^0
            ticks = [v for v in inside((1,)) if round(math.log10(v)) % step == 0]
    if len(ticks) < 3:
        finer = inside((1, 1.2, 1.5, 2, 3, 4, 5, 6, 7, 8, 9))
        if len(finer) <= most or len(ticks) < 2:
            ticks = finer
    return ticks


def thin_overlapping_ticks(fig: Figure, ax: Axes, axes: str = "x") -> None:
    """Drop every other tick label of numeric axes until no two labels overlap (after layout).

    ``axes`` names the numeric axes (``"x"``, ``"xy"``); axes of names (terms,
    measures) are never thinned. The figure is drawn once per try to measure
    the labels.
    """
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    for axis in [a for name, a in (("x", ax.xaxis), ("y", ax.yaxis)) if name in axes]:
        for _ in range(20):
            canvas.draw()
            renderer = canvas.get_renderer()
            lo, hi = sorted(axis.get_view_interval())
            ticks = [t for t in axis.get_major_ticks() if t.label1.get_text()]
            ticks = [t for t in ticks if lo <= t.get_loc() <= hi]
            boxes = [t.label1.get_window_extent(renderer) for t in ticks]
            if not any(a.overlaps(b) for a, b in itertools.pairwise(boxes)):
                break
            locs = [t.get_loc() for t in ticks]
            axis.set_major_locator(FixedLocator(locs[::2]))


_COLOURS = ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#949494")
_MARKERS = ("o", "s", "D", "^", "v", "P", "X")


def _finite_exp(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    with np.errstate(over="ignore"):
        out = np.exp(values)
    return np.clip(np.where(np.isfinite(out), out, np.where(values > 0, hi, lo)), lo, hi)


def coefficient_figure(coefs: pd.DataFrame, *, title: str) -> Figure:
    """Incidence-rate ratios with CRV and (where present) wild-bootstrap intervals.

    Parameters
    ----------
    coefs
        One row per model and term with columns ``model``, ``term``,
        ``estimate``, ``conf_low``, ``conf_high`` and optionally
        ``boot_low``, ``boot_high`` (log scale, as estimated).
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"model": ["m"], "term": ["x"], "estimate": [0.1],
    ...                    "conf_low": [0.0], "conf_high": [0.2]})
    >>> fig = coefficient_figure(df, title="t")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['x']
    """
    with FIGURE_LOCK:
        return _coefficient_figure(coefs, title=title)


def _coefficient_figure(coefs: pd.DataFrame, *, title: str) -> Figure:
    terms = list(dict.fromkeys(coefs["term"]))
    models = list(dict.fromkeys(coefs["model"]))
    fig = Figure(figsize=(8.5, max(2.5, 0.5 * len(terms) + 1.8)))
    ax = fig.add_subplot()
    width = 0.6 / max(1, len(models))
    all_vals = coefs[["conf_low", "conf_high"]].to_numpy(dtype=float)
    finite = all_vals[np.isfinite(all_vals)]
    lo = float(np.exp(finite.min())) / 1.5 if finite.size else 0.5
    hi = float(np.exp(finite.max())) * 1.5 if finite.size else 2.0
    lo, hi = min(lo, 0.9), max(hi, 1.1)
    for m, model in enumerate(models):
        sub = coefs[coefs["model"] == model]
        colour = _COLOURS[m % len(_COLOURS)]
        for row in sub.itertuples(index=False):
            y = terms.index(row.term) + (m - (len(models) - 1) / 2) * width
            if "boot_low" in sub.columns and np.isfinite(
                getattr(row, "boot_low", np.nan)
            ) | np.isfinite(getattr(row, "boot_high", np.nan)):
                b = _finite_exp(np.array([row.boot_low, row.boot_high], dtype=float), lo, hi)
                ax.plot(b, [y, y], color=colour, lw=1.2, alpha=0.55)
            c = _finite_exp(np.array([row.conf_low, row.conf_high], dtype=float), lo, hi)
            ax.plot(c, [y, y], color=colour, lw=3.2, solid_capstyle="butt")
            ax.plot(
                np.exp(row.estimate),
                y,
                marker=_MARKERS[m % len(_MARKERS)],
                color="white",
                mec=colour,
                mew=1.6,
                ms=7,
                ls="none",
                zorder=3,
            )
        ax.plot([], [], marker=_MARKERS[m % len(_MARKERS)], color=colour, lw=3.2, label=str(model))
    if "boot_low" in coefs.columns and coefs["boot_low"].notna().any():
        ax.plot([], [], color="0.3", lw=3.2, label="thick: clustered 95% CI")
        ax.plot([], [], color="0.3", lw=1.2, alpha=0.55, label="thin: wild bootstrap 95% CI")
    ax.axvline(1, color="0.3", lw=1, ls="--")
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    # plain numbers (0.5, 1, 2), not mathtext powers of ten: mathtext is not thread-safe
    ax.xaxis.set_major_locator(FixedLocator(log_ticks(lo, hi)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}"))
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs="auto", numticks=12))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(range(len(terms)))
    ax.set_yticklabels([str(t) for t in terms], **_PLAIN)
    ax.invert_yaxis()
    ax.set_xlabel("Incidence-rate ratio per unit of the indicator (log scale; 1 = no association)")
    ax.set_title(title, fontweight="bold", **_PLAIN)
    ax.legend(loc="best", fontsize=8, frameon=True)
    _plain_legend(ax)
    ax.grid(axis="x", color="0.9")
    fig.tight_layout()
    thin_overlapping_ticks(fig, ax)
    return fig


def measures_figure(table: pd.DataFrame, *, title: str) -> Figure:
    """Percent change of expected incidents under each measure's counterfactual shift.

    Parameters
    ----------
    table
        Columns ``label``, ``percent_change``, ``percent_low``, ``percent_high``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with FIGURE_LOCK:
        return _measures_figure(table, title=title)


def _measures_figure(table: pd.DataFrame, *, title: str) -> Figure:
    fig = Figure(figsize=(8.0, max(2.2, 0.55 * len(table) + 1.6)))
    ax = fig.add_subplot()
    y = np.arange(len(table))
    ax.hlines(y, table["percent_low"], table["percent_high"], color=_COLOURS[0], lw=3)
    ax.plot(table["percent_change"], y, "o", color="white", mec=_COLOURS[0], mew=1.6, ms=7)
    ax.axvline(0, color="0.3", lw=1, ls="--")
    ax.set_yticks(y)
    ax.set_yticklabels([str(t) for t in table["label"]], **_PLAIN)
    ax.invert_yaxis()
    ax.set_xlabel("Change of expected incidents in the sample (%), with interval")
    ax.set_title(title, fontweight="bold", **_PLAIN)
    ax.grid(axis="x", color="0.9")
    fig.tight_layout()
    thin_overlapping_ticks(fig, ax)
    return fig


def did_figure(dynamic: pd.DataFrame, *, title: str) -> Figure:
    """ATT by event time with pointwise intervals (and simultaneous bands if present).

    Parameters
    ----------
    dynamic
        Columns ``event_time``, ``att``, ``conf_low``, ``conf_high`` and
        optionally ``band_low``, ``band_high``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with FIGURE_LOCK:
        return _did_figure(dynamic, title=title)


def _did_figure(dynamic: pd.DataFrame, *, title: str) -> Figure:
    fig = Figure(figsize=(8.0, 4.2))
    ax = fig.add_subplot()
    e = dynamic["event_time"].to_numpy(dtype=float)
    if "band_low" in dynamic.columns and dynamic["band_low"].notna().any():
        ax.fill_between(
            e,
            dynamic["band_low"],
            dynamic["band_high"],
            color=_COLOURS[0],
            alpha=0.15,
            label="simultaneous band",
        )
    ax.vlines(
        e,
        dynamic["conf_low"],
        dynamic["conf_high"],
        color=_COLOURS[0],
        lw=2.4,
        label="pointwise 95% CI",
    )
    ax.plot(e, dynamic["att"], "o", color="white", mec=_COLOURS[0], mew=1.6, ms=7)
    ax.axhline(0, color="0.3", lw=1, ls="--")
    ax.axvline(-0.5, color="0.6", lw=1, ls=":")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=12, integer=True))
    ax.set_xlabel("Periods since adoption")
    ax.set_ylabel("ATT")
    ax.set_title(title, fontweight="bold", **_PLAIN)
    ax.legend(loc="best", fontsize=8)
    _plain_legend(ax)
    fig.tight_layout()
    thin_overlapping_ticks(fig, ax, "xy")
    return fig


def save_figure(fig: Figure, folder: Path, stem: str) -> list[Path]:
    """Save ``stem.png`` (150 dpi) and ``stem.svg``, reproducibly (no date, fixed ids)."""
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{stem}.png", folder / f"{stem}.svg"
    save_figure_as(fig, {png: 150, svg: None})
    return [png, svg]


def save_figure_as(
    figure: Figure | Callable[[], Figure],
    targets: dict[Path, int | None],
    *,
    svg_fonttype: str = "path",
) -> Figure:
    """Draw (when given a function) and save a figure under :data:`FIGURE_LOCK`.

    Parameters
    ----------
    figure
        A figure, or a function that draws one (it is then called under the lock).
    targets
        File -> resolution in dpi (``None`` for SVG); the format is the suffix.
    svg_fonttype
        ``"path"`` (text drawn as outlines) or ``"none"`` (text kept as text).

    Returns
    -------
    matplotlib.figure.Figure
        The figure saved.
    """
    with FIGURE_LOCK, mpl.rc_context({"svg.hashsalt": _SVG_HASHSALT, "svg.fonttype": svg_fonttype}):
        fig = figure() if callable(figure) else figure
        for path, dpi in targets.items():
            if path.suffix.lower() == ".svg":
                fig.savefig(path, metadata={"Date": None, "Creator": None})
            else:
                fig.savefig(path, dpi=dpi or 150, metadata={"Software": None})
    return fig


def png_base64(fig: Figure) -> str:
    """The figure as base64-encoded PNG (for embedding in HTML)."""
    buffer = io.BytesIO()
    with FIGURE_LOCK:
        fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")
