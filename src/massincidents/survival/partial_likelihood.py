r"""The Cox partial likelihood, its derivatives, residuals and Newton-Raphson.

For event time :math:`t` with :math:`d` tied events :math:`D(t)` and risk set
:math:`R(t)`, :math:`r_i = e^{\eta_i}`, :math:`S_0 = \sum_{R} r_i`,
:math:`S_1 = \sum_R r_i x_i`, and :math:`S_0^D, S_1^D` the same sums over
:math:`D(t)`, the log partial likelihood is

.. math::

    \ell(\beta) = \sum_t \Big[\sum_{i \in D(t)} \eta_i
        - \sum_{k=0}^{d-1} \log\big(S_0 - c_k S_0^D\big)\Big],
    \qquad c_k = k/d \ \text{(Efron)}, \quad c_k = 0 \ \text{(Breslow)}.

With :math:`\bar x_{tk} = (S_1 - c_k S_1^D) / (S_0 - c_k S_0^D)` and
:math:`h_{tk} = 1/(S_0 - c_k S_0^D)`, each row's cumulative hazard
:math:`H_i = \sum_{t: i \in R(t)} \sum_k h_{tk}\,(1 - c_k [i \in D(t)])` gives
the martingale residual :math:`M_i = \delta_i - r_i H_i`, the score
:math:`U = X'M` and the information
:math:`\mathcal I = \sum_i r_i H_i x_i x_i' - \sum_{t,k} \bar x_{tk} \bar x_{tk}'`.
All are computed with :class:`~massincidents.survival.risksets.RiskSets`
without looping over event times.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from massincidents.core.least_squares import column_scale, solve_symmetric
from massincidents.survival.risksets import RiskSets


class CoxConvergenceWarning(UserWarning):
    """Newton-Raphson ran out of iterations before the log partial likelihood converged."""


class InfiniteCoefficientWarning(UserWarning):
    """The likelihood converged while a coefficient was still moving: it may be infinite
    (monotone likelihood, as R's "Loglik converged before variable ...")."""


@dataclass(frozen=True)
class CoxTerms:
    """The partial likelihood and its pieces at one value of the linear predictor.

    Attributes
    ----------
    loglik
        Log partial likelihood.
    score
        :math:`U = \\partial\\ell/\\partial\\beta`, shape (p,).
    information
        :math:`-\\partial^2\\ell/\\partial\\beta\\partial\\beta'`, shape (p, p).
    risk
        :math:`r_i = e^{\\eta_i - c}` (a common shift :math:`c` cancels everywhere).
    den
        :math:`S_0 - c_k S_0^D` of each event slot (scaled as ``risk``).
    xbar
        :math:`\\bar x_{tk}` of each event slot, shape (n_events, p).
    cumhaz
        :math:`H_i` of each row (scaled as ``1/risk``).
    martingale
        :math:`M_i = \\delta_i - r_i H_i`.
    """

    loglik: float
    score: np.ndarray
    information: np.ndarray
    risk: np.ndarray
    den: np.ndarray
    xbar: np.ndarray
    cumhaz: np.ndarray
    martingale: np.ndarray


def relative_risk(eta: np.ndarray) -> tuple[np.ndarray, float]:
    """:math:`e^{\\eta - c}` and :math:`c`: the mean of :math:`\\eta`, or more to avoid overflow."""
    if not eta.size:
        return np.ones(0), 0.0
    shift = float(np.mean(eta))
    top = float(np.max(eta)) - shift
    if top > 500.0:
        shift += top - 500.0
    return np.exp(eta - shift), shift


_CHUNK = 1 << 16  # rows per block of a weighted cross-product


def _weighted_cross_product(X: np.ndarray, weights: np.ndarray) -> np.ndarray:
    r""":math:`X' \operatorname{diag}(w) X` in blocks of rows (no n x p temporary)."""
    p = X.shape[1]
    out = np.zeros((p, p))
    for begin in range(0, X.shape[0], _CHUNK):
        block = X[begin : begin + _CHUNK]
        out += block.T @ (block * weights[begin : begin + _CHUNK, None])
    return out


def cox_terms(
    rs: RiskSets, X: np.ndarray, eta: np.ndarray, *, information: bool = True
) -> CoxTerms:
    r"""Log partial likelihood, score and information at linear predictor ``eta``.

    Parameters
    ----------
    rs
        Risk-set index of the data.
    X
        Covariates (centred columns are numerically best), shape (n, p).
    eta
        Linear predictor :math:`X\beta` plus any offset, shape (n,).
    information
        Also compute the information matrix.

    Examples
    --------
    Two events, at times 1 and 2, of three rows: at :math:`\beta = 0` the log
    partial likelihood is :math:`-\log 3 - \log 2`.

    >>> import numpy as np
    >>> from massincidents.survival.risksets import build_risk_sets
    >>> rs = build_risk_sets(np.array([1.0, 2.0, 3.0]), np.array([1, 1, 0]))
    >>> X = np.array([[1.0], [0.0], [-1.0]])
    >>> t = cox_terms(rs, X, np.zeros(3))
    >>> round(t.loglik, 6), round(float(-np.log(6)), 6), t.score.round(6).tolist()
    (-1.791759, -1.791759, [1.5])
    """
    r, shift = relative_risk(eta)
    st, frac = rs.death_time, rs.frac
    s0 = rs.at_risk_sum(r)
    s0d = rs.death_sum(r)
    den = s0[st] - frac * s0d[st]
    with np.errstate(divide="ignore"):
        # den is scaled by exp(-shift): add it back to each log.
        loglik = float(np.sum(eta[rs.death_rows]) - np.sum(np.log(den)) - shift * rs.n_events)
    inv = 1.0 / den
    w = np.bincount(st, weights=inv, minlength=rs.n_times)
    v = np.bincount(st, weights=frac * inv, minlength=rs.n_times)
    cumhaz = rs.over_row_times(w)
    cumhaz[rs.death_rows] -= v[st]
    martingale = rs.event - r * cumhaz
    score = X.T @ martingale
    p = X.shape[1]
    if p:
        # Column by column (a temporary of one column, not of r X), and the sums over
        # each time's events from the event rows only: memory per row stays small.
        s1 = np.column_stack([rs.at_risk_sum(r * X[:, j]) for j in range(p)])
        rX_dead = r[rs.death_rows, None] * X[rs.death_rows]
        s1d = np.column_stack(
            [np.bincount(st, weights=rX_dead[:, j], minlength=rs.n_times) for j in range(p)]
        )
        xbar = (s1[st] - frac[:, None] * s1d[st]) * inv[:, None]
    else:
        xbar = np.zeros((rs.n_events, 0))
    if information and p:
        info = _weighted_cross_product(X, r * cumhaz) - xbar.T @ xbar
        info = (info + info.T) / 2.0
    else:
        info = np.zeros((p, p))
    return CoxTerms(loglik, score, info, r, den, xbar, cumhaz, martingale)


def score_residuals(rs: RiskSets, X: np.ndarray, terms: CoxTerms) -> np.ndarray:
    r"""Score residuals :math:`L_i`, one row per observation (R ``residuals(type="score")``).

    .. math::

        L_i = \sum_{t: i \in R(t)} \sum_k \Big(\frac{[i \in D(t)]}{d}
            - r_i h_{tk} (1 - c_k [i \in D(t)])\Big) (x_i - \bar x_{tk}),

    which sum to the score :math:`U`; grouped by cluster they give the robust
    (sandwich) variance of Lin and Wei (1989).
    """
    st, frac = rs.death_time, rs.frac
    inv = 1.0 / terms.den
    xbar = terms.xbar
    p = X.shape[1]
    b = np.empty((rs.n_times, p))
    bc = np.empty((rs.n_times, p))
    mean_xbar = np.empty((rs.n_times, p))
    counts = np.maximum(rs.n_deaths, 1)
    for col in range(p):
        b[:, col] = np.bincount(st, weights=xbar[:, col] * inv, minlength=rs.n_times)
        bc[:, col] = np.bincount(st, weights=frac * xbar[:, col] * inv, minlength=rs.n_times)
        mean_xbar[:, col] = np.bincount(st, weights=xbar[:, col], minlength=rs.n_times) / counts
    B = rs.over_row_times(b)
    B[rs.death_rows] -= bc[st]
    r = terms.risk
    # In place: one n x p array besides B (memory per row of large fits).
    resid = X * terms.cumhaz[:, None]
    resid -= B
    del B
    resid *= -r[:, None]
    resid[rs.death_rows] += X[rs.death_rows] - mean_xbar[st]
    return resid


def schoenfeld_residuals(rs: RiskSets, X: np.ndarray, terms: CoxTerms) -> np.ndarray:
    r"""Schoenfeld residuals :math:`x_i - \bar x(t_i)`, one row per event (``rs.death_rows`` order).

    With Efron ties :math:`\bar x(t)` is the mean of :math:`\bar x_{tk}` over the
    :math:`d` slots of the tie, as R ``residuals(type="schoenfeld")``.
    """
    st = rs.death_time
    counts = np.maximum(rs.n_deaths, 1)
    mean_xbar = np.column_stack(
        [
            np.bincount(st, weights=terms.xbar[:, col], minlength=rs.n_times) / counts
            for col in range(X.shape[1])
        ]
    ).reshape(rs.n_times, X.shape[1])
    return X[rs.death_rows] - mean_xbar[st]


@dataclass(frozen=True)
class NewtonFit:
    """Result of :func:`newton_raphson`."""

    beta: np.ndarray
    terms: CoxTerms
    loglik_null: float
    iterations: int
    converged: bool
    infinite: tuple[int, ...]


def _newton_step(terms: CoxTerms) -> np.ndarray:
    """:math:`\\mathcal I^{-1}U`, solved on the unit-diagonal scaling of :math:`\\mathcal I`.

    The step is then the same in every unit of the covariates (rescaling
    :math:`x_j` by :math:`c` divides step :math:`j` by :math:`c` and changes
    nothing else); a singular information gives the minimum-norm step of the
    scaled system.
    """
    try:
        return solve_symmetric(terms.information, terms.score)
    except np.linalg.LinAlgError:
        d = np.sqrt(np.abs(np.diag(terms.information)))
        d = np.where(np.isfinite(d) & (d > 0), d, 1.0)
        scaled = terms.information / np.outer(d, d)
        return np.linalg.lstsq(scaled, terms.score / d, rcond=None)[0] / d


def newton_raphson(
    rs: RiskSets,
    X: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    init: np.ndarray | None = None,
    eps: float = 1e-9,
    maxiter: int = 30,
    warn: bool = True,
) -> NewtonFit:
    r"""Maximise the log partial likelihood by Newton-Raphson with step halving.

    As R ``coxph``: start at ``init`` (zeros), take full Newton steps
    :math:`\beta + \mathcal I^{-1}U`, halve a step that lowers :math:`\ell`, and
    stop when :math:`|1 - \ell_{old}/\ell_{new}| \le` ``eps``. A coefficient whose
    next Newton step :math:`\delta_j` still moves the linear predictor by more than
    ``eps`` (:math:`|\delta_j| s_j >` ``eps``, :math:`s_j` the root mean square of
    column :math:`j`) and is larger than :math:`\sqrt{eps}\,|\beta_j|` is reported
    as possibly infinite (with an :class:`InfiniteCoefficientWarning`); otherwise a
    few more Newton steps polish the estimate to machine precision. Running out of
    iterations gives a :class:`CoxConvergenceWarning`.

    Every criterion is free of the units of the covariates (R's absolute
    :math:`|\delta_j| >` ``eps`` is not): the log-likelihood is, and steps are
    measured in the units of the linear predictor. Newton steps are solved on
    the unit-diagonal scaling of the information
    (:func:`~massincidents.core.least_squares.solve_symmetric`), so rescaling a
    covariate rescales its coefficient and changes no other number.
    """
    p = X.shape[1]
    unit = column_scale(X)  # the size of a unit step of each coefficient, in eta

    def linear_predictor(b: np.ndarray) -> np.ndarray:  # no n-sized zero offset
        return X @ b if offset is None else X @ b + offset

    beta = np.zeros(p) if init is None else np.asarray(init, dtype=float).copy()
    terms = cox_terms(rs, X, linear_predictor(beta))
    if init is None:
        loglik_null = terms.loglik
    else:
        loglik_null = cox_terms(rs, X, linear_predictor(np.zeros(p))).loglik
    if p == 0:
        return NewtonFit(beta, terms, loglik_null, 0, True, ())
    converged = False
    iteration = 0
    halved = False
    for iteration in range(1, maxiter + 1):  # noqa: B007 (used after the loop)
        step = _newton_step(terms)
        new_terms = cox_terms(rs, X, linear_predictor(beta + step))
        # As R: converged when the log-likelihood no longer changes (even by rounding noise
        # downwards), unless the last step had to be halved.
        if (
            np.isfinite(new_terms.loglik)
            and abs(1.0 - terms.loglik / new_terms.loglik) <= eps
            and not halved
        ):
            if new_terms.loglik >= terms.loglik:
                beta, terms = beta + step, new_terms
            converged = True
            break
        halvings = 0
        while not (np.isfinite(new_terms.loglik) and new_terms.loglik >= terms.loglik) and (
            halvings < 40
        ):
            step = step / 2.0
            halvings += 1
            new_terms = cox_terms(rs, X, linear_predictor(beta + step))
        if not np.isfinite(new_terms.loglik) or new_terms.loglik < terms.loglik:
            break
        beta, terms, halved = beta + step, new_terms, halvings > 0
    infinite: tuple[int, ...] = ()
    if converged:
        step = _newton_step(terms)
        flagged = (np.abs(step) * unit > eps) & (np.abs(step) > np.sqrt(eps) * np.abs(beta))
        infinite = tuple(int(j) for j in np.flatnonzero(flagged))
        if not infinite:
            for _ in range(5):  # polish: quadratic convergence to machine precision
                candidate = cox_terms(rs, X, linear_predictor(beta + step))
                if not candidate.loglik >= terms.loglik - 1e-12 * abs(terms.loglik):
                    break
                beta, terms = beta + step, candidate
                if np.max(np.abs(step) * unit) <= 1e-13 * (1.0 + np.max(np.abs(beta) * unit)):
                    break
                step = _newton_step(terms)
    if warn and not converged:
        warnings.warn(
            f"Newton-Raphson did not converge in {iteration} of at most {maxiter} steps",
            CoxConvergenceWarning,
            stacklevel=3,
        )
    return NewtonFit(beta, terms, loglik_null, iteration, converged, infinite)
