r"""The least-squares kernel: every estimator that solves normal equations calls it.

Weighted least squares

.. math::

    \hat\beta = \arg\min_\beta \sum_i w_i (y_i - x_i'\beta)^2
    = (X'WX)^{-1} X'Wy

is solved on the *equilibrated* problem. Each column :math:`x_j` is divided by
its (weighted) root mean square :math:`s_j`, the scaled problem
:math:`\tilde X = X S^{-1}` is solved, and :math:`\hat\beta = S^{-1}\tilde\beta`,
:math:`(X'WX)^{-1} = S^{-1}(\tilde X'W\tilde X)^{-1}S^{-1}`. Rescaling a column
of :math:`X` by :math:`10^k` therefore changes the scaled problem only by
rounding (a relative :math:`10^{-16}`), and its coefficient and standard error
by :math:`10^{-k}`: the estimates, and the condition number, do not depend on
the units of the data.

The scaled problem is solved by Cholesky on :math:`\tilde X'W\tilde X` when its
condition number is modest, else by Householder QR with column pivoting on
:math:`W^{1/2}\tilde X` (which loses half as many digits). The rank decision is
made on the scaled columns, and :math:`\kappa(W^{1/2}\tilde X)`, the condition
number of the scaled design, is returned; above :data:`ILL_CONDITIONED` (about
half the digits of a double lost) an :class:`IllConditionedWarning` says so.

Symmetric systems (Hessians of likelihood models, variance matrices in test
statistics) are solved and inverted the same way: :func:`solve_symmetric` and
:func:`inverse_symmetric` scale rows and columns by the square roots of the
diagonal, so that the scaled matrix has a unit diagonal, before factorising.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg

ILL_CONDITIONED = 1e8
"""Condition number of the scaled design above which a warning is given."""

_CHOLESKY_LIMIT = 1e10  # condition of the scaled cross-product; above it, pivoted QR


class IllConditionedWarning(UserWarning):
    """The scaled design (or Hessian) is nearly singular: some digits are lost.

    Rescaling columns cannot cause it (the kernel scales them first); two nearly
    collinear regressors can.

    Examples
    --------
    >>> import warnings
    >>> x = np.linspace(0, 1, 20)
    >>> X = np.column_stack([np.ones(20), x, x + 1e-9 * np.cos(40 * x)])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = least_squares(X, x)
    >>> caught[0].category.__name__
    'IllConditionedWarning'
    """


class RankDeficientError(ValueError):
    """The design is rank deficient after scaling (a collinear column was not dropped)."""


@dataclass(frozen=True)
class LeastSquares:
    """Solution of a (weighted) least-squares problem.

    Attributes
    ----------
    beta
        Coefficients, in the units of the columns given.
    bread
        :math:`(X'WX)^{-1}`, in the same units.
    resid
        :math:`y - X\\hat\\beta` (unweighted).
    condition_number
        :math:`\\kappa(W^{1/2} X S^{-1})`, the 2-norm condition number of the
        equilibrated design; it does not change when a column is rescaled.
    """

    beta: np.ndarray
    bread: np.ndarray
    resid: np.ndarray
    condition_number: float


def column_scale(X: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The (weighted) root mean square of each column; 1 for a zero column.

    Examples
    --------
    >>> column_scale(np.array([[3.0, 1e9], [4.0, -1e9], [0.0, 0.0]])).round(4).tolist()
    [2.8868, 816496580.9277]
    """
    X = np.asarray(X, dtype=float)
    squares = X**2 if weights is None else X**2 * np.asarray(weights, dtype=float)[:, None]
    rms = np.sqrt(squares.mean(axis=0)) if X.shape[0] else np.ones(X.shape[1])
    out = np.ones(X.shape[1])
    positive = np.isfinite(rms) & (rms > 0)
    out[positive] = rms[positive]
    return out


def _warn_condition(condition: float, what: str, stacklevel: int) -> None:
    if condition > ILL_CONDITIONED:
        warnings.warn(
            f"the {what} is ill-conditioned even after scaling its columns "
            f"(condition number {condition:.2g}): about {np.log10(condition):.0f} of 16 "
            "significant digits may be lost; look for nearly collinear regressors",
            IllConditionedWarning,
            stacklevel=stacklevel,
        )


