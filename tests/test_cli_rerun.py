"""massincidents rerun: files written, rows summarised, errors reported with exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

import massincidents as mi
from massincidents.cli import app

runner = CliRunner()

SPEC = """\
version: 1
data: {unit: province, time: year}
outcome: {count: y, exposure: population, window: [2003, 2010]}
causes:
  social: [x1]
  solving: []
  legal: []
  system: [x2]
measures:
  rule_of_law: []
  government_functions: []
  system_construction: []
  cadre_quality: []
  responsibility_system: []
  livelihood: [treated]
models: [poisson, negbin]
bootstrap: {reps: 99, seed: 5}
"""


def _files(tmp_path: Path) -> tuple[Path, Path]:
    df = mi.datasets.simulate_panel(31, 12, seed=8).rename(columns={"x2": "投资"})
    data = tmp_path / "panel.csv"
    df.to_csv(data, index=False)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    return data, spec


def test_rerun_writes_results_and_summarises_rows(tmp_path: Path) -> None:
    data, spec = _files(tmp_path)
    out = tmp_path / "out"
    args = [
        "rerun",
        "--data",
        str(data),
        "--spec",
        str(spec),
        "--out",
        str(out),
        "--map",
        "投资=x2",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "rows used and left out" in result.output
    assert "outside the window" in result.output and "124" in result.output  # 31 x 4 years
    assert "analysed" in result.output and "248" in result.output  # 31 x 8 years
    for name in ("report.html", "run.json", "tables/coefficients.csv", "figures/coefficients.svg"):
        assert (out / name).exists(), name
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["spec"]["mapping"] == {"投资": "x2"} and record["seed"] == 5
    assert record["inputs"]["spec"]["path"] == str(spec)
    coefs = pd.read_csv(out / "tables" / "coefficients.csv")
    assert set(coefs["term"]) == {"x1", "x2"}


def test_rerun_reports_spec_errors_with_lines(tmp_path: Path) -> None:
    data, spec = _files(tmp_path)
    spec.write_text(SPEC.replace("models:", "modles:"), encoding="utf-8")
    result = runner.invoke(app, ["rerun", "--data", str(data), "--spec", str(spec), "--out", "x"])
    assert result.exit_code == 2
    assert "line 16, column 1: unknown key 'modles'" in result.output
    assert "(did you mean 'models'?)" in result.output
    assert not Path("x").exists()


def test_rerun_reports_missing_columns_and_bad_maps(tmp_path: Path) -> None:
    data, spec = _files(tmp_path)
    out = str(tmp_path / "out")
    result = runner.invoke(app, ["rerun", "--data", str(data), "--spec", str(spec), "--out", out])
    assert result.exit_code == 2
    assert "column 'x2' is not in the data" in result.output and "line 8" in result.output
    bad = runner.invoke(
        app, ["rerun", "--data", str(data), "--spec", str(spec), "--out", out, "--map", "x2"]
    )
    assert bad.exit_code == 2 and "old=new" in bad.output
    code = runner.invoke(
        app,
        [
            "rerun",
            "--data",
            str(data),
            "--spec",
            str(spec),
            "--out",
            out,
            "--map",
            "投资=__import__('os')",
        ],
    )
    assert code.exit_code == 2 and "is not a plain column name" in code.output


def test_rerun_reports_data_errors(tmp_path: Path) -> None:
    _, spec = _files(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("province,year,y\nAtlantis,2005,3\n", encoding="utf-8")
    result = runner.invoke(app, ["rerun", "--data", str(bad), "--spec", str(spec), "--out", "o"])
    assert result.exit_code == 1 and "Atlantis" in result.output
