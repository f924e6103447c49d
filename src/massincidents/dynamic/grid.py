"""The panel on a balanced entity x period grid, with lags by time value.

As plm's ``pgmm``: every entity gets a row for every period present in the
data (missing rows are gaps); ``lag(x, k)`` at time ``t`` is the value of
``x`` at time ``t - k`` of the same entity (missing if that period is absent),
so gaps never shift a lag onto the wrong year. Numeric times lag by value,
other times by their position in the sorted periods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from massincidents.errors import DataError, Problem


@dataclass
class Grid:
    """Variables as ``(n_entities, n_periods)`` arrays, ``NaN`` where missing."""

    entities: np.ndarray
    periods: np.ndarray
    values: dict[str, np.ndarray]
    present: np.ndarray
    n_input_rows: int

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.entities), len(self.periods)

    def lagged(self, variable: str, lag: int) -> np.ndarray:
        """``variable`` lagged ``lag`` periods (by time value)."""
        base = self.values[variable]
        if lag == 0:
            return base
        out = np.full_like(base, np.nan)
        periods = self.periods
        if np.issubdtype(periods.dtype, np.number):
            wanted = periods - lag
            pos = np.searchsorted(periods, wanted)
            ok = (pos < len(periods)) & (periods[np.minimum(pos, len(periods) - 1)] == wanted)
        else:
            pos = np.arange(len(periods)) - lag
            ok = pos >= 0
        out[:, ok] = base[:, pos[ok]]
        return out


def build_grid(data: pd.DataFrame, columns: list[str], entity: str, time: str) -> Grid:
    """Check the data and put ``columns`` on the entity x period grid.

    Raises
    ------
    DataError
        Listing missing columns, missing keys, duplicate (entity, time) pairs
        and non-numeric values.
    """
    frame = data.reset_index() if entity not in data.columns else data
    problems = [
        Problem("column not found in the data", column=c)
        for c in dict.fromkeys([entity, time, *columns])
        if c not in frame.columns
    ]
    if problems:
        raise DataError(problems)
    # the keys are selected once, even when the formula uses one of them (the
    # time column as a trend, or C(time)): selecting a column twice made a
    # two-column frame that failed the numeric check (issue 13, defect 5)
    variables = [c for c in dict.fromkeys(columns) if c not in (entity, time)]
    frame = frame[[entity, time, *variables]]
    for key in (entity, time):
        missing = np.flatnonzero(frame[key].isna().to_numpy())
        problems += [Problem("missing panel key", row=int(r), column=key) for r in missing]
    duplicated = np.flatnonzero(frame.duplicated([entity, time]).to_numpy())
    problems += [Problem(f"duplicate ({entity}, {time}) pair", row=int(r)) for r in duplicated[:50]]
    for column in variables:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            problems.append(Problem("values are not numeric", column=column))
    if time in columns and not pd.api.types.is_numeric_dtype(frame[time]):
        problems.append(
            Problem(
                "the time column is used as a regressor (a trend) but its values are not "
                "numeric",
                column=time,
            )
        )
    if entity in columns:
        problems.append(
            Problem("the entity column cannot be a regressor or an instrument", column=entity)
        )
    if problems:
        raise DataError(problems)
    entities, e_idx = np.unique(frame[entity].to_numpy(), return_inverse=True)
    periods, t_idx = np.unique(frame[time].to_numpy(), return_inverse=True)
    n, t = len(entities), len(periods)
    present = np.zeros((n, t), dtype=bool)
    present[e_idx, t_idx] = True
    values = {}
    for column in variables:
        grid = np.full((n, t), np.nan)
        grid[e_idx, t_idx] = frame[column].to_numpy(dtype=float)
        values[column] = grid
    if time in columns:
        values[time] = np.where(present, periods.astype(float)[None, :], np.nan)
    return Grid(entities, periods, values, present, len(frame))
