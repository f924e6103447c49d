r"""The conventional two-way fixed-effects (TWFE) event study, and pre-trend tests.

For unit :math:`i` in adoption cohort :math:`g_i` (never-treated units have no
cohort) and period :math:`t`, with relative time :math:`e_{it} = t - g_i`,

.. math::

    y_{it} = \alpha_i + \gamma_t
        + \sum_{e \ne r} \beta_e \,\mathbf{1}\{\tilde e_{it} = e\}
        + x_{it}'\delta + \varepsilon_{it},

where :math:`r` is the omitted reference period (default :math:`-1`) and
:math:`\tilde e` is :math:`e` binned at the endpoints: with ``leads`` :math:`L`
and ``lags`` :math:`K`, :math:`\tilde e = -L` for every :math:`e \le -L` and
:math:`\tilde e = K` for every :math:`e \ge K`. The unit and period effects are
absorbed by :func:`massincidents.linear` (fixest's grammar), so the standard
errors come from the package's one variance menu.

Under staggered adoption with effects that vary across cohorts, the
:math:`\beta_e` are *not* averages of the cohort effects: each is contaminated
by effects at other relative times (Sun and Abraham, 2021). It is offered
here for comparison with :func:`massincidents.sun_abraham` and
:func:`massincidents.staggered_did`.

References
----------
Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event
studies with heterogeneous treatment effects. *Journal of Econometrics*
225(2), 175-199.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from massincidents.core.design import _drop_singletons, as_frame
from massincidents.core.least_squares import solve_symmetric
from massincidents.did.callaway_santanna import AggregateResult
from massincidents.errors import DataError, Problem
from massincidents.inference.conventions import SmallSample
from massincidents.inference.vcov import VcovChoice
from massincidents.linear.estimators import linear
from massincidents.linear.hausman import TestResult
from massincidents.results import Result

EVENT_PREFIX = "rel_time::"
EVENT_TABLE_COLUMNS = [
    "event_time",
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "reference",
    "binned",
]


@dataclass(frozen=True)
class StaggeredPanel:
    """A validated staggered-adoption panel.

    Attributes
    ----------
    frame
        The rows with complete unit, time and outcome (and covariates), with
        float columns ``_cohort`` (NaN when never treated) and ``_rel``
        (relative time, NaN when never treated).
    left_out
        Rows left out, by reason.
    first, last
        First and last period in the data.
    """

    frame: pd.DataFrame
    left_out: dict[str, int]
    first: float
    last: float


def term_name(event_time: int) -> str:
    """The term of relative time ``event_time``, fixest ``i()`` style: ``rel_time::-3``."""
    return f"{EVENT_PREFIX}{int(event_time)}"


def prepare_panel(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: list[str] | None = None,
    treated: str | None = None,
) -> StaggeredPanel:
    """Validate a staggered-adoption panel and add cohort and relative time.

    A cohort is the first treated period. Missing, ``0`` and values after the
    last period of the data mean "never treated" (the conventions of R ``did``,
    pyfixest and fixest). Every problem is collected into one
    :class:`~massincidents.errors.DataError`: missing columns, a non-numeric
    time or cohort, duplicated (unit, time) rows, a cohort that varies within a
    unit, and, when ``treated`` is given, treatment that switches off or
    disagrees with the cohort.
    """
    frame = as_frame(data)
    covariates = list(covariates or [])
    wanted = [outcome, unit, time, cohort, *covariates] + ([treated] if treated else [])
    missing = [c for c in dict.fromkeys(wanted) if c not in frame.columns]
    if missing:
        raise DataError([Problem("column not found in the data", column=c) for c in missing])
    problems: list[Problem] = []
    for column in (time, cohort):
        if not pd.api.types.is_numeric_dtype(frame[column]) and frame[column].notna().any():
            problems.append(Problem("must be numeric (periods as numbers)", column=column))
    if problems:
        raise DataError(problems)
    frame = frame.reset_index(drop=True)
    left_out: dict[str, int] = {}
    keep = np.ones(len(frame), dtype=bool)
    for column in dict.fromkeys([outcome, unit, time, *covariates]):
        miss = keep & frame[column].isna().to_numpy()
        if miss.any():
            left_out[f"missing value in {column}"] = int(miss.sum())
            keep &= ~miss
    frame = frame.loc[keep].copy()
    if frame.empty:
        raise DataError([Problem("no row has the outcome, unit, time and covariates")])

    tt = frame[time].astype(float)
    first, last = float(tt.min()), float(tt.max())
    g = pd.to_numeric(frame[cohort]).astype("Float64").astype(float)
    g = g.where(~((g == 0) | (g > last)), np.nan)
    frame["_cohort"] = g.to_numpy()
    frame["_time"] = tt.to_numpy()

    dup = frame.duplicated([unit, time], keep=False)
    if dup.any():
        for pos in np.flatnonzero(dup.to_numpy())[:20]:
            row = frame.iloc[pos]
            problems.append(
                Problem(f"(unit, time) = ({row[unit]!r}, {row[time]!r}) occurs more than once")
            )
    spread = frame.groupby(unit, sort=False)["_cohort"].agg(lambda s: s.nunique(dropna=False) > 1)
    for u in spread.index[spread.to_numpy()]:
        problems.append(
            Problem(f"the cohort varies within unit {u!r}; it must be constant", column=cohort)
        )
    if treated is not None:
        d = frame[treated]
        if d.isna().any() or not d.isin([0, 1, True, False]).all():
            problems.append(Problem("the treatment indicator must be 0/1", column=treated))
        else:
            ordered = frame.assign(_d=d.astype(int)).sort_values([unit, "_time"])
            off = ordered.groupby(unit, sort=False)["_d"].diff() < 0
            for u in ordered.loc[off.to_numpy(), unit].unique():
                problems.append(
                    Problem(
                        f"treatment switches off in unit {u!r}; designs here need "
                        "absorbing (staggered) treatment",
                        column=treated,
                    )
                )
            implied = (frame["_time"] >= frame["_cohort"]).astype(int)  # NaN cohort -> 0
            disagree = implied.to_numpy() != d.astype(int).to_numpy()
            if disagree.any() and not off.any():
                problems.append(
                    Problem(
                        f"{int(disagree.sum())} row(s) where the treatment indicator disagrees "
                        "with time >= cohort",
                        column=treated,
                    )
                )
    if problems:
        raise DataError(problems)
    frame["_rel"] = frame["_time"] - frame["_cohort"]
    return StaggeredPanel(frame=frame, left_out=left_out, first=first, last=last)


def drop_singletons(
    frame: pd.DataFrame, left_out: dict[str, int], *, unit: str, time: str
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Leave out, iteratively, rows alone in their unit or period (as ``linear`` would)."""
    codes = [pd.factorize(frame[c])[0] for c in (unit, time)]
    keep = _drop_singletons(codes, np.ones(len(frame), dtype=bool))
    if keep.all():
        return frame, left_out
    left_out = {**left_out, "singleton fixed-effect group": int((~keep).sum())}
    return frame.loc[keep], left_out


