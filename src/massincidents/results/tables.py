r"""Regression tables: several fitted models side by side, ready for a paper.

``mi.etable([fit1, fit2], format="latex")`` puts each model in a column:
coefficients (in order of first appearance, the intercept last) with
significance stars and, below each, its standard error in parentheses;
then one row per absorbed fixed effect (``Yes``/``No``); then the estimator,
the number of observations, the variance estimator and the fit statistics
present in any of the models (:math:`R^2`, within :math:`R^2`,
pseudo :math:`R^2`, log-likelihood, NB2 :math:`\alpha`, :math:`\theta`). Stars
compare each coefficient's p-value (``Result.pvalues``: t with the model's
degrees of freedom for least squares, normal for likelihood models) with the
thresholds, a star for each threshold it is below.

It works with any :class:`~massincidents.results.Result`; the statistics rows
read ``Result.stats`` under the keys of :data:`STAT_ROWS`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd

from massincidents.results.markdown import Align, markdown_escape, pipe_table

Format = Literal["markdown", "latex", "html", "dataframe"]
Cell = str | tuple[str, int]


@dataclass(frozen=True)
class Row:
    """One row of the table: its part, label and cells (raw: label needs no escaping)."""

    part: str
    label: str
    cells: list[Cell]
    raw: bool = False


STAT_ROWS: dict[str, tuple[str, str]] = {
    # maketables statistic key: (plain label, LaTeX label)
    "r2": ("R²", "$R^2$"),
    "r2_within": ("Within R²", "Within $R^2$"),
    "pseudo_r2": ("Pseudo R²", "Pseudo $R^2$"),
    "ll": ("Log-likelihood", "Log-likelihood"),
    "alpha": ("α", r"$\alpha$"),
    "theta": ("θ", r"$\theta$"),
}
"""Fit statistics in the order they are shown, by maketables key
(``Result.__maketables_stat__`` reads ``Result.stats``: ``ll`` is ``loglik``)."""

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "[": "{[}",  # a row starting with [ would be read as the optional argument of \\
    "]": "{]}",
}


def latex_escape(text: str) -> str:
    r"""Escape LaTeX's special characters.

    Examples
    --------
    >>> print(latex_escape("np.log(gdp_pc) & 100% {x} C(region)[T.west]"))
    np.log(gdp\_pc) \& 100\% \{x\} C(region){[}T.west{]}
    """
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


@dataclass(frozen=True)
class ModelColumn:
    """What a table column shows of one model, read through maketables' interface.

    A :class:`~massincidents.results.Result` is read through its maketables
    plug-in hooks (``__maketables_coef_table__``, ``__maketables_stat__``,
    ...); any other model maketables knows (pyfixest, statsmodels,
    linearmodels, lifelines) through maketables' extractor for it.
    """

    depvar: str
    coef: pd.DataFrame  # columns b, se, p; indexed by term
    fixed_effects: tuple[str, ...]
    estimator: str
    nobs: int | None
    vcov_label: str
    stat: Callable[[str], float | None]


def model_column(model: object) -> ModelColumn:
    """The :class:`ModelColumn` of ``model`` (a Result, or a model maketables reads)."""
    from massincidents.results.result import Result

    if isinstance(model, Result):
        fixef = model.__maketables_fixef_string__
        return ModelColumn(
            depvar=model.depvar,
            coef=model.__maketables_coef_table__,
            fixed_effects=tuple(fixef.split("+")) if fixef else (),
            estimator=model.model,
            nobs=int(model.nobs),
            vcov_label=model.vcov_label,
            stat=cast("Callable[[str], float | None]", model.__maketables_stat__),
        )
    try:
        from maketables.extractors import get_extractor
    except ImportError as err:  # pragma: no cover - maketables is a dependency
        raise TypeError(f"etable cannot read a {type(model).__name__}") from err
    try:
        extractor = get_extractor(model)
    except TypeError as err:
        raise TypeError(f"etable cannot read a {type(model).__name__}: {err}") from err

    def stat(key: str) -> float | None:
        value = extractor.stat(model, key)
        try:
            value = float(value)
        except (TypeError, ValueError):
            return None
        return value if np.isfinite(value) else None

    fixef = extractor.fixef_string(model) or ""
    nobs = stat("N")
    se_type = extractor.stat(model, "se_type")
    return ModelColumn(
        depvar=str(extractor.depvar(model)),
        coef=extractor.coef_table(model),
        fixed_effects=tuple(f for f in re.split(r"\s*\+\s*", fixef.strip()) if f),
        estimator=type(model).__name__,
        nobs=None if nobs is None else int(nobs),
        vcov_label="" if se_type is None else str(se_type),
        stat=stat,
    )


def _stars(p: float, thresholds: Sequence[float]) -> int:
    return sum(1 for level in thresholds if np.isfinite(p) and p < level)


def _select(terms: list[str], keep: Sequence[str] | None, drop: Sequence[str] | None) -> list[str]:
    def matches(term: str, patterns: Sequence[str]) -> bool:
        return any(re.search(pattern, term) for pattern in patterns)

    if isinstance(keep, str):
        keep = [keep]
    if isinstance(drop, str):
        drop = [drop]
    out = [t for t in terms if keep is None or matches(t, keep)]
    return [t for t in out if drop is None or not matches(t, drop)]


def _rows(
    results: Sequence[object],
    *,
    stars: Sequence[float],
    digits: int,
    keep: Sequence[str] | None,
    drop: Sequence[str] | None,
    labels: dict[str, str],
    latex: bool,
) -> list[Row]:
    """Table body as rows; estimate cells are (number, stars)."""

    def number(x: float) -> str:
        text = f"{x:.{digits}f}"
        if text.startswith("-") and float(text) == 0:
            text = text[1:]  # no "-0.000"
        return text

    columns = [model_column(r) for r in results]
    terms: list[str] = []
    for column in columns:
        terms += [t for t in column.coef.index if t not in terms]
    terms.sort(key=lambda t: t == "Intercept")  # the constant last, as Stata's esttab
    rows: list[Row] = []
    depvars: list[Cell] = [labels.get(c.depvar, c.depvar) for c in columns]
    rows.append(Row("header", "Dependent variable", depvars))
    for term in _select(terms, keep, drop):
        estimates: list[Cell] = []
        errors: list[Cell] = []
        for column in columns:
            if term in column.coef.index:
                line = column.coef.loc[term]
                estimates.append((number(float(line["b"])), _stars(float(line["p"]), stars)))
                errors.append(f"({number(float(line['se']))})")
            else:
                estimates.append("")
                errors.append("")
        label = labels.get(term, term)
        rows.append(Row("coef", label, estimates))
        rows.append(Row("se", label, errors))
    effects: list[str] = []
    for column in columns:
        effects += [f for f in column.fixed_effects if f not in effects]
    for fe in effects:
        cells: list[Cell] = ["Yes" if fe in c.fixed_effects else "No" for c in columns]
        rows.append(Row("fe", f"{labels.get(fe, fe)} fixed effects", cells))
    rows.append(Row("stat", "Estimator", [c.estimator for c in columns]))
    nobs: list[Cell] = ["" if c.nobs is None else f"{c.nobs:,}" for c in columns]
    rows.append(Row("stat", "Observations", nobs))
    rows.append(Row("stat", "Standard errors", [c.vcov_label for c in columns]))
    for key, (plain, tex) in STAT_ROWS.items():
        values = [c.stat(key) for c in columns]
        if any(v is not None for v in values):
            shown: list[Cell] = ["" if v is None else number(v) for v in values]
            rows.append(Row("stat", tex if latex else plain, shown, raw=latex))
    return rows


def _note(stars: Sequence[float], fmt: str) -> str:
    text = "Standard errors in parentheses."
    if not stars:
        return text
    levels = sorted(stars, reverse=True)
    if fmt == "latex":
        parts = [f"$^{{{'*' * (i + 1)}}}$ p $<$ {level:g}" for i, level in enumerate(levels)]
    elif fmt == "html":
        parts = [f"<sup>{'*' * (i + 1)}</sup> p &lt; {level:g}" for i, level in enumerate(levels)]
    else:
        parts = [f"{'*' * (i + 1)} p < {level:g}" for i, level in enumerate(levels)]
    return f"{text} {', '.join(parts)}."


def etable(
    results: Sequence[object],
    *,
    format: Format = "markdown",
    stars: Sequence[float] | None = (0.1, 0.05, 0.01),
    digits: int = 3,
    keep: Sequence[str] | str | None = None,
    drop: Sequence[str] | str | None = None,
    labels: dict[str, str] | None = None,
    model_names: Sequence[str] | None = None,
    caption: str | None = None,
    label: str | None = None,
    escape: bool = True,
) -> str | pd.DataFrame:
    r"""Several fitted models side by side.

    Parameters
    ----------
    results
        Fitted :class:`~massincidents.results.Result` objects (one column each).
    format
        ``"markdown"`` (a pipe table, then the note), ``"latex"`` (a booktabs
        ``tabular``, inside a ``table`` float when ``caption`` is given),
        ``"html"`` (a ``<table>`` with optional ``<caption>``) or
        ``"dataframe"`` (the cells as strings, indexed by ``(part, row)`` with
        parts ``header``, ``coef``, ``se``, ``fe``, ``stat``).
    stars
        p-value thresholds; a coefficient gets one star for each threshold its
        p-value is below (``*`` 0.1, ``**`` 0.05, ``***`` 0.01 by default).
        ``None`` or ``()`` for none.
    digits
        Decimals of coefficients, standard errors and statistics.
    keep, drop
        Regular expressions (``re.search``) selecting coefficients by name.
    labels
        Display names for coefficients, fixed effects and dependent variables.
    model_names
        Column headings; default ``(1)``, ``(2)``, ...
    caption
        Table caption (LaTeX and HTML).
    label
        LaTeX ``\label`` (with ``caption``).
    escape
        Escape special characters in names and labels: LaTeX's, HTML's, and in
        Markdown ``|``, backslashes and HTML (``&``, ``<``, ``>`` as entities).

    Returns
    -------
    str or pandas.DataFrame

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> a = mi.linear("y_linear ~ x1", df)
    >>> b = mi.linear("y_linear ~ x1 + x2 | province + year", df)
    >>> print(mi.etable([a, b], keep="x1", digits=2))
    |                        |   (1)    |             (2)             |
    |:-----------------------|:--------:|:---------------------------:|
    | Dependent variable     | y_linear |           y_linear          |
    | x1                     | 0.43***  |           0.23***           |
    |                        |  (0.04)  |            (0.04)           |
    | province fixed effects |    No    |             Yes             |
    | year fixed effects     |    No    |             Yes             |
    | Estimator              |   OLS    | OLS, fixed effects absorbed |
    | Observations           |   620    |             620             |
    | Standard errors        |   iid    |       CRV1 by province      |
    | R²                     |   0.16   |             0.38            |
    | Within R²              |          |             0.08            |
    <BLANKLINE>
    Standard errors in parentheses. * p < 0.1, ** p < 0.05, *** p < 0.01.
    """
    results = list(results)
    if not results:
        raise ValueError("etable needs at least one result")
    if format not in {"markdown", "latex", "html", "dataframe"}:
        raise ValueError(f"format must be markdown, latex, html or dataframe; got {format!r}")
    thresholds = tuple(stars or ())
    if model_names is None:
        names = [f"({i})" for i in range(1, len(results) + 1)]
    else:
        names = [str(m) for m in model_names]
    if len(names) != len(results):
        raise ValueError(f"{len(names)} model names for {len(results)} models")
    rows = _rows(
        results,
        stars=thresholds,
        digits=digits,
        keep=keep,
        drop=drop,
        labels=dict(labels or {}),
        latex=format == "latex",
    )
    if format == "latex":
        return _latex(rows, names, thresholds, caption, label, escape)
    if format == "html":
        return _html(rows, names, thresholds, caption, escape)

    if format == "dataframe":
        index = pd.MultiIndex.from_tuples(
            [(row.part, row.label) for row in rows], names=["part", "row"]
        )
        cells = [[_plain(c) for c in row.cells] for row in rows]
        return pd.DataFrame(cells, index=index, columns=names)
    return _markdown(rows, names, thresholds, escape)


def _plain(cell: Cell) -> str:
    return cell[0] + "*" * cell[1] if isinstance(cell, tuple) else cell


def _markdown(
    rows: list[Row], names: list[str], thresholds: tuple[float, ...], escape: bool
) -> str:
    esc: Callable[[object], str] = markdown_escape if escape else str
    header = ["", *(esc(m) for m in names)]
    body = [
        ["" if row.part == "se" else esc(row.label), *(esc(_plain(c)) for c in row.cells)]
        for row in rows
    ]
    align = cast("list[Align]", ["left"] + ["center"] * len(names))
    table = pipe_table(header, body, align, pad=True)
    return table + "\n\n" + _note(thresholds, "markdown")


def _latex(
    rows: list[Row],
    names: list[str],
    thresholds: tuple[float, ...],
    caption: str | None,
    label: str | None,
    escape: bool,
) -> str:
    esc: Callable[[str], str] = latex_escape if escape else str

    def cell(c: Cell) -> str:
        if isinstance(c, tuple):
            number, n_stars = c
            number = number.replace("-", "$-$", 1) if number.startswith("-") else number
            return number + (f"$^{{{'*' * n_stars}}}$" if n_stars else "")
        if c.startswith("(-"):
            return "($-$" + c[2:]
        if c.startswith("-") and c[1:2].isdigit():
            return "$-$" + c[1:]
        return esc(c)

    n = len(names)
    lines = [
        rf"\begin{{tabular}}{{l{'c' * n}}}",
        r"\toprule",
        " & ".join(["", *(esc(m) for m in names)]) + r" \\",
        r"\midrule",
    ]
    previous = "header"
    for row in rows:
        section = "coef" if row.part == "se" else row.part
        if section != previous:
            lines.append(r"\midrule")
            previous = section
        label_cell = "" if row.part == "se" else row.label if row.raw else esc(row.label)
        lines.append(" & ".join([label_cell, *(cell(c) for c in row.cells)]) + r" \\")
    lines.append(r"\bottomrule")
    lines.append(rf"\multicolumn{{{n + 1}}}{{l}}{{\footnotesize {_note(thresholds, 'latex')}}} \\")
    lines.append(r"\end{tabular}")
    if caption is None:
        return "\n".join(lines)
    head = [r"\begin{table}[htbp]", r"\centering", rf"\caption{{{esc(caption)}}}"]
    if label:
        head.append(rf"\label{{{label}}}")
    return "\n".join([*head, *lines, r"\end{table}"])


def _html(
    rows: list[Row],
    names: list[str],
    thresholds: tuple[float, ...],
    caption: str | None,
    escape: bool,
) -> str:
    esc: Callable[[str], str] = html.escape if escape else str

    def cell(c: Cell) -> str:
        if isinstance(c, tuple):
            number, n_stars = c
            return esc(number) + (f"<sup>{'*' * n_stars}</sup>" if n_stars else "")
        return esc(c)

    lines = ['<table class="etable">']
    if caption is not None:
        lines.append(f"<caption>{esc(caption)}</caption>")
    lines.append("<thead>")
    lines.append("<tr>" + "".join(f"<th>{esc(h)}</th>" for h in ["", *names]) + "</tr>")
    lines.append("</thead>")
    previous = None
    for row in rows:
        section = "coef" if row.part == "se" else row.part
        if section != previous:
            if previous is not None:
                lines.append("</tbody>")
            lines.append(f'<tbody class="{section}">')
            previous = section
        label_cell = "" if row.part == "se" else esc(row.label)
        cells = "".join(f"<td>{cell(c)}</td>" for c in row.cells)
        lines.append(f"<tr><th>{label_cell}</th>{cells}</tr>")
    lines.append("</tbody>")
    lines.append(
        f'<tfoot><tr><td colspan="{len(names) + 1}">{_note(thresholds, "html")}</td></tr></tfoot>'
    )
    lines.append("</table>")
    return "\n".join(lines)
