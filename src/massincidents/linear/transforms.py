r"""Panel transformations: unit means, within deviations, first differences, and
the Swamy-Arora variance components of the random-effects model.

For unit :math:`i` with :math:`T_i` observations, :math:`\bar z_i` is the unit
mean, :math:`z_{it} - \bar z_i` the within deviation, and
:math:`\Delta z_{it} = z_{it} - z_{i,t-1}` the first difference (taken only
between consecutive periods). The random-effects model

.. math::

    y_{it} = z_{it}'\beta + u_i + \varepsilon_{it}, \qquad
    u_i \sim (0, \sigma^2_u), \quad \varepsilon_{it} \sim (0, \sigma^2_\varepsilon)

is estimated by OLS on the quasi-demeaned data
:math:`y_{it} - \theta_i \bar y_i` on :math:`z_{it} - \theta_i \bar z_i` with
:math:`\theta_i = 1 - \sqrt{\sigma^2_\varepsilon / (\sigma^2_\varepsilon + T_i \sigma^2_u)}`;
:func:`swamy_arora` estimates the two variances as R ``plm`` does with
``random.method = "swar"`` (see its docstring for the formulas).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from massincidents.core.design import Design, as_frame, build_design, drop_collinear
from massincidents.core.formula import parse_formula
from massincidents.core.least_squares import inverse_symmetric, least_squares
from massincidents.errors import DataError, Problem
from massincidents.inference.vcov import VcovSpec


@dataclass(frozen=True)
class PanelIndex:
    """Units of the rows a model uses.

    Attributes
    ----------
    codes
        Unit code (0..N-1) of each row.
    labels
        The unit labels, in code order.
    counts
        :math:`T_i`, rows per unit.
    """

    codes: np.ndarray
    labels: pd.Index
    counts: np.ndarray

    @property
    def n_units(self) -> int:
        return int(self.counts.shape[0])

    @property
    def balanced(self) -> bool:
        """Every unit has the same number of rows."""
        return bool(np.all(self.counts == self.counts[0]))

    def means(self, A: np.ndarray) -> np.ndarray:
        """Unit means :math:`\\bar z_i`, shape (N,) or (N, k)."""
        A = np.asarray(A, dtype=float)
        sums = np.zeros((self.n_units, *A.shape[1:]))
        np.add.at(sums, self.codes, A)
        return sums / (self.counts if A.ndim == 1 else self.counts[:, None])

    def within(self, A: np.ndarray) -> np.ndarray:
        """Within deviations :math:`z_{it} - \\bar z_i`."""
        return np.asarray(A, dtype=float) - self.means(A)[self.codes]


def panel_index(
    entity: np.ndarray, time: np.ndarray | None = None, *, name: str = ""
) -> PanelIndex:
    """Code the units of the rows used; with ``time``, check that (unit, time) is unique.

    Raises
    ------
    DataError
        Listing every (unit, time) pair that occurs more than once.
    """
    codes, labels = pd.factorize(pd.Series(entity), sort=True)
    if time is not None:
        keys = pd.DataFrame({"unit": np.asarray(entity), "time": np.asarray(time)})
        dup = keys.duplicated(keep=False).to_numpy()
        if dup.any():
            pairs = keys[dup].drop_duplicates().head(20)
            raise DataError(
                [
                    Problem(
                        f"({u!r}, {t!r}) occurs more than once; a panel has one row per "
                        "unit and period",
                        column=name or None,
                    )
                    for u, t in pairs.itertuples(index=False)
                ]
            )
    counts = np.bincount(codes, minlength=len(labels)).astype(float)
    return PanelIndex(codes=codes.astype(np.int64), labels=pd.Index(labels), counts=counts)


def consecutive_pairs(
    codes: np.ndarray, time: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Pair each row with the row of the same unit in the preceding period.

    Periods are consecutive when, for whole-number times (years), they are one
    apart; otherwise when they are adjacent in the sorted set of all periods in
    the data.

    Returns
    -------
    later, earlier, n_first, n_gap
        Row positions of each differenced pair, in the order of ``later``
        (input order); the number of rows that are the first of their unit,
        and of rows whose preceding period is absent.

    Examples
    --------
    >>> codes, years = np.array([0, 0, 0, 1, 1]), np.array([2000, 2001, 2003, 2001, 2000])
    >>> later, earlier, first, gaps = consecutive_pairs(codes, years)
    >>> later.tolist(), earlier.tolist(), first, gaps
    ([1, 3], [0, 4], 2, 1)
    """
    t = pd.Series(time)
    numeric = pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
    if numeric and np.all(np.mod(t.to_numpy(dtype=float), 1) == 0):
        step = t.to_numpy(dtype=float)
    else:
        step = pd.factorize(t, sort=True)[0].astype(float)
    order = np.lexsort((step, codes))
    same_unit = codes[order][1:] == codes[order][:-1]
    adjacent = step[order][1:] - step[order][:-1] == 1
    ok = same_unit & adjacent
    later, earlier = order[1:][ok], order[:-1][ok]
    n_first = int(codes.shape[0] - same_unit.sum())
    n_gap = int((same_unit & ~adjacent).sum())
    keep = np.argsort(later, kind="stable")
    return later[keep], earlier[keep], n_first, n_gap