def _quote(name: str) -> str:
    return f"`{name}`"


def fit_with_dummies(
    frame: pd.DataFrame,
    dummies: dict[str, np.ndarray],
    *,
    outcome: str,
    unit: str,
    time: str,
    covariates: list[str],
    vcov: VcovChoice | None,
    ssc: str | SmallSample | None = None,
) -> Result:
    """``outcome ~ dummies + covariates | unit + time`` through :func:`massincidents.linear`."""
    block = pd.DataFrame(dummies, index=frame.index)
    work = pd.concat([frame.drop(columns=list(dummies), errors="ignore"), block], axis=1)
    rhs = " + ".join([*(_quote(n) for n in dummies), *(_quote(c) for c in covariates)])
    formula = f"{_quote(outcome)} ~ {rhs} | {unit} + {time}"
    return linear(formula, work, vcov=vcov, ssc=ssc)


class EventStudyResult(Result):
    """A :class:`~massincidents.results.Result` with an event-time table.

    ``extra["event"]`` holds the reference period and the binned endpoints.
    """

    def event_table(self, level: float = 0.95) -> pd.DataFrame:
        """One row per relative time, the omitted reference included (estimate 0).

        Columns ``event_time, term, estimate, std_error, statistic, p_value,
        conf_low, conf_high, reference, binned`` (``binned`` is True for an
        endpoint that pools all earlier or later relative times).
        """
        tidy = self.tidy(level)
        tidy = tidy[tidy["term"].str.startswith(EVENT_PREFIX)].copy()
        tidy["event_time"] = tidy["term"].str.slice(len(EVENT_PREFIX)).astype(int)
        info = self.extra.get("event", {})
        ref = info.get("reference")
        binned = set(info.get("binned", ()))
        tidy["reference"] = False
        if ref is not None:
            ref_row = {
                "term": term_name(ref),
                "event_time": int(ref),
                "estimate": 0.0,
                "std_error": np.nan,
                "statistic": np.nan,
                "p_value": np.nan,
                "conf_low": 0.0,
                "conf_high": 0.0,
                "reference": True,
            }
            tidy = pd.concat([tidy, pd.DataFrame([ref_row])], ignore_index=True)
        tidy["binned"] = tidy["event_time"].isin(binned)
        tidy = tidy.sort_values("event_time", kind="stable").reset_index(drop=True)
        return tidy[EVENT_TABLE_COLUMNS]


