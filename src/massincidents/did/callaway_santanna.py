r"""Callaway and Sant'Anna (2021) staggered difference-in-differences.

:func:`staggered_did` estimates every group-time effect ATT(g,t) (see
:mod:`massincidents.did.group_time`), their influence-function standard errors
and a multiplier-bootstrap simultaneous band (:mod:`massincidents.did.bootstrap`),
and :meth:`GroupTimeResult.aggregate` the summaries of R ``did::aggte``
(:mod:`massincidents.did.aggregate`). Numbers agree with R ``did`` (2.x) and its
Python ports ``csdid`` and ``differences``.

Sample rules, all reported in ``left_out`` and ``notes`` (never silent):

* rows with a missing outcome or covariate are dropped;
* by default the estimator needs a balanced panel (R ``did``'s ``panel=TRUE,
  allow_unbalanced_panel=FALSE``): units not observed in every period are
  dropped. With ``allow_unbalanced_panel=True`` (R's option of that name) all
  observations are kept and, if the panel is unbalanced, each 2x2 cell is
  estimated with the repeated-cross-section estimators (R ``DRDID::drdid_rc``,
  ``std_ipw_did_rc``, ``reg_did_rc``) with influence functions summed within
  units, so standard errors stay clustered by unit; a balanced panel is
  estimated as usual.
* cohorts after the last period (net of anticipation) count as never treated;
* units treated in or before the first period (net of anticipation) are
  dropped: they have no pre-treatment period;
* with no never-treated units and ``control_group="notyet"``, periods from the
  last cohort's adoption (net of anticipation) on are dropped, because no
  comparison units remain, and the last cohort serves only as a comparison;
  with ``control_group="never"`` that is a :class:`~massincidents.DataError`;
* a cell with no comparison units, a singular covariate design or no overlap
  (a fitted propensity score of 0.999 or more) is dropped and listed in
  :attr:`GroupTimeResult.dropped`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from massincidents.did.aggregate import aggregate_cells
from massincidents.did.bootstrap import (
    BootstrapSpec,
    analytic_se,
    cluster_sums,
    multiplier_bootstrap,
)
from massincidents.did.group_time import group_time_effects, group_time_effects_rc
from massincidents.errors import DataError, Problem
from massincidents.results import TIDY_COLUMNS

_CONTROL = {
    "notyet": "notyet",
    "notyettreated": "notyet",
    "never": "never",
    "nevertreated": "never",
}


def _tidy_frame(terms, est, se, alpha) -> pd.DataFrame:
    z = stats.norm.ppf(1 - alpha / 2)
    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    return pd.DataFrame(
        {
            "term": list(terms),
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "p_value": 2 * stats.norm.sf(np.abs(stat)),
            "conf_low": est - z * se,
            "conf_high": est + z * se,
        },
        columns=TIDY_COLUMNS,
    )


@dataclass
class AggregateResult:
    r"""An aggregation of ATT(g,t): the overall effect and per-index effects.

    Attributes
    ----------
    kind
        ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.
    overall_att, overall_se
        The overall ATT and its influence-function standard error.
    estimates
        One row per event time / cohort / period (empty for ``"simple"``):
        the index column (``event_time``, ``group`` or ``time``), ``att``,
        ``se`` (influence function), ``conf_low``/``conf_high`` (pointwise,
        normal), ``se_boot`` and ``band_low``/``band_high`` (simultaneous,
        multiplier bootstrap; NaN without bootstrap).
    crit_value
        Simultaneous critical value (NaN without bootstrap).
    influence
        Influence function of the overall effect (one value per unit).
    vcov
        Joint influence-function variance of the per-index effects (rows and
        columns labelled by the index), clustered as the ``se`` column:
        :math:`\hat V = S'S/n^2` with :math:`S` the influence functions
        summed by cluster. Its square-rooted diagonal is ``estimates["se"]``.
        :func:`massincidents.pretrend_test` uses it for the pre-periods of
        the ``"dynamic"`` aggregation.
    base_period, anticipation
        Of the ATT(g,t) aggregated (:func:`massincidents.honest_did` needs
        a universal base period, whose reference event time is
        :math:`-1-\delta`).
    """

    kind: str
    overall_att: float
    overall_se: float
    estimates: pd.DataFrame
    crit_value: float
    alpha: float
    influence: np.ndarray = field(repr=False)
    overall_se_boot: float = np.nan
    vcov: pd.DataFrame | None = field(default=None, repr=False)
    base_period: str | None = None
    anticipation: int = 0

    def tidy(self) -> pd.DataFrame:
        """Overall effect first, then per-index rows; columns as every ``tidy``."""
        key = {"dynamic": "event_time", "group": "group", "calendar": "time"}.get(self.kind)
        terms = ["ATT"]
        est, se = [self.overall_att], [self.overall_se]
        if key is not None:
            terms += [f"{key}={v:g}" for v in self.estimates[key]]
            est += list(self.estimates["att"])
            se += list(self.estimates["se"])
        return _tidy_frame(terms, est, se, self.alpha)

    def __repr__(self) -> str:
        head = (
            f"Callaway-Sant'Anna aggregation ({self.kind}): ATT = {self.overall_att:.6g} "
            f"(SE {self.overall_se:.6g})"
        )
        if self.estimates.empty:
            return head
        return head + "\n" + self.estimates.to_string(float_format=lambda v: f"{v:.6g}")


@dataclass
class GroupTimeResult:
    """Group-time effects ATT(g,t) of :func:`staggered_did`.

    Attributes
    ----------
    att_gt
        One row per estimated cell: ``group``, ``time``, ``event_time``,
        ``att``, ``se`` (influence function), ``conf_low``/``conf_high``
        (pointwise, normal), ``se_boot``, ``band_low``/``band_high``
        (simultaneous band from the multiplier bootstrap; NaN when off),
        ``post`` and ``n`` (units in the cell).
    influence
        The ``n_units x n_cells`` influence-function matrix.
    unit_cohort
        Cohort of each unit used (0 never treated), in the order of ``units``.
    dropped
        Cells not estimated, with the reason.
    left_out
        Rows of the input left out, by reason.
    """

    att_gt: pd.DataFrame
    influence: np.ndarray = field(repr=False)
    units: np.ndarray = field(repr=False)
    unit_cohort: np.ndarray = field(repr=False)
    method: str
    control_group: str
    base_period: str
    anticipation: int
    alpha: float
    crit_value: float
    n_units: int
    nobs: int
    left_out: dict[str, int]
    dropped: pd.DataFrame
    notes: list[str]
    bootstrap: BootstrapSpec | None = field(default=None, repr=False)
    clusters: np.ndarray | None = field(default=None, repr=False)

    def _pg(self) -> np.ndarray:
        cohorts, counts = np.unique(self.unit_cohort, return_counts=True)
        share = dict(zip(cohorts.tolist(), (counts / self.n_units).tolist(), strict=True))
        return np.array([share[g] for g in self.att_gt["group"]])

    def aggregate(self, kind: str = "simple") -> AggregateResult:
        """Aggregate ATT(g,t) as R ``did::aggte(type=kind)``.

        ``kind`` is ``"simple"`` (post-treatment cells weighted by cohort size),
        ``"group"``, ``"dynamic"`` (event time) or ``"calendar"``.
        """
        cells = self.att_gt
        index, est, infs, overall, inf_overall = aggregate_cells(
            kind,
            cells["att"].to_numpy(),
            self.influence,
            cells["group"].to_numpy(),
            cells["time"].to_numpy(),
            self._pg(),
            self.unit_cohort,
        )
        se = analytic_se(infs, self.clusters) if infs.shape[1] else np.array([])
        se_all = analytic_se(inf_overall[:, None], self.clusters)[0]
        z = stats.norm.ppf(1 - self.alpha / 2)
        se_boot = np.full(len(index), np.nan)
        crit, se_boot_all = np.nan, np.nan
        if self.bootstrap is not None:
            if len(index):
                se_boot, crit = multiplier_bootstrap(infs, self.bootstrap, self.alpha)
            se_boot_all = multiplier_bootstrap(inf_overall[:, None], self.bootstrap, self.alpha)[0][
                0
            ]
        key = {"dynamic": "event_time", "group": "group", "calendar": "time"}.get(kind)
        frame = pd.DataFrame(
            {
                key or "index": index,
                "att": est,
                "se": se,
                "conf_low": est - z * se,
                "conf_high": est + z * se,
                "se_boot": se_boot,
                "band_low": est - crit * se_boot,
                "band_high": est + crit * se_boot,
            }
        )
        vcov = None
        if len(index):
            sums = infs if self.clusters is None else cluster_sums(infs, self.clusters)
            labels = pd.Index(index, name=key)
            vcov = pd.DataFrame(sums.T @ sums / infs.shape[0] ** 2, index=labels, columns=labels)
        return AggregateResult(
            kind,
            overall,
            float(se_all),
            frame,
            crit,
            self.alpha,
            inf_overall,
            float(se_boot_all),
            vcov,
            self.base_period,
            self.anticipation,
        )

    def tidy(self) -> pd.DataFrame:
        """One row per cell, ``term`` = ``ATT(g,t)``; columns as every ``tidy``."""
        c = self.att_gt
        terms = [f"ATT({g:g},{t:g})" for g, t in zip(c["group"], c["time"], strict=True)]
        return _tidy_frame(terms, c["att"], c["se"], self.alpha)

    def summary(self) -> str:
        """A plain-text summary of the cells and the sample."""
        lines = [
            f"Callaway-Sant'Anna ATT(g,t): method={self.method}, "
            f"control={self.control_group}, base period={self.base_period}, "
            f"anticipation={self.anticipation}",
            f"Units: {self.n_units}; observations: {self.nobs}"
            + (f"; left out: {self.left_out}" if self.left_out else ""),
            self.att_gt.to_string(float_format=lambda v: f"{v:.6g}"),
        ]
        if not self.dropped.empty:
            lines.append("Cells not estimated:\n" + self.dropped.to_string())
        return "\n".join(lines + self.notes)

    def __repr__(self) -> str:
        return self.summary()


def _problems_varying(
    codes: np.ndarray, labels: list, values: np.ndarray, col: str, what: str
) -> list[Problem]:
    """Units (``codes`` into ``labels``, in order of appearance) whose ``values`` vary."""
    v = pd.factorize(values)[0]  # missing values get one code, -1
    first = np.empty(len(labels), dtype=v.dtype)
    first[codes[::-1]] = v[::-1]  # each unit's first value
    bad = np.unique(codes[v != first[codes]])
    return [Problem(f"{what} varies within unit {labels[b]!r}", column=col) for b in bad]


def _unit_codes(df: pd.DataFrame, unit: str) -> tuple[np.ndarray, list]:
    codes, uniques = pd.factorize(df[unit].to_numpy(), use_na_sentinel=False)
    return codes, list(np.asarray(uniques).tolist())


def _is_sorted(u: np.ndarray, t: np.ndarray) -> bool:
    """Whether rows are sorted by unit then strictly by time (numeric units only)."""
    if not np.issubdtype(u.dtype, np.number):
        return False
    return bool(np.all((u[1:] > u[:-1]) | ((u[1:] == u[:-1]) & (t[1:] > t[:-1]))))


def _checked_options(
    control_group: str, method: str, base_period: str, anticipation: int
) -> str:
    """The control group's canonical name; a ValueError for any option out of its menu."""
    control = _CONTROL.get(control_group)
    if control is None:
        raise ValueError("control_group must be 'notyet' or 'never'")
    if method not in ("dr", "ipw", "reg"):
        raise ValueError("method must be 'dr', 'ipw' or 'reg'")
    if base_period not in ("varying", "universal"):
        raise ValueError("base_period must be 'varying' or 'universal'")
    if anticipation < 0:
        raise ValueError("anticipation must be non-negative")
    return control