def panel_design(
    model: str, formula: str, data: pd.DataFrame, entity: str, time: str | None
) -> tuple[pd.DataFrame, Design, PanelIndex]:
    """Design of a panel model without absorbed effects, with its units (and unique periods)."""
    if parse_formula(formula).fixed_effects:
        raise ValueError(
            f"{model} absorbs no fixed effects: drop the '| ...' part of {formula!r} "
            "(time effects can enter as a regressor, C(year))"
        )
    frame = as_frame(data)
    roles = {"entity": entity} | ({"time": time} if time is not None else {})
    design = build_design(formula, frame, extra=roles)
    panel = panel_index(design.extra["entity"], design.extra.get("time"), name=entity)
    return frame, design, panel


def intercept_position(design: Design) -> int | None:
    """Column of the intercept in ``design.X``, if there is one."""
    return design.names.index("Intercept") if "Intercept" in design.names else None


@dataclass(frozen=True)
class VarianceComponents:
    """Swamy-Arora estimates (see :func:`swamy_arora`)."""

    sigma2_idios: float
    sigma2_id: float
    theta: np.ndarray  # per unit
    df_within: int
    truncated: bool

    def stats(self, panel: PanelIndex) -> dict[str, float]:
        """``sigma2_idios``, ``sigma2_id``, ``n_units`` and ``theta`` (balanced) or its
        ``theta_min``, ``theta_median``, ``theta_mean``, ``theta_max`` over units."""
        out = {"sigma2_idios": self.sigma2_idios, "sigma2_id": self.sigma2_id}
        out["n_units"] = float(panel.n_units)
        if panel.balanced:
            out["theta"] = float(self.theta[0])
        else:
            for name in ("min", "median", "mean", "max"):
                out[f"theta_{name}"] = float(getattr(np, name)(self.theta))
        return out


RandomMethod = Literal["swar", "amemiya", "walhus", "nerlove", "stata"]
RANDOM_METHODS: tuple[str, ...] = ("swar", "amemiya", "walhus", "nerlove", "stata")


def swamy_arora(
    y: np.ndarray, Z: np.ndarray, intercept: int | None, panel: PanelIndex
) -> VarianceComponents:
    r"""Swamy-Arora variance components, balanced or not, as R ``plm`` (``"swar"``).

    With :math:`n` rows, :math:`N` units, :math:`T_i` rows of unit :math:`i`:

    * within regression (the regressors that vary within units, :math:`K_w`
      of them), residuals :math:`e^w`:
      :math:`\hat\sigma^2_\varepsilon = e^{w\prime} e^w / (n - N - K_w)`;
    * between regression of :math:`\bar y_i` on :math:`\bar z_i` (all
      :math:`p` columns, intercept included) weighted by :math:`T_i` (plm's
      ``"Between"`` model: unit means repeated on every row), residuals
      :math:`e^b_i`, :math:`q_b = \sum_i T_i (e^b_i)^2`; then

      .. math::

          q_b = (N - p)\,\sigma^2_\varepsilon + \Big(n - \operatorname{tr}\big[
              (\textstyle\sum_i T_i \bar z_i \bar z_i')^{-1}
              \sum_i T_i^2 \bar z_i \bar z_i'\big]\Big)\,\sigma^2_u,

      solved for :math:`\hat\sigma^2_u`, set to 0 when negative (plm too).

    When every :math:`T_i = T` the trace is :math:`Tp` and this is the
    textbook :math:`\hat\sigma^2_\varepsilon + T\hat\sigma^2_u =
    T\,\sum_i (e^b_i)^2 / (N - p)` (plm's balanced ``dfcor = c(2, 2)``); for
    unbalanced panels it is plm's ``dfcor = c(3, 3)`` (Baltagi and Chang 1994).
    """
    return variance_components(y, Z, intercept, panel, "swar")


