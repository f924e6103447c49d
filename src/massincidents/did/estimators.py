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

With ``allow_unbalanced_panel=True`` R ``did`` treats an unbalanced panel as
repeated cross sections: each observation of a 2x2 cell is a row with
:math:`Y`, :math:`X`, :math:`D` and a period indicator :math:`T` (1 for period
:math:`t`), and ``DRDID::drdid_rc`` / ``std_ipw_did_rc`` / ``reg_did_rc`` are
used (:func:`dr_rc`, :func:`ipw_rc`, :func:`reg_rc`); the row-level influence
functions are then summed within units (see :mod:`massincidents.did.group_time`).
The locally efficient DR estimator for repeated cross sections (Sant'Anna and
Zhao 2020, eq. 3.4) fits the outcome regression separately for the four
(D, T) groups :math:`\hat\mu_{d,t}(X)`:

.. math::

    \hat\tau^{dr,rc} = \big[H(w^{1}_{1}, e) - H(w^{1}_{0}, e)\big]
      - \big[H(w^{0}_{1}, e) - H(w^{0}_{0}, e)\big]
      + \big[H(D, \hat\mu_{1,1}-\hat\mu_{0,1}) - H(w^{1}_{1}, \hat\mu_{1,1}-\hat\mu_{0,1})\big]
      - \big[H(D, \hat\mu_{1,0}-\hat\mu_{0,0}) - H(w^{1}_{0}, \hat\mu_{1,0}-\hat\mu_{0,0})\big],

where :math:`H(w, v) = \sum_i w_i v_i / \sum_i w_i` (a Hajek mean),
:math:`e = Y - \hat\mu_{0,T}(X)`, :math:`w^1_t = D\,1\{T=t\}` and
:math:`w^0_t = \hat p(1-D)1\{T=t\}/(1-\hat p)` (trimmed as above).

Note: R ``did``'s default ``est_method="dr"`` is ``DRDID::drdid_panel``, the
locally efficient DR estimator with logit and OLS nuisance fits, not the
"improved" ``drdid_imp_panel`` (inverse probability tilting); this module
reproduces the former so that numbers agree with R ``did`` and its ports.
"""

from __future__ import annotations

import numpy as np

from massincidents.core.least_squares import (
    RankDeficientError,
    column_scale,
    least_squares,
    scaled_condition_number,
    solve_symmetric,
)

TRIM_LEVEL = 0.995
PS_CAP = 1.0 - 1e-6


class CellError(ValueError):
    """A 2x2 cell that cannot be estimated (singular design, no overlap)."""


def _solve_pd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``a x = b`` for a symmetric positive-definite ``a``; raise CellError if singular.

    Through the least-squares kernel (:func:`~massincidents.core.least_squares.solve_symmetric`):
    the matrix is scaled to a unit diagonal before its condition is judged and it is
    factorised, so the units of a covariate (1e-15 or 1e15) change neither.
    """
    if a.shape[0] == 1:
        if not a[0, 0] > 0:
            raise CellError("singular design")
        return b / a[0, 0]
    diag = np.diag(a)
    if not (np.isfinite(diag).all() and (diag > 0).all()):
        raise CellError("singular design")
    if not scaled_condition_number(a) < 1.0 / np.finfo(float).eps:
        raise CellError("singular or ill-conditioned covariate design")
    try:
        return solve_symmetric(a, b)
    except np.linalg.LinAlgError as err:
        raise CellError("singular or ill-conditioned covariate design") from err


def logit_fit(
    d: np.ndarray, x: np.ndarray, *, tol: float = 1e-12, max_iter: int = 100
) -> np.ndarray:
    """Maximum-likelihood logit by Newton-Raphson; returns fitted probabilities.

    An intercept-only design has the closed form :math:`\\hat p = \\bar D`.
    """
    return _logit(d, x, tol=tol, max_iter=max_iter)[0]


