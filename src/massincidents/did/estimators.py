r"""Two-period, two-group DiD estimators with their influence functions.

These are the building blocks of :func:`~massincidents.did.staggered_did`: each
ATT(g,t) cell is a 2x2 comparison of the units of cohort :math:`g` (:math:`D=1`)
with the comparison units (:math:`D=0`) between a base period and period
:math:`t`, on the outcome change :math:`\Delta Y_i = Y_{it} - Y_{i,\text{base}}`.
They follow R ``DRDID``'s panel estimators, which R ``did::att_gt`` calls:
``drdid_panel`` (``"dr"``), ``std_ipw_did_panel`` (``"ipw"``) and
``reg_did_panel`` (``"reg"``).

Doubly robust (Sant'Anna and Zhao, 2020, eq. 3.1, the locally efficient DR
estimator with a logit propensity score :math:`\hat p(X)` and a linear outcome
regression :math:`\hat\mu_{0,\Delta}(X)` fitted on the comparison units):

.. math::

    \hat\tau^{dr} = \frac{\sum_i w^1_i (\Delta Y_i - \hat\mu_{0,\Delta}(X_i))}{\sum_i w^1_i}
      - \frac{\sum_i w^0_i (\Delta Y_i - \hat\mu_{0,\Delta}(X_i))}{\sum_i w^0_i},
    \qquad w^1_i = D_i,\quad w^0_i = \frac{\hat p(X_i)(1-D_i)}{1-\hat p(X_i)}.

The standardised IPW estimator drops :math:`\hat\mu`; the outcome-regression
estimator is :math:`\bar{\Delta Y}_{D=1} - \overline{\hat\mu_{0,\Delta}(X)}_{D=1}`.
Each returns the estimate and its influence function :math:`\psi_i`, with
:math:`\hat\tau - \tau \approx n^{-1}\sum_i \psi_i`, including the estimation
effect of the propensity score and outcome regression. As in ``DRDID`` the
propensity score is capped at :math:`1-10^{-6}` and comparison units with
:math:`\hat p \ge 0.995` get weight zero.

Note: R ``did``'s default ``est_method="dr"`` is ``DRDID::drdid_panel``, the
locally efficient DR estimator with logit and OLS nuisance fits, not the
"improved" ``drdid_imp_panel`` (inverse probability tilting); this module
reproduces the former so that numbers agree with R ``did`` and its ports.
"""

from __future__ import annotations

import numpy as np

TRIM_LEVEL = 0.995
PS_CAP = 1.0 - 1e-6


class CellError(ValueError):
    """A 2x2 cell that cannot be estimated (singular design, no overlap)."""


def _solve_pd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``a x = b`` for a symmetric positive-definite ``a``; raise CellError if singular."""
    if a.shape[0] == 1:
        if not a[0, 0] > 0:
            raise CellError("singular design")
        return b / a[0, 0]
    rcond = 1.0 / np.linalg.cond(a, 1)
    if not np.isfinite(rcond) or rcond < np.finfo(float).eps:
        raise CellError("singular or ill-conditioned covariate design")
    return np.linalg.solve(a, b)


def logit_fit(
    d: np.ndarray, x: np.ndarray, *, tol: float = 1e-12, max_iter: int = 100
) -> np.ndarray:
    """Maximum-likelihood logit by Newton-Raphson; returns fitted probabilities.

    An intercept-only design has the closed form :math:`\\hat p = \\bar D`.
    """
    n, k = x.shape
    if k == 1:
        return np.full(n, d.mean())
    beta = np.zeros(k)
    p0 = d.mean()
    beta_start = np.linalg.lstsq(x, np.full(n, np.log(p0 / (1 - p0))), rcond=None)[0]
    beta = beta_start
    for _ in range(max_iter):
        eta = x @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        w = p * (1.0 - p)
        grad = x.T @ (d - p)
        info = (x * w[:, None]).T @ x
        try:
            step = np.linalg.solve(info, grad)  # conditioning is checked once, in _pscore
        except np.linalg.LinAlgError as err:
            raise CellError("singular or ill-conditioned covariate design") from err
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            break
    else:  # pragma: no cover - separation makes Newton diverge
        raise CellError("propensity-score logit did not converge (separation?)")
    return 1.0 / (1.0 + np.exp(-(x @ beta)))


def _ols_controls(dy: np.ndarray, x: np.ndarray, control: np.ndarray):
    """OLS of ``dy`` on ``x`` among controls; returns fitted values and the
    asymptotic linear representation of the coefficients (n x k)."""
    n = len(dy)
    xc = x[control]
    xpx = xc.T @ xc / n
    beta = _solve_pd(xpx, xc.T @ dy[control] / n)
    fitted = x @ beta
    resid = (dy - fitted) * control
    xpx_inv = _solve_pd(xpx, np.eye(x.shape[1]))
    lin_rep = (resid[:, None] * x) @ xpx_inv
    return fitted, lin_rep


def _pscore(d: np.ndarray, x: np.ndarray):
    """Capped, trimmed propensity score and the logit's linear representation."""
    n = len(d)
    raw = logit_fit(d, x)
    if np.max(raw) >= 0.999:  # R did's overlap guard
        raise CellError("overlap fails: a fitted propensity score is 0.999 or more")
    ps = np.minimum(raw, PS_CAP)
    trim = np.where(d == 1, True, ps < TRIM_LEVEL)
    info = (x * (ps * (1 - ps))[:, None]).T @ x
    hess = _solve_pd(info, np.eye(x.shape[1])) * n
    lin_rep = ((d - ps)[:, None] * x) @ hess
    return ps, trim, lin_rep


