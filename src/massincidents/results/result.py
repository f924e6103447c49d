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
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

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
    _revcov: Callable[..., tuple[np.ndarray, float | None, str]] | None = field(
        default=None, repr=False
    )

    # -- inference ------------------------------------------------------------
    @property
    def bse(self) -> pd.Series:
        """Standard errors, the square roots of the diagonal of ``vcov``."""
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.params.index)

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
        if ssc is None:
            matrix, df, label = self._revcov(vcov)
        else:
            if "ssc" not in inspect.signature(self._revcov).parameters:
                raise NotImplementedError(f"{self.model} does not take ssc= in with_vcov")
            matrix, df, label = self._revcov(vcov, ssc=ssc)  # type: ignore[call-arg]
        frame = pd.DataFrame(matrix, index=self.params.index, columns=self.params.index)
        return replace(self, vcov=frame, df_inference=df, vcov_label=label)

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

        Hazard ratios for Cox models, odds ratios for the ``zero_`` terms of
        zero-inflated models.

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