def _checked_frame(
    data: pd.DataFrame,
    unit: str,
    time: str,
    cohort: str,
    outcome: str,
    covs: list[str],
    clustervar: str | None,
    treated: str | None,
) -> pd.DataFrame:
    """The needed columns, copied and checked (every problem listed in one DataError).

    Columns exist and are numeric; cohort (missing = never treated) and
    cluster are constant within units; no unit-time pair repeats; a 0/1
    treatment, if given, never switches off and agrees with the cohort.
    """
    needed = [unit, time, cohort, outcome, *covs]
    needed += [c for c in (clustervar, treated) if c is not None]
    missing_cols = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if missing_cols:
        raise DataError([Problem("column not found", column=c) for c in missing_cols])
    # a column-wise copy: much cheaper than DataFrame.copy on mixed dtypes
    df = pd.DataFrame(
        {c: data[c].to_numpy(copy=True) for c in dict.fromkeys(needed)},
        index=data.index,
        copy=False,
    )
    problems: list[Problem] = []
    for col in [time, cohort, outcome, *covs]:
        if not pd.api.types.is_numeric_dtype(df[col]):
            problems.append(Problem("must be numeric", column=col))
    if problems:
        raise DataError(problems)
    df[cohort] = df[cohort].astype("float64").fillna(0.0)
    df[time] = df[time].astype("float64")
    codes, labels = _unit_codes(df, unit)
    problems += _problems_varying(codes, labels, df[cohort].to_numpy(), cohort, "cohort")
    if clustervar is not None:
        problems += _problems_varying(
            codes, labels, df[clustervar].to_numpy(), clustervar, "cluster variable"
        )
    t_codes, t_uniq = pd.factorize(df[time].to_numpy())
    if np.bincount(codes.astype(np.int64) * (len(t_uniq) + 1) + t_codes + 1).max() > 1:
        dup = df.duplicated([unit, time], keep="first")
        problems += [
            Problem(f"duplicate unit and time ({u!r}, {t:g})", row=int(i))
            for i, u, t in zip(
                np.flatnonzero(dup), df.loc[dup, unit], df.loc[dup, time], strict=True
            )
        ]
    if treated is not None:
        s = df.sort_values([unit, time])
        d = s[treated].astype(float)
        off = (d.groupby(s[unit], sort=False).diff() < 0).groupby(s[unit], sort=False).any()
        problems += [
            Problem(f"treatment switches off in unit {u!r}", column=treated) for u in off.index[off]
        ]
        expect = ((s[cohort] > 0) & (s[time] >= s[cohort])).astype(float)
        bad = (expect != d) & d.notna()
        problems += [
            Problem(f"treatment disagrees with cohort in unit {u!r}", column=treated)
            for u in pd.unique(s.loc[bad, unit])
            if u not in set(off.index[off])
        ]
    if (df[cohort] < 0).any():
        problems.append(Problem("negative cohort values", column=cohort))
    if problems:
        raise DataError(problems)
    return df