def dr_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Locally efficient doubly robust DiD (R ``DRDID::drdid_panel``).

    Parameters
    ----------
    dy
        Outcome change :math:`Y_{it} - Y_{i,\\text{base}}`.
    d
        1 for the treated cohort, 0 for comparison units (float array).
    x
        Covariates with an intercept in the first column.

    Returns
    -------
    (float, numpy.ndarray)
        The ATT and its influence function.
    """
    control = d == 0
    ps, trim, lin_ps = _pscore(d, x)
    fitted, lin_ols = _ols_controls(dy, x, control)
    w_treat = trim * d
    w_cont = trim * ps * (1 - d) / (1 - ps)
    e = dy - fitted
    att_treat = w_treat * e
    att_cont = w_cont * e
    mw_t, mw_c = w_treat.mean(), w_cont.mean()
    eta_treat = att_treat.mean() / mw_t
    eta_cont = att_cont.mean() / mw_c
    m1 = (w_treat[:, None] * x).mean(axis=0)
    inf_treat = (att_treat - w_treat * eta_treat - lin_ols @ m1) / mw_t
    m2 = ((w_cont * (e - eta_cont))[:, None] * x).mean(axis=0)
    m3 = (w_cont[:, None] * x).mean(axis=0)
    inf_cont = (att_cont - w_cont * eta_cont + lin_ps @ m2 - lin_ols @ m3) / mw_c
    return float(eta_treat - eta_cont), inf_treat - inf_cont


def ipw_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Standardised (Hajek) inverse-probability-weighted DiD (``DRDID::std_ipw_did_panel``)."""
    ps, trim, lin_ps = _pscore(d, x)
    w_treat = trim * d
    w_cont = trim * ps * (1 - d) / (1 - ps)
    att_treat = w_treat * dy
    att_cont = w_cont * dy
    mw_t, mw_c = w_treat.mean(), w_cont.mean()
    eta_treat = att_treat.mean() / mw_t
    eta_cont = att_cont.mean() / mw_c
    inf_treat = (att_treat - w_treat * eta_treat) / mw_t
    m2 = ((w_cont * (dy - eta_cont))[:, None] * x).mean(axis=0)
    inf_cont = (att_cont - w_cont * eta_cont + lin_ps @ m2) / mw_c
    return float(eta_treat - eta_cont), inf_treat - inf_cont


def reg_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD of Heckman, Ichimura and Todd (``DRDID::reg_did_panel``)."""
    control = d == 0
    fitted, lin_ols = _ols_controls(dy, x, control)
    w = d
    mw = w.mean()
    att_treat = w * dy
    att_cont = w * fitted
    eta_treat = att_treat.mean() / mw
    eta_cont = att_cont.mean() / mw
    inf_treat = (att_treat - w * eta_treat) / mw
    m1 = (w[:, None] * x).mean(axis=0)
    inf_cont = (att_cont - w * eta_cont + lin_ols @ m1) / mw
    return float(eta_treat - eta_cont), inf_treat - inf_cont


ESTIMATORS = {"dr": dr_panel, "ipw": ipw_panel, "reg": reg_panel}