def event_study(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    leads: int | None = None,
    lags: int | None = None,
    bin_endpoints: bool = True,
    reference: int = -1,
    vcov: VcovChoice | None = None,
    covariates: list[str] | None = None,
    treated: str | None = None,
    ssc: str | SmallSample | None = None,
) -> EventStudyResult:
    r"""Conventional TWFE event study with binned endpoints.

    .. math::

        y_{it} = \alpha_i + \gamma_t
            + \sum_{e = -L,\ e \ne r}^{K} \beta_e \,\mathbf{1}\{\tilde e_{it} = e\}
            + x_{it}'\delta + \varepsilon_{it},
        \qquad
        \tilde e_{it} = \min\bigl(\max(t - g_i, -L), K\bigr),

    estimated by :func:`massincidents.linear` with ``unit`` and ``time``
    absorbed. Never-treated units get no relative-time dummy (they are pure
    controls, along with the reference period :math:`r` of treated units).

    Parameters
    ----------
    data
        A long panel (one row per unit and period).
    outcome, unit, time, cohort
        Column names. ``cohort`` is the first treated period of the unit;
        missing, ``0`` or later than the last period means never treated.
    leads, lags
        :math:`L` and :math:`K`: the window runs from :math:`-L` to
        :math:`K`. Default: the widest relative times observed (no binning).
    bin_endpoints
        True (default): relative times beyond the window are pooled into the
        endpoint dummies (:math:`-L` stands for :math:`e \le -L`, :math:`K`
        for :math:`e \ge K`). False: observations of treated units outside
        the window are left out (reported in ``left_out``) rather than
        silently pooled with the reference period.
    reference
        The omitted relative time, :math:`r = -1` by default.
    vcov
        The variance menu (default: CRV1 clustered by ``unit``, as fixest),
        with the least-squares factors of :func:`massincidents.linear`:
        :math:`\frac{G}{G-1}\frac{N-1}{N-K}`, the unit effects nested in the
        clusters not counted in :math:`K`, and a t reference distribution
        with :math:`G-1` degrees of freedom.
    covariates
        Time-varying controls :math:`x_{it}`, column names.
        Column names are used as names here, never evaluated as Python code.
    treated
        Optional 0/1 treatment column; checked to be absorbing and to agree
        with ``cohort``.
    ssc
        The small-sample convention of the regression's variance
        (``"R"``, ``"stata"``, ``"fixest"`` or ``mi.ssc(...)``; default: that
        of :func:`massincidents.linear`); ``"fixest"`` gives fixest's numbers.

    Returns
    -------
    EventStudyResult
        The common Result with terms ``rel_time::e`` (fixest ``i()`` names) and
        the covariates; :meth:`EventStudyResult.event_table` gives the tidy
        event-time table (reference row included, estimate 0).

    Raises
    ------
    DataError
        On a cohort that varies within a unit, duplicated (unit, time) rows,
        treatment that switches off, a window that excludes the reference, or
        no treated unit.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1, policy_effect=0.5)
    >>> es = mi.event_study(df, outcome="y_linear", unit="province", time="year",
    ...                     cohort="cohort", leads=4, lags=5)
    >>> list(es.params.index[:3])
    ['rel_time::-4', 'rel_time::-3', 'rel_time::-2']
    >>> table = es.event_table()
    >>> table.loc[table["reference"], "event_time"].tolist()
    [-1]
    """
    covariates = list(covariates or [])
    panel = prepare_panel(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        covariates=covariates,
        treated=treated,
    )
    frame, left_out = panel.frame, dict(panel.left_out)
    rel = frame["_rel"]
    if rel.notna().sum() == 0:
        raise DataError([Problem("no unit is ever treated: there is no event to study")])
    lo_obs, hi_obs = int(rel.min()), int(rel.max())
    low = -int(leads) if leads is not None else lo_obs
    high = int(lags) if lags is not None else hi_obs
    if (leads is not None and leads < 1) or (lags is not None and lags < 0):
        raise DataError([Problem("leads must be >= 1 and lags >= 0")])
    if not low <= reference <= high:
        raise DataError(
            [Problem(f"the reference period {reference} is outside the window [{low}, {high}]")]
        )
    binned: list[int] = []
    if bin_endpoints:
        if lo_obs < low:
            binned.append(low)
        if hi_obs > high:
            binned.append(high)
        rel = rel.clip(lower=low, upper=high)
    else:
        outside = (rel < low) | (rel > high)
        if outside.any():
            left_out["treated unit outside the event window"] = int(outside.sum())
            frame = frame.loc[~outside.to_numpy()]
            rel = rel.loc[~outside.to_numpy()]
    present = sorted(int(e) for e in rel.dropna().unique())
    dummies = {
        term_name(e): (rel == e).to_numpy(dtype=float) for e in present if e != int(reference)
    }
    fit = fit_with_dummies(
        frame,
        dummies,
        outcome=outcome,
        unit=unit,
        time=time,
        covariates=covariates,
        vcov=vcov,
        ssc=ssc,
    )
    merged = {**left_out, **fit.left_out}
    notes = list(fit.notes)
    if binned:
        notes.append(
            "Binned endpoints: "
            + ", ".join(f"{term_name(e)} pools e {'<=' if e < 0 else '>='} {e}" for e in binned)
        )
    notes.append(f"Reference period: e = {reference} (omitted)")
    return EventStudyResult(
        model="TWFE event study",
        formula=f"{outcome} ~ i(rel_time, ref={reference}) | {unit} + {time}",
        params=fit.params,
        vcov=fit.vcov,
        vcov_label=fit.vcov_label,
        df_inference=fit.df_inference,
        nobs=fit.nobs,
        left_out=merged,
        fixed_effects=fit.fixed_effects,
        link=fit.link,
        stats=fit.stats,
        dropped=fit.dropped,
        notes=notes,
        extra={
            **fit.extra,
            "event": {"reference": int(reference), "binned": binned, "window": (low, high)},
        },
        vcov_spec=fit.vcov_spec,
        vcov_ssc=fit.vcov_ssc,
        _revcov=fit._revcov,
    )


