r"""Goodman-Bacon (2021): the TWFE DiD coefficient as a weighted average of 2x2 DiDs.

In a balanced panel with a binary, absorbing, staggered treatment
:math:`D_{it} = \mathbf{1}\{t \ge g_i\}`, the two-way fixed-effects coefficient

.. math::

    y_{it} = \alpha_i + \gamma_t + \beta^{DD} D_{it} + \varepsilon_{it}

equals :math:`\sum_{k \ne U} s_{kU}\hat\beta_{kU}
+ \sum_{k<l} \bigl(s^k_{kl}\hat\beta^k_{kl} + s^l_{kl}\hat\beta^l_{kl}\bigr)`
(Goodman-Bacon 2021, Theorem 1), a weighted average of three kinds of
two-group, two-period DiDs:

* treated vs never treated, :math:`\hat\beta_{kU}`: cohort :math:`k` against
  the never-treated :math:`U`, all periods, post = :math:`t \ge k`;
* earlier vs later treated, :math:`\hat\beta^k_{kl}`: cohort :math:`k` against
  the not-yet-treated :math:`l > k`, periods :math:`t < l`;
* later vs earlier treated, :math:`\hat\beta^l_{kl}`: cohort :math:`l` against
  the already-treated :math:`k`, periods :math:`t \ge k` (the "forbidden"
  comparison that makes TWFE biased under dynamic effects).

With :math:`n_k` the share of units in cohort :math:`k`,
:math:`\bar D_k` the share of periods cohort :math:`k` is treated,
:math:`n_{ab} = n_a/(n_a+n_b)` and :math:`\hat V^D` the variance of
:math:`D_{it}` net of unit and period means,

.. math::

    s_{kU} &= (n_k+n_U)^2\, n_{kU}(1-n_{kU})\, \bar D_k(1-\bar D_k) / \hat V^D,\\
    s^k_{kl} &= \bigl((n_k+n_l)(1-\bar D_l)\bigr)^2 n_{kl}(1-n_{kl})
        \frac{\bar D_k-\bar D_l}{1-\bar D_l}\frac{1-\bar D_k}{1-\bar D_l} / \hat V^D,\\
    s^l_{kl} &= \bigl((n_k+n_l)\bar D_k\bigr)^2 n_{kl}(1-n_{kl})
        \frac{\bar D_l}{\bar D_k}\frac{\bar D_k-\bar D_l}{\bar D_k} / \hat V^D.

Units treated from the first period on form a cohort with
:math:`\bar D = 1` (they enter only as "already treated" controls).

References
----------
Goodman-Bacon, A. (2021). Difference-in-differences with variation in
treatment timing. *Journal of Econometrics* 225(2), 254-277.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from massincidents.did.event_study import prepare_panel
from massincidents.errors import DataError, Problem
from massincidents.linear.estimators import linear

TYPES = ("Earlier vs Later Treated", "Later vs Earlier Treated", "Treated vs Never Treated")


@dataclass(frozen=True)
class BaconDecomposition:
    """The 2x2 comparisons behind a TWFE DiD coefficient.

    Attributes
    ----------
    table
        One row per comparison: ``type``, ``treated`` (cohort), ``control``
        (cohort, or ``NaN`` for the never treated), ``estimate``, ``weight``.
    twfe
        :math:`\\hat\\beta^{DD}`, the TWFE coefficient of the treatment dummy.
    """

    table: pd.DataFrame
    twfe: float

    @property
    def weighted_average(self) -> float:
        """:math:`\\sum_j s_j \\hat\\beta_j`; equals :attr:`twfe`."""
        return float((self.table["weight"] * self.table["estimate"]).sum())

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted-average estimate of each kind of comparison."""
        t = self.table.assign(product=self.table["weight"] * self.table["estimate"])
        out = t.groupby("type", sort=False)[["weight", "product"]].sum()
        out["estimate"] = out["product"] / out["weight"]
        return out[["weight", "estimate"]]


def _did(y: pd.DataFrame, treat: float, ctrl: float | None, periods, post) -> float:
    """Simple 2x2 DiD of cohort means on the given periods."""
    sub = y.loc[y["_t"].isin(periods)]
    tr = sub["_c"] == treat if treat is not None else sub["_c"].isna()
    co = sub["_c"].isna() if ctrl is None else sub["_c"] == ctrl
    is_post = sub["_t"].isin(post)

    def change(mask: pd.Series) -> float:
        return float(sub.loc[mask & is_post, "_y"].mean() - sub.loc[mask & ~is_post, "_y"].mean())

    return change(tr) - change(co)


