r"""Aggregations of ATT(g,t) (R ``did::aggte``) with influence-function SEs.

With :math:`\hat p_g` the share of units in cohort :math:`g`, every aggregate is
a weighted average of cells,

.. math::

    \hat\theta = \sum_{(g,t)\in K} \hat w_{g,t}\,\widehat{ATT}(g,t), \qquad
    \hat w_{g,t} = \frac{\hat p_g}{\sum_{(g',t')\in K}\hat p_{g'}},

over the post-treatment cells (``"simple"``), the cells of event time
:math:`e = t-g` (``"dynamic"``, :math:`\theta(e)`), or of calendar period
:math:`t` (``"calendar"``, :math:`\theta(t)`); ``"group"`` averages each cohort's
post-treatment cells equally (:math:`\theta(g)`). The overall effects are
:math:`\sum_g \hat p_g\theta(g)/\sum_g \hat p_g` (group) and plain means of
:math:`\theta(e), e \ge 0` (dynamic) and of :math:`\theta(t)` (calendar).
Influence functions include the estimation effect of the weights
:math:`\hat p_g` when they are estimated (``wif`` in ``aggte``):

.. math::

    \psi^\theta_i = \sum_K \hat w_{g,t}\psi_{i,gt}
      + \sum_K \widehat{ATT}(g,t)\left[\frac{1\{G_i=g\}-\hat p_g}{\sum_K \hat p}
      - \hat p_g\frac{\sum_K (1\{G_i=g'\}-\hat p_{g'})}{(\sum_K \hat p)^2}\right].
"""

from __future__ import annotations

import numpy as np


def weights_if(
    keep: np.ndarray, pg: np.ndarray, group: np.ndarray, unit_cohort: np.ndarray, att: np.ndarray
) -> np.ndarray:
    """Influence of the estimated weights, times the ATTs (``wif %*% att`` in R)."""
    ind = (unit_cohort[:, None] == group[keep][None, :]).astype(float) - pg[keep][None, :]
    total = pg[keep].sum()
    a = att[keep]
    return ind @ a / total - ind.sum(axis=1) * (pg[keep] @ a) / total**2


def weighted(
    keep: np.ndarray,
    pg: np.ndarray,
    att: np.ndarray,
    influence: np.ndarray,
    group: np.ndarray,
    unit_cohort: np.ndarray,
    *,
    estimated_weights: bool = True,
):
    """Weighted average of cells ``keep`` with weights proportional to ``pg``."""
    w = pg[keep] / pg[keep].sum()
    est = float(w @ att[keep])
    inf = influence[:, keep] @ w
    if estimated_weights:
        inf = inf + weights_if(keep, pg, group, unit_cohort, att)
    return est, inf


def aggregate_cells(
    kind: str,
    att: np.ndarray,
    influence: np.ndarray,
    group: np.ndarray,
    time: np.ndarray,
    pg: np.ndarray,
    unit_cohort: np.ndarray,
):
    """Per-index estimates and influence functions, then the overall one.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray, float, numpy.ndarray)
        Index values (event times, cohorts or periods; empty for ``"simple"``),
        their estimates, their ``n x m`` influence functions, the overall
        estimate and its influence function.
    """
    post = group <= time
    n = influence.shape[0]
    if kind == "simple":
        keep = np.flatnonzero(post)
        est, inf = weighted(keep, pg, att, influence, group, unit_cohort)
        return np.array([]), np.array([]), np.zeros((n, 0)), est, inf
    if kind == "group":
        index = np.unique(group[post])
        ests, infs = [], []
        for g in index:
            keep = np.flatnonzero(post & (group == g))
            e, i = weighted(keep, pg, att, influence, group, unit_cohort, estimated_weights=False)
            ests.append(e)
            infs.append(i)
        ests_a, infs_a = np.asarray(ests), np.column_stack(infs)
        pgg = np.array([pg[np.flatnonzero(group == g)[0]] for g in index])
        w = pgg / pgg.sum()
        overall = float(w @ ests_a)
        ind = (unit_cohort[:, None] == index[None, :]).astype(float) - pgg[None, :]
        wif = ind @ ests_a / pgg.sum() - ind.sum(axis=1) * (pgg @ ests_a) / pgg.sum() ** 2
        return index, ests_a, infs_a, overall, infs_a @ w + wif
    if kind == "dynamic":
        etime = time - group
        index = np.unique(etime)
        ests, infs = [], []
        for e in index:
            keep = np.flatnonzero(etime == e)
            est, inf = weighted(keep, pg, att, influence, group, unit_cohort)
            ests.append(est)
            infs.append(inf)
        ests_a, infs_a = np.asarray(ests), np.column_stack(infs)
        pos = index >= 0
        overall = float(ests_a[pos].mean())
        return index, ests_a, infs_a, overall, infs_a[:, pos].mean(axis=1)
    if kind == "calendar":
        index = np.array([t for t in np.unique(time[post]) if t >= group.min()])
        ests, infs = [], []
        for t in index:
            keep = np.flatnonzero(post & (time == t))
            est, inf = weighted(keep, pg, att, influence, group, unit_cohort)
            ests.append(est)
            infs.append(inf)
        ests_a, infs_a = np.asarray(ests), np.column_stack(infs)
        return index, ests_a, infs_a, float(ests_a.mean()), infs_a.mean(axis=1)
    raise ValueError(f"unknown aggregation {kind!r}: use simple, group, dynamic or calendar")
