r"""Accelerated failure time (AFT) models by maximum likelihood, as R ``survreg``.

.. math::

    \log T_i = x_i'\beta + \sigma\,W_i, \qquad
    z_i = \frac{\log t_i - x_i'\beta}{\sigma},

with :math:`W` standard extreme-value (Weibull; the exponential fixes
:math:`\sigma = 1`), standard normal (log-normal) or standard logistic
(log-logistic). Unit :math:`i` with event indicator :math:`\delta_i` and entry
time :math:`e_i` (0 unless left-truncated) adds

.. math::

    \ell_i = \delta_i\big(\log f_W(z_i) - \log\sigma - \log t_i\big)
        + (1 - \delta_i)\log S_W(z_i) - \log S_W\Big(\frac{\log e_i - x_i'\beta}{\sigma}\Big),

the last term only when :math:`e_i > 0`. Parameters are
:math:`(\beta, \log\sigma)`, the ``Log(scale)`` row of ``summary(survreg(...))``,
and the log-likelihood includes the :math:`-\log t_i` Jacobian, as ``survreg``'s
``loglik``. A positive coefficient lengthens the time to the event by the
factor :math:`e^{\beta}`. For the Weibull model the proportional-hazards
coefficients are :math:`-\beta/\sigma` and the Weibull shape is
:math:`1/\sigma`.

lifelines' ``WeibullAFTFitter`` (``rho_`` :math:`= -\log\sigma`),
``LogNormalAFTFitter`` and ``LogLogisticAFTFitter`` (``beta_`` :math:`=
-\log\sigma`) maximise the same likelihoods, with ``entry_col`` for left
truncation, but stop earlier (about 1e-6 relative in the estimates; on a
simulated log-logistic sample its log-likelihood is 3e-5 below the maximum).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import expit, log_ndtr

from massincidents.core.design import Design, as_frame, build_design, drop_collinear
from massincidents.core.least_squares import inverse_symmetric, least_squares
from massincidents.core.newton import maximize
from massincidents.counts._common import make_revcov
from massincidents.errors import DataError, Problem
from massincidents.inference.conventions import SmallSample
from massincidents.inference.vcov import VcovChoice
from massincidents.results import Result
from massincidents.results.prediction import NewData, Prediction
from massincidents.results.sample import SampleColumns
from massincidents.survival.conventions import convention_revcov, survival_convention

Dist = Literal["weibull", "exponential", "lognormal", "loglogistic"]

LOG_SCALE = "Log(scale)"

_NAMES = {
    "weibull": "Weibull AFT",
    "exponential": "Exponential AFT",
    "lognormal": "Log-normal AFT",
    "loglogistic": "Log-logistic AFT",
}


def _density_terms(dist: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:math:`\\log f_W(z)` and its first and second derivatives in :math:`z`."""
    if dist in {"weibull", "exponential"}:
        ez = np.exp(z)
        return z - ez, 1.0 - ez, -ez
    if dist == "lognormal":
        return -0.5 * z**2 - 0.5 * np.log(2 * np.pi), -z, -np.ones_like(z)
    p = expit(z)
    return np.log(p) + np.log1p(-p), 1.0 - 2.0 * p, -2.0 * p * (1.0 - p)