def _logit(
    d: np.ndarray,
    x: np.ndarray,
    start: np.ndarray | None = None,
    *,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Logit fitted probabilities and coefficients (``None`` for intercept only).

    Newton-Raphson from ``start`` (a warm start, e.g. the fit of a neighbouring
    cell) or from the intercept-only fit; iterations run until the step is below
    ``tol`` relative to the coefficients, so the optimum does not depend on the
    start beyond rounding. Steps are solved on the information matrix scaled to
    a unit diagonal, and the convergence criterion compares steps and
    coefficients in units of the covariates' root mean squares
    (:math:`\beta_j s_j`), so neither depends on the units of a covariate.
    """
    n, k = x.shape
    if k == 1:
        return np.full(n, d.mean()), None
    scale = column_scale(x)
    if start is None:
        p0 = d.mean()
        try:
            beta = least_squares(x, np.full(n, np.log(p0 / (1 - p0))), warn=False).beta
        except RankDeficientError as err:
            raise CellError("singular or ill-conditioned covariate design") from err
    else:
        beta = start
    for _ in range(max_iter):
        eta = x @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        w = p * (1.0 - p)
        grad = x.T @ (d - p)
        info = (x * w[:, None]).T @ x
        try:
            step = solve_symmetric(info, grad)  # conditioning is checked once, in _pscore
        except np.linalg.LinAlgError as err:
            raise CellError("singular or ill-conditioned covariate design") from err
        beta = beta + step
        if np.max(np.abs(step * scale)) < tol * (1 + np.max(np.abs(beta * scale))):
            break
    else:  # pragma: no cover - separation makes Newton diverge
        raise CellError("propensity-score logit did not converge (separation?)")
    return 1.0 / (1.0 + np.exp(-(x @ beta))), beta


def _ols_fit(x: np.ndarray, mask: np.ndarray):
    """Inverse of :math:`X_m^\top X_m / n` for the rows in ``mask`` (a 0/1 mask)."""
    n = x.shape[0]
    xm = x[mask]
    return _solve_pd(xm.T @ xm / n, np.eye(x.shape[1]))


def _ols_lin_rep(y: np.ndarray, x: np.ndarray, mask: np.ndarray, xpx_inv: np.ndarray):
    """Fitted values and masked residuals of the OLS of ``y`` on ``x`` among ``mask``.

    ``y`` is a vector or an ``n x m`` matrix (one regression per column). The
    asymptotic linear representation of the coefficients of column ``j`` is
    ``resid[:, j, None] * x @ xpx_inv``; callers contract it with a moment vector.
    """
    n = x.shape[0]
    beta = xpx_inv @ (x[mask].T @ y[mask] / n)
    fitted = x @ beta
    resid = (y - fitted) * mask.reshape((-1,) + (1,) * (y.ndim - 1))
    return fitted, resid


def _pscore(d: np.ndarray, x: np.ndarray, start: np.ndarray | None = None):
    """Capped, trimmed propensity score, the logit's linear representation and
    its coefficients."""
    n = len(d)
    raw, beta = _logit(d, x, start)
    if np.max(raw) >= 0.999:  # R did's overlap guard
        raise CellError("overlap fails: a fitted propensity score is 0.999 or more")
    ps = np.minimum(raw, PS_CAP)
    trim = np.where(d == 1, True, ps < TRIM_LEVEL)
    info = (x * (ps * (1 - ps))[:, None]).T @ x
    hess = _solve_pd(info, np.eye(x.shape[1])) * n
    lin_rep = ((d - ps)[:, None] * x) @ hess
    return ps, trim, lin_rep, beta


class PanelDesign:
    """Nuisance fits of a 2x2 panel cell that do not depend on the outcome.

    The propensity score (``"dr"``, ``"ipw"``) and the comparison units' OLS
    Gram inverse (``"dr"``, ``"reg"``) depend only on :math:`D` and :math:`X`,
    so cells of a cohort sharing the same units and covariates (never-treated
    comparisons with time-invariant covariates, for instance) reuse them and
    are estimated together by :meth:`estimate` on a matrix of outcome changes.
    """

    def __init__(self, method: str, d: np.ndarray, x: np.ndarray, start: np.ndarray | None = None):
        self.method = method
        self.d = d
        self.x = x
        self.control = d == 0
        self.beta = None  # logit coefficients, a warm start for a similar design
        if method in ("dr", "ipw"):
            self.ps, self.trim, self.lin_ps, self.beta = _pscore(d, x, start)
        if method in ("dr", "reg"):
            self.xpx_inv = _ols_fit(x, self.control)

    def estimate(self, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ATT and influence function of each column of ``dy`` (``n x m``).

        Returns ``(att, psi)`` with ``att`` of length ``m`` and ``psi`` ``n x m``.
        """
        return _PANEL[self.method](self, dy)


def _dr_panel_batch(s: PanelDesign, dy: np.ndarray):
    d, x, ps, trim = s.d, s.x, s.ps, s.trim
    n = len(d)
    fitted, resid = _ols_lin_rep(dy, x, s.control, s.xpx_inv)
    xa = x @ s.xpx_inv  # lin_rep_ols = resid[:, j, None] * xa
    w_treat = trim * d
    w_cont = trim * ps * (1 - d) / (1 - ps)
    e = dy - fitted
    mw_t, mw_c = w_treat.mean(), w_cont.mean()
    eta_treat = (w_treat @ e) / n / mw_t
    eta_cont = (w_cont @ e) / n / mw_c
    m1 = w_treat @ x / n
    m3 = w_cont @ x / n
    inf_treat = (w_treat[:, None] * (e - eta_treat) - resid * (xa @ m1)[:, None]) / mw_t
    m2 = x.T @ (w_cont[:, None] * (e - eta_cont)) / n  # k x m
    inf_cont = (
        w_cont[:, None] * (e - eta_cont) + s.lin_ps @ m2 - resid * (xa @ m3)[:, None]
    ) / mw_c
    return eta_treat - eta_cont, inf_treat - inf_cont


def _ipw_panel_batch(s: PanelDesign, dy: np.ndarray):
    d, x, ps, trim = s.d, s.x, s.ps, s.trim
    n = len(d)
    w_treat = trim * d
    w_cont = trim * ps * (1 - d) / (1 - ps)
    mw_t, mw_c = w_treat.mean(), w_cont.mean()
    eta_treat = (w_treat @ dy) / n / mw_t
    eta_cont = (w_cont @ dy) / n / mw_c
    inf_treat = w_treat[:, None] * (dy - eta_treat) / mw_t
    m2 = x.T @ (w_cont[:, None] * (dy - eta_cont)) / n
    inf_cont = (w_cont[:, None] * (dy - eta_cont) + s.lin_ps @ m2) / mw_c
    return eta_treat - eta_cont, inf_treat - inf_cont


def _reg_panel_batch(s: PanelDesign, dy: np.ndarray):
    d, x = s.d, s.x
    n = len(d)
    fitted, resid = _ols_lin_rep(dy, x, s.control, s.xpx_inv)
    mw = d.mean()
    eta_treat = (d @ dy) / n / mw
    eta_cont = (d @ fitted) / n / mw
    inf_treat = d[:, None] * (dy - eta_treat) / mw
    m1 = d @ x / n
    inf_cont = (d[:, None] * (fitted - eta_cont) + resid * ((x @ s.xpx_inv) @ m1)[:, None]) / mw
    return eta_treat - eta_cont, inf_treat - inf_cont


_PANEL = {"dr": _dr_panel_batch, "ipw": _ipw_panel_batch, "reg": _reg_panel_batch}


def _single(method: str, dy: np.ndarray, d: np.ndarray, x: np.ndarray):
    att, psi = PanelDesign(method, d, x).estimate(dy[:, None])
    return float(att[0]), psi[:, 0]


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
    return _single("dr", dy, d, x)


def ipw_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Standardised (Hajek) inverse-probability-weighted DiD (``DRDID::std_ipw_did_panel``)."""
    return _single("ipw", dy, d, x)


def reg_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD of Heckman, Ichimura and Todd (``DRDID::reg_did_panel``)."""
    return _single("reg", dy, d, x)


ESTIMATORS = {"dr": dr_panel, "ipw": ipw_panel, "reg": reg_panel}


# -- repeated cross sections (unbalanced panels) ------------------------------------------


def _hajek(w: np.ndarray, v: np.ndarray) -> tuple[float, np.ndarray]:
    """Hajek mean :math:`H(w, v)` and its influence function."""
    mw = w.mean()
    est = float(np.mean(w * v) / mw)
    return est, w * (v - est) / mw


def _rc_cells(d: np.ndarray, post: np.ndarray):
    masks = {(dd, tt): (d == dd) & (post == tt) for dd in (0.0, 1.0) for tt in (0.0, 1.0)}
    for (dd, tt), m in masks.items():
        if not m.any():
            who = "treated" if dd else "comparison"
            when = "period t" if tt else "the base period"
            raise CellError(f"no {who} observations in {when}")
    return masks


def _ols_rc(y: np.ndarray, x: np.ndarray, mask: np.ndarray):
    """Fitted values and linear representation (``n x k``) of OLS among ``mask``."""
    xpx_inv = _ols_fit(x, mask)
    fitted, resid = _ols_lin_rep(y, x, mask, xpx_inv)
    return fitted, (resid[:, None] * x) @ xpx_inv


def dr_rc(
    y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray
) -> tuple[float, np.ndarray]:
    """Locally efficient DR DiD for repeated cross sections (``DRDID::drdid_rc``).

    ``y`` outcomes, ``post`` 1 in period :math:`t` and 0 in the base period,
    ``d`` 1 for the treated cohort; ``x`` covariates with an intercept. Returns
    the ATT and the row-level influence function.
    """
    masks = _rc_cells(d, post)
    ps, trim, lin_ps, _ = _pscore(d, x)
    mu_c0, lin_c0 = _ols_rc(y, x, masks[0.0, 0.0])
    mu_c1, lin_c1 = _ols_rc(y, x, masks[0.0, 1.0])
    mu_t0, lin_t0 = _ols_rc(y, x, masks[1.0, 0.0])
    mu_t1, lin_t1 = _ols_rc(y, x, masks[1.0, 1.0])
    pre = 1.0 - post
    odds = trim * ps * (1 - d) / (1 - ps)
    w_t1, w_t0 = trim * d * post, trim * d * pre
    w_c1, w_c0 = odds * post, odds * pre
    w_d = trim * d
    e = y - (post * mu_c1 + pre * mu_c0)
    a_t1, i_t1 = _hajek(w_t1, e)
    a_t0, i_t0 = _hajek(w_t0, e)
    a_c1, i_c1 = _hajek(w_c1, e)
    a_c0, i_c0 = _hajek(w_c0, e)
    a_d1, i_d1 = _hajek(w_d, mu_t1 - mu_c1)
    a_dt1, i_dt1 = _hajek(w_t1, mu_t1 - mu_c1)
    a_d0, i_d0 = _hajek(w_d, mu_t0 - mu_c0)
    a_dt0, i_dt0 = _hajek(w_t0, mu_t0 - mu_c0)
    att = (a_t1 - a_t0) - (a_c1 - a_c0) + (a_d1 - a_dt1) - (a_d0 - a_dt0)

    def colmean(w):
        return w @ x / len(w)

    # estimation effects: control outcome regressions in the treated and control terms
    inf_treat_or = lin_c1 @ (-colmean(w_t1) / w_t1.mean()) - lin_c0 @ (-colmean(w_t0) / w_t0.mean())
    inf_cont_or = lin_c1 @ (-colmean(w_c1) / w_c1.mean()) - lin_c0 @ (-colmean(w_c0) / w_c0.mean())
    m2_post = colmean(w_c1 * (e - a_c1)) / w_c1.mean()
    m2_pre = colmean(w_c0 * (e - a_c0)) / w_c0.mean()
    inf_cont_ps = lin_ps @ (m2_post - m2_pre)
    mom_post = colmean(w_d / w_d.mean() - w_t1 / w_t1.mean())
    mom_pre = colmean(w_d / w_d.mean() - w_t0 / w_t0.mean())
    inf_or = (lin_t1 - lin_c1) @ mom_post - (lin_t0 - lin_c0) @ mom_pre
    inf_treat = i_t1 - i_t0 + inf_treat_or
    inf_cont = i_c1 - i_c0 + inf_cont_ps + inf_cont_or
    inf_eff = (i_d1 - i_dt1) - (i_d0 - i_dt0)
    return float(att), inf_treat - inf_cont + inf_eff + inf_or


def ipw_rc(
    y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray
) -> tuple[float, np.ndarray]:
    """Standardised IPW DiD for repeated cross sections (``DRDID::std_ipw_did_rc``)."""
    _rc_cells(d, post)
    ps, trim, lin_ps, _ = _pscore(d, x)
    pre = 1.0 - post
    odds = trim * ps * (1 - d) / (1 - ps)
    w_t1, w_t0, w_c1, w_c0 = trim * d * post, trim * d * pre, odds * post, odds * pre
    a_t1, i_t1 = _hajek(w_t1, y)
    a_t0, i_t0 = _hajek(w_t0, y)
    a_c1, i_c1 = _hajek(w_c1, y)
    a_c0, i_c0 = _hajek(w_c0, y)
    n = len(y)
    m2_post = (w_c1 * (y - a_c1)) @ x / n / w_c1.mean()
    m2_pre = (w_c0 * (y - a_c0)) @ x / n / w_c0.mean()
    inf_cont = i_c1 - i_c0 + lin_ps @ (m2_post - m2_pre)
    return float((a_t1 - a_t0) - (a_c1 - a_c0)), (i_t1 - i_t0) - inf_cont


def reg_rc(
    y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray
) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD for repeated cross sections (``DRDID::reg_did_rc``)."""
    masks = _rc_cells(d, post)
    mu_c0, lin_c0 = _ols_rc(y, x, masks[0.0, 0.0])
    mu_c1, lin_c1 = _ols_rc(y, x, masks[0.0, 1.0])
    a_t1, i_t1 = _hajek(d * post, y)
    a_t0, i_t0 = _hajek(d * (1.0 - post), y)
    a_c, i_c = _hajek(d, mu_c1 - mu_c0)
    moment = d @ x / len(d)
    inf_cont = i_c + (lin_c1 - lin_c0) @ moment / d.mean()
    return float(a_t1 - a_t0 - a_c), i_t1 - i_t0 - inf_cont


ESTIMATORS_RC = {"dr": dr_rc, "ipw": ipw_rc, "reg": reg_rc}
