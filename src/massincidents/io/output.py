"""The output of read_panel: rows outside the panel, their warnings, the final frame.

Rows for national totals (全国) and for Hong Kong, Macao and Taiwan are not
part of a mainland provincial panel: :func:`drop_outside_panel` removes them
before validation and :func:`warn_removed` says what went. :func:`finalise`
builds the (``province``, ``year``)-indexed frame, with numbers as numbers.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from massincidents.core.cells import is_missing, is_national, narrow
from massincidents.errors import DataQualityWarning, OutsideMainlandWarning
from massincidents.io.layout import Long
from massincidents.provinces import MAINLAND_CODES, normalise_provinces

__all__ = ["drop_outside_panel", "finalise", "warn_removed"]

_INTEGER_TEXT = re.compile(r"^[+-]?(\d+|\d{1,3}(,\d{3})+)$", re.ASCII)


def drop_outside_panel(long: Long) -> dict[str, list[tuple[str, int | None]]]:
    """Remove national-total and Hong Kong/Macao/Taiwan rows; return what went.

    Returns
    -------
    dict
        ``{"national_total": [(spelling, line), ...], "outside_mainland": [...]}``
        with one entry per removed cell row.
    """
    raw = long.frame["province"]
    national = raw.map(is_national).astype(bool)
    codes, _ = normalise_provinces(raw)
    outside = (codes.notna() & ~codes.isin(MAINLAND_CODES)).fillna(False).astype(bool)
    removed = {
        "national_total": [
            (str(raw.iloc[i]), long.lines[i]) for i in np.flatnonzero(national.to_numpy())
        ],
        "outside_mainland": [
            (str(raw.iloc[i]), long.lines[i]) for i in np.flatnonzero(outside.to_numpy())
        ],
    }
    keep = ~(national | outside).to_numpy()
    if not keep.all():
        long.frame = long.frame[keep].reset_index(drop=True)
        long.lines = [line for line, k in zip(long.lines, keep, strict=True) if k]
        for name, spec in list(long.columns.items()):
            if not isinstance(spec, str):
                long.columns[name] = [s for s, k in zip(spec, keep, strict=True) if k]  # type: ignore[call-overload]
    return removed


def _removal_message(label: str, what: str, entries: list[tuple[str, int | None]]) -> str:
    """``data.csv: removed 2 row(s) for ...: 香港 (row 35), 澳门 (row 36)``."""
    lines = sorted({line for _, line in entries if line is not None})
    seen: dict[str, int | None] = {}
    for name, line in entries:
        seen.setdefault(name, line)
    examples = ", ".join(
        f"{name} (row {line})" if line is not None else name for name, line in seen.items()
    )
    n_rows = len(lines) if lines else len(entries)
    cells = f" ({len(entries)} province-years)" if len(entries) != n_rows else ""
    return f"{label}: removed {n_rows} row(s){cells} for {what}: {examples}"


def warn_removed(
    label: str,
    removed: dict[str, list[tuple[str, int | None]]],
    dropped: dict[str, list[str]],
) -> None:
    """One warning per kind of removal: rows (long, wide) or columns (transposed)."""
    kinds = (
        (
            "outside_mainland",
            OutsideMainlandWarning,
            "Hong Kong, Macao or Taiwan, outside the mainland panel",
        ),
        ("national_total", DataQualityWarning, "national totals, not provinces"),
    )
    for reason, category, what in kinds:
        if removed[reason]:
            warnings.warn(_removal_message(label, what, removed[reason]), category, stacklevel=3)
        if dropped.get(reason):
            names = ", ".join(dropped[reason])
            message = f"{label}: removed {len(dropped[reason])} column(s) for {what}: {names}"
            warnings.warn(message, category, stacklevel=3)


def _written_as_integers(raw: pd.Series) -> bool:
    """Whether every cell is an integer (int dtype, Python int or text like ``"1,200"``).

    Mirrors pandas' own inference: ``3`` is an integer, ``3.0`` is not.
    """
    if pd.api.types.is_integer_dtype(raw):
        return True
    for value in raw.to_numpy():
        if isinstance(value, bool | np.bool_):
            return False
        if isinstance(value, int | np.integer):
            continue
        text = narrow(value) if isinstance(value, str) else ""
        if _INTEGER_TEXT.match(text):
            continue
        return False
    return len(raw) > 0


def finalise(
    long: Long,
    numeric: dict[str, pd.Series],
    codes: pd.Series,
    years: pd.Series,
    counts: Sequence[str],
) -> pd.DataFrame:
    """Build the (province, year)-indexed frame with numbers as numbers."""
    index = pd.MultiIndex.from_arrays(
        [codes.astype("int64").to_numpy(), years.astype("int64").to_numpy()],
        names=["province", "year"],
    )
    data: dict[str, object] = {}
    for name in long.value_columns:
        if name in numeric:
            numbers = numeric[name]
            exact = bool((numbers.abs() <= 2**53).all())  # int64 and float64 agree
            if (
                not numbers.isna().any()
                and exact
                and (name in counts or _written_as_integers(long.frame[name]))
            ):
                numbers = numbers.astype("int64")
            data[name] = numbers.to_numpy()
        else:
            values = long.frame[name].astype(object)
            values = values.where(~is_missing(values), None)
            data[name] = values.map(lambda v: v.strip() if isinstance(v, str) else v).to_numpy()
    out = pd.DataFrame(data, index=index, columns=long.value_columns)
    order = np.lexsort((index.get_level_values(1), index.get_level_values(0)))
    rows = {
        (int(p), int(y)): line
        for p, y, line in zip(codes.astype("int64"), years.astype("int64"), long.lines, strict=True)
    }
    out = out.iloc[order]
    out.attrs["source_rows"] = {key: rows[key] for key in out.index}
    return out
