"""Footnote marks after numbers, removed only where the file's notes define them.

Yearbook tables mark some cells with a footnote (``28014.94¹``, ``2.5②``,
``3.1*``) and explain the mark in a note below the table
(``注：¹ 初步核算数。``). Read as text, a mark would become a digit
(``28014.941``); :mod:`massincidents.core.cells` therefore refuses such cells. When
a note of the same file starts with the mark, the mark is known to be a
footnote: :func:`strip_defined_marks` removes it, keeps the number, and
returns what it did so that :func:`massincidents.read_panel` can say so (a
:class:`~massincidents.errors.DataQualityWarning` and ``attrs["footnotes"]``).
A mark that no note defines is left in the cell, and the cell is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from massincidents.core.cells import footnote_mark, narrow
from massincidents.io.layout import Long

__all__ = ["Footnote", "defined_marks", "footnote_warning", "strip_defined_marks"]

# Where a mark may start its definition in a note: at the start, or after
# "注：", a space or punctuation ("注：①...；②...").
_BEFORE_MARK = r"(?:^|[\s:：;；,，。、(（])"


@dataclass(frozen=True)
class Footnote:
    """A cell whose footnote mark was removed: where, what it held, the note."""

    row: int | None
    column: str
    cell: str
    note: str


def defined_marks(notes: list[str]) -> dict[str, str]:
    """Marks that the notes define, each with the first note that does.

    Examples
    --------
    >>> defined_marks(["注：¹ 初步核算数。", "数据来源：测试"])
    {'¹': '注：¹ 初步核算数。'}
    >>> defined_marks(["注：①含兵团；②初步数。"])
    {'①': '注：①含兵团；②初步数。', '②': '注：①含兵团；②初步数。'}
    """
    found: dict[str, str] = {}
    for note in notes:
        text = narrow(note)
        for match in re.finditer(_BEFORE_MARK + r"([^\sA-Za-z0-9])", text):
            mark = match.group(1)
            if footnote_mark(f"1{mark}") is not None:
                found.setdefault(mark, note)
    return found


def strip_defined_marks(long: Long, notes: list[str]) -> list[Footnote]:
    """Remove, in the value columns of ``long``, marks that ``notes`` define.

    Returns one :class:`Footnote` per changed cell; ``long.frame`` is changed
    in place. Cells whose marks are not all defined are left alone (and are
    then refused as non-numeric).
    """
    marks = defined_marks(notes)
    if not marks:
        return []
    changed: list[Footnote] = []
    for name in long.value_columns:
        values = long.frame[name]
        spec = long.columns.get(name)
        for i, value in enumerate(values.to_numpy()):
            split = footnote_mark(value)
            if split is None or any(c not in marks for c in split[1] if not c.isspace()):
                continue
            number, mark = split
            column = _column_label(spec, name, i)
            note = marks[next(c for c in mark if not c.isspace())]
            changed.append(Footnote(long.lines[i], column, str(value), note))
            long.frame.iloc[i, long.frame.columns.get_loc(name)] = number
    return changed


def _column_label(spec: object, name: str, i: int) -> str:
    """The source column of row ``i``: one label, or one per row (wide tables)."""
    if isinstance(spec, str):
        return spec
    if spec is None:
        return name
    return str(spec[i])  # type: ignore[index]


def footnote_warning(label: str, changed: list[Footnote]) -> str:
    """The message saying which marks were removed, where, and what the notes say."""
    rows = sorted({f.row for f in changed if f.row is not None})
    shown = ", ".join(
        f"{f.cell!r} (row {f.row}, column {f.column!r})" if f.row is not None else repr(f.cell)
        for f in changed[:10]
    )
    more = f" and {len(changed) - 10} more" if len(changed) > 10 else ""
    notes = "; ".join(dict.fromkeys(f.note for f in changed))
    return (
        f"{label}: removed the footnote marks of {len(changed)} cell(s) in {len(rows) or 1} "
        f"row(s), defined in the notes below the table ({notes}): {shown}{more}; "
        "the numbers are kept, attrs['footnotes'] lists the cells"
    )

