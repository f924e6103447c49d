"""Write a table three ways: CSV (full precision), LaTeX (booktabs) and Markdown.

The Markdown goes through the package's one table writer
(:func:`massincidents.results.markdown.pipe_table`, as ``mi.etable``).
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from massincidents.report.numbers import format_number
from massincidents.results.markdown import markdown_escape, pipe_table
from massincidents.results.tables import latex_escape

__all__ = ["format_cell", "markdown_escape", "to_html", "to_latex", "to_markdown", "write_table"]


def format_cell(value: object, digits: int = 3) -> str:
    """A cell as text: numbers with ``digits`` significant digits, missing as an empty string.

    Numbers keep their significant digits whatever their size
    (:func:`massincidents.report.numbers.format_number`): a coefficient of
    1.2e-06 is not shown as 0.0000.

    Examples
    --------
    >>> format_cell(0.123456), format_cell(12), format_cell(float("nan")), format_cell("a|b")
    ('0.123', '12', '', 'a|b')
    >>> format_cell(float("inf"))
    '∞'
    """
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return f"{int(value):d}"
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        return format_number(v, digits)
    if value is pd.NA:
        return ""
    return str(value)


def _cells(df: pd.DataFrame, digits: int) -> list[list[str]]:
    return [[format_cell(v, digits) for v in row] for row in df.itertuples(index=False)]


def to_markdown(df: pd.DataFrame, digits: int = 3) -> str:
    """A pipe table; every heading and cell escaped with :func:`markdown_escape`.

    Examples
    --------
    >>> import pandas as pd
    >>> print(to_markdown(pd.DataFrame({"term": ["x"], "estimate": [0.5]})))
    | term | estimate |
    |:--|--:|
    | x | 0.500 |
    """
    header = [markdown_escape(str(c)) for c in df.columns]
    rows = [[markdown_escape(c) for c in row] for row in _cells(df, digits)]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    return pipe_table(header, rows, ["right" if n else "left" for n in numeric])


def to_latex(df: pd.DataFrame, digits: int = 3, caption: str | None = None) -> str:
    r"""A booktabs ``tabular`` (inside a ``table`` float when ``caption`` is given).

    Examples
    --------
    >>> import pandas as pd
    >>> print(to_latex(pd.DataFrame({"term": ["a_b"], "p": [0.01]})))
    \begin{tabular}{lr}
    \toprule
    term & p \\
    \midrule
    a\_b & 0.0100 \\
    \bottomrule
    \end{tabular}
    """
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    lines = [
        rf"\begin{{tabular}}{{{''.join('r' if n else 'l' for n in numeric)}}}",
        r"\toprule",
        " & ".join(latex_escape(str(c)) for c in df.columns) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(latex_escape(c) for c in row) + r" \\" for row in _cells(df, digits)]
    lines += [r"\bottomrule", r"\end{tabular}"]
    body = "\n".join(lines)
    if caption:
        body = (
            "\\begin{table}[htbp]\n\\centering\n"
            f"\\caption{{{latex_escape(caption)}}}\n{body}\n\\end{{table}}"
        )
    return body


def to_html(df: pd.DataFrame, digits: int = 3, caption: str | None = None) -> str:
    """An HTML ``<table>``; every cell and heading escaped.

    Examples
    --------
    >>> import pandas as pd
    >>> to_html(pd.DataFrame({"a": ["<b>"]}))
    '<table>\\n<thead><tr><th>a</th></tr></thead>\\n<tbody>\\n<tr><td>&lt;b&gt;</td></tr>\\n</tbody>\\n</table>'
    """
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for row in _cells(df, digits):
        cells = "".join(
            f'<td class="num">{html.escape(c)}</td>' if n else f"<td>{html.escape(c)}</td>"
            for c, n in zip(row, numeric, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>\n" if caption else ""
    return (
        f"<table>\n{cap}<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


def write_table(
    df: pd.DataFrame, folder: Path, stem: str, *, digits: int = 3, caption: str | None = None
) -> list[Path]:
    """Write ``stem.csv`` (full precision), ``stem.tex`` and ``stem.md`` into ``folder``.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}.csv", folder / f"{stem}.tex", folder / f"{stem}.md"]
    df.to_csv(paths[0], index=False, lineterminator="\n", float_format="%.17g")
    paths[1].write_text(to_latex(df, digits, caption) + "\n", encoding="utf-8")
    md = to_markdown(df, digits)
    if caption:
        md = f"{caption}\n\n{md}"
    paths[2].write_text(md + "\n", encoding="utf-8")
    return paths
