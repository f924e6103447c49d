r"""Sun and Abraham (2021): the interaction-weighted (IW) event-study estimator.

Step 1, the saturated regression: cohort-by-relative-time interactions in a
two-way fixed-effects regression, with a control cohort :math:`C` (never
treated, or the last-treated cohort) that gets no interaction,

.. math::

    y_{it} = \alpha_i + \gamma_t
        + \sum_{g \notin C} \sum_{e \ne -1} \delta_{g,e}\,
          \mathbf{1}\{g_i = g\}\,\mathbf{1}\{t - g_i = e\}
        + x_{it}'\theta + \varepsilon_{it}.

:math:`\hat\delta_{g,e}` is the cohort-specific average treatment effect
:math:`CATT_{g,e}` (relative to :math:`e = -1`).

Step 2, aggregation to relative time with cohort-share weights,

.. math::

    \hat\nu_e = \sum_g \hat w_{g,e}\,\hat\delta_{g,e}, \qquad
    \hat w_{g,e} = \frac{n_{g,e}}{\sum_{g'} n_{g',e}},

where :math:`n_{g,e}` is the number of observations of cohort :math:`g` at
relative time :math:`e` in the estimation sample (in a balanced panel, the
share of cohort :math:`g` among the cohorts observed at :math:`e`). The
variance is the delta method with the shares **held fixed**,

.. math::

    \widehat{\operatorname{Var}}(\hat\nu) = W \hat V_\delta W',

which is the convention of fixest's ``sunab()``/``aggregate()`` and of
pyfixest's ``SaturatedEventStudy.aggregate()``. Sun and Abraham's own
variance adds a term for the estimated shares; it is *not* included here (in
a balanced panel the shares are fixed by design up to cohort sizes, and the
term is small when cohorts are large).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from massincidents.did.event_study import (
    EventStudyResult,
    drop_singletons,
    fit_with_dummies,
    prepare_panel,
    term_name,
)
from massincidents.errors import DataError, Problem
from massincidents.inference.conventions import SmallSample
from massincidents.inference.vcov import VcovChoice


def _cell_name(g: float, e: int) -> str:
    return f"cohort::{g:g}:rel_time::{e}"


@dataclass(frozen=True, eq=False)
class AggregatedVariance:
    """The variance of ``W @ beta`` under a choice of the menu for ``beta``; it pickles."""

    base: Callable[..., tuple[np.ndarray, float | None, str]]
    W: np.ndarray

    def __call__(
        self, choice: object, ssc: object = None
    ) -> tuple[np.ndarray, float | None, str]:
        matrix, df, label = self.base(choice) if ssc is None else self.base(choice, ssc=ssc)
        return self.W @ matrix @ self.W.T, df, label


def sun_abraham(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control: str = "never",
    vcov: VcovChoice | None = None,
    covariates: list[str] | None = None,
    treated: str | None = None,
    ssc: str | SmallSample | None = None,
) -> EventStudyResult:
    r"""Sun-Abraham interaction-weighted event-study estimates.

    .. math::

        \hat\nu_e = \sum_g \frac{n_{g,e}}{\sum_{g'} n_{g',e}}\,\hat\delta_{g,e},
        \qquad
        y_{it} = \alpha_i + \gamma_t
            + \sum_{g \notin C}\sum_{e \ne -1}\delta_{g,e} D^{g,e}_{it}
            + x_{it}'\theta + \varepsilon_{it},

    with the saturated regression fitted by :func:`massincidents.linear`
    (``unit`` and ``time`` absorbed) and the variance
    :math:`W\hat V_\delta W'` with the cohort shares treated as fixed
    (fixest's ``sunab()`` convention; see the module docstring).

    Parameters
    ----------
    data
        A long panel.
    outcome, unit, time, cohort
        Column names; ``cohort`` is the first treated period (missing, ``0``
        or later than the last period: never treated).
    control
        ``"never"`` (default): never-treated units are the control cohort.
        ``"last"``: the last-treated cohort is the control, periods from its
        adoption on are left out, and never-treated units (if any) are left out
        as well (Sun and Abraham's last-treated design).
    vcov
        The variance menu (default: CRV1 by ``unit``), with the least-squares
        factors of :func:`massincidents.linear` for the saturated regression
        (:math:`\frac{G}{G-1}\frac{N-1}{N-K}`, t with :math:`G-1` degrees
        of freedom).
    covariates
        Time-varying controls.
        Column names are used as names here, never evaluated as Python code.
    treated
        Optional 0/1 treatment column, checked to be absorbing.
    ssc
        The small-sample convention of the saturated regression's variance
        (``"R"``, ``"stata"``, ``"fixest"`` or ``mi.ssc(...)``; default: that
        of :func:`massincidents.linear`); ``"fixest"`` gives fixest's numbers.

    Returns
    -------
    EventStudyResult
        ``params`` are :math:`\hat\nu_e` named ``rel_time::e`` with their joint
        variance (so :func:`massincidents.pretrend_test` applies);
        ``extra["cohort_fit"]`` is the saturated regression (terms
        ``cohort::g:rel_time::e``), ``extra["weights"]`` the table of
        :math:`n_{g,e}` and :math:`w_{g,e}`. Units treated in the first period
        (no pre-period) are left out, as in R ``did``.

    Raises
    ------
    DataError
        No never-treated unit with ``control="never"``, fewer than two
        treated cohorts with ``control="last"``, and the panel problems of
        :func:`massincidents.event_study`.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(n_years=10, seed=3, sigma_noise=0.1,
    ...                                 policy_effect=lambda g, e: 0.1 * (e + 1))
    >>> sa = mi.sun_abraham(df, outcome="y_linear", unit="province", time="year",
    ...                     cohort="cohort", covariates=["x1", "x2"])
    >>> "rel_time::-1" in sa.params.index, sa.vcov_label  # -1 is the reference
    (False, 'CRV1 by province')
    >>> sa.params[["rel_time::0", "rel_time::1"]].round(1).tolist()  # truth: 0.1, 0.2
    [0.1, 0.2]
    """
    if control not in {"never", "last"}:
        raise ValueError(f"control must be 'never' or 'last', got {control!r}")
    covariates = list(covariates or [])
    panel = prepare_panel(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        covariates=covariates,
        treated=treated,
    )
    frame, left_out = panel.frame, dict(panel.left_out)
    always = (frame["_cohort"] <= panel.first).to_numpy()
    if always.any():
        left_out["treated in the first period (no pre-period)"] = int(always.sum())
        frame = frame.loc[~always]
    never = frame["_cohort"].isna().to_numpy()
    cohorts = sorted(frame.loc[~never, "_cohort"].unique())
    if not cohorts:
        raise DataError([Problem("no unit is ever treated (after the first period)")])
    if control == "never":
        if not never.any():
            raise DataError(
                [
                    Problem(
                        "sun_abraham(control='never') needs never-treated units and there are "
                        "none; use control='last' (the last-treated cohort as control)",
                        column=cohort,
                    )
                ]
            )
        treated_cohorts = cohorts
    else:
        if len(cohorts) < 2:
            raise DataError(
                [Problem("control='last' needs at least two treated cohorts", column=cohort)]
            )
        last_g = cohorts[-1]
        if never.any():
            left_out["never treated (control='last' uses the last-treated cohort)"] = int(
                never.sum()
            )
            frame = frame.loc[~never]
        late = (frame["_time"] >= last_g).to_numpy()
        if late.any():
            left_out["period at or after the last cohort's adoption"] = int(late.sum())
            frame = frame.loc[~late]
        treated_cohorts = cohorts[:-1]

    frame, left_out = drop_singletons(frame, left_out, unit=unit, time=time)
    g_col = frame["_cohort"].to_numpy()
    rel = frame["_rel"].to_numpy()
    cells: list[tuple[float, int]] = []
    dummies: dict[str, np.ndarray] = {}
    for g in treated_cohorts:
        in_g = g_col == g
        for e in sorted({int(v) for v in rel[in_g]}):
            if e == -1:
                continue
            cells.append((g, e))
            dummies[_cell_name(g, e)] = (in_g & (rel == e)).astype(float)
    fit = fit_with_dummies(
        frame, dummies, outcome=outcome, unit=unit, time=time, covariates=covariates, vcov=vcov,
        ssc=ssc,
    )
    weights, names, W = _cohort_share_weights(fit.params.index, dummies, cells)
    nu = W @ fit.params.to_numpy()
    V = W @ fit.vcov.to_numpy() @ W.T
    revcov = AggregatedVariance(fit._revcov, W)  # type: ignore[arg-type]

    notes = [
        *fit.notes,
        f"Control cohort: {'never treated' if control == 'never' else 'last treated'}; "
        "reference period e = -1",
        "Cohort-share weights treated as fixed in the variance (fixest sunab/aggregate convention)",
    ]
    if fit.dropped:
        notes.append("Interactions dropped as collinear: " + ", ".join(fit.dropped))
    return EventStudyResult(
        model="Sun-Abraham interaction-weighted event study",
        formula=f"{outcome} ~ sunab({cohort}, {time}) | {unit} + {time}",
        params=pd.Series(nu, index=names),
        vcov=pd.DataFrame(V, index=names, columns=names),
        vcov_label=fit.vcov_label,
        df_inference=fit.df_inference,
        nobs=fit.nobs,
        left_out={**left_out, **fit.left_out},
        fixed_effects=fit.fixed_effects,
        link=fit.link,
        stats=dict(fit.stats),
        dropped=dict(fit.dropped),
        notes=notes,
        extra={
            "cohort_fit": fit,
            "weights": weights,
            "aggregation": pd.DataFrame(W, index=names, columns=fit.params.index),
            "event": {"reference": -1, "binned": []},
            "ssc": fit.extra.get("ssc"),
        },
        vcov_spec=fit.vcov_spec,
        vcov_ssc=fit.vcov_ssc,
        _revcov=revcov,
    )


def _cohort_share_weights(
    terms: pd.Index, dummies: dict[str, np.ndarray], cells: list[tuple[float, int]]
) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    """The table of :math:`n_{g,e}` and :math:`w_{g,e}`, the event-time names, and :math:`W`.

    Cell counts on the estimation sample: the dummies' column sums over the
    rows the regression used (fixest: ``colSums(sign(model.matrix))``).
    Singletons are removed before the fit, so the regression uses every row.
    Cells the regression dropped as collinear get no weight.
    """
    counts = {name: float(col.sum()) for name, col in dummies.items() if name in terms}
    weights = pd.DataFrame(
        [
            (g, e, _cell_name(g, e), counts[_cell_name(g, e)])
            for g, e in cells
            if _cell_name(g, e) in counts
        ],
        columns=["cohort", "event_time", "term", "n"],
    )
    weights["weight"] = weights["n"] / weights.groupby("event_time")["n"].transform("sum")
    event_times = sorted(weights["event_time"].unique())
    W = np.zeros((len(event_times), len(terms)))
    position = {t: j for j, t in enumerate(terms)}
    for row in weights.itertuples():
        W[event_times.index(row.event_time), position[row.term]] = row.weight
    return weights, [term_name(e) for e in event_times], W


__all__ = ["sun_abraham"]
