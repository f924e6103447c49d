r"""Instrument matrices of the differenced and level equations (plm's layout).

For entity :math:`i`, the differenced equation has one row per period
:math:`t = T_1+1, \dots, T` (``T_1`` the periods lost to lags), the level
equation (system GMM) one row per period :math:`t = T_1, \dots, T`.

GMM-style instruments ``lag(w, a:b)`` in the differenced equation: in the row
of period :math:`t` the levels :math:`w_{t-b}, \dots, w_{t-a}` (from the first
period on), each period-lag pair in its own column (Arellano and Bond 1991); with
``collapse`` one column per lag, :math:`w_{t-a}, w_{t-a-1}, \dots` (Roodman 2009).
In the level equation: :math:`\Delta w_{t-1}`, one column per period (or one
column with ``collapse``), as plm. Missing values are zeros; rows whose
outcome or regressors are missing are zero throughout.
"""

from __future__ import annotations

import numpy as np


def gmm_difference(
    levels: np.ndarray, first: int, last: int, t1: int, collapse: bool
) -> np.ndarray:
    """GMM-style instruments of the differenced equation, ``(N, T - t1, L)``.

    ``levels`` is ``(N, T)``; rows are periods ``t1 .. T-1`` (0-based).
    """
    n, t = levels.shape
    rows = range(t1, t)  # 0-based period of each row
    x = np.nan_to_num(levels)
    if collapse:
        width = min(t - first, last + 1 - first)
        out = np.zeros((n, len(rows), width))
        for r, p in enumerate(rows):
            for j in range(width):
                src = p - first - j
                if src >= 0 and first + j <= last:
                    out[:, r, j] = x[:, src]
        return out
    spans = [(max(0, p - last), p - first + 1) for p in rows]
    width = sum(hi - lo for lo, hi in spans)
    out = np.zeros((n, len(rows), width))
    col = 0
    for r, (lo, hi) in enumerate(spans):
        out[:, r, col : col + hi - lo] = x[:, lo:hi]
        col += hi - lo
    return out


def gmm_level(levels: np.ndarray, t2: int, collapse: bool) -> np.ndarray:
    """GMM-style instruments of the level equation, ``(N, T - t2, L)``: :math:`\\Delta w_{t-1}`.

    Rows are periods ``t2 .. T-1`` (0-based). Columns, uncollapsed: the
    differences of periods ``max(1, t2-1) .. T-2`` (0-based), as plm for
    ``t2 <= 2``.
    """
    n, t = levels.shape
    diff = np.zeros((n, t))
    diff[:, 1:] = np.nan_to_num(levels[:, 1:] - levels[:, :-1])  # a difference with a gap is 0
    rows = list(range(t2, t))
    sources = [p - 1 for p in rows]
    if collapse:
        out = np.zeros((n, len(rows), 1))
        for r, s in enumerate(sources):
            if s >= 1:
                out[:, r, 0] = diff[:, s]
        return out
    columns = list(range(max(1, t2 - 1), t - 1))
    out = np.zeros((n, len(rows), len(columns)))
    for r, s in enumerate(sources):
        if s >= 1:
            out[:, r, columns.index(s)] = diff[:, s]
    return out


def difference_weight(rows: int) -> np.ndarray:
    """The one-step weight :math:`H` of the differenced errors: 2 on the diagonal, -1 beside."""
    h = 2.0 * np.eye(rows)
    idx = np.arange(rows - 1)
    h[idx, idx + 1] = h[idx + 1, idx] = -1.0
    return h


def system_weight(level_rows: int) -> np.ndarray:
    """plm's ``FSM(t, "full")``: :math:`H` of the stacked differenced and level errors."""
    t = level_rows
    g = difference_weight(t - 1)
    fd = np.zeros((t - 1, t))
    idx = np.arange(t - 1)
    fd[idx, idx] = -1.0
    fd[idx, idx + 1] = 1.0
    return np.block([[g, fd], [fd.T, np.eye(t)]])
