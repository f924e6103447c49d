r"""Linear panel regression: pooled OLS and fixed effects absorbed in any number.

.. math::

    y_{it} = x_{it}'\beta + \alpha_i + \gamma_t + \varepsilon_{it}

``mi.linear("y ~ x1 + x2", data)`` is pooled OLS with an intercept;
``mi.linear("y ~ x1 + x2 | province + year", data)`` absorbs the fixed effects
listed after ``|`` (one-way, two-way, or more, and interactions ``a^b``). The
slopes are computed on the variables partialled out of the fixed effects
(Frisch-Waugh-Lovell), so the fixed effects are never estimated as dummies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from massincidents.core.demean import demean, fe_degrees_of_freedom
from massincidents.core.design import Design, as_frame, build_design, drop_collinear
from massincidents.core.least_squares import least_squares
from massincidents.errors import DataError, Problem
from massincidents.inference.bootstrap import BOOTSTRAP_KEY, LeastSquaresData
from massincidents.inference.conventions import SmallSample, convention_label, resolve_ssc
from massincidents.inference.vcov import VcovChoice, compute_vcov, parse_vcov
from massincidents.linear.transforms import (
    RandomMethod,
    differenced,
    intercept_position,
    panel_design,
    quasi_demeaned,
    unit_means,
    variance_components,
)
from massincidents.results import Result
from massincidents.results.prediction import from_design
from massincidents.results.sample import SampleColumns


def default_vcov(fixed_effects: tuple[str, ...]) -> object:
    """fixest's default: clustered by the first fixed effect, else iid."""
    if fixed_effects and "^" not in fixed_effects[0]:
        return {"CRV1": fixed_effects[0]}
    return "iid"


@dataclass(frozen=True, eq=False)
class LeastSquaresVariance:
    """The variance menu on a least-squares fit (``Result.with_vcov``); it pickles."""

    sample: SampleColumns
    bread: np.ndarray
    scores: np.ndarray
    n_params: int
    fe: list[np.ndarray]
    fe_dof: int
    sigma2: float
    fit_ssc: SmallSample
    leave_out: Any = None  # LeastSquaresLeaveOut for CV3 (mi.linear only)

    def __call__(
        self, choice: object, ssc: str | SmallSample | None = None
    ) -> tuple[np.ndarray, float | None, str]:
        convention = self.fit_ssc if ssc is None else resolve_ssc(ssc)
        spec = parse_vcov(choice)
        matrix, df = compute_vcov(
            spec,
            bread=self.bread,
            scores=self.scores,
            family="ls",
            n_params=self.n_params,
            fe=self.fe,
            fe_dof=self.fe_dof,
            columns=self.sample.for_spec(spec),
            sigma2=self.sigma2,
            ssc=convention,
            leave_out=self.leave_out,
        )
        return matrix, df, convention_label(spec.label, convention)


