"""massincidents multiverse: the spec's multiverse, its files, the same numbers as the API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

import massincidents as mi
from massincidents.cli import app
from massincidents.spec.software import software_versions

runner = CliRunner()

SPEC = """\
version: 1
data: {unit: province, time: year}
outcome: {count: y, exposure: population, window: [2003, 2010]}
transforms:
  log_x3: {log: x3}
causes:
  social: [x1, decoy]
  solving: []
  legal: []
  system: [x2]
measures:
  rule_of_law: []
  government_functions: []
  system_construction: []
  cadre_quality: []
  responsibility_system: []
  livelihood: []
models: [poisson]
multiverse:
  indicators:
    social: [x1, decoy]
    system: [x2, log_x3]
  families: [poisson, negbin]
  fixed_effects: [[unit, time], [unit]]
  windows: [[2003, 2010], [2005, 2010]]
"""


def _files(tmp_path: Path) -> tuple[Path, Path, pd.DataFrame]:
    df = mi.datasets.simulate_panel(31, 12, seed=8)
    rng = np.random.default_rng(1)
    df["decoy"] = rng.normal(size=len(df))
    df["x3"] = np.exp(rng.normal(size=len(df)))
    data = tmp_path / "panel.csv"
    df.rename(columns={"x1": "收入"}).to_csv(data, index=False)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    return data, spec, df


def test_multiverse_writes_the_curve_and_agrees_with_the_api(tmp_path: Path) -> None:
    data, spec, df = _files(tmp_path)
    out = tmp_path / "out"
    args = ["multiverse", "--data", str(data), "--spec", str(spec), "--out", str(out)]
    result = runner.invoke(app, [*args, "--map", "收入=x1", "--n-jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "32 specifications" in result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "choices.csv",
        "curve_social.png",
        "curve_social.svg",
        "curve_system.png",
        "curve_system.svg",
        "run.json",
        "specifications.csv",
        "summary.csv",
        "summary.md",
    ]
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["software"] == software_versions()
    table = pd.read_csv(out / "specifications.csv")
    assert len(table) == 64 and (table["status"] == "ok").all()
    # The derived indicator of the spec's transforms is the log of x3.
    assert set(table.loc[table["term"] == "system", "indicator"]) == {"x2", "log_x3"}
    # The same curve from the Python API on the frame itself.
    direct = mi.specification_curve(
        df.assign(log_x3=np.log(df["x3"])).query("2003 <= year <= 2010"),
        outcome="y",
        unit="province",
        time="year",
        choices=mi.spec.load_spec(spec).multiverse,
    ).table
    np.testing.assert_allclose(table["estimate"], direct["estimate"], rtol=1e-8)
    np.testing.assert_allclose(table["std_error"], direct["std_error"], rtol=1e-8)


def test_multiverse_needs_a_multiverse_section(tmp_path: Path) -> None:
    data, spec, _ = _files(tmp_path)
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text[: text.index("multiverse:")], encoding="utf-8")
    result = runner.invoke(
        app, ["multiverse", "--data", str(data), "--spec", str(spec), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "no multiverse section" in result.output


def test_multiverse_reports_a_bad_choice_with_its_line(tmp_path: Path) -> None:
    data, spec, _ = _files(tmp_path)
    spec.write_text(spec.read_text(encoding="utf-8").replace("families:", "famlies:"))
    result = runner.invoke(
        app, ["multiverse", "--data", str(data), "--spec", str(spec), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "famlies" in result.output and "line" in result.output


def _words(output: str) -> str:
    """The output with Rich's panel borders and line wrapping taken out."""
    return " ".join(output.replace("│", " ").split())


def _never_fit(monkeypatch) -> None:
    def fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("specifications were fitted before the options were checked")

    monkeypatch.setattr("massincidents.multiverse.command.specification_curve", fit)


def test_parallel_options_are_checked_before_fitting(tmp_path: Path, monkeypatch) -> None:
    import os
    import socket

    data, spec, _ = _files(tmp_path)
    _never_fit(monkeypatch)
    args = ["multiverse", "--data", str(data), "--spec", str(spec), "--out", str(tmp_path / "o")]
    cores = os.cpu_count() or 1
    for n_jobs in ("0", str(cores + 1), "10000", "-2"):
        result = runner.invoke(app, [*args, "--n-jobs", n_jobs])
        assert result.exit_code == 2, (n_jobs, result.output)
        assert f"--n-jobs {n_jobs}: use 1 to {cores}" in _words(result.output)
    # a port nobody listens on (taken from the system, then closed)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for address, why in (
        (f"tcp://127.0.0.1:{port}", "cannot reach the scheduler"),
        ("127.0.0.1:8786", "is not a Dask scheduler address"),
        ("tcp://127.0.0.1", "is not a Dask scheduler address"),
        ("tcp://127.0.0.1:99999", "is not a Dask scheduler address"),
    ):
        result = runner.invoke(app, [*args, "--scheduler", address])
        assert result.exit_code == 2, (address, result.output)
        assert why in _words(result.output)
    assert not (tmp_path / "o").exists()


def test_multiverse_out_is_checked_before_fitting(tmp_path: Path, monkeypatch) -> None:
    data, spec, _ = _files(tmp_path)
    _never_fit(monkeypatch)
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    for out, why in ((a_file, "is a file"), (tmp_path, "not the complete output")):
        result = runner.invoke(
            app, ["multiverse", "--data", str(data), "--spec", str(spec), "--out", str(out)]
        )
        assert result.exit_code == 4, result.output
        assert why in _words(result.output)
