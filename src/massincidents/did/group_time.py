r"""Group-time average treatment effects ATT(g,t) of Callaway and Sant'Anna (2021).

For cohort :math:`g` (units first treated in period :math:`g`) and period
:math:`t`, with base period :math:`b(g,t)` and comparison set :math:`C_{g,t}`,

.. math::

    ATT(g,t) = E[Y_t - Y_{b} \mid G = g] - E[Y_t - Y_{b} \mid C_{g,t}],

estimated by one of the 2x2 estimators of :mod:`massincidents.did.estimators`
(conditional on covariates measured in the earlier of the two periods, as R
``did`` does). The base period is :math:`g - \delta - 1` (the last period before
treatment, net of anticipation :math:`\delta`) for post-treatment cells; for
pre-treatment cells it is the previous period (``base_period="varying"``) or
again :math:`g-\delta-1` (``"universal"``, where the base cell itself is reported
as 0 with no standard error). The comparison set is the never-treated units, or
(``"notyet"``) the never-treated and those first treated after
:math:`\max(t, b) + \delta`, excluding cohort :math:`g`.

The cell influence function :math:`\psi_{g,t}` is rescaled by :math:`n/n_{g,t}`
(:math:`n` units, :math:`n_{g,t}` in the cell) and zero outside the cell, so that
all cells share one :math:`n \times K` matrix and
:math:`\widehat{\text{Cov}} = \Psi^\top\Psi / n^2`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from massincidents.did.estimators import ESTIMATORS, CellError


@dataclass
class CellEstimates:
    """ATT(g,t) estimates of every estimable cell and their influence functions."""

    group: np.ndarray
    time: np.ndarray
    att: np.ndarray
    base_zero: np.ndarray
    n_cell: np.ndarray
    influence: np.ndarray
    dropped: list[tuple[float, float, str]] = field(default_factory=list)


def _last_pre(g: float, tlist: np.ndarray, anticipation: int) -> int | None:
    idx = np.flatnonzero(tlist + anticipation < g)
    return int(idx[-1]) if idx.size else None


def group_time_effects(
    y: np.ndarray,
    x: np.ndarray,
    cohort: np.ndarray,
    tlist: np.ndarray,
    glist: np.ndarray,
    *,
    method: str = "dr",
    control_group: str = "notyet",
    anticipation: int = 0,
    base_period: str = "varying",
) -> CellEstimates:
    """Estimate every ATT(g,t) cell on a balanced panel held in wide arrays.

    Parameters
    ----------
    y
        Outcomes, units by periods (``n x T``).
    x
        Covariates with an intercept first, ``n x T x k`` (``k = 1``: none).
    cohort
        First treated period of each unit, 0 if never treated.
    tlist, glist
        Sorted periods and the cohorts whose effects are estimated.
    method, control_group, anticipation, base_period
        As in :func:`~massincidents.did.staggered_did`.
    """
    estimator = ESTIMATORS[method]
    n, n_t = y.shape
    tfac = 0 if base_period == "universal" else 1
    groups, times, atts, zeros, sizes, infs = [], [], [], [], [], []
    dropped: list[tuple[float, float, str]] = []
    never = cohort == 0
    for g in glist:
        treated = cohort == g
        pre = _last_pre(g, tlist, anticipation)
        if pre is None:
            dropped.append((g, np.nan, "no pre-treatment period for this cohort"))
            continue
        for t_i in range(n_t - tfac):
            tidx = t_i + tfac
            tn = tlist[tidx]
            pret = t_i
            if base_period == "universal" or g - anticipation <= tn:
                pret = pre
            if base_period == "universal" and pret == tidx:
                groups.append(g)
                times.append(tn)
                atts.append(0.0)
                zeros.append(True)
                sizes.append(int(treated.sum()))
                infs.append(np.zeros(n))
                continue
            if control_group == "never":
                control = never
            else:
                limit = tlist[max(t_i, pret) + tfac] + anticipation
                control = never | ((cohort > limit) & ~treated)
            cell = treated | control
            n_treated, n_control = int(treated.sum()), int(control.sum())
            if n_control == 0:
                dropped.append((g, tn, "no comparison units"))
                continue
            if n_treated == 0:  # pragma: no cover - glist holds observed cohorts
                dropped.append((g, tn, "no treated units"))
                continue
            d = treated[cell].astype(float)
            dy = y[cell, tidx] - y[cell, pret]
            xc = x[cell, min(tidx, pret), :]
            try:
                att, psi = estimator(dy, d, xc)
            except CellError as err:
                dropped.append((g, tn, str(err)))
                continue
            if not np.isfinite(att) or not np.all(np.isfinite(psi)):
                dropped.append((g, tn, "non-finite estimate"))
                continue
            n1 = int(cell.sum())
            inf = np.zeros(n)
            inf[cell] = (n / n1) * psi
            groups.append(g)
            times.append(tn)
            atts.append(att)
            zeros.append(False)
            sizes.append(n1)
            infs.append(inf)
    influence = np.column_stack(infs) if infs else np.zeros((n, 0))
    return CellEstimates(
        group=np.asarray(groups, dtype=float),
        time=np.asarray(times, dtype=float),
        att=np.asarray(atts, dtype=float),
        base_zero=np.asarray(zeros, dtype=bool),
        n_cell=np.asarray(sizes, dtype=int),
        influence=influence,
        dropped=dropped,
    )
