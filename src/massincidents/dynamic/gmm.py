r"""The linear GMM estimator of dynamic panels and its tests, on stacked entity blocks.

Each entity :math:`i` contributes a block: outcome :math:`y_i` (``R`` rows),
regressors :math:`X_i` (``R x K``), instruments :math:`W_i` (``R x L``); rows
not used are zero. With :math:`H` the one-step weight (plm's ``A1``),

.. math::

    A_1 = N \Big(\sum_i W_i' H W_i\Big)^{-1}, \qquad
    \hat\beta_1 = (X'W A_1 W'X)^{-1} X'W A_1 W'y,

    A_2 = \Big(\sum_i W_i'\hat e_{1i}\hat e_{1i}'W_i\Big)^{-1}, \qquad
    \hat\beta_2 = (X'W A_2 W'X)^{-1} X'W A_2 W'y,

with :math:`X'W = \sum_i X_i'W_i`. Robust variances: one-step
:math:`B_1 X'W A_1 A_2^{-1} A_1 W'X B_1` with :math:`B_1 = (X'WA_1W'X)^{-1}`;
two-step with the finite-sample correction of Windmeijer (2005), as plm's
``vcovHC.pgmm``. Every matrix is inverted after scaling it to a unit
diagonal (the units of an instrument or regressor do not matter). A singular
one (smallest eigenvalue of the scaled matrix below 1e-9) is given, with a
:class:`SingularWeightingWarning`, plm's generalised inverse: ``MASS::ginv``,
the Moore-Penrose inverse of the unscaled matrix with singular values below
:math:`\sqrt{\epsilon}` times the largest treated as zero. When the singularity
is exact and the moments lie in the range of the matrix (an instrument column
that is zero or a combination of others), every generalised inverse gives the
same estimates. When it comes from more instruments than groups (the two-step
matrix :math:`\sum_i W_i'\hat e_{1i}\hat e_{1i}'W_i` has rank at most
:math:`N`), they do not: the two-step estimates are then plm's, and, as plm's,
they change with the units of an instrument.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from massincidents.core.least_squares import inverse_symmetric
from massincidents.errors import DataError, Problem

EIGEN_TOL = 1e-9


class SingularWeightingWarning(UserWarning):
    """A GMM weighting matrix is singular; a generalised inverse is used."""


class TooManyInstrumentsWarning(UserWarning):
    """More instruments than groups: the Hansen test is weak and two-step SEs are biased."""


def ginv(matrix: np.ndarray) -> np.ndarray:
    r"""Moore-Penrose inverse as R's ``MASS::ginv`` (the one plm's ``pgmm`` uses).

    From the singular value decomposition :math:`A = U\,\mathrm{diag}(d)\,V'`,
    :math:`A^{+} = V\,\mathrm{diag}(1/d_j)\,U'` over the :math:`d_j` above
    :math:`\sqrt{\epsilon}\,d_1` (``tol = sqrt(.Machine$double.eps)``); the
    others are treated as zero.
    """
    u, d, vt = np.linalg.svd(matrix)
    if not d.size or d[0] <= 0:
        return np.zeros(matrix.shape[::-1])
    keep = d > np.sqrt(np.finfo(float).eps) * d[0]
    return (vt[keep].T / d[keep]) @ u[:, keep].T


def safe_inverse(matrix: np.ndarray, what: str) -> tuple[np.ndarray, bool]:
    r"""Inverse, or plm's generalised inverse (with a warning) when singular.

    The singularity is decided on the matrix scaled to a unit diagonal,
    :math:`A = D\tilde A D` (smallest eigenvalue of :math:`\tilde A` below
    1e-9), so the decision does not depend on the units of an instrument. A
    regular matrix is inverted on that scale. A singular one gets
    :func:`ginv` of the unscaled matrix, plm's ``MASS::ginv(A)``: a generalised
    inverse is not unique, and plm's is the convention whose numbers others can
    reproduce. (plm decides singularity on the unscaled matrix, with an
    absolute 1e-9; the two decisions differ only for instruments in extreme
    units.)
    """
    sym = (matrix + matrix.T) / 2
    if not sym.size:
        return sym, False
    diag = np.sqrt(np.abs(np.diag(sym)))
    diag = np.where(np.isfinite(diag) & (diag > 0), diag, 1.0)
    scaled = sym / np.outer(diag, diag)
    smallest = float(np.linalg.eigvalsh(scaled)[0])
    if smallest < EIGEN_TOL:
        warnings.warn(
            f"the {what} is singular (smallest eigenvalue {smallest:.3g} after scaling to a "
            "unit diagonal); plm's generalised inverse (MASS::ginv) is used. Usually too "
            "many instruments for the number of groups (then the estimates depend on the "
            "generalised inverse chosen, and on the units of the instruments, as plm's do), "
            "or an instrument that is zero or collinear: consider collapse=True or fewer lags.",
            SingularWeightingWarning,
            stacklevel=4,
        )
        return ginv(sym), True
    return inverse_symmetric(sym), False


def _bread(wx: np.ndarray, a: np.ndarray, what: str) -> np.ndarray:
    """:math:`(X'WAW'X)^{-1}`, equilibrated; DataError when the regressors are not identified."""
    try:
        return inverse_symmetric(wx.T @ a @ wx)
    except np.linalg.LinAlgError as err:
        raise DataError(
            [Problem(f"the regressors are not identified by the {what} (X'ZAZ'X is singular)")]
        ) from err


@dataclass
class GMMFit:
    """Estimates and everything the variance and the tests need."""

    params: np.ndarray
    vcov: np.ndarray
    plain_vcov: np.ndarray  # plm's vcov(m): B1 (one-step) or B2 (two-step)
    residuals: np.ndarray  # (N, R)
    residuals1: np.ndarray
    a_used: np.ndarray  # A1 (one-step) or A2 (two-step), for the AR tests
    a2: np.ndarray
    a1_inner: np.ndarray  # sum_i W_i' H W_i
    sigma2: float
    sargan: float
    hansen: float
    hansen_two_step: float  # Hansen J of the two-step estimate (xtabond2's, whatever the step)
    n_instruments: int
    singular: list[str]


def fit_gmm(
    y: np.ndarray,
    X: np.ndarray,
    W: np.ndarray,
    H: np.ndarray,
    used: np.ndarray,
    *,
    steps: int,
    robust: bool,
    sigma2_df: int = 0,
) -> GMMFit:
    r"""One- or two-step GMM on blocks ``y (N, R)``, ``X (N, R, K)``, ``W (N, R, L)``.

    ``sigma2_df``: the :math:`K` subtracted from the rows used in the one-step
    :math:`\hat\sigma^2` (0: plm; the number of coefficients: Stata ``xtabond``).
    """
    n = y.shape[0]
    singular: list[str] = []
    n_, r_, l_ = W.shape
    hw = np.matmul(H, W)  # H W_i for every i
    inner1 = W.reshape(n_ * r_, l_).T @ hw.reshape(n_ * r_, l_)
    a1, sing = safe_inverse(inner1, "one-step weighting matrix (sum of W'HW)")
    if sing:
        singular.append("one-step")
    a1 = a1 * n
    flat_w = W.reshape(n_ * r_, l_)
    wx = flat_w.T @ X.reshape(n_ * r_, -1)
    wy = flat_w.T @ y.reshape(-1)
    b1 = _bread(wx, a1, "instruments")
    beta1 = b1 @ (wx.T @ a1 @ wy)
    e1 = y - np.einsum("nrk,k->nr", X, beta1)
    g1 = np.einsum("nrl,nr->nl", W, e1)
    inner2 = g1.T @ g1
    a2, sing = safe_inverse(inner2, "two-step weighting matrix (sum of W'ee'W)")
    if sing:
        singular.append("two-step")
    trace = float((np.diag(H)[None, :] * used).sum())
    rows = float(used.sum())
    sigma2 = float((e1**2).sum() / (trace * (rows - sigma2_df) / rows))
    vcov1_robust = b1 @ (wx.T @ a1 @ inner2 @ a1 @ wx) @ b1
    try:
        b2 = _bread(wx, a2, "two-step instruments")
    except DataError:
        if steps == 2:
            raise
        b2 = np.full_like(b1, np.nan)
    beta2 = b2 @ (wx.T @ a2 @ wy)
    e2 = y - np.einsum("nrk,k->nr", X, beta2)
    z2 = np.einsum("nrl,nr->l", W, e2)
    hansen_two_step = float(z2 @ a2 @ z2)
    if steps == 1:
        beta, e, plain, a_used = beta1, e1, b1, a1
        vcov = vcov1_robust if robust else sigma2 * n * b1
    else:
        beta, e, plain, a_used = beta2, e2, b2, a2
        vcov = windmeijer(W, X, e1, e, wx, a2, b2, vcov1_robust) if robust else b2
    z1 = g1.sum(axis=0)
    inner1_inv = a1 / n
    sargan = float(z1 @ inner1_inv @ z1) / sigma2
    z = np.einsum("nrl,nr->l", W, e)
    hansen = float(z @ a2 @ z)
    return GMMFit(
        params=beta,
        vcov=(vcov + vcov.T) / 2,
        plain_vcov=plain,
        residuals=e,
        residuals1=e1,
        a_used=a_used,
        a2=a2,
        a1_inner=inner1,
        sigma2=sigma2,
        sargan=sargan,
        hansen=hansen,
        hansen_two_step=hansen_two_step,
        n_instruments=W.shape[2],
        singular=singular,
    )


def windmeijer(
    W: np.ndarray,
    X: np.ndarray,
    e1: np.ndarray,
    e2: np.ndarray,
    wx: np.ndarray,
    a2: np.ndarray,
    b2: np.ndarray,
    vcov1_robust: np.ndarray,
) -> np.ndarray:
    r"""Windmeijer's (2005) corrected variance of the two-step estimator.

    :math:`V_c = B_2 + D B_2 + B_2 D' + D V_1 D'`, column ``k`` of ``D`` the
    derivative of :math:`\hat\beta_2` with respect to the one-step estimate
    through the weighting matrix (plm ``vcovHC.pgmm``).
    """
    a = np.einsum("nrl,nrk->nlk", W, X)  # W_i' x_ik
    b = np.einsum("nrl,nr->nl", W, e1)  # W_i' e1_i
    c = a2 @ np.einsum("nrl,nr->l", W, e2)  # A2 W'e2
    u = b @ c
    v = np.einsum("nlk,l->nk", a, c)
    inner = np.einsum("nlk,n->lk", a, u) + b.T @ v  # (S_k + S_k') c, by column k
    d = b2 @ wx.T @ a2 @ inner
    return b2 + d @ b2 + b2 @ d.T + d @ vcov1_robust @ d.T


def ar_test(
    fit: GMMFit,
    X: np.ndarray,
    W: np.ndarray,
    diff_rows: int,
    order: int,
    *,
    level_residuals: bool = False,
) -> tuple[float, float]:
    r"""Arellano-Bond test of no autocorrelation of order ``order`` in the differenced errors.

    As plm's ``mtest``: :math:`m = \sum_i \hat e_i'\hat e_{i,-j} / \sqrt{\hat v}`,
    standard normal under the null, with the variance under the model's
    variance choice (the same as the coefficients'). In system GMM the term
    :math:`\sum_i Z_i'\hat e_i(\hat e_i'\hat e_{i,-j})` of the variance uses the
    differenced residuals only (plm) or, with ``level_residuals``, the whole
    stacked residual vector, differenced and level rows (``xtabond2``); in
    difference GMM the two are the same.
    """
    if order >= diff_rows:
        return float("nan"), float("nan")
    n, rows = fit.residuals.shape
    resid = np.zeros((n, rows))
    resid[:, :diff_rows] = fit.residuals[:, :diff_rows]
    lagged = np.zeros((n, rows))
    lagged[:, order:diff_rows] = fit.residuals[:, : diff_rows - order]
    prod = (resid * lagged).sum(axis=1)  # e_i' e_{i,-j}
    eve = float(prod @ prod)
    ex = np.einsum("nr,nrk->k", lagged, X)
    xz = np.einsum("nrl,nrk->lk", W, X)
    stacked = fit.residuals if level_residuals else resid
    zve = np.einsum("nrl,nr,n->l", W, stacked, prod)
    denom = eve - 2 * ex @ fit.plain_vcov @ xz.T @ fit.a_used @ zve + ex @ fit.vcov @ ex
    if not denom > 0:  # a negative variance (singular two-step weight): no test
        return float("nan"), float("nan")
    stat = float(prod.sum() / np.sqrt(denom))
    return stat, float(2 * stats.norm.sf(abs(stat)))
