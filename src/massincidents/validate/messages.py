"""How cells, provinces and years are written in problem messages.

``'abc'`` for a text cell, ``2.5`` for a number (not ``np.float64(2.5)``),
``110000 (Beijing)`` for a province code, ``1993-2017`` for a run of years.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from massincidents.provinces import province_name

__all__ = ["describe", "examples", "show", "year_span"]


def show(value: object) -> str:
    """A cell for messages: ``'abc'``, ``2.5`` (numpy scalars as plain numbers).

    Examples
    --------
    >>> show(np.float64(2.5)), show("abc"), show(np.int64(3))
    ('2.5', "'abc'", '3')
    """
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def describe(code: int) -> str:
    """``110000 (Beijing)`` for messages."""
    try:
        return f"{code} ({province_name(code)})"
    except ValueError:
        return str(code)


def year_span(years: Sequence[int]) -> str:
    """``1993-2017`` for consecutive years, else a list.

    Examples
    --------
    >>> year_span([2001, 2000, 2002]), year_span([2000, 2005])
    ('2000-2002', '2000, 2005')
    """
    ordered = sorted(set(years))
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}-{ordered[-1]}"
    return ", ".join(map(str, ordered))


def examples(items: Sequence[str], n: int = 5) -> str:
    shown = "; ".join(items[:n])
    return shown + (f"; ... ({len(items) - n} more)" if len(items) > n else "")
