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

import numpy as np
import pandas as pd

from massincidents.core.least_squares import least_squares
from massincidents.design import Design, as_frame, build_design, drop_collinear
from massincidents.errors import DataError, Problem
from massincidents.formula import parse_formula
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
    others = [j for j in range(Z.shape[1]) if j != intercept]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # time-invariant regressors have no within variation
        Xw = panel.within(Z[:, others])
        Xw, kept, _ = drop_collinear(
            Xw, [str(j) for j in others], absorbed=np.sqrt((Z[:, others] ** 2).sum(0))
        )
        Zb, kept_b, _ = drop_collinear(panel.means(Z), [str(j) for j in range(Z.shape[1])])
    n, N = y.shape[0], panel.n_units
    df_within = n - N - len(kept)
    if df_within <= 0:
        raise DataError(
            [Problem(f"random effects: no within degrees of freedom ({n} rows, {N} units)")]
        )
    yw = panel.within(y)
    rss_w = float((least_squares(Xw, yw, warn=False).resid ** 2).sum())
    sigma2_idios = rss_w / df_within

    p = len(kept_b)
    if N <= p:
        raise DataError(
            [
                Problem(
                    f"random effects: the between regression needs more units than coefficients "
                    f"({N} units, {p} coefficients)"
                )
            ]
        )
    T = panel.counts
    between_fit = least_squares(Zb, panel.means(y), T, warn=False)
    q_b = float((T * between_fit.resid**2).sum())
    # tr[(sum T_i z_i z_i')^{-1} sum T_i^2 z_i z_i'], with the first factor the bread
    m_eta = n - float(np.sum(between_fit.bread * ((Zb * (T**2)[:, None]).T @ Zb)))
    sigma2_id = (q_b - (N - p) * sigma2_idios) / m_eta
    truncated = sigma2_id < 0
    sigma2_id = max(sigma2_id, 0.0)
    total = sigma2_idios + T * sigma2_id
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(total > 0, 1 - np.sqrt(sigma2_idios / total), 0.0)
    return VarianceComponents(sigma2_idios, float(sigma2_id), theta, df_within, bool(truncated))


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
