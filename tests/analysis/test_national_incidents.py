"""Checks of ``data/national_incidents.csv``, built by ``analysis/02_national_incidents.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "data" / "national_incidents.csv"
COMPARABLE = {"mass_incidents_1993_2004", "participants_1993_2004"}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(TABLE, keep_default_na=False, na_values=[""])


def test_rows_and_key(table: pd.DataFrame) -> None:
    assert len(table) == 16
    assert not table.duplicated(["year", "unit"]).any()
    assert table["year"].between(1993, 2010).all()
    assert set(table["unit"]) == {"incidents", "participants"}
    assert set(table["status"]) == {"verified", "unverified"}
    assert (table["value"] > 0).all()
    assert table[["year", "unit"]].apply(tuple, axis=1).is_monotonic_increasing


def test_known_figures(table: pd.DataFrame) -> None:
    value = table.set_index(["year", "unit"])["value"]
    assert value[(1993, "incidents")] == 8700
    assert value[(2004, "incidents")] == 74000
    assert value[(2004, "participants")] == 3_700_000
    assert value[(2005, "incidents")] == 87000
    assert value[(2006, "incidents")] == 23000


def test_2005_and_2006_not_comparable(table: pd.DataFrame) -> None:
    row = table.set_index(["year", "unit"])
    assert row.loc[(2005, "incidents"), "series"] == "public_order_disturbances_2005"
    assert row.loc[(2006, "incidents"), "series"] == "mass_incidents_narrow_2006"
    assert row.loc[(2005, "incidents"), "comparable_1993_2004"] == 0
    assert row.loc[(2006, "incidents"), "comparable_1993_2004"] == 0
    assert (table.loc[table["year"] > 2004, "comparable_1993_2004"] == 0).all()


def test_series_flags(table: pd.DataFrame) -> None:
    comparable = table["comparable_1993_2004"] == 1
    assert (comparable == table["series"].isin(COMPARABLE)).all()
    assert table.loc[comparable, "year"].between(1993, 2004).all()
    assert (table.loc[table["unit"] == "participants", "series"] == "participants_1993_2004").all()
    assert table["official"].isin([0, 1]).all()
    assert set(table.loc[table["official"] == 0, "year"]) == {2008, 2010}
    unverified = set(table.loc[table["status"] == "unverified", "year"])
    assert unverified == {1997, 1998, 1999, 2002, 2008, 2010}


def test_sources_resolved_and_short(table: pd.DataFrame) -> None:
    assert table["source"].notna().all()
    assert not table["source"].str.contains("same as above", case=False).any()
    assert (table["source"].str.len() <= 90).all()


def test_rebuild_is_byte_identical(
    load_step: Callable[..., ModuleType], rebuild_table: Callable[..., Path]
) -> None:
    step = load_step("02_national_incidents.py")
    out = rebuild_table(
        (step.RAW_FILE,),
        lambda paths: step.build(*paths),
        "national_incidents",
        "raw national counts not available",
    )
    assert out.read_bytes() == TABLE.read_bytes()
