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

Small-sample factors :math:`c` depend on the convention named by ``ssc=``
(:mod:`massincidents.inference.conventions`): ``"R"`` (the default: sandwich,
plm, glm), ``"stata"`` or ``"fixest"``. With ``N`` observations, ``k`` slopes
(and the intercept column, if any), :math:`d_{FE}` identified fixed-effect levels and ``G``
clusters, write :math:`g(G) = G/(G-1)` and :math:`a(K) = (N-1)/(N-K)`, and
:math:`K_{full} = k + d_{FE}`, :math:`K_R = k + d_{FE} - L`,
:math:`K_S = k + d_{FE} - L + m`, where :math:`L` counts the levels of the
:math:`m` fixed effects nested in a cluster dimension (with none nested, all
three are :math:`K_{full}`). :math:`G_{min}`: the smaller :math:`G` of two-way
clustering.

Least squares (``mi.linear``, ``random_effects``, ``between``,
``first_difference``; the Hausman auxiliary regression):

==============  ==========================  ===========================  ==========================
vcov            ``"R"``                     ``"stata"``                  ``"fixest"``
==============  ==========================  ===========================  ==========================
``"iid"``       :math:`\hat\sigma^2 B`,     same (``regress``;           same (``feols``)
                :math:`\hat\sigma^2 =       ``xtreg`` fe, re, be)
                RSS/(N-K_{full})`
``"hetero"``    :math:`N/(N-K_{full})`      same (``regress``,           same
                (HC1)                       ``reghdfe``
                                            ``vce(robust)``)
``CRV1``        :math:`g(G)\,a(K_R)`        :math:`g(G)\,a(K_S)`         :math:`g(G)\,a(K_S)`
                (``sandwich::vcovCL``;      (``xtreg, fe`` with          (``fixef.K = "nested"``)
                plm ``type = "sss"``)       ``vce(robust)`` and
                                            ``vce(cluster)``; reghdfe)
two-way CRV1    each term its own           every term                   every term
                :math:`g(G_j)`              :math:`g(G_{min})`           :math:`g(G_{min})`
                (``vcovCL``)                (``ivreg2, small``;
                                            reghdfe)
``CRV0``        1                           1                            1
``{"DK": m}``   1 (``plm::vcovSCC``, HC0)   1                            1
t reference     :math:`N-K_{full}`;         same                         same
                clustered
                :math:`G_{min}-1`
==============  ==========================  ===========================  ==========================

``random_effects`` also takes its variance components from the convention:
``"R"`` and ``"fixest"`` use plm's Swamy-Arora, ``"stata"`` ``xtreg, re``'s
(harmonic mean of :math:`T_i`, unweighted between regression; the same on
balanced panels); ``random_method=`` overrides. Stata's ``xtreg, fe
vce(robust)`` clusters by the panel unit: ask for ``{"CRV1": unit}``;
``"hetero"`` under ``"stata"`` is ``reghdfe``/``areg``'s ``vce(robust)``.
``xtreg, fe`` keeps singleton units (``drop_singletons=False``). The
``regress``, ``xtreg``, ``ivreg2`` and ``xtscc`` entries are checked against
Stata's output (``xtscc`` gives the Driscoll-Kraay variance of ``{"DK": m}``
with a t reference on :math:`G-1` degrees of freedom, ours :math:`N-K`); the
``reghdfe`` entries follow its documentation and fixest's equivalent rule.

Likelihood models (Poisson, NB, ZIP, Cox, ...; their own docstrings say where
a family departs from this):

==============  ==========================  ===========================  ==========================
vcov            ``"R"``                     ``"stata"``                  ``"fixest"``
==============  ==========================  ===========================  ==========================
``"iid"``       :math:`B` (inverse          :math:`B` (``vce(oim)``)     :math:`a(K_S)\,B`
                information)
``"hetero"``    :math:`N/(N-1)`             :math:`N/(N-1)`              :math:`N/(N-K_S)`
                                            (``vce(robust)``)
``CRV1``        :math:`g(G)`                :math:`g(G)`                 :math:`g(G)\,a(K_S)`
                                            (``vce(cluster)``)
``CRV0``, DK    1                           1                            1
==============  ==========================  ===========================  ==========================

