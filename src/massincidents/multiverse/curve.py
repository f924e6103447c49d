r"""The specification curve: every specification's estimate, its summary and its plot.

For a cause or measure :math:`c` with estimates :math:`\hat\beta^{(s)}_c`,
:math:`s = 1..S`, the curve is the sorted estimates with their confidence
intervals, above a dashboard of the choices each specification made
(Simonsohn, Simmons and Nelson 2020, *Nature Human Behaviour* 4:1208-1214).
The summary shares are descriptive: the specifications are not independent
draws, so a share of significant estimates is not itself a test (the
permutation inference of Simonsohn et al. is not implemented here).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from massincidents.multiverse.choices import Choices, Specification

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TABLE_COLUMNS: tuple[str, ...] = (
    "spec_number",
    "spec_id",
    "term",
    "indicator",
    "family",
    "fixed_effects",
    "exposure",
    "window",
    "scale",
    "indicator_sd",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "vcov",
    "nobs",
    "rows_outside_window",
    "rows_left_out",
    "left_out_reasons",
    "converged",
    "status",
    "error",
    "warnings",
    "formula",
)

SUMMARY_COLUMNS: tuple[str, ...] = (
    "term",
    "n_specifications",
    "n_estimated",
    "n_failed",
    "n_dropped",
    "median_estimate",
    "min_estimate",
    "max_estimate",
    "share_positive",
    "share_significant_positive",
    "share_significant_negative",
)

_COLOURS = {"positive": "#1f5fa8", "negative": "#c0392b", "ns": "#9a9a9a"}


@dataclass
class SpecificationCurve:
    """The estimates of every specification of a multiverse.

    Attributes
    ----------
    table
        One row per specification and cause or measure (columns
        :data:`TABLE_COLUMNS`): the choices, ``estimate`` (the coefficient of
        the chosen indicator, a log rate ratio), ``std_error``, ``statistic``,
        ``p_value``, ``conf_low``, ``conf_high``, ``vcov`` (the variance
        choice), ``nobs`` (rows used), ``rows_outside_window``,
        ``rows_left_out`` (by the model: missing values, separation,
        singletons) and ``left_out_reasons``, ``converged`` (the fit
        returned), ``status`` (``"ok"``, ``"failed"``, or ``"dropped"`` when
        the indicator was dropped, e.g. as collinear), ``error``,
        ``warnings``, ``formula``.
    specifications
        The :class:`~massincidents.multiverse.Specification` objects, by number.
    choices
        The alternatives.
    outcome, unit, time
        The columns used.
    level
        Confidence level of the intervals.
    backend
        ``"serial"``, ``"joblib (n_jobs=...)"`` or ``"dask"``.
    elapsed
        Seconds spent fitting.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> curve = mi.specification_curve(df, outcome="y", unit="province", time="year",
    ...     choices={"indicators": {"social": ["x1"]}, "windows": [None, [2000, 2009]]})
    >>> curve.choice_table()[["spec_number", "indicator: social", "window"]]
       spec_number indicator: social     window
    0            0                x1        all
    1            1                x1  2000-2009
    >>> curve.n_failed
    0
    """

    table: pd.DataFrame
    specifications: list[Specification]
    choices: Choices
    outcome: str
    unit: str
    time: str
    level: float = 0.95
    backend: str = "serial"
    elapsed: float = 0.0

    @property
    def terms(self) -> tuple[str, ...]:
        """The causes and measures."""
        return self.choices.terms

    @property
    def n_failed(self) -> int:
        """Specifications whose fit failed."""
        done = self.table.drop_duplicates("spec_number")
        return int((~done["converged"].astype(bool)).sum())

    def choice_table(self) -> pd.DataFrame:
        """One row per specification: its id and every choice it made.

        Columns ``spec_number``, ``spec_id``, one ``indicator: <cause>`` column
        per cause or measure, ``family``, ``fixed_effects``, ``exposure``,
        ``window``.
        """
        rows = []
        for s in self.specifications:
            row: dict[str, Any] = {"spec_number": s.number, "spec_id": s.id}
            row.update({f"indicator: {t}": c for t, c in s.indicators})
            row.update(
                family=s.family,
                fixed_effects=s.fe_label,
                exposure=s.exposure_label,
                window=s.window_label,
            )
            rows.append(row)
        return pd.DataFrame(rows)

    def _term_rows(self, term: str) -> pd.DataFrame:
        if term not in self.terms:
            raise KeyError(
                f"{term!r} is not a cause or measure here; choose from {list(self.terms)}"
            )
        return self.table.loc[self.table["term"] == term]

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """Per cause or measure: how many specifications, and what they found.

        Parameters
        ----------
        alpha
            Significance level of the two-sided tests counted.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`SUMMARY_COLUMNS`. Shares are over the specifications
            with an estimate (``n_estimated``); ``n_failed`` counts fits that
            failed and ``n_dropped`` those where the indicator was dropped.
            ``share_significant_positive`` is the share with
            :math:`p < \\alpha` and a positive estimate.

        Examples
        --------
        >>> import massincidents as mi
        >>> df = mi.datasets.simulate_panel(seed=1)
        >>> curve = mi.specification_curve(df, outcome="y", unit="province", time="year",
        ...     choices={"indicators": {"social": ["x1"]}, "families": ["poisson", "negbin"]})
        >>> s = curve.summary().set_index("term")
        >>> int(s.loc["social", "n_specifications"]), float(s.loc["social", "share_positive"])
        (2, 1.0)
        """
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
        out = []
        for term in self.terms:
            rows = self._term_rows(term)
            ok = rows.loc[rows["status"] == "ok"]
            est = ok["estimate"].to_numpy(dtype=float)
            sig = ok["p_value"].to_numpy(dtype=float) < alpha
            n = len(ok)
            out.append(
                {
                    "term": term,
                    "n_specifications": len(rows),
                    "n_estimated": n,
                    "n_failed": int((rows["status"] == "failed").sum()),
                    "n_dropped": int((rows["status"] == "dropped").sum()),
                    "median_estimate": float(np.median(est)) if n else np.nan,
                    "min_estimate": float(est.min()) if n else np.nan,
                    "max_estimate": float(est.max()) if n else np.nan,
                    "share_positive": float(np.mean(est > 0)) if n else np.nan,
                    "share_significant_positive": float(np.mean(sig & (est > 0))) if n else np.nan,
                    "share_significant_negative": float(np.mean(sig & (est < 0))) if n else np.nan,
                }
            )
        return pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write :attr:`table` to a UTF-8 CSV file (no index)."""
        self.table.to_csv(path, index=False, encoding="utf-8")

    def _dashboard(self, term: str, numbers: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
        """(group, value, used-mask over ``numbers``) for each choice that varies."""
        every = self.choice_table()
        choices = every.set_index("spec_number").loc[numbers]
        groups = [f"indicator: {term}"]
        groups += [f"indicator: {t}" for t in self.terms if t != term]
        groups += ["family", "fixed_effects", "exposure", "window"]
        varying = [g for g in groups if every[g].nunique() > 1]
        shown = varying or groups[:1]
        rows = []
        for group in shown:
            for value in dict.fromkeys(every[group]):
                used = (choices[group] == value).to_numpy()
                label = str(value) if used.any() else f"{value} (no estimate)"
                rows.append((group, label, used))
        return rows

    def plot(
        self,
        term: str,
        *,
        alpha: float = 0.05,
        figsize: tuple[float, float] | None = None,
        title: str | None = None,
    ) -> Figure:
        """The specification curve of one cause or measure (Simonsohn et al. 2020 style).

        Top panel: the estimates sorted from smallest to largest, with their
        confidence intervals, coloured by sign and significance (blue:
        positive with :math:`p < \\alpha`, red: negative with :math:`p <
        \\alpha`, grey: not significant), a line at zero and a dashed line at
        the median. Bottom panel: the dashboard, one row per value of each
        choice that varies, with a marker where the specification above used
        it. Failed specifications are left out and counted in the title.

        Parameters
        ----------
        term
            The cause or measure.
        alpha
            Significance level of the colouring.
        figsize
            Figure size in inches (default grows with the dashboard).
        title
            Title (default: the term, the number of specifications and the
            median estimate).

        Returns
        -------
        matplotlib.figure.Figure
            Not registered with pyplot: save it with ``fig.savefig``.

        Examples
        --------
        >>> import massincidents as mi
        >>> df = mi.datasets.simulate_panel(seed=1)
        >>> curve = mi.specification_curve(df, outcome="y", unit="province", time="year",
        ...     choices={"indicators": {"social": ["x1"]}, "families": ["poisson", "negbin"]})
        >>> fig = curve.plot("social")
        >>> fig.axes[1].get_xlabel()
        'Specification (ranked by estimate)'
        """
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D

        rows = self._term_rows(term)
        ok = rows.loc[rows["status"] == "ok"].sort_values(
            ["estimate", "spec_number"], kind="stable"
        )
        n_all, n = len(rows), len(ok)
        if n == 0:
            raise ValueError(f"no specification produced an estimate for {term!r}")
        x = np.arange(1, n + 1)
        est = ok["estimate"].to_numpy(dtype=float)
        sig = ok["p_value"].to_numpy(dtype=float) < alpha
        kind = np.where(sig & (est > 0), "positive", np.where(sig & (est < 0), "negative", "ns"))
        colours = np.array([_COLOURS[k] for k in kind])
        dash = self._dashboard(term, ok["spec_number"].to_numpy())
        height = 3.2 + 0.22 * len(dash)
        fig = Figure(figsize=figsize or (max(6.0, min(12.0, 4.0 + 0.08 * n)), height))
        top, bottom = fig.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [3.0, max(1.0, 0.25 * len(dash))]}
        )
        top.vlines(x, ok["conf_low"], ok["conf_high"], colors=colours, linewidth=1.0, alpha=0.6)
        top.scatter(x, est, c=colours, s=14 if n > 50 else 24, zorder=3)
        top.axhline(0.0, color="0.2", linewidth=0.8)
        median = float(np.median(est))
        top.axhline(median, color="0.4", linewidth=0.8, linestyle="--")
        pct = f"{100 * self.level:g}%"
        per_sd = "scale" in ok.columns and (ok["scale"] == "per SD").all()
        unit = "log rate ratio per SD" if per_sd else "log rate ratio"
        top.set_ylabel(f"Estimate for {term}\n({unit}, {pct} CI)")
        handles = [
            Line2D([], [], marker="o", linestyle="", color=_COLOURS[k], label=label)
            for k, label in (
                ("positive", f"positive, p < {alpha:g}"),
                ("negative", f"negative, p < {alpha:g}"),
                ("ns", "not significant"),
            )
            if (kind == k).any()
        ]
        handles.append(Line2D([], [], color="0.4", linestyle="--", label="median"))
        top.legend(handles=handles, loc="upper left", fontsize="small", frameon=False)
        failed = n_all - n
        default = f"{term}: {n} specifications, median {median:.3g}"
        if failed:
            default += f" ({failed} without an estimate, not shown)"
        top.set_title(title if title is not None else default)

        labels = []
        previous = None
        for j, (group, value, used) in enumerate(dash):
            y = len(dash) - 1 - j
            bottom.scatter(x[used], np.full(used.sum(), y), c=colours[used], marker="|", s=60)
            name = group.removeprefix("indicator: ").replace("_", " ")
            labels.append((y, f"{name}: {value}"))
            if previous is not None and group != previous:
                bottom.axhline(y + 0.5, color="0.8", linewidth=0.6)
            previous = group
        bottom.set_yticks([y for y, _ in labels], [label for _, label in labels], fontsize="small")
        bottom.set_ylim(-0.7, len(dash) - 0.3)
        bottom.set_ylabel("Choice")
        bottom.set_xlabel("Specification (ranked by estimate)")
        bottom.set_xlim(0.3, n + 0.7)
        fig.align_ylabels([top, bottom])
        fig.set_layout_engine("constrained")
        return fig

    def __repr__(self) -> str:
        n = len(self.specifications)
        return (
            f"SpecificationCurve({n} specifications x {len(self.terms)} terms "
            f"{list(self.terms)}; outcome {self.outcome!r}; {self.n_failed} failed; "
            f"{self.backend}, {self.elapsed:.1f} s)"
        )