def _estimation_sample(
    df: pd.DataFrame,
    unit: str,
    time: str,
    cohort: str,
    outcome: str,
    covs: list[str],
    control: str,
    anticipation: int,
    allow_unbalanced_panel: bool,
) -> tuple[pd.DataFrame, dict[str, int], list[str]]:
    """The rows estimated, with the count left out per reason and the notes (module rules)."""
    left_out: dict[str, int] = {}
    notes: list[str] = []
    values = np.column_stack(
        [df[c].to_numpy(dtype=float, na_value=np.nan) for c in [outcome, *covs]]
    )
    miss = pd.Series(~np.isfinite(values).all(axis=1), index=df.index)
    if miss.any():
        left_out["missing outcome or covariate"] = int(miss.sum())
        df = df.loc[~miss]

    def drop(mask: pd.Series, reason: str) -> None:
        nonlocal df
        if mask.any():
            left_out[reason] = left_out.get(reason, 0) + int(mask.sum())
            df = df.loc[~mask]

    for _ in range(5):
        tlist = np.sort(df[time].unique())
        if len(tlist) < 2:
            raise DataError("fewer than two periods remain; no comparison is possible")
        late = df[cohort] > tlist[-1] + anticipation
        if late.any():
            notes.append(
                f"{df.loc[late, unit].nunique()} unit(s) adopting after the last "
                "period are counted as never treated"
            )
            df.loc[late, cohort] = 0.0
        drop(
            (df[cohort] > 0) & (df[cohort] <= tlist[0] + anticipation),
            "units treated in or before the first period",
        )
        if not (df[cohort] == 0).any():
            if control == "never":
                raise DataError(
                    "control_group='never' but no unit is never treated; use control_group='notyet'"
                )
            gmax = df[cohort].max()
            drop(
                df[time] >= gmax - anticipation,
                "periods from the last adoption on (no comparison units)",
            )
        codes = _unit_codes(df, unit)[0]
        counts = np.bincount(codes)[codes]
        n_periods = len(np.unique(df[time].to_numpy()))
        if allow_unbalanced_panel or (counts == n_periods).all():
            break
        drop(
            pd.Series(counts != n_periods, index=df.index),
            "units not observed in every period (unbalanced panel)",
        )
    if df.empty:
        raise DataError("no observations remain")

    if not _is_sorted(df[unit].to_numpy(), df[time].to_numpy()):
        df = df.sort_values([unit, time], kind="stable")
    return df, left_out, notes


