"""Write the tables, figures and HTML report of a rerun into a folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from massincidents.report.figures import (
    coefficient_figure,
    did_figure,
    measures_figure,
    png_base64,
    save_figure,
)
from massincidents.report.html import render_report
from massincidents.report.numbers import whole_number_columns
from massincidents.report.summaries import did_tables, indicator_table
from massincidents.report.tables import write_table

if TYPE_CHECKING:  # pragma: no cover
    from massincidents.spec.engine import RerunResult

__all__ = ["did_tables", "indicator_table", "write_outputs"]


def _write_table(df: pd.DataFrame, folder: Path, stem: str, **options: Any) -> list[Path]:
    """:func:`write_table` with whole-number columns (counts, reps) printed as integers."""
    return write_table(whole_number_columns(df), folder, stem, **options)


def write_outputs(result: RerunResult, out_dir: Path, *, html_report: bool = True) -> list[str]:
    """Write every table, figure and the HTML report; return the files relative to ``out_dir``.

    Parameters
    ----------
    result
        A :class:`~massincidents.spec.engine.RerunResult`.
    out_dir
        The folder (created if needed).
    html_report
        Also write ``report.html``.

    Returns
    -------
    list of str
        The files written, as POSIX paths relative to ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import massincidents as mi
    >>> from massincidents.spec import rerun
    >>> df = mi.datasets.simulate_panel(n_provinces=31, n_years=6, seed=4)
    >>> spec = {"version": 1, "data": {"unit": "province", "time": "year"},
    ...         "outcome": {"count": "y", "exposure": "population"},
    ...         "causes": {"social": ["x1"], "solving": [], "legal": [], "system": []},
    ...         "measures": {m: [] for m in mi.spec.MEASURES}, "models": ["poisson"]}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     files = write_outputs(rerun(df, spec), Path(folder))
    >>> files[:3], "report.html" in files
    (['tables/coefficients.csv', 'tables/coefficients.tex', 'tables/coefficients.md'], True)
    """
    from massincidents.results.tables import etable

    out_dir.mkdir(parents=True, exist_ok=True)
    tables, figures = out_dir / "tables", out_dir / "figures"
    written: list[Path] = []
    embedded: dict[str, str] = {}
    ok = [f for f in result.fits if f.result is not None]

    if not result.coefficients.empty:
        written += _write_table(
            result.coefficients,
            tables,
            "coefficients",
            digits=4,
            caption="Coefficients (log incidence-rate ratios) of every model",
        )
    if ok:
        results = [f.result for f in ok]
        names = [f.label for f in ok]
        formats: tuple[tuple[Literal["markdown", "latex"], str], ...] = (
            ("markdown", "md"),
            ("latex", "tex"),
        )
        for fmt, ext in formats:
            # model names are free text from the specification: etable escapes them
            text = etable(results, format=fmt, model_names=names)
            path = tables / f"models.{ext}"
            path.write_text(str(text) + "\n", encoding="utf-8")
            written.append(path)
        frame = etable(results, format="dataframe", model_names=names)
        assert isinstance(frame, pd.DataFrame)
        frame.reset_index().to_csv(tables / "models.csv", index=False, lineterminator="\n")
        written.append(tables / "models.csv")
    written += _write_table(
        result.rows, tables, "rows", caption="Rows used and left out, per model"
    )
    written += _write_table(
        indicator_table(result),
        tables,
        "indicators",
        caption="Columns standing for each cause and measure",
    )
    if not result.measures.empty:
        written += _write_table(
            result.measures,
            tables,
            "measures",
            digits=4,
            caption="The six measures: incidence-rate ratios and counterfactuals",
        )
    if result.did is not None and "error" not in result.did:
        for stem, df in did_tables(result.did).items():
            written += _write_table(df, tables, stem, digits=4)

    if not result.coefficients.empty:
        fig = coefficient_figure(
            result.coefficients, title="Indicators of the causes and incidents"
        )
        written += save_figure(fig, figures, "coefficients")
        embedded["coefficients"] = png_base64(fig)
    if not result.measures.empty and "percent_change" in result.measures.columns:
        m = result.measures.dropna(subset=["percent_change"])
        if not m.empty:
            m = m.assign(
                label=[
                    f"{a}: {b} {s:+g}"
                    for a, b, s in zip(m["measure"], m["indicator"], m["shift"], strict=True)
                ]
            )
            fig = measures_figure(m, title="Counterfactual change of expected incidents")
            written += save_figure(fig, figures, "measures")
            embedded["measures"] = png_base64(fig)
    if result.did is not None and "error" not in result.did:
        dyn = result.did["dynamic"].estimates
        if not dyn.empty:
            fig = did_figure(dyn, title="Effect of adoption by periods since adoption")
            written += save_figure(fig, figures, "did_dynamic")
            embedded["did_dynamic"] = png_base64(fig)

    if html_report:
        page = render_report(result, embedded)
        (out_dir / "report.html").write_text(page, encoding="utf-8")
        written.append(out_dir / "report.html")
    return [p.relative_to(out_dir).as_posix() for p in written]
