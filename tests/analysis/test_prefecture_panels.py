"""Checks of ``data/prefecture_year.csv`` and ``data/prefecture_month.csv``.

Built by ``analysis/08_prefecture_panels.py``. The table checks need only the
committed files (they compare the panels with ``clb_strikes``, ``mayor_spells``,
``divisions`` and ``province_year``); the rebuild runs only with the raw folder.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
YEARS = list(range(2011, 2018))
LOCATED = ("unique", "municipality", "prefecture_over_county_homonym")
COUNTS = [
    "strikes",
    "strikes_size_1_100",
    "strikes_size_100_1000",
    "strikes_size_1000_10000",
    "strikes_size_10000_plus",
    "strikes_size_unrecorded",
    "strikes_fuzzy",
]


@pytest.fixture(scope="module")
def years() -> pd.DataFrame:
    return pd.read_csv(DATA / "prefecture_year.csv")


@pytest.fixture(scope="module")
def months() -> pd.DataFrame:
    return pd.read_csv(DATA / "prefecture_month.csv")


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return pd.read_csv(DATA / "clb_strikes.csv", dtype={"prefecture": "Int64"})


@pytest.fixture(scope="module")
def roster() -> set[int]:
    div = pd.read_csv(DATA / "divisions.csv")
    pref = div[(div["level"] == "prefecture") & (div["valid_from"] <= 2017)]
    return set(pref.loc[pref["valid_to"] >= 2017, "code"].astype(int))


def test_zero_filled_over_the_2017_roster(
    years: pd.DataFrame, months: pd.DataFrame, roster: set[int]
) -> None:
    assert len(roster) == 367
    import massincidents as mi

    assert set(mi.prefectures(2017)["code"]) == roster  # the registry's roster of 2017
    assert set(years["prefecture"]) == set(months["prefecture"]) == roster
    assert len(years) == len(roster) * len(YEARS)
    assert len(months) == len(roster) * len(YEARS) * 12
    assert not years.duplicated(["prefecture", "year"]).any()
    assert not months.duplicated(["prefecture", "year", "month"]).any()
    for frame in (years, months):
        assert frame[COUNTS].notna().all().all()
        assert (frame[COUNTS] >= 0).all().all()
        assert (frame["province"] == frame["prefecture"] // 10000 * 10000).all()
    sizes = [c for c in COUNTS if c.startswith("strikes_size")]
    assert (years[sizes].sum(axis=1) == years["strikes"]).all()


def test_units_not_in_force_have_no_events(years: pd.DataFrame) -> None:
    dead = years[years["in_force"] == 0]
    assert set(dead["prefecture"]) == {460300, 659005, 659006, 659007, 659008, 659009}
    assert (dead[["strikes", "strikes_fuzzy"]] == 0).all().all()


def test_prefecture_sums_equal_province_counts_of_the_located_events(
    years: pd.DataFrame, events: pd.DataFrame
) -> None:
    located = events[events["location_status"].isin(LOCATED)]
    expected = located.groupby(["province", "year"]).size()
    got = years.groupby(["province", "year"])["strikes"].sum()
    got = got[got > 0]
    assert got.to_dict() == expected.to_dict()
    assert int(years["strikes"].sum()) == 7768 + 689 + 82  # PROVENANCE.md
    fuzzy = events[events["location_status"] == "fuzzy"].groupby(["province", "year"]).size()
    got_fuzzy = years.groupby(["province", "year"])["strikes_fuzzy"].sum()
    assert got_fuzzy[got_fuzzy > 0].to_dict() == fuzzy.to_dict()
    # never more than the province's own count (all statuses), which is province_year's
    by_province = years.groupby(["province", "year"]).agg(
        strikes=("strikes", "sum"), province_strikes=("province_strikes", "first")
    )
    assert (by_province["strikes"] <= by_province["province_strikes"]).all()
    py = pd.read_csv(DATA / "province_year.csv").set_index(["province", "year"])["strikes"]
    assert by_province["province_strikes"].to_dict() == py.loc[by_province.index].to_dict()


def test_every_event_is_accounted_for_by_status(years: pd.DataFrame, events: pd.DataFrame) -> None:
    by_status = events["location_status"].value_counts()
    in_panel = int(years["strikes"].sum() + years["strikes_fuzzy"].sum())
    outside = by_status.drop([*LOCATED, "fuzzy"]).sum()
    assert in_panel + outside == len(events) == 9210
    assert in_panel == int(events["prefecture"].notna().sum())
    record = json.loads(
        (DATA / "sources" / "prefecture_panels_accounting.json").read_text("utf-8")
    )
    assert record["located_events"] == int(years["strikes"].sum())
    assert record["fuzzy_events"] == int(years["strikes_fuzzy"].sum())


def test_months_add_up_to_years(years: pd.DataFrame, months: pd.DataFrame) -> None:
    summed = months.groupby(["prefecture", "year"])[COUNTS].sum().reset_index()
    merged = years[["prefecture", "year", *COUNTS]].merge(
        summed, on=["prefecture", "year"], suffixes=("", "_m")
    )
    for column in COUNTS:
        assert (merged[column] == merged[f"{column}_m"]).all(), column
    # an event's month: the monthly counts are the events' own months
    located = pd.read_csv(DATA / "clb_strikes.csv")
    located = located[located["location_status"].isin(LOCATED)]
    per_month = located.groupby(["prefecture", "year", "month"]).size()
    nonzero = months[months["strikes"] > 0].set_index(["prefecture", "year", "month"])
    assert nonzero["strikes"].to_dict() == per_month.to_dict()


def test_population_follows_the_stated_interpolation_rule(
    years: pd.DataFrame, months: pd.DataFrame
) -> None:
    p10, p20 = years["population_census_2010"], years["population_census_2020"]
    expected = (p10 * (p20 / p10) ** ((years["year"] - 2010) / 10)).round()
    known = years["population"].notna()
    assert known.sum() > 2400
    assert np.array_equal(expected[known].to_numpy(), years.loc[known, "population"].to_numpy())
    assert (years.loc[~known, "population_flag"] == "missing").all()
    assert (years.loc[known, "population_flag"] != "missing").all()
    anchors = years.drop_duplicates("prefecture").set_index("prefecture")
    m = months.join(
        anchors[["population_census_2010", "population_census_2020"]], on="prefecture"
    )
    k = (m["year"] - 2010) * 12 + m["month"] - 11
    ratio = m["population_census_2020"] / m["population_census_2010"]
    expected_m = (m["population_census_2010"] * ratio ** (k / 120)).round()
    ok = m["population"].notna()
    assert np.array_equal(expected_m[ok].to_numpy(), m.loc[ok, "population"].to_numpy())
    # November of each year in the monthly panel is the yearly value
    nov = months[months["month"] == 11].set_index(["prefecture", "year"])["population"]
    yearly = years.set_index(["prefecture", "year"])["population"]
    assert nov.dropna().to_dict() == yearly.dropna().to_dict()


def test_population_flags_and_the_laiwu_split(years: pd.DataFrame) -> None:
    flags = years.drop_duplicates("prefecture").set_index("prefecture")["population_flag"]
    assert flags[440300] == "interpolated_boundary_changed"  # Shenzhen, PROVENANCE's example
    assert flags[370100] == flags[371200] == "interpolated_split_from_2020_unit"
    anchors = years.drop_duplicates("prefecture").set_index("prefecture")
    # Jinan's 2020 census unit includes Laiwu: 9,202,432 (census_county_2020, row 济南市)
    assert anchors.loc[[370100, 371200], "population_census_2020"].sum() == 9202432
    # Laiwu in 2010: 1,298,529 (census_county_2010, row 莱芜市 371200)
    assert anchors.loc[371200, "population_census_2010"] == 1298529
    corps = [c for c in flags.index if 659001 <= c <= 659009]
    assert (flags[corps] == "missing").all()


def test_mayor_in_office_is_consistent_with_mayor_spells(
    years: pd.DataFrame, months: pd.DataFrame
) -> None:
    spells = pd.read_csv(DATA / "mayor_spells.csv")
    spells["start_m"] = spells["start_year"] * 12 + spells["start_month"] - 1
    spells["end_m"] = spells["end_year"] * 12 + spells["end_month"] - 1
    rows = months.dropna(subset=["mayor_id"]).merge(
        spells[["prefecture", "mayor_id", "start_m", "end_m", "censored_end", "start_year"]],
        on=["prefecture", "mayor_id"],
    )
    rows["m"] = rows["year"] * 12 + rows["month"] - 1
    starts_ok = (rows["start_m"] <= rows["m"]) | (
        rows["start_m"].isna() & (rows["start_year"] < rows["year"])
    )
    ends_ok = rows["censored_end"] | (rows["end_m"] >= rows["m"]) | rows["end_m"].isna()
    rows["covers"] = starts_ok & ends_ok
    covered = rows.groupby(["prefecture", "year", "month"])["covers"].any()
    assert covered.all()
    assert len(covered) == months["mayor_id"].notna().sum()
    tenure = rows[rows["covers"]].dropna(subset=["mayor_tenure_months"])
    assert (tenure["mayor_tenure_months"] == tenure["m"] - tenure["start_m"]).all()
    # a turnover month is the start month of a tenure in mayor_spells
    turn = months[months["mayor_turnover"] == 1]
    starts = set(
        zip(spells["prefecture"], spells["start_year"], spells["start_month"], strict=True)
    )
    assert all(
        k in starts for k in zip(turn["prefecture"], turn["year"], turn["month"], strict=True)
    )
    # the yearly panel's mayor is the monthly panel's July mayor
    july = months[months["month"] == 7].set_index(["prefecture", "year"])
    yearly = years.set_index(["prefecture", "year"])
    for column in ("mayor_id", "mayor_tenure_months", "mayor_education"):
        assert july[column].fillna(-1).equals(yearly[column].fillna(-1)), column
    first = turn.groupby(["prefecture", "year"])["month"].min()
    assert yearly["mayor_turnover_month"].dropna().astype(int).to_dict() == first.to_dict()
    assert (yearly.loc[first.index, "mayor_turnover"] == 1).all()


def test_growth_targets_have_no_placeholders(years: pd.DataFrame) -> None:
    target = years.dropna(subset=["gdp_growth_target"])
    assert set(target["year"]) == {2011, 2012}  # the file's 2013-2014 values are placeholders
    assert target.set_index(["prefecture", "year"]).loc[(440300, 2012), "gdp_growth_target"] == 10
    # plausible targets; the largest is the source's 33% for Kizilsu (653000) in 2012
    assert target["gdp_growth_target"].between(5, 33).all()


def test_rebuild_is_byte_identical(
    load_step: Callable[..., ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = load_step("08_prefecture_panels.py")
    common = sys.modules["_common"]
    try:
        paths = common.require_raw(*step.RAW.values())
    except common.RawDataMissing:
        pytest.skip("raw census and target files not available")
    years, months, _ = step.build(paths)
    monkeypatch.setattr(common, "DATA_DIR", tmp_path)
    for name, frame in (("prefecture_year", years), ("prefecture_month", months)):
        out = common.write_table(frame, name)
        assert out.read_bytes() == (DATA / f"{name}.csv").read_bytes(), name


def test_counts_agree_with_events_to_panel_of_the_registry(
    years: pd.DataFrame, events: pd.DataFrame
) -> None:
    """Cross-check with ``mi.events_to_panel(level="prefecture")`` (the registry's roster).

    The registry zero-fills over the codes in force each year, without moving
    codes to one vintage: the events placed on a 2017 code that a unit took only
    later (Turpan 650400 from 2015, Hami 650500 from 2016) are left out there,
    and counted here. Every other prefecture-year agrees.
    """
    import massincidents as mi
    from massincidents.errors import DataQualityWarning

    located = events[events["location_status"].isin(LOCATED)]
    with pytest.warns(DataQualityWarning, match="not valid in period"):
        registry = mi.events_to_panel(
            located[["province", "date", "prefecture"]],
            freq="year",
            level="prefecture",
            start=2011,
            end=2017,
        )
    left_out = registry.attrs["accounting"]["left_out"]
    assert sum(left_out.values()) == left_out["prefecture_not_valid_in_period"] == 4
    ours = years.set_index(["prefecture", "year"])["strikes"]
    common = registry.index.intersection(ours.index)
    assert (registry.loc[common, "count"] == ours.loc[common]).all()
    only_ours = ours.drop(common)
    assert only_ours[only_ours > 0].to_dict() == {
        (650400, 2014): 2,
        (650500, 2014): 1,
        (650500, 2015): 1,
    }
    assert (registry.drop(common)["count"] == 0).all()
