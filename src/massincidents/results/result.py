"""The one result object every model returns.

A :class:`Result` holds the estimates, their variance under one choice of the
variance menu, the reference distribution for tests (t with ``df_inference``
degrees of freedom for least squares, normal for likelihood models), and the
row accounting of the fit. :meth:`Result.with_vcov` re-computes the variance
under another choice without refitting.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from massincidents.results.prediction import Prediction
from massincidents.results.table_plugin import register_if_loaded

if TYPE_CHECKING:
    from massincidents.inference.conventions import SmallSample
    from massincidents.inference.vcov import VcovSpec

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


@dataclass
class Result:
    """Estimates and inference of a fitted model.

    Attributes
    ----------
    model
        The estimator (``"OLS"``, ``"Poisson PML"``, ``"NB2"``, ...).
    formula
        The formula as given.
    params
        Point estimates by term.
    vcov
        Their variance matrix under ``vcov_label``.
    vcov_label
        The variance choice, e.g. ``"CRV1 by province"``.
    df_inference
        Degrees of freedom of the t reference distribution; ``None`` means
        the standard normal.
    nobs
        Observations used.
    left_out
        Rows of the input left out, by reason.
    fixed_effects
        Absorbed fixed effects as written in the formula.
    link
        ``"identity"``, ``"log"`` (count models: :meth:`irr` applies) or
        ``"logit"``.
    stats
        Fit statistics (``r2``, ``r2_within``, ``loglik``, ``aic``,
        ``deviance``, ``alpha``, ``theta``, ``n_clusters``...).
    dropped
        Terms dropped for collinearity, with the reason.
    notes
        Remarks printed under the summary.
    condition_number
        Condition number of the design with its columns scaled to a common size
        (see :mod:`massincidents.core.least_squares`); it does not depend on the
        units of the data. Above about 1e8 an
        :class:`~massincidents.core.least_squares.IllConditionedWarning` was given.
    extra
        Model-specific payloads. ``extra["bootstrap"]`` holds what
        :func:`~massincidents.inference.bootstrap.wild_bootstrap` needs: a
        :class:`~massincidents.inference.bootstrap.LeastSquaresData` (every
        least-squares model, set by ``fit_least_squares``) or a
        :class:`~massincidents.inference.bootstrap.ScoreData` (likelihood
        models; ``poisson_score_data`` builds it for log-link Poisson).
    vcov_spec
        The parsed variance choice behind ``vcov`` (its kind and cluster
        columns), so that code does not have to read them back from the
        ``vcov_label`` text; ``None`` when the model did not record it.
    vcov_ssc
        The small-sample convention of ``vcov`` when it is known (least
        squares, and ``with_vcov(..., ssc=...)``); ``None`` otherwise.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> fit = mi.linear("y_linear ~ x1 + x2 | province + year", df)
    >>> fit.nobs, fit.vcov_label, fit.df_inference
    (620, 'CRV1 by province', 30.0)
    >>> print(fit.tidy().round(3).to_string(index=False))
    term  estimate  std_error  statistic  p_value  conf_low  conf_high
      x1     0.235      0.037      6.354    0.000     0.159      0.310
      x2    -0.183      0.049     -3.743    0.001    -0.283     -0.083
    >>> hc1 = fit.with_vcov("hetero")  # same estimates, another variance
    >>> hc1.vcov_label, hc1.df_inference, bool((hc1.params == fit.params).all())
    ('heteroskedasticity-robust (HC1)', 568.0, True)
    """

    model: str
    formula: str
    params: pd.Series
    vcov: pd.DataFrame
    vcov_label: str
    df_inference: float | None
    nobs: int
    left_out: dict[str, int] = field(default_factory=dict)
    fixed_effects: tuple[str, ...] = ()
    link: str = "identity"
    stats: dict[str, float] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    condition_number: float | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    vcov_spec: VcovSpec | None = field(default=None, repr=False)
    vcov_ssc: SmallSample | None = field(default=None, repr=False)
    _revcov: Callable[..., tuple[np.ndarray, float | None, str]] | None = field(
        default=None, repr=False
    )
    _prediction: Prediction | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        register_if_loaded()  # maketables.ETable reads the hooks below (table_plugin)

    # -- inference ------------------------------------------------------------
    @property
    def bse(self) -> pd.Series:
        """Standard errors, the square roots of the diagonal of ``vcov``."""
        diagonal = np.diag(self.vcov.to_numpy())
        # a negative variance (plm's two-step GMM with a singular weight) has no root: NaN
        root = np.sqrt(np.where(diagonal >= 0, diagonal, np.nan))
        return pd.Series(root, index=self.params.index)

    @property
    def tvalues(self) -> pd.Series:
        """Test statistics for :math:`H_0: \\beta = 0`."""
        return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values from t(``df_inference``) or the normal."""
        t = np.abs(self.tvalues.to_numpy())
        if self.df_inference is None:
            p = 2 * stats.norm.sf(t)
        else:
            p = 2 * stats.t.sf(t, self.df_inference)
        return pd.Series(p, index=self.params.index)

    def _critical(self, level: float) -> float:
        q = 0.5 + level / 2
        return float(
            stats.norm.ppf(q) if self.df_inference is None else stats.t.ppf(q, self.df_inference)
        )

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals from the t(``df_inference``) or normal distribution.

        Parameters
        ----------
        level
            Coverage.

        Returns
        -------
        pandas.DataFrame
            Columns ``lower`` and ``upper``, one row per term.
        """
        half = self._critical(level) * self.bse
        return pd.DataFrame({"lower": self.params - half, "upper": self.params + half})

    @property
    def rows(self) -> dict[str, object]:
        """Rows used and rows left out, by reason."""
        return {"used": self.nobs, "left_out": dict(self.left_out)}

    def with_vcov(self, vcov: object, *, ssc: object = None) -> Result:
        """The same estimates with the variance from another choice of the menu.

        Parameters
        ----------
        vcov
            A choice from the variance menu (see
            :mod:`massincidents.inference.vcov`), on the rows of the fit.
        ssc
            A small-sample convention (``"R"``, ``"stata"``, ``"fixest"`` or
            ``mi.ssc(...)``); ``None`` keeps the convention of the fit. Only
            the variance changes: the estimates (and a random-effects fit's
            variance components) stay those of the fit.

        Returns
        -------
        Result
            A copy with ``vcov``, ``vcov_label`` and ``df_inference`` replaced.

        Raises
        ------
        NotImplementedError
            For models that cannot recompute their variance, or that do not
            take ``ssc=``.
        """
        if self._revcov is None:
            raise NotImplementedError(f"{self.model} cannot recompute its variance")
        from massincidents.inference.conventions import SmallSample, resolve_ssc
        from massincidents.inference.vcov import parse_vcov

        if ssc is None:
            matrix, df, label = self._revcov(vcov)
            # the fit's own convention, which _revcov applies when ssc is None
            fit_ssc = self.extra.get("ssc")
            convention = fit_ssc if isinstance(fit_ssc, SmallSample) else self.vcov_ssc
        else:
            if "ssc" not in inspect.signature(self._revcov).parameters:
                raise NotImplementedError(f"{self.model} does not take ssc= in with_vcov")
            matrix, df, label = self._revcov(vcov, ssc=ssc)  # type: ignore[call-arg]
            convention = resolve_ssc(ssc)  # type: ignore[arg-type]  # checked by resolve_ssc
        try:
            spec: VcovSpec | None = parse_vcov(vcov)
        except (TypeError, ValueError):  # a choice only this model's menu knows
            spec = None
        frame = pd.DataFrame(matrix, index=self.params.index, columns=self.params.index)
        # statistics whose standard errors follow the variance choice (NB2's ln alpha
        # under ssc="stata"), recomputed with it
        following = getattr(self._revcov, "stats_for", None)
        stats = {**self.stats, **following(vcov)} if ssc is None and following else self.stats
        return replace(
            self,
            vcov=frame,
            df_inference=df,
            vcov_label=label,
            vcov_spec=spec,
            vcov_ssc=convention,
            stats=stats,
        )

    # -- tables ---------------------------------------------------------------
    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per term.

        Parameters
        ----------
        level
            Coverage of ``conf_low``, ``conf_high``.

        Returns
        -------
        pandas.DataFrame
            Columns ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``.
        """
        ci = self.conf_int(level)
        return pd.DataFrame(
            {
                "term": self.params.index,
                "estimate": self.params.to_numpy(),
                "std_error": self.bse.to_numpy(),
                "statistic": self.tvalues.to_numpy(),
                "p_value": self.pvalues.to_numpy(),
                "conf_low": ci["lower"].to_numpy(),
                "conf_high": ci["upper"].to_numpy(),
            },
            columns=TIDY_COLUMNS,
        )

    def irr(self, level: float = 0.95) -> pd.DataFrame:
        r"""Incidence-rate ratios :math:`e^{\beta}` with confidence intervals (log-link models).

        Odds ratios for the ``zero_`` terms of zero-inflated models. On a Cox
        model it gives the hazard ratios (kept for old code; the column is
        named ``irr``): prefer :meth:`hazard_ratios`.

        Parameters
        ----------
        level
            Coverage of the intervals (the exponentiated limits of
            :meth:`conf_int`).

        Returns
        -------
        pandas.DataFrame
            Columns ``irr``, ``conf_low``, ``conf_high``, ``p_value``.

        Raises
        ------
        ValueError
            When the model's link is not ``"log"``.

        Examples
        --------
        >>> import massincidents as mi
        >>> df = mi.datasets.simulate_panel(seed=1)
        >>> fit = mi.poisson("y ~ x1 + x2 | province + year", df, exposure="population")
        >>> print(fit.irr().round(3))
              irr  conf_low  conf_high  p_value
        x1  1.355     1.277      1.439      0.0
        x2  0.775     0.717      0.838      0.0
        """
        if self.link != "log":
            raise ValueError(
                f"incidence-rate ratios need a log link; {self.model} has {self.link!r}"
            )
        ci = self.conf_int(level)
        return pd.DataFrame(
            {
                "irr": np.exp(self.params),
                "conf_low": np.exp(ci["lower"]),
                "conf_high": np.exp(ci["upper"]),
                "p_value": self.pvalues,
            }
        )

    def hazard_ratios(self, level: float = 0.95) -> pd.DataFrame:
        r"""Hazard ratios :math:`e^{\beta}` with confidence intervals (proportional-hazards models).

        For Cox models and complementary log-log discrete-time hazards. (On a
        survival result :meth:`irr` gives the same numbers under the column name
        ``irr``; it is kept for old code.) A Weibull AFT model's coefficients are
        time ratios: :func:`~massincidents.survival.parametric.weibull_ph`
        converts them to hazard ratios.

        Parameters
        ----------
        level
            Coverage of the intervals (the exponentiated limits of :meth:`conf_int`).

        Returns
        -------
        pandas.DataFrame
            Columns ``hazard_ratio``, ``conf_low``, ``conf_high``, ``p_value``.

        Raises
        ------
        ValueError
            For models whose coefficients are not log hazard ratios.

        Examples
        --------
        >>> import massincidents as mi, numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=2000)
        >>> t = rng.exponential(1 / np.exp(0.5 * x))
        >>> d = pd.DataFrame({"x": x, "time": np.minimum(t, 2.0), "dead": (t < 2.0).astype(int)})
        >>> fit = mi.cox("x", d, stop="time", event="dead")
        >>> round(float(fit.hazard_ratios().loc["x", "hazard_ratio"]), 2)
        1.65
        """
        is_cox = self.model.startswith("Cox")
        if not (is_cox or (self.link == "cloglog" and "hazard" in self.model)):
            raise ValueError(
                f"{self.model} does not estimate log hazard ratios"
                + ("; mi.weibull_ph(fit) converts a Weibull fit" if self.link == "log-time" else "")
            )
        ci = self.conf_int(level)
        return pd.DataFrame(
            {
                "hazard_ratio": np.exp(self.params),
                "conf_low": np.exp(ci["lower"]),
                "conf_high": np.exp(ci["upper"]),
                "p_value": self.pvalues,
            }
        )

    # -- predictions ------------------------------------------------------------
    def _need_prediction(self) -> Prediction:
        if self._prediction is None:
            raise NotImplementedError(f"{self.model} does not give fitted values or predictions")
        return self._prediction

    @property
    def fittedvalues(self) -> pd.Series:
        """Fitted responses on the estimation sample (see :meth:`predict`)."""
        pred = self._need_prediction()
        return pd.Series(pred.response(), index=pred.index, name="fitted")

    @property
    def resid(self) -> pd.Series:
        r"""Response residuals on the estimation sample, :math:`y - \hat y`."""
        pred = self._need_prediction()
        if pred.y is None:
            raise NotImplementedError(f"{self.model} defines no response residuals")
        return pd.Series(pred.y - pred.response(), index=pred.index, name="resid")

    def predict(
        self, newdata: pd.DataFrame | None = None, type: str = "response"
    ) -> pd.Series:
        r"""Predictions on the estimation sample or on new rows.

        Parameters
        ----------
        newdata
            Rows to predict (the regressors, the fixed-effect columns, and the
            exposure/offset columns of the fit). ``None``: the estimation sample.
            A fixed-effect level not seen in the fit gives ``NaN``.
        type
            ``"response"`` (the mean count, :math:`\hat y`, the relative hazard
            :math:`e^{x'\beta}` of a Cox model, the Weibull time scale
            :math:`e^{x'\beta}` as R ``predict.survreg``, the hazard of a
            discrete-time model) or ``"link"`` (the linear predictor, fixed
            effects and offset included).

        Returns
        -------
        pandas.Series
            Indexed like ``newdata`` (or the estimation sample's input rows).

        Examples
        --------
        >>> import massincidents as mi
        >>> df = mi.datasets.simulate_panel(seed=1)
        >>> fit = mi.linear("y_linear ~ x1 + x2 | province + year", df)
        >>> bool(abs(fit.predict(df.head(3)) - fit.fittedvalues.head(3)).max() < 1e-8)
        True
        """
        if type not in {"response", "link"}:
            raise ValueError(f"type must be 'response' or 'link', not {type!r}")
        pred = self._need_prediction()
        if newdata is None:
            values = pred.eta if type == "link" else pred.response()
            return pd.Series(values, index=pred.index, name=type)
        if not isinstance(newdata, pd.DataFrame):
            raise TypeError("newdata must be a pandas DataFrame")
        from massincidents.results.prediction import inverse_link

        eta = pred.predict_link(self.params, newdata)
        values = eta if type == "link" else inverse_link(pred.link, eta)
        return pd.Series(values, index=newdata.index, name=type)

    def fixef(self) -> dict[str, pd.Series]:
        """Estimates of the absorbed fixed effects, by fixed effect and level (as pyfixest).

        The first level of each fixed effect after the first is the reference
        (0); see :mod:`massincidents.results.prediction`.

        Returns
        -------
        dict of pandas.Series
            Keyed by the fixed effect as written in the formula.
        """
        return self._need_prediction().fixef(self.params)

    # -- maketables plug-in --------------------------------------------------------
    @property
    def depvar(self) -> str:
        """The dependent variable as written in the formula (``""`` if it has none)."""
        return self.formula.split("~")[0].strip() if "~" in self.formula else ""

    @property
    def __maketables_coef_table__(self) -> pd.DataFrame:
        """Coefficients for ``maketables.ETable``: ``b, se, t, p, ci95l, ci95u``."""
        ci = self.conf_int(0.95)
        table = pd.DataFrame(
            {
                "b": self.params,
                "se": self.bse,
                "t": self.tvalues,
                "p": self.pvalues,
                "ci95l": ci["lower"],
                "ci95u": ci["upper"],
            }
        )
        table.index.name = "Coefficient"
        return table

    @property
    def __maketables_depvar__(self) -> str:
        return self.depvar or self.model

    @property
    def __maketables_fixef_string__(self) -> str | None:
        return "+".join(self.fixed_effects) if self.fixed_effects else None

    @property
    def __maketables_vcov_info__(self) -> dict[str, object]:
        return {"vcov_type": self.vcov_label, "clustervar": None}

    @property
    def __maketables_default_stat_keys__(self) -> list[str]:
        keys = ["N", "se_type"]
        optional = ("r2", "r2_within", "pseudo_r2", "ll")
        return keys + [k for k in optional if self.__maketables_stat__(k) is not None]

    @property
    def __maketables_stat_labels__(self) -> dict[str, str]:
        return {"alpha": "NB2 α", "theta": "θ"}

    def __maketables_stat__(self, key: str) -> object:
        """A statistic for ``maketables.ETable`` by its key (``None`` when absent)."""
        if key == "N":
            return int(self.nobs)
        if key == "se_type":
            return self.vcov_label
        aliases = {
            "ll": ("loglik", "llf", "log_likelihood"),
            "llnull": ("loglik_null",),
            "pseudo_r2": ("pseudo_r2", "r2_pseudo", "r2_mcfadden"),
            "rmse": ("sigma",),
            "events": ("n_events",),
        }
        for name in aliases.get(key, (key,)):
            value = self.stats.get(name)
            if value is not None and np.isfinite(value):
                return float(value)
        return None

    def summary(self, level: float = 0.95) -> str:
        """A plain-text summary: model, sample, variance, coefficient table.

        Parameters
        ----------
        level
            Coverage of the confidence intervals in the table.

        Returns
        -------
        str
        """
        lines = [
            f"{self.model}: {self.formula}",
            f"Observations: {self.nobs}"
            + (f"  (left out: {_fmt_left_out(self.left_out)})" if self.left_out else ""),
            f"Fixed effects: {', '.join(self.fixed_effects) if self.fixed_effects else 'none'}",
            f"Variance: {self.vcov_label}; "
            + ("normal reference" if self.df_inference is None else f"t({self.df_inference:g})"),
        ]
        table = self.tidy(level).set_index("term")
        lines.append(table.to_string(float_format=lambda v: f"{v:.6g}"))
        if self.stats:
            lines.append("  ".join(f"{k}: {v:.6g}" for k, v in self.stats.items()))
        if self.dropped:
            lines.append("Dropped: " + "; ".join(f"{k} ({v})" for k, v in self.dropped.items()))
        lines += self.notes
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def _fmt_left_out(left_out: dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in left_out.items())
