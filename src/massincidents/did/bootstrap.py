r"""Multiplier bootstrap for ATT(g,t) and its aggregations.

With influence functions :math:`\psi_{ik}` summed within clusters
(:math:`S_{ck} = \sum_{i \in c}\psi_{ik}`; a cluster is a unit unless
``clustervar`` is given), each draw :math:`r` is

.. math::

    \hat\theta^{*}_{rk} - \hat\theta_k = \frac{1}{n}\sum_c V_{rc} S_{ck},

with i.i.d. multipliers :math:`V_{rc}` (Rademacher :math:`\pm 1`, as R ``did``'s
``multiplier_bootstrap``; or Mammen's two-point weights). As in R ``did``'s
``mboot``, the bootstrap standard error is the interquartile range of the draws
divided by :math:`\Phi^{-1}(0.75)-\Phi^{-1}(0.25)`, and the simultaneous
critical value is the :math:`1-\alpha` quantile of
:math:`\max_k |\hat\theta^*_{rk}-\hat\theta_k| / \widehat{se}_k`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

_IQR_NORMAL = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)


@dataclass(frozen=True)
class BootstrapSpec:
    """How to draw the multipliers: reps, seed, weights and cluster codes."""

    reps: int
    seed: int
    weights: str
    clusters: np.ndarray  # cluster code (0..C-1) of each unit

    def multipliers(self) -> np.ndarray:
        """The ``reps x C`` multipliers; the same every call (seeded)."""
        n_clusters = int(self.clusters.max()) + 1
        rng = np.random.default_rng(self.seed)
        if self.weights == "rademacher":
            return rng.integers(0, 2, size=(self.reps, n_clusters)).astype(float) * 2.0 - 1.0
        if self.weights == "mammen":
            s5 = np.sqrt(5.0)
            p = (s5 + 1) / (2 * s5)
            lo, hi = -(s5 - 1) / 2, (s5 + 1) / 2
            return np.where(rng.random((self.reps, n_clusters)) < p, lo, hi)
        raise ValueError(f"unknown bootstrap weights {self.weights!r}")


def cluster_sums(influence: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Sum rows of ``influence`` within clusters (codes ``0..C-1``)."""
    n_clusters = int(clusters.max()) + 1
    out = np.zeros((n_clusters, influence.shape[1]))
    np.add.at(out, clusters, influence)
    return out


def multiplier_bootstrap(
    influence: np.ndarray, spec: BootstrapSpec, alpha: float
) -> tuple[np.ndarray, float]:
    """Bootstrap standard errors and the simultaneous critical value.

    Returns
    -------
    (numpy.ndarray, float)
        Standard errors (NaN for degenerate columns) and the critical value.
    """
    n = influence.shape[0]
    sums = cluster_sums(influence, spec.clusters)
    draws = spec.multipliers() @ sums / n
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0, method="inverted_cdf")
    se = (q75 - q25) / _IQR_NORMAL
    se[~(se * np.sqrt(n) > np.sqrt(np.finfo(float).eps) * 10)] = np.nan
    ok = np.isfinite(se)
    if not ok.any():
        return se, np.nan
    tmax = np.max(np.abs(draws[:, ok] / se[ok]), axis=1)
    crit = float(np.quantile(tmax, 1 - alpha, method="inverted_cdf"))
    return se, crit


def analytic_se(influence: np.ndarray, clusters: np.ndarray | None = None) -> np.ndarray:
    r"""Influence-function standard errors :math:`\sqrt{\sum_c S_{ck}^2}/n`."""
    n = influence.shape[0]
    sums = influence if clusters is None else cluster_sums(influence, clusters)
    se = np.sqrt(np.sum(sums**2, axis=0)) / n
    se[se <= np.sqrt(np.finfo(float).eps) * 10] = np.nan
    return se
