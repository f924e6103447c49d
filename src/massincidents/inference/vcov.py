r"""The variance menu, one for every model.

Every estimator hands over the same three things: the *bread*
:math:`B` (the inverse Hessian, :math:`(\tilde X'W\tilde X)^{-1}` for linear
and generalised linear models on the regressors partialled out of the fixed
effects), the per-observation *scores* :math:`s_i` (:math:`\tilde x_i u_i`
for least squares, the gradient of the log-likelihood for ML), and whether it
is a least-squares or a likelihood model. The variance is then

.. math::

    \hat V = c \cdot B \Big(\sum_g S_g S_g'\Big) B, \qquad S_g = \sum_{i \in g} s_i,

with :math:`g` running over observations (``"hetero"``), clusters
(``CRV``), or time periods with Bartlett-weighted autocovariances
(Driscoll-Kraay). Two-way clustering combines three one-way terms as Cameron,
Gelbach and Miller (2011): :math:`V_a + V_b - V_{a \cap b}`.

Small-sample factors :math:`c` (``N`` observations, ``K`` estimated
parameters including identified fixed effects, ``G`` clusters):

=============  ==============================  ================================
vcov           least squares                   maximum likelihood / GLM
=============  ==============================  ================================
``"iid"``      :math:`\hat\sigma^2 B`,          :math:`B` (inverse information)
               :math:`\hat\sigma^2 = RSS/(N-K)`
``"hetero"``   :math:`N/(N-K)` (HC1)           :math:`N/(N-1)`
``CRV1``       :math:`\frac{G}{G-1}\frac{N-1}{N-K}`, :math:`G/(G-1)`
               fixed effects nested in the
               clusters not counted in K
``CRV0``       1                               1
``DK``         1 (as ``plm::vcovSCC``, HC0)    1
=============  ==============================  ================================

These follow Stata (``regress``/``reghdfe``, ``poisson``/``nbreg`` with
``vce(robust)`` and ``vce(cluster)``) and R ``sandwich`` (``vcovHC`` HC1,
``vcovCL`` with ``type="HC1"``, ``cadjust=TRUE``), against which they are tested.
For two-way clustering each of the three terms uses its own :math:`G`, as
``sandwich::vcovCL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from massincidents.demean import is_nested

Kind = Literal["iid", "hetero", "CRV1", "CRV0", "DK"]
Family = Literal["ls", "ml"]

_ALIASES = {"iid": "iid", "classical": "iid", "hetero": "hetero", "hc1": "hetero", "robust": "hetero"}


@dataclass(frozen=True)
class VcovSpec:
    """A parsed choice from the variance menu.

    Attributes
    ----------
    kind
        ``"iid"``, ``"hetero"``, ``"CRV1"``, ``"CRV0"`` or ``"DK"``.
    clusters
        Cluster column names (one, or two for two-way clustering).
    lags
        Driscoll-Kraay bandwidth (Bartlett kernel).
    time
        Column holding the time period for Driscoll-Kraay.
    """

    kind: Kind
    clusters: tuple[str, ...] = ()
    lags: int | None = None
    time: str = "year"

    @property
    def label(self) -> str:
        """How the variance is described in tables (``"CRV1 by province"``)."""
        if self.kind in {"CRV1", "CRV0"}:
            return f"{self.kind} by {' & '.join(self.clusters)}"
        if self.kind == "DK":
            return f"Driscoll-Kraay ({self.lags} lags)"
        return {"iid": "iid", "hetero": "heteroskedasticity-robust (HC1)"}[self.kind]

    @property
    def columns(self) -> tuple[str, ...]:
        """Data columns the variance needs."""
        if self.kind == "DK":
            return (self.time,)
        return self.clusters


def parse_vcov(spec: object) -> VcovSpec:
    """Read a choice from the variance menu.

    Parameters
    ----------
    spec
        ``"iid"``, ``"hetero"``, ``{"CRV1": "province"}``,
        ``{"CRV1": "province+year"}`` (two-way), ``{"CRV0": "province"}``,
        ``{"DK": 2}`` or ``{"DK": {"lags": 2, "time": "year"}}``.

    Returns
    -------
    VcovSpec

    Examples
    --------
    >>> parse_vcov({"CRV1": "province+year"}).clusters
    ('province', 'year')
    >>> parse_vcov("hetero").label
    'heteroskedasticity-robust (HC1)'
    """
    if isinstance(spec, VcovSpec):
        return spec
    if isinstance(spec, str):
        kind = _ALIASES.get(spec.lower())
        if kind is None:
            raise ValueError(
                f"unknown vcov {spec!r}: use 'iid', 'hetero', {{'CRV1': 'province'}}, "
                "{'CRV1': 'province+year'}, {'CRV0': ...} or {'DK': lags}"
            )
        return VcovSpec(kind)  # type: ignore[arg-type]
    if isinstance(spec, Mapping) and len(spec) == 1:
        (key, value), = spec.items()
        if key in {"CRV1", "CRV0"}:
            names = value.split("+") if isinstance(value, str) else list(value)
            names = [n.strip() for n in names if n.strip()]
            if not 1 <= len(names) <= 2:
                raise ValueError(f"{key} takes one or two cluster columns, got {value!r}")
            return VcovSpec(key, clusters=tuple(names))  # type: ignore[arg-type]
        if key == "DK":
            if isinstance(value, Mapping):
                lags, time = value.get("lags"), value.get("time", "year")
            else:
                lags, time = value, "year"
            if not isinstance(lags, int) or isinstance(lags, bool) or lags < 0:
                raise ValueError(f"DK takes a non-negative whole number of lags, got {lags!r}")
            return VcovSpec("DK", lags=lags, time=str(time))
    raise ValueError(f"cannot read vcov={spec!r}")


def _cluster_meat(scores: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, int]:
    codes = np.unique(codes, return_inverse=True)[1]
    groups = int(codes.max()) + 1
    indicator = sp.csr_matrix(
        (np.ones(codes.shape[0]), (codes, np.arange(codes.shape[0]))),
        shape=(groups, codes.shape[0]),
    )
    sums = indicator @ scores
    return sums.T @ sums, groups


def _dk_meat(scores: np.ndarray, time: np.ndarray, lags: int) -> tuple[np.ndarray, int]:
    periods, codes = np.unique(time, return_inverse=True)
    T = periods.shape[0]
    h = np.zeros((T, scores.shape[1]))
    np.add.at(h, codes, scores)
    meat = h.T @ h
    for lag in range(1, min(lags, T - 1) + 1):
        weight = 1.0 - lag / (lags + 1.0)
        gamma = h[lag:].T @ h[:-lag]
        meat += weight * (gamma + gamma.T)
    return meat, T


def compute_vcov(
    spec: VcovSpec,
    *,
    bread: np.ndarray,
    scores: np.ndarray,
    family: Family,
    n_params: int,
    fe: list[np.ndarray] | None = None,
    fe_dof: int = 0,
    columns: Mapping[str, np.ndarray] | None = None,
    sigma2: float | None = None,
) -> tuple[np.ndarray, float | None]:
    """Variance of the estimates for one choice of the menu.

    Parameters
    ----------
    spec
        The choice (see :func:`parse_vcov`).
    bread
        :math:`B`, shape (k, k).
    scores
        :math:`s_i`, shape (n, k).
    family
        ``"ls"`` for least squares, ``"ml"`` for likelihood models.
    n_params
        Number of estimated slopes :math:`k` (excluding fixed effects).
    fe
        Codes of the absorbed fixed effects (to find those nested in clusters).
    fe_dof
        Degrees of freedom used by the fixed effects.
    columns
        Cluster or time columns named in ``spec``, on the estimation sample.
    sigma2
        Residual variance :math:`RSS/(N-K)` for least squares ``"iid"``.

    Returns
    -------
    vcov, df
        The variance matrix, and the degrees of freedom of the t reference
        distribution (``None`` for the normal: all likelihood models).
    """
    n = scores.shape[0]
    fe = fe or []
    columns = columns or {}
    K = n_params + fe_dof
    if n - K <= 0:
        raise ValueError(f"no residual degrees of freedom: {n} observations, {K} parameters")
    df_resid = float(n - K)
    if spec.kind == "iid":
        if family == "ls":
            if sigma2 is None:
                raise ValueError("least-squares iid variance needs sigma2")
            return sigma2 * bread, df_resid
        return bread.copy(), None
    if spec.kind == "hetero":
        meat = scores.T @ scores
        c = n / (n - K) if family == "ls" else n / (n - 1.0)
        return c * bread @ meat @ bread, (df_resid if family == "ls" else None)
    if spec.kind == "DK":
        meat, _T = _dk_meat(scores, np.asarray(columns[spec.time]), int(spec.lags or 0))
        return bread @ meat @ bread, (df_resid if family == "ls" else None)

    cluster_codes = [np.unique(np.asarray(columns[c]), return_inverse=True)[1] for c in spec.clusters]
    if len(cluster_codes) == 2:
        a, b = cluster_codes
        both = np.unique(a * (int(b.max()) + 1) + b, return_inverse=True)[1]
        terms = [(a, 1.0), (b, 1.0), (both, -1.0)]
    else:
        terms = [(cluster_codes[0], 1.0)]
    # Levels of fixed effects nested in a cluster dimension do not count in K
    # (reghdfe, fixest): with province and year effects clustered by province,
    # K = k + (G_year - 1).
    nested_dof = 0
    if spec.kind == "CRV1" and family == "ls":
        for f in fe:
            if any(is_nested(f, c) for c in cluster_codes):
                nested_dof += int(f.max()) + 1
    K_adj = max(K - nested_dof, n_params)
    total = np.zeros_like(bread)
    min_groups = None
    for codes, sign in terms:
        meat, groups = _cluster_meat(scores, codes)
        min_groups = groups if min_groups is None else min(min_groups, groups)
        c = 1.0
        if spec.kind == "CRV1":
            c = groups / (groups - 1.0) if groups > 1 else 1.0
            if family == "ls":
                c *= (n - 1.0) / (n - K_adj)
        total += sign * c * (bread @ meat @ bread)
    df = float(min_groups - 1) if family == "ls" and min_groups is not None else None
    return total, df