def _survivor_terms(dist: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:math:`\\log S_W(z)` and its first and second derivatives in :math:`z`."""
    if dist in {"weibull", "exponential"}:
        ez = np.exp(z)
        return -ez, -ez, -ez
    if dist == "lognormal":
        log_s = log_ndtr(-z)
        mills = np.exp(-0.5 * z**2 - 0.5 * np.log(2 * np.pi) - log_s)
        return log_s, -mills, -mills * (mills - z)
    p = expit(z)
    return -np.logaddexp(0.0, z), -p, -p * (1.0 - p)


def aft_loglik(
    params: np.ndarray,
    X: np.ndarray,
    log_t: np.ndarray,
    event: np.ndarray,
    log_entry: np.ndarray | None,
    dist: str,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Log-likelihood, gradient, Hessian and per-unit scores of an AFT model.

    Parameters
    ----------
    params
        :math:`(\\beta, \\log\\sigma)`, or :math:`\\beta` alone for the
        exponential.
    X, log_t, event
        Regressors, log exit times and event indicators.
    log_entry
        Log entry times (``-inf`` where there is no left truncation), or
        ``None``.
    dist
        ``"weibull"``, ``"exponential"``, ``"lognormal"`` or ``"loglogistic"``.

    Returns
    -------
    value, gradient, hessian, scores
        ``scores`` has one row per unit (the gradient contributions).
    """
    k = X.shape[1]
    beta = params[:k]
    fixed_scale = dist == "exponential"
    tau = 0.0 if fixed_scale else float(params[k])
    sigma = np.exp(tau)
    eta = X @ beta
    z = (log_t - eta) / sigma
    f0, f1, f2 = _density_terms(dist, z)
    s0, s1, s2 = _survivor_terms(dist, z)
    d = event.astype(bool)
    ll = np.where(d, f0 - tau - log_t, s0)
    g = np.where(d, f1, s1)  # d ell / dz
    h = np.where(d, f2, s2)
    dtau = -g * z - d  # d ell / d tau
    d_eta = -g / sigma
    h_eta_eta = h / sigma**2
    h_eta_tau = (h * z + g) / sigma
    h_tau_tau = h * z**2 + g * z
    if log_entry is not None:
        trunc = np.isfinite(log_entry)
        if trunc.any():
            ze = np.where(trunc, (np.where(trunc, log_entry, 0.0) - eta) / sigma, 0.0)
            e0, e1, e2 = _survivor_terms(dist, ze)
            e0, e1, e2 = (np.where(trunc, a, 0.0) for a in (e0, e1, e2))
            ll = ll - e0
            d_eta = d_eta + e1 / sigma
            dtau = dtau + e1 * ze
            h_eta_eta = h_eta_eta - e2 / sigma**2
            h_eta_tau = h_eta_tau - (e2 * ze + e1) / sigma
            h_tau_tau = h_tau_tau - (e2 * ze**2 + e1 * ze)
    score_beta = X * d_eta[:, None]
    hess_bb = (X * h_eta_eta[:, None]).T @ X
    if fixed_scale:
        return float(ll.sum()), score_beta.sum(axis=0), hess_bb, score_beta
    scores = np.column_stack([score_beta, dtau])
    hess_bt = X.T @ h_eta_tau
    hess = np.block(
        [[hess_bb, hess_bt[:, None]], [hess_bt[None, :], np.array([[h_tau_tau.sum()]])]]
    )
    return float(ll.sum()), scores.sum(axis=0), hess, scores


def _start(X: np.ndarray, log_t: np.ndarray, dist: str) -> np.ndarray:
    """Least squares of log time on the regressors (the kernel: free of their units)."""
    beta = least_squares(X, log_t, warn=False).beta
    if dist == "exponential":
        return beta
    resid = log_t - X @ beta
    spread = float(np.std(resid)) or 1.0
    # sd of W: pi/sqrt(6) (extreme value), 1 (normal), pi/sqrt(3) (logistic)
    sd_w = {"weibull": np.pi / 6**0.5, "lognormal": 1.0, "loglogistic": np.pi / 3**0.5}[dist]
    return np.append(beta, np.log(max(spread / sd_w, 1e-3)))


def _fit(
    X: np.ndarray,
    log_t: np.ndarray,
    event: np.ndarray,
    log_entry: np.ndarray | None,
    dist: str,
    tol: float,
    maxiter: int,
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, int]:
    def fun(p: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        value, grad, hess, _ = aft_loglik(p, X, log_t, event, log_entry, dist)
        return value, grad, hess

    x, value, grad, hess, iterations = maximize(
        fun, _start(X, log_t, dist), tol=tol, maxiter=maxiter, what=f"the {dist} likelihood"
    )
    return x, value, grad, hess, iterations


def weibull(
    formula_rhs: str,
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    entry: str | None = None,
    dist: Dist = "weibull",
    vcov: VcovChoice | None = None,
    tol: float = 1e-12,
    maxiter: int = 200,
    ssc: str | SmallSample | None = None,
) -> Result:
    r"""Accelerated failure time regression (Weibull, log-normal, log-logistic, exponential).

    .. math::

        \log T_i = x_i'\beta + \sigma W_i,

    fitted by maximum likelihood in R ``survreg``'s parametrisation (see the
    module docstring for the likelihood, including left truncation).

    Parameters
    ----------
    formula_rhs
        Right-hand side, ``"age + sex + ph.ecog"`` (a leading ``~`` is
        allowed); an intercept is included unless ``- 1``. Fixed effects are
        written as dummies, ``C(province)``.
        Terms are evaluated as Python expressions (``np`` in scope): pass only trusted formulas.
    data
        One row per unit.
    duration
        Exit time (positive).
    event
        1 for an event, 0 for right censoring.
    entry
        Entry time for left-truncated spells (0 or missing for none); the
        likelihood is conditional on survival to entry. ``survreg`` has no
        left truncation; this matches lifelines' ``entry_col``.
    dist
        ``"weibull"`` (default), ``"lognormal"``, ``"loglogistic"`` or
        ``"exponential"`` (Weibull with :math:`\sigma = 1`; no ``Log(scale)``).
    vcov
        Variance menu. ``"iid"`` (default) is the inverse observed information
        of :math:`(\beta, \log\sigma)`, ``vcov(survreg(...))``. Robust choices
        use the per-unit scores: ``{"CRV0": "id"}`` with one row per id is
        ``survreg(..., robust = TRUE)``, ``{"CRV0": "inst"}`` is
        ``survreg(..., cluster = inst)``; ``"hetero"`` multiplies by
        :math:`N/(N-1)`, ``CRV1`` by :math:`G/(G-1)`.
    tol, maxiter
        Newton convergence: the Newton decrement (the predicted gain of the
        log-likelihood, free of the units of the covariates) below ``tol``
        times :math:`1 + |\ell|`; at most ``maxiter`` steps. Steps are solved
        on the unit-diagonal scaling of the Hessian
        (:func:`~massincidents.core.least_squares.solve_symmetric`), starting
        from least squares of :math:`\log t` (the kernel
        :func:`~massincidents.core.least_squares.least_squares`), so rescaling
        a covariate rescales its coefficient and nothing else.
    ssc
        Small-sample convention, ``"R"`` (default) or ``"stata"``: ``streg,
        vce(robust)`` is ``"hetero"`` (:math:`N/(N-1)`), ``vce(cluster g)`` is
        ``{"CRV1": g}`` (:math:`G/(G-1)`) under both, so only the label
        changes (:mod:`massincidents.survival.conventions`). ``streg,
        dist(weibull)`` reports the proportional-hazards metric:
        :func:`weibull_ph`.

    Returns
    -------
    Result
        ``params`` :math:`(\beta, \log\sigma)`, the last named ``"Log(scale)"``;
        normal reference distribution; ``stats``: ``loglik``, ``loglik_null``
        (intercept only; absent with left truncation or without an intercept),
        ``chi2`` and ``chi2_df`` (likelihood-ratio test of the slopes),
        ``scale``, ``aic``, ``n_events``, ``iterations``. ``link="log-time"``:
        :math:`e^{\beta}` are time ratios (not incidence-rate ratios, so
        ``.irr()`` refuses); :func:`weibull_ph` gives hazard ratios.

    Raises
    ------
    DataError
        Non-positive durations, entry not before exit, events other than 0/1.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000)
    >>> t = np.exp(1.0 + 0.5 * x + 0.8 * np.log(rng.exponential(size=2000)))
    >>> df = pd.DataFrame({"t": t, "d": 1, "x": x})
    >>> fit = weibull("x", df, duration="t", event="d")
    >>> fit.params.round(1).to_dict()
    {'Intercept': 1.0, 'x': 0.5, 'Log(scale)': -0.2}
    """
    if dist not in _NAMES:
        raise ValueError(f"dist is one of {', '.join(_NAMES)}; got {dist!r}")
    fit_ssc = survival_convention(ssc)
    frame = as_frame(data)
    rhs = formula_rhs.strip().lstrip("~").strip() or "1"
    if "|" in rhs:
        raise ValueError(
            "AFT models take fixed effects as dummy variables: write C(province) in the formula"
        )
    extra = {"event": event, **({"entry": entry} if entry is not None else {})}
    design = build_design(f"{duration} ~ {rhs}", frame, extra=extra)
    t, d, log_entry = _times_and_events(design, duration=duration, event=event, entry=entry)

    X, names, dropped = drop_collinear(design.X, list(design.names))
    log_t = np.log(t)
    params, loglik, _grad, hess, iterations = _fit(X, log_t, d, log_entry, dist, tol, maxiter)
    _, _, _, scores = aft_loglik(params, X, log_t, d, log_entry, dist)
    bread = inverse_symmetric(-hess)
    names_all = [*names, *([] if dist == "exponential" else [LOG_SCALE])]
    n = len(t)
    n_par = len(names_all)
    revcov = convention_revcov(
        make_revcov(
            frame=frame,
            used=design.used,
            bread=bread,
            scores=scores,
            n_params=n_par,
            fe=[],
            fe_dof=0,
        ),
        fit_ssc,
    )
    matrix, df, label = revcov(vcov if vcov is not None else "iid")
    stats_out = _fit_stats(params, loglik, iterations, d, n_par, dist)
    if "Intercept" in names and log_entry is None and len(names) > 1:
        stats_out |= _likelihood_ratio_test(loglik, log_t, d, dist, len(names) - 1, tol, maxiter)
    notes = []
    if entry is not None:
        notes.append(f"left truncation at {entry}: likelihood conditional on survival to entry")
    return Result(
        model=_NAMES[dist],
        formula=f"Surv({duration}, {event}) ~ {rhs}",
        params=pd.Series(params, index=names_all),
        vcov=pd.DataFrame(matrix, index=names_all, columns=names_all),
        vcov_label=label,
        df_inference=df,
        nobs=n,
        left_out=dict(design.left_out),
        link="log-time",
        stats=stats_out,
        dropped={name: "collinear" for name in dropped},
        notes=notes,
        vcov_ssc=fit_ssc,
        extra={"dist": dist, "hessian": hess, "scores": scores, "ssc": fit_ssc},
        _revcov=revcov,
        _prediction=Prediction(  # R predict.survreg: lp = x'b, response = exp(lp)
            link="log-time",
            eta=X @ params[: len(names)],
            newdata=NewData(rhs=rhs, names=list(names), sample=SampleColumns(frame, design.used)),
            index=design.index,
        ),
    )


def _times_and_events(
    design: Design, *, duration: str, event: str, entry: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Exit times, event indicators and log entry times (``-inf``: none), checked.

    Raises :class:`~massincidents.errors.DataError` listing non-positive
    durations, events other than 0/1 and entries not before the exit, with
    their rows, or when no unit has the event.
    """
    t = design.y
    d = pd.to_numeric(pd.Series(design.extra["event"]), errors="coerce").to_numpy(dtype=float)
    positions = np.flatnonzero(design.used)
    problems = [
        Problem(f"duration must be positive, got {t[i]:g}", row=int(positions[i]), column=duration)
        for i in np.flatnonzero(~(t > 0))
    ]
    problems += [
        Problem("event must be 0 or 1", row=int(positions[i]), column=event)
        for i in np.flatnonzero(~np.isin(d, [0.0, 1.0]))
    ]
    log_entry = None
    if entry is not None:
        e = pd.to_numeric(pd.Series(design.extra["entry"]), errors="coerce").to_numpy(dtype=float)
        problems += [
            Problem(
                f"no time at risk: entry {e[i]:g} is not before the exit {t[i]:g}",
                row=int(positions[i]),
                column=entry,
            )
            for i in np.flatnonzero((e >= t) | (e < 0))
        ]
        with np.errstate(divide="ignore"):
            log_entry = np.where(e > 0, np.log(np.where(e > 0, e, 1.0)), -np.inf)
    if problems:
        raise DataError(problems)
    if not (d == 1).any():
        raise DataError(
            [Problem("no event in the data: the model is not identified", column=event)]
        )
    return t, d, log_entry


def _fit_stats(
    params: np.ndarray, loglik: float, iterations: int, d: np.ndarray, n_par: int, dist: str
) -> dict[str, float]:
    """Log-likelihood, AIC, events, Newton steps and (unless exponential) the scale."""
    stats_out: dict[str, float] = {
        "loglik": loglik,
        "aic": -2.0 * loglik + 2.0 * n_par,
        "n_events": float(d.sum()),
        "iterations": float(iterations),
    }
    if dist != "exponential":
        stats_out["scale"] = float(np.exp(params[-1]))
    return stats_out


def _likelihood_ratio_test(
    loglik: float,
    log_t: np.ndarray,
    d: np.ndarray,
    dist: str,
    n_slopes: int,
    tol: float,
    maxiter: int,
) -> dict[str, float]:
    """The intercept-only fit's log-likelihood and the LR test of the slopes, as ``survreg``."""
    ones = np.ones((len(log_t), 1))
    _, null_ll, *_ = _fit(ones, log_t, d, None, dist, tol, maxiter)
    return {
        "loglik_null": null_ll,
        "chi2": 2.0 * (loglik - null_ll),
        "chi2_df": float(n_slopes),
    }

def weibull_ph(result: Result) -> pd.DataFrame:
    r"""Proportional-hazards form of a Weibull AFT fit: :math:`\gamma = -\beta/\sigma`.

    The Weibull model is both AFT and PH: :math:`h(t \mid x) = \frac{1}{\sigma}
    t^{1/\sigma - 1}\exp(-x'\beta/\sigma)`. Standard errors by the delta method
    from the full variance of :math:`(\beta, \log\sigma)` (``result.vcov``,
    whatever its choice from the menu).

    Parameters
    ----------
    result
        A :func:`weibull` fit with ``dist="weibull"``.

    Returns
    -------
    pandas.DataFrame
        Index: the terms and ``shape`` (:math:`1/\sigma`); columns ``estimate``,
        ``std_error``, ``hazard_ratio`` (:math:`e^{\gamma}`; NaN for ``shape``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000)
    >>> t = np.exp(1.0 + 0.5 * x + 0.8 * np.log(rng.exponential(size=2000)))
    >>> df = pd.DataFrame({"t": t, "d": 1, "x": x})
    >>> ph = weibull_ph(weibull("x", df, duration="t", event="d"))
    >>> round(float(ph.loc["x", "estimate"]), 1), round(float(ph.loc["shape", "estimate"]), 2)
    (-0.6, 1.24)
    """
    if result.extra.get("dist") != "weibull":
        raise ValueError("weibull_ph needs a Weibull AFT fit (dist='weibull')")
    p = result.params.to_numpy()
    V = result.vcov.to_numpy()
    k = len(p) - 1
    sigma = np.exp(p[k])
    est = np.append(-p[:k] / sigma, 1.0 / sigma)
    J = np.zeros((k + 1, k + 1))
    J[:k, :k] = -np.eye(k) / sigma
    J[:k, k] = p[:k] / sigma  # d(-b e^{-tau})/dtau = b e^{-tau}
    J[k, k] = -1.0 / sigma
    se = np.sqrt(np.diag(J @ V @ J.T))
    names = [*result.params.index[:k], "shape"]
    hr = np.append(np.exp(est[:k]), np.nan)
    return pd.DataFrame({"estimate": est, "std_error": se, "hazard_ratio": hr}, index=names)
