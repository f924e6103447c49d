r"""Zero-inflated Poisson and negative binomial regression (ZIP, ZINB), as ``pscl::zeroinfl``.

A row is a structural zero with probability :math:`\pi_i` (logit link), and
otherwise a draw from the count distribution :math:`f` (Poisson, or NB2 with
shape :math:`\theta`) with mean :math:`\mu_i`:

.. math::

    \Pr(y_i = 0) = \pi_i + (1-\pi_i) f(0; \mu_i), \qquad
    \Pr(y_i = k) = (1-\pi_i) f(k; \mu_i),\ k > 0,

    \log\mu_i = x_i'\beta + o_i, \qquad \mathrm{logit}\,\pi_i = z_i'\gamma.

:math:`E[y_i] = (1-\pi_i)\mu_i`. The log-likelihood is maximised by Newton's
method with the analytical gradient and Hessian (for ZINB in
:math:`(\beta, \gamma, \log\theta)`), from the starting values ``zeroinfl``
uses (a Poisson GLM for :math:`\beta`, a logit of :math:`\mathbf 1\{y=0\}`
for :math:`\gamma`, :math:`\theta = 1`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix
from scipy.special import digamma, expit, gammaln, log_expit, polygamma

from massincidents.core.design import Design, as_frame, build_design, drop_collinear
from massincidents.core.formula import parse_formula
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
from massincidents.counts._irls import irls
from massincidents.counts.margins import MarginsInfo
from massincidents.counts.separation import warn_if_separated
from massincidents.errors import DataError, Problem
from massincidents.inference.conventions import SmallSample
from massincidents.inference.vcov import VcovChoice
from massincidents.results import Result
from massincidents.results.prediction import Prediction

_NOT_VARIABLES = {"np", "C", "log", "exp", "sqrt", "center", "scale", "I"}


class BoundaryWarning(UserWarning):
    """The zero-inflation probability is estimated at zero: the inflation part is not identified."""


def _count_parts(y: np.ndarray, eta: np.ndarray, tau: float | None) -> tuple[np.ndarray, ...]:
    """Log-density of the count part and its derivatives in (eta, tau).

    Returns ``logf, f_e, f_ee, f_t, f_tt, f_et`` for every row (the ``tau``
    derivatives are zero for Poisson), where ``tau = log(theta)``.
    """
    mu = np.exp(eta)
    zeros = np.zeros_like(mu)
    if tau is None:
        logf = y * eta - mu - gammaln(y + 1.0)
        return logf, y - mu, -mu, zeros, zeros, zeros
    theta = np.exp(tau)
    tm = theta + mu
    logf = (
        gammaln(y + theta)
        - gammaln(theta)
        - gammaln(y + 1.0)
        + theta * (tau - np.log(tm))
        + y * (eta - np.log(tm))
    )
    f_e = theta * (y - mu) / tm
    f_ee = -theta * mu * (theta + y) / tm**2
    s_theta = digamma(y + theta) - digamma(theta) + tau + 1.0 - np.log(tm) - (y + theta) / tm
    s_tt = (
        polygamma(1, y + theta) - polygamma(1, theta) + 1.0 / theta - 2.0 / tm + (y + theta) / tm**2
    )
    f_t = theta * s_theta
    f_tt = theta * s_theta + theta**2 * s_tt
    f_et = theta * mu * (y - mu) / tm**2
    return logf, f_e, f_ee, f_t, f_tt, f_et


def zi_loglik(
    params: np.ndarray,
    y: np.ndarray,
    X: np.ndarray,
    Z: np.ndarray,
    offset: np.ndarray,
    negbin: bool,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    r"""Zero-inflated log-likelihood, gradient, Hessian and per-row scores.

    Parameters are :math:`(\beta, \gamma)` for ZIP and :math:`(\beta, \gamma,
    \log\theta)` for ZINB. For :math:`y_i = 0` the contribution is
    :math:`\log(e^{\zeta_i} + f_i(0)) - \log(1 + e^{\zeta_i})`, :math:`\zeta = z'\gamma`,
    whose derivatives follow from those of :math:`a_i = \log f_i(0)` with the
    posterior probability of a structural zero
    :math:`q_i = \mathrm{expit}(\zeta_i - a_i)`.
    """
    kx, kz = X.shape[1], Z.shape[1]
    beta, gamma = params[:kx], params[kx : kx + kz]
    tau = float(params[kx + kz]) if negbin else None
    eta = X @ beta + offset
    zeta = Z @ gamma
    p = expit(zeta)
    zero = y == 0
    logf, f_e, f_ee, f_t, f_tt, f_et = _count_parts(y, eta, tau)
    # logf at y = 0 is a = log f(0); its derivatives are f_e, ... on the zero rows.
    q = expit(zeta - logf)
    # Per-row log-likelihood
    ll = np.where(zero, np.logaddexp(zeta, logf) - np.logaddexp(0.0, zeta), log_expit(-zeta) + logf)
    # First derivatives in (eta, zeta, tau)
    d_e = np.where(zero, (1 - q) * f_e, f_e)
    d_z = np.where(zero, q - p, -p)
    d_t = np.where(zero, (1 - q) * f_t, f_t)
    # Second derivatives
    qq = q * (1 - q)
    h_ee = np.where(zero, qq * f_e**2 + (1 - q) * f_ee, f_ee)
    h_zz = np.where(zero, qq - p * (1 - p), -p * (1 - p))
    h_ez = np.where(zero, -qq * f_e, 0.0)
    h_tt = np.where(zero, qq * f_t**2 + (1 - q) * f_tt, f_tt)
    h_et = np.where(zero, qq * f_e * f_t + (1 - q) * f_et, f_et)
    h_zt = np.where(zero, -qq * f_t, 0.0)

    blocks = [X * d_e[:, None], Z * d_z[:, None]]
    if negbin:
        blocks.append(d_t[:, None])
    scores = np.column_stack(blocks)
    grad = scores.sum(axis=0)
    H_xx = X.T @ (X * h_ee[:, None])
    H_zz = Z.T @ (Z * h_zz[:, None])
    H_xz = X.T @ (Z * h_ez[:, None])
    if negbin:
        H_xt = (X * h_et[:, None]).sum(axis=0)[:, None]
        H_zt = (Z * h_zt[:, None]).sum(axis=0)[:, None]
        H_tt = np.array([[h_tt.sum()]])
        hess = np.block([[H_xx, H_xz, H_xt], [H_xz.T, H_zz, H_zt], [H_xt.T, H_zt.T, H_tt]])
    else:
        hess = np.block([[H_xx, H_xz], [H_xz.T, H_zz]])
    return float(ll.sum()), grad, hess, scores


def _inflate_rhs(inflate: str) -> str:
    text = inflate.strip()
    if text.startswith("~"):
        text = text[1:].strip()
    if not text or "|" in text or "~" in text:
        raise ValueError(
            f"inflate= takes a right-hand side such as '~ z1 + z2' or '~ 1', got {inflate!r}"
        )
    return text


def _logit_start(zero: np.ndarray, Z: np.ndarray) -> np.ndarray:
    def fun(g: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        eta = Z @ g
        p = expit(eta)
        value = float(np.sum(np.where(zero, log_expit(eta), log_expit(-eta))))
        grad = Z.T @ (zero - p)
        hess = -(Z.T @ (Z * (p * (1 - p))[:, None]))
        return value, grad, hess

    try:
        g, *_ = maximize(
            fun, np.zeros(Z.shape[1]), tol=1e-8, maxiter=100, what="the logit start"
        )
    except Exception:  # the start is only a start (e.g. separated zeros)
        g = np.zeros(Z.shape[1])
    return g


ZERO_INFLATED_NEWDATA = (
    "zero-inflated models predict on the estimation sample only (newdata=None)"
)


def zero_inflated(
    formula: str,
    data: pd.DataFrame,
    *,
    inflate: str = "~ 1",
    dist: str = "poisson",
    offset: str | None = None,
    exposure: str | None = None,
    vcov: VcovChoice | None = None,
    ssc: str | SmallSample | None = None,
    tol: float = 1e-10,
    maxiter: int = 200,
) -> Result:
    r"""Zero-inflated Poisson or negative binomial regression (as ``pscl::zeroinfl``).

    .. math::

        \Pr(y_i = 0) = \pi_i + (1-\pi_i) f(0;\mu_i), \quad
        \Pr(y_i = k) = (1-\pi_i) f(k;\mu_i), \quad
        \log\mu_i = x_i'\beta + o_i, \quad \mathrm{logit}\,\pi_i = z_i'\gamma,

    with :math:`f` Poisson or NB2 (:math:`\mathrm{Var} = \mu + \mu^2/\theta`).

    Parameters
    ----------
    formula
        The count part, ``"y ~ x1 + x2"`` (with an intercept). Fixed effects
        (``|``) are not absorbed here: add ``C(province)`` as regressors.
        Terms are evaluated as Python expressions (``np`` in scope): pass only trusted formulas.
    data
        A DataFrame.
    inflate
        The inflation (logit) part as a right-hand side: ``"~ z1 + z2"``;
        default ``"~ 1"`` (a constant probability, ``zeroinfl``'s ``y ~ x | 1``).
    dist
        ``"poisson"`` (ZIP) or ``"negbin"`` (ZINB).
    offset, exposure
        Offset of the count part (a column, or the log of an exposure column).
    vcov
        A choice from the variance menu; default ``"iid"``: the inverse of
        the observed information (the negative Hessian of the
        log-likelihood, computed analytically; ``zeroinfl`` inverts a
        numerical Hessian from ``optim``, which agrees to about six digits).
        For ZINB the inverse is taken jointly over :math:`(\beta, \gamma,
        \log\theta)` and the :math:`(\beta,\gamma)` block reported, as
        ``zeroinfl``. Robust choices are sandwiches over all parameters
        (including :math:`\log\theta`), with :math:`N/(N-1)` (``"hetero"``)
        or :math:`G/(G-1)` (CRV1).
    ssc
        ``"R"`` (default) or ``"stata"``: the same numbers, which are Stata's
        ``zip``/``zinb`` conventions (``vce(oim)``: the observed information of
        all parameters, :math:`\ln\alpha = -\log\theta` for ZINB; ``vce(robust)``
        :math:`N/(N-1)`, ``vce(cluster)`` :math:`G/(G-1)`). The ZINB likelihood
        and OIM are checked against Stata's ``zinb`` on the docvis data
        (``tests/reference/stata_counts.json``); no published Stata output of
        ``zip``/``zinb`` with ``vce(robust)`` or ``vce(cluster)`` was found to
        check the sandwiches against. ``pscl``'s ``sandwich()`` has no
        :math:`N/(N-1)`. ``"fixest"`` is refused.
    tol, maxiter
        Newton convergence tolerance and step limit.

    Returns
    -------
    Result
        ``params`` named like ``pscl``: ``count_x`` for :math:`\beta`,
        ``zero_z`` for :math:`\gamma` (``count_Intercept``,
        ``zero_Intercept``). ``link="log"``: ``irr()`` gives incidence-rate
        ratios for the ``count_`` terms and odds ratios of a structural zero
        for the ``zero_`` terms. ``stats``: ``loglik``, ``aic``, and for ZINB
        ``theta``, ``log_theta``, ``log_theta_se``, ``theta_se``
        (:math:`\theta\,\mathrm{se}(\log\theta)`), ``alpha`` :math:`= 1/\theta`.
        When the estimated inflation probability is essentially zero in
        every row (the maximum is on the boundary, as for ZINB on
        ``bioChemists`` with a constant inflation), a :class:`BoundaryWarning`
        says so and ``notes`` repeats it: the count part is still estimated
        correctly, the ``zero_`` coefficients are not.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import massincidents as mi
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000)
    >>> y = np.where(rng.random(2000) < 0.3, 0, rng.poisson(np.exp(0.5 + 0.4 * x)))
    >>> fit = mi.zero_inflated("y ~ x", pd.DataFrame({"y": y, "x": x}))
    >>> [round(float(v), 1) for v in fit.params]
    [0.5, 0.4, -0.8]
    """
    if dist not in {"poisson", "negbin"}:
        raise ValueError(f"dist must be 'poisson' or 'negbin', got {dist!r}")
    negbin = dist == "negbin"
    convention = refuse_fixest(ssc, "zero_inflated")
    parsed = parse_formula(formula)
    if parsed.fixed_effects:
        raise ValueError(
            "zero_inflated does not absorb fixed effects; "
            "enter them as regressors, e.g. 'y ~ x + C(province)'"
        )
    zero_rhs = _inflate_rhs(inflate)
    frame = as_frame(data)
    zero_vars = [v for v in sorted(Formula(zero_rhs).required_variables) if v not in _NOT_VARIABLES]
    extra = offset_roles(offset, exposure) | {f"inflate:{v}": v for v in zero_vars}
    design = build_design(parsed, frame, extra=extra)
    design, Z_all, zero_names_all = _with_inflation_matrix(design, frame, zero_rhs, inflate)
    check_counts(design.y, design, integer=True)
    if not (design.y == 0).any():
        raise DataError([Problem("no zero outcome: nothing to inflate", column=parsed.lhs)])
    y = design.y
    off = offset_vector(design, offset, exposure)
    X, count_names, count_dropped = drop_collinear(design.X, design.names)
    warn_if_separated(y, X, [f"count_{n}" for n in count_names])
    Z, zero_names, zero_dropped = drop_collinear(Z_all, zero_names_all)

    params, loglik, iterations = _maximize(y, X, count_names, Z, off, dist, tol, maxiter)
    _, _, hess, scores = zi_loglik(params, y, X, Z, off, negbin)
    bread = inverse_symmetric(-hess)
    condition = information_condition(-hess)
    kx, kz = X.shape[1], Z.shape[1]
    reported = np.arange(kx + kz)
    names = [f"count_{n}" for n in count_names] + [f"zero_{n}" for n in zero_names]
    sandwich = ml_sandwich(
        vcov, design, frame, bread, scores, len(params), keep=reported, ssc=convention
    )
    beta, gamma = params[:kx], params[kx : kx + kz]
    notes = _boundary_notes(Z, gamma)
    info = MarginsInfo(
        count_rhs=parsed.rhs,
        count_names=count_names,
        count_positions=np.arange(kx),
        eta=X @ beta + off,
        eta_jacobian=X,
        used=design.used,
        zero_rhs=zero_rhs,
        zero_names=zero_names,
        zero_positions=np.arange(kx, kx + kz),
        zero_eta=Z @ gamma,
    )
    dropped = {f"count_{n}": "collinear" for n in count_dropped} | {
        f"zero_{n}": "collinear" for n in zero_dropped
    }
    return count_result(
        design,
        names,
        params[reported],
        sandwich,
        model="Zero-inflated " + ("negative binomial (ZINB)" if negbin else "Poisson (ZIP)"),
        formula=f"{formula} | inflate: {zero_rhs}",
        stats=_fit_stats(params, loglik, bread, iterations, negbin),
        dropped=dropped,
        notes=notes,
        condition_number=condition,
        extra={"margins": info, "index": design.index},
        _prediction=Prediction(  # response (1 - pi) mu; link: the count part's log mean
            link="log",
            eta=X @ beta + off,
            y=design.y,
            fitted=(1.0 - expit(Z @ gamma)) * np.exp(X @ beta + off),
            index=design.index,
            refuse_newdata=ZERO_INFLATED_NEWDATA,
        ),
    )


def _with_inflation_matrix(
    design: Design, frame: pd.DataFrame, zero_rhs: str, inflate: str
) -> tuple[Design, np.ndarray, list[str]]:
    """The inflation part's matrix on the design's rows; rows where it is not finite left out."""
    rows = frame.iloc[np.flatnonzero(design.used)]
    try:
        zm = model_matrix(zero_rhs, rows, na_action="ignore")
    except Exception as err:  # formulaic raises many types
        raise DataError([Problem(f"cannot evaluate inflate={inflate!r}: {err}")]) from err
    Z_all = np.asarray(zm, dtype=float).reshape(len(rows), -1)
    zero_names_all = [str(c) for c in zm.columns]
    finite = np.isfinite(Z_all).all(axis=1)
    if not finite.all():
        bad = [n for j, n in enumerate(zero_names_all) if not np.isfinite(Z_all[:, j]).all()]
        design = subset_design(design, finite, f"non-finite value of {', '.join(bad)}")
        Z_all = Z_all[finite]
    return design, Z_all, zero_names_all


def _maximize(
    y: np.ndarray,
    X: np.ndarray,
    count_names: list[str],
    Z: np.ndarray,
    off: np.ndarray,
    dist: str,
    tol: float,
    maxiter: int,
) -> tuple[np.ndarray, float, int]:
    """Parameters, log-likelihood and Newton steps, from ``zeroinfl``'s starting values."""
    negbin = dist == "negbin"
    start_count = irls(
        y, X, count_names, [], off, keep=np.arange(X.shape[1]), tol=1e-8, maxiter=100
    )
    start = [start_count.beta, _logit_start(y == 0, Z)]
    if negbin:
        start.append(np.zeros(1))
    params, loglik, _, _, iterations = maximize(
        lambda p: zi_loglik(p, y, X, Z, off, negbin)[:3],
        np.concatenate(start),
        tol=tol,
        maxiter=maxiter,
        what=f"the zero-inflated {dist} log-likelihood",
    )
    return params, loglik, iterations


