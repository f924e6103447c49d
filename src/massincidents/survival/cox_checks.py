"""Checks of counting-process survival data before a Cox fit, and of what it can estimate.

Every problem with the data is collected and raised together as one
:class:`~massincidents.errors.DataError`, each naming the row (0-based
position in the input DataFrame) and, when a unit identifier is given, the unit.
Covariates the baseline hazards absorb (constant within strata) or that are
collinear are dropped with a
:class:`~massincidents.core.design.CollinearityWarning`.
"""

from __future__ import annotations

import warnings

import numpy as np

from massincidents.core.design import CollinearityWarning, drop_collinear
from massincidents.core.least_squares import inverse_symmetric
from massincidents.errors import DataError, Problem

MAX_PROBLEMS = 200


def _plain(value: object) -> object:
    """A numpy scalar as the Python value (for messages: ``2``, not ``np.int64(2)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _unit(ids: np.ndarray | None, i: int) -> str:
    return "" if ids is None else f"unit {_plain(ids[i])!r}: "


def event_indicator(values: np.ndarray, rows: np.ndarray, column: str) -> list[Problem]:
    """Events must be 0/1 (or True/False)."""
    v = np.asarray(values)
    if v.dtype == bool:
        return []
    num = np.asarray(v, dtype=float)
    bad = np.flatnonzero(~np.isin(num, (0.0, 1.0)))
    return [
        Problem(
            f"the event indicator must be 0 or 1, got {_plain(v[i])!r}",
            row=int(rows[i]),
            column=column,
        )
        for i in bad[:MAX_PROBLEMS]
    ]


def check_times(
    *,
    stop: np.ndarray,
    start: np.ndarray | None,
    rows: np.ndarray,
    stop_name: str,
    start_name: str | None,
    ids: np.ndarray | None,
) -> list[Problem]:
    """Durations must be positive: ``stop > start`` (``stop > 0`` without a start time)."""
    problems: list[Problem] = []
    if start is None:
        for i in np.flatnonzero(stop < 0)[:MAX_PROBLEMS]:
            problems.append(
                Problem(
                    f"{_unit(ids, i)}negative duration {stop[i]:g}",
                    row=int(rows[i]),
                    column=stop_name,
                )
            )
        for i in np.flatnonzero(stop == 0)[:MAX_PROBLEMS]:
            problems.append(
                Problem(
                    f"{_unit(ids, i)}duration 0: no at-risk time (R's coxph keeps such rows "
                    "at risk at time 0 only; shift them by a small amount if they are real)",
                    row=int(rows[i]),
                    column=stop_name,
                )
            )
        return problems
    for i in np.flatnonzero(stop < start)[:MAX_PROBLEMS]:
        problems.append(
            Problem(
                f"{_unit(ids, i)}stop {stop[i]:g} is before start {start[i]:g} (negative duration)",
                row=int(rows[i]),
                column=stop_name,
            )
        )
    for i in np.flatnonzero(stop == start)[:MAX_PROBLEMS]:
        problems.append(
            Problem(
                f"{_unit(ids, i)}stop is not after start ({stop[i]:g}): the interval has no "
                "at-risk time",
                row=int(rows[i]),
                column=stop_name,
            )
        )
    return problems


def check_overlaps(
    *,
    stop: np.ndarray,
    start: np.ndarray | None,
    ids: np.ndarray,
    strata: np.ndarray,
    rows: np.ndarray,
    id_name: str,
) -> list[Problem]:
    """Intervals of one unit within one stratum must not overlap.

    Without start times every row of a unit starts at 0, so a unit may have
    one row per stratum (WLW data: one row per event number).
    """
    begin = np.zeros_like(stop) if start is None else start
    unit = np.unique(ids, return_inverse=True)[1].ravel()
    stratum = np.unique(strata, return_inverse=True)[1].ravel()
    order = np.lexsort((stop, begin, stratum, unit))
    same = (unit[order][1:] == unit[order][:-1]) & (stratum[order][1:] == stratum[order][:-1])
    overlap = same & (begin[order][1:] < stop[order][:-1])
    problems = []
    for k in np.flatnonzero(overlap)[:MAX_PROBLEMS]:
        a, b = order[k], order[k + 1]
        problems.append(
            Problem(
                f"unit {_plain(ids[b])!r}: interval ({begin[b]:g}, {stop[b]:g}] overlaps "
                f"({begin[a]:g}, {stop[a]:g}] of row {int(rows[a])}",
                row=int(rows[b]),
                column=id_name,
            )
        )
    return problems


def raise_if(problems: list[Problem]) -> None:
    """Raise one :class:`DataError` listing every problem, if there are any."""
    if problems:
        raise DataError(problems)


def drop_absorbed(
    X: np.ndarray, names: list[str], stratum: np.ndarray
) -> tuple[np.ndarray, list[str], list[str]]:
    """Drop covariates constant within every stratum, then collinear ones."""
    counts = np.bincount(stratum)
    means = np.vstack([np.bincount(stratum, weights=X[:, j]) / counts for j in range(X.shape[1])])
    within = X - means.T[stratum]
    spread = np.sqrt((within**2).sum(axis=0))
    # relative to the column's own size (no absolute floor), so that the decision
    # does not depend on the units of the covariate
    scale = np.sqrt((X**2).sum(axis=0))
    keep = [j for j in range(X.shape[1]) if spread[j] > 1e-10 * scale[j]]
    dropped = [names[j] for j in range(X.shape[1]) if j not in keep]
    for name in dropped:
        warnings.warn(
            f"{name!r} is constant within strata: the baseline hazard absorbs it; dropped",
            CollinearityWarning,
            stacklevel=3,
        )
    within, kept_names, collinear = drop_collinear(within[:, keep], [names[j] for j in keep])
    kept = [keep[[names[j] for j in keep].index(nm)] for nm in kept_names]
    return X[:, kept], kept_names, dropped + collinear


def inverse_information(info: np.ndarray, names: list[str]) -> np.ndarray:
    """The inverse information, or a :class:`DataError` when it is singular.

    Both the test and the inverse work on the unit-diagonal scaling of the
    information (:func:`~massincidents.core.least_squares.inverse_symmetric`),
    so neither depends on the units of the covariates.
    """
    d = np.sqrt(np.abs(np.diag(info)))
    try:
        if not np.all(np.isfinite(d) & (d > 0)):
            raise np.linalg.LinAlgError("zero information")
        np.linalg.cholesky(info / np.outer(d, d))
    except np.linalg.LinAlgError:
        raise DataError(
            [
                Problem(
                    "the information matrix is singular at the estimates (too few events for "
                    f"{', '.join(names)}?): the variance cannot be computed"
                )
            ]
        ) from None
    return inverse_symmetric(info)