@dataclass
class _PanelLayout:
    """Periods, units and cohorts of the estimation sample (sorted by unit and time)."""

    tlist: np.ndarray
    unit_idx: np.ndarray
    units: np.ndarray
    first_row: np.ndarray
    unit_cohort: np.ndarray
    glist: np.ndarray

    @property
    def n(self) -> int:
        return len(self.units)

    @classmethod
    def of(
        cls,
        df: pd.DataFrame,
        unit: str,
        time: str,
        cohort: str,
        anticipation: int,
        notes: list[str],
    ) -> _PanelLayout:
        """The layout; the cohorts estimated have a pre-period and a comparison group."""
        tlist = np.sort(df[time].unique())
        unit_idx, units = pd.factorize(df[unit].to_numpy(), sort=False)
        units = np.asarray(units)
        first_row = np.flatnonzero(np.r_[True, unit_idx[1:] != unit_idx[:-1]])
        unit_cohort = df[cohort].to_numpy()[first_row]
        glist = np.unique(unit_cohort[unit_cohort > 0])
        if not (unit_cohort == 0).any():
            notes.append(
                f"no never-treated units: cohort {glist[-1]:g} serves only as a comparison group"
            )
            glist = glist[:-1]
        glist = glist[glist > tlist[0] + anticipation]
        if glist.size == 0:
            raise DataError("no treated cohort with a pre-treatment period and a comparison group")
        return cls(tlist, unit_idx, units, first_row, unit_cohort, glist)


