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

=============  ==========================================  ================================
vcov           least squares                               maximum likelihood / GLM
=============  ==========================================  ================================
``"iid"``      :math:`\hat\sigma^2 B`,                      :math:`B` (inverse information)
               :math:`\hat\sigma^2 = RSS/(N-K)`
``"hetero"``   :math:`N/(N-K)` (HC1)                       :math:`N/(N-1)`
``CRV1``       :math:`\frac{G}{G-1}\frac{N-1}{N-K}`,       :math:`G/(G-1)`
               fixed effects nested in the
               clusters not counted in K
``CRV0``       1                                           1
``DK``         1 (as ``plm::vcovSCC``, HC0)                1
=============  ==========================================  ================================

These follow Stata (``regress``/``reghdfe``, ``poisson``/``nbreg`` with
``vce(robust)`` and ``vce(cluster)``) and R ``sandwich``/``plm``, against which
they are tested to machine precision on Petersen's panel
(``tests/reference/sandwich_petersen.R``). For an ``lm`` fit ``fm``:

==================================  ==================================================
ours                                R
==================================  ==================================================
``"iid"``                           ``vcov(fm)``
``"hetero"``                        ``sandwich::vcovHC(fm, type = "HC1")``
``{"CRV1": "firm"}``                ``sandwich::vcovCL(fm, cluster = ~firm)`` (defaults
                                    ``type = "HC1"``, ``cadjust = TRUE``), and
                                    ``plm::vcovHC(.., type = "sss", cluster = "group")``
``{"CRV0": "firm"}``                ``sandwich::vcovCL(fm, cluster = ~firm,
                                    type = "HC0", cadjust = FALSE)``
``{"CRV1": "firm+year"}``           ``sandwich::vcovCL(fm, cluster = ~firm + year)``
``{"CRV0": "firm+year"}``           ``sandwich::vcovCL(fm, cluster = ~firm + year,
                                    type = "HC0", cadjust = FALSE)``
``{"DK": m}``                       ``plm::vcovSCC(pooled_or_within_plm, type = "HC0",
                                    maxlag = m)`` and ``sandwich::vcovPL(fm,
                                    cluster = ~firm + year, lag = m, adjust = FALSE)``
==================================  ==================================================

