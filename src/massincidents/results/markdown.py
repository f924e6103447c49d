r"""The one Markdown table writer: regression tables, report tables, multiverse summaries.

:func:`markdown_escape` makes any text safe in a cell (shown as written,
never as HTML or as a new cell); :func:`pipe_table` lays out cells that are
already text. ``mi.etable`` (:mod:`massincidents.results.tables`), the rerun
report (:mod:`massincidents.report.tables`) and the multiverse summary
(:mod:`massincidents.multiverse.command`) all write through them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Literal

Align = Literal["left", "right", "center", "none"]

_RULE = {"left": ":--", "right": "--:", "center": ":-:", "none": " --- "}


def markdown_escape(text: object) -> str:
    r"""Text safe in a Markdown table cell: shown as written, never as HTML or a new cell.

    Backslashes and ``|`` are escaped with a backslash, ``&``, ``<`` and
    ``>`` become HTML entities (Markdown passes raw HTML through, so a name
    ``<script>`` would otherwise run in a rendered page), and line breaks
    become spaces.

    Examples
    --------
    >>> print(markdown_escape("<script>x</script> a|b \\ c"))
    &lt;script&gt;x&lt;/script&gt; a\|b \\ c
    """
    out = html.escape(str(text), quote=False).replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(out.splitlines())


def pipe_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    align: Sequence[Align],
    *,
    pad: bool = False,
) -> str:
    """A pipe table of cells that are already text (escape them first).

    Parameters
    ----------
    header, rows
        The heading cells and the body rows.
    align
        One per column: ``"left"``, ``"right"``, ``"center"`` or ``"none"``.
    pad
        Pad every column to its widest cell (the first left-justified, the
        others centred), so the table also reads as plain text.

    Examples
    --------
    >>> print(pipe_table(["term", "estimate"], [["x", "0.500"]], ["left", "right"]))
    | term | estimate |
    |:--|--:|
    | x | 0.500 |
    >>> print(pipe_table(["", "(1)"], [["x", "0.5***"]], ["left", "center"], pad=True))
    |   |  (1)   |
    |:--|:------:|
    | x | 0.5*** |
    """
    if len(align) != len(header):
        raise ValueError(f"{len(align)} alignments for {len(header)} columns")
    table = [list(header), *(list(row) for row in rows)]
    if not pad:
        lines = ["| " + " | ".join(line) + " |" for line in table]
        lines.insert(1, "|" + "|".join(_RULE[a] for a in align) + "|")
        return "\n".join(lines)
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]

    def render(line: list[str]) -> str:
        cells = [line[0].ljust(widths[0])]
        cells += [cell.center(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
        return "| " + " | ".join(cells) + " |"

    def rule(kind: Align, width: int) -> str:
        left = ":" if kind in {"left", "center"} else "-"
        right = ":" if kind in {"right", "center"} else "-"
        return left + "-" * width + right

    rules = "|".join(rule(kind, width) for kind, width in zip(align, widths, strict=True))
    return "\n".join([render(table[0]), f"|{rules}|", *(render(line) for line in table[1:])])
