r"""The conditional fixed-effects negative binomial of Hausman, Hall and Griliches (1984).

For unit :math:`i` observed at :math:`t = 1, \dots, T_i`, HHG assume
:math:`y_{it} \mid \delta_i \sim \mathrm{NB}` with
:math:`\lambda_{it} = \exp(x_{it}'\beta + o_{it})`, mean
:math:`\lambda_{it}/\delta_i` and variance
:math:`(1+\delta_i)\lambda_{it}/\delta_i^2`, independent over :math:`t` given
:math:`\delta_i`. Conditioning on the unit total :math:`Y_i = \sum_t y_{it}`
removes :math:`\delta_i`:

.. math::

    \Pr(y_{i1}, \dots, y_{iT_i} \mid Y_i) =
    \frac{\Gamma(\Lambda_i)\,\Gamma(Y_i + 1)}{\Gamma(\Lambda_i + Y_i)}
    \prod_{t} \frac{\Gamma(\lambda_{it} + y_{it})}{\Gamma(\lambda_{it})\,\Gamma(y_{it} + 1)},
    \qquad \Lambda_i = \sum_t \lambda_{it}.

This is Stata's ``xtnbreg, fe``.

Caveat (Allison and Waterman 2002; Guimarães 2008): this is **not a true
fixed-effects estimator**. The unit effect :math:`\delta_i` enters the
dispersion, not the mean in the usual way: it is equivalent to a model with
unit-specific overdispersion, it does not control for all time-invariant
unobserved heterogeneity in the mean, and so an intercept and time-invariant
regressors get (identified, non-zero) coefficients. Allison and Waterman
recommend the unconditional NB with dummies (:func:`~massincidents.negbin`)
or Poisson FE with robust standard errors (:func:`~massincidents.poisson`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, polygamma

from massincidents.core.demean import is_nested
from massincidents.core.design import as_frame, build_design, drop_collinear
from massincidents.core.least_squares import inverse_symmetric
from massincidents.core.newton import maximize
from massincidents.counts._common import (
    check_counts,
    count_result,
    information_condition,
    ml_sandwich,
    offset_roles,
    offset_vector,
    refuse_fixest,
    subset_design,
)
from massincidents.counts.separation import warn_if_separated
from massincidents.errors import DataError, Problem
from massincidents.inference.conventions import SmallSample
from massincidents.inference.vcov import VcovChoice, VcovSpec
from massincidents.results import Result
from massincidents.results.sample import SampleColumns

CAVEAT = (
    "Conditional FE negative binomial (Hausman, Hall and Griliches 1984): not a true "
    "fixed-effects estimator (Allison and Waterman 2002). The unit effects act on the "
    "overdispersion, not on the mean, so time-invariant regressors and the intercept get "
    "coefficients and unit-level confounding of the mean is not removed; compare with "
    "mi.poisson (FE) or mi.negbin with dummies."
)
ZERO_UNIT = "outcome zero in every row of its unit (no information in the conditional likelihood)"


def hhg_loglik(
    beta: np.ndarray, y: np.ndarray, X: np.ndarray, unit: np.ndarray, offset: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Conditional log-likelihood, gradient, Hessian and per-row scores at ``beta``.

    The per-row scores :math:`s_{it} = g_{it}\\lambda_{it}x_{it}` with
    :math:`g_{it} = \\psi(\\Lambda_i) - \\psi(\\Lambda_i + Y_i) +
    \\psi(\\lambda_{it} + y_{it}) - \\psi(\\lambda_{it})` add up, within a
    unit, to the unit's score.
    """
    groups = int(unit.max()) + 1
    lam = np.exp(X @ beta + offset)
    Lam = np.bincount(unit, weights=lam, minlength=groups)
    Y = np.bincount(unit, weights=y, minlength=groups)
    value = float(
        np.sum(gammaln(Lam) + gammaln(Y + 1.0) - gammaln(Lam + Y))
        + np.sum(gammaln(lam + y) - gammaln(lam) - gammaln(y + 1.0))
    )
    g = (digamma(Lam) - digamma(Lam + Y))[unit] + digamma(lam + y) - digamma(lam)
    scores = X * (g * lam)[:, None]
    grad = scores.sum(axis=0)
    h = polygamma(1, lam + y) - polygamma(1, lam)
    a = polygamma(1, Lam) - polygamma(1, Lam + Y)
    v = np.zeros((groups, X.shape[1]))
    np.add.at(v, unit, X * lam[:, None])
    hess = X.T @ (X * (g * lam + h * lam**2)[:, None]) + v.T @ (v * a[:, None])
    return value, grad, hess, scores


@dataclass(frozen=True, eq=False)
class WholeUnitClusters:
    """Refuses variance choices the conditional likelihood does not define (it pickles)."""

    unit: np.ndarray
    unit_name: str
    sample: SampleColumns

    def __call__(self, spec: VcovSpec) -> None:
        if spec.kind in {"hetero", "DK"}:
            raise ValueError(
                f"vcov={spec.kind!r} is not defined for the conditional likelihood, which does not "
                f"factor over observations: use 'iid' or {{'CRV1': {self.unit_name!r}}}"
            )
        if spec.kind in {"CRV1", "CRV0"}:
            rows = self.sample.rows
            for column in spec.clusters:
                if column not in rows.columns:
                    continue  # vcov_columns reports it
                codes = pd.factorize(rows[column])[0]
                if not is_nested(self.unit, codes):
                    raise ValueError(
                        f"clusters must contain whole units of {self.unit_name!r}: "
                        f"{column!r} splits some units"
                    )


