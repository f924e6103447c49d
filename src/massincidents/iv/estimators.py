r"""The three IV estimators on data already partialled out of the fixed effects.

With :math:`X = [X_1, X_2]` (exogenous, endogenous regressors),
:math:`Z = [X_1, Z_2]` (exogenous regressors and excluded instruments),
:math:`P_Z` the projection on :math:`Z` and :math:`M_Z = I - P_Z`:

- two-stage least squares, :math:`\hat\beta = (X'P_ZX)^{-1}X'P_Zy`: least
  squares of :math:`y` on :math:`\hat X = P_ZX` (the first-stage fits);
- LIML, the k-class estimator
  :math:`\hat\beta = (X'(I-\kappa M_Z)X)^{-1}X'(I-\kappa M_Z)y` with
  :math:`\kappa` the smallest root of
  :math:`\det(W'M_{X_1}W - \kappa\, W'M_ZW) = 0`, :math:`W = [y, X_2]`;
- two-step efficient GMM,
  :math:`\hat\beta = (X'Z\hat S^{-1}Z'X)^{-1}X'Z\hat S^{-1}Z'y`, with
  :math:`\hat S` the variance of the moments :math:`z_iu_i` at the 2SLS
  residuals under the chosen variance (heteroskedasticity-robust, clustered,
  Driscoll-Kraay), as Stata ``ivreg2, gmm2s`` and linearmodels' ``IVGMM``.

Each estimator is written as :math:`\hat\beta = (A'X)^{-1}A'y` for a matrix of
*instruments* :math:`A` (:math:`\hat X`, :math:`(I-\kappa M_Z)X`,
:math:`Z\hat S^{-1}Z'X`), so that the variance menu applies to every one of
them with the bread :math:`(A'X)^{-1}` and the scores :math:`a_iu_i`, except
that LIML's scores are :math:`\hat x_iu_i` (:math:`\hat X = P_ZX`), as Stata's
``ivregress liml`` and linearmodels' ``IVLIML`` compute its robust variances
(asymptotically the same; checked against both).

Every solve goes through the least-squares kernel
(:mod:`massincidents.core.least_squares`): the first stage and 2SLS are
least-squares fits, GMM is least squares on the :math:`L` transformed moment
equations :math:`R^{-\top}Z'y = R^{-\top}Z'X\beta` (:math:`\hat S = R'R`), and
LIML's normal equations are solved by :func:`solve_symmetric`. Columns are
scaled to a common size before every factorisation, so rescaling a column of
the data rescales its coefficient and nothing else.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from massincidents.core.least_squares import (
    column_scale,
    inverse_symmetric,
    least_squares,
    solve_symmetric,
)
from massincidents.errors import DataError, Problem
from massincidents.inference.vcov import (
    FewClustersWarning,
    VcovSpec,
    _check_clusters,
    _cluster_meat,
    _dk_meat,
)


@dataclass(frozen=True)
class IVFit:
    """An IV estimate on partialled data.

    Attributes
    ----------
    beta
        Coefficients, exogenous then endogenous.
    bread
        :math:`(A'X)^{-1}`.
    instruments
        Shape (n, k): the scores are ``instruments * resid`` (:math:`A`; for
        LIML :math:`P_ZX`).
    resid
        Structural residuals :math:`y - X\\hat\\beta` (partialled data).
    kappa
        The k-class :math:`\\kappa` (1 for 2SLS, LIML's root; ``nan`` for GMM).
    condition_number
        Of the scaled system solved last.
    iid_bread
        The matrix :math:`\\hat\\sigma^2` multiplies for the ``"iid"`` variance:
        the bread for 2SLS and LIML, :math:`B A'A B` for GMM.
    """

    beta: np.ndarray
    bread: np.ndarray
    instruments: np.ndarray
    resid: np.ndarray
    kappa: float
    condition_number: float
    iid_bread: np.ndarray


def first_stage_fitted(Z: np.ndarray, X2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-stage fits :math:`P_ZX_2` and residuals :math:`M_ZX_2` (least squares)."""
    fit = least_squares(Z, X2, warn=False)
    resid = fit.resid.reshape(X2.shape)
    return X2 - resid, resid


def liml_kappa(y: np.ndarray, X1: np.ndarray, X2: np.ndarray, Z: np.ndarray) -> float:
    r"""LIML's :math:`\kappa`: the smallest root of :math:`\det(W'M_{X_1}W - \kappa W'M_ZW) = 0`.

    :math:`W = [y, X_2]`; its columns are scaled first (:math:`\kappa` does not
    depend on their units).
    """
    W = np.column_stack([y, X2])
    W = W / column_scale(W)
    resid_z = least_squares(Z, W, warn=False).resid
    resid_1 = least_squares(X1, W, warn=False).resid if X1.shape[1] else W
    a = resid_1.T @ resid_1
    b = resid_z.T @ resid_z
    return float(scipy.linalg.eigh(a, b, eigvals_only=True)[0])


def two_sls(
    y: np.ndarray, X1: np.ndarray, X2: np.ndarray, Z: np.ndarray, v: np.ndarray | None = None
) -> IVFit:
    """Two-stage least squares: least squares of ``y`` on the first-stage fits.

    ``v``: the first-stage residuals :math:`M_ZX_2` when already computed.
    """
    fitted = first_stage_fitted(Z, X2)[0] if v is None else X2 - v
    X_hat = np.column_stack([X1, fitted])
    solution = least_squares(X_hat, y)
    resid = y - np.column_stack([X1, X2]) @ solution.beta
    return IVFit(solution.beta, solution.bread, X_hat, resid, 1.0,
                 solution.condition_number, solution.bread)


def k_class(
    y: np.ndarray,
    X1: np.ndarray,
    X2: np.ndarray,
    Z: np.ndarray,
    kappa: float,
    v: np.ndarray | None = None,
) -> IVFit:
    r"""The k-class estimator :math:`(X'(I-\kappa M_Z)X)^{-1}X'(I-\kappa M_Z)y`.

    ``v``: the first-stage residuals :math:`M_ZX_2` when already computed.
    """
    X = np.column_stack([X1, X2])
    if v is None:
        v = first_stage_fitted(Z, X2)[1]  # M_Z X_2; M_Z X_1 = 0
    A = np.column_stack([X1, X2 - kappa * v])
    X_hat = np.column_stack([X1, X2 - v])  # P_Z X: the scores of the sandwich
    gram = A.T @ X
    gram = (gram + gram.T) / 2
    beta = solve_symmetric(gram, A.T @ y)
    bread = inverse_symmetric(gram)
    scale = np.sqrt(np.abs(np.diag(gram)))
    scaled = gram / np.outer(scale, scale)
    singular = np.linalg.svd(scaled, compute_uv=False)
    condition = float(np.sqrt(singular[0] / singular[-1]))
    return IVFit(beta, bread, X_hat, y - X @ beta, kappa, condition, bread)


def moment_meat(
    spec: VcovSpec, moments: np.ndarray, columns: dict[str, np.ndarray]
) -> np.ndarray:
    r"""The variance of the moment sums :math:`\sum_i z_iu_i` under a variance choice.

    Unscaled (no small-sample factor: the GMM estimate and the J statistic do
    not depend on it): :math:`\sum_i z_iz_i'u_i^2` (``"hetero"``),
    :math:`\sum_g S_gS_g'` by cluster (two-way: the three one-way terms of
    Cameron, Gelbach and Miller), Driscoll-Kraay's Bartlett sum by period.
    ``"iid"`` is :math:`\hat\sigma^2 Z'Z` with :math:`\hat\sigma^2 = u'u/n`,
    which makes GMM two-stage least squares and J Sargan's statistic; the
    caller passes it as ``moments`` with ``spec.kind == "iid"``.
    """
    if spec.kind == "hetero":
        return moments.T @ moments
    if spec.kind == "DK":
        return _dk_meat(moments, np.asarray(columns[spec.time]), int(spec.lags or 0))[0]
    if spec.kind in {"CRV1", "CRV0"}:
        codes = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewClustersWarning)
            for name in spec.clusters:
                levels, code = np.unique(np.asarray(columns[name]), return_inverse=True)
                _check_clusters(name, int(levels.shape[0]))
                codes.append(code)
        if len(codes) == 1:
            return _cluster_meat(moments, codes[0])[0]
        a, b = codes
        both = a * (int(b.max()) + 1) + b
        return (_cluster_meat(moments, a)[0] + _cluster_meat(moments, b)[0]
                - _cluster_meat(moments, both)[0])
    raise ValueError(f"no moment variance for {spec.kind!r}")