def pretrend_test(
    result: Result | AggregateResult, *, terms: list[str] | None = None
) -> TestResult:
    r"""Joint Wald test that every pre-period event-study coefficient is zero.

    .. math::

        W = \hat\beta_{\text{pre}}' \,\hat V_{\text{pre}}^{-1}\, \hat\beta_{\text{pre}}
            \;\sim\; \chi^2_{p} \text{ under } H_0: \beta_e = 0 \ \forall e < 0,

    over the :math:`p` estimated relative times :math:`e < 0` (the omitted
    reference excluded), with the result's own variance (use
    ``result.with_vcov(...)`` for another). For
    :func:`massincidents.sun_abraham` these are the interaction-weighted
    aggregates, with their joint variance.

    For the ``"dynamic"`` aggregation of :func:`massincidents.staggered_did`
    the test is over the Callaway-Sant'Anna pre-period effects
    :math:`\hat\theta(e)`, :math:`e < 0`, with their joint
    influence-function variance (``AggregateResult.vcov``); event times
    without a standard error (the base period of a universal base) are left
    out.

    Parameters
    ----------
    result
        From :func:`event_study` or :func:`massincidents.sun_abraham` (any
        Result with terms ``rel_time::e``), or the ``"dynamic"``
        aggregation of :func:`massincidents.staggered_did`.
    terms
        Test these terms instead of every ``rel_time::e`` with :math:`e < 0`
        (event-study results only).

    Returns
    -------
    TestResult
        ``statistic``, ``df`` (:math:`p`), ``pvalue`` (:math:`\chi^2_p`).

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=2)
    >>> es = mi.event_study(df, outcome="y_linear", unit="province", time="year",
    ...                     cohort="cohort", leads=3, lags=3)
    >>> test = mi.pretrend_test(es)
    >>> test.df, test.pvalue > 0.01
    (2, True)
    """
    if isinstance(result, AggregateResult):
        return _pretrend_aggregate(result, terms)
    if terms is None:
        terms = [
            t
            for t in result.params.index
            if t.startswith(EVENT_PREFIX) and int(t[len(EVENT_PREFIX) :]) < 0
        ]
    if not terms:
        raise ValueError("the result has no pre-period (rel_time::e with e < 0) coefficient")
    b = result.params.loc[terms].to_numpy()
    V = result.vcov.loc[terms, terms].to_numpy()
    return _wald(b, V, f"Pre-trend Wald test ({result.model}, {result.vcov_label})")


