r"""The sets :math:`\Delta` of Rambachan and Roth (2023) as inequalities :math:`A\delta \le d`.

The event-study coefficients are :math:`\beta = \tau + \delta`, ordered
:math:`(\beta_{-\underline T}, \dots, \beta_{-1}, \beta_1, \dots, \beta_{\bar T})`
with the reference period (:math:`t = 0`, normalised :math:`\delta_0 = 0`)
left out; :math:`\tau_{pre} = 0` and :math:`\delta` is the bias (the
difference in trends).

Relative magnitudes, :math:`\Delta^{RM}(\bar M)`: no post-treatment change in
the difference in trends exceeds :math:`\bar M` times the largest
pre-treatment change,

.. math::

    |\delta_{t+1} - \delta_t| \le \bar M \max_{s < 0} |\delta_{s+1} - \delta_s|,
    \qquad t \ge 0.

It is a finite union of polyhedra
:math:`\Delta^{RM}_{s,\pm}(\bar M)`, one for each pre-period change
:math:`s \in \{-\underline T + 1, \dots, 0\}` that attains the maximum and its
sign: every first difference :math:`\delta_{t+1}-\delta_t` is bounded in
absolute value by :math:`\pm(\delta_s - \delta_{s-1})` (pre-periods) or
:math:`\pm\bar M(\delta_s - \delta_{s-1})` (post-periods);
:func:`relative_magnitudes_polyhedron` builds one of them.

Smoothness, :math:`\Delta^{SD}(M)`: the slope of the difference in trends
changes by at most :math:`M` between consecutive periods,

.. math::

    |(\delta_{t+1} - \delta_t) - (\delta_t - \delta_{t-1})| \le M \quad
    \text{for all } t,

so that :math:`M = 0` allows exactly linear differences in trends. It enters
through the fixed-length confidence interval of
:mod:`massincidents.did.honest_flci`, which needs only :math:`M` and the
weights, not the matrix.
"""

from __future__ import annotations

import numpy as np


def first_differences(n_pre: int, n_post: int) -> np.ndarray:
    r"""Rows :math:`\delta_{t+1} - \delta_t` of :math:`(\delta_{pre}, \delta_0, \delta_{post})`."""
    n = n_pre + n_post
    out = np.zeros((n, n + 1))
    for r in range(n):
        out[r, r] = -1.0
        out[r, r + 1] = 1.0
    return out


def relative_magnitudes_polyhedron(
    n_pre: int, n_post: int, mbar: float, s: int, positive: bool
) -> np.ndarray:
    r"""The matrix :math:`A` of :math:`\Delta^{RM}_{s,\pm}(\bar M) = \{\delta: A\delta \le 0\}`.

    ``s`` in :math:`\{-\underline T + 1, \dots, 0\}` is the pre-period change
    :math:`\delta_s - \delta_{s-1}` taken to be the largest (``positive``:
    with a positive sign). Columns are :math:`(\delta_{pre}, \delta_{post})`
    (the reference period dropped); rows that are identically zero are left
    out. The right-hand side :math:`d` is zero.
    """
    diffs = first_differences(n_pre, n_post)
    largest = np.zeros(n_pre + n_post + 1)
    largest[n_pre + s - 1] = -1.0
    largest[n_pre + s] = 1.0
    if not positive:
        largest = -largest
    bound = np.vstack([np.tile(largest, (n_pre, 1)), np.tile(mbar * largest, (n_post, 1))])
    a = np.vstack([diffs - bound, -diffs - bound])
    a = a[(a * a).sum(axis=1) > 1e-10]
    return np.delete(a, n_pre, axis=1)


def post_period_rows(a: np.ndarray, n_pre: int) -> np.ndarray:
    """Indices of the rows of ``a`` that involve a post-period coefficient."""
    return np.flatnonzero(np.any(a[:, n_pre:] != 0, axis=1))


def target_basis(l_vec: np.ndarray) -> np.ndarray:
    r"""An invertible :math:`\Gamma` whose first row is :math:`\ell'`.

    The other rows are the unit vectors :math:`e_j'` for every :math:`j` but
    the last index where :math:`\ell` is non-zero (the pivots of the reduced
    row echelon form of :math:`[\ell, I]`, as the R package builds it).
    """
    l_vec = np.asarray(l_vec, dtype=float).ravel()
    last = int(np.flatnonzero(l_vec != 0)[-1])
    rows = [l_vec] + [np.eye(len(l_vec))[j] for j in range(len(l_vec)) if j != last]
    return np.vstack(rows)
