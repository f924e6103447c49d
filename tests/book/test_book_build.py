"""Build the Jupyter Book and check its pages, figures, tables and captions.

How the book is checked (a deliberate choice): the ``built`` fixture (``tests/book/conftest.py``,
session-scoped and shared with ``test_offline.py`` and ``test_browser.py``) copies the book's
sources (``book/`` without ``_build``) into a temporary folder and builds them there from scratch,
with the ``jupyter-book`` of the running environment (``Path(sys.executable).parent /
"jupyter-book"``) and ``--warningiserror``. It does not reuse ``book/_build/html``, for two
reasons:

* a build made with ``--keep-going`` writes HTML even when it fails, so the existence of an old
  ``_build/html`` proves nothing about warnings;
* the execution cache is keyed on the code of the notebooks only, so an old build (or a copied
  cache) can hold outputs computed from an older version of the bundled data or of the package.

A cold build of the current chapters executes every notebook and takes about a minute, which is
why the test is marked ``slow`` (deselect it with ``pytest -m "not slow"``). The build runs once
per test session; the tests below then inspect its HTML: every page of ``_toc.yml`` exists,
every chapter listed here is in the table of contents, every figure has an image file on disk,
alt text and a numbered caption, and every table is an HTML ``<table>`` with a numbered caption
and a note on its sample. Removing a chapter, a figure or a table, or breaking the code that
makes one, makes the test fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BOOK = REPO_ROOT / "book"

# Every chapter the book must have, in order.
CHAPTERS = [
    "chapters/01_introduction",
    "chapters/02_overview",
    "chapters/03_causes",
    "chapters/04_prevention",
    "chapters/04b_grassroots",
    "chapters/05_measures",
    "chapters/06_validation",
    "chapters/07_rerun",
    "chapters/08_api",
    "chapters/m1_staggered_adoption",
    "chapters/ledger",
    "chapters/replication",
]
# The API reference (chapter 8 and its sections) is generated from docstrings: it has no
# computed numbers, and its examples show doctest output, so it is checked separately.
API_PAGES = [
    "chapters/08_api",
    "api/data",
    "api/linear",
    "api/iv",
    "api/counts",
    "api/dynamic",
    "api/survival",
    "api/did",
    "api/multiverse",
    "api/spec",
    "api/inference",
]
NARRATIVE = [c for c in CHAPTERS if c not in API_PAGES]

# Figures (HTML id of the <figure>) and captioned tables (HTML id of the <table>) of each chapter.
FIGURES = {
    "chapters/01_introduction": [],
    "chapters/02_overview": [
        "fig-national",
        "fig-clb-time",
        "fig-cny",
        "fig-provinces",
        "fig-codes",
        "fig-rates",
        "fig-tiles",
        "fig-legal",
    ],
    "chapters/03_causes": ["fig-causes-coef", "fig-causes-response"],
    "chapters/04_prevention": ["fig-prevention-km", "fig-prevention-event-study"],
    "chapters/04b_grassroots": [
        "fig-grassroots-coverage",
        "fig-grassroots-event-study",
        "fig-grassroots-km",
    ],
    "chapters/05_measures": [
        "fig-measures-national",
        "fig-measures-irr",
        "fig-measures-counterfactual",
    ],
    "chapters/06_validation": [],
    "chapters/07_rerun": ["fig-rerun-curve", "fig-rerun-curve-book"],
    "chapters/08_api": [],
    "chapters/m1_staggered_adoption": ["fig-staggered"],
    "chapters/ledger": [],
    "chapters/replication": ["fig-replication-dag"],
}
TABLES = {
    "chapters/01_introduction": ["tbl-coverage", "tbl-intro-theories"],
    "chapters/02_overview": [
        "tbl-national",
        "tbl-clb-year",
        "tbl-provinces",
        "tbl-composition",
        "tbl-rates",
    ],
    "chapters/03_causes": [
        "tbl-causes-indicators",
        "tbl-causes-models",
        "tbl-causes-bootstrap",
        "tbl-causes-fragility",
        "tbl-causes-influence",
        "tbl-causes-response",
    ],
    "chapters/04_prevention": [
        "tbl-prevention-map",
        "tbl-prevention-recurrence",
        "tbl-prevention-first",
        "tbl-prevention-turnover",
        "tbl-prevention-honest",
        "tbl-prevention-did",
    ],
    "chapters/04b_grassroots": [
        "tbl-grassroots-coverage",
        "tbl-grassroots-counts",
        "tbl-grassroots-conclusions",
        "tbl-grassroots-influence",
        "tbl-grassroots-did",
        "tbl-grassroots-honest",
        "tbl-grassroots-survival",
        "tbl-grassroots-coverage-check",
    ],
    "chapters/05_measures": [
        "tbl-measures-indicators",
        "tbl-measures-models",
        "tbl-measures-counterfactual",
    ],
    "chapters/06_validation": [
        "tbl-validation-files",
        "tbl-validation-panel",
        "tbl-validation-counts",
        "tbl-validation-survival",
        "tbl-validation-stata",
        "tbl-validation-peers",
        "tbl-validation-other",
    ],
    "chapters/07_rerun": ["tbl-rerun-files", "tbl-rerun-recovery", "tbl-rerun-curve-book"],
    "chapters/08_api": [],
    "chapters/m1_staggered_adoption": ["tbl-staggered"],
    "chapters/ledger": ["tbl-ledger-causes", "tbl-ledger-measures"],
    "chapters/replication": [
        "tbl-replication-data",
        "tbl-replication-steps",
        "tbl-replication-map",
        "tbl-replication-pages",
    ],
}

SPHINX_PROBLEM = re.compile(r"\b(WARNING|ERROR|CRITICAL|SEVERE):")

pytestmark = pytest.mark.slow


def _soup(path: Path):
    from bs4 import BeautifulSoup  # installed with jupyter-book (pydata-sphinx-theme)

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _toc_files(book: Path) -> list[str]:
    import yaml  # installed with jupyter-book

    toc = yaml.safe_load((book / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [re.sub(r"\.(md|ipynb)$", "", f) for f in files]


def test_build_succeeds_without_warnings(built):
    tail = "\n".join(built["log"].splitlines()[-40:])
    assert built["returncode"] == 0, f"jupyter-book build failed:\n{tail}"
    problems = [line for line in built["log"].splitlines() if SPHINX_PROBLEM.search(line)]
    assert not problems, "warnings in the build:\n" + "\n".join(problems)


def test_every_chapter_is_in_the_toc_and_built(built):
    toc = _toc_files(built["book"])
    assert toc[0] == "intro"
    assert [f for f in toc if f in CHAPTERS] == CHAPTERS, f"chapters missing from _toc.yml: {toc}"
    html = built["html"]
    assert (html / "index.html").is_file()
    for page in toc:
        assert (html / f"{page}.html").is_file(), f"no HTML for {page}"


def test_landing_page_lists_the_chapters(built):
    text = " ".join(_soup(built["html"] / "intro.html").get_text(" ").split())
    assert "massincidents reproduce" in text
    links = {a.get("href", "") for a in _soup(built["html"] / "intro.html").find_all("a")}
    for chapter in CHAPTERS:
        assert any(href.startswith(f"{chapter}.html") for href in links), (
            f"intro does not link {chapter}"
        )


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_figures_have_images_on_disk_and_captions(built, chapter):
    page = built["html"] / f"{chapter}.html"
    soup = _soup(page)
    for fig_id in FIGURES[chapter]:
        figure = soup.find("figure", id=fig_id)
        assert figure is not None, f"{chapter}: figure {fig_id} is missing"
        img = figure.find("img")
        assert img is not None, f"{chapter}: figure {fig_id} has no image"
        caption = figure.find("figcaption")
        assert caption is not None and "Fig." in caption.get_text(), (
            f"{fig_id} has no numbered caption"
        )
        assert len(caption.get_text(" ", strip=True)) > 60, f"{fig_id}: caption too short"
        assert img.get("alt") and not img["alt"].endswith(".png"), f"{fig_id}: no alt text"
    # every image the page shows (figures or not) must exist on disk and be a real PNG/SVG
    for img in soup.find_all("img"):
        src = img.get("src", "")
        if src.startswith(("http:", "https:", "data:")):
            continue
        target = (page.parent / src).resolve()
        assert target.is_file(), f"{chapter}: image {src} not found on disk"
        assert target.stat().st_size > 1000, f"{chapter}: image {src} is empty"
        if target.suffix == ".png":
            assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{src} is not a PNG"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_tables_have_captions_and_rows(built, chapter):
    soup = _soup(built["html"] / f"{chapter}.html")
    for tbl_id in TABLES[chapter]:
        table = soup.find("table", id=tbl_id)
        assert table is not None, f"{chapter}: table {tbl_id} is missing"
        caption = table.find("caption")
        assert caption is not None and "Table" in caption.get_text(), (
            f"{tbl_id} has no numbered caption"
        )
        rows = table.find("tbody").find_all("tr")
        assert rows, f"{tbl_id} has no rows"
        note = table.find_parent("div").find_next_sibling("p")
        assert note is not None and note.get_text().startswith("Note."), (
            f"{tbl_id}: no note on the sample"
        )


@pytest.mark.parametrize("chapter", NARRATIVE)
def test_no_error_output_and_glued_numbers_present(built, chapter):
    soup = _soup(built["html"] / f"{chapter}.html")
    text = soup.get_text(" ")
    assert "Traceback (most recent call last)" not in text
    assert not soup.select(".output.traceback, .output.error, .output.stderr")
    assert soup.select("span.pasted-text"), f"{chapter}: no computed numbers pasted into the text"


def test_glued_numbers_are_set_in_plain_type(built):
    """myst-nb sets glued text in bold; the book's stylesheet sets it back to the text's weight."""
    css = built["book"] / "_static" / "custom.css"
    assert "span.pasted-text" in css.read_text(encoding="utf-8")
    assert "font-weight: inherit" in css.read_text(encoding="utf-8")
    page = _soup(built["html"] / "chapters/02_overview.html")
    links = [a.get("href", "") for a in page.find_all("link")]
    assert any(href.split("?")[0].endswith("_static/custom.css") for href in links), links


def test_api_reference_documents_every_public_name(built):
    """Every name of ``massincidents.__all__`` has a rendered entry (an anchor) in the API."""
    import massincidents as mi

    anchors: set[str] = set()
    for page in API_PAGES:
        soup = _soup(built["html"] / f"{page}.html")
        assert not soup.select(".output.traceback, .output.error"), f"{page}: error output"
        anchors |= {tag["id"] for tag in soup.find_all(id=True)}
    public = [
        name for name in mi.__all__ if not name.startswith("_") and name not in {"datasets", "spec"}
    ]
    missing = [name for name in public if f"massincidents.{name}" not in anchors]
    assert not missing, f"public names without an entry in the API reference: {missing}"
    for name in ["datasets.load", "datasets.simulate_panel", "spec.load_spec", "spec.rerun"]:
        assert f"massincidents.{name}" in anchors, (
            f"massincidents.{name} is not in the API reference"
        )


# The ledger recomputes headline numbers of the grassroots chapter; where both pages print a
# number, the two must agree to the printed digits (the ledger glues them in the chapter's formats).
LEDGER_VS_GRASSROOTS = {
    "l_g_gdp_p": "k_gdp_p",
    "l_g_gdp_rw": "k_rw_gdp",
    "l_g_gdp10": "k_gdp10",
    "l_g_target_p": "k_target_p",
    "l_g_mayor": "k_mayor",
    "l_g_mayor_p": "k_mayor_p",
    "l_g_did": "s_simple",
    "l_g_did_se": "s_simple_se",
    "l_g_pre8_p": "s_pre8_p",
    "l_g_honest_bd": "h_avg_bd",
}


def _glued(built, chapter: str) -> dict[str, str]:
    import json

    path = built["book"] / "_build" / "jupyter_execute" / f"{chapter}.glue.json"
    outputs = json.loads(path.read_text(encoding="utf-8"))
    return {key: out["data"]["text/plain"] for key, out in outputs.items()
            if "text/plain" in out.get("data", {})}


def test_ledger_rows_of_the_grassroots_chapter_match_that_chapter(built):
    ledger, grassroots = _glued(built, "chapters/ledger"), _glued(built, "chapters/04b_grassroots")
    for ours, theirs in LEDGER_VS_GRASSROOTS.items():
        assert ledger[ours] == grassroots[theirs], (ours, ledger[ours], theirs, grassroots[theirs])
