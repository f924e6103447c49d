"""Bundled datasets load from a clone and from an installed wheel alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import massincidents as mi

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "clb_strikes",
    "province_year",
    "national_incidents",
    "national_legal",
    "leader_spells",
    "mayor_spells",
    "prefecture_year",
    "prefecture_month",
}


def test_list_names_all_processed_tables() -> None:
    assert set(mi.datasets.list()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_every_dataset(name: str) -> None:
    df = mi.datasets.load(name)
    assert len(df) > 0
    assert df.attrs["dataset"] == name
    if "province" in df.columns:
        codes = set(df["province"].dropna().astype(int))
        assert codes <= set(mi.provinces()["code"])


def test_province_year_is_indexed_by_province_and_year() -> None:
    df = mi.datasets.load("province_year")
    assert df.index.names == ["province", "year"]
    assert df.index.is_unique
    assert df.index.get_level_values("province").nunique() == 31


def test_dates_are_parsed() -> None:
    strikes = mi.datasets.load("clb_strikes")
    assert pd.api.types.is_datetime64_any_dtype(strikes["date"])


def test_unknown_dataset_names_the_available_ones() -> None:
    with pytest.raises(KeyError, match="available: clb_strikes"):
        mi.datasets.load("strikes")


def test_describe_includes_codebook_columns() -> None:
    text = mi.datasets.describe("clb_strikes")
    assert "China Labour Bulletin" in text
    assert "size_band" in text


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_export_round_trips(tmp_path, suffix: str) -> None:
    path = mi.datasets.export("national_incidents", tmp_path / f"out{suffix}")
    back = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel}[suffix](path)
    assert len(back) == len(mi.datasets.load("national_incidents"))


def test_export_rejects_unknown_format(tmp_path) -> None:
    with pytest.raises(ValueError, match="unsupported export format"):
        mi.datasets.export("national_incidents", tmp_path / "out.json")


@pytest.mark.slow
def test_loads_from_an_installed_wheel(tmp_path) -> None:
    """Build the wheel, install it into a bare folder, and load from there, not from the clone."""
    wheel_dir, site = tmp_path / "wheel", tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(wheel_dir),
            str(REPO_ROOT),
        ],
        check=True,
    )
    wheel = next(wheel_dir.glob("massincidents-*.whl"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import massincidents as mi; "
        "from massincidents.datasets import bundled; "
        "print(mi.__file__); print(bundled._data_root()); print(sorted(mi.datasets.list())); "
        "print(len(mi.datasets.load('clb_strikes')))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code, str(site)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.splitlines()
    assert out[0].startswith(str(site)), out
    assert out[1].startswith(str(site)), out
    assert eval(out[2]) == sorted(EXPECTED)
    assert int(out[3]) == len(mi.datasets.load("clb_strikes"))


def test_prefecture_and_county_codes_load_as_integers() -> None:
    strikes = mi.datasets.load("clb_strikes")
    assert str(strikes["prefecture"].dtype) == "Int64"
    assert str(strikes["county"].dtype) == "Int64"
    assert strikes.loc[strikes["event_id"] == 1, "prefecture"].item() == 440300


def test_prefecture_panels_are_indexed_by_their_keys() -> None:
    years = mi.datasets.load("prefecture_year")
    assert years.index.names == ["prefecture", "year"]
    assert years.index.is_unique and len(years) == 367 * 7
    months = mi.datasets.load("prefecture_month")
    assert months.index.names == ["prefecture", "year", "month"]
    assert months.index.is_unique and len(months) == 367 * 84
    assert int(months["strikes"].sum()) == int(years["strikes"].sum())


def test_prefecture_panel_exports_with_its_keys(tmp_path: Path) -> None:
    path = mi.datasets.export("prefecture_year", tmp_path / "py.csv")
    copy = pd.read_csv(path)
    assert list(copy.columns[:2]) == ["prefecture", "year"]
    assert len(copy) == 367 * 7
