"""Auxiliary regressions of the IV diagnostics: partialling out, Wald statistics, factors.

Every diagnostic of :mod:`massincidents.iv.diagnostics` and
:mod:`massincidents.iv.anderson_rubin` is a least-squares regression on the variables
partialled out of the fixed effects (and often of the exogenous regressors), tested with
the fit's choice of the variance menu and its small-sample convention.
"""

from __future__ import annotations

import warnings

import numpy as np

from massincidents.core.least_squares import least_squares, solve_symmetric
from massincidents.inference.conventions import SmallSample
from massincidents.inference.vcov import (
    FewClustersWarning,
    VcovSpec,
    cluster_factor,
    compute_vcov,
    effective_k,
)
from massincidents.iv.data import IVData


def wald(
    regressors: np.ndarray,
    response: np.ndarray,
    tested: slice,
    data: IVData,
    spec: VcovSpec,
    convention: SmallSample,
    n_params: int | None = None,
) -> tuple[float, float | None, np.ndarray]:
    """Wald statistic of ``coef[tested] = 0`` in OLS of ``response`` on ``regressors``.

    Under the fit's variance choice and convention, :math:`K` = ``n_params``
    (default the number of regressors) plus the fixed-effect levels. Returns the
    statistic, the degrees of freedom of the variance's t reference, and the
    coefficients.
    """
    solution = least_squares(regressors, response, warn=False)
    n, k = regressors.shape
    k = n_params if n_params is not None else k
    fe, fe_dof = data.fe, data.fe_dof
    rss = float(solution.resid @ solution.resid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        matrix, df = compute_vcov(
            spec,
            bread=solution.bread,
            scores=regressors * solution.resid[:, None],
            family="ls",
            n_params=k,
            fe=fe,
            fe_dof=fe_dof,
            columns=data.sample.for_spec(spec),
            sigma2=rss / (n - k - fe_dof),
            ssc=convention,
        )
    b = solution.beta[tested]
    return quadratic_form(matrix[tested, tested], b), df, solution.beta


def quadratic_form(V: np.ndarray, b: np.ndarray) -> float:
    r""":math:`b'V^{-1}b`, or ``nan`` when ``V`` is not positive definite.

    Two-way clustered variances (:math:`V_a + V_b - V_{a\cap b}`) can fail to be
    positive definite; a Wald statistic from them would be meaningless (even negative).
    """
    V = (V + V.T) / 2
    scale = np.sqrt(np.abs(np.diag(V)))
    if np.any(scale == 0) or np.linalg.eigvalsh(V / np.outer(scale, scale))[0] <= 1e-12:
        return float("nan")
    return float(b @ solve_symmetric(V, b))


def small_sample_factor(
    spec: VcovSpec, convention: SmallSample, data: IVData, n_params: int
) -> float:
    """The factor the fit's variance puts on the raw (HC0/CRV0) sandwich.

    ``"iid"``: :math:`N/(N-K)` (:math:`\\hat\\sigma^2 = RSS/(N-K)` against
    :math:`RSS/N`); ``"hetero"``: :math:`N/(N-K)`; ``CRV1``: :math:`G/(G-1)\\,
    (N-1)/(N-K)` (two-way: the smaller :math:`G`); ``CRV0`` and Driscoll-Kraay: 1.
    """
    n = data.nobs
    fe, fe_dof = data.fe, data.fe_dof
    if spec.kind in {"iid", "hetero"}:
        K = effective_k(convention, n_params=n_params, fe_dof=fe_dof)
        if not convention.adj:
            return n / (n - 1.0) if spec.kind == "iid" else 1.0
        return n / (n - K)
    if spec.kind == "CRV1":
        columns = data.sample.for_spec(spec)
        codes = [np.unique(np.asarray(columns[c]), return_inverse=True)[1] for c in spec.clusters]
        groups = min(int(c.max()) + 1 for c in codes)
        return cluster_factor("CRV1", "ls", n=n, n_params=n_params, groups=groups, fe=fe,
                              fe_dof=fe_dof, cluster_codes=codes, ssc=convention)
    return 1.0
