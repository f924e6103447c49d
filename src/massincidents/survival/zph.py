r"""The proportional-hazards test of R ``cox.zph`` (survival 3.x) and scaled Schoenfeld residuals.

If the effect of :math:`x` changes with time as :math:`\beta(t) = \beta + \gamma\, g(t)`,
the Cox model gains covariates :math:`x\,g(t)`. The test is the score test of
:math:`\gamma = 0` in that model at :math:`(\hat\beta, 0)`:

.. math::

    U_\gamma = \sum_t g(t) \sum_{i \in D(t)} (x_i - \bar x(t)), \qquad
    \mathcal I = \sum_t \begin{pmatrix} 1 & g(t) \\ g(t) & g(t)^2 \end{pmatrix}
        \otimes \mathcal I_t, \qquad
    \chi^2 = (0, U_\gamma')\, \mathcal I^{-1} (0, U_\gamma')',

where :math:`\mathcal I_t` is the information contributed at event time
:math:`t` (Efron or Breslow, as the fit). The statistic of a term uses the
rows and columns of all :math:`\beta` and of that term's :math:`\gamma`
(degrees of freedom: its number of columns); ``GLOBAL`` uses all of them.
:math:`g` is the transformed time, centred over the events:
``"km"`` (:math:`1 - \hat S(t-)`, the left-continuous Kaplan-Meier of all rows
pooled), ``"rank"``, ``"identity"`` or ``"log"``.

Scaled Schoenfeld residuals (Grambsch and Therneau 1994), one per event:
:math:`\hat\beta + d\, \mathcal I^{-1} s_i` with :math:`s_i` the Schoenfeld
residual and :math:`d` the number of events (per stratum, counting only
strata where a covariate varies, as R); plotted against :math:`g(t)` they
trace :math:`\beta(t)`.

Every linear system (the score tests, the scaled residuals) is solved on the
unit-diagonal scaling of its matrix
(:func:`~massincidents.core.least_squares.solve_symmetric`): the statistics do
not change when a covariate is rescaled, and its scaled residuals are rescaled
with its coefficient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import rankdata

from massincidents.core.least_squares import solve_symmetric
from massincidents.results import Result
from massincidents.survival.cox import COX_KEY, CoxFitData
from massincidents.survival.partial_likelihood import schoenfeld_residuals
from massincidents.survival.risksets import build_risk_sets

TRANSFORMS = ("km", "rank", "identity", "log")


@dataclass(frozen=True)
class CoxZph:
    """Result of :func:`cox_zph`.

    Attributes
    ----------
    table
        ``chisq``, ``df``, ``p`` for each term and ``GLOBAL``.
    residuals
        Scaled Schoenfeld residuals, one row per event (ordered by stratum
        and time), one column per term.
    x
        Transformed event times :math:`g(t)` (uncentred), aligned with ``residuals``.
    time
        Event times, aligned with ``residuals``.
    transform
        The time transform used.
    """

    table: pd.DataFrame
    residuals: pd.DataFrame
    x: np.ndarray
    time: np.ndarray
    transform: str

    def __repr__(self) -> str:
        return f"cox.zph test (transform = {self.transform!r})\n" + self.table.to_string(
            float_format=lambda v: f"{v:.6g}"
        )


def _km_left(stop: np.ndarray, start: np.ndarray | None, event: np.ndarray) -> np.ndarray:
    """:math:`1 - \\hat S(t-)` at each row's stop time, Kaplan-Meier of all rows pooled."""
    rs = build_risk_sets(stop, event, start=start)
    at_risk = rs.at_risk_sum(np.ones(rs.n))
    surv = np.cumprod(1.0 - rs.n_deaths / at_risk)
    before = np.searchsorted(rs.times, stop, side="left")
    return 1.0 - np.concatenate([[1.0], surv])[before]


def _time_transform(fit: CoxFitData, transform: str) -> np.ndarray:
    stop = fit.stop
    if transform == "km":
        return _km_left(stop, fit.start, fit.risk_sets.event)
    if transform == "rank":
        return rankdata(stop)
    if transform == "identity":
        return stop.astype(float)
    if transform == "log":
        return np.log(stop)
    raise ValueError(f"transform is one of {TRANSFORMS}, got {transform!r}")


