r"""Cox proportional hazards regression for counting-process data.

.. math::

    \lambda_i(t) = Y_i(t)\, \lambda_{0s}(t)\, \exp(x_i(t)'\beta),
    \qquad Y_i(t) = [\,a_i < t \le b_i\,],

with each row an interval :math:`(a_i, b_i]` of a unit (time-varying
covariates are constant within a row) and :math:`s` the stratum, whose
baseline hazard :math:`\lambda_{0s}` is left unspecified. :math:`\beta`
maximises the log partial likelihood (Efron or Breslow ties; see
:mod:`massincidents.survival.partial_likelihood`). One call covers:

=======================  ===================================================
design                   call
=======================  ===================================================
time-varying covariates  ``cox(rhs, d, start="start", stop="stop", event="e")``
Andersen-Gill            the same, one row per gap between events,
                         ``cluster="id"``
PWP total time           ``start=, stop=, strata="enum", cluster="id"``
PWP gap time             ``stop="gap"`` (time since the previous event),
                         ``strata="enum", cluster="id"``
WLW                      ``stop=`` (time from 0 for every event number),
                         ``strata="enum", cluster="id"``
shared frailty           ``frailty={"cluster": "province"}``
=======================  ===================================================

The data builders of :mod:`massincidents.survival.recurrent` write these layouts.

Variance. By default the inverse information; with ``cluster=`` the robust
sandwich :math:`\mathcal I^{-1}(\sum_g L_g L_g')\mathcal I^{-1}` of the score
residuals :math:`L_i` summed by cluster (Lin and Wei 1989), with no
small-sample factor: exactly R ``coxph(..., cluster = id)``'s ``var``
(``{"CRV0": id}`` on the variance menu). ``vcov={"CRV1": "province"}`` adds
:math:`G/(G-1)`; ``"hetero"`` is R's ``robust = TRUE`` times :math:`n/(n-1)`.
With ``ssc="stata"`` the clustered default is Stata's ``stcox, vce(cluster id)``,
:math:`G/(G-1)` times R's (:mod:`massincidents.survival.conventions`).

Other software. On the same data the numbers agree with R ``survival`` to
machine precision (coefficients, model-based and robust variances, log
partial likelihoods, concordance, ``cox.zph``; see
``tests/reference/survival_cox.R``). lifelines 0.30 and statsmodels 0.15 were
checked on the same CSVs (rossi, heart, bladder2):

* lifelines ``CoxPHFitter`` (rossi): coefficients within 5e-8 relative, SE
  within 1e-8, the same log-likelihood. It has Efron ties only. Its
  ``robust=True`` sandwich ignores ties (its documentation says so): on rossi,
  whose weekly times tie heavily, its robust SE differ from R's
  ``robust = TRUE`` (and ours) by up to 3.5%.
* lifelines ``CoxTimeVaryingFitter`` (heart, bladder2): coefficients within
  2e-12, SE within 4e-8 of the *model-based* SE. It has no robust or clustered
  variance, so for Andersen-Gill, PWP or WLW data its SE ignore the dependence
  of a unit's events: on bladder2 they are 25% below R's ``cluster(id)`` SE.
* statsmodels ``PHReg`` (rossi, either ``ties``): coefficients and SE within
  1e-13. With ``entry=`` it counts a row as at risk at :math:`t \ge` entry,
  not :math:`t >` entry as R and we do (the counting-process convention), so a
  unit whose next interval starts at an event time is in that risk set twice:
  on heart its coefficients differ from R's by up to a factor 4.4, on bladder2
  by 5%; with ``entry = start + 1e-7`` they agree to 1e-12. Its
  ``fit(groups=)`` robust variance uses Breslow score residuals whatever
  ``ties`` (0.6% from R's Efron robust SE on rossi, exact for Breslow), and
  with delayed entry its score residuals can be wrong: on bladder2 they do not
  add up to the score, and its clustered SE differ from R's by up to 30%.

Frailty: see :mod:`massincidents.survival.frailty`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from massincidents.core.design import Design, as_frame, build_design
from massincidents.errors import DataError, Problem
from massincidents.inference.conventions import SmallSample
from massincidents.inference.vcov import VcovChoice, compute_vcov, parse_vcov
from massincidents.results import Result
from massincidents.results.prediction import NewData, Prediction
from massincidents.results.sample import LazyValue, SampleColumns
from massincidents.survival import cox_checks
from massincidents.survival.concordance import LazyStats, concordance_index
from massincidents.survival.conventions import (
    default_cox_vcov,
    survival_convention,
    with_convention,
)
from massincidents.survival.frailty import fit_gamma_frailty
from massincidents.survival.partial_likelihood import (
    CoxTerms,
    InfiniteCoefficientWarning,
    NewtonFit,
    newton_raphson,
    score_residuals,
)
from massincidents.survival.risksets import RiskSets, build_risk_sets

COX_KEY = "cox"
MODEL_BASED = "model-based (inverse information)"


@dataclass(frozen=True)
class CoxFitData:
    """What :func:`~massincidents.survival.zph.cox_zph` needs from a fit (``extra["cox"]``)."""

    risk_sets: RiskSets
    X: np.ndarray
    names: list[str]
    beta: np.ndarray
    terms: CoxTerms
    stop: np.ndarray
    start: np.ndarray | None
    frailty: bool
    term_columns: Callable[[], dict[str, list[int]]]


@dataclass(frozen=True, eq=False)
class CoxVariance:
    """The variance menu on a Cox fit (``Result.with_vcov``); it pickles.

    ``scores`` is ``None`` with frailty: only the model-based variance is defined.
    """

    sample: SampleColumns
    bread: np.ndarray
    scores: np.ndarray | None
    n_params: int
    fit_ssc: SmallSample

    def __call__(
        self, choice: object, ssc: str | SmallSample | None = None
    ) -> tuple[np.ndarray, float | None, str]:
        convention = self.fit_ssc if ssc is None else survival_convention(ssc)
        spec = parse_vcov(choice)
        if self.scores is None and spec.kind != "iid":
            raise ValueError("with frailty only the model-based variance ('iid') is available")
        if spec.kind == "iid":
            return self.bread.copy(), None, with_convention(MODEL_BASED, convention)
        matrix, df = compute_vcov(
            spec,
            bread=self.bread,
            scores=self.scores,  # type: ignore[arg-type]
            family="ml",
            n_params=self.n_params,
            columns=self.sample.for_spec(spec),
        )
        label = spec.label
        if spec.kind == "CRV0":
            label += " (robust, as R coxph cluster=)"
        return matrix, df, with_convention(label, convention)


def _term_columns(rhs: str, sample: SampleColumns, names: list[str]) -> dict[str, list[int]]:
    """Columns of the design by formula term (for :func:`cox_zph`'s per-term tests)."""
    if all(name.isidentifier() for name in names):
        return {name: [j] for j, name in enumerate(names)}
    from massincidents.core.design import formula_matrix

    spec = formula_matrix(rhs, sample.rows).model_spec
    columns = list(spec.column_names)
    out: dict[str, list[int]] = {}
    for term, idx in spec.term_indices.items():
        cols = [names.index(columns[i]) for i in idx if columns[i] in names]
        if cols:
            out[str(term)] = cols
    return out


def _quote(name: str) -> str:
    return name if name.isidentifier() else f"`{name}`"


def _rhs(formula_rhs: str) -> str:
    text = formula_rhs.strip()
    if text.startswith("~"):
        text = text[1:].strip()
    if "~" in text:
        raise ValueError(
            f"give only the right-hand side ('x1 + x2'); time and event go in stop=/event=: "
            f"{formula_rhs!r}"
        )
    if "|" in text:
        raise ValueError("Cox models absorb no fixed effects: use strata= (or frailty=)")
    if not text:
        raise ValueError("the formula has no covariates")
    return text


def _frailty_spec(frailty: object) -> dict[str, Any] | None:
    if frailty is None:
        return None
    spec = {"cluster": frailty} if isinstance(frailty, str) else dict(frailty)  # type: ignore[call-overload]
    unknown = set(spec) - {"cluster", "theta", "sparse", "distribution"}
    if unknown or "cluster" not in spec:
        raise ValueError(
            "frailty= takes {'cluster': column} and optionally 'theta' (fixed variance), "
            f"'sparse' and 'distribution' ('gamma'); got {frailty!r}"
        )
    if spec.get("distribution", "gamma") != "gamma":
        raise ValueError("only the gamma frailty distribution is implemented")
    return spec


def _strata_columns(strata: str | Sequence[str] | None) -> list[str]:
    if strata is None:
        return []
    return [strata] if isinstance(strata, str) else list(strata)


def _stratum_codes(design_extra: dict[str, np.ndarray], names: list[str], n: int) -> np.ndarray:
    if not names:
        return np.zeros(n, dtype=np.int64)
    keys = pd.MultiIndex.from_arrays([design_extra[f"strata:{c}"] for c in names])
    return pd.factorize(keys, sort=True)[0].astype(np.int64)


def _roles(
    event: str,
    start: str | None,
    strata_cols: list[str],
    cluster: str | None,
    id: str | None,
    fspec: dict[str, Any] | None,
) -> dict[str, str]:
    """The columns besides the formula that the design carries, by role."""
    roles: dict[str, str] = {"event": event}
    if start is not None:
        roles["start"] = start
    for column in strata_cols:
        roles[f"strata:{column}"] = column
    for role, name in (("cluster", cluster), ("id", id)):
        if name is not None:
            roles[role] = name
    if fspec is not None:
        roles["frailty"] = fspec["cluster"]
    return roles


def _checked_events(
    design: Design,
    rows: np.ndarray,
    stop_v: np.ndarray,
    start_v: np.ndarray | None,
    stratum: np.ndarray,
    stop: str,
    start: str | None,
    event: str,
    id: str | None,
) -> np.ndarray:
    """The event indicator, after every check of events, times and overlaps (all listed)."""
    ids = design.extra.get("id")
    problems = cox_checks.event_indicator(design.extra["event"], rows, event)
    problems += cox_checks.check_times(
        stop=stop_v, start=start_v, rows=rows, stop_name=stop, start_name=start, ids=ids
    )
    if ids is not None:
        problems += cox_checks.check_overlaps(
            stop=stop_v, start=start_v, ids=ids, strata=stratum, rows=rows, id_name=str(id)
        )
    cox_checks.raise_if(problems)
    event_v = np.asarray(design.extra["event"], dtype=float) == 1.0
    if not event_v.any():
        raise DataError([Problem("no events in the rows used: nothing to estimate", column=event)])
    return event_v


def _fit_frailty(
    rs: RiskSets,
    X: np.ndarray,
    frailty_column: Any,
    fspec: dict[str, Any],
    beta: np.ndarray,
    terms: Any,
    stats: dict[str, float],
    notes: list[str],
) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray] | None:
    """The gamma frailty fit: ``(beta, terms, var_beta, eta)``, or ``None`` at theta = 0.

    ``stats`` and ``notes`` are updated in place as R ``coxph(... + frailty())`` reports.
    """
    groups = pd.factorize(pd.Series(frailty_column), sort=True)[0].astype(np.int64)
    n_groups = int(groups.max()) + 1
    sparse = fspec.get("sparse")
    sparse = n_groups > 5 if sparse is None else bool(sparse)
    frail_fit = fit_gamma_frailty(
        rs, X, groups, theta=fspec.get("theta"), sparse=sparse, init_beta=beta
    )
    stats["n_groups"] = float(n_groups)
    if frail_fit is None:
        stats.update(theta=0.0, loglik_integrated=terms.loglik)
        notes.append("the marginal likelihood is largest at theta = 0: no frailty")
        return None
    stats.update(
        loglik=frail_fit.terms.loglik,
        theta=frail_fit.theta,
        loglik_integrated=frail_fit.integrated_loglik,
        loglik_penalized=frail_fit.penalized_loglik,
    )
    stats.pop("iterations")
    notes.append(
        f"frailty variance theta = {frail_fit.theta:.6g} by "
        + ("maximum marginal likelihood" if fspec.get("theta") is None else "assumption")
        + f" over {n_groups} groups of {fspec['cluster']}"
    )
    eta = X @ frail_fit.beta + frail_fit.omega[groups]
    return frail_fit.beta, frail_fit.terms, frail_fit.var_beta, eta


