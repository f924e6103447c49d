r"""Shared gamma frailty for the Cox model, by penalised partial likelihood.

Rows of group :math:`g` share a frailty :math:`Z_g = e^{\omega_g}`,
:math:`Z_g \sim \text{Gamma}(\text{mean } 1, \text{variance } \theta)`:

.. math::

    \lambda_{i}(t) = \lambda_0(t)\, e^{x_i'\beta + \omega_{g(i)}}.

For fixed :math:`\theta` (:math:`\nu = 1/\theta`), :math:`(\beta, \omega)`
maximise the penalised partial likelihood (Therneau, Grambsch and Pankratz
2003)

.. math::

    \ell_{pen}(\beta, \omega) = \ell(\beta, \omega)
        + \nu \sum_g \big(\omega_g - e^{\omega_g} + 1\big),

whose solution has :math:`\sum_g e^{\hat\omega_g} = G` and gives the same
:math:`\hat\beta` as the EM algorithm for the gamma frailty model. The profile
(marginal) log-likelihood of :math:`\theta`, R's "I-likelihood", is

.. math::

    \ell_m(\theta) = \ell_{pen}(\hat\beta, \hat\omega)
        + \sum_g \Big[D_g + \nu\log\frac{\nu}{\nu + D_g}
        + \log\frac{\Gamma(\nu + D_g)}{\Gamma(\nu)} - D_g \log(\nu + D_g)\Big],

with :math:`D_g` the events of group :math:`g`; it equals the Cox partial
likelihood at :math:`\theta = 0`. :math:`\hat\theta` maximises it. Because
:math:`(\hat\beta, \hat\omega)` maximise :math:`\ell_{pen}`, its derivative
is (envelope theorem)

.. math::

    \frac{d\ell_m}{d\nu} = \sum_g \Big[\hat\omega_g - e^{\hat\omega_g} + 1
        + \log\frac{\nu}{\nu + D_g} + \psi(\nu + D_g) - \psi(\nu)\Big],

and :math:`\hat\theta` is found as its root, to full precision (R's search
stops when :math:`\ell_m` changes by less than ``eps = 1e-5`` relative and
reports the coefficients of the last :math:`\theta` it tried; see
:func:`massincidents.survival.cox.cox`).

The variance of :math:`\hat\beta` is the :math:`\beta` block of the inverse
penalised information :math:`H^{-1}` (R's ``var``). With many groups R treats
the :math:`\omega`-block of :math:`H` as diagonal (``sparse = TRUE``, the
default above 5 groups), which changes the standard errors slightly; ``sparse``
chooses the same way by default.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from massincidents.core.least_squares import column_scale, inverse_symmetric
from massincidents.survival.partial_likelihood import (
    CoxConvergenceWarning,
    CoxTerms,
    cox_terms,
)
from massincidents.survival.risksets import RiskSets


@dataclass(frozen=True)
class FrailtyFit:
    """A penalised fit at one :math:`\\theta`."""

    theta: float
    beta: np.ndarray
    omega: np.ndarray
    terms: CoxTerms
    penalized_loglik: float
    integrated_loglik: float
    var_beta: np.ndarray
    iterations: int
    converged: bool


def gamma_correction(events: np.ndarray, theta: float) -> float:
    """:math:`\\ell_m - \\ell_{pen}` for gamma frailty (zero at :math:`\\theta = 0`).

    Parameters
    ----------
    events
        Number of events :math:`D_g` of each group.
    theta
        Frailty variance :math:`\\theta`.

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([0, 1, 3])
    >>> gamma_correction(d, 0.0), abs(gamma_correction(d, 1e-9)) < 1e-7
    (0.0, True)
    >>> round(gamma_correction(d, 0.5), 6)
    -0.699237
    """
    if theta <= 0:
        return 0.0
    nu = 1.0 / theta
    d = np.asarray(events, dtype=np.int64)
    # log Gamma(nu + d) - log Gamma(nu) - d log(nu + d) = sum_k log((nu + k)/(nu + d)),
    # summed term by term: lgamma differences lose all precision when nu is large.
    k, dd = _event_ranks(d)
    ratio = np.sum(np.log1p((k - dd) / (nu + dd)))
    return float(np.sum(d - nu * np.log1p(d / nu)) + ratio)


def _event_ranks(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``k = 0..d_g-1`` for every group, with its ``d_g`` alongside."""
    dd = np.repeat(d, d).astype(float)
    first = np.repeat(np.cumsum(d) - d, d)
    return np.arange(dd.shape[0]) - first, dd


def _per_time(rs: RiskSets, values: np.ndarray) -> np.ndarray:
    """Sums of slot values by event time; ``values`` (n_events,) or (n_events, k)."""
    if values.ndim == 1:
        return np.bincount(rs.death_time, weights=values, minlength=rs.n_times)
    return np.column_stack([_per_time(rs, values[:, j]) for j in range(values.shape[1])])