def fit_least_squares(
    design: Design,
    frame: pd.DataFrame,
    *,
    vcov: object,
    model: str,
    formula: str,
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    fe_dof: int | None = None,
    extra_stats: dict[str, float] | None = None,
    extra: dict[str, Any] | None = None,
    ssc: str | SmallSample | None = None,
    predictions: bool = False,
    jackknife: bool = False,
) -> Result:
    """Least squares on (already transformed) ``y`` and ``X``, with the variance menu.

    Used by :func:`linear` and by the panel transformations (between, first
    difference, random effects), which pass their transformed ``y`` and ``X``.
    ``ssc`` is the small-sample convention of the variance (``resolve_ssc``).
    ``predictions``: the design is the model's own (not transformed), so
    ``Result.predict`` and ``Result.fixef`` are defined. ``jackknife``: the
    leave-one-cluster-out estimates of ``y`` on ``X`` are those of the model
    (``vcov={"CV3": ...}`` and :func:`~massincidents.influence` are offered).
    """
    fit_ssc = resolve_ssc(ssc)
    X = design.X if X is None else X
    y = design.y if y is None else y
    names = list(design.names)
    norms_before = np.sqrt((X**2).sum(axis=0))
    absorbed = None
    if design.fe:
        # One call for y and X together: the fixed-effect groups are set up once.
        both = demean(np.column_stack([y, X]), design.fe)
        y, X = both[:, 0], both[:, 1:]
        absorbed = norms_before
    X, names, dropped = drop_collinear(X, names, absorbed=absorbed)
    if not names:
        raise DataError([Problem("no regressor is left to estimate")])
    solution = least_squares(X, y)
    beta, resid, bread = solution.beta, solution.resid, solution.bread
    n, k = X.shape
    if fe_dof is None:
        fe_dof = fe_degrees_of_freedom(design.fe)
    scores = X * resid[:, None]
    rss = float(resid @ resid)
    df_resid = n - k - fe_dof
    if df_resid <= 0:
        raise DataError(
            [Problem(f"no residual degrees of freedom ({n} rows, {k + fe_dof} parameters)")]
        )
    sigma2 = rss / df_resid

    sample = SampleColumns(frame, design.used)
    leave_out = None
    if jackknife:
        from massincidents.inference.jackknife import LeastSquaresLeaveOut

        leave_out = LeastSquaresLeaveOut(X, resid, beta, list(names), design.fe)
    revcov = LeastSquaresVariance(
        sample, bread, scores, k, design.fe, fe_dof, sigma2, fit_ssc, leave_out
    )
    matrix, df, label = revcov(vcov)
    y_raw = design.y
    tss = float(((y_raw - y_raw.mean()) ** 2).sum())
    fit_stats = {
        "r2": 1 - rss / tss if tss > 0 else float("nan"),
        "rss": rss,
        "sigma": float(np.sqrt(sigma2)),
    }
    if design.fe:
        tss_within = float((y**2).sum())
        fit_stats["r2_within"] = 1 - rss / tss_within if tss_within > 0 else float("nan")
    fit_stats.update(extra_stats or {})
    prediction = None
    if predictions:
        prediction = from_design(design, sample, names, y_raw - resid, link="identity")
    return Result(
        model=model,
        formula=formula,
        params=pd.Series(beta, index=names),
        vcov=pd.DataFrame(matrix, index=names, columns=names),
        vcov_label=label,
        df_inference=df,
        nobs=n,
        left_out=dict(design.left_out),
        fixed_effects=design.fe_names,
        link="identity",
        stats=fit_stats,
        dropped={name: "collinear" for name in dropped},
        condition_number=solution.condition_number,
        extra={
            BOOTSTRAP_KEY: LeastSquaresData(  # what mi.wild_bootstrap needs
                y=y,
                X=X,
                names=names,
                fe=design.fe,
                fe_dof=fe_dof,
                cluster=sample,
            ),
            "ssc": fit_ssc,
            **(extra or {}),
        },
        vcov_spec=parse_vcov(vcov),
        vcov_ssc=fit_ssc,
        _revcov=revcov,
        _prediction=prediction,
    )