``mi.ssc(adj, fixef_k, cluster_adj, cluster_df, t_df)`` switches single
factors (fixest's ``ssc()``). Checked: ``"R"`` against R sandwich/plm
(``tests/reference/sandwich_petersen.R``, ``plm_grunfeld.R``), ``"stata"``
against Stata's ``regress``, ``xtreg, fe/re/be``, ``ivreg2`` and ``xtscc``
output (``tests/reference/stata_xtreg_simulated.md``,
``stata_grunfeld_clusters.md``), ``"fixest"`` against pyfixest's
``feols`` (``tests/inference/test_conventions.py``). For an ``lm`` fit ``fm``
under ``"R"``:

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

Cluster jackknife (``mi.linear``, ``mi.poisson``, ``mi.negbin``;
:mod:`massincidents.inference.jackknife`). ``{"CV3": g}`` is MacKinnon,
Nielsen and Webb's (2023)
:math:`\mathrm{CV}_3 = \frac{G-1}{G}\sum_g (\hat\beta_{(g)} - \hat\beta)
(\hat\beta_{(g)} - \hat\beta)'`, ``{"CV3J": g}`` the same centred at the mean
of the leave-one-cluster-out estimates :math:`\hat\beta_{(g)}`. One cluster
column. No small-sample factor of ``ssc=`` applies to them (``adj``,
``cluster_adj``, ``fixef_k`` change nothing; every preset gives the same
matrix); ``t_df`` does: t reference with :math:`G-1` degrees of freedom for
least squares (:math:`N-K` with ``t_df="conventional"``), normal for
likelihood models. The same numbers elsewhere (each checked in
``tests/inference/test_jackknife.py`` unless marked):

- ``{"CV3": g}`` on ``mi.linear``: R ``sandwich::vcovCL(fm, cluster = ~g, type
  = "HC3", cadjust = FALSE)`` (sandwich 3.0's clustered HC3 scales the
  adjusted cluster scores by :math:`\sqrt{(G-1)/G}`, and ``cadjust = TRUE``
  multiplies by :math:`G/(G-1)`); leave-one-cluster-out ``lm`` refits;
  ``sandwich::vcovJK(fm, cluster = ~g, center = "estimate")`` (sandwich >= 3.1;
  not installed here, its definition) and summclust's CV3.
- ``{"CV3": g}`` times :math:`G/(G-1)`: ``vcovCL(fm, cluster = ~g, type =
  "HC3")`` (``cadjust = TRUE``, the default); pyfixest 0.60 ``feols(...,
  vcov={"CRV3": g}, ssc=pf.ssc(k_adj=False, G_adj=False))``. pyfixest's
  default further multiplies by its CRV1 factor :math:`\frac{G}{G-1}\frac{N-1}{N-K}`.
- ``{"CV3J": g}``: leave-one-cluster-out refits centred at their mean;
  ``vcovJK(fm, cluster = ~g)`` (default ``center = "mean"``) and summclust's
  CV3J by their definitions; Stata's clustered ``vce(jackknife)`` centres
  pseudovalues at their mean (CV3J; its ``mse`` option gives CV3) by its
  manual, not checked against its output.
- ``{"CV3": g}`` on Poisson and NB2: exact leave-one-cluster-out ``glm`` and
  ``MASS::glm.nb`` refits (NB2 re-estimates :math:`\theta`); under
  ``ssc="stata"`` NB2 jackknifes :math:`(\beta, \ln\alpha)` together, so
  ``lnalpha_se`` is its jackknife standard error.
- ``{"CV3": g, "jackknife": "one-step"}`` (Poisson, NB2; an approximation, not
  the jackknife): one Fisher-scoring step from the full estimate on each
  leave-out sample, :math:`\theta` fixed, as ``glm(..., etastart = eta_full,
  control = glm.control(maxit = 1))`` refits. It is *not* ``vcovCL(type =
  "HC3")`` on a ``glm``: sandwich 3.0 multiplies :math:`y_g - \mu_g` by
  :math:`(I - X_gBX_g'W_g)^{-1}`, the transpose of the hat block of a Newton
  step (0.06% to 2% apart on our test data). On least squares it is the exact
  jackknife.

A cluster that holds all the variation of a term (given the other regressors
and the fixed effects; a dummy for a level seen in one cluster only) leaves
that term's :math:`\hat\beta_{(g)}` undefined: its CV3 variance (row and
column) is NaN, with a
:class:`~massincidents.inference.jackknife.SingularJackknifeWarning` naming
the cluster and the term. The other terms stay identified and are exact: as
summclust's generalised-inverse CV3 (checked on its published nlswork
example), not its variant that drops the singular clusters.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from massincidents.core.demean import is_nested
from massincidents.errors import DataError, Problem
from massincidents.inference.conventions import PRESETS, SmallSample