def _estimate_cells(
    df: pd.DataFrame,
    layout: _PanelLayout,
    time: str,
    outcome: str,
    covs: list[str],
    method: str,
    control: str,
    anticipation: int,
    base_period: str,
    notes: list[str],
) -> Any:
    """Every ATT(g,t) cell: panel estimators when balanced, repeated cross sections if not."""
    tlist, unit_cohort, glist = layout.tlist, layout.unit_cohort, layout.glist
    n, n_t = layout.n, len(tlist)
    if len(df) == n * n_t:  # balanced
        y = df[outcome].to_numpy(dtype=float).reshape(n, n_t)
        x = np.ones((n, n_t, 1 + len(covs)))
        if covs:
            x[:, :, 1:] = df[covs].to_numpy(dtype=float).reshape(n, n_t, len(covs))
        cells = group_time_effects(
            y,
            x,
            unit_cohort,
            tlist,
            glist,
            method=method,
            control_group=control,
            anticipation=anticipation,
            base_period=base_period,
        )
    else:
        notes.append(
            "unbalanced panel: cells estimated as repeated cross sections "
            "(allow_unbalanced_panel=True), influence functions summed by unit"
        )
        x = np.ones((len(df), 1 + len(covs)))
        if covs:
            x[:, 1:] = df[covs].to_numpy(dtype=float)
        row_time = np.searchsorted(tlist, df[time].to_numpy())
        cells = group_time_effects_rc(
            df[outcome].to_numpy(dtype=float),
            x,
            layout.unit_idx,
            row_time,
            unit_cohort,
            tlist,
            glist,
            method=method,
            control_group=control,
            anticipation=anticipation,
            base_period=base_period,
        )
    if cells.att.size == 0:
        raise DataError(
            "no ATT(g,t) cell could be estimated: "
            + "; ".join(f"({g:g},{t:g}): {r}" for g, t, r in cells.dropped)
        )
    return cells


