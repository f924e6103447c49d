"""Reports of a rerun: tables (CSV, LaTeX, Markdown), figures (PNG, SVG) and one HTML page.

:func:`write_outputs` writes everything a :func:`massincidents.spec.rerun`
produced into a folder; :func:`render_report` builds the self-contained HTML
report (inline style sheet, figures embedded as base64 PNG, no script, no
external resource), whose sections mirror chapters 3, 4 and 6 of the book.
"""

from __future__ import annotations

from massincidents.report.html import render_report
from massincidents.report.tables import format_cell, to_html, to_latex, to_markdown, write_table
from massincidents.report.write import write_outputs

__all__ = [
    "format_cell",
    "render_report",
    "to_html",
    "to_latex",
    "to_markdown",
    "write_outputs",
    "write_table",
]
