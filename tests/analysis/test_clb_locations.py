"""Prefecture, county and location status of the CLB events (``data/clb_strikes.csv``).

Built by ``analysis/01_clb_strikes.py`` from the match file
``raw/clb_strike_map/derived_clb_event_prefecture_county_2011_2017.csv``. The
table checks need only the committed files; the checks against the match file
and its coverage table run only where the raw folder is present.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
MAP = "clb_strike_map/derived_clb_event_prefecture_county_2011_2017.csv"
COVERAGE = "clb_strike_map/derived_clb_location_coverage_by_year.csv"

# Distinct events by the match file's `pref_status`, as stated in PROVENANCE.md
# (section "below the province"): unique 7,768, municipality 689,
# prefecture_over_county_homonym 82, fuzzy 48, ambiguous_several_prefectures 49,
# weak_only 25 + none 549 (province-only text, which includes the 7 events of
# unknown province and those naming only a prefecture of another province).
PROVENANCE_COUNTS = {
    "unique": 7768,
    "municipality": 689,
    "prefecture_over_county_homonym": 82,
    "fuzzy": 48,
    "ambiguous": 49,
}
PROVENANCE_NO_PLACE = 25 + 549
WITH_PREFECTURE = {"unique", "municipality", "prefecture_over_county_homonym", "fuzzy"}
WITHOUT_PREFECTURE = {
    "ambiguous",
    "prefecture_in_other_province",
    "province_only",
    "province_unknown",
}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(
        DATA / "clb_strikes.csv",
        dtype={"province": "Int64", "prefecture": "Int64", "county": "Int64"},
    )


def _raw(relative: str) -> Path:
    """Path of a raw file (``$MASSINCIDENTS_RAW`` or ``../shared/data/raw``); skip without it."""
    sys.path.insert(0, str(ROOT / "analysis"))
    import _common

    try:
        return _common.require_raw(relative)[0]
    except _common.RawDataMissing:
        pytest.skip(f"raw file {relative} not available")


def test_every_event_has_one_status_and_the_counts_add_up(table: pd.DataFrame) -> None:
    counts = table["location_status"].value_counts().to_dict()
    assert table["location_status"].notna().all()
    assert set(counts) == WITH_PREFECTURE | WITHOUT_PREFECTURE
    assert sum(counts.values()) == len(table) == 9210
    for status, n in PROVENANCE_COUNTS.items():
        assert counts[status] == n, status
    no_place = sum(counts[s] for s in ("prefecture_in_other_province", "province_only"))
    assert no_place + counts["province_unknown"] == PROVENANCE_NO_PLACE
    assert counts["province_unknown"] == int(table["province_unknown"].sum()) == 7


def test_accounting_record_lists_the_statuses(table: pd.DataFrame) -> None:
    record = json.loads((DATA / "sources" / "clb_strikes_accounting.json").read_text("utf-8"))
    assert record["location_status"] == table["location_status"].value_counts().to_dict()
    assert record["county_matched"] == int(table["county"].notna().sum())


def test_prefecture_only_where_the_status_gives_one(table: pd.DataFrame) -> None:
    has = table["prefecture"].notna()
    assert (has == table["location_status"].isin(WITH_PREFECTURE)).all()
    located = table[has]
    assert (located["prefecture"] // 10000 == located["province"] // 10000).all()
    municipal = located["location_status"] == "municipality"
    assert (located.loc[municipal, "prefecture"] == located.loc[municipal, "province"]).all()
    assert set(located.loc[municipal, "province"]) == {110000, 120000, 310000, 500000}
    assert table.loc[~has, "county"].isna().all()


def test_county_matches_are_about_a_tenth(table: pd.DataFrame) -> None:
    share = table["county"].notna().mean()
    assert 0.09 < share < 0.11  # 926 of 9,210
    pairs = table.dropna(subset=["county"])
    same_prefecture = pairs["county"] // 100 == pairs["prefecture"] // 100
    municipal = pairs["prefecture"] % 10000 == 0
    same_municipality = pairs["county"] // 10000 == pairs["prefecture"] // 10000
    odd = pairs[~same_prefecture & ~(municipal & same_municipality)]
    assert set(zip(odd["county"], odd["prefecture"], strict=True)) <= {(469003, 460400)}


def test_events_and_match_file_rows_correspond_one_to_one(table: pd.DataFrame) -> None:
    """The distinct rows of the match file and the events carry the same places.

    Read independently of the build step: the match file's rows not marked as
    exact duplicates, with plain pandas, compared as a multiset of (date,
    province, prefecture, status) with the events.
    """
    raw = pd.read_csv(_raw(MAP), dtype=str, keep_default_na=False)
    distinct = raw[raw["exact_duplicate"] == "False"]
    assert len(distinct) == len(table) and len(raw) == len(table) + 14
    no_place = distinct["pref_status"].isin(["none", "weak_only"])
    elsewhere = distinct["names_prefecture_in_other_province"] != ""
    status = distinct["pref_status"].replace(
        {"ambiguous_several_prefectures": "ambiguous", "none": "x", "weak_only": "x"}
    )
    status = status.mask(no_place & elsewhere, "prefecture_in_other_province")
    status = status.mask(no_place & ~elsewhere, "province_only")
    status = status.mask(distinct["provcode"] == "", "province_unknown")
    county = distinct["county_code"].where(distinct["county_status"] == "unique", "")
    expected = Counter(
        zip(
            distinct["date"],
            distinct["provcode"],
            distinct["pref_code"],
            county,
            status,
            strict=True,
        )
    )

    def text(col: pd.Series) -> pd.Series:
        return col.astype("string").fillna("")

    got = Counter(
        zip(
            table["date"],
            text(table["province"]),
            text(table["prefecture"]),
            text(table["county"]),
            table["location_status"],
            strict=True,
        )
    )
    assert got == expected


def test_located_share_by_year_equals_the_coverage_table(table: pd.DataFrame) -> None:
    coverage = pd.read_csv(_raw(COVERAGE)).set_index("year")
    located = table["location_status"].isin(
        ["unique", "municipality", "prefecture_over_county_homonym"]
    )
    share = located.groupby(table["year"]).mean().round(4)
    assert share.to_dict() == coverage["prefecture"].to_dict()
    plus_fuzzy = (located | table["location_status"].eq("fuzzy")).groupby(table["year"]).mean()
    assert plus_fuzzy.round(4).to_dict() == coverage["plus_fuzzy"].to_dict()
    assert round(share[2011], 2) == 0.78 and round(share[2016], 2) == 0.96


def test_locate_refuses_a_missing_or_disagreeing_row(load_step: Callable[..., ModuleType]) -> None:
    step = load_step("01_clb_strikes.py")
    events = pd.DataFrame(
        {"_file": ["a.xlsx", "a.xlsx"], "_row": [0, 1], "Date": ["2011-01-10"] * 2}
        | {"Province": ["Guangdong", "Guangdong"]}
    )
    row = {
        "source_file": "a.xlsx",
        "date": "2011-01-10",
        "province_clb": "Guangdong",
        "provcode": "440000",
        "exact_duplicate": "False",
        "pref_code": "440300",
        "pref_status": "unique",
        "county_code": None,
        "county_status": "none",
        "names_prefecture_in_other_province": None,
    }
    both = pd.DataFrame([row | {"row_in_file": 0}, row | {"row_in_file": 1}])
    located = step.locate(events, both)
    assert located["prefecture"].tolist() == [440300, 440300]
    with pytest.raises(ValueError, match="no row in the match file"):
        step.locate(events, both.iloc[:1])
    with pytest.raises(ValueError, match="date differs"):
        step.locate(events, both.assign(date=["2011-01-10", "2011-01-11"]))
    with pytest.raises(ValueError, match="outside the event's province"):
        step.locate(events, both.assign(pref_code=["440300", "450100"]))
    ambiguous = both.assign(pref_status="ambiguous_several_prefectures")
    with pytest.raises(ValueError, match="where none is expected"):
        step.locate(events, ambiguous)
    unplaced = ambiguous.assign(pref_code=None)
    assert step.locate(events, unplaced)["location_status"].tolist() == ["ambiguous"] * 2