def _wald(b: np.ndarray, V: np.ndarray, method: str) -> TestResult:
    r""":math:`b'V^{-1}b` against :math:`\chi^2_p`, refusing a singular :math:`V`."""
    # A singular pre-period variance (e.g. a control cohort of one unit) has no
    # Wald statistic of full rank; solving it anyway returns numerical noise.
    scale = np.sqrt(np.abs(np.diag(V)))
    scale = np.where(scale > 0, scale, 1.0)
    rank = int(np.linalg.matrix_rank(V / np.outer(scale, scale)))  # rank on a unit diagonal
    if rank < len(b):
        raise ValueError(
            f"the variance of the {len(b)} pre-period coefficients has rank {rank}: "
            "the joint test is not identified (too few clusters or a control cohort of "
            "one unit); test fewer leads with terms=[...]"
        )
    stat = float(b @ solve_symmetric(V, b))
    return TestResult(
        statistic=stat, df=len(b), pvalue=float(stats.chi2.sf(stat, len(b))), method=method
    )


def _pretrend_aggregate(result: AggregateResult, terms: list[str] | None) -> TestResult:
    """The pre-trend test on a Callaway-Sant'Anna dynamic aggregation."""
    if terms is not None:
        raise ValueError("terms= applies to event-study results; the aggregation tests e < 0")
    if result.kind != "dynamic" or result.vcov is None:
        raise ValueError(
            f"a pre-trend test needs the 'dynamic' aggregation, got {result.kind!r}: "
            "use result.aggregate('dynamic')"
        )
    est = result.estimates
    pre = est[(est["event_time"] < 0) & est["se"].notna()]
    if pre.empty:
        raise ValueError("the aggregation has no pre-period event time with a standard error")
    e = pre["event_time"].to_numpy()
    V = result.vcov.loc[e, e].to_numpy()
    return _wald(
        pre["att"].to_numpy(),
        V,
        "Pre-trend Wald test (Callaway-Sant'Anna dynamic aggregation, influence function)",
    )
