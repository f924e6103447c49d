r"""Partialling out fixed effects by alternating projections.

For fixed effects :math:`D_1, \dots, D_m` (group indicator matrices) and
weights :math:`w`, the method of alternating projections (Gaure 2013, the
algorithm behind fixest and reghdfe) repeats

.. math::

    x \leftarrow x - D_k (D_k' W D_k)^{-1} D_k' W x, \qquad k = 1, \dots, m,

until :math:`x` no longer changes; the limit is the residual of the weighted
projection of :math:`x` on all fixed effects at once. With one fixed effect
one sweep is exact. By the Frisch-Waugh-Lovell theorem, regressing the
partialled :math:`y` on the partialled :math:`X` gives the fixed-effects
slopes.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


class ConvergenceError(RuntimeError):
    """An iterative fit (demeaning, IRLS, maximum likelihood) did not converge."""


def _indicator(codes: np.ndarray) -> sp.csr_matrix:
    n = codes.shape[0]
    return sp.csr_matrix(
        (np.ones(n), (np.arange(n), codes)), shape=(n, int(codes.max()) + 1 if n else 0)
    )


def demean(
    X: np.ndarray,
    fe: list[np.ndarray],
    weights: np.ndarray | None = None,
    *,
    tol: float = 1e-12,
    maxiter: int = 10_000,
) -> np.ndarray:
    """Partial the fixed effects ``fe`` out of every column of ``X``.

    Parameters
    ----------
    X
        Array of shape (n,) or (n, k).
    fe
        Integer codes (0..G-1) of each fixed effect, each of shape (n,).
    weights
        Observation weights (IRLS weights for GLMs); default equal.
    tol
        Convergence tolerance on the largest change, relative to the
        columns' scale.
    maxiter
        Maximum number of sweeps over all fixed effects.

    Returns
    -------
    numpy.ndarray
        The partialled array, same shape as ``X``.

    Raises
    ------
    ConvergenceError
        When ``maxiter`` sweeps do not reach ``tol``.
    """
    X = np.asarray(X, dtype=float)
    one_d = X.ndim == 1
    out = X.reshape(X.shape[0], -1).copy()
    if not fe or out.shape[1] == 0:
        return out.ravel() if one_d else out
    w = np.ones(out.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    projections = []
    for codes in fe:
        D = _indicator(codes)
        DtW = (D.multiply(w[:, None])).T.tocsr()
        totals = np.asarray(DtW.sum(axis=1)).ravel()
        totals[totals == 0] = 1.0
        projections.append((D, DtW, totals))

    def sweep(values: np.ndarray) -> np.ndarray:
        for D, DtW, totals in projections:
            means = (DtW @ values) / totals[:, None]
            values = values - D @ means
        return values

    scale = np.maximum(np.abs(out).max(axis=0), 1.0)
    if len(fe) == 1:
        out = sweep(out)
    else:
        for _ in range(maxiter):
            new = sweep(out)
            change = np.abs(new - out).max(axis=0) / scale
            out = new
            if change.max() < tol:
                break
        else:
            raise ConvergenceError(
                f"demeaning did not converge in {maxiter} sweeps "
                f"(largest change {change.max():.2e})"
            )
    return out.ravel() if one_d else out


def fe_degrees_of_freedom(fe: list[np.ndarray]) -> int:
    """Number of fixed-effect parameters that are identified.

    One fixed effect with :math:`G` groups uses :math:`G` degrees of freedom;
    two use :math:`G_1 + G_2 - c`, where :math:`c` is the number of connected
    components of the bipartite graph of their groups (one per component is
    redundant); each further fixed effect adds :math:`G_k - 1` (fixest makes
    the same approximation beyond two).
    """
    if not fe:
        return 0
    sizes = [int(c.max()) + 1 for c in fe]
    if len(fe) == 1:
        return sizes[0]
    a, b = fe[0], fe[1]
    graph = sp.coo_matrix(
        (np.ones(a.shape[0]), (a, b + sizes[0])), shape=(sizes[0] + sizes[1],) * 2
    )
    components, _ = connected_components(graph, directed=False)
    return sizes[0] + sizes[1] - components + sum(g - 1 for g in sizes[2:])


def is_nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """True when every group of ``inner`` lies within one group of ``outer``."""
    pairs = np.unique(np.stack([inner, outer], axis=1), axis=0)
    return bool(np.unique(pairs[:, 0]).shape[0] == pairs.shape[0])
