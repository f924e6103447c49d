r"""Observations whose Poisson fitted mean is zero at the (non-existent) maximum.

The Poisson (pseudo-)likelihood has no finite maximum when some linear
combination :math:`z = X\gamma + D\alpha` of the regressors and fixed effects
satisfies :math:`z_i = 0` where :math:`y_i > 0` and :math:`z_i \ge 0` where
:math:`y_i = 0`, with :math:`z_i > 0` somewhere (Santos Silva and Tenreyro 2010;
Correia, Guimarães and Zylkin 2021, "Verifying the existence of maximum
likelihood estimates for generalized linear models"). The observations with
:math:`z_i > 0` are *separated*: their fitted mean goes to zero as the
estimates run off to infinity along :math:`\gamma`. Dropping them leaves the
estimates of every other coefficient unchanged and makes them finite; the
coefficients identified only by the separated rows become collinear and are
dropped too. Three checks, from cheapest to most general:

1. **fixed-effect groups with an all-zero outcome** (:func:`zero_outcome_groups`):
   the group's dummy is a certificate; fixest and ppmlhdfe drop them.
2. **the simple rule** (:func:`simple_separation`): a regressor that is zero
   wherever :math:`y > 0` and of one sign where :math:`y = 0`.
3. **the ReLU (iterative rectifier) method** (:func:`relu_separation`) of
   Correia, Guimarães and Zylkin (2021), which finds every certificate,
   including those that combine several regressors and fixed effects.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from massincidents.core.demean import demean, stack_codes
from massincidents.core.least_squares import column_scale


class SeparationWarning(UserWarning):
    """Observations were left out because the model predicts their zero outcome perfectly."""


def zero_outcome_groups(y: np.ndarray, fe: list[np.ndarray]) -> np.ndarray:
    """Observations in a fixed-effect group whose outcome is zero in every row.

    Parameters
    ----------
    y
        The outcome, shape (n,).
    fe
        Integer codes of each fixed effect.

    Returns
    -------
    numpy.ndarray
        Boolean mask, True for observations to drop.

    Examples
    --------
    >>> import numpy as np
    >>> zero_outcome_groups(np.array([0, 0, 1, 2]), [np.array([0, 0, 1, 1])]).tolist()
    [True, True, False, False]
    """
    drop = np.zeros(y.shape[0], dtype=bool)
    for codes in fe:
        totals = np.bincount(codes, weights=(y > 0).astype(float), minlength=int(codes.max()) + 1)
        drop |= totals[codes] == 0
    return drop


def simple_separation(
    y: np.ndarray, X: np.ndarray, names: list[str]
) -> tuple[np.ndarray, list[str]]:
    """Observations separated by one regressor alone.

    A regressor that is zero in every row with :math:`y > 0` and non-negative
    (or non-positive) in the rows with :math:`y = 0`, non-zero in some, is a
    certificate of separation: the rows where it is non-zero are separated
    (Santos Silva and Tenreyro 2010).

    Returns
    -------
    mask, culprits
        Boolean mask of separated rows, and the regressors that separate them.
    """
    positive = y > 0
    drop = np.zeros(y.shape[0], dtype=bool)
    culprits = []
    for j, name in enumerate(names):
        column = X[:, j]
        scale = np.abs(column).max()
        if scale == 0:
            continue
        nonzero = np.abs(column) > 1e-12 * scale
        if nonzero[positive].any() or not nonzero[~positive].any():
            continue
        signs = np.sign(column[~positive & nonzero])
        if (signs > 0).all() or (signs < 0).all():
            drop |= nonzero
            culprits.append(name)
    return drop, culprits


def warn_if_separated(y: np.ndarray, X: np.ndarray, names: list[str]) -> None:
    """Warn when a regressor is non-zero only where the outcome is zero.

    For models that do not remove separated rows themselves (conditional FE
    negative binomial, zero-inflated models): their coefficient would otherwise
    be an optimiser's stopping point shown as if it were an estimate.
    """
    separated = simple_separation(y, X, names)[1]
    if separated:
        warnings.warn(
            f"separation: {', '.join(separated)} non-zero only where the outcome is zero, so "
            "its coefficient is infinite; the estimate shown is where the optimiser stopped. "
            "Drop those rows or the regressor (mi.poisson removes them itself).",
            SeparationWarning,
            stacklevel=3,
        )


def relu_separation(
    y: np.ndarray,
    X: np.ndarray,
    fe: list[np.ndarray],
    *,
    tol: float = 1e-5,
    maxiter: int = 1000,
) -> tuple[np.ndarray, bool, int]:
    r"""Separated observations by the iterative rectifier (ReLU) method.

    With :math:`u_i = \mathbf 1\{y_i = 0\}` to start, repeat: regress
    :math:`u` on the regressors and fixed effects by least squares with
    weight :math:`K = 1/\text{tol}^2` on the rows with :math:`y > 0` (which
    forces the fit to zero there: least squares with equality constraints by
    the method of weighting) and 1 on the rows with :math:`y = 0`; set the
    fitted values :math:`\hat z` to zero where :math:`y > 0` and where they are
    within tolerance of zero; stop when :math:`\hat z \ge 0` on every row with
    :math:`y = 0` (the rows with :math:`\hat z > 0` are separated, and
    :math:`\hat z` is the certificate), or when no residual on those rows is
    negative (then no further separated row exists, by the normal
    equations); else replace :math:`u_i` by :math:`\max(\hat z_i, 0)` and
    repeat (Correia, Guimarães and Zylkin 2021, section 4).

    Parameters
    ----------
    y, X, fe
        Outcome, regressors (including the intercept when there is no fixed
        effect), fixed-effect codes.
    tol
        Values of :math:`\hat z` in :math:`(-0.1\,\text{tol}, \text{tol})` count as zero.
    maxiter
        Largest number of regressions.

    Returns
    -------
    mask, concluded, iterations
        Separated rows; whether the method concluded within ``maxiter``
        (when it did not, ``mask`` is all False and the caller must say so).
    """
    boundary = y == 0
    n = y.shape[0]
    none = np.zeros(n, dtype=bool)
    if not boundary.any():
        return none, True, 0
    weight = np.where(boundary, 1.0, 1.0 / tol**2)
    root = np.sqrt(weight)
    codes = stack_codes(fe) if fe else None  # built once for every partialling below
    Xt = demean(X, codes, weight) if codes is not None else X
    if Xt.shape[1]:
        # The rank is decided on equilibrated columns (each scaled to unit
        # weighted RMS, as the least-squares kernel does): a regressor in tiny
        # units is not mistaken for a column of zeros.
        weighted = root[:, None] * Xt
        q, r, _ = scipy.linalg.qr(
            weighted / column_scale(weighted), mode="economic", pivoting=True
        )
        diag = np.abs(np.diag(r))
        rank = int((diag > 1e-9 * diag.max()).sum()) if diag.size and diag.max() > 0 else 0
        q = q[:, :rank]
    else:
        q = np.zeros((n, 0))
    u = boundary.astype(float)
    for iteration in range(1, maxiter + 1):
        ut = demean(u, codes, weight) if codes is not None else u
        v = root * ut
        resid = (v - q @ (q.T @ v)) / root
        z = u - resid
        z[~boundary] = 0.0
        z[boundary & (z > -0.1 * tol) & (z < tol)] = 0.0
        if (z[boundary] >= 0).all():
            return boundary & (z > 0), True, iteration
        r_b = resid[boundary]
        r_b = np.where(np.abs(r_b) < 1e-12, 0.0, r_b)
        if (r_b >= 0).all():
            z[np.flatnonzero(boundary)[r_b > tol]] = 0.0
            return boundary & (z > 0), True, iteration
        u = np.where(boundary, np.maximum(z, 0.0), 0.0)
    return none, False, maxiter


def warn_separation(count: int, reason: str, stacklevel: int = 4) -> None:
    """Issue the :class:`SeparationWarning` for ``count`` rows left out for ``reason``."""
    warnings.warn(
        f"{count} observation(s) left out: {reason}", SeparationWarning, stacklevel=stacklevel
    )
