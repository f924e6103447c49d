r"""Negative binomial (NB2) regression by maximum likelihood, with fixed effects.

.. math::

    y_{it} \sim \mathrm{NB}(\mu_{it}, \theta), \qquad
    \mu_{it} = \exp\Big(x_{it}'\beta + \sum_m \alpha^{(m)}_{g_m(it)} + o_{it}\Big), \qquad
    \mathrm{Var}(y_{it}) = \mu_{it} + \alpha\,\mu_{it}^2, \quad \alpha = 1/\theta,

with log-likelihood

.. math::

    \ell = \sum_{it} \log\Gamma(y_{it}+\theta) - \log\Gamma(\theta) - \log y_{it}!
        + \theta\log\theta + y_{it}\log\mu_{it} - (y_{it}+\theta)\log(\theta+\mu_{it}).

The fixed effects listed after ``|`` are parameters of the likelihood, as
dummy variables are (the unconditional "fixed-effects" negative binomial of
Allison and Waterman 2002); they are partialled out inside IRLS rather than
stored as dummy columns, which gives the same estimates as ``glm.nb`` with
``factor()`` terms for any number of groups.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, polygamma, xlogy

from massincidents.core.demean import ConvergenceError, demean
from massincidents.core.design import as_frame, build_design
from massincidents.core.least_squares import inverse_symmetric
from massincidents.counts._common import (
    Sandwich,
    check_counts,
    count_result,
    fit_vcov,
    irls_sandwich,
    offset_roles,
    offset_vector,
    refuse_fixest,
    with_prediction,
)
from massincidents.counts._irls import IrlsFit, irls
from massincidents.counts.jackknife import LikelihoodLeaveOut
from massincidents.counts.margins import MarginsInfo
from massincidents.counts.poisson import clean_sample
from massincidents.inference.conventions import SmallSample
from massincidents.inference.vcov import VcovChoice
from massincidents.linear.estimators import default_vcov
from massincidents.results import Result


def nb2_loglik(y: np.ndarray, mu: np.ndarray, theta: float) -> float:
    """NB2 log-likelihood (``MASS::glm.nb``'s ``twologlik / 2``)."""
    return float(
        np.sum(
            gammaln(y + theta)
            - gammaln(theta)
            - gammaln(y + 1.0)
            + theta * np.log(theta)
            + xlogy(y, mu)
            - (y + theta) * np.log(theta + mu)
        )
    )


def _theta_score(y: np.ndarray, mu: np.ndarray, theta: float) -> tuple[float, float]:
    """Score and observed information of :math:`\\theta` at fixed :math:`\\mu` (``theta.ml``)."""
    s = np.sum(
        digamma(y + theta)
        - digamma(theta)
        + np.log(theta)
        + 1.0
        - np.log(theta + mu)
        - (y + theta) / (mu + theta)
    )
    info = np.sum(
        -polygamma(1, y + theta)
        + polygamma(1, theta)
        - 1.0 / theta
        + 2.0 / (mu + theta)
        - (y + theta) / (mu + theta) ** 2
    )
    return float(s), float(info)


def theta_ml(
    y: np.ndarray, mu: np.ndarray, start: float | None = None, *, tol: float = 1e-10
) -> tuple[float, float]:
    """Maximum-likelihood :math:`\\theta` given the means, and its standard error.

    Newton's method on :math:`\\log\\theta` (so :math:`\\theta` stays
    positive), from ``start`` or the moment estimate
    :math:`n / \\sum (y/\\mu - 1)^2` as ``MASS::theta.ml``. The standard error
    is :math:`1/\\sqrt{i(\\hat\\theta)}` with :math:`i` the observed
    information at fixed :math:`\\mu`, as ``glm.nb``'s ``SE.theta``.

    Raises
    ------
    ConvergenceError
        When the likelihood increases without bound in :math:`\\theta` (no
        overdispersion: the Poisson model is the limit) or Newton fails.
    """
    if start is None:
        start = y.shape[0] / max(float(np.sum((y / mu - 1.0) ** 2)), 1e-12)
    tau = float(np.log(min(max(start, 1e-8), 1e6)))
    for _ in range(200):
        theta = np.exp(tau)
        s, info = _theta_score(y, mu, theta)
        d1 = theta * s  # d loglik / d tau
        d2 = theta * s - theta**2 * info  # d2 loglik / d tau2
        if d1 > 0 and theta > 1e7:
            raise ConvergenceError(
                "theta grows without bound: the data show no overdispersion given the mean; "
                "NB2 reduces to Poisson (use mi.poisson)"
            )
        step = -d1 / d2 if d2 < 0 else np.sign(d1) * 1.0
        step = float(np.clip(step, -2.0, 2.0))
        tau += step
        if abs(step) < tol:
            break
    else:
        raise ConvergenceError("the maximum-likelihood theta did not converge in 200 Newton steps")
    theta = float(np.exp(tau))
    _, info = _theta_score(y, mu, theta)
    return theta, float(1.0 / np.sqrt(info)) if info > 0 else float("nan")


def nb2_joint_parts(
    y: np.ndarray, mu: np.ndarray, theta: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Per-row derivatives of the NB2 log-likelihood in :math:`(\eta, a = \ln\alpha)`.

    Returns ``g, w, s_a, c, d``: :math:`g = \partial\ell/\partial\eta =
    (y-\mu)/(1+\alpha\mu)`; the observed weight :math:`w =
    -\partial^2\ell/\partial\eta^2 = \mu(1+\alpha y)/(1+\alpha\mu)^2`;
    :math:`s_a = \partial\ell/\partial a`; :math:`c = \partial^2\ell/\partial\eta\,\partial a`;
    :math:`d = \partial^2\ell/\partial a^2`.
    """
    tm = theta + mu
    g = theta * (y - mu) / tm
    w = theta * mu * (theta + y) / tm**2
    s_theta = (
        digamma(y + theta) - digamma(theta) + np.log(theta) + 1.0 - np.log(tm) - (y + theta) / tm
    )
    s_tt = (
        polygamma(1, y + theta) - polygamma(1, theta) + 1.0 / theta - 2.0 / tm + (y + theta) / tm**2
    )
    # a = -log(theta): first derivatives change sign, second ones do not.
    s_a = -theta * s_theta
    d = theta * s_theta + theta**2 * s_tt
    c = -theta * mu * (y - mu) / tm**2
    return g, w, s_a, c, d


def nb2_joint_information(
    y: np.ndarray,
    mu: np.ndarray,
    theta: float,
    X: np.ndarray,
    fe: list[np.ndarray],
    *,
    demean_tol: float = 1e-12,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Observed information and per-row scores of :math:`(\beta, \ln\alpha)`, jointly.

    This is what Stata's ``nbreg`` inverts (``vce(oim)``) and sandwiches
    (``vce(robust)``, ``vce(cluster)``). Fixed effects are profiled out exactly
    (as if they were dummy variables): with :math:`v_i = -c_i/w_i` the
    information is

    .. math::

        I = \begin{pmatrix} \tilde X'W\tilde X & \tilde X'W\tilde v \\
        \tilde v'W\tilde X & \tilde v'W\tilde v - v'Wv - \sum_i d_i \end{pmatrix},

    where :math:`\tilde X, \tilde v` are :math:`X, v` partialled out of the
    fixed effects with the observed weights :math:`W` (the Schur complement of
    the dummies' block), and the scores are :math:`\tilde x_i g_i` and
    :math:`s_{a,i} - (v_i - \tilde v_i) g_i` (the dummies' scores projected out).

    Returns
    -------
    information, scores
        Shapes (k+1, k+1) and (n, k+1); the last parameter is :math:`\ln\alpha`.
    """
    g, w, s_a, c, d = nb2_joint_parts(y, mu, theta)
    v = -c / w
    stacked = np.column_stack([X, v])
    tilde = demean(stacked, fe, w, tol=demean_tol) if fe else stacked
    information = tilde.T @ (tilde * w[:, None])
    information[-1, -1] += -float(np.sum(d)) - float(v @ (w * v))
    scores = np.column_stack([tilde[:, :-1] * g[:, None], s_a - (v - tilde[:, -1]) * g])
    return information, scores


def negbin(
    formula: str,
    data: pd.DataFrame,
    *,
    offset: str | None = None,
    exposure: str | None = None,
    vcov: VcovChoice | None = None,
    ssc: str | SmallSample | None = None,
    conditional: bool = False,
    tol: float = 1e-10,
    maxiter: int = 100,
    drop_singletons: bool | None = None,
) -> Result:
    r"""Negative binomial (NB2) regression, or the conditional FE model of HHG (1984).

    .. math::

        \mu_{it} = \exp\Big(x_{it}'\beta + \sum_m \alpha^{(m)}_{g_m(it)} + o_{it}\Big), \qquad
        \mathrm{Var}(y_{it}) = \mu_{it} + \alpha\mu_{it}^2, \qquad \theta = 1/\alpha.

    Fitted by maximum likelihood as ``MASS::glm.nb``: alternate IRLS for
    :math:`\beta` (and the fixed effects) at given :math:`\theta` with the
    maximum-likelihood :math:`\theta` at given means, until both settle.
    Fixed effects after ``|`` are estimated parameters (equivalent to dummy
    variables; the intercept is absorbed by them), so with short panels their
    number grows with the sample (the incidental-parameter problem; Allison
    and Waterman 2002 find the slope bias small in simulations). The
    dispersion is the more affected: with 8 periods, :math:`\hat\alpha` comes out
    near 0.37 for a true 0.5 in the simulations of the tests.

    Parameters
    ----------
    formula
        fixest grammar: ``"y ~ x1 + x2"`` or ``"y ~ x1 + x2 | province + year"``.
        Terms are evaluated as Python expressions (``np`` in scope): pass only trusted formulas.
    data
        A DataFrame.
    offset, exposure
        As :func:`~massincidents.poisson`: a column added to the linear
        predictor, or a column whose log is.
    vcov
        A choice from the variance menu. Default as fixest: ``{"CRV1": first
        fixed effect}``, else ``"iid"``. What it computes depends on ``ssc``.
    ssc
        The variance convention (:mod:`massincidents.inference.conventions`):

        ``"R"`` (default, ``None``): ``MASS::glm.nb`` with ``sandwich``, with
        :math:`\theta` held fixed at its estimate. The bread is
        :math:`(\tilde X' W \tilde X)^{-1}`, :math:`w = \mu/(1+\mu/\theta)`
        (the expected information of :math:`\beta`, which is what
        ``summary(glm.nb(...))`` reports; for NB2 the expected information is
        block-diagonal in :math:`\beta` and :math:`\theta`), the scores
        :math:`\tilde x_i (y_i - \mu_i)/(1 + \mu_i/\theta)`; ``"hetero"``
        multiplies the sandwich by :math:`N/(N-1)`, CRV1 by :math:`G/(G-1)`
        (``sandwich::vcovCL(fit, type = "HC0", cadjust = TRUE)``; ``vcovHC``'s
        HC0 has no :math:`N/(N-1)`).

        ``"stata"``: Stata's ``nbreg``, which treats :math:`(\beta, \ln\alpha)`
        jointly. ``"iid"`` is ``vce(oim)``, the :math:`\beta` block of the
        inverse *observed* information of :math:`(\beta, \ln\alpha)`;
        ``"hetero"`` is ``vce(robust)`` and ``{"CRV1": g}`` is ``vce(cluster g)``,
        sandwiches of the joint scores and Hessian with :math:`N/(N-1)` and
        :math:`G/(G-1)` (see :func:`nb2_joint_information`; absorbed fixed
        effects are profiled out exactly, giving what ``nbreg`` reports with
        dummy variables). Checked against Stata output on the ships and
        docvis data (``tests/reference/stata_counts.json``). The two conventions
        give the same estimates; their standard errors differ, most under
        clustering (on the ships data with exposure, CRV1 by ship: 0.116 with
        ``"R"``, 0.143 with ``"stata"``, for ``yr_con``). ``"fixest"`` is
        refused (pyfixest has no negative binomial model).
    conditional
        ``True`` fits the conditional fixed-effects negative binomial of
        Hausman, Hall and Griliches (1984) instead (Stata ``xtnbreg, fe``):
        see :func:`~massincidents.counts.conditional_negbin.conditional_negbin`,
        including its caveat (Allison and Waterman 2002: it is not a true
        fixed-effects estimator).
    tol
        Convergence tolerance (relative change of deviance in IRLS, of
        :math:`\theta` and of the log-likelihood between alternations).
    maxiter
        Largest number of IRLS iterations and of alternations.
    drop_singletons
        Default ``False``: a singleton group's dummy fits its count exactly,
        but the observation still informs :math:`\theta` (as with
        ``glm.nb`` and dummies). Groups whose outcome is all zero are always
        left out (their dummy would run to :math:`-\infty`) and reported, as are
        separated observations (see :func:`~massincidents.poisson`).

    Returns
    -------
    Result
        ``link="log"``; ``stats``: ``theta``, ``theta_se`` (``glm.nb``'s
        ``SE.theta``, at fixed means), ``alpha`` :math:`=1/\theta`,
        ``alpha_se``, ``lnalpha`` :math:`=\ln\alpha` and ``lnalpha_se``,
        ``loglik``, ``deviance`` (at :math:`\hat\theta`), ``aic`` (counting
        :math:`\theta` and the identified fixed effects), ``iterations``,
        and ``condition_number`` (of the equilibrated final IRLS design).
        ``lnalpha_se`` is the joint observed-information SE; with
        ``ssc="stata"`` it follows the variance choice (of the fit, and of
        :meth:`~massincidents.results.Result.with_vcov`; as Stata's
        ``/lnalpha`` row), and ``alpha_se`` is then Stata's
        :math:`\alpha\,\mathrm{se}(\ln\alpha)`; with ``"R"`` ``alpha_se`` is
        ``glm.nb``'s :math:`\mathrm{SE}(\theta)/\theta^2`.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=2)
    >>> fit = mi.negbin("y ~ x1 + x2 | province + year", df, exposure="population")
    >>> bool(0.3 < fit.stats["alpha"] < 0.8), fit.vcov_label
    (True, 'CRV1 by province')
    """
    if conditional:
        from massincidents.counts.conditional_negbin import conditional_negbin

        return conditional_negbin(
            formula,
            data,
            offset=offset,
            exposure=exposure,
            vcov=vcov,
            ssc=ssc,
            tol=tol,
            maxiter=maxiter,
        )
    convention = refuse_fixest(ssc, "mi.negbin")
    frame = as_frame(data)
    singletons = bool(drop_singletons) if drop_singletons is not None else False
    design = build_design(
        formula, frame, extra=offset_roles(offset, exposure), drop_singletons=singletons
    )
    check_counts(design.y, design, integer=True)
    notes: list[str] = []
    design = clean_sample(
        design, separation=("fe", "simple", "relu"), drop_singletons=singletons, notes=notes
    )
    off = offset_vector(design, offset, exposure)
    y = design.y
    start = irls(y, design.X, design.names, design.fe, off, tol=tol, maxiter=maxiter)
    theta, _ = theta_ml(y, start.mu)
    fit, theta, theta_se, alternations = _alternate_irls_and_theta(
        y, design.X, design.names, design.fe, off, start.eta, theta, start.keep, tol, maxiter
    )
    mu = fit.mu
    k = len(fit.names)
    leave_out = LikelihoodLeaveOut(
        y, design.X[:, fit.keep], list(fit.names), design.fe, off, fit.eta, fit.beta, fit.Xt,
        theta=theta, drop_singletons=singletons, tol=tol, maxiter=maxiter, nb2=refit_nb2,
    )  # what vcov={"CV3": ...} and mi.influence need
    sandwich, _, _, fe_dof = irls_sandwich(
        fit, design, frame, (y - mu) / (1.0 + mu / theta), vcov, convention, leave_out=leave_out
    )
    information, joint_scores = nb2_joint_information(
        y, mu, theta, design.X[:, fit.keep], design.fe
    )
    joint_bread = inverse_symmetric(information)
    stats = _fit_stats(y, fit, theta, theta_se, joint_bread, k + fe_dof + 1, alternations)
    if convention.preset == "stata":
        sandwich, stats = _stata_variance(
            vcov, design, frame, joint_bread, joint_scores, k, fe_dof, convention, stats,
            replace(leave_out, with_dispersion=True),
        )
    result = count_result(
        design,
        fit.names,
        fit.beta,
        sandwich,
        model="Negative binomial (NB2)" + (", fixed effects" if design.fe else ""),
        formula=formula,
        fixed_effects=design.fe_names,
        stats=stats,
        dropped={name: "collinear" for name in (start.dropped)},
        notes=notes,
        condition_number=fit.condition_number,
        extra={
            "margins": MarginsInfo.for_count_model(design, fit),
            "mu": mu,
            "index": design.index,
        },
    )
    return with_prediction(result, design, frame, mu, off, exposure, offset)


def _alternate_irls_and_theta(
    y: np.ndarray,
    X: np.ndarray,
    names: list[str],
    fe: list[np.ndarray],
    off: np.ndarray,
    eta: np.ndarray,
    theta: float,
    keep: np.ndarray,
    tol: float,
    maxiter: int,
) -> tuple[IrlsFit, float, float, int]:
    r"""NB2 maximum likelihood as ``glm.nb``: IRLS at fixed :math:`\theta` and ML
    :math:`\theta` at fixed means, alternately from (``eta``, ``theta``) until both settle.

    Returns the IRLS fit at the final :math:`\theta`, :math:`\theta`, its
    standard error and the number of alternations.
    """
    loglik_old = -np.inf
    for alternation in range(1, maxiter + 1):  # noqa: B007 (reported after the loop)
        fit = irls(
            y, X, names, fe, off, theta=theta, eta_start=eta, keep=keep, tol=tol, maxiter=maxiter
        )
        eta = fit.eta
        theta_new, theta_se = theta_ml(y, fit.mu, start=theta)
        loglik = nb2_loglik(y, fit.mu, theta_new)
        change = abs(theta_new - theta) / theta + abs(loglik - loglik_old) / (abs(loglik) + 0.1)
        theta = theta_new
        if change < tol:
            break
        loglik_old = loglik
    else:
        raise ConvergenceError(f"NB2: theta and the means did not settle in {maxiter} alternations")
    # Final means at the final theta (glm.nb reports the fit at the previous theta;
    # at convergence the two agree to tol).
    fit = irls(
        y, X, names, fe, off, theta=theta, eta_start=eta, keep=keep, tol=tol, maxiter=maxiter
    )
    return fit, theta, theta_se, alternation


def _fit_stats(
    y: np.ndarray,
    fit: IrlsFit,
    theta: float,
    theta_se: float,
    joint_bread: np.ndarray,
    n_params: int,
    alternations: int,
) -> dict[str, float]:
    """Dispersion (theta, alpha, ln alpha with SEs), log-likelihood, deviance, AIC, steps.

    ``n_params`` counts the slopes, the identified fixed effects and theta (for the AIC).
    """
    loglik = nb2_loglik(y, fit.mu, theta)
    return {
        "theta": theta,
        "theta_se": theta_se,
        "alpha": 1.0 / theta,
        "alpha_se": theta_se / theta**2,
        "lnalpha": -float(np.log(theta)),
        "lnalpha_se": float(np.sqrt(joint_bread[-1, -1])),
        "loglik": loglik,
        "deviance": fit.deviance,
        "aic": -2.0 * loglik + 2.0 * n_params,
        "iterations": float(alternations),
    }


def refit_nb2(
    y: np.ndarray,
    X: np.ndarray,
    names: list[str],
    fe: list[np.ndarray],
    off: np.ndarray,
    eta: np.ndarray,
    theta: float,
    keep: np.ndarray,
    tol: float = 1e-10,
    maxiter: int = 100,
) -> tuple[IrlsFit, float]:
    """NB2 from a start (``eta``, ``theta``): IRLS at fixed theta alternating with ML theta.

    The alternation of :func:`negbin`, for the leave-one-cluster-out refits of
    the jackknife (:mod:`massincidents.counts.jackknife`).
    """
    fit, theta, _, _ = _alternate_irls_and_theta(
        y, X, names, fe, off, eta, theta, keep, tol, maxiter
    )
    return fit, theta


def _stata_variance(
    vcov: object | None,
    design,
    frame: pd.DataFrame,
    joint_bread: np.ndarray,
    joint_scores: np.ndarray,
    k: int,
    fe_dof: int,
    convention: SmallSample,
    stats: dict[str, float],
    leave_out: LikelihoodLeaveOut | None = None,
) -> tuple[Sandwich, dict[str, float]]:
    """Stata ``nbreg``: the :math:`\\beta` block of the joint (beta, ln alpha) variance.

    ``stats`` gets ``lnalpha_se`` and ``alpha_se`` (:math:`\\alpha\\,\\mathrm{se}(\\ln\\alpha)`,
    Stata's delta method) under the same variance choice.
    """
    kwargs = dict(
        frame=frame,
        used=design.used,
        bread=joint_bread,
        scores=joint_scores,
        n_params=k + 1,
        fe=design.fe,
        fe_dof=fe_dof,
        ssc=convention,
        leave_out=leave_out,
        alpha=stats["alpha"],
    )
    default = default_vcov(design.fe_names)
    sandwich = fit_vcov(vcov, default, keep=np.arange(k), **kwargs)
    return sandwich, stats | sandwich.stats
