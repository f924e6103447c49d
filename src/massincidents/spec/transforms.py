r"""Derived columns from the closed vocabulary of a specification.

Each transform makes one new column from existing ones; none evaluates text.

==============================  =================================================
``log: x``                      :math:`\log x` (missing where :math:`x \le 0`)
``ratio: [a, b]``               :math:`a / b` (``b`` a column or a number)
``share: [a, b]``               :math:`100\,a / b`, a percentage
``per_million: [a, p, k]``      :math:`10^6\,a / (k\,p)`: ``a`` per million
                                persons when ``p`` counts units of ``k`` persons
                                (``k`` = 1 by default; 10000 for population in
                                10,000s)
``lag: [x, k]``                 :math:`x_{i,t-k}`: the value ``k`` periods
                                earlier in the same unit (missing when that
                                period is absent, never the previous row)
``scale: [x, c]``               :math:`c\,x`
``sum: [a, b, ...]``            :math:`a + b + \dots` (missing if any is)
``first: x``                    per unit, the first period inside the window in
                                which :math:`x \ne 0` (0 if there is none): an
                                adoption cohort from a 0/1 event column
==============================  =================================================

Division by zero gives a missing value, as does the log of a non-positive
number; :func:`apply_transforms` counts those cells so that the run can
report them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["apply_transforms"]


def _operand(frame: pd.DataFrame, value: Any) -> pd.Series | float:
    return frame[value].astype("float64") if isinstance(value, str) else float(value)


def _divide(num: pd.Series | float, den: pd.Series | float) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out = pd.Series(out) if not isinstance(out, pd.Series) else out
    return out.where(np.isfinite(out))


def apply_transforms(
    frame: pd.DataFrame,
    transforms: Mapping[str, tuple[str, list[Any]]],
    *,
    unit: str,
    time: str,
    inside: pd.Series | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Add the derived columns of a specification to a copy of ``frame``.

    Parameters
    ----------
    frame
        Long panel with ``unit`` and ``time`` columns.
    transforms
        New column -> (kind, arguments), as :attr:`massincidents.spec.Spec.transforms`.
    unit, time
        Key columns (for ``lag``).
    inside
        Boolean mask of the rows inside the window (default: all): undefined
        results are counted there only, and ``first`` looks there only.

    Returns
    -------
    frame, undefined
        The frame with the new columns; per new column, the number of rows
        where the inputs were present but the result is undefined (log of a
        non-positive number, division by zero).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"u": [1, 1, 1], "t": [2000, 2001, 2003], "x": [1.0, 10.0, 0.0]})
    >>> out, bad = apply_transforms(df, {"lx": ("log", ["x"]), "x1": ("lag", ["x", 1])},
    ...                             unit="u", time="t")
    >>> out["x1"].tolist(), bad
    ([nan, 1.0, nan], {'lx': 1, 'x1': 0})
    """
    out = frame.copy()
    undefined: dict[str, int] = {}
    for new, (kind, args) in transforms.items():
        if kind == "log":
            x = out[args[0]].astype("float64")
            with np.errstate(divide="ignore", invalid="ignore"):
                value = pd.Series(np.log(x.where(x > 0)), index=out.index)
            inputs_ok = x.notna()
        elif kind in ("ratio", "share"):
            num = _operand(out, args[0])
            if kind == "share":
                num = 100 * num
            value = _divide(num, _operand(out, args[1]))
            inputs_ok = out[args[0]].notna()
            if isinstance(args[1], str):
                inputs_ok &= out[args[1]].notna()
        elif kind == "per_million":
            persons = float(args[2]) if len(args) > 2 else 1.0
            value = _divide(
                1e6 * out[args[0]].astype("float64"), persons * out[args[1]].astype("float64")
            )
            inputs_ok = out[args[0]].notna() & out[args[1]].notna()
        elif kind == "scale":
            value = float(args[1]) * out[args[0]].astype("float64")
            inputs_ok = out[args[0]].notna()
        elif kind == "sum":
            value = out[args[0]].astype("float64")
            for arg in args[1:]:
                value = value + out[arg].astype("float64")
            inputs_ok = out[list(args)].notna().all(axis=1)
        elif kind == "first":
            x = out[args[0]].astype("float64")
            window = inside if inside is not None else pd.Series(True, index=out.index)
            hits = out.loc[window & x.notna() & (x != 0), [unit, time]]
            first = hits.groupby(unit)[time].min()
            value = out[unit].map(first).fillna(0).astype("float64")
            inputs_ok = pd.Series(False, index=out.index)
        elif kind == "lag":
            col, k = args[0], int(args[1])
            earlier = out[[unit, time, col]].copy()
            earlier[time] = earlier[time] + k
            earlier = earlier.rename(columns={col: "__lagged__"})
            merged = out[[unit, time]].merge(earlier, on=[unit, time], how="left", validate="1:1")
            value = pd.Series(merged["__lagged__"].to_numpy(dtype="float64"), index=out.index)
            inputs_ok = value.notna()
        else:  # pragma: no cover - the schema admits no other kind
            raise ValueError(f"unknown transform {kind!r}")
        value = value.astype("float64")
        bad = inputs_ok & value.isna()
        if inside is not None:
            bad &= inside
        undefined[new] = int(bad.sum())
        out[new] = value
    return out, undefined
