r"""``mi.iv``: instrumental-variables regression with absorbed fixed effects.

.. math::

    y_{it} = x_{1,it}'\beta_1 + x_{2,it}'\beta_2 + \sum_m \alpha^{(m)}_{g_m(it)}
    + u_{it}, \qquad
    x_{2,it} = \Pi_1'x_{1,it} + \Pi_2'z_{it} + \sum_m \gamma^{(m)}_{g_m(it)} + v_{it},

with :math:`x_2` the endogenous regressors (:math:`\operatorname{E}[x_{2}u] \ne
0`), :math:`x_1` the exogenous ones and :math:`z` the excluded instruments
(:math:`\operatorname{E}[zu] = 0`). The fixed effects are partialled out of
every variable first (Frisch-Waugh-Lovell, :func:`massincidents.core.demean.demean`,
as :func:`massincidents.linear` does), then 2SLS, LIML or two-step efficient
GMM is computed on the partialled data (:mod:`massincidents.iv.estimators`).

Why not linearmodels: its ``IV2SLS``/``IVLIML``/``IVGMM`` take no absorbed
fixed effects (partialling them out first leaves its degrees of freedom wrong:
it does not know the :math:`d_{FE}` absorbed), and its variances are not the
package's menu (two-way clustering, Driscoll-Kraay, fixed effects nested in the
clusters, the ``ssc=`` presets). The package uses linearmodels only to produce
reference numbers (``tests/reference/iv_linearmodels.py``).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from massincidents.core.demean import demean, fe_degrees_of_freedom
from massincidents.core.design import as_frame, drop_collinear
from massincidents.core.least_squares import least_squares
from massincidents.errors import DataError, Problem
from massincidents.inference.bootstrap import BOOTSTRAP_KEY, LeastSquaresData
from massincidents.inference.conventions import SmallSample, convention_label, resolve_ssc
from massincidents.inference.vcov import VcovChoice, VcovSpec, compute_vcov, parse_vcov
from massincidents.iv.data import IVData
from massincidents.iv.design import IVDesign, build_iv_design, check_identified
from massincidents.iv.estimators import IVFit, efficient_gmm, k_class, liml_kappa, two_sls
from massincidents.iv.statistics import ConfidenceSet, IVDiagnostics, IVTest
from massincidents.linear.estimators import LeastSquaresVariance, default_vcov
from massincidents.results import Result
from massincidents.results.prediction import from_design
from massincidents.results.sample import LazyValue, SampleColumns

Method = Literal["2sls", "liml", "gmm"]
METHODS = {"2sls": "2SLS", "liml": "LIML", "gmm": "two-step efficient GMM"}


@dataclass(frozen=True, eq=False)
class IVVariance:
    """The variance menu on an IV fit (``Result.with_vcov``); it pickles.

    The sandwich :math:`B(\\sum_g S_gS_g')B` with the bread
    :math:`B = (A'X)^{-1}` and scores :math:`a_iu_i` of
    :class:`~massincidents.iv.estimators.IVFit`; ``"iid"`` is
    :math:`\\hat\\sigma^2` times ``iid_bread``. Small-sample factors and
    :math:`K` (slopes plus fixed-effect levels, less those nested in the
    clusters under the presets that say so) exactly as for ``mi.linear``.
    """

    sample: SampleColumns
    bread: np.ndarray
    iid_bread: np.ndarray
    scores: np.ndarray
    n_params: int
    fe: list[np.ndarray]
    fe_dof: int
    sigma2: float
    fit_ssc: SmallSample

    def __call__(
        self, choice: object, ssc: str | SmallSample | None = None
    ) -> tuple[np.ndarray, float | None, str]:
        convention = self.fit_ssc if ssc is None else resolve_ssc(ssc)
        spec = parse_vcov(choice)
        matrix, df = compute_vcov(
            spec,
            bread=self.iid_bread if spec.kind == "iid" else self.bread,
            scores=self.scores,
            family="ls",
            n_params=self.n_params,
            fe=self.fe,
            fe_dof=self.fe_dof,
            columns=self.sample.for_spec(spec),
            sigma2=self.sigma2,
            ssc=convention,
        )
        return matrix, df, convention_label(spec.label, convention)


@dataclass(repr=False, eq=False)
class IVResult(Result):
    """The :class:`~massincidents.results.Result` of :func:`iv`, with first stages and diagnostics.

    Attributes
    ----------
    first_stage
        One least-squares :class:`~massincidents.results.Result` per
        endogenous regressor (the regression of it on the exogenous regressors
        and excluded instruments, fixed effects absorbed, same variance).
    diagnostics
        :class:`~massincidents.iv.statistics.IVDiagnostics` under the fit's variance
        (computed on first use).
    """

    first_stage: dict[str, Result] = field(default_factory=dict)
    _diagnostics: LazyValue | IVDiagnostics | None = field(default=None, repr=False)

    @property
    def diagnostics(self) -> IVDiagnostics | None:
        """The diagnostics, computed on first use (and before pickling)."""
        value = self._diagnostics
        return value() if isinstance(value, LazyValue) else value

    def with_vcov(self, vcov: object, *, ssc: object = None) -> IVResult:
        """The same estimates with another variance; first stages and diagnostics follow.

        A GMM fit keeps its weight matrix (the estimates do not change).
        ``ssc=None`` keeps this result's convention (after ``with_vcov(...,
        ssc="stata")``, Stata's).
        """
        convention = self.extra["ssc"] if ssc is None else resolve_ssc(ssc)  # type: ignore[arg-type]
        # ssc=None keeps this result's convention (that of its last with_vcov, which the
        # first stages and the Anderson-Rubin test read from extra), not the fit's
        new = super().with_vcov(vcov, ssc=convention)
        assert isinstance(new, IVResult)
        spec = parse_vcov(vcov)
        data: IVData = self.extra["iv_data"]
        first = first_stages(data, spec, convention, self.left_out)
        from massincidents.iv.diagnostics import diagnose

        diagnostics = LazyValue(diagnose, data, self.extra["iv_fit"], first, spec, convention,
                                self.extra["level"])
        return replace(new, first_stage=first, _diagnostics=diagnostics,
                       extra={**self.extra, "ssc": convention, "vcov_spec": spec})

    def anderson_rubin(self, b0: float | list[float] | np.ndarray = 0.0) -> IVTest:
        r"""The Anderson-Rubin test of :math:`H_0: \beta_{endog} = b_0` under the fit's variance.

        ``b0``: one value per endogenous regressor (a number when there is one).
        """
        from massincidents.iv.anderson_rubin import anderson_rubin

        data: IVData = self.extra["iv_data"]
        b = np.atleast_1d(np.asarray(b0, dtype=float))
        if b.shape != (len(data.endogenous),):
            raise ValueError(f"b0 needs one value per endogenous regressor {data.endogenous}")
        return anderson_rubin(data, b, self.extra["vcov_spec"], self.extra["ssc"])

    def anderson_rubin_set(self, level: float = 0.95) -> ConfidenceSet:
        """The Anderson-Rubin confidence set at ``level`` (one endogenous regressor)."""
        from massincidents.iv.anderson_rubin import anderson_rubin_set

        check_level(level)
        data: IVData = self.extra["iv_data"]
        if len(data.endogenous) != 1:
            raise ValueError("the Anderson-Rubin set is computed for one endogenous regressor")
        return anderson_rubin_set(data, self.extra["vcov_spec"], self.extra["ssc"], level)

    def summary(self, level: float = 0.95) -> str:
        """The coefficient table, then the first-stage and IV diagnostics."""
        text = super().summary(level)
        if self.diagnostics is None:
            return text
        return text + "\n" + self.diagnostics.summary()

    def __repr__(self) -> str:
        return self.summary()


def check_level(level: object) -> None:
    """Refuse a coverage that is not a number strictly between 0 and 1."""
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < float(level) < 1:
        raise ValueError(f"level is the coverage of the confidence set, strictly between 0 "
                         f"and 1 (0.95, not 95), got {level!r}")


def partialled_data(design: IVDesign, frame: pd.DataFrame) -> tuple[IVData, dict[str, str]]:
    """Partial out the fixed effects, drop collinear columns, and check identification."""
    s = design.structural
    k1, k2 = len(design.exogenous), len(design.endogenous)
    both = np.column_stack([s.y, s.X, design.Z_excluded])
    norms = dict(zip(["", *design.exogenous, *design.endogenous, *design.instruments],
                     np.sqrt((both**2).sum(axis=0)), strict=True))
    if s.fe:
        both = demean(both, s.fe)

    def absorbed(names: list[str]) -> np.ndarray | None:
        return np.array([norms[n] for n in names]) if s.fe else None

    y, X1, X2 = both[:, 0], both[:, 1 : 1 + k1], both[:, 1 + k1 : 1 + k1 + k2]
    Z2 = both[:, 1 + k1 + k2 :]
    X1, exogenous, gone = drop_collinear(X1, list(design.exogenous),
                                         absorbed=absorbed(design.exogenous))
    dropped: dict[str, str] = {n: "collinear" for n in gone}
    endogenous = list(design.endogenous)
    _, _, gone = drop_collinear(np.column_stack([X1, X2]), [*exogenous, *endogenous],
                                absorbed=absorbed([*exogenous, *endogenous]))
    if gone:
        raise DataError(
            [
                Problem(
                    "endogenous regressor absorbed by the fixed effects or collinear with the "
                    "exogenous regressors: it cannot be estimated",
                    column=n,
                )
                for n in gone
            ]
        )
    Z, znames, gone = drop_collinear(np.column_stack([X1, Z2]), [*exogenous, *design.instruments],
                                     absorbed=absorbed([*exogenous, *design.instruments]))
    dropped.update({n: "collinear instrument" for n in gone})
    instruments = znames[len(exogenous) :]
    check_identified(endogenous, instruments,
                     " after dropping collinear instruments" if gone else "")
    data = IVData(
        y=y,
        X1=X1,
        X2=X2,
        Z2=Z[:, len(exogenous) :],
        exogenous=exogenous,
        endogenous=endogenous,
        instruments=instruments,
        fe=s.fe,
        fe_dof=fe_degrees_of_freedom(s.fe),
        sample=SampleColumns(frame, design.used),
        fixed_effects=design.formula.fixed_effects,
    )
    return data, dropped


def fit_iv(data: IVData, method: str, spec: VcovSpec) -> tuple[IVFit, float | None]:
    """The estimate by ``method``; the J statistic of GMM (``None`` otherwise)."""
    v = data.first_stage_residuals()
    if method == "2sls":
        return two_sls(data.y, data.X1, data.X2, data.Z, v), None
    if method == "liml":
        kappa = liml_kappa(data.y, data.X1, data.X2, data.Z)
        return k_class(data.y, data.X1, data.X2, data.Z, kappa, v), None
    columns = data.sample.for_spec(spec)
    first_step = two_sls(data.y, data.X1, data.X2, data.Z, v)
    fit, j = efficient_gmm(data.y, data.X1, data.X2, data.Z, spec, columns, first_step)
    return fit, j


def first_stages(
    data: IVData, spec: VcovSpec, convention: SmallSample, left_out: dict[str, int]
) -> dict[str, Result]:
    """One least-squares Result per endogenous regressor, under the same variance."""
    Z = data.Z
    names = [*data.exogenous, *data.instruments]
    n, kz = Z.shape
    out: dict[str, Result] = {}
    solution = least_squares(Z, data.X2, warn=False)
    resid = solution.resid.reshape(data.X2.shape)
    data._cache.setdefault("first_stage_residuals", resid)
    beta = solution.beta.reshape(kz, -1)
    rhs = " + ".join(names) or "1"
    fe = f" | {data.fixed_effects}" if data.fixed_effects else ""
    df_resid = n - kz - data.fe_dof
    if df_resid <= 0:
        raise DataError(
            [
                Problem(
                    f"the first stage has no residual degrees of freedom ({n} rows, {kz} "
                    f"exogenous regressors and excluded instruments, {data.fe_dof} fixed-effect "
                    "levels): too many instruments (a numeric column stored as text becomes "
                    "one dummy per value)"
                )
            ]
        )
    for j, endog in enumerate(data.endogenous):
        u = resid[:, j]
        rss = float(u @ u)
        revcov = LeastSquaresVariance(data.sample, solution.bread, Z * u[:, None], kz, data.fe,
                                      data.fe_dof, rss / df_resid, convention)
        matrix, df, label = revcov(spec)
        out[endog] = Result(
            model="First stage (OLS)",
            formula=f"{endog} ~ {rhs}{fe}",
            params=pd.Series(beta[:, j], index=names),
            vcov=pd.DataFrame(matrix, index=names, columns=names),
            vcov_label=label,
            df_inference=df,
            nobs=n,
            left_out=dict(left_out),
            fixed_effects=tuple(t.strip() for t in data.fixed_effects.split("+") if t.strip()),
            stats={"rss": rss, "sigma": float(np.sqrt(rss / df_resid))},
            condition_number=solution.condition_number,
            extra={
                BOOTSTRAP_KEY: LeastSquaresData(y=data.X2[:, j], X=Z, names=names, fe=data.fe,
                                                fe_dof=data.fe_dof, cluster=data.sample),
                "ssc": convention,
            },
            _revcov=revcov,
        )
    return out


def iv(
    formula: str,
    data: pd.DataFrame,
    *,
    vcov: VcovChoice | None = None,
    method: Method = "2sls",
    ssc: str | SmallSample | None = None,
    drop_singletons: bool = True,
    level: float = 0.95,
) -> IVResult:
    r"""Instrumental-variables regression (2SLS, LIML, two-step GMM) with absorbed fixed effects.

    .. math::

        y = X_1\beta_1 + X_2\beta_2 + D\alpha + u, \qquad
        X_2 = X_1\Pi_1 + Z_2\Pi_2 + D\gamma + V,

    with the fixed effects :math:`D` partialled out of every variable, and

    .. math::

        \hat\beta_{2SLS} = (X'P_ZX)^{-1}X'P_Zy, \quad
        \hat\beta_{LIML} = (X'(I-\kappa M_Z)X)^{-1}X'(I-\kappa M_Z)y, \quad
        \hat\beta_{GMM} = (X'Z\hat S^{-1}Z'X)^{-1}X'Z\hat S^{-1}Z'y,

    :math:`X = [X_1, X_2]`, :math:`Z = [X_1, Z_2]`, :math:`\kappa` the
    smallest root of :math:`\det(W'M_{X_1}W - \kappa W'M_ZW) = 0`
    (:math:`W = [y, X_2]`), :math:`\hat S` the variance of the moments
    :math:`z_iu_i` at the 2SLS residuals under ``vcov``.

    Parameters
    ----------
    formula
        fixest's grammar, the IV part last: ``"y ~ x | endog ~ z1 + z2"``
        (intercept included) or ``"y ~ x | fe1 + fe2 | endog ~ z1 + z2"``
        (fixed effects absorbed); several endogenous regressors as
        ``e1 + e2 ~ z1 + z2 + z3``. Terms are evaluated as Python expressions
        (``np`` in scope): pass only trusted formulas.
    data
        A DataFrame (index levels named ``province``/``year`` can be used as columns).
    vcov
        A choice from the variance menu (see :func:`massincidents.linear`):
        ``"iid"``, ``"hetero"``, ``{"CRV1": "province"}``,
        ``{"CRV1": "province+year"}``, ``{"CRV0": ...}``, ``{"DK": lags}``.
        Default as fixest: clustered by the first fixed effect, else iid. The
        sandwich uses the scores :math:`a_iu_i` with :math:`a_i` the row of
        :math:`P_ZX` (2SLS, and LIML as Stata ``ivregress`` and linearmodels)
        or :math:`Z\hat S^{-1}Z'X` (GMM), the bread :math:`(A'X)^{-1}` with
        :math:`A` = :math:`P_ZX`, :math:`(I-\kappa M_Z)X`, :math:`Z\hat S^{-1}Z'X`;
        ``"iid"`` is :math:`\hat\sigma^2(A'X)^{-1}` (GMM: the sandwich with
        :math:`\hat\sigma^2 Z'Z` as meat),
        :math:`\hat\sigma^2 = RSS/(N-K)`. For GMM ``vcov`` also chooses the
        weight matrix (``"iid"``: GMM is 2SLS).
    method
        ``"2sls"`` (default), ``"liml"`` (:math:`\kappa` in ``stats``), or
        ``"gmm"`` (two-step efficient, as Stata ``ivreg2, gmm2s`` and
        linearmodels ``IVGMM``). With absorbed fixed effects the GMM moments are
        those of the partialled variables (as Stata ``ivreghdfe``), not one
        moment per fixed-effect level as with dummy variables.
    ssc
        Small-sample convention, as for :func:`massincidents.linear`: ``"R"``
        (default; AER ``ivreg`` with sandwich), ``"stata"`` (``ivregress,
        small``, ``ivreg2, small``, ``ivreghdfe``), ``"fixest"``, or
        :func:`mi.ssc(...) <massincidents.ssc>`. :math:`K` counts the
        exogenous and endogenous regressors and the fixed-effect levels (less
        those nested in the clusters, as the convention says).
    drop_singletons
        Leave out observations alone in a fixed-effect group (reported).
    level
        Coverage of the Anderson-Rubin confidence set in ``diagnostics``.

    Returns
    -------
    IVResult
        A :class:`~massincidents.results.Result` (``params``, ``bse``,
        ``tidy()``, ``predict()``; rows used and ``left_out`` by reason) with
        ``first_stage`` (one Result per endogenous regressor) and
        ``diagnostics`` (:class:`~massincidents.iv.statistics.IVDiagnostics`:
        first-stage F and partial :math:`R^2`, Cragg-Donald and
        Kleibergen-Paap statistics, Anderson-Rubin test and confidence set,
        Hansen J / Sargan, Durbin-Wu-Hausman). ``stats``: ``r2``, ``rss``,
        ``sigma``, ``kappa`` (LIML), ``j`` (GMM's minimised criterion).

    Raises
    ------
    DataError
        For fewer excluded instruments than endogenous regressors (naming
        them), an endogenous regressor absorbed by the fixed effects, one
        cluster, or a missing column.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import massincidents as mi
    >>> rng = np.random.default_rng(0)
    >>> n = 2000
    >>> z1, z2, u = rng.normal(size=(3, n))
    >>> d = pd.DataFrame({"z1": z1, "z2": z2, "g": rng.integers(0, 40, n)})
    >>> d["x"] = z1 + 0.5 * z2 + u + rng.normal(size=n)   # endogenous: shares u
    >>> d["y"] = 1.0 * d["x"] + 0.1 * d["g"] + 2 * u
    >>> fit = mi.iv("y ~ 1 | g | x ~ z1 + z2", d, vcov="hetero")
    >>> round(float(fit.params["x"]), 2), fit.vcov_label  # truth: 1
    (0.98, 'heteroskedasticity-robust (HC1)')
    >>> stats = fit.diagnostics.first_stage["x"]
    >>> round(stats.f, 1), round(stats.partial_r2, 2)
    (569.2, 0.37)
    >>> print(fit.diagnostics.anderson_rubin_set)
    [0.877454, 1.07338]
    >>> print(fit.diagnostics.endogeneity.name)
    Durbin-Wu-Hausman (regression-based, robust Wald)
    >>> fit.first_stage["x"].params.round(3).to_dict()
    {'z1': 0.978, 'z2': 0.482}

    LIML reports its :math:`\kappa`; GMM's weight follows ``vcov``:

    >>> round(mi.iv("y ~ 1 | g | x ~ z1 + z2", d, method="liml").stats["kappa"], 4)
    1.0002
    >>> mi.iv("y ~ 1 | g | x ~ z1 + z2", d, vcov={"CRV1": "g"}, method="gmm").model
    'IV (two-step efficient GMM, weight: CRV1 by g)'
    """
    if method not in METHODS:
        raise ValueError(f"method is one of {list(METHODS)}, got {method!r}")
    check_level(level)
    frame = as_frame(data)
    design = build_iv_design(formula, frame, drop_singletons=drop_singletons)
    choice = vcov if vcov is not None else default_vcov(design.structural.fe_names)
    spec = parse_vcov(choice)
    convention = resolve_ssc(ssc)
    ivdata, dropped = partialled_data(design, frame)
    fit, j_stat = fit_iv(ivdata, method, spec)
    n, k = ivdata.X.shape
    rss = float(fit.resid @ fit.resid)
    df_resid = n - k - ivdata.fe_dof
    if df_resid <= 0:
        raise DataError(
            [Problem(f"no residual degrees of freedom ({n} rows, {k + ivdata.fe_dof} parameters)")]
        )
    sigma2 = rss / df_resid
    scores = fit.instruments * fit.resid[:, None]
    revcov = IVVariance(ivdata.sample, fit.bread, fit.iid_bread, scores, k, ivdata.fe,
                        ivdata.fe_dof, sigma2, convention)
    matrix, df, label = revcov(spec)
    names = [*ivdata.exogenous, *ivdata.endogenous]
    s = design.structural
    y_raw = s.y
    tss = float(((y_raw - y_raw.mean()) ** 2).sum())
    stats: dict[str, float] = {"r2": 1 - rss / tss if tss > 0 else float("nan"), "rss": rss,
                               "sigma": float(np.sqrt(sigma2))}
    if method == "liml":
        stats["kappa"] = fit.kappa
    if j_stat is not None:
        stats["j"] = j_stat
    weight = f", weight: {spec.label}" if method == "gmm" else ""
    model = f"IV ({METHODS[method]}{weight})"
    first = first_stages(ivdata, spec, convention, design.left_out)
    from massincidents.iv.diagnostics import diagnose

    diagnostics = LazyValue(diagnose, ivdata, fit, first, spec, convention, level)
    prediction = from_design(s, ivdata.sample, names, y_raw - fit.resid, link="identity")
    return IVResult(
        model=model,
        formula=formula,
        params=pd.Series(fit.beta, index=names),
        vcov=pd.DataFrame(matrix, index=names, columns=names),
        vcov_label=label,
        df_inference=df,
        nobs=n,
        left_out=dict(design.left_out),
        fixed_effects=s.fe_names,
        link="identity",
        stats=stats,
        dropped=dropped,
        condition_number=fit.condition_number,
        extra={"ssc": convention, "iv_data": ivdata, "iv_fit": fit, "level": level,
               "method": method, "vcov_spec": spec},
        vcov_spec=spec,
        vcov_ssc=convention,
        _revcov=revcov,
        _prediction=prediction,
        first_stage=first,
        _diagnostics=diagnostics,
    )