def _cumulative(per_time: np.ndarray) -> np.ndarray:
    zero = np.zeros((1, *per_time.shape[1:]))
    return np.concatenate([zero, np.cumsum(per_time, axis=0)])


@dataclass(frozen=True)
class GroupSegments:
    """Where each group's at-risk sum changes: breakpoints sorted by (group, position).

    Independent of the coefficients, so built once per fit.
    """

    order: np.ndarray
    pos: np.ndarray
    grp: np.ndarray
    end: np.ndarray
    first: np.ndarray

    @classmethod
    def build(cls, rs: RiskSets, groups: np.ndarray, n_groups: int) -> GroupSegments:
        pos = np.concatenate([rs.lo, rs.hi])
        grp = np.concatenate([groups, groups])
        order = np.lexsort((pos, grp))
        pos, grp = pos[order], grp[order]
        end = np.concatenate([pos[1:], pos[-1:]])
        end = np.where(np.concatenate([grp[1:] == grp[:-1], [False]]), end, pos)
        first = np.searchsorted(grp, np.arange(n_groups))
        return cls(order=order, pos=pos, grp=grp, end=end, first=first)


def _penalty_blocks(
    rs: RiskSets,
    X: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    terms: CoxTerms,
    full: bool,
    segments: GroupSegments | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Information blocks of the group effects: I_bw (p, G), diag I_ww (G,), full I_ww.

    With :math:`a_{sg} = (S_{0g}(t_s) - c_s S^D_{0g}(t_s))/den_s` the share of
    group :math:`g` in event slot :math:`s`,
    :math:`I_{\beta\omega_g} = \sum_{i \in g} r_i H_i x_i - \sum_s \bar x_s a_{sg}` and
    :math:`I_{\omega_g\omega_h} = [g = h]\sum_{i \in g} r_i H_i - \sum_s a_{sg} a_{sh}`.
    The group indicators are never formed. :math:`S_{0g}(t)` is a step function
    of the event-time position that changes only where a row of :math:`g` enters
    or leaves, so the diagonal and :math:`I_{\beta\omega}` are sums over those
    segments of cumulative sums over event times: :math:`O(n \log n)` whatever
    the number of groups. The full :math:`G \times G` block (few groups, or
    ``sparse=False``) is formed densely.
    """
    r, H = terms.risk, terms.cumhaz
    rH = r * H
    p = X.shape[1]
    inv = 1.0 / terms.den
    st, frac, xbar = rs.death_time, rs.frac, terms.xbar
    i_bw = np.zeros((p, n_groups))
    for j in range(p):
        i_bw[j] = np.bincount(groups, weights=rH * X[:, j], minlength=n_groups)
    base_diag = np.bincount(groups, weights=rH, minlength=n_groups)

    seg = segments if segments is not None else GroupSegments.build(rs, groups, n_groups)
    pos, grp, end = seg.pos, seg.grp, seg.end
    running = np.cumsum(np.concatenate([r, -r])[seg.order])
    level = running - np.concatenate([[0.0], running])[seg.first][grp]
    q2 = _cumulative(_per_time(rs, inv**2))
    qx = _cumulative(_per_time(rs, xbar * inv[:, None]))
    diag = base_diag - np.bincount(grp, weights=level**2 * (q2[end] - q2[pos]), minlength=n_groups)
    span = qx[end] - qx[pos]
    for j in range(p):
        i_bw[j] -= np.bincount(grp, weights=level * span[:, j], minlength=n_groups)

    # Efron: groups with events at a tied time get c_s-weighted corrections
    if np.any(frac > 0):
        dg = groups[rs.death_rows]
        width = np.int64(rs.n_times + 1)
        pair, pair_idx = np.unique(dg * width + st, return_inverse=True)
        pg, pt = pair // width, pair % width
        s0d = np.bincount(pair_idx, weights=r[rs.death_rows], minlength=pair.shape[0])
        at = np.searchsorted(grp * width + pos, pg * width + pt, side="right") - 1
        s0 = level[at]
        v2 = _per_time(rs, frac * inv**2)[pt]
        c2 = _per_time(rs, frac**2 * inv**2)[pt]
        diag -= np.bincount(pg, weights=-2.0 * s0 * s0d * v2 + s0d**2 * c2, minlength=n_groups)
        xc = _per_time(rs, xbar * (frac * inv)[:, None])[pt]
        for j in range(p):
            i_bw[j] += np.bincount(pg, weights=s0d * xc[:, j], minlength=n_groups)

    if not full:
        return i_bw, diag, np.zeros((0, 0))
    # dense shares a_sg for the full block
    m = (rs.n_times + 1) * n_groups
    diff = np.bincount(rs.lo * n_groups + groups, weights=r, minlength=m)
    diff -= np.bincount(rs.hi * n_groups + groups, weights=r, minlength=m)
    s0g = np.cumsum(diff.reshape(rs.n_times + 1, n_groups), axis=0)[:-1]
    s0dg = np.bincount(
        st * n_groups + groups[rs.death_rows],
        weights=r[rs.death_rows],
        minlength=rs.n_times * n_groups,
    ).reshape(rs.n_times, n_groups)
    a = (s0g[st] - frac[:, None] * s0dg[st]) * inv[:, None]
    return i_bw, diag, np.diag(base_diag) - a.T @ a


def _solve(
    i_bb: np.ndarray, i_bw: np.ndarray, d: np.ndarray, full: np.ndarray | None, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Newton direction and the beta block of the inverse penalised information.

    Inverses are taken on the unit-diagonal scaling of each matrix
    (:func:`~massincidents.core.least_squares.inverse_symmetric`): the
    :math:`\\beta` rows carry the units of the covariates, the frailty rows none.
    """
    p = i_bb.shape[0]
    if full is not None:
        H = np.block([[i_bb, i_bw], [i_bw.T, full]])
        Hinv = inverse_symmetric(H)
        return Hinv @ u, Hinv[:p, :p]
    schur = i_bb - (i_bw / d) @ i_bw.T
    var_beta = inverse_symmetric(schur) if p else np.zeros((0, 0))
    ub, uw = u[:p], u[p:]
    db = var_beta @ (ub - i_bw @ (uw / d)) if p else np.zeros(0)
    dw = (uw - i_bw.T @ db) / d
    return np.concatenate([db, dw]), var_beta


def fit_penalized(
    rs: RiskSets,
    X: np.ndarray,
    groups: np.ndarray,
    theta: float,
    *,
    offset: np.ndarray | None = None,
    init: tuple[np.ndarray, np.ndarray] | None = None,
    sparse: bool = True,
    eps: float = 1e-12,
    maxiter: int = 200,
    segments: GroupSegments | None = None,
) -> FrailtyFit:
    """Maximise the penalised partial likelihood at fixed :math:`\\theta > 0`.

    Newton-Raphson on :math:`(\\beta, \\omega)` with step halving; the Newton
    steps use the full information when there are few groups (at most 200),
    the diagonal approximation of the frailty block otherwise (the fixed point
    is the same). ``sparse`` chooses how the reported variance is computed.
    Converged when the penalised log-likelihood changes by at most ``eps``
    relative and the last step moves the linear predictor by at most
    :math:`10^{-10}` relative (each :math:`\\beta_j` step times the root mean
    square of :math:`x_j`): both free of the units of the covariates.
    """
    n, p = X.shape
    n_groups = int(groups.max()) + 1
    nu = 1.0 / theta
    offset = np.zeros(n) if offset is None else offset
    beta, omega = (np.zeros(p), np.zeros(n_groups)) if init is None else init
    beta, omega = beta.copy(), omega - np.log(np.mean(np.exp(omega)))
    newton_full = n_groups <= 200 and rs.n_events * n_groups <= 20_000_000
    # steps are measured in the units of the linear predictor: beta_j by the root
    # mean square of x_j, the frailties (already in those units) by 1
    unit = np.concatenate([column_scale(X), np.ones(n_groups)])
    if segments is None:
        segments = GroupSegments.build(rs, groups, n_groups)

    def evaluate(b: np.ndarray, w: np.ndarray) -> tuple[CoxTerms, float]:
        terms = cox_terms(rs, X, X @ b + w[groups] + offset)
        return terms, terms.loglik + nu * float(np.sum(w - np.exp(w) + 1.0))

    terms, ppl = evaluate(beta, omega)
    converged = False
    iteration = 0
    for iteration in range(1, maxiter + 1):  # noqa: B007 (used after the loop)
        i_bw, diag, full = _penalty_blocks(rs, X, groups, n_groups, terms, newton_full, segments)
        d = diag + nu * np.exp(omega)
        full_pen = full + np.diag(nu * np.exp(omega)) if newton_full else None
        u = np.concatenate(
            [
                terms.score,
                np.bincount(groups, weights=terms.martingale, minlength=n_groups)
                + nu * (1.0 - np.exp(omega)),
            ]
        )
        step, _ = _solve(terms.information, i_bw, d, full_pen, u)
        for _ in range(40):
            nb, nw = beta + step[:p], omega + step[p:]
            nw = nw - np.log(np.mean(np.exp(nw)))
            new_terms, new_ppl = evaluate(nb, nw)
            if np.isfinite(new_ppl) and new_ppl >= ppl - 1e-13 * abs(ppl):
                break
            step = step / 2.0
        else:
            break
        size = np.abs(np.concatenate([nb, nw])) * unit
        small = np.max(np.abs(step) * unit) <= 1e-10 * (1.0 + np.max(size))
        change = abs(1.0 - ppl / new_ppl) if new_ppl else 0.0
        beta, omega, terms, ppl = nb, nw, new_terms, new_ppl
        if change <= eps and small:
            converged = True
            break
    if not converged:
        warnings.warn(
            f"the penalised partial likelihood (theta = {theta:.6g}) did not converge "
            f"in {maxiter} Newton steps",
            CoxConvergenceWarning,
            stacklevel=3,
        )
    i_bw, diag, full = _penalty_blocks(rs, X, groups, n_groups, terms, not sparse, segments)
    d = diag + nu * np.exp(omega)
    full_pen = None if sparse else full + np.diag(nu * np.exp(omega))
    _, var_beta = _solve(terms.information, i_bw, d, full_pen, np.zeros(p + n_groups))
    events = np.bincount(groups[rs.death_rows], minlength=n_groups)
    return FrailtyFit(
        theta=theta,
        beta=beta,
        omega=omega,
        terms=terms,
        penalized_loglik=ppl,
        integrated_loglik=ppl + gamma_correction(events, theta),
        var_beta=var_beta,
        iterations=iteration,
        converged=converged,
    )


def _profile_slope(fit: FrailtyFit, events: np.ndarray) -> float:
    """:math:`d\\ell_m/d\\log\\theta` at the penalised fit (envelope theorem)."""
    nu = 1.0 / fit.theta
    w = fit.omega
    d = events.astype(np.int64)
    k, _ = _event_ranks(d)
    # psi(nu + d) - psi(nu) = sum_k 1/(nu + k) for whole-number d
    dnu = float(np.sum(w - np.exp(w) + 1.0 - np.log1p(d / nu)) + np.sum(1.0 / (nu + k)))
    return -nu * dnu  # d/dlog(theta) = -nu d/dnu


def fit_gamma_frailty(
    rs: RiskSets,
    X: np.ndarray,
    groups: np.ndarray,
    *,
    theta: float | None = None,
    offset: np.ndarray | None = None,
    sparse: bool = True,
    init_beta: np.ndarray | None = None,
    theta_bounds: tuple[float, float] = (1e-6, 1e4),
) -> FrailtyFit | None:
    """Fit the shared gamma frailty model; :math:`\\theta` by maximum marginal likelihood.

    Returns ``None`` when the marginal likelihood is largest at
    :math:`\\theta = 0` (no frailty: the ordinary Cox model).

    The search (bracketing, then ``scipy.optimize.brentq``) runs on
    :math:`\\log\\theta`; :math:`\\theta`, the variance of the frailties, carries
    no unit of the covariates, and each penalised fit inside the search is
    unit-free (:func:`fit_penalized`).
    """
    n_groups = int(groups.max()) + 1
    events = np.bincount(groups[rs.death_rows], minlength=n_groups)
    state: dict[str, FrailtyFit] = {}
    segments = GroupSegments.build(rs, groups, n_groups)
    start = (np.zeros(X.shape[1]) if init_beta is None else init_beta, np.zeros(n_groups))

    def at(value: float) -> FrailtyFit:
        prev = state.get("last")
        init = (prev.beta, prev.omega) if prev is not None else start
        fit = fit_penalized(
            rs, X, groups, value, offset=offset, init=init, sparse=sparse, segments=segments
        )
        state["last"] = fit
        return fit

    if theta is not None:
        if not theta > 0:
            raise ValueError(f"a fixed frailty variance theta must be positive, got {theta!r}")
        return at(float(theta))

    lower, upper = theta_bounds
    log_t = 0.0
    slope = _profile_slope(at(1.0), events)
    direction = 1.0 if slope > 0 else -1.0
    a = log_t
    while True:
        b = a + direction * np.log(4.0)
        if not np.log(lower) <= b <= np.log(upper):
            if direction < 0:
                return None  # the maximum is at theta = 0
            warnings.warn(
                f"the frailty variance theta exceeds {upper:g}: the marginal likelihood keeps "
                "increasing",
                CoxConvergenceWarning,
                stacklevel=3,
            )
            return at(upper)
        slope_b = _profile_slope(at(float(np.exp(b))), events)
        if np.sign(slope_b) != np.sign(slope):
            break
        a, slope = b, slope_b
    lo_, hi_ = sorted((a, b))
    root = brentq(
        lambda u: _profile_slope(at(float(np.exp(u))), events), lo_, hi_, xtol=1e-13, rtol=1e-13
    )
    return at(float(np.exp(root)))