def _within_fit(
    y: np.ndarray, Z: np.ndarray, intercept: int | None, panel: PanelIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """Within regression on the regressors that vary within units: (Xw, resid, beta, kept)."""
    others = [j for j in range(Z.shape[1]) if j != intercept]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # time-invariant regressors have no within variation
        Xw, kept, _ = drop_collinear(
            panel.within(Z[:, others]),
            [str(j) for j in others],
            absorbed=np.sqrt((Z[:, others] ** 2).sum(0)),
        )
    n, N = y.shape[0], panel.n_units
    if n - N - len(kept) <= 0:
        raise DataError(
            [Problem(f"random effects: no within degrees of freedom ({n} rows, {N} units)")]
        )
    fit = least_squares(Xw, panel.within(y), warn=False)
    columns = [int(j) for j in kept]
    return Xw, fit.resid, fit.beta, columns


def _need_intercept(method: str, intercept: int | None) -> None:
    if intercept is None:
        raise DataError(
            [Problem(f"random_method={method!r} needs a model with an intercept (drop '- 1')")]
        )


def variance_components(
    y: np.ndarray,
    Z: np.ndarray,
    intercept: int | None,
    panel: PanelIndex,
    method: RandomMethod = "swar",
) -> VarianceComponents:
    r"""Variance components of the one-way random-effects model by ``method``.

    :math:`n` rows, :math:`N` units with :math:`T_i` rows, :math:`e^w` the
    residuals of the within regression (its :math:`K_w` slopes), and
    :math:`\bar T = N / \sum_i T_i^{-1}` (harmonic mean):

    ``"swar"``
        Swamy-Arora as R ``plm`` (see :func:`swamy_arora`).
    ``"stata"``
        Stata's ``xtreg, re`` (its default, without the ``sa`` option):
        :math:`\hat\sigma^2_\varepsilon = e^{w\prime}e^w/(n - N - K_w)` and
        :math:`\hat\sigma^2_u = SSR_b/(N - p) - \hat\sigma^2_\varepsilon/\bar T`,
        :math:`SSR_b` from the unweighted regression of :math:`\bar y_i` on
        :math:`\bar z_i` (:math:`p` columns). Equal to ``"swar"`` on balanced
        panels.
    ``"amemiya"``, ``"walhus"``, ``"nerlove"``
        plm's ``random.method`` of the same names (Amemiya 1971 from within
        residuals; Wallace-Hussain 1969 from pooled OLS residuals; Nerlove 1971
        from the within residuals and the variance of the estimated unit
        effects), with plm's quadratic forms and degrees of freedom: on
        balanced panels ``dfcor = c(1, 1)``, else the unbalanced
        (``dfcor = c(3, 3)``) expectations of the two quadratic forms
        :math:`q_w = \|W e\|^2`, :math:`q_b = \sum_i T_i \bar e_i^2`, solved
        for :math:`(\sigma^2_\varepsilon, \sigma^2_u)`.

    A negative :math:`\hat\sigma^2_u` is set to 0 (``truncated``); then
    :math:`\theta_i = 0` and the fit is pooled OLS.
    """
    if method not in RANDOM_METHODS:
        raise ValueError(f"random_method is one of {RANDOM_METHODS}, got {method!r}")
    n, N = y.shape[0], panel.n_units
    T = panel.counts
    Xw, resid_w, beta_w, within_cols = _within_fit(y, Z, intercept, panel)
    rss_w = float(resid_w @ resid_w)
    k_w = Xw.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Zb, kept_b, _ = drop_collinear(panel.means(Z), [str(j) for j in range(Z.shape[1])])
    p = len(kept_b)
    if method in ("swar", "stata") and N <= p:
        raise DataError(
            [
                Problem(
                    f"random effects: the between regression needs more units than coefficients "
                    f"({N} units, {p} coefficients)"
                )
            ]
        )
    balanced = panel.balanced
    if method == "swar":
        sigma2_idios = rss_w / (n - N - k_w)
        between_fit = least_squares(Zb, panel.means(y), T, warn=False)
        q_b = float((T * between_fit.resid**2).sum())
        # tr[(sum T_i z_i z_i')^{-1} sum T_i^2 z_i z_i'], with the first factor the bread
        m_eta = n - float(np.sum(between_fit.bread * ((Zb * (T**2)[:, None]).T @ Zb)))
        sigma2_id = (q_b - (N - p) * sigma2_idios) / m_eta
    elif method == "stata":
        sigma2_idios = rss_w / (n - N - k_w)
        between_fit = least_squares(Zb, panel.means(y), warn=False)
        t_bar = N / float(np.sum(1.0 / T))
        sigma2_id = float(between_fit.resid @ between_fit.resid) / (N - p) - sigma2_idios / t_bar
    elif method == "nerlove":
        _need_intercept(method, intercept)
        sigma2_idios = rss_w / n
        effects = panel.means(y) - panel.means(Z[:, within_cols]) @ beta_w
        dev = effects - np.average(effects, weights=T)
        if balanced:
            sigma2_id = float(dev @ dev) / (N - 1)
        else:
            sigma2_id = float((dev**2 * T).sum() / n * N / (N - 1))
    else:
        _need_intercept(method, intercept)
        sigma2_idios, sigma2_id = _quadratic_components(
            method, y, Z, panel, Xw, beta_w, within_cols, balanced
        )
    truncated = sigma2_id < 0
    sigma2_id = max(float(sigma2_id), 0.0)
    total = sigma2_idios + T * sigma2_id
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(total > 0, 1 - np.sqrt(sigma2_idios / total), 0.0)
    return VarianceComponents(
        float(sigma2_idios), sigma2_id, theta, int(n - N - k_w), bool(truncated)
    )


def _quadratic_components(
    method: str,
    y: np.ndarray,
    Z: np.ndarray,
    panel: PanelIndex,
    Xw: np.ndarray,
    beta_w: np.ndarray,
    within_cols: list[int],
    balanced: bool,
) -> tuple[float, float]:
    """Amemiya and Wallace-Hussain: solve the expectations of :math:`q_w, q_b` (plm's ercomp)."""
    n, N = y.shape[0], panel.n_units
    T = panel.counts
    if method == "amemiya":
        # residuals of the within fit in levels, centred (the overall intercept)
        e = y - Z[:, within_cols] @ beta_w
        e = e - e.mean()
    else:  # walhus: pooled OLS residuals
        e = least_squares(Z, y, warn=False).resid
    q_w = float((panel.within(e) ** 2).sum())
    q_b = float((T * panel.means(e) ** 2).sum())
    if balanced:
        M = np.array([[n - N, 0.0], [N, T[0] * N]])
    elif method == "amemiya":
        CPXM = inverse_symmetric(Xw.T @ Xw)
        XB = panel.means(Z[:, within_cols])[panel.codes]
        XB = XB - XB.mean(axis=0)
        M = np.array(
            [
                [n - N - Xw.shape[1], 0.0],
                [N - 1 + float(np.sum(CPXM * (XB.T @ XB))), n - float((T**2).sum()) / n],
            ]
        )
    else:
        CPZM = inverse_symmetric(Z.T @ Z)
        ZS = (panel.means(Z) * T[:, None])[panel.codes]  # unit sums on every row
        CPZS = ZS.T @ Z
        ZW = panel.within(Z)
        CPZW = ZW.T @ ZW
        ZB = panel.means(Z)[panel.codes]
        CPZB = ZB.T @ ZB
        A_w, A_s, A_b = CPZM @ CPZW, CPZM @ CPZS, CPZM @ CPZB
        M = np.array(
            [
                [n - N - np.trace(A_w), np.trace(A_w @ A_s)],
                [N - np.trace(A_b), n - 2 * np.trace(A_s) + np.trace(A_b @ A_s)],
            ]
        )
    sigma2_idios, sigma2_id = np.linalg.solve(M, np.array([q_w, q_b]))
    return float(sigma2_idios), float(sigma2_id)


def quasi_demeaned(design: Design, panel: PanelIndex, theta: np.ndarray) -> Design:
    r"""The design quasi-demeaned by unit: :math:`z_{it} - \theta_i \bar z_i`.

    Likewise :math:`y_{it} - \theta_i \bar y_i`; the intercept column becomes
    :math:`1 - \theta_i`.
    """
    t = theta[panel.codes]
    y = design.y - t * panel.means(design.y)[panel.codes]
    X = design.X - t[:, None] * panel.means(design.X)[panel.codes]
    return replace(design, y=y, X=X)


def unit_means(
    design: Design, frame: pd.DataFrame, panel: PanelIndex, spec: VcovSpec, *, entity: str
) -> tuple[Design, pd.DataFrame]:
    """The design on unit means (one row per unit), and the unit-level columns for ``spec``.

    Raises
    ------
    DataError
        No more units than coefficients; Driscoll-Kraay asked for; a cluster
        column that varies within units.
    """
    p = design.X.shape[1]
    if panel.n_units <= p:
        raise DataError(
            [
                Problem(
                    f"the between estimator needs more units than coefficients: "
                    f"{panel.n_units} unit(s) of {entity!r}, {p} coefficient(s)"
                )
            ]
        )
    if spec.kind == "DK":
        raise DataError([Problem("Driscoll-Kraay needs a time dimension; between has none")])
    rows = frame.iloc[np.flatnonzero(design.used)]
    units = rows.groupby(panel.codes, sort=True)
    constant = units.nunique(dropna=False).max() <= 1
    varying = [c for c in spec.columns if c in constant.index and not constant[c]]
    if varying:
        raise DataError(
            [
                Problem("a between variance needs a column constant within units", column=c)
                for c in varying
            ]
        )
    unit_frame = units.first()[constant.index[constant.to_numpy()]].reset_index(drop=True)
    unit_design = replace(
        design,
        y=panel.means(design.y),
        X=panel.means(design.X),
        used=np.ones(panel.n_units, dtype=bool),
        index=panel.labels,
        extra={},
    )
    return unit_design, unit_frame


def differenced(design: Design, panel: PanelIndex, *, entity: str, time: str) -> Design:
    """The design on first differences between consecutive periods, with the row accounting.

    The intercept column stays 1. ``used`` marks the later row of each pair,
    and ``left_out`` adds the rows lost to differencing.

    Raises
    ------
    DataError
        When there are no more differences than coefficients.
    """
    later, earlier, n_first, n_gap = consecutive_pairs(panel.codes, design.extra["time"])
    p = design.X.shape[1]
    if later.size <= p:
        raise DataError(
            [
                Problem(
                    f"first differences need consecutive periods: {later.size} difference(s) "
                    f"for {p} coefficient(s) (a unit of {entity!r} needs two consecutive "
                    f"values of {time!r} to give one)"
                )
            ]
        )
    dX = design.X[later] - design.X[earlier]
    intercept = intercept_position(design)
    if intercept is not None:
        dX[:, intercept] = 1.0
    positions = np.flatnonzero(design.used)
    used = np.zeros_like(design.used)
    used[positions[later]] = True
    left_out = dict(design.left_out)
    left_out["first period of a unit (lost to differencing)"] = n_first
    if n_gap:
        left_out["preceding period absent or incomplete (lost to differencing)"] = n_gap
    return replace(
        design,
        y=design.y[later] - design.y[earlier],
        X=dX,
        used=used,
        left_out=left_out,
        index=design.index[later],
        extra={k: v[later] for k, v in design.extra.items()},
    )