Kind = Literal["iid", "hetero", "CRV1", "CRV0", "DK", "CV3", "CV3J"]
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
        ``"iid"``, ``"hetero"``, ``"CRV1"``, ``"CRV0"``, ``"DK"``, ``"CV3"``
        (cluster jackknife centred at the estimate) or ``"CV3J"`` (centred at
        the mean of the leave-one-cluster-out estimates).
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
    jackknife
        ``CV3``: ``"exact"`` leave-one-cluster-out estimates, or the
        ``"one-step"`` approximation of likelihood models (R
        ``sandwich::vcovCL(type = "HC3")`` on a ``glm``).
    """

    kind: Kind
    clusters: tuple[str, ...] = ()
    lags: int | None = None
    time: str = "year"
    cluster_df: Literal["each", "min"] = "each"
    jackknife: Literal["exact", "one-step"] = "exact"

    @property
    def label(self) -> str:
        """How the variance is described in tables (``"CRV1 by province"``)."""
        if self.kind in {"CRV1", "CRV0"}:
            suffix = " (G = min)" if self.cluster_df == "min" and len(self.clusters) > 1 else ""
            return f"{self.kind} by {' & '.join(self.clusters)}{suffix}"
        if self.kind == "DK":
            return f"Driscoll-Kraay ({self.lags} lags)"
        if self.kind in {"CV3", "CV3J"}:
            suffix = " (one-step)" if self.jackknife == "one-step" else ""
            return f"{self.kind} by {self.clusters[0]}{suffix}"
        return {"iid": "iid", "hetero": "heteroskedasticity-robust (HC1)"}[self.kind]

    @property
    def columns(self) -> tuple[str, ...]:
        """Data columns the variance needs."""
        if self.kind == "DK":
            return (self.time,)
        return self.clusters


#: A choice from the variance menu as every model takes it (``vcov=``): ``"iid"``,
#: ``"hetero"``, ``{"CRV1": "province"}``, ``{"CRV1": "province+year"}``, ``{"CRV0": ...}``,
#: ``{"DK": 2}`` (or ``{"DK": {"lags": 2, "time": "year"}}``), or a parsed :class:`VcovSpec`.
VcovChoice: TypeAlias = str | Mapping[str, Any] | VcovSpec


def parse_vcov(spec: object) -> VcovSpec:
    """Read a choice from the variance menu.

    Parameters
    ----------
    spec
        ``"iid"``, ``"hetero"``, ``{"CRV1": "province"}``,
        ``{"CRV1": "province+year"}`` (two-way), ``{"CRV0": "province"}``,
        ``{"DK": 2}`` or ``{"DK": {"lags": 2, "time": "year"}}``,
        ``{"CV3": "province"}`` (cluster jackknife, one column; ``{"CV3J": ...}``
        centred at the mean of the leave-one-out estimates;
        ``{"CV3": ..., "jackknife": "one-step"}`` the one-step approximation of
        likelihood models). Two-way
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
    >>> parse_vcov({"CV3": "province"}).label, parse_vcov({"CV3J": "province"}).kind
    ('CV3 by province', 'CV3J')
    """
    if isinstance(spec, VcovSpec):
        return spec
    if isinstance(spec, str):
        kind = _ALIASES.get(spec.lower())
        if kind is None:
            raise ValueError(
                f"unknown vcov {spec!r}: use 'iid', 'hetero', {{'CRV1': 'province'}}, "
                "{'CRV1': 'province+year'}, {'CRV0': ...}, {'DK': lags} or {'CV3': 'province'}"
            )
        return VcovSpec(kind)  # type: ignore[arg-type]
    if isinstance(spec, Mapping) and len(spec) == 2 and "jackknife" in spec:
        method = spec["jackknife"]
        if method not in {"exact", "one-step"}:
            raise ValueError(f"jackknife is 'exact' or 'one-step', got {method!r}")
        base = parse_vcov({k: v for k, v in spec.items() if k != "jackknife"})
        if base.kind not in {"CV3", "CV3J"}:
            raise ValueError("jackknife= applies to CV3 and CV3J only")
        return replace(base, jackknife=method)
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
        if key in {"CV3", "CV3J"}:
            names = value.split("+") if isinstance(value, str) else list(value)
            names = [n.strip() for n in names if n.strip()]
            if len(names) != 1:
                raise ValueError(f"{key} takes one cluster column, got {value!r}")
            return VcovSpec(key, clusters=(names[0],))  # type: ignore[arg-type]
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
    codes = pd.factorize(codes, sort=False)[0]  # O(n), no sort; order is irrelevant here
    groups = int(codes.max()) + 1
    # Cluster sums column by column: no n-sized index arrays besides the codes.
    sums = np.zeros((groups, scores.shape[1]))
    for j in range(scores.shape[1]):
        sums[:, j] = np.bincount(codes, weights=scores[:, j], minlength=groups)
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


class FewClustersWarning(UserWarning):
    """A clustered (or Driscoll-Kraay) variance rests on fewer than 20 clusters (periods).

    Cluster-robust tests over-reject with few clusters; the wild cluster
    bootstrap (:func:`massincidents.wild_bootstrap`) holds its size much better.

    Examples
    --------
    >>> import warnings
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(n_provinces=12, n_years=8, seed=1)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     fit = mi.linear("y_linear ~ x1 | province", df, vcov={"CRV1": "province"})
    >>> [str(w.message).split(";")[0] for w in caught if w.category is mi.FewClustersWarning]
    ["only 12 clusters of 'province'"]
    """


#: fewer clusters than this get a :class:`FewClustersWarning`
FEW_CLUSTERS = 20


_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])


def _caller_outside_package() -> int:
    """``stacklevel`` of the first frame outside the package (for the caller's ``warn``)."""
    frame: FrameType | None = sys._getframe(1)
    level = 1  # the function that will warn is level 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


def _check_clusters(name: str, count: int, what: str = "clusters") -> None:
    """Refuse one cluster (a variance of exactly zero); warn below :data:`FEW_CLUSTERS`."""
    if count < 2:
        raise DataError(
            [
                Problem(
                    f"a clustered variance needs at least two {what}: the column has "
                    f"{count} level on the rows used (its standard errors would be 0)",
                    column=name,
                )
            ]
        )
    if count < FEW_CLUSTERS:
        warnings.warn(
            f"only {count} {what} of {name!r}; cluster-robust inference over-rejects with "
            f"fewer than {FEW_CLUSTERS}: use mi.wild_bootstrap(fit, term, cluster={name!r})",
            FewClustersWarning,
            stacklevel=_caller_outside_package(),
        )


#: A coefficient whose cluster-robust variance is below this share of its
#: heteroskedasticity-robust one has cluster scores that cancel (rounding error).
CANCELLED_SHARE = 1e-12


def _check_cancelling_scores(
    name: str, groups: int, bread: np.ndarray, meat: np.ndarray, scores: np.ndarray
) -> None:
    """Refuse a cluster variance that is zero for a coefficient because the clusters' scores cancel.

    With two clusters and fixed effects that cross them (two provinces, year
    effects) each cluster's summed score is exactly minus the other's, and the
    one that the normal equations force to sum to zero is then zero itself: the
    variance of every slope is rounding error (standard errors near 1e-17, t near
    1e16). Compared with the heteroskedasticity-robust variance of the same
    coefficient, which has the same scale, so the rule does not depend on units.
    """
    cluster = np.einsum("ij,jk,ki->i", bread, meat, bread)
    rows = np.einsum("ij,jk,ki->i", bread, scores.T @ scores, bread)
    cancelled = (rows > 0) & (cluster <= CANCELLED_SHARE * rows)
    if cancelled.any():
        raise DataError(
            [
                Problem(
                    f"the scores of the {groups} clusters cancel exactly for "
                    f"{int(cancelled.sum())} of the {cancelled.size} coefficients: their "
                    "cluster-robust variance is 0 up to rounding (with two clusters and fixed "
                    "effects that cross them, each cluster's score is minus the other's); "
                    "cluster by a finer column",
                    column=name,
                )
            ]
        )


def effective_k(
    ssc: SmallSample,
    *,
    n_params: int,
    fe: list[np.ndarray] | None = None,
    fe_dof: int = 0,
    cluster_codes: list[np.ndarray] | None = None,
) -> int:
    r"""The :math:`K` of the small-sample factors under a convention.

    ``fixef_k="full"``: :math:`k + d_{FE}` (slopes and identified fixed-effect
    levels); ``"none"``: :math:`k`; ``"nested"``: :math:`k + d_{FE}` less the
    levels of fixed effects nested in a cluster dimension, plus one per such
    fixed effect when ``constant_in_k`` (fixest, reghdfe), at least :math:`k`.

    Examples
    --------
    >>> from massincidents.inference.conventions import PRESETS
    >>> fe = np.repeat(np.arange(10), 10)
    >>> effective_k(PRESETS["R"], n_params=3, fe=[fe], fe_dof=10, cluster_codes=[fe])
    3
    >>> effective_k(PRESETS["fixest"], n_params=3, fe=[fe], fe_dof=10, cluster_codes=[fe])
    4
    """
    if ssc.fixef_k == "none":
        return n_params
    if ssc.fixef_k == "full":
        return n_params + fe_dof
    nested_levels, n_nested = 0, 0
    for f in fe or []:
        if any(is_nested(f, codes) for codes in cluster_codes or []):
            nested_levels += int(f.max()) + 1
            n_nested += 1
    extra = n_nested if ssc.constant_in_k else 0
    return max(n_params + fe_dof - nested_levels + extra, n_params)


def _adjusts_ml(ssc: SmallSample) -> bool:
    """Whether :math:`(N-1)/(N-K)` applies to a likelihood model (fixest, custom)."""
    return ssc.adj and ssc.preset in ("fixest", "custom")


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
    ssc: SmallSample | None = None,
    leave_out: Any = None,
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
        Residual variance :math:`RSS/(N-k-d_{FE})` for least squares ``"iid"``.
    ssc
        The small-sample convention (:func:`~massincidents.inference.conventions.resolve_ssc`);
        ``None`` is ``"R"``, the factors of the table in this module's docstring.
    leave_out
        For ``CV3``/``CV3J``: the model's leave-one-cluster-out estimator (an
        object with ``estimates(codes, labels, column, method)``, see
        :mod:`massincidents.inference.jackknife`); models without one refuse
        CV3.

    Returns
    -------
    vcov, df
        The variance matrix, and the degrees of freedom of the t reference
        distribution (``None`` for the normal: all likelihood models).

    Raises
    ------
    DataError
        When a cluster dimension has one level, or Driscoll-Kraay one period, on
        the rows used (the variance would be zero). Fewer than 20 clusters give
        a :class:`FewClustersWarning`.
    """
    ssc = ssc if ssc is not None else PRESETS["R"]
    n = scores.shape[0]
    fe = fe or []
    columns = columns or {}
    K_full = n_params + fe_dof
    if n - K_full <= 0:
        raise ValueError(f"no residual degrees of freedom: {n} observations, {K_full} parameters")
    if spec.kind == "DK":
        time = np.asarray(columns[spec.time])
        _check_clusters(spec.time, int(np.unique(time).shape[0]), "periods")
        meat, _T = _dk_meat(scores, time, int(spec.lags or 0))
        return bread @ meat @ bread, (float(n - K_full) if family == "ls" else None)
    if spec.kind in {"CV3", "CV3J"}:
        return _jackknife(spec, leave_out, columns, family, n, ssc, n_params, fe, fe_dof)
    if spec.kind in {"iid", "hetero"}:
        return _unclustered(spec.kind, bread, scores, family, n, n_params, fe_dof, sigma2, ssc)

    cluster_codes = []
    for name in spec.clusters:
        levels, codes = np.unique(np.asarray(columns[name]), return_inverse=True)
        _check_clusters(name, int(levels.shape[0]))
        cluster_codes.append(codes)
    if len(cluster_codes) == 2:
        a, b = cluster_codes
        both = np.unique(a * (int(b.max()) + 1) + b, return_inverse=True)[1]
        terms = [(a, 1.0), (b, 1.0), (both, -1.0)]
    else:
        terms = [(cluster_codes[0], 1.0)]
    sizes = [int(codes.max()) + 1 for codes, _sign in terms]
    g_min = min(sizes[: len(cluster_codes)])
    use_min = spec.cluster_df == "min" or ssc.cluster_df == "min"
    total = np.zeros_like(bread)
    for index, ((codes, sign), groups) in enumerate(zip(terms, sizes, strict=True)):
        meat, _ = _cluster_meat(scores, codes)
        if index < len(cluster_codes):
            _check_cancelling_scores(spec.clusters[index], groups, bread, meat, scores)
        c = cluster_factor(
            spec.kind,
            family,
            n=n,
            n_params=n_params,
            groups=g_min if use_min else groups,
            fe=fe,
            fe_dof=fe_dof,
            cluster_codes=cluster_codes,
            ssc=ssc,
        )
        total += sign * c * (bread @ meat @ bread)
    if family != "ls":
        return total, None
    if ssc.t_df == "conventional":
        K = effective_k(ssc, n_params=n_params, fe=fe, fe_dof=fe_dof, cluster_codes=cluster_codes)
        return total, float(n - K)
    return total, float(g_min - 1)


def _jackknife(
    spec: VcovSpec,
    leave_out: Any,
    columns: Mapping[str, np.ndarray],
    family: Family,
    n: int,
    ssc: SmallSample,
    n_params: int,
    fe: list[np.ndarray],
    fe_dof: int,
) -> tuple[np.ndarray, float | None]:
    """CV3/CV3J: :math:`\\frac{G-1}{G}\\sum_g (b_{(g)} - c)(b_{(g)} - c)'`, no other factor."""
    from massincidents.inference.jackknife import jackknife_vcov

    if leave_out is None:
        raise NotImplementedError(
            f"{spec.kind} (the cluster jackknife) is available for mi.linear, mi.poisson and "
            "mi.negbin fits; use CRV1 here"
        )
    name = spec.clusters[0]
    levels, codes = np.unique(np.asarray(columns[name]), return_inverse=True)
    _check_clusters(name, int(levels.shape[0]))
    loo = leave_out.estimates(codes, list(levels), name, spec.jackknife)
    matrix = jackknife_vcov(loo, "estimate" if spec.kind == "CV3" else "mean")
    if family != "ls":
        return matrix, None
    if ssc.t_df == "conventional":
        K = effective_k(ssc, n_params=n_params, fe=fe, fe_dof=fe_dof, cluster_codes=[codes])
        return matrix, float(n - K)
    return matrix, float(levels.shape[0] - 1)


def _unclustered(
    kind: str,
    bread: np.ndarray,
    scores: np.ndarray,
    family: Family,
    n: int,
    n_params: int,
    fe_dof: int,
    sigma2: float | None,
    ssc: SmallSample,
) -> tuple[np.ndarray, float | None]:
    """``"iid"`` and ``"hetero"`` under a convention (no cluster: nothing is nested)."""
    K_full = n_params + fe_dof
    K = effective_k(ssc, n_params=n_params, fe_dof=fe_dof)
    if family == "ls":
        if kind == "iid":
            if sigma2 is None:
                raise ValueError("least-squares iid variance needs sigma2")
            rss = sigma2 * (n - K_full)
            s2 = rss / (n - K) if ssc.adj else rss / (n - 1.0)
            return s2 * bread, float(n - K)
        c = n / (n - K) if ssc.adj else 1.0
        return c * bread @ (scores.T @ scores) @ bread, float(n - K)
    if kind == "iid":
        c = (n - 1.0) / (n - K) if _adjusts_ml(ssc) else 1.0
        return c * bread, None
    if ssc.preset in ("fixest", "custom"):
        c = n / (n - K) if ssc.adj else 1.0
    else:  # R (sandwich on glm: HC0 x n/(n-1)) and Stata (poisson, vce(robust))
        c = n / (n - 1.0)
    return c * bread @ (scores.T @ scores) @ bread, None


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
    ssc: SmallSample | None = None,
) -> float:
    r"""Small-sample factor :math:`c` of a clustered variance term.

    ``CRV0`` is 1. ``CRV1`` is :math:`G/(G-1)` for likelihood models and
    :math:`\frac{G}{G-1}\frac{N-1}{N-K}` for least squares, where :math:`K`
    counts the slopes and the fixed-effect degrees of freedom except those of
    fixed effects nested in a cluster dimension (:func:`effective_k`; under
    ``ssc="R"`` a nested fixed effect counts nothing, under ``"stata"`` and
    ``"fixest"`` one). Under ``"fixest"`` (and custom conventions) likelihood
    models get the :math:`(N-1)/(N-K)` too.

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
    ssc
        The convention; ``None`` is ``"R"``.

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
    ssc = ssc if ssc is not None else PRESETS["R"]
    c = groups / (groups - 1.0) if groups > 1 and ssc.cluster_adj else 1.0
    if ssc.adj and (family == "ls" or _adjusts_ml(ssc)):
        K = effective_k(ssc, n_params=n_params, fe=fe, fe_dof=fe_dof, cluster_codes=cluster_codes)
        c *= (n - 1.0) / (n - K)
    return c


def vcov_columns(spec: VcovSpec, frame: pd.DataFrame, used: np.ndarray) -> dict[str, np.ndarray]:
    """The cluster or time columns a variance choice needs, on the rows used."""
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise DataError(
            [Problem("variance column not found in the data", column=c) for c in missing]
        )
    # Only the columns needed (taking the rows of the whole frame copied all of it).
    rows = frame[list(dict.fromkeys(spec.columns))].iloc[np.flatnonzero(used)]
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