def linear(
    formula: str,
    data: pd.DataFrame,
    *,
    vcov: VcovChoice | None = None,
    drop_singletons: bool = True,
    ssc: str | SmallSample | None = None,
) -> Result:
    r"""Pooled OLS, or OLS with absorbed fixed effects.

    .. math::

        y_{it} = x_{it}'\beta + \sum_{m} \alpha^{(m)}_{g_m(it)} + \varepsilon_{it}

    Parameters
    ----------
    formula
        fixest grammar: ``"y ~ x1 + x2"`` (pooled, with intercept) or
        ``"y ~ x1 + x2 | province + year"`` (two-way fixed effects absorbed).
        Categorical terms are coded as in the same model with the fixed
        effects as dummies: ``C(g)`` leaves out the first level of ``g``,
        ``C(g, Treatment(r))`` the level ``r``. fixest's ``i()`` makes event
        studies: ``i(rel, ref=-1)`` is a dummy for each level of ``rel`` but
        -1 (``ref`` may be a list), ``i(rel, treated, ref=-1)`` each dummy
        times the numeric ``treated``; columns are named as fixest and
        pyfixest name them (``rel::0``, ``rel::0:treated``). See
        :mod:`massincidents.core.formula`.
        Terms are evaluated as Python expressions (``np`` in scope): pass only trusted formulas.
    data
        A DataFrame; index levels named ``province``/``year`` (as
        :func:`read_panel` returns) can be used as columns.
    vcov
        A choice from the variance menu: ``"iid"``, ``"hetero"`` (HC1),
        ``{"CRV1": "province"}``, ``{"CRV1": "province+year"}``,
        ``{"CRV0": ...}``, ``{"DK": lags}``, ``{"CV3": "province"}`` (the
        cluster jackknife, in closed form; see
        :mod:`massincidents.inference.jackknife`). Default as fixest: clustered by
        the first fixed effect when there is one, else iid. CRV1 uses
        :math:`\frac{G}{G-1}\frac{N-1}{N-K}`; under the default ``ssc="R"``
        fixed effects nested in the clusters do not count in :math:`K` (R
        ``sandwich::vcovCL`` on the dummy regression less those levels, plm's
        ``vcovHC(type = "sss")`` on a within model); t reference with
        :math:`G-1` degrees of freedom.
    drop_singletons
        Leave out observations alone in a fixed-effect group (reported).
        Stata's ``xtreg, fe`` keeps them (``drop_singletons=False``), reghdfe
        and fixest drop them.
    ssc
        Small-sample convention of the variance: ``"R"`` (default),
        ``"stata"`` (``regress``; ``xtreg, fe`` and ``reghdfe``: a fixed effect
        nested in the clusters still counts one parameter, the reported
        constant; ``xtreg, fe vce(robust)`` is ``vcov={"CRV1": unit}``),
        ``"fixest"`` (``feols`` and pyfixest defaults), or :func:`mi.ssc(...)
        <massincidents.ssc>`. The table of factors is in
        :mod:`massincidents.inference.vcov`.

    Returns
    -------
    Result
        With ``stats`` ``r2``, ``r2_within`` (with fixed effects), ``rss``,
        ``sigma``; terms dropped for collinearity (for example a regressor
        absorbed by the fixed effects) in ``dropped``, with a
        :class:`~massincidents.core.design.CollinearityWarning`.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> fit = mi.linear("y_linear ~ x1 + x2 | province + year", df)
    >>> bool(abs(fit.params["x1"] - 0.3) < 3 * fit.bse["x1"]), fit.vcov_label  # truth: 0.3
    (True, 'CRV1 by province')

    An event study with fixest's ``i()``: event time binned at -3 and 3,
    never-treated provinces at the reference period -1.

    >>> df["rel"] = df["event_time"].fillna(-1).clip(-3, 3)
    >>> es = mi.linear("y_linear ~ i(rel, ref=-1) + x1 | province + year", df)
    >>> list(es.params.index)
    ['rel::-3', 'rel::-2', 'rel::0', 'rel::1', 'rel::2', 'rel::3', 'x1']
    """
    frame = as_frame(data)
    parsed_fe = build_design(formula, frame, drop_singletons=drop_singletons)
    choice = vcov if vcov is not None else default_vcov(parsed_fe.fe_names)
    return fit_least_squares(
        parsed_fe,
        frame,
        vcov=choice,
        model="OLS" if not parsed_fe.fe else "OLS, fixed effects absorbed",
        predictions=True,
        formula=formula,
        ssc=ssc,
        jackknife=True,
    )


# -- panel estimators: random effects, between, first differences (transformations in panel.py)

RE_NAMES = {
    "swar": "Swamy-Arora",
    "stata": "Swamy-Arora as Stata xtreg, re",
    "amemiya": "Amemiya",
    "walhus": "Wallace-Hussain",
    "nerlove": "Nerlove",
}


