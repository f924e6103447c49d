"""Checks of the committed ``data/leader_spells.csv`` (``analysis/03_leader_spells.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from massincidents.provinces import MAINLAND_CODES

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "data" / "leader_spells.csv"
MUNICIPALITIES = {110000, 120000, 310000, 500000}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(
        TABLE,
        dtype={c: "Int64" for c in ("end_year", "end_month", "native_province", "gap_months")},
    )


def test_rows_and_key(table: pd.DataFrame) -> None:
    # 329 tenures collapsed from provleader.csv (27 provinces) + 49 municipal tenures
    assert len(table) == 378
    assert (table["source"] == "provleader").sum() == 329
    assert not table.duplicated(["province", "role", "start"]).any()
    assert set(table["role"]) == {"secretary", "governor"}
    keys = ["province", "role", "start_year", "start_month", "name"]
    assert table[keys].apply(tuple, axis=1).is_monotonic_increasing


def test_provinces(table: pd.DataFrame) -> None:
    assert set(table["province"]) == set(MAINLAND_CODES)
    assert table.groupby("province")["role"].nunique().eq(2).all()
    municipal = table["source"] == "compiled_municipal"
    assert (table.loc[municipal, "province"].isin(MUNICIPALITIES)).all()
    assert not (table.loc[~municipal, "province"].isin(MUNICIPALITIES)).any()
    native = table["native_province"].dropna()
    assert native.isin(MAINLAND_CODES).all()


def test_dates(table: pd.DataFrame) -> None:
    start = pd.to_datetime(table["start"], format="%Y-%m-%d")
    end = pd.to_datetime(table["end"], format="%Y-%m-%d")
    assert (start.dt.day == 1).all() and (end.dropna().dt.day == 1).all()
    assert (start.dt.year == table["start_year"]).all()
    assert (start.dt.month == table["start_month"]).all()
    closed = end.notna()
    assert (end[closed].dt.year == table.loc[closed, "end_year"]).all()
    assert (end[closed].dt.month == table.loc[closed, "end_month"]).all()
    assert (start[closed] <= end[closed]).all()
    assert table["start_month"].between(1, 12).all()
    assert table["end_month"].dropna().between(1, 12).all()
    # every tenure overlaps the 1998-2018 window
    assert (table["start_year"] <= 2018).all()
    assert (table["end_year"].isna() | (table["end_year"] >= 1998)).all()


def test_censoring(table: pd.DataFrame) -> None:
    assert table["censored_end"].dtype == bool
    assert (table["censored_end"] == table["end"].isna()).all()
    assert table["end_year"].isna().eq(table["censored_end"]).all()
    assert (table.loc[table["censored_end"], "source"] == "provleader").all()
    # at most one running tenure per province and role, and it is the last one
    running = table[table["censored_end"]]
    assert not running.duplicated(["province", "role"]).any()
    last = table.groupby(["province", "role"])["start"].transform("max")
    assert (running["start"] == last[running.index]).all()


def test_ids_and_quality(table: pd.DataFrame) -> None:
    assert table.groupby("name")["leader_id"].nunique().eq(1).all()
    assert table.groupby("leader_id")["name"].nunique().eq(1).all()
    assert table["leader_id"].str.fullmatch(r"L[0-9a-f]{10}").all()
    quality = table.groupby("source")["source_quality"].agg(set).to_dict()
    assert quality == {
        "provleader": {"replication_data"},
        "compiled_municipal": {"verified", "knowledge"},
    }
    assert table["listed_outside_spell"].isin([0, 1]).all()


def test_gap_months(table: pd.DataFrame) -> None:
    start = table["start_year"] * 12 + table["start_month"]
    end = table["end_year"] * 12 + table["end_month"]
    previous = end.groupby([table["province"], table["role"]]).shift()
    expected = (start - previous).astype("Int64")
    assert expected.fillna(-999).eq(table["gap_months"].fillna(-999)).all()
    # most handovers are seamless (same or next month)
    assert table["gap_months"].dropna().between(0, 1).mean() > 0.8


def test_rebuild_is_byte_identical(
    load_step: Callable[..., ModuleType], rebuild_table: Callable[..., Path]
) -> None:
    step = load_step("03_leader_spells.py")
    out = rebuild_table(
        (step.PROVLEADER, step.MUNICIPAL, step.MUNICIPAL_DERIVED),
        lambda paths: step.build(*paths)[0],
        "leader_spells",
        "raw leader files not available",
    )
    assert out.read_bytes() == TABLE.read_bytes()