def _fit_stats(
    params: np.ndarray, loglik: float, bread: np.ndarray, iterations: int, negbin: bool
) -> dict[str, float]:
    """Log-likelihood, AIC and steps; for ZINB also theta, log theta and alpha with SEs."""
    stats = {
        "loglik": loglik,
        "aic": -2.0 * loglik + 2.0 * len(params),
        "iterations": float(iterations),
    }
    if negbin:
        tau = float(params[-1])
        tau_se = float(np.sqrt(bread[-1, -1]))
        stats |= {
            "theta": float(np.exp(tau)),
            "log_theta": tau,
            "log_theta_se": tau_se,
            "theta_se": float(np.exp(tau)) * tau_se,
            "alpha": float(np.exp(-tau)),
        }
    return stats


def _boundary_notes(Z: np.ndarray, gamma: np.ndarray) -> list[str]:
    """A :class:`BoundaryWarning` (and its note) when no row has a real inflation probability."""
    notes: list[str] = []
    largest = float(expit(Z @ gamma).max())
    if largest < 1e-6:
        message = (
            f"the estimated probability of a structural zero is below {largest:.1e} in every row: "
            "the inflation part is at the boundary (its coefficients run to minus infinity and "
            "their standard errors are meaningless); the data show no zero inflation beyond "
            "the count model"
        )
        notes.append(message)
        warnings.warn(message, BoundaryWarning, stacklevel=3)  # the caller of zero_inflated
    return notes
