r"""Leave-one-cluster-out influence and cluster leverage (``mi.influence``), as summclust.

For a fit with :math:`G` clusters, :func:`influence` reports for every cluster
:math:`g`:

- :math:`\hat\beta_{(g)}`, the estimates without cluster :math:`g`, and their
  standard errors (CRV1 by the same cluster variable on the :math:`G-1`
  clusters left, in the fit's ``ssc`` convention; for NB2 the sandwich of
  :math:`\beta` at each refit's :math:`\hat\theta`, as under ``ssc="R"``,
  with the convention's factors);
- the cluster leverage of MacKinnon, Nielsen and Webb (2023, summclust)

  .. math::

      L_g = \operatorname{tr}\big(\tilde X_g'W_g\tilde X_g\,(\tilde X'W\tilde X)^{-1}\big),
      \qquad \sum_g L_g = k,

  on the regressors :math:`\tilde X` partialled out of the absorbed fixed
  effects (summclust's ``absorb``; summclust on the dummy-variable regression
  adds each cluster's share of the dummies' leverage, e.g. 1 for a fixed effect
  that is the cluster); :math:`W = I` for least squares, the IRLS weights at the
  estimate for Poisson and NB2;
- the partial leverage of each term :math:`j`,
  :math:`\check x_{j,g}'W_g\check x_{j,g} / \check x_j'W\check x_j` with
  :math:`\check x_j` the residual of :math:`\tilde x_j` on the other regressors
  (it sums to one over clusters);

and for each term the effective number of clusters of Carter, Schnepel and
Steigerwald (2017), as summclust's ``gstar``: with
:math:`a_j = \tilde X (\tilde X'\tilde X)^{-1} e_j`,

.. math::

    \gamma_g(\rho) = a_{j,g}'\,[(1-\rho) I + \rho\,\iota\iota']\,a_{j,g}, \qquad
    \Gamma = \frac1G\sum_g \Big(\frac{\gamma_g - \bar\gamma}{\bar\gamma}\Big)^2, \qquad
    G^*(\rho) = \frac{G}{1 + \Gamma},

reported for :math:`\rho = 0` and :math:`\rho = 1`. For Poisson and NB2,
:math:`a_{j,i} = w_i^{1/2}\tilde x_i'(\tilde X'W\tilde X)^{-1}e_j` (the
correlation :math:`\rho` is that of the standardised residuals; our
extension, summclust covers least squares only). By Frisch-Waugh-Lovell,
:math:`a_j` is the same with the fixed effects as dummies, so :math:`G^*` and
the partial leverages equal summclust's on a dummy regression.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from massincidents.core.demean import fe_degrees_of_freedom
from massincidents.core.least_squares import inverse_symmetric
from massincidents.inference.jackknife import _run, _subset_fe, cluster_crossproducts
from massincidents.inference.vcov import (
    FewClustersWarning,
    VcovSpec,
    _check_clusters,
    compute_vcov,
)


@dataclass(frozen=True)
class Influence:
    """Leave-one-cluster-out estimates, cluster leverage and effective numbers of clusters.

    Attributes
    ----------
    cluster
        The cluster column.
    terms
        The terms of the fit.
    params, bse
        The full-sample estimates and their standard errors (the fit's variance).
    conf_int
        The full-sample confidence intervals (columns ``lower``, ``upper``).
    leave_out_params, leave_out_bse
        :math:`\\hat\\beta_{(g)}` and its CRV1 standard errors, one row per cluster.
    n_obs
        Observations per cluster.
    leverage
        :math:`L_g`, one value per cluster (NaN when the model gives no design).
    partial_leverage
        One row per cluster, one column per term.
    effective_clusters
        :math:`G^*(0)` and :math:`G^*(1)` by term (rows ``rho=0``, ``rho=1``).
    method
        ``"closed form"`` or ``"refit"``.
    vcov_label
        The variance of ``bse``; ``leave_out_vcov`` that of ``leave_out_bse``.
    leave_out_vcov
        The variance choice of the leave-one-out standard errors.
    level
        Coverage of ``conf_int``.
    """

    cluster: str
    terms: list[str]
    params: pd.Series
    bse: pd.Series
    conf_int: pd.DataFrame
    leave_out_params: pd.DataFrame
    leave_out_bse: pd.DataFrame
    n_obs: pd.Series
    leverage: pd.Series
    partial_leverage: pd.DataFrame
    effective_clusters: pd.DataFrame
    method: str
    vcov_label: str
    leave_out_vcov: str
    level: float = 0.95

    @property
    def n_clusters(self) -> int:
        """:math:`G`."""
        return int(self.n_obs.shape[0])

    def tidy(self) -> pd.DataFrame:
        """One row per cluster and term.

        Columns ``cluster``, ``term``, ``n_obs``, ``estimate`` (without the
        cluster), ``std_error`` (its CRV1 standard error), ``change``
        (:math:`\\hat\\beta_{(g)} - \\hat\\beta`), ``change_in_se`` (the change in
        units of the full-sample standard error), ``leverage``,
        ``partial_leverage``.
        """
        rows = []
        for term in self.terms:
            est = self.leave_out_params[term]
            rows.append(
                pd.DataFrame(
                    {
                        "cluster": self.leave_out_params.index,
                        "term": term,
                        "n_obs": self.n_obs.to_numpy(),
                        "estimate": est.to_numpy(),
                        "std_error": self.leave_out_bse[term].to_numpy(),
                        "change": (est - self.params[term]).to_numpy(),
                        "change_in_se": ((est - self.params[term]) / self.bse[term]).to_numpy(),
                        "leverage": self.leverage.to_numpy(),
                        "partial_leverage": self.partial_leverage[term].to_numpy(),
                    }
                )
            )
        return pd.concat(rows, ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """By term: estimate, its largest moves, and :math:`G^*`."""
        change = self.leave_out_params - self.params
        out = pd.DataFrame(
            {
                "estimate": self.params,
                "std_error": self.bse,
                "min_without": self.leave_out_params.min(),
                "max_without": self.leave_out_params.max(),
                "most_influential": change.abs().idxmax(),
                "G*(0)": self.effective_clusters.loc["rho=0"],
                "G*(1)": self.effective_clusters.loc["rho=1"],
            }
        )
        out.index.name = "term"
        return out

    def plot(self, term: str | None = None, *, ax: Any = None, sort: bool = True) -> Any:
        """The estimate of ``term`` with each cluster left out, against the full-sample one.

        Points (with their leave-one-out confidence intervals, normal
        approximation: estimate plus or minus z times the CRV1 standard error) for each
        cluster; the full-sample estimate as a line and its confidence interval
        as a band. Returns the matplotlib ``Axes``.
        """
        import matplotlib.pyplot as plt
        from scipy import stats

        term = term if term is not None else self.terms[0]
        if term not in self.terms:
            raise KeyError(f"no term {term!r}; the terms are {self.terms}")
        if ax is None:
            _, ax = plt.subplots(figsize=(7, max(3.0, 0.22 * self.n_clusters)))
        est = self.leave_out_params[term]
        se = self.leave_out_bse[term]
        order = est.sort_values().index if sort else est.index
        z = stats.norm.ppf(0.5 + self.level / 2)
        y = np.arange(len(order))
        ax.axvspan(
            self.conf_int.loc[term, "lower"], self.conf_int.loc[term, "upper"],
            color="C0", alpha=0.15, label=f"full sample, {self.level:.0%} CI",
        )
        ax.axvline(self.params[term], color="C0", label="full-sample estimate")
        ax.errorbar(
            est[order], y, xerr=z * se[order], fmt="o", color="C1", ms=3, lw=0.8,
            label=f"without the {self.cluster}",
        )
        ax.set_yticks(y)
        ax.set_yticklabels([str(v) for v in order], fontsize=7)
        ax.set_xlabel(f"coefficient of {term}")
        ax.set_ylabel(f"{self.cluster} left out")
        ax.legend(loc="best", fontsize=7)
        return ax


def _provider(result: Any) -> tuple[Any, Any]:
    revcov = getattr(result, "_revcov", None)
    leave_out = getattr(revcov, "leave_out", None)
    return revcov, leave_out


def _gamma_stats(a: np.ndarray, codes: np.ndarray, G: int) -> tuple[float, float]:
    """:math:`G^*(0)`, :math:`G^*(1)` from the influence vector ``a`` of one term."""
    g0 = np.bincount(codes, weights=a**2, minlength=G)
    g1 = np.bincount(codes, weights=a, minlength=G) ** 2
    out = []
    for gamma in (g0, g1):
        mean = gamma.mean()
        big_gamma = float(np.mean(((gamma - mean) / mean) ** 2)) if mean > 0 else np.nan
        out.append(G / (1.0 + big_gamma))
    return out[0], out[1]


def _leverages(
    X: np.ndarray, w: np.ndarray | None, codes: np.ndarray, G: int, names: list[str]
) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Leverage, partial leverage and :math:`G^*` from the partialled regressors."""
    ww = np.ones(X.shape[0]) if w is None else w
    A = (X * ww[:, None]).T @ X
    B = inverse_symmetric(A)
    C = cluster_crossproducts(X, codes, G, w)
    leverage = np.einsum("gij,ji->g", C, B)
    influence_rows = (X @ B) * np.sqrt(ww)[:, None]  # row i: w_i^(1/2) x_i' B
    partial = {}
    gstar = {}
    for j, name in enumerate(names):
        # x-check_j = residual of x_j on the others; x-check_j / (x-check' W x-check)
        # = column j of X B (FWL), so partial leverage is a weighted sum of squares
        a = X @ B[:, j]
        partial[name] = np.bincount(codes, weights=ww * a**2, minlength=G) / (a @ (ww * a))
        gstar[name] = _gamma_stats(influence_rows[:, j], codes, G)
    effective = pd.DataFrame(gstar, index=["rho=0", "rho=1"])
    return leverage, pd.DataFrame(partial), effective


def influence(
    result: Any,
    cluster: str,
    *,
    refit: Callable[[pd.DataFrame], Any] | None = None,
    n_jobs: int = 1,
    level: float = 0.95,
) -> Influence:
    r"""Leave-one-cluster-out estimates, cluster leverage and :math:`G^*` of a fit.

    Parameters
    ----------
    result
        A fit of :func:`~massincidents.linear` (leave-one-out estimates in
        closed form, or re-partialled when a fixed effect is not nested in the
        clusters), :func:`~massincidents.poisson` or :func:`~massincidents.negbin`
        (refits, warm-started at the estimate); or any other fit with ``refit``.
    cluster
        The cluster column (of the data the fit read; missing values refused).
    refit
        For other models: a function fitting the same model to a data frame,
        e.g. ``lambda d: mi.zero_inflated("y ~ x", d, inflate="~ z")``; it is
        called on the fit's estimation sample without each cluster, and the
        leave-one-out standard errors are its own. Leverage and :math:`G^*` are
        then NaN (no design is known).
    n_jobs
        Refits in parallel with joblib (``-1``: every core); the order of the
        clusters, and every number, do not depend on it.
    level
        Coverage of the full-sample confidence interval (for :meth:`Influence.plot`).

    Returns
    -------
    Influence
        With :meth:`~Influence.tidy` (one row per cluster and term),
        :meth:`~Influence.summary` and :meth:`~Influence.plot`; it pickles.

    Raises
    ------
    DataError
        One cluster.

    Warns
    -----
    SingularJackknifeWarning
        A cluster holds all the variation of a term: that term's estimate and
        standard error without it are NaN (the other terms are exact).

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> fit = mi.linear("y_linear ~ x1 + x2 | province + year", df)
    >>> infl = mi.influence(fit, "province")
    >>> infl.n_clusters, round(float(infl.leverage.sum()), 10)  # leverages sum to k
    (31, 2.0)
    >>> table = infl.tidy()
    >>> list(table.columns[:5]), len(table)
    (['cluster', 'term', 'n_obs', 'estimate', 'std_error'], 62)
    >>> bool(infl.effective_clusters.loc["rho=0", "x1"] <= 31)
    True
    """
    revcov, leave_out = _provider(result)
    names = list(result.params.index)
    if leave_out is None and refit is None:
        raise NotImplementedError(
            f"{result.model}: mi.influence refits mi.linear, mi.poisson and mi.negbin fits "
            "itself; for other models pass refit=(data -> fit)"
        )
    sample = revcov.sample if revcov is not None else None
    if sample is None:
        raise NotImplementedError(
            f"{result.model} keeps no estimation sample to leave clusters out of"
        )
    values = sample(cluster)
    levels, codes = np.unique(values, return_inverse=True)
    G = int(levels.shape[0])
    _check_clusters(cluster, G)
    labels = list(levels)
    full_ci = result.conf_int(level)
    if leave_out is not None:
        loo_params, loo_bse, label, method = _with_provider(
            revcov, leave_out, codes, labels, cluster, names, n_jobs
        )
        X, w = leave_out.partialled()
        leverage, partial, effective = _leverages(X, w, codes, G, names)
    else:
        loo_params, loo_bse, label = _with_refit(refit, sample.rows, values, labels, names, n_jobs)
        method = "refit"
        leverage = np.full(G, np.nan)
        partial = pd.DataFrame(np.nan, index=range(G), columns=names)
        effective = pd.DataFrame(np.nan, index=["rho=0", "rho=1"], columns=names)
    index = pd.Index(labels, name=cluster)
    partial.index = index
    return Influence(
        cluster=cluster,
        terms=names,
        params=result.params.copy(),
        bse=result.bse.copy(),
        conf_int=full_ci,
        leave_out_params=pd.DataFrame(loo_params, index=index, columns=names),
        leave_out_bse=pd.DataFrame(loo_bse, index=index, columns=names),
        n_obs=pd.Series(np.bincount(codes, minlength=G), index=index, name="n_obs"),
        leverage=pd.Series(leverage, index=index, name="leverage"),
        partial_leverage=partial,
        effective_clusters=effective,
        method=method,
        vcov_label=result.vcov_label,
        leave_out_vcov=label,
        level=level,
    )


def _with_provider(revcov, leave_out, codes, labels, cluster, names, n_jobs):
    """Leave-one-out estimates and CRV1 standard errors from a model's own jackknife."""
    k = len(names)
    family = "ls" if hasattr(revcov, "fit_ssc") else "ml"
    convention = revcov.fit_ssc if family == "ls" else revcov.convention
    fits = leave_out.refits(codes, labels, cluster, n_jobs=n_jobs)
    spec = VcovSpec("CRV1", clusters=(cluster,))
    params = np.empty((len(labels), k))
    bse = np.empty((len(labels), k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)  # G - 1 clusters, said once below
        for g, fit in enumerate(fits):
            fe = _subset_fe(leave_out.fe, fit.rows)
            matrix, _ = compute_vcov(
                spec,
                bread=fit.bread,
                scores=fit.scores,
                family=family,
                n_params=k - int(np.isnan(fit.params[:k]).sum()),  # identified terms
                fe=fe,
                fe_dof=fe_degrees_of_freedom(fe),
                columns={cluster: codes[fit.rows]},
                ssc=convention,
            )
            params[g] = fit.params[:k]
            bse[g] = np.where(np.isnan(params[g]), np.nan, np.sqrt(np.abs(np.diag(matrix))))
    from massincidents.inference.conventions import convention_label

    method = "closed form" if family == "ls" and not _needs_refit(leave_out, codes) else "refit"
    return params, bse, convention_label(f"CRV1 by {cluster}", convention), method


def _needs_refit(leave_out, codes) -> bool:
    from massincidents.inference.jackknife import _all_nested

    return not _all_nested(leave_out.fe, codes)


def _with_refit(refit, rows: pd.DataFrame, values, labels, names, n_jobs):
    """Leave-one-out fits by the caller's ``refit`` on the estimation sample."""
    values = np.asarray(values)
    tasks = [rows.loc[values != g] for g in labels]

    def one(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, str]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewClustersWarning)
            fit = refit(data)
        return (
            fit.params.reindex(names).to_numpy(),
            fit.bse.reindex(names).to_numpy(),
            fit.vcov_label,
        )

    out = _run(tasks, one, n_jobs)
    params = np.vstack([o[0] for o in out])
    bse = np.vstack([o[1] for o in out])
    return params, bse, out[0][2]


__all__ = ["Influence", "influence"]