Two-way clustering. ``sandwich::vcovCL`` forms
:math:`\hat V = \frac{N-1}{N-K}\sum_{j \in \{a, b, a\cap b\}} \pm
\frac{G_j}{G_j-1} B M_j B`, each term with its own number of clusters
:math:`G_j` (the intersection counted as clusters, ``multi0 = FALSE``); that is
the default here (``cluster_df="each"``). fixest, pyfixest and reghdfe use the
smallest :math:`G` for all three terms, :math:`\frac{G_{min}}{G_{min}-1}
\frac{N-1}{N-K}\,(V_a + V_b - V_{a\cap b})` with :math:`V` unadjusted:
``{"CRV1": "firm+year", "cluster_df": "min"}``. Neither fixes a non-positive
definite result (``sandwich``'s ``fix = FALSE``).

Driscoll-Kraay. With :math:`h_t = \sum_{i} s_{it}` the score sums of period
:math:`t` (periods in sorted order, lags by position),
:math:`\hat V = B\big(\Gamma_0 + \sum_{l=1}^{m} (1 - \frac{l}{m+1})
(\Gamma_l + \Gamma_l')\big)B` with :math:`\Gamma_l = \sum_t h_t h_{t-l}'`,
no small-sample factor. ``sandwich::vcovPL(fm, cluster = ~year, ...)`` with the
time variable as the *only* cluster variable is not this estimator: ``vcovPL``
then takes the running count within each year as the time order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from massincidents.demean import is_nested
from massincidents.errors import DataError, Problem

Kind = Literal["iid", "hetero", "CRV1", "CRV0", "DK"]
Family = Literal["ls", "ml"]

_ALIASES = {
    "iid": "iid",
    "classical": "iid",
    "hetero": "hetero",
    "hc1": "hetero",
    "robust": "hetero",
}


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
    cluster_df
        Two-way clustering: ``"each"`` (each term with its own :math:`G`, as
        ``sandwich::vcovCL``) or ``"min"`` (the smallest :math:`G` for all
        terms, as fixest and reghdfe).
    """

    kind: Kind
    clusters: tuple[str, ...] = ()
    lags: int | None = None
    time: str = "year"
    cluster_df: Literal["each", "min"] = "each"

    @property
    def label(self) -> str:
        """How the variance is described in tables (``"CRV1 by province"``)."""
        if self.kind in {"CRV1", "CRV0"}:
            suffix = " (G = min)" if self.cluster_df == "min" and len(self.clusters) > 1 else ""
            return f"{self.kind} by {' & '.join(self.clusters)}{suffix}"
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
        ``{"DK": 2}`` or ``{"DK": {"lags": 2, "time": "year"}}``. Two-way
        clustering takes ``"cluster_df": "min"`` as a second key for fixest's
        convention (``{"CRV1": "province+year", "cluster_df": "min"}``).

    Returns
    -------
    VcovSpec

    Examples
    --------
    >>> parse_vcov({"CRV1": "province+year"}).clusters
    ('province', 'year')
    >>> parse_vcov("hetero").label
    'heteroskedasticity-robust (HC1)'
    >>> parse_vcov({"CRV1": "province+year", "cluster_df": "min"}).label
    'CRV1 by province & year (G = min)'
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
    if isinstance(spec, Mapping) and len(spec) == 2 and "cluster_df" in spec:
        cluster_df = spec["cluster_df"]
        if cluster_df not in {"each", "min"}:
            raise ValueError(f"cluster_df is 'each' or 'min', got {cluster_df!r}")
        base = parse_vcov({k: v for k, v in spec.items() if k != "cluster_df"})
        if base.kind not in {"CRV1", "CRV0"}:
            raise ValueError("cluster_df applies to clustered variances only")
        return replace(base, cluster_df=cluster_df)
    if isinstance(spec, Mapping) and len(spec) == 1:
        ((key, value),) = spec.items()
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

    cluster_codes = [
        np.unique(np.asarray(columns[c]), return_inverse=True)[1] for c in spec.clusters
    ]
    if len(cluster_codes) == 2:
        a, b = cluster_codes
        both = np.unique(a * (int(b.max()) + 1) + b, return_inverse=True)[1]
        terms = [(a, 1.0), (b, 1.0), (both, -1.0)]
    else:
        terms = [(cluster_codes[0], 1.0)]
    sizes = [int(codes.max()) + 1 for codes, _sign in terms]
    g_min = min(sizes[: len(cluster_codes)])
    total = np.zeros_like(bread)
    for (codes, sign), groups in zip(terms, sizes, strict=True):
        meat, _ = _cluster_meat(scores, codes)
        c = cluster_factor(
            spec.kind,
            family,
            n=n,
            n_params=n_params,
            groups=g_min if spec.cluster_df == "min" else groups,
            fe=fe,
            fe_dof=fe_dof,
            cluster_codes=cluster_codes,
        )
        total += sign * c * (bread @ meat @ bread)
    df = float(g_min - 1) if family == "ls" else None
    return total, df


def cluster_factor(
    kind: str,
    family: Family,
    *,
    n: int,
    n_params: int,
    groups: int,
    fe: list[np.ndarray] | None = None,
    fe_dof: int = 0,
    cluster_codes: list[np.ndarray] | None = None,
) -> float:
    r"""Small-sample factor :math:`c` of a clustered variance term.

    ``CRV0`` is 1. ``CRV1`` is :math:`G/(G-1)` for likelihood models and
    :math:`\frac{G}{G-1}\frac{N-1}{N-K}` for least squares, where :math:`K`
    counts the slopes and the fixed-effect degrees of freedom except those of
    fixed effects nested in a cluster dimension (reghdfe, fixest).

    Parameters
    ----------
    kind
        ``"CRV1"`` or ``"CRV0"``.
    family
        ``"ls"`` or ``"ml"``.
    n, n_params, groups
        Observations :math:`N`, slopes, clusters :math:`G` of this term.
    fe, fe_dof
        Fixed-effect codes and their degrees of freedom (least squares).
    cluster_codes
        Codes of every cluster dimension (to find nested fixed effects).

    Returns
    -------
    float

    Examples
    --------
    >>> cluster_factor("CRV1", "ml", n=100, n_params=3, groups=10)  # 10/9
    1.1111111111111112
    >>> round(cluster_factor("CRV1", "ls", n=100, n_params=3, groups=10), 6)  # 10/9 * 99/97
    1.134021
    """
    if kind != "CRV1":
        return 1.0
    c = groups / (groups - 1.0) if groups > 1 else 1.0
    if family == "ls":
        # Levels of fixed effects nested in a cluster dimension do not count in K
        # (reghdfe, fixest): with province and year effects clustered by province,
        # K = k + (G_year - 1).
        nested_dof = 0
        for f in fe or []:
            if any(is_nested(f, codes) for codes in cluster_codes or []):
                nested_dof += int(f.max()) + 1
        K_adj = max(n_params + fe_dof - nested_dof, n_params)
        c *= (n - 1.0) / (n - K_adj)
    return c


def vcov_columns(spec: VcovSpec, frame: pd.DataFrame, used: np.ndarray) -> dict[str, np.ndarray]:
    """The cluster or time columns a variance choice needs, on the rows used."""
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise DataError(
            [Problem("variance column not found in the data", column=c) for c in missing]
        )
    rows = frame.iloc[np.flatnonzero(used)]
    out = {}
    for column in spec.columns:
        values = rows[column]
        if values.isna().any():
            raise DataError(
                [
                    Problem(
                        f"{int(values.isna().sum())} missing value(s) in a variance column",
                        column=column,
                    )
                ]
            )
        out[column] = values.to_numpy()
    return out
