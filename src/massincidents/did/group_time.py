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

Cells of a cohort whose 2x2 samples share the same units and covariates (for
example never-treated comparisons with time-invariant covariates) share their
propensity score and comparison-unit regression design, which are then fitted
once (:class:`~massincidents.did.estimators.PanelDesign`); the estimates are
identical to fitting each cell separately.

Unbalanced panels (:func:`group_time_effects_rc`, R ``did``'s
``allow_unbalanced_panel=TRUE``): a cell's sample is the observations of its
units in the two periods, treated as repeated cross sections (one row per
observation, covariates of the row's own period); the row influence function is
rescaled by :math:`n / N_{g,t}` (:math:`N_{g,t}` rows in the cell) and summed
within units, so that standard errors stay clustered by unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from massincidents.did.estimators import ESTIMATORS_RC, CellError, PanelDesign


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


@dataclass
class _Cell:
    g: float
    tn: float
    tidx: int
    pret: int
    control_key: float  # -1: never treated only; else the not-yet-treated cutoff
    base_zero: bool = False


def _plan(
    cohort: np.ndarray,
    tlist: np.ndarray,
    glist: np.ndarray,
    control_group: str,
    anticipation: int,
    base_period: str,
) -> tuple[list[_Cell], list[tuple[float, float, str]]]:
    """Every (g,t) cell in R ``did``'s order with its periods and comparison set."""
    n_t = len(tlist)
    tfac = 0 if base_period == "universal" else 1
    cells: list[_Cell] = []
    dropped: list[tuple[float, float, str]] = []
    cuts = np.unique(cohort[cohort > 0])
    for g in glist:
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
                cells.append(_Cell(g, tn, tidx, pret, -1.0, base_zero=True))
                continue
            key = -1.0
            if control_group != "never":
                limit = tlist[max(t_i, pret) + tfac] + anticipation
                # the comparison set only changes when the cutoff passes a cohort:
                # use the largest cohort at or below it, so equal sets share a key
                k = int(np.searchsorted(cuts, limit, side="right"))
                key = float(cuts[k - 1]) if k else 0.0
            cells.append(_Cell(g, tn, tidx, pret, key))
    return cells, dropped


def _control(cohort: np.ndarray, g: float, key: float) -> np.ndarray:
    never = cohort == 0
    if key < 0:
        return never
    return never | ((cohort > key) & (cohort != g))


def _finish(cells, results, n, dropped, n_treated_of):
    groups, times, atts, zeros, sizes, cols = [], [], [], [], [], []
    for c, r in zip(cells, results, strict=True):
        if r is None:
            continue
        groups.append(c.g)
        times.append(c.tn)
        zeros.append(c.base_zero)
        if c.base_zero:
            atts.append(0.0)
            sizes.append(n_treated_of(c.g))
            cols.append(None)
        else:
            atts.append(r[0])
            sizes.append(r[1])
            cols.append(r[2])
    influence = np.zeros((n, len(cols)))
    for j, col in enumerate(cols):
        if col is not None:
            idx, val = col
            influence[idx, j] = val
    return CellEstimates(
        group=np.asarray(groups, dtype=float),
        time=np.asarray(times, dtype=float),
        att=np.asarray(atts, dtype=float),
        base_zero=np.asarray(zeros, dtype=bool),
        n_cell=np.asarray(sizes, dtype=int),
        influence=influence,
        dropped=dropped,
    )


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
    n = y.shape[0]
    cells, dropped = _plan(cohort, tlist, glist, control_group, anticipation, base_period)
    # covariates enter at the earlier period of each 2x2; when they do not vary
    # over time every period gives the same design
    x_fixed = bool(np.all(x == x[:, :1, :]))
    batches: dict[tuple, list[int]] = {}
    for j, c in enumerate(cells):
        if not c.base_zero:
            cov_t = 0 if x_fixed else min(c.tidx, c.pret)
            batches.setdefault((c.g, c.control_key, cov_t), []).append(j)
    results: list = [() if c.base_zero else None for c in cells]
    failed: dict[int, str] = {}
    warm: dict[float, np.ndarray | None] = {}  # last logit fit of each cohort
    for (g, key, cov_t), members in batches.items():
        treated = cohort == g
        cell = treated | _control(cohort, g, key)
        idx = np.flatnonzero(cell)
        n_control = len(idx) - int(treated.sum())
        if n_control == 0:
            failed.update({j: "no comparison units" for j in members})
            continue
        d = treated[idx].astype(float)
        try:
            design = PanelDesign(method, d, x[idx, cov_t, :], start=warm.get(g))
        except CellError as err:
            failed.update({j: str(err) for j in members})
            continue
        warm[g] = design.beta
        tid = [cells[j].tidx for j in members]
        pre = [cells[j].pret for j in members]
        yc = y[idx]
        dy = yc[:, tid] - yc[:, pre]
        try:
            att, psi = design.estimate(dy)
        except CellError as err:  # pragma: no cover - designs are checked when built
            failed.update({j: str(err) for j in members})
            continue
        scale = n / len(idx)
        for col, j in enumerate(members):
            if not np.isfinite(att[col]) or not np.all(np.isfinite(psi[:, col])):
                failed[j] = "non-finite estimate"
                continue
            results[j] = (float(att[col]), len(idx), (idx, scale * psi[:, col]))
    for j, c in enumerate(cells):  # report drops in cell order
        if j in failed:
            dropped.append((c.g, c.tn, failed[j]))
    return _finish(cells, results, n, dropped, lambda g: int((cohort == g).sum()))


def group_time_effects_rc(
    y: np.ndarray,
    x: np.ndarray,
    row_unit: np.ndarray,
    row_time: np.ndarray,
    cohort: np.ndarray,
    tlist: np.ndarray,
    glist: np.ndarray,
    *,
    method: str = "dr",
    control_group: str = "notyet",
    anticipation: int = 0,
    base_period: str = "varying",
) -> CellEstimates:
    """Estimate every ATT(g,t) cell on an unbalanced panel held in long arrays.

    Parameters
    ----------
    y
        Outcome of each observation (row).
    x
        Covariates of each row with an intercept first, ``rows x k``.
    row_unit, row_time
        Unit index (``0..n-1``) and period index (into ``tlist``) of each row.
    cohort
        First treated period of each unit (length ``n``), 0 if never treated.
    tlist, glist, method, control_group, anticipation, base_period
        As in :func:`group_time_effects`.
    """
    n = len(cohort)
    estimator = ESTIMATORS_RC[method]
    row_cohort = cohort[row_unit]
    cells, dropped = _plan(cohort, tlist, glist, control_group, anticipation, base_period)
    results: list = []
    for c in cells:
        if c.base_zero:
            results.append(())
            continue
        treated = row_cohort == c.g
        in_cell = (treated | _control(row_cohort, c.g, c.control_key)) & (
            (row_time == c.tidx) | (row_time == c.pret)
        )
        rows = np.flatnonzero(in_cell)
        d = treated[rows].astype(float)
        post = (row_time[rows] == c.tidx).astype(float)
        try:
            att, psi = estimator(y[rows], post, d, x[rows])
        except CellError as err:
            dropped.append((c.g, c.tn, str(err)))
            results.append(None)
            continue
        if not np.isfinite(att) or not np.all(np.isfinite(psi)):
            dropped.append((c.g, c.tn, "non-finite estimate"))
            results.append(None)
            continue
        units = row_unit[rows]
        summed = np.bincount(units, weights=(n / len(rows)) * psi, minlength=n)
        idx = np.unique(units)
        results.append((att, len(idx), (idx, summed[idx])))
    return _finish(cells, results, n, dropped, lambda g: int((cohort == g).sum()))