def least_squares(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    warn: bool = True,
) -> LeastSquares:
    r"""Solve (weighted) least squares on the equilibrated design.

    Parameters
    ----------
    X
        Regressors, shape (n, k), full column rank (drop collinear columns first,
        with :func:`massincidents.core.design.drop_collinear`, which names them).
    y
        Response, shape (n,) or (n, m) for several responses at once.
    weights
        Non-negative weights :math:`w_i` (default 1).
    warn
        Give an :class:`IllConditionedWarning` when the scaled design is nearly
        singular.

    Returns
    -------
    LeastSquares

    Raises
    ------
    RankDeficientError
        When the scaled design is numerically rank deficient.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([np.ones(50), rng.normal(size=50) * 1e12])
    >>> y = 1 + X[:, 1] * 2e-12 + rng.normal(size=50) * 0.1
    >>> fit = least_squares(X, y)
    >>> np.round(fit.beta * [1, 1e12], 2).tolist(), fit.condition_number < 10
    ([1.0, 1.99], True)
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = X.shape
    if k == 0:
        return LeastSquares(np.zeros((0, *y.shape[1:])), np.zeros((0, 0)), y.copy(), 1.0)
    # One n x k temporary: the weighted columns, then scaled in place to unit
    # weighted root mean square (the same scale as column_scale(X, weights)).
    if weights is None:
        Xw, yw = X.copy(), y
    else:
        root = np.sqrt(np.asarray(weights, dtype=float))
        Xw = X * root[:, None]
        yw = y * (root if y.ndim == 1 else root[:, None])
    rms = np.sqrt(np.einsum("ij,ij->j", Xw, Xw) / n) if n else np.ones(k)
    scale = np.where(np.isfinite(rms) & (rms > 0), rms, 1.0)
    Xw /= scale
    gram = Xw.T @ Xw
    eig = np.linalg.eigvalsh(gram)
    gram_condition = eig[-1] / eig[0] if eig[0] > 0 else np.inf
    beta_s: np.ndarray
    if gram_condition < _CHOLESKY_LIMIT:
        factor = scipy.linalg.cho_factor(gram, lower=False, check_finite=False)
        beta_s = scipy.linalg.cho_solve(factor, Xw.T @ yw, check_finite=False)
        bread_s = scipy.linalg.cho_solve(factor, np.eye(k), check_finite=False)
        condition = float(np.sqrt(gram_condition))
    else:
        Q, R, perm = scipy.linalg.qr(Xw, mode="economic", pivoting=True, check_finite=False)
        diag = np.abs(np.diag(R))
        tol = max(n, k) * np.finfo(float).eps * diag[0]
        if diag[0] == 0 or np.any(diag <= tol):
            raise RankDeficientError(
                f"the design is rank deficient after scaling its columns "
                f"(rank {int((diag > tol).sum())} of {k})"
            )
        singular = np.linalg.svd(R, compute_uv=False)
        condition = float(singular[0] / singular[-1])
        R_inv = scipy.linalg.solve_triangular(R, np.eye(k), check_finite=False)
        beta_p = R_inv @ (Q.T @ yw)
        beta_s = np.empty_like(beta_p)
        beta_s[perm] = beta_p
        inv_p = R_inv @ R_inv.T
        bread_s = np.empty_like(inv_p)
        bread_s[np.ix_(perm, perm)] = inv_p
    if warn:
        _warn_condition(condition, "design", stacklevel=3)
    beta = beta_s / (scale if beta_s.ndim == 1 else scale[:, None])
    bread = bread_s / np.outer(scale, scale)
    resid = y - X @ beta
    return LeastSquares(beta=beta, bread=bread, resid=resid, condition_number=condition)


def _equilibrate(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.sqrt(np.abs(np.diag(A)))
    d = np.where(np.isfinite(d) & (d > 0), d, 1.0)
    return A / np.outer(d, d), d


def solve_symmetric(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    r"""Solve :math:`Ax = b` for a symmetric matrix after scaling it to unit diagonal.

    With :math:`D = \operatorname{diag}(|A_{jj}|^{1/2})`, solves
    :math:`(D^{-1}AD^{-1})(Dx) = D^{-1}b`: Cholesky when the scaled matrix is
    positive definite, else a symmetric LU. The answer does not depend on the
    units of the parameters.

    Raises
    ------
    numpy.linalg.LinAlgError
        When the scaled matrix is singular.

    Examples
    --------
    >>> A = np.array([[4e20, 1e10], [1e10, 2.0]])
    >>> x = solve_symmetric(A, np.array([1e10, 1.0]))
    >>> bool(np.allclose(A @ x, [1e10, 1.0]))
    True
    """
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    As, d = _equilibrate(A)
    bs = b / (d if b.ndim == 1 else d[:, None])
    try:
        factor = scipy.linalg.cho_factor(As, check_finite=False)
        xs = scipy.linalg.cho_solve(factor, bs, check_finite=False)
    except np.linalg.LinAlgError:
        xs = scipy.linalg.solve(As, bs, assume_a="sym", check_finite=False)
    if not np.all(np.isfinite(xs)):
        raise np.linalg.LinAlgError("the scaled system is singular")
    return xs / (d if xs.ndim == 1 else d[:, None])


def inverse_symmetric(A: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric matrix, computed on its unit-diagonal scaling.

    Examples
    --------
    >>> A = np.array([[1e24, 3e11], [3e11, 1.0]])
    >>> exact = np.array([[1.0, -3e11], [-3e11, 1e24]]) / (1e24 - 9e22)
    >>> bool(np.allclose(inverse_symmetric(A), exact, rtol=1e-13, atol=0))
    True
    """
    A = np.asarray(A, dtype=float)
    return solve_symmetric(A, np.eye(A.shape[0]))


def scaled_condition_number(A: np.ndarray) -> float:
    """2-norm condition number of a symmetric matrix scaled to unit diagonal.

    Examples
    --------
    >>> scaled_condition_number(np.diag([1e-30, 1e30]))
    1.0
    """
    As, _ = _equilibrate(np.asarray(A, dtype=float))
    s = np.linalg.svd(As, compute_uv=False)
    return float(s[0] / s[-1]) if s[-1] > 0 else float("inf")