def _centred_covariates(
    design: Design, stratum: np.ndarray
) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    """The covariates less their means, their names, the names dropped, and the means.

    Covariates constant within strata (or collinear) are dropped; only the centred
    copy is kept (memory).
    """
    keep_cols = [j for j, name in enumerate(design.names) if name != "Intercept"]
    X_raw, names, dropped = cox_checks.drop_absorbed(
        design.X[:, keep_cols], [design.names[j] for j in keep_cols], stratum
    )
    if not names:
        raise DataError([Problem("no covariate is left to estimate")])
    column_means = X_raw.mean(axis=0)
    return X_raw - column_means, names, dropped, column_means


def _newton_fit(
    rs: RiskSets, X: np.ndarray, names: list[str], eps: float, maxiter: int, notes: list[str]
) -> NewtonFit:
    """Newton-Raphson on the partial likelihood; a possibly infinite coefficient is named."""
    fit = newton_raphson(rs, X, eps=eps, maxiter=maxiter)
    if fit.infinite:
        which = ", ".join(names[j] for j in fit.infinite)
        warnings.warn(
            f"the log partial likelihood converged before {which}: the coefficient may be "
            "infinite (monotone likelihood, e.g. no events in one group)",
            InfiniteCoefficientWarning,
            stacklevel=3,
        )
        notes.append(f"coefficient(s) possibly infinite: {which}")
    return fit


