"""The HTML report and the table writers: self-contained, escaped, complete."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

import massincidents as mi
from massincidents.report import to_html, to_latex, to_markdown, write_table
from massincidents.spec import rerun

HOSTILE = "<script>alert('x')</script>"


def _spec(timing: bool) -> dict:
    spec = {
        "version": 1,
        "title": f"Report {HOSTILE}",
        "data": {"unit": "province", "time": "year"},
        "outcome": {"count": "y", "exposure": "population"},
        "causes": {
            "social": ["x1"],
            "solving": {"columns": [], "missing_reason": f"none here {HOSTILE}"},
            "legal": [],
            "system": ["x2"],
        },
        "measures": {m: [] for m in mi.spec.MEASURES},
        "specifications": [{"name": f"model {HOSTILE}", "terms": ["social", "system"]}],
        "models": ["poisson"],
        "mapping": {"<b>x1</b>": "x1"},
        "bootstrap": {"reps": 99, "seed": 1},
    }
    spec["measures"]["livelihood"] = ["treated"]
    if timing:
        spec["timing"] = {"cohort": "cohort", "outcome": "y_linear"}
    return spec


def _page(tmp_path: Path, timing: bool) -> str:
    df = mi.datasets.simulate_panel(31, 10, seed=6).rename(columns={"x1": "<b>x1</b>"})
    result = rerun(df, _spec(timing), tmp_path)
    assert "report.html" in result.files
    return (tmp_path / "report.html").read_text(encoding="utf-8")


def test_report_is_self_contained_and_escaped(tmp_path: Path) -> None:
    page = _page(tmp_path, timing=True)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
    assert "&lt;b&gt;x1&lt;/b&gt;" in page  # the mapping table, escaped
    assert not re.search(r"(?:src|href)\s*=\s*\"(?:https?:)?//", page)
    assert "<link" not in page and "@import" not in page
    images = re.findall(r'<img [^>]*src="([^"]{0,40})', page)
    assert len(images) == 3 and all(src.startswith("data:image/png;base64,") for src in images)
    for section in ("data", "causes", "timing", "measures", "notes", "record"):
        assert f'<section id="{section}">' in page
    assert "Callaway and Sant'Anna" in page and "not-yet-treated" in page
    assert "etable" in page and "wild" in page.lower()
    assert "counterfactual" in page.lower()


def test_report_says_when_timing_is_not_given(tmp_path: Path) -> None:
    page = _page(tmp_path, timing=False)
    assert "No adoption timing was specified" in page
    assert len(re.findall(r"<img ", page)) == 2
    # measures without columns are listed with the reason given
    assert "<b>rule_of_law</b>: no column given" in page


def test_table_writers_escape_their_formats(tmp_path: Path) -> None:
    df = pd.DataFrame({"term": ["a|b", "x_1 & 100%"], "estimate": [0.5, float("nan")]})
    md = to_markdown(df)
    assert "a\\|b" in md and md.splitlines()[1] == "|:--|--:|"
    tex = to_latex(df, caption="Cap_tion")
    assert r"x\_1 \& 100\%" in tex and r"\caption{Cap\_tion}" in tex
    assert "<td>a|b</td>" in to_html(df)
    paths = write_table(df, tmp_path, "t", caption="c")
    assert [p.name for p in paths] == ["t.csv", "t.tex", "t.md"]
    back = pd.read_csv(paths[0])
    assert back["estimate"].iloc[0] == 0.5 and back["term"].tolist() == df["term"].tolist()


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_tables_carry_no_raw_html_and_no_stray_pipes(tmp_path: Path) -> None:
    spec = _spec(timing=False)
    spec["specifications"][0]["name"] = f"model {HOSTILE} a|b"
    spec["causes"]["solving"]["missing_reason"] = f"none {HOSTILE} c|d \\ e"
    df = mi.datasets.simulate_panel(31, 10, seed=6).rename(columns={"x1": "<b>x1</b>"})
    rerun(df, spec, tmp_path / "out", report=False)
    for name in ("models.md", "indicators.md"):
        text = (tmp_path / "out" / "tables" / name).read_text(encoding="utf-8")
        assert "<script" not in text and "&lt;script&gt;" in text, name
        rows = [line for line in text.splitlines() if line.startswith("|")]
        assert len({_unescaped_pipes(line) for line in rows}) == 1, (name, rows)


def test_names_with_dollar_signs_are_drawn_as_written(tmp_path: Path) -> None:
    # matplotlib reads $...$ as mathematics: on main "$\frac$" crashed the figure
    spec = _spec(timing=False)
    spec["specifications"][0]["name"] = r"cost in $\frac$"
    result = rerun(mi.datasets.simulate_panel(31, 8, seed=6), spec, tmp_path / "out")
    assert "figures/coefficients.svg" in result.files


def test_two_reruns_in_threads_write_the_bytes_of_one_after_the_other(tmp_path: Path) -> None:
    # On main two reruns in threads crashed in matplotlib's mathtext parser (8 of 12
    # trials) or wrote SVG files with other ids (rcParams changed under the other thread).
    import threading

    df = mi.datasets.simulate_panel(31, 8, seed=6)
    spec = _spec(timing=False)
    spec["bootstrap"] = None
    serial = tmp_path / "serial"
    rerun(df, spec, serial)
    expected = {
        p.relative_to(serial).as_posix(): p.read_bytes()
        for p in serial.rglob("*")
        if p.is_file() and p.name != "run.json"
    }
    assert any(name.endswith(".svg") for name in expected)
    errors: list[BaseException] = []

    def run(folder: Path) -> None:
        try:
            rerun(df, spec, folder)
        except BaseException as err:  # reported by the main thread
            errors.append(err)

    for trial in range(4):
        folders = [tmp_path / f"trial{trial}_{k}" for k in range(2)]
        threads = [threading.Thread(target=run, args=(f,)) for f in folders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for folder in folders:
            for name, content in expected.items():
                assert (folder / name).read_bytes() == content, (trial, name)
