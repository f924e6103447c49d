"""Every reader option a message names is a flag of `validate` and `rerun`; `spec init`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import massincidents as mi
from massincidents.cli import app
from massincidents.spec import default_spec, load_spec

runner = CliRunner()

SPEC = """\
version: 1
data: {unit: province, time: year}
outcome: {count: y, exposure: population}
causes: {social: [x1], solving: [], legal: [], system: [x2]}
measures: {rule_of_law: [], government_functions: [], system_construction: [],
           cadre_quality: [], responsibility_system: [], livelihood: []}
models: [poisson]
"""


def _long(tmp_path: Path) -> Path:
    """A long file whose keys are called place/period, with a second province column."""
    df = mi.datasets.simulate_panel(31, 6, seed=8).rename(
        columns={"province": "place", "year": "period"}
    )
    df["home"] = df["place"]
    path = tmp_path / "panel.csv"
    df.to_csv(path, index=False)
    return path


def _wide(tmp_path: Path) -> Path:
    """A yearbook table: provinces down, years across."""
    df = mi.datasets.simulate_panel(31, 4, seed=1)
    wide = df.pivot(index="province", columns="year", values="x1").reset_index()
    path = tmp_path / "wide.csv"
    wide.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("command", ["validate", "rerun"])
def test_reader_flags_exist_on_validate_and_rerun(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for flag in ("--layout", "--sheet", "--province", "--year", "--encoding", "--value-name"):
        assert flag in result.output, flag


def test_validate_passes_province_year_and_layout(tmp_path: Path) -> None:
    path = _long(tmp_path)
    chosen = runner.invoke(app, ["validate", str(path), "--province", "home", "--year", "period"])
    assert chosen.exit_code == 0, chosen.output
    assert "place" in chosen.output.split("columns:")[1]  # 'home' became the key, 'place' stays
    missing = runner.invoke(app, ["validate", str(path), "--province", "nope"])
    assert missing.exit_code == 1 and "no column named 'nope'" in missing.output
    wide = _wide(tmp_path)
    ok = runner.invoke(app, ["validate", str(wide), "--layout", "wide", "--value-name", "gdp"])
    assert ok.exit_code == 0, ok.output
    assert "31 provinces" in ok.output and "gdp" in ok.output
    refused = runner.invoke(app, ["validate", str(wide), "--layout", "wide_transposed"])
    assert refused.exit_code == 1 and "wide_transposed" in refused.output
    bad = runner.invoke(app, ["validate", str(wide), "--layout", "sideways"])
    assert bad.exit_code == 2 and "not a layout" in bad.output


def test_validate_sheet_by_number_reaches_the_reader(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(_long(tmp_path)), "--sheet", "0"])
    assert result.exit_code == 1
    assert "sheet=0 given, but this is not an Excel file" in result.output


def test_rerun_passes_reader_options(tmp_path: Path) -> None:
    data = _long(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    base = ["rerun", "--data", str(data), "--spec", str(spec), "--no-report"]
    ok = runner.invoke(
        app, [*base, "--out", str(tmp_path / "a"), "--province", "home", "--year", "period"]
    )
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "a" / "tables" / "coefficients.csv").exists()
    missing = runner.invoke(app, [*base, "--out", str(tmp_path / "b"), "--year", "nope"])
    assert missing.exit_code == 1 and "no column named 'nope'" in missing.output
    layout = runner.invoke(app, [*base, "--out", str(tmp_path / "c"), "--layout", "wide"])
    assert layout.exit_code == 1 and "layout='wide'" in layout.output
    sheet = runner.invoke(app, [*base, "--out", str(tmp_path / "d"), "--sheet", "0"])
    assert sheet.exit_code == 1 and "not an Excel file" in sheet.output


def test_spec_init_writes_the_commented_default_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "my_spec.yaml"
    result = runner.invoke(app, ["spec", "init", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#") and "# Derived indicators" in text
    assert load_spec(path).to_dict() == default_spec().to_dict()
    path.write_text("mine", encoding="utf-8")
    again = runner.invoke(app, ["spec", "init", str(path)])
    assert again.exit_code == 4 and "--force" in again.output
    assert path.read_text(encoding="utf-8") == "mine"
    forced = runner.invoke(app, ["spec", "init", str(path), "--force"])
    assert forced.exit_code == 0 and path.read_text(encoding="utf-8") == text
    folder = runner.invoke(app, ["spec", "init", str(tmp_path)])
    assert folder.exit_code == 4 and "folder" in folder.output


def test_spec_init_default_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["spec", "init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "spec.yaml").exists()