def random_effects(
    formula: str,
    data: pd.DataFrame,
    *,
    entity: str = "province",
    time: str = "year",
    vcov: VcovChoice = "iid",
    ssc: str | SmallSample | None = None,
    random_method: RandomMethod | None = None,
) -> Result:
    r"""Random-effects (feasible GLS) regression, as R ``plm(model="random")`` or ``xtreg, re``.

    .. math::

        y_{it} = z_{it}'\beta + u_i + \varepsilon_{it}, \qquad
        \operatorname{E}[u_i \mid z_{i1}, \dots, z_{iT_i}] = 0,

        y_{it} - \theta_i \bar y_i = (z_{it} - \theta_i \bar z_i)'\beta + \text{error},
        \qquad \theta_i = 1 - \sqrt{\hat\sigma^2_\varepsilon /
        (\hat\sigma^2_\varepsilon + T_i \hat\sigma^2_u)},

    by OLS on the quasi-demeaned data (the intercept column becomes
    :math:`1 - \theta_i`), with :math:`\hat\sigma^2_\varepsilon`,
    :math:`\hat\sigma^2_u` from :func:`massincidents.linear.transforms.variance_components`:
    by default Swamy-Arora as plm's ``random.method="swar"`` (its unbalanced
    formulas when the :math:`T_i` differ), under ``ssc="stata"`` as Stata's
    ``xtreg, re`` (the same on balanced panels, not on unbalanced ones).

    Parameters
    ----------
    formula, data
        ``"y ~ x1 + x2"`` (intercept unless ``- 1``; no ``|`` part) and a long
        panel (``entity`` and ``time`` may be index levels).
        Terms are evaluated as Python expressions (``np`` in scope): pass only trusted formulas.
    entity, time
        Unit and period columns; each (unit, period) must occur once.
    vcov
        A choice from the variance menu, default ``"iid"``
        (:math:`\hat\sigma^2 (Z^{*\prime}Z^*)^{-1}`,
        :math:`\hat\sigma^2 = RSS^*/(n - p)`, as ``vcov()`` of the plm model);
        ``"hetero"``, ``{"CRV1": ...}``, ``{"CRV0": ...}``, ``{"DK": lags}``
        are computed from the transformed regressors and residuals, as plm's
        ``vcovHC``/``vcovSCC`` on the fit (``type="sss"`` is CRV1,
        ``type="HC0"`` CRV0), with the least-squares factors of the menu
        (HC1 :math:`n/(n-p)`, CRV1 :math:`\frac{G}{G-1}\frac{n-1}{n-p}`,
        t reference distribution). Stata's ``xtreg, re vce(robust)`` and
        ``vce(cluster unit)`` are ``{"CRV1": entity}`` with ``ssc="stata"``.
    ssc
        Small-sample convention of the variance (see :func:`linear`);
        ``"stata"`` also selects Stata's variance components (``random_method``
        ``"stata"``) unless ``random_method`` is given.
    random_method
        ``"swar"`` (default), ``"amemiya"``, ``"walhus"``, ``"nerlove"`` (R
        plm's ``random.method``), or ``"stata"`` (``xtreg, re``).

    Returns
    -------
    Result
        ``stats``: ``sigma2_idios`` (:math:`\hat\sigma^2_\varepsilon`),
        ``sigma2_id`` (:math:`\hat\sigma^2_u`), ``theta`` when every unit has the
        same :math:`T_i` (else ``theta_min``, ``theta_median``, ``theta_mean``,
        ``theta_max`` over units), ``n_units``, and ``r2``, the squared
        correlation of the transformed response and its fit (plm's
        ``r.squared``). ``extra["theta"]``: :math:`\theta_i` by unit.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1, rho=0.0, sigma_year=0.0)
    >>> re = mi.random_effects("y_linear ~ x1 + x2 + treated", df)
    >>> round(float(re.params["x1"]), 2), round(re.stats["theta"], 3)
    (0.3, 0.481)
    >>> mi.random_effects("y_linear ~ x1 + x2", df, random_method="amemiya").model
    'Random effects (GLS, Amemiya)'
    """
    frame, design, panel = panel_design("random_effects", formula, data, entity, time)
    convention = resolve_ssc(ssc)
    if random_method is None:
        random_method = "stata" if convention.preset == "stata" else "swar"
    comp = variance_components(
        design.y, design.X, intercept_position(design), panel, random_method
    )
    star = quasi_demeaned(design, panel, comp.theta)
    theta = pd.Series(comp.theta, index=panel.labels, name="theta")
    stash = {"design": design, "index": panel, "entity": entity, "theta": comp.theta}
    stash["rows"] = frame.iloc[np.flatnonzero(design.used)]
    result = fit_least_squares(
        star,
        frame,
        vcov=vcov,
        model=f"Random effects (GLS, {RE_NAMES[random_method]})",
        formula=formula,
        extra_stats=comp.stats(panel),
        extra={"theta": theta, "panel": stash},
        ssc=ssc,
    )
    fitted = star.X[:, [star.names.index(n) for n in result.params.index]] @ result.params
    result.stats["r2"] = float(np.corrcoef(star.y, fitted)[0, 1] ** 2)  # plm: type = "cor"
    if comp.truncated:
        result.notes.append("sigma2_id was estimated negative and set to 0: theta = 0, pooled OLS")
    return result


