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


# -- the output folder -----------------------------------------------------------------
SMALL_SPEC = SPEC.replace("models: [poisson, negbin]", "models: [poisson]").replace(
    "bootstrap: {reps: 99, seed: 5}\n", ""
)


def _small(tmp_path: Path) -> tuple[Path, Path]:
    data, spec = _files(tmp_path)
    spec.write_text(SMALL_SPEC, encoding="utf-8")
    return data, spec


def _rerun(data: Path, spec: Path, out: str, *extra: str):
    args = ["rerun", "--data", str(data), "--spec", str(spec), "--out", out, "--map", "投资=x2"]
    return runner.invoke(app, [*args, *extra])


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_links_inside_out_are_refused_and_never_written_through(tmp_path: Path) -> None:
    data, spec = _small(tmp_path)
    out = tmp_path / "out"
    assert _rerun(data, spec, str(out)).exit_code == 0
    outside = tmp_path / "outside.json"
    outside.write_text("precious", encoding="utf-8")
    (out / "run.json").unlink()
    (out / "run.json").symlink_to(outside)
    result = _rerun(data, spec, str(out))
    assert result.exit_code == 4, result.output
    assert "symbolic link" in result.output and "run.json" in result.output
    assert outside.read_text(encoding="utf-8") == "precious"
    # a tables folder that is a link to a folder outside
    import shutil

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "run.json").unlink()
    assert _rerun(data, spec, str(out)).exit_code == 4  # not a complete run: refused too
    shutil.rmtree(out)
    assert _rerun(data, spec, str(out)).exit_code == 0
    shutil.rmtree(out / "tables")
    (out / "tables").symlink_to(elsewhere)
    result = _rerun(data, spec, str(out))
    assert result.exit_code == 4 and "tables" in result.output
    assert list(elsewhere.iterdir()) == []


def test_an_empty_out_is_refused(tmp_path: Path, monkeypatch) -> None:
    data, spec = _small(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for bad in ("", "."):
        result = _rerun(data, spec, bad)
        assert result.exit_code == 4, result.output
        assert "wrote" not in result.output
    assert list(work.iterdir()) == []


def _no_fitting(monkeypatch) -> None:
    def fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was fitted before --out was checked")

    monkeypatch.setattr("massincidents.spec.engine._fit", fit)


def test_out_is_checked_before_any_model_is_fitted(tmp_path: Path, monkeypatch) -> None:
    data, spec = _small(tmp_path)
    _no_fitting(monkeypatch)
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("mine", encoding="utf-8")
    cases = [(a_file, "is a file"), (a_file / "out", "is not a folder"), (foreign, "thesis.tex")]
    if Path("/sys/kernel").is_dir():  # sysfs refuses new entries, even to root
        cases.append((Path("/sys/kernel/massincidents-out"), "cannot be written"))
    for out, why in cases:
        result = _rerun(data, spec, str(out))
        assert result.exit_code == 4, (out, result.output)
        assert why in result.output and "Traceback" not in result.output
    assert (foreign / "thesis.tex").read_text(encoding="utf-8") == "mine"


def test_a_concurrent_run_into_the_same_out_is_refused(tmp_path: Path, monkeypatch) -> None:
    import fcntl
    import os

    data, spec = _small(tmp_path)
    _no_fitting(monkeypatch)
    # the other run holds the lock beside --out (flock is per open file, as between processes)
    fd = os.open(tmp_path / ".out.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = _rerun(data, spec, str(tmp_path / "out"))
    finally:
        os.close(fd)
    assert result.exit_code == 4, result.output
    assert "another run is writing" in result.output


def test_nothing_estimated_exits_3_says_why_and_writes_nothing(tmp_path: Path) -> None:
    data, spec = _small(tmp_path)
    out = tmp_path / "out"
    assert _rerun(data, spec, str(out)).exit_code == 0
    before = _tree(out)
    for window, reason in (("[1990, 1995]", "no row has all"), ("[2005, 2005]", "")):
        spec.write_text(SMALL_SPEC.replace("[2003, 2010]", window), encoding="utf-8")
        result = _rerun(data, spec, str(out))
        assert result.exit_code == 3, result.output
        assert "no model could be estimated" in result.output
        assert "All causes: DataError" in result.output and reason in result.output
        assert "measure livelihood: treated: DataError" in result.output
        assert "wrote" not in result.output
        assert _tree(out) == before  # the previous run is left as it was


# -- user text is printed as written -----------------------------------------------------
def test_markup_in_user_text_is_printed_as_written(tmp_path: Path) -> None:
    # a column and a file name that Rich would read as markup (a crash on main)
    folder = tmp_path / "["
    folder.mkdir()
    panel = folder / "x].csv"
    pd.DataFrame(
        {"province": ["Beijing", "Tianjin"], "year": [2010, 2010], "[/red]": [1, 2]}
    ).to_csv(panel, index=False)
    result = runner.invoke(app, ["validate", str(panel)])
    assert result.exit_code == 0, result.output
    assert "[/red]" in result.output and "x].csv" in result.output
    # a cell with markup is shown with its brackets, not styled
    (tmp_path / "[link=file:x]bad[").mkdir()
    bad = tmp_path / "[link=file:x]bad[" / "link].csv"
    pd.DataFrame(
        {"province": ["[bold magenta]Gotham[/bold magenta]"], "year": [2010], "y": [1]}
    ).to_csv(bad, index=False)
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "[bold magenta]Gotham[/bold magenta]" in result.output
    assert "[link=file:x]bad[/link].csv" in result.output
    # a specification whose model is called [/] (printed in the models table)
    data, spec = _small(tmp_path)
    spec.write_text(
        SMALL_SPEC.replace(
            "models: [poisson]",
            "specifications:\n  - {name: '[/]', terms: [x1]}\n  - {name: '[red]b[/red]', "
            "terms: [x2]}\nmodels: [poisson]",
        ),
        encoding="utf-8",
    )
    result = _rerun(data, spec, str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "[/]" in result.output and "[red]b[/red]" in result.output


def test_a_specification_error_is_labelled_not_printed_as_markup(tmp_path: Path) -> None:
    data, spec = _small(tmp_path)
    spec.write_text(SMALL_SPEC.replace("models:", "modles:"), encoding="utf-8")
    result = _rerun(data, spec, str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "specification error" in result.output and "[red]" not in result.output
