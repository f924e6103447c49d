"""Tables that summarise a rerun: the indicators of each group, the staggered-adoption aggregations.

Used by both :mod:`massincidents.report.write` (files) and
:mod:`massincidents.report.html` (the page), so that neither imports the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from massincidents.spec.engine import RerunResult

__all__ = ["did_tables", "indicator_table"]


def indicator_table(result: RerunResult) -> pd.DataFrame:
    """Each cause and measure with its columns (or why it has none).

    Examples
    --------
    >>> import massincidents as mi
    >>> from massincidents.spec import rerun
    >>> df = mi.datasets.simulate_panel(n_provinces=31, n_years=6, seed=4)
    >>> spec = {"version": 1, "data": {"unit": "province", "time": "year"},
    ...         "outcome": {"count": "y", "exposure": "population"},
    ...         "causes": {"social": ["x1"], "solving": [], "legal": [], "system": []},
    ...         "measures": {m: [] for m in mi.spec.MEASURES}, "models": ["poisson"]}
    >>> table = indicator_table(rerun(df, spec))
    >>> table[["group", "columns"]].iloc[:2].to_dict("list")
    {'group': ['social', 'solving'], 'columns': ['x1', 'none']}
    """
    spec = result.spec
    rows = []
    for kind, groups in (("cause", spec.causes), ("measure", spec.measures)):
        for name, cols in groups.items():
            rows.append(
                {
                    "kind": kind,
                    "group": name,
                    "columns": ", ".join(cols) if cols else "none",
                    "note": spec.missing_reasons.get(name, "" if cols else "no column given"),
                }
            )
    return pd.DataFrame(rows)


def _whole_numbers(df: pd.DataFrame) -> pd.DataFrame:
    """Event times and cohorts as integers (they arrive as floats): -4, not -4.000."""
    for column in ("event_time", "group"):
        if column in df.columns:
            values = pd.to_numeric(df[column], errors="coerce")
            if values.notna().all() and (values == values.round()).all():
                df[column] = values.astype("int64")
    return df


def did_tables(did: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Overall, per-event-time and per-cohort tables of the staggered-adoption design.

    Parameters
    ----------
    did
        ``RerunResult.did``: the aggregations ``simple``, ``group`` and ``dynamic``.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``did_overall``, ``did_dynamic``, ``did_group``.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(40, 8, seed=2)
    >>> res = mi.staggered_did(df, outcome="y_linear", unit="province", time="year",
    ...                        cohort="cohort", bootstrap=False)
    >>> aggs = {k: res.aggregate(k) for k in ("simple", "group", "dynamic")}
    >>> did_tables(aggs)["did_overall"]["aggregation"].tolist()
    ['simple', 'group', 'dynamic']
    """
    from scipy import stats

    out: dict[str, pd.DataFrame] = {}
    overall = []
    for kind in ("simple", "group", "dynamic"):
        agg = did[kind]
        z = float(stats.norm.ppf(1 - agg.alpha / 2))
        overall.append(
            {
                "aggregation": kind,
                "att": agg.overall_att,
                "std_error": agg.overall_se,
                "conf_low": agg.overall_att - z * agg.overall_se,
                "conf_high": agg.overall_att + z * agg.overall_se,
            }
        )
    out["did_overall"] = pd.DataFrame(overall)
    out["did_dynamic"] = _whole_numbers(did["dynamic"].estimates.reset_index(drop=True))
    out["did_group"] = _whole_numbers(did["group"].estimates.reset_index(drop=True))
    if did.get("honest") is not None:  # timing.honest: massincidents.honest_did
        out["did_honest"] = did["honest"].table()
    return out