def _att_table(
    cells: Any, se: np.ndarray, se_boot: np.ndarray, crit: float, alpha: float
) -> pd.DataFrame:
    """One row per ATT(g,t) cell: estimate, pointwise interval, bootstrap band."""
    z = stats.norm.ppf(1 - alpha / 2)
    return pd.DataFrame(
        {
            "group": cells.group,
            "time": cells.time,
            "event_time": cells.time - cells.group,
            "att": cells.att,
            "se": se,
            "conf_low": cells.att - z * se,
            "conf_high": cells.att + z * se,
            "se_boot": se_boot,
            "band_low": cells.att - crit * se_boot,
            "band_high": cells.att + crit * se_boot,
            "post": cells.group <= cells.time,
            "n": cells.n_cell,
        }
    )


def staggered_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control_group: str = "notyet",
    method: str = "dr",
    covariates: Sequence[str] | None = None,
    anticipation: int = 0,
    base_period: str = "varying",
    bootstrap: bool = True,
    reps: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
    clustervar: str | None = None,
    treated: str | None = None,
    boot_weights: str = "rademacher",
    allow_unbalanced_panel: bool = False,
) -> GroupTimeResult:
    r"""Callaway and Sant'Anna (2021) group-time ATT(g,t) for staggered adoption.

    .. math::

        ATT(g,t) = E[Y_t - Y_{g-\delta-1} \mid G=g]
                 - E[Y_t - Y_{g-\delta-1} \mid C_{g,t}]

    for post-treatment cells, estimated by doubly robust (``"dr"``, Sant'Anna and
    Zhao 2020, R ``DRDID::drdid_panel``), IPW or outcome-regression 2x2
    estimators conditional on covariates; :math:`C_{g,t}` are the never-treated
    units or (``"notyet"``) also those not yet treated by :math:`t+\delta`.

    Variance: the standard errors are those of the influence functions
    :math:`\psi_i` of the unit-level estimators,
    :math:`\widehat{\mathrm{se}} = \sqrt{\sum_c \big(\sum_{i \in c} \psi_i\big)^2}/n`
    over clusters :math:`c` (the units, or ``clustervar``), with no
    small-sample factor, as R ``did``; intervals are normal (pointwise) or
    from the multiplier bootstrap (simultaneous). The variance menu
    (``vcov=``) does not apply.

    Parameters
    ----------
    data
        Long panel, one row per unit and period.
    outcome, unit, time
        Column names; ``time`` numeric (e.g. years). Counts are allowed.
    cohort
        First treated period of the unit; 0 or NaN for never treated.
    control_group
        ``"notyet"`` (never and not-yet treated) or ``"never"``.
    method
        ``"dr"``, ``"ipw"`` or ``"reg"``.
    covariates
        Column names of covariates (taken in the earlier period of each 2x2).
        Column names are used as names here, never evaluated as Python code.
    anticipation
        Periods :math:`\delta` of anticipation.
    base_period
        ``"varying"`` or ``"universal"`` (as R ``did``).
    bootstrap, reps, seed, boot_weights
        Multiplier bootstrap for simultaneous bands: ``reps`` draws of
        Rademacher (R ``did``'s choice) or ``"mammen"`` weights, reproducible
        with ``seed``. Standard errors in ``se`` are always the analytic
        influence-function ones; ``se_boot`` holds the bootstrap ones.
    alpha
        1 - confidence level.
    clustervar
        Cluster (time-invariant, coarser than units) for SEs and bootstrap;
        default: the unit.
    allow_unbalanced_panel
        Keep units not observed in every period and, on an unbalanced panel, use
        the repeated-cross-section 2x2 estimators (R ``did``'s
        ``allow_unbalanced_panel=TRUE``); default: drop such units.
    treated
        Optional 0/1 treatment column checked for consistency: treatment that
        switches off, or disagrees with ``cohort``, is a
        :class:`~massincidents.DataError`.

    Returns
    -------
    GroupTimeResult

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(500, 8, seed=2, policy_effect=0.5, sigma_noise=0.2)
    >>> res = mi.staggered_did(df, outcome="y_linear", unit="province", time="year",
    ...                        cohort="cohort", bootstrap=False)
    >>> agg = res.aggregate("simple")
    >>> bool(abs(agg.overall_att - 0.5) < 3 * agg.overall_se)
    True
    """
    control = _checked_options(control_group, method, base_period, anticipation)
    covs = list(covariates or [])
    df = _checked_frame(data, unit, time, cohort, outcome, covs, clustervar, treated)
    df, left_out, notes = _estimation_sample(
        df, unit, time, cohort, outcome, covs, control, anticipation, allow_unbalanced_panel
    )
    layout = _PanelLayout.of(df, unit, time, cohort, anticipation, notes)
    cells = _estimate_cells(
        df, layout, time, outcome, covs, method, control, anticipation, base_period, notes
    )
    clusters = None
    if clustervar is not None:
        clusters = pd.factorize(df[clustervar].to_numpy()[layout.first_row])[0]
    se = analytic_se(cells.influence, clusters)
    spec = None
    se_boot = np.full(cells.att.size, np.nan)
    crit = np.nan
    if bootstrap:
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        spec = BootstrapSpec(
            int(reps),
            int(seed),
            boot_weights,
            clusters if clusters is not None else np.arange(layout.n),
        )
        se_boot, crit = multiplier_bootstrap(cells.influence, spec, alpha)
    att_gt = _att_table(cells, se, se_boot, crit, alpha)
    dropped = pd.DataFrame(cells.dropped, columns=["group", "time", "reason"])
    if not dropped.empty:
        notes.append(f"{len(dropped)} ATT(g,t) cell(s) not estimated: see .dropped")
    return GroupTimeResult(
        att_gt=att_gt,
        influence=cells.influence,
        units=layout.units,
        unit_cohort=layout.unit_cohort,
        method=method,
        control_group=control,
        base_period=base_period,
        anticipation=anticipation,
        alpha=alpha,
        crit_value=crit,
        n_units=layout.n,
        nobs=len(df),
        left_out=left_out,
        dropped=dropped,
        notes=notes,
        bootstrap=spec,
        clusters=clusters,
    )