def _expanded_information(fit: CoxFitData, g_time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score of the g(t) x terms and the 2p x 2p information at (beta-hat, 0)."""
    rs, X, terms = fit.risk_sets, fit.X, fit.terms
    st, frac = rs.death_time, rs.frac
    inv = 1.0 / terms.den
    r = terms.risk
    w = np.bincount(st, weights=inv, minlength=rs.n_times)
    v = np.bincount(st, weights=frac * inv, minlength=rs.n_times)
    xbar = terms.xbar
    gs = g_time[st]
    u_gamma = X[rs.death_rows].T @ gs - xbar.T @ gs
    blocks = []
    for power in (0, 1, 2):
        gp = g_time**power
        h = rs.over_row_times(gp * w)
        h[rs.death_rows] -= gp[st] * v[st]
        block = (X * (r * h)[:, None]).T @ X - (xbar * gs[:, None] ** power).T @ xbar
        blocks.append((block + block.T) / 2.0)
    info = np.block([[blocks[0], blocks[1]], [blocks[1], blocks[2]]])
    return u_gamma, info


def cox_zph(result: Result, transform: str = "km", *, terms: bool = True) -> CoxZph:
    r"""Test proportional hazards, as R ``cox.zph(fit, transform)`` (survival >= 3.0).

    Against the alternative of a time-varying effect
    :math:`\beta_j(t) = \beta_j + \gamma_j\, g(t)`, with :math:`g` the
    transformed time, the score test of :math:`H_0: \gamma = 0` at
    :math:`(\hat\beta, 0)` is :math:`\chi^2` with as many degrees of freedom
    as the term has columns (module docstring for the details).

    Parameters
    ----------
    result
        A fit of :func:`~massincidents.survival.cox.cox` (without frailty).
    transform
        ``"km"`` (default, as R), ``"rank"``, ``"identity"`` or ``"log"``.
    terms
        Test each formula term jointly over its columns (R's default); with
        ``False`` one test per column.

    Returns
    -------
    CoxZph
        ``.table`` (``chisq``, ``df``, ``p`` per term and ``GLOBAL``) and the
        scaled Schoenfeld residuals ``.residuals`` against ``.x`` for plots.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import massincidents as mi
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=500)
    >>> t = rng.exponential(1 / np.exp(0.5 * x))
    >>> d = pd.DataFrame({"x": x, "t": t, "e": 1})
    >>> zph = mi.cox_zph(mi.cox("x", d, stop="t", event="e"))
    >>> list(zph.table.columns), list(zph.table.index)
    (['chisq', 'df', 'p'], ['x', 'GLOBAL'])
    """
    fit = result.extra.get(COX_KEY)
    if not isinstance(fit, CoxFitData):
        raise TypeError("cox_zph needs a result of mi.cox")
    if fit.frailty:
        raise NotImplementedError("cox_zph is not implemented for frailty models")
    rs, X = fit.risk_sets, fit.X
    p = X.shape[1]
    t_rows = _time_transform(fit, transform)
    g_rows = t_rows - t_rows[rs.event].mean()
    g_time = np.zeros(rs.n_times)
    g_time[rs.death_time] = g_rows[rs.death_rows]
    u_gamma, info = _expanded_information(fit, g_time)

    groups = fit.term_columns() if terms else {name: [j] for j, name in enumerate(fit.names)}
    rows, chisq, dfs = [], [], []
    for name, cols in groups.items():
        keep = list(range(p)) + [p + j for j in cols]
        u = np.concatenate([np.zeros(p), u_gamma[cols]])
        chisq.append(float(u @ solve_symmetric(info[np.ix_(keep, keep)], u)))
        dfs.append(len(cols))
        rows.append(name)
    u = np.concatenate([np.zeros(p), u_gamma])
    chisq.append(float(u @ solve_symmetric(info, u)))
    dfs.append(p)
    rows.append("GLOBAL")
    table = pd.DataFrame(
        {"chisq": chisq, "df": dfs, "p": stats.chi2.sf(chisq, dfs)}, index=pd.Index(rows)
    )
    scaled, order = _scaled_schoenfeld(fit, info[:p, :p], groups)
    death_rows = rs.death_rows[order]
    return CoxZph(
        table=table,
        residuals=pd.DataFrame(scaled, columns=list(groups)),
        x=t_rows[death_rows],
        time=fit.stop[death_rows],
        transform=transform,
    )


def _scaled_schoenfeld(
    fit: CoxFitData, imat: np.ndarray, groups: dict[str, list[int]]
) -> tuple[np.ndarray, np.ndarray]:
    """R's scaled Schoenfeld residuals, rows in R's order (stratum, time, tie order)."""
    rs, X = fit.risk_sets, fit.X
    p = X.shape[1]
    schoen = schoenfeld_residuals(rs, X, fit.terms)
    # R orders tied events by row for (time, status) data, reversed for (start, stop].
    tie_key = rs.death_rows if fit.start is None else -rs.death_rows
    order = np.lexsort((tie_key, rs.death_time))
    schoen = schoen[order]
    strat = rs.time_stratum[rs.death_time[order]]
    n_strata = int(rs.stratum.max()) + 1
    deaths = np.bincount(strat, minlength=n_strata)
    used = np.zeros((n_strata, p))
    for j in range(p):
        mn = np.full(n_strata, np.inf)
        mx = np.full(n_strata, -np.inf)
        np.minimum.at(mn, rs.stratum, X[:, j])
        np.maximum.at(mx, rs.stratum, X[:, j])
        used[:, j] = np.where(mx > mn, deaths, 0)
    wt = sum(np.minimum.outer(used[s], used[s]) for s in range(n_strata))
    vmean = imat / np.where(wt == 0, 1.0, wt)
    multi = any(len(c) > 1 for c in groups.values())
    if multi:
        T = np.zeros((p, len(groups)))
        for k, cols in enumerate(groups.values()):
            T[cols, k] = 1.0 if len(cols) == 1 else fit.beta[cols]
        schoen, vmean = schoen @ T, T.T @ vmean @ T
        used = used[:, [cols[0] for cols in groups.values()]]
    out = np.full(schoen.shape, np.nan)
    for s in range(n_strata):
        terms = np.flatnonzero(used[s] > 0)
        idx = np.flatnonzero(strat == s)
        if terms.size and idx.size:
            out[np.ix_(idx, terms)] = solve_symmetric(
                vmean[np.ix_(terms, terms)], schoen[np.ix_(idx, terms)].T
            ).T
    for k, cols in enumerate(groups.values()):
        out[:, k] += fit.beta[cols[0]] if len(cols) == 1 else 1.0
    return out, order
