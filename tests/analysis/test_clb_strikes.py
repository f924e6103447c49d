"""Checks of the committed ``data/clb_strikes.csv`` (built by ``analysis/01_clb_strikes.py``).

The table checks need only the committed files; the rebuild check runs only
where the raw folder is present.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from massincidents.provinces import MAINLAND_CODES

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
TABLE = DATA / "clb_strikes.csv"

# Events per year after removing exact duplicates. Computed once, independently of
# the build step, with plain pandas on the raw exports:
#   x = pd.concat(pd.read_excel(f) for f in sorted(glob("raw/clb_strike_map/clb_*.xlsx")))
#   x.drop_duplicates()["Date"].str[:4].value_counts().sort_index()
# (9,224 raw rows, 14 exact duplicates, 9,210 events.)
EVENTS_PER_YEAR = {
    2011: 184,
    2012: 382,
    2013: 645,
    2014: 1358,
    2015: 2770,
    2016: 2657,
    2017: 1214,
}
SIZE_ORDER = ["1-100", "100-1000", "1000-10000", "10000+"]
INDUSTRIES = {
    "Construction",
    "Manufacturing",
    "Transportation",
    "Services",
    "Education",
    "Mining",
    "Retail",
    "Other",
}
OWNERSHIP = {
    "Private Enterprise",
    "State-Owned Enterprise",
    "Foreign-Owned Enterprise",
    "Hong Kong / Macau / Taiwan-Owned Enterprise",
    "Joint Venture",
    "Unknown",
}
PREFIXES = ("action", "demand", "response")
LOCATION_STATUSES = {
    "unique",
    "municipality",
    "prefecture_over_county_homonym",
    "fuzzy",
    "ambiguous",
    "prefecture_in_other_province",
    "province_only",
    "province_unknown",
}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(
        TABLE,
        dtype={"province": "Int64", "size_rank": "Int64", "prefecture": "Int64", "county": "Int64"},
    )


def test_rows_and_key(table: pd.DataFrame) -> None:
    assert len(table) == sum(EVENTS_PER_YEAR.values()) == 9210
    assert table["event_id"].tolist() == list(range(1, len(table) + 1))
    assert table["date"].is_monotonic_increasing


def test_events_per_year(table: pd.DataFrame) -> None:
    assert table["year"].value_counts().sort_index().to_dict() == EVENTS_PER_YEAR


def test_dates_consistent(table: pd.DataFrame) -> None:
    dates = pd.to_datetime(table["date"], format="%Y-%m-%d")
    assert (dates.dt.year == table["year"]).all()
    assert (dates.dt.month == table["month"]).all()
    assert dates.min() == pd.Timestamp("2011-01-10")
    assert dates.max() == pd.Timestamp("2017-12-21")


def test_no_free_text(table: pd.DataFrame) -> None:
    lowered = {c.lower() for c in table.columns}
    for forbidden in ("title", "description", "employer"):
        assert not any(forbidden in c for c in lowered)
    text_columns = set(table.select_dtypes(include="object").columns)
    assert text_columns <= {"date", "size_band", "industry", "ownership", "location_status"}
    assert set(table["location_status"]) <= set(LOCATION_STATUSES)
    assert set(table["industry"].dropna()) <= INDUSTRIES
    assert set(table["ownership"].dropna()) <= OWNERSHIP


def test_provinces(table: pd.DataFrame) -> None:
    known = table["province"].dropna()
    assert known.isin(MAINLAND_CODES).all()
    assert (table["province"].isna() == (table["province_unknown"] == 1)).all()
    assert int(table["province_unknown"].sum()) == 7
    assert table["province_unknown"].isin([0, 1]).all()


def test_size_bands_ordered(table: pd.DataFrame) -> None:
    assert set(table["size_band"].dropna()) <= set(SIZE_ORDER)
    rank = table["size_band"].map({b: i + 1 for i, b in enumerate(SIZE_ORDER)})
    assert (rank.astype("Int64").fillna(0) == table["size_rank"].fillna(0)).all()
    assert int(table["size_band"].isna().sum()) == 347


def test_indicators(table: pd.DataFrame) -> None:
    for prefix in PREFIXES:
        cols = [c for c in table.columns if c.startswith(f"{prefix}_")]
        assert f"{prefix}_other" in cols and len(cols) >= 5
        assert table[cols].isin([0, 1]).all().all()
        assert (table[cols].sum(axis=1) == table[f"n_{prefix}"]).all()
    # every event has some coded action or demand recorded, bar a few empty cells
    assert (table["n_action"] == 0).sum() < 100
    assert (table["n_demand"] == 0).sum() < 100
    assert table["demand_wage_arrears"].sum() > table["demand_pay_increase"].sum()


def test_accounting_record(table: pd.DataFrame) -> None:
    record = json.loads((DATA / "sources" / "clb_strikes_accounting.json").read_text("utf-8"))
    assert record["raw_rows"] == 9224
    assert record["exact_duplicates_removed"] == 14
    assert record["rows_written"] == len(table)
    assert record["unknown_province_kept"] == 7
    assert {int(k): v for k, v in record["rows_written_per_year"].items()} == EVENTS_PER_YEAR


def test_split_cell_maps_free_text_to_other(load_step: Callable[..., ModuleType]) -> None:
    step = load_step("01_clb_strikes.py")
    found, n_other = step.split_cell(
        "Strike, sit-in,  threaten to jump off building,", step.ACTIONS
    )
    assert found == {"action_strike", "action_sit_in"}
    assert n_other == 1
    assert step.split_cell(float("nan"), step.ACTIONS) == (set(), 0)


def test_rebuild_is_byte_identical(
    load_step: Callable[..., ModuleType], rebuild_table: Callable[..., Path]
) -> None:
    step = load_step("01_clb_strikes.py")
    out = rebuild_table(
        step.RAW_FILES,
        lambda paths: step.build(paths)[0],
        "clb_strikes",
        "raw CLB exports not available",
    )
    assert out.read_bytes() == TABLE.read_bytes()