def between(
    formula: str,
    data: pd.DataFrame,
    *,
    entity: str = "province",
    vcov: VcovChoice = "iid",
    ssc: str | SmallSample | None = None,
) -> Result:
    r"""Between estimator: OLS on unit means, as R ``plm(model="between")``.

    .. math::

        \bar y_i = \bar z_i'\beta + \bar u_i, \qquad i = 1, \dots, N,

    unweighted (each unit counts once, whatever its :math:`T_i`), with an
    intercept unless the formula has ``- 1``.

    Parameters
    ----------
    formula, data
        ``"y ~ x1 + x2"`` (no ``|`` part) and a long panel (``entity`` may be an
        index level).
        Terms are evaluated as Python expressions (``np`` in scope): pass only trusted formulas.
    entity
        Unit column.
    vcov
        Default ``"iid"`` (:math:`\hat\sigma^2 (\bar Z'\bar Z)^{-1}`,
        :math:`\hat\sigma^2 = RSS/(N - p)`, as plm); ``"hetero"`` (HC1 over
        units), or ``CRV0``/``CRV1`` by a column constant within units.
        Driscoll-Kraay does not apply (one row per unit).
    ssc
        Small-sample convention (see :func:`linear`); ``xtreg, be`` is the
        default ``"iid"`` under any preset.

    Returns
    -------
    Result
        ``nobs`` is the number of units :math:`N`; ``stats`` has ``n_units`` and
        ``n_rows`` (rows averaged); ``left_out`` the rows not averaged, by reason.

    Raises
    ------
    DataError
        When there are no more units than coefficients.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> fit = mi.between("y_linear ~ x1 + x2", df)
    >>> fit.nobs, int(fit.stats["n_rows"])
    (31, 620)
    """
    frame, design, panel = panel_design("between", formula, data, entity, None)
    spec = parse_vcov(vcov)
    unit_design, unit_frame = unit_means(design, frame, panel, spec, entity=entity)
    return fit_least_squares(
        unit_design,
        unit_frame,
        vcov=spec,
        model="Between (OLS on unit means)",
        formula=formula,
        ssc=ssc,
        extra_stats={"n_units": float(panel.n_units), "n_rows": float(design.nobs)},
    )


def first_difference(
    formula: str,
    data: pd.DataFrame,
    *,
    entity: str = "province",
    time: str = "year",
    vcov: VcovChoice = "iid",
    ssc: str | SmallSample | None = None,
) -> Result:
    r"""First-difference estimator, as R ``plm(model="fd")``.

    .. math::

        \Delta y_{it} = \delta + \Delta x_{it}'\beta + \Delta\varepsilon_{it}, \qquad
        \Delta z_{it} = z_{it} - z_{i,t-1},

    by OLS with an intercept :math:`\delta` (a linear trend in levels) unless
    the formula has ``- 1``. Regressors constant within units difference to
    zero and are dropped (with a warning).

    Differences are taken only between consecutive periods (whole-number
    times one apart, e.g. years; otherwise adjacent among all periods in the
    data). The first period of each unit, and each row whose preceding period
    is absent or incomplete, are lost to differencing and counted in
    ``left_out``. (plm differences consecutive *rows*, across gaps.)

    Parameters
    ----------
    formula, data
        ``"y ~ x1 + x2"`` (no ``|`` part) and a long panel (``entity`` and
        ``time`` may be index levels).
        Terms are evaluated as Python expressions (``np`` in scope): pass only trusted formulas.
    entity, time
        Unit and period columns; each (unit, period) must occur once.
    vcov
        As :func:`random_effects`, on the differenced data: default
        ``"iid"`` (:math:`\hat\sigma^2 = RSS/(n_\Delta - p)`, as plm),
        ``"hetero"``, CRV1/CRV0 (plm ``vcovHC`` ``type="sss"``/``"HC0"``),
        ``{"DK": lags}``.
    ssc
        Small-sample convention of the variance (see :func:`linear`).

    Returns
    -------
    Result
        ``nobs`` is the number of differences :math:`n_\Delta` used;
        ``left_out`` counts the rows lost to differencing, by reason.

    Raises
    ------
    DataError
        When no unit has two consecutive periods, or there are no more
        differences than coefficients.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> fd = mi.first_difference("y_linear ~ x1 + x2", df, vcov={"CRV1": "province"})
    >>> fd.nobs, fd.left_out
    (589, {'first period of a unit (lost to differencing)': 31})
    """
    frame, design, panel = panel_design("first_difference", formula, data, entity, time)
    fd = differenced(design, panel, entity=entity, time=time)
    return fit_least_squares(
        fd, frame, vcov=vcov, model="First differences", formula=formula, ssc=ssc
    )