def cox(
    formula_rhs: str,
    data: pd.DataFrame,
    *,
    stop: str,
    event: str,
    start: str | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    ties: str = "efron",
    frailty: Mapping[str, Any] | str | None = None,
    vcov: VcovChoice | None = None,
    id: str | None = None,
    eps: float = 1e-9,
    maxiter: int = 30,
    ssc: str | SmallSample | None = None,
) -> Result:
    r"""Cox proportional hazards with (start, stop] data, strata, clusters and frailty.

    .. math::

        \lambda_i(t) = Y_i(t)\,\lambda_{0s_i}(t)\,\exp(x_i(t)'\beta + \omega_{g(i)})

    (:math:`\omega` only with ``frailty``), estimated by maximising the
    (penalised) log partial likelihood.

    Parameters
    ----------
    formula_rhs
        Covariates, ``"x1 + x2"`` or ``"~ x1 + C(region)"`` (formulaic
        grammar, no intercept: the baseline hazard plays its part).
        Terms are evaluated as Python expressions (``np`` in scope): pass only trusted formulas.
    data
        One row per interval (per unit when there are no time-varying
        covariates); named index levels may be used as columns.
    stop, event
        Columns: interval end (event or censoring time) and the 0/1 event
        indicator at ``stop``.
    start
        Interval start (exclusive), for time-varying covariates, recurrent
        events and delayed entry; ``None``: at risk from time 0.
    strata
        Column(s) whose combinations get separate baseline hazards (event
        number for PWP and WLW).
    cluster
        Unit of dependence: the default variance becomes R's robust
        ``coxph(..., cluster = id)`` (``{"CRV0": cluster}``).
    ties
        ``"efron"`` (R's default) or ``"breslow"`` (Stata's and statsmodels').
    frailty
        ``{"cluster": "province"}``: shared gamma frailty, variance
        :math:`\theta` by maximum marginal likelihood, as R
        ``frailty(province, distribution = "gamma")``; add ``"theta": 0.5`` to
        fix it, ``"sparse": bool`` for how the variance treats the frailty
        block (default as R: sparse above 5 groups).
    vcov
        A choice from the variance menu overriding the default. Default:
        ``"iid"``, the inverse information :math:`\mathcal I^{-1}` (R
        ``vcov(coxph(...))``), or with ``cluster`` ``{"CRV0": cluster}``, the
        sandwich :math:`\mathcal I^{-1}(\sum_g L_g L_g')\mathcal I^{-1}` of
        the score residuals summed by cluster (Lin and Wei 1989) with no
        small-sample factor, as R ``coxph(..., cluster = id)``.
        ``{"CRV1": col}`` multiplies it by :math:`G/(G-1)`; ``"hetero"`` is
        R's ``robust = TRUE`` times :math:`n/(n-1)` (Stata's ``vce(robust)`` with one
        row per subject).
        Normal reference distribution.
    id
        Unit identifier: checks that a unit's intervals within a stratum do not
        overlap (and names the unit in error messages).
    eps, maxiter
        Convergence: relative change of the log partial likelihood, as R's
        ``coxph.control(eps = 1e-9, iter.max)``.
    ssc
        Small-sample convention of the default clustered variance: ``"R"``
        (default, ``coxph(..., cluster = g)``, no factor) or ``"stata"``
        (``stcox, vce(cluster g)``: :math:`G/(G-1)`, i.e. ``{"CRV1": g}``).
        Explicit ``vcov=`` choices mean the same under both (see
        :mod:`massincidents.survival.conventions`).

    Returns
    -------
    Result
        ``link="log"``: :meth:`~massincidents.results.Result.irr` gives hazard
        ratios :math:`e^\beta`. ``stats``: ``loglik``, ``loglik_null`` (at
        :math:`\beta = 0`), ``n_events``, ``concordance`` (Harrell's C),
        ``iterations``; with clusters ``n_clusters``; with frailty ``theta``,
        ``loglik_integrated`` (R's I-likelihood, maximised by :math:`\hat\theta`),
        ``loglik_penalized``, ``n_groups``.

    Raises
    ------
    DataError
        Events not 0/1, ``stop`` not after ``start``, negative or zero
        durations, overlapping intervals of a unit (with ``id``), no events.

    Warns
    -----
    InfiniteCoefficientWarning
        The likelihood converged while a coefficient kept growing.
    CoxConvergenceWarning
        Newton-Raphson did not converge.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import massincidents as mi
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000)
    >>> t = rng.exponential(1 / np.exp(0.5 * x))
    >>> d = pd.DataFrame({"x": x, "time": np.minimum(t, 2.0), "dead": (t < 2.0).astype(int)})
    >>> fit = mi.cox("x", d, stop="time", event="dead")
    >>> round(float(fit.params["x"]), 2), fit.vcov_label
    (0.5, 'model-based (inverse information)')
    >>> round(float(fit.irr().loc["x", "irr"]), 2)  # hazard ratio
    1.65
    """
    frame = as_frame(data)
    rhs = _rhs(formula_rhs)
    fit_ssc = survival_convention(ssc)
    fspec = _frailty_spec(frailty)
    strata_cols = _strata_columns(strata)
    roles = _roles(event, start, strata_cols, cluster, id, fspec)
    design = build_design(
        f"{_quote(stop)} ~ {rhs}", frame, extra=roles, intercept=True, drop_singletons=False
    )
    rows = np.flatnonzero(design.used)
    n = design.nobs
    stop_v = design.y
    start_v = None if start is None else np.asarray(design.extra["start"], dtype=float)
    stratum = _stratum_codes(design.extra, strata_cols, n)
    event_v = _checked_events(design, rows, stop_v, start_v, stratum, stop, start, event, id)

    X, names, dropped, column_means = _centred_covariates(design, stratum)
    rs = build_risk_sets(stop_v, event_v, start=start_v, strata=stratum, ties=ties)
    p = len(names)

    stats: LazyStats = LazyStats()
    notes = ["exp(coef) are hazard ratios: .irr() gives them with confidence intervals"]
    fit = _newton_fit(rs, X, names, eps, maxiter, notes)
    beta, terms, eta = fit.beta, fit.terms, X @ fit.beta
    stats["loglik"] = terms.loglik
    stats["loglik_null"] = fit.loglik_null
    stats["iterations"] = float(fit.iterations)
    bread = cox_checks.inverse_information(terms.information, names)
    model = "Cox PH" + (", stratified" if strata_cols else "")

    frail_fit = None
    if fspec is not None:
        model += " with gamma frailty"
        frail_fit = _fit_frailty(rs, X, design.extra["frailty"], fspec, beta, terms, stats, notes)
        if frail_fit is not None:
            beta, terms, bread, eta = frail_fit
    stats["n_events"] = float(rs.n_events)
    stats.defer("concordance", concordance_index, rs, eta)  # computed when first read
    if cluster is not None:
        stats["n_clusters"] = float(pd.Series(design.extra["cluster"]).nunique())
    scores = score_residuals(rs, X, terms) if frail_fit is None else None

    sample = SampleColumns(frame, design.used)
    revcov = CoxVariance(sample, bread, scores, p, fit_ssc)

    choice = vcov if vcov is not None else default_cox_vcov(cluster, fit_ssc)
    matrix, df, label = revcov(choice)

    return Result(
        model=f"{model} ({ties} ties)",
        formula=formula_rhs,
        params=pd.Series(beta, index=names),
        vcov=pd.DataFrame(matrix, index=names, columns=names),
        vcov_label=label,
        df_inference=df,
        nobs=n,
        left_out=dict(design.left_out),
        link="log",
        stats=stats,
        dropped={name: "constant within strata or collinear" for name in dropped},
        notes=notes,
        vcov_ssc=fit_ssc,
        extra={
            "ssc": fit_ssc,
            COX_KEY: CoxFitData(
                risk_sets=rs,
                X=X,
                names=names,
                beta=beta,
                terms=terms,
                stop=stop_v,
                start=start_v,
                frailty=frail_fit is not None,
                term_columns=LazyValue(_term_columns, rhs, sample, names),
            )
        },
        _revcov=revcov,
        _prediction=Prediction(  # x'b, relative to x = 0 (statsmodels; R centres at means)
            link="log",
            eta=X @ beta + float(column_means @ beta),  # = X_raw @ beta
            newdata=NewData(rhs=rhs, names=list(names), sample=sample),
            index=design.index,
        ),
    )
