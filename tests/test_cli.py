"""The massincidents command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from massincidents.cli import analysis_steps, app

REPO_ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("reproduce", "validate", "datasets"):
        assert command in result.output


def test_datasets_list_describe_export(tmp_path) -> None:
    listed = runner.invoke(app, ["datasets", "list"])
    assert listed.exit_code == 0 and "clb_strikes" in listed.output
    described = runner.invoke(app, ["datasets", "describe", "national_incidents"])
    assert described.exit_code == 0 and "National counts" in described.output
    out = tmp_path / "ni.csv"
    exported = runner.invoke(app, ["datasets", "export", "national_incidents", str(out)])
    assert exported.exit_code == 0 and out.exists()
    unknown = runner.invoke(app, ["datasets", "describe", "nope"])
    assert unknown.exit_code == 2 and "available" in unknown.output


def test_validate_good_and_bad_files(tmp_path) -> None:
    good = tmp_path / "good.csv"
    pd.DataFrame(
        {
            "province": ["Beijing", "Tianjin", "Beijing", "Tianjin"],
            "year": [2010, 2010, 2011, 2011],
            "strikes": [1, 2, 3, 4],
        }
    ).to_csv(good, index=False)
    ok = runner.invoke(app, ["validate", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output and "4 province-years" in ok.output

    bad = tmp_path / "bad.csv"
    pd.DataFrame(
        {
            "province": ["Beijing", "Beijing", "Atlantis"],
            "year": [2010, 2010, 2011],
            "strikes": [1, -2, 3],
        }
    ).to_csv(bad, index=False)
    result = runner.invoke(app, ["validate", str(bad), "--counts", "strikes"])
    assert result.exit_code == 1
    assert "bad.csv" in result.output
    assert "Atlantis" in result.output


def test_analysis_steps_are_numbered_and_ordered() -> None:
    names = [p.name for p in analysis_steps(REPO_ROOT)]
    assert names == sorted(names) and names, names
    assert names[0].startswith("01_")


@pytest.mark.slow
def test_reproduce_without_raw_keeps_committed_tables(tmp_path, monkeypatch) -> None:
    """With no raw folder every data step says so and leaves data/ byte-identical."""
    clone = tmp_path / "clone"
    for part in ("analysis", "book", "data"):
        shutil.copytree(
            REPO_ROOT / part, clone / part, ignore=shutil.ignore_patterns("_build", "__pycache__")
        )
    shutil.copy(REPO_ROOT / "pyproject.toml", clone / "pyproject.toml")
    before = {p.name: p.read_bytes() for p in (clone / "data").glob("*.csv")}
    monkeypatch.setenv("MASSINCIDENTS_RAW", str(tmp_path / "no-raw-here"))
    result = runner.invoke(app, ["reproduce", "--root", str(clone), "--no-book"])
    assert result.exit_code == 0, result.output
    after = {p.name: p.read_bytes() for p in (clone / "data").glob("*.csv")}
    assert after == before
    log = (clone / "book" / "_build" / "reproduce.log").read_text(encoding="utf-8")
    assert "keep" in log.lower()


def test_datasets_export_refuses_a_missing_folder_or_a_folder(tmp_path) -> None:
    missing = runner.invoke(
        app, ["datasets", "export", "national_incidents", str(tmp_path / "no" / "ni.csv")]
    )
    assert missing.exit_code == 4, missing.output
    assert "does not exist" in missing.output and "Traceback" not in missing.output
    folder = tmp_path / "ni.csv"
    folder.mkdir()
    onto = runner.invoke(app, ["datasets", "export", "national_incidents", str(folder)])
    assert onto.exit_code == 4, onto.output
    assert "is a folder" in onto.output
    assert not (tmp_path / "no").exists() and list(folder.iterdir()) == []


def test_datasets_export_out_of_disk_leaves_the_file_as_it_was(tmp_path) -> None:
    import os
    import resource
    import subprocess
    import sys

    import massincidents as mi

    target = tmp_path / "panel.csv"
    target.write_text("the user's earlier copy\n", encoding="utf-8")

    def limit() -> None:  # what `ulimit -f 8` does: no file may grow past 8 KiB
        resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024, 8 * 1024))

    code = "from massincidents.cli import app; import sys; app(args=sys.argv[1:])"
    env = {**os.environ, "PYTHONPATH": str(Path(mi.__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", code, "datasets", "export", "province_year", str(target)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=limit,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "could not be written" in done.stderr and "Traceback" not in done.stderr
    assert target.read_text(encoding="utf-8") == "the user's earlier copy\n"
    assert [p.name for p in tmp_path.iterdir()] == ["panel.csv"]


def test_validate_text_option_keeps_a_column_as_text(tmp_path) -> None:
    # read_panel's hint names text=[...]; the command has the same option.
    path = tmp_path / "bands.csv"
    pd.DataFrame(
        {
            "province": ["Beijing", "Tianjin", "Hebei"],
            "year": [2010, 2010, 2010],
            "size_band": ["100-999", ">10000", "1000"],
        }
    ).to_csv(path, index=False)
    refused = runner.invoke(app, ["validate", str(path)])
    assert refused.exit_code == 1 and "size_band" in refused.output
    ok = runner.invoke(app, ["validate", str(path), "--text", "size_band"])
    assert ok.exit_code == 0, ok.output
