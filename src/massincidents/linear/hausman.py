r"""The Hausman test of fixed against random effects.

Under :math:`H_0: \operatorname{E}[u_i \mid x_{i1}, \dots, x_{iT}] = 0` both the
fixed-effects (within) and the random-effects (GLS) estimators are consistent
and random effects is efficient; under the alternative only fixed effects is
consistent. ``mi.hausman(fe, re)`` compares the two fits on their common
slopes, in the classic quadratic form (R ``plm::phtest``) or, robust to
heteroskedasticity and serial correlation, through Wooldridge's auxiliary
regression (R ``plm::phtest(..., method = "aux", vcov = ...)``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from massincidents.core.least_squares import RankDeficientError, least_squares, solve_symmetric
from massincidents.inference.vcov import VcovChoice, compute_vcov, parse_vcov, vcov_columns
from massincidents.linear.transforms import quasi_demeaned
from massincidents.results import Result


class HausmanWarning(UserWarning):
    """The classic Hausman statistic rests on a variance difference that is not positive
    definite."""


@dataclass(frozen=True)
class TestResult:
    r"""A test statistic with its :math:`\chi^2` reference distribution.

    Attributes
    ----------
    statistic
        The test statistic.
    df
        Degrees of freedom of the :math:`\chi^2` reference distribution.
    pvalue
        :math:`P(\chi^2_{df} > \text{statistic})`.
    method
        What was computed, e.g. ``"Hausman (classic)"``.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1, rho=1.0, sigma_year=0.0)
    >>> fe = mi.linear("y_linear ~ x1 + x2 | province", df)
    >>> re = mi.random_effects("y_linear ~ x1 + x2", df)
    >>> test = mi.hausman(fe, re, method="robust")
    >>> print(test)
    Hausman (robust, auxiliary regression; CRV1 by province): chi2(2) = 83.2771, p = 8.253e-19
    >>> test.df, round(test.statistic, 2)
    (2, 83.28)
    """

    __test__ = False  # not a pytest test class

    statistic: float
    df: int
    pvalue: float
    method: str

    def __str__(self) -> str:
        return f"{self.method}: chi2({self.df}) = {self.statistic:.4f}, p = {self.pvalue:.4g}"


def _common_slopes(fe: Result, re: Result) -> list[str]:
    common = [n for n in re.params.index if n in fe.params.index and n != "Intercept"]
    if not common:
        raise ValueError("the two models have no slope coefficient in common")
    return common


def hausman(
    fe: Result,
    re: Result,
    *,
    method: Literal["classic", "robust"] = "classic",
    vcov: VcovChoice | None = None,
) -> TestResult:
    r"""Hausman test of fixed effects ``fe`` against random effects ``re``.

    **Classic** (``method="classic"``, R ``plm::phtest(fe, re)``): on the
    :math:`k` slopes common to both fits (intercept excluded),

    .. math::

        H = (\hat\beta_{FE} - \hat\beta_{RE})'
            \big[\hat V_{FE} - \hat V_{RE}\big]^{-1}
            (\hat\beta_{FE} - \hat\beta_{RE}) \;\sim\; \chi^2_k,

    with the iid variances of both fits (:math:`\hat\sigma^2 (\tilde X'\tilde X)^{-1}`
    each with its own :math:`\hat\sigma^2`; ``fe`` and ``re`` are re-evaluated
    with ``vcov="iid"`` whatever they were fitted with). The statistic is
    reported in absolute value, as plm; when
    :math:`\hat V_{FE} - \hat V_{RE}` is not positive definite a
    :class:`HausmanWarning` says so. It is valid only when random effects is
    efficient, i.e. under homoskedastic, serially uncorrelated errors.

    **Robust** (``method="robust"``, Wooldridge 2010, sec. 10.7.3; R
    ``plm::phtest(formula, data, method = "aux", vcov = ...)``): with
    :math:`\theta_i` from ``re``, regress by OLS

    .. math::

        y_{it} - \theta_i \bar y_i = (1 - \theta_i)\,\alpha
            + (x_{it} - \theta_i \bar x_i)'\beta + (x_{it} - \bar x_i)'\gamma + e_{it}

    and test :math:`H_0: \gamma = 0` by the Wald statistic
    :math:`\hat\gamma' \hat V_\gamma^{-1} \hat\gamma \sim \chi^2_k`, with
    :math:`\hat V_\gamma` from ``vcov``, by default cluster-robust by the
    entity of ``re`` (CRV1, :math:`\frac{G}{G-1}\frac{n-1}{n-p}`, :math:`p`
    columns of the auxiliary regression; plm ``vcovHC(type = "sss")``).
    ``vcov={"CRV0": entity}`` gives plm's ``vcovHC(x, method = "arellano")``
    (HC0) and ``vcov="iid"`` the non-robust regression form. Adding the unit
    means :math:`\bar x_i` instead (Mundlak) gives the same statistic. It is
    valid under heteroskedasticity and arbitrary serial correlation within
    units. In unbalanced panels the intercept enters as :math:`1 - \theta_i`
    (plm replaces it with a constant).

    Parameters
    ----------
    fe
        ``mi.linear("y ~ x | entity", data)`` (the entity absorbed; for the
        robust test, on the same rows as ``re``).
    re
        ``mi.random_effects("y ~ x", data, entity=...)``.
    method
        ``"classic"`` or ``"robust"``.
    vcov
        Robust test only: a choice of the variance menu for the auxiliary
        regression (default ``{"CRV1": entity}``).

    Returns
    -------
    TestResult
        ``statistic``, ``df`` (:math:`k`), ``pvalue``, ``method``.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1, rho=1.0, sigma_year=0.0)
    >>> fe = mi.linear("y_linear ~ x1 + x2 | province", df)
    >>> re = mi.random_effects("y_linear ~ x1 + x2", df)
    >>> test = mi.hausman(fe, re, method="robust")
    >>> test.df, test.pvalue < 0.01
    (2, True)
    """
    common = _common_slopes(fe, re)
    if fe.nobs != re.nobs:
        raise ValueError(f"fe and re were fitted on different rows ({fe.nobs} and {re.nobs})")
    if method == "classic":
        if vcov is not None:
            raise ValueError(
                "the classic Hausman test uses the iid variances; vcov= is for method='robust'"
            )
        V_fe = fe.with_vcov("iid").vcov.loc[common, common].to_numpy()
        V_re = re.with_vcov("iid").vcov.loc[common, common].to_numpy()
        d = (fe.params[common] - re.params[common]).to_numpy()
        diff = V_fe - V_re
        scale = np.sqrt(np.abs(np.diag(diff)))
        scale = np.where(scale > 0, scale, 1.0)
        if np.linalg.eigvalsh(diff / np.outer(scale, scale)).min() <= 0:  # unit-free check
            warnings.warn(
                "V_FE - V_RE is not positive definite: the classic Hausman statistic is "
                "unreliable; use method='robust'",
                HausmanWarning,
                stacklevel=2,
            )
        try:
            statistic = abs(float(d @ solve_symmetric(diff, d)))
        except np.linalg.LinAlgError as err:
            raise ValueError("V_FE - V_RE is singular; use method='robust'") from err
        k = len(common)
        return TestResult(statistic, k, float(stats.chi2.sf(statistic, k)), "Hausman (classic)")
    if method != "robust":
        raise ValueError(f"method must be 'classic' or 'robust', got {method!r}")
    return _robust(fe, re, common, vcov)


def _robust(fe: Result, re: Result, common: list[str], vcov: object | None) -> TestResult:
    stash = re.extra.get("panel")
    if stash is None:
        raise ValueError("method='robust' needs re from mi.random_effects")
    entity = stash["entity"]
    if tuple(fe.fixed_effects) != (entity,):
        raise ValueError(
            f"method='robust' compares one-way fixed effects by {entity!r} with random effects: "
            f"fit fe as mi.linear('y ~ x | {entity}', data); got fixed effects {fe.fixed_effects}"
        )
    panel, design = stash["index"], stash["design"]
    star = quasi_demeaned(design, panel, stash["theta"])
    re_cols = [design.names.index(n) for n in re.params.index]
    tested = [design.names.index(n) for n in common]
    A = np.hstack([star.X[:, re_cols], panel.within(design.X[:, tested])])
    y_star = star.y
    n, p = A.shape
    try:
        solution = least_squares(A, y_star)
    except RankDeficientError as err:
        raise ValueError(
            "the auxiliary regression is rank deficient (a tested slope has no within variation?)"
        ) from err
    beta, bread, resid = solution.beta, solution.bread, solution.resid
    spec = parse_vcov(vcov if vcov is not None else {"CRV1": entity})
    columns = vcov_columns(spec, stash["rows"], np.ones(n, dtype=bool))
    V, _ = compute_vcov(
        spec,
        bread=bread,
        scores=A * resid[:, None],
        family="ls",
        n_params=p,
        columns=columns,
        sigma2=float(resid @ resid) / (n - p),
    )
    k = len(tested)
    gamma, V_gamma = beta[-k:], V[-k:, -k:]
    statistic = float(gamma @ solve_symmetric(V_gamma, gamma))
    return TestResult(
        statistic,
        k,
        float(stats.chi2.sf(statistic, k)),
        f"Hausman (robust, auxiliary regression; {spec.label})",
    )
