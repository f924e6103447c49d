"""The specification-curve plot and the body of ``massincidents multiverse``."""

from __future__ import annotations

import doctest
import importlib
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.multiverse.command import run_multiverse_command

CHOICES = {
    "indicators": {"social": ["x1", "z"], "legal": ["x2"]},
    "families": ["poisson", "negbin"],
    "fixed_effects": [["unit", "time"], []],
    "exposure": ["population"],
}


@pytest.fixture(scope="module")
def curve(panel: pd.DataFrame) -> mi.multiverse.SpecificationCurve:
    return mi.specification_curve(panel, outcome="y", unit="province", time="year", choices=CHOICES)


def test_plot_layout(curve: mi.multiverse.SpecificationCurve) -> None:
    fig = curve.plot("social")
    top, bottom = fig.axes
    assert top.get_ylabel() == "Estimate for social\n(log rate ratio, 95% CI)"
    assert bottom.get_xlabel() == "Specification (ranked by estimate)"
    assert bottom.get_ylabel() == "Choice"
    assert top.get_title().startswith("social: 8 specifications, median")
    # top panel: one point per specification, sorted by estimate
    points = top.collections[1].get_offsets()
    assert len(points) == 8
    social = curve.table.loc[curve.table["term"] == "social", "estimate"]
    np.testing.assert_array_equal(points[:, 1], np.sort(social.to_numpy()))
    # dashboard: a row per value of each choice that varies (legal has one indicator: hidden)
    labels = [t.get_text() for t in bottom.get_yticklabels()]
    assert labels == [
        "social: x1",
        "social: z",
        "family: poisson",
        "family: negbin",
        "fixed effects: unit+time",
        "fixed effects: none",
    ]
    # every specification has exactly one marker in each choice group
    marks = [c.get_offsets() for c in bottom.collections]
    counts = [len(m) for m in marks]
    assert counts[0] + counts[1] == 8 and counts[2] + counts[3] == 8
    assert counts[4] + counts[5] == 8


def test_plot_of_unknown_term(curve: mi.multiverse.SpecificationCurve) -> None:
    with pytest.raises(KeyError, match="not a cause or measure"):
        curve.plot("system")


def test_command_writes_table_summary_and_plots(panel: pd.DataFrame, tmp_path) -> None:
    spec = SimpleNamespace(outcome_column="y", unit="province", time="year", multiverse=CHOICES)
    csv = tmp_path / "panel.csv"
    panel.drop(columns=["cohort", "event_time"]).to_csv(csv, index=False)
    run = run_multiverse_command(csv, spec, tmp_path / "out", n_jobs=1)
    out = tmp_path / "out"
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "choices.csv",
        "curve_legal.png",
        "curve_legal.svg",
        "curve_social.png",
        "curve_social.svg",
        "run.json",
        "specifications.csv",
        "summary.csv",
        "summary.md",
    ]
    assert set(run.files.values()) == set(out.iterdir())
    table = pd.read_csv(out / "specifications.csv", float_precision="round_trip")
    assert len(table) == 16
    # the file was read with read_panel: the same numbers as fitting the DataFrame
    direct = mi.specification_curve(panel, spec)
    np.testing.assert_allclose(table["estimate"], direct.table["estimate"], rtol=1e-10)
    summary = pd.read_csv(out / "summary.csv")
    assert summary["term"].tolist() == ["social", "legal"]
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "| term | n_specifications |" in md and "- specifications: 8 (0 failed" in md
    assert (out / "curve_social.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (out / "curve_social.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "Specification (ranked by estimate)" in svg
    choices = pd.read_csv(out / "choices.csv")
    assert len(choices) == 8 and "indicator: social" in choices.columns


def test_command_skips_plots_of_terms_without_estimates(panel: pd.DataFrame, tmp_path) -> None:
    df = panel.assign(constant=1.0)
    choices = {"indicators": {"social": ["x1"], "flat": ["constant"]}, "exposure": ["population"]}
    spec = SimpleNamespace(outcome_column="y", unit="province", time="year", multiverse=choices)
    run = run_multiverse_command(df, spec, tmp_path)
    assert "png: social" in run.files and "png: flat" not in run.files
    summary = pd.read_csv(tmp_path / "summary.csv").set_index("term")
    assert summary.loc["flat", "n_dropped"] == 1 and summary.loc["flat", "n_estimated"] == 0


@pytest.mark.parametrize(
    "name",
    [
        "massincidents.multiverse.choices",
        "massincidents.multiverse.engine",
        "massincidents.multiverse.curve",
        "massincidents.multiverse.command",
    ],
)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