def _root_of(meat: np.ndarray, what: str) -> np.ndarray:
    """Upper Cholesky factor :math:`R` of a (scaled) moment variance, :math:`S = R'R`."""
    try:
        return scipy.linalg.cholesky((meat + meat.T) / 2, lower=False)
    except np.linalg.LinAlgError:
        raise DataError(
            [
                Problem(
                    f"the variance of the moments ({what}) is not positive definite: "
                    "the efficient GMM weight matrix does not exist (more instruments than "
                    "clusters, or two-way clustering that is not positive definite)"
                )
            ]
        ) from None


def gmm_step(
    y: np.ndarray, X: np.ndarray, Z: np.ndarray, meat: np.ndarray, what: str = ""
) -> tuple[IVFit, float]:
    r"""GMM with weight :math:`S^{-1}` (``meat`` is :math:`S`, on ``Z`` as given).

    Least squares of :math:`R^{-\top}Z'y` on :math:`R^{-\top}Z'X`, :math:`S = R'R`.
    Returns the fit and the minimised criterion
    :math:`J = (Z'u)'S^{-1}(Z'u)`, Hansen's statistic when :math:`S` is the
    variance of :math:`Z'u` at a consistent first step.
    """
    scale = np.sqrt(np.abs(np.diag(meat)))
    scale = np.where(scale > 0, scale, 1.0)
    R = _root_of(meat / np.outer(scale, scale), what)
    Zs = Z / scale

    def transformed(v: np.ndarray) -> np.ndarray:
        return scipy.linalg.solve_triangular(R, Zs.T @ v, trans="T", lower=False)

    X_star, y_star = transformed(X), transformed(y)
    solution = least_squares(X_star, y_star)
    A = scipy.linalg.solve_triangular(R, Zs.T, trans="T", lower=False).T @ X_star
    bread = solution.bread
    iid_bread = bread @ (A.T @ A) @ bread
    fit = IVFit(solution.beta, bread, A, y - X @ solution.beta, float("nan"),
                solution.condition_number, iid_bread)
    return fit, float(solution.resid @ solution.resid)


def efficient_gmm(
    y: np.ndarray,
    X1: np.ndarray,
    X2: np.ndarray,
    Z: np.ndarray,
    spec: VcovSpec,
    columns: dict[str, np.ndarray],
    first_step: IVFit | None = None,
) -> tuple[IVFit, float]:
    """Two-step efficient GMM: the weight from the 2SLS residuals under ``spec``.

    Returns the GMM fit and Hansen's J (Sargan's statistic under ``"iid"``).
    """
    first_step = first_step if first_step is not None else two_sls(y, X1, X2, Z)
    u = first_step.resid
    Zs = Z / column_scale(Z)
    if spec.kind == "iid":
        meat = (u @ u / u.shape[0]) * (Zs.T @ Zs)
    else:
        meat = moment_meat(spec, Zs * u[:, None], columns)
    return gmm_step(y, np.column_stack([X1, X2]), Zs, meat, spec.label)