def conditional_negbin(
    formula: str,
    data: pd.DataFrame,
    *,
    offset: str | None = None,
    exposure: str | None = None,
    vcov: VcovChoice | None = None,
    ssc: str | SmallSample | None = None,
    tol: float = 1e-10,
    maxiter: int = 200,
) -> Result:
    r"""Conditional fixed-effects negative binomial (HHG 1984; Stata ``xtnbreg, fe``).

    .. math::

        \ell(\beta) = \sum_i \Big[\log\Gamma(\Lambda_i) + \log\Gamma(Y_i+1)
            - \log\Gamma(\Lambda_i+Y_i) + \sum_t \big(\log\Gamma(\lambda_{it}+y_{it})
            - \log\Gamma(\lambda_{it}) - \log\Gamma(y_{it}+1)\big)\Big],

    :math:`\lambda_{it} = \exp(\beta_0 + x_{it}'\beta + o_{it})`,
    :math:`\Lambda_i = \sum_t\lambda_{it}`, :math:`Y_i = \sum_t y_{it}`,
    maximised by Newton's method with the analytical Hessian.

    **Caveat** (Allison and Waterman 2002): this is not a true fixed-effects
    estimator. The unit effects scale the overdispersion (unit-specific
    :math:`\delta_i`), not the mean, so the intercept and time-invariant
    regressors get coefficients, and time-invariant confounders of the mean
    are not controlled for. The caveat is repeated in ``result.notes``.

    Parameters
    ----------
    formula
        ``"y ~ x1 + x2 | unit"`` with exactly one fixed effect, the panel unit.
        An intercept is always included (it is identified).
    data, offset, exposure
        As :func:`~massincidents.negbin`.
    vcov
        ``"iid"`` (default): the inverse observed information, as Stata's
        default (OIM). ``{"CRV1": unit}`` (or a coarser cluster containing
        whole units): the cluster sandwich of the unit scores with
        :math:`G/(G-1)`. ``"hetero"`` and Driscoll-Kraay are not defined for a
        likelihood that does not factor over observations, and raise.
    ssc
        ``"R"`` (default) or ``"stata"``, the same numbers (Stata's
        ``xtnbreg, fe`` reports the OIM); ``"fixest"`` is refused.
    tol, maxiter
        Newton convergence tolerance (on the Newton decrement) and step limit.

    Returns
    -------
    Result
        ``link="log"``, ``params`` with ``Intercept``; ``stats``: ``loglik``,
        ``n_groups``, ``iterations``; units whose outcome is all zero, or
        with one observation, contribute nothing and are left out (reported
        in ``left_out``), as Stata does.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=3)
    >>> fit = mi.negbin("y ~ x1 + x2 | province", df, exposure="population", conditional=True)
    >>> "Intercept" in fit.params.index, fit.vcov_label
    (True, 'iid')
    """
    convention = refuse_fixest(ssc, "the conditional FE negative binomial")
    frame = as_frame(data)
    design = build_design(
        formula, frame, extra=offset_roles(offset, exposure), drop_singletons=True
    )
    if len(design.fe) != 1:
        raise ValueError(
            "the conditional FE negative binomial needs exactly one fixed effect, the panel unit: "
            f"'y ~ x | unit' (got {len(design.fe)}: {design.fe_names})"
        )
    check_counts(design.y, design, integer=True)
    unit = design.fe[0]
    totals = np.bincount(unit, weights=design.y)
    design = subset_design(design, totals[unit] > 0, ZERO_UNIT)
    notes = [CAVEAT]
    if ZERO_UNIT in design.left_out:
        notes.append(
            f"{design.left_out[ZERO_UNIT]} row(s) of units with an all-zero outcome left out"
        )
    unit = design.fe[0]
    y = design.y
    off = offset_vector(design, offset, exposure)
    X_full = np.column_stack([np.ones(design.nobs), design.X])
    names_full = ["Intercept", *design.names]
    X, names, dropped = drop_collinear(X_full, names_full)
    if not names:
        raise DataError([Problem("no regressor is left to estimate")])
    warn_if_separated(y, X, names)

    start = np.zeros(len(names))
    if names[0] == "Intercept":  # lambda at the scale of the counts: fewer Newton steps
        start[0] = np.log(y.mean()) - off.mean()
    beta, loglik, _, _, iterations = maximize(
        lambda b: hhg_loglik(b, y, X, unit, off)[:3],
        start,
        tol=tol,
        maxiter=maxiter,
        what="the conditional NB log-likelihood",
    )
    _, _, hess, scores = hhg_loglik(beta, y, X, unit, off)
    bread = inverse_symmetric(-hess)
    condition = information_condition(-hess)
    unit_name = design.fe_names[0]

    check = WholeUnitClusters(unit, unit_name, SampleColumns(frame, design.used))
    sandwich = ml_sandwich(
        vcov, design, frame, bread, scores, len(names), check=check, ssc=convention
    )
    n_groups = int(unit.max()) + 1
    return count_result(
        design,
        names,
        beta,
        sandwich,
        model="Conditional FE negative binomial (HHG)",
        formula=formula,
        fixed_effects=design.fe_names,
        stats={
            "loglik": loglik,
            "n_groups": float(n_groups),
            "aic": -2.0 * loglik + 2.0 * len(names),
            "iterations": float(iterations),
        },
        dropped={name: "collinear" for name in dropped},
        notes=notes,
        condition_number=condition,
        extra={"index": design.index},
    )
