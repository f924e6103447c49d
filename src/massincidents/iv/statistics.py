"""Typed results of the IV diagnostics: tests, weak-instrument statistics, confidence sets.

Each carries its statistic, degrees of freedom, p-value and the convention it
follows in words, so that a table can say which test it reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class IVTest:
    r"""A test statistic with its reference distribution.

    Attributes
    ----------
    name
        The test (``"Hansen J"``, ``"Cragg-Donald Wald F"``...).
    statistic
        Its value.
    df
        Degrees of freedom (of the :math:`\chi^2`, or the numerator of the F).
    pvalue
        Upper-tail p-value; ``nan`` for statistics compared with tabulated
        critical values (Cragg-Donald and Kleibergen-Paap Wald F against
        Stock and Yogo's).
    convention
        What was computed, in words (variance, small-sample factor, residuals).
    df_denominator
        Denominator degrees of freedom of an F reference (``None``: :math:`\chi^2`).

    Examples
    --------
    >>> print(IVTest("Sargan", 1.25, 1, 0.2636, "iid, 2SLS residuals"))
    Sargan: chi2(1) = 1.25, p = 0.2636 [iid, 2SLS residuals]
    """

    __test__ = False  # not a pytest test class

    name: str
    statistic: float
    df: int
    pvalue: float
    convention: str
    df_denominator: float | None = None

    def __str__(self) -> str:
        if math.isnan(self.pvalue) and not math.isnan(self.statistic):
            # compared with tabulated critical values (Stock and Yogo), no p-value
            return f"{self.name} = {self.statistic:.6g} [{self.convention}]"
        ref = (f"F({self.df}, {self.df_denominator:g})" if self.df_denominator is not None
               else f"chi2({self.df})")
        p = "" if math.isnan(self.pvalue) else f", p = {self.pvalue:.4g}"
        return f"{self.name}: {ref} = {self.statistic:.6g}{p} [{self.convention}]"


@dataclass(frozen=True)
class FirstStageStatistics:
    r"""Strength of the excluded instruments for one endogenous regressor.

    Attributes
    ----------
    endogenous
        The endogenous regressor.
    f
        The F statistic of the excluded instruments in its first stage
        (:math:`W/L`, the Wald statistic under the model's variance over the
        number of excluded instruments), with ``df`` and ``df_denominator``.
    pvalue
        From :math:`F(L, d)`, :math:`d` the first stage's residual degrees
        of freedom (:math:`G-1` when clustered).
    partial_r2
        :math:`R^2` of the endogenous regressor on the excluded instruments,
        both partialled out of the exogenous regressors and fixed effects.
    sanderson_windmeijer
        Sanderson-Windmeijer conditional F (with several endogenous
        regressors; ``None`` with one).
    convention
        The variance of the Wald statistic.
    """

    endogenous: str
    f: float
    df: int
    df_denominator: float
    pvalue: float
    partial_r2: float
    convention: str
    sanderson_windmeijer: IVTest | None = None


@dataclass(frozen=True)
class ConfidenceSet:
    r"""A confidence set that may be unbounded or a union of intervals.

    Attributes
    ----------
    intervals
        Disjoint closed intervals ``(low, high)`` in increasing order;
        ``-inf``/``inf`` for unbounded ends. Empty when no value is accepted.
    level
        Coverage.
    parameter
        The coefficient the set is for.
    convention
        The test inverted (or why the set is not available).
    available
        ``False`` when the test cannot be inverted (a two-way clustered variance
        that is not positive definite): ``intervals`` is then empty and means nothing.

    Examples
    --------
    >>> s = ConfidenceSet(((-math.inf, -1.0), (2.0, math.inf)), 0.95, "x", "Anderson-Rubin")
    >>> print(s), s.bounded, s.contains(0.0)
    (-inf, -1] U [2, inf)
    (None, False, False)
    """

    intervals: tuple[tuple[float, float], ...]
    level: float
    parameter: str
    convention: str
    available: bool = True

    @property
    def bounded(self) -> bool:
        """Whether every interval is finite (and the set is not empty)."""
        return self.available and bool(self.intervals) and all(
            math.isfinite(lo) and math.isfinite(hi) for lo, hi in self.intervals
        )

    def contains(self, value: float) -> bool:
        """Whether ``value`` is in the set (raises when the set is not available)."""
        if not self.available:
            raise ValueError(f"the confidence set is not available: {self.convention}")
        return any(lo <= value <= hi for lo, hi in self.intervals)

    def __str__(self) -> str:
        if not self.available:
            return f"not available ({self.convention})"
        if not self.intervals:
            return "empty set"

        def end(v: float) -> str:
            return f"{v:.6g}"

        parts = []
        for lo, hi in self.intervals:
            left = "(-inf" if lo == -math.inf else f"[{end(lo)}"
            right = "inf)" if hi == math.inf else f"{end(hi)}]"
            parts.append(f"{left}, {right}")
        return " U ".join(parts)


@dataclass(frozen=True)
class IVDiagnostics:
    """Every diagnostic of an IV fit, under the variance of the fit.

    Attributes
    ----------
    first_stage
        :class:`FirstStageStatistics` by endogenous regressor.
    cragg_donald
        Cragg-Donald Wald F (iid errors; compare with Stock-Yogo's critical values).
    kleibergen_paap_wald
        Kleibergen-Paap rk Wald F under the fit's variance (equal to the
        first-stage F with one endogenous regressor).
    kleibergen_paap_lm
        Kleibergen-Paap rk LM under-identification test (:math:`\\chi^2(L-K_2+1)`;
        Anderson's canonical-correlation LM under iid).
    anderson_rubin
        Anderson-Rubin test of :math:`H_0: \\beta_{endog} = 0` (all endogenous coefficients).
    anderson_rubin_set
        Anderson-Rubin confidence set for the endogenous coefficient (one
        endogenous regressor; ``None`` otherwise).
    overidentification
        Hansen's J (robust variances) or Sargan's (iid); ``None`` when exactly identified.
    endogeneity
        Durbin-Wu-Hausman test of the exogeneity of the endogenous regressors.
    """

    first_stage: dict[str, FirstStageStatistics]
    cragg_donald: IVTest
    kleibergen_paap_wald: IVTest
    kleibergen_paap_lm: IVTest
    anderson_rubin: IVTest
    anderson_rubin_set: ConfidenceSet | None
    overidentification: IVTest | None
    endogeneity: IVTest
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The diagnostics as text, one line each."""
        lines = []
        for stats in self.first_stage.values():
            line = (f"First stage {stats.endogenous}: F({stats.df}, {stats.df_denominator:g}) = "
                    f"{stats.f:.6g}, p = {stats.pvalue:.4g}, partial R2 = {stats.partial_r2:.4g}")
            if stats.sanderson_windmeijer is not None:
                line += f"; Sanderson-Windmeijer F = {stats.sanderson_windmeijer.statistic:.6g}"
            lines.append(line)
        tests = [self.cragg_donald, self.kleibergen_paap_wald, self.kleibergen_paap_lm,
                 self.anderson_rubin, self.overidentification, self.endogeneity]
        lines += [str(t) for t in tests if t is not None]
        if self.anderson_rubin_set is not None:
            s = self.anderson_rubin_set
            lines.append(f"Anderson-Rubin {s.level:.0%} confidence set for {s.parameter}: {s}")
        return "\n".join(lines + self.notes)