def bacon_decomposition(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    treated: str | None = None,
) -> BaconDecomposition:
    r"""Goodman-Bacon decomposition of the TWFE DiD coefficient.

    .. math::

        \hat\beta^{DD} = \sum_{k \ne U} s_{kU}\hat\beta_{kU}
            + \sum_{k < l}\bigl(s^k_{kl}\hat\beta^k_{kl} + s^l_{kl}\hat\beta^l_{kl}\bigr),
        \qquad \sum s = 1.

    Parameters
    ----------
    data
        A **balanced** long panel, no covariates.
    outcome, unit, time, cohort
        Column names; ``cohort`` is the first treated period (missing, ``0`` or
        later than the last period: never treated). The treatment is
        :math:`D_{it} = \mathbf{1}\{t \ge g_i\}`.
    treated
        Optional 0/1 treatment column, checked to be absorbing and to agree
        with ``cohort``.

    Returns
    -------
    BaconDecomposition
        ``table`` of comparisons with weights summing to one; ``twfe`` the
        coefficient of ``outcome ~ D | unit + time`` (:func:`massincidents.linear`),
        equal to the weighted average of the table's estimates.

    Raises
    ------
    DataError
        Unbalanced panel, missing outcomes, no treatment variation, and the
        panel problems of :func:`massincidents.event_study`.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=4)
    >>> bd = mi.bacon_decomposition(df, outcome="y_linear", unit="province",
    ...                             time="year", cohort="cohort")
    >>> round(float(bd.table["weight"].sum()), 12), abs(bd.weighted_average - bd.twfe) < 1e-10
    (1.0, True)
    """
    panel = prepare_panel(
        data, outcome=outcome, unit=unit, time=time, cohort=cohort, treated=treated
    )
    if panel.left_out:
        raise DataError(
            [
                Problem(f"the decomposition needs complete data: {n} row(s) with {why}")
                for why, n in panel.left_out.items()
            ]
        )
    frame = panel.frame
    periods = np.sort(frame["_time"].unique())
    units = frame[unit].unique()
    T, N = len(periods), len(units)
    if len(frame) != N * T:
        raise DataError(
            [Problem(f"the panel is unbalanced: {len(frame)} rows for {N} units x {T} periods")]
        )
    c = frame["_cohort"].where(frame["_cohort"] > periods[0], periods[0])  # always-treated
    c = c.where(frame["_cohort"].notna(), np.nan)
    y = pd.DataFrame({"_y": frame[outcome].astype(float), "_t": frame["_time"], "_c": c})
    D = (frame["_time"] >= c).astype(float).to_numpy()  # NaN cohort -> False
    if D.min() == D.max():
        raise DataError([Problem("the treatment does not vary: nothing to decompose")])

    work = frame.assign(_D=D)
    fit = linear(f"`{outcome}` ~ _D | {unit} + {time}", work, vcov="iid")
    twfe = float(fit.params["_D"])
    # Variance of D net of unit and period means (balanced: closed form).
    Dm = D.reshape(-1)
    d_unit = work.assign(_D=Dm).groupby(unit)["_D"].transform("mean").to_numpy()
    d_time = work.assign(_D=Dm).groupby(time)["_D"].transform("mean").to_numpy()
    V_D = float(np.mean((Dm - d_unit - d_time + Dm.mean()) ** 2))

    unit_cohort = frame.groupby(unit)["_cohort"].first()
    unit_c = unit_cohort.where(unit_cohort > periods[0], periods[0]).where(unit_cohort.notna())
    sizes = unit_c.value_counts(dropna=False)
    # the never-treated (a missing cohort) are the untreated share n_U
    n_U = float(sum(v for k, v in sizes.items() if pd.isna(k))) / N
    share = {float(k): v / N for k, v in sizes.items() if not pd.isna(k)}
    cohorts = sorted(share)
    Dbar = {g: float(np.mean(periods >= g)) for g in cohorts}

    rows: list[tuple[str, float, float | None, float, float]] = []
    if n_U > 0:
        for k in cohorts:
            if Dbar[k] in (0.0, 1.0):
                continue
            nk = share[k] / (share[k] + n_U)
            s = (share[k] + n_U) ** 2 * nk * (1 - nk) * Dbar[k] * (1 - Dbar[k]) / V_D
            est = _did(y, k, None, periods, periods[periods >= k])
            rows.append((TYPES[2], k, np.nan, est, s))
    for a, k in enumerate(cohorts):
        for l_ in cohorts[a + 1 :]:
            nk, nl, Dk, Dl = share[k], share[l_], Dbar[k], Dbar[l_]
            nkl = nk / (nk + nl)
            if Dk < 1:  # earlier k vs not-yet-treated l, on t < l
                s = (
                    ((nk + nl) * (1 - Dl)) ** 2
                    * nkl
                    * (1 - nkl)
                    * ((Dk - Dl) / (1 - Dl))
                    * ((1 - Dk) / (1 - Dl))
                    / V_D
                )
                window = periods[periods < l_]
                est = _did(y, k, k_ctrl := l_, window, window[window >= k])
                rows.append((TYPES[0], k, k_ctrl, est, s))
            if Dl > 0:  # later l vs already-treated k, on t >= k
                s = ((nk + nl) * Dk) ** 2 * nkl * (1 - nkl) * (Dl / Dk) * ((Dk - Dl) / Dk) / V_D
                window = periods[periods >= k]
                est = _did(y, l_, k, window, window[window >= l_])
                rows.append((TYPES[1], l_, k, est, s))
    table = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    return BaconDecomposition(table=table, twfe=twfe)
