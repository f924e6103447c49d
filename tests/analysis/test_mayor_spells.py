"""Checks of ``data/mayor_spells.csv`` (built by ``analysis/07_mayor_spells.py``).

The table checks need only the committed files; the checks against the raw
listing and the rebuild run only where the raw folder is present.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from pandas.api.types import is_bool_dtype, is_numeric_dtype

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
TABLE = DATA / "mayor_spells.csv"
RAW = "prefecture_leaders/wiebe_city_full_v14_prefecture_mayors_1990_2019.xlsx"


@pytest.fixture(scope="module")
def spells() -> pd.DataFrame:
    return pd.read_csv(TABLE)


@pytest.fixture(scope="module")
def roster_2017() -> set[int]:
    div = pd.read_csv(DATA / "divisions.csv")
    pref = div[(div["level"] == "prefecture") & (div["valid_from"] <= 2017)]
    return set(pref.loc[pref["valid_to"] >= 2017, "code"].astype(int))


def _raw(relative: str) -> Path:
    sys.path.insert(0, str(ROOT / "analysis"))
    import _common

    try:
        return _common.require_raw(relative)[0]
    except _common.RawDataMissing:
        pytest.skip(f"raw file {relative} not available")


def test_prefectures_are_on_the_2017_roster(spells: pd.DataFrame, roster_2017: set[int]) -> None:
    assert set(spells["prefecture"]) <= roster_2017
    assert (spells["prefecture"] // 10000 == spells["source_prefecture"] // 10000).all()
    assert 300 < spells["prefecture"].nunique() <= 330


def test_dates_are_ordered_and_consistent(spells: pd.DataFrame) -> None:
    start = spells["start_year"] * 12 + spells["start_month"]
    end = spells["end_year"] * 12 + spells["end_month"]
    both = start.notna() & end.notna()
    assert (start[both] <= end[both]).all()
    assert spells.loc[spells["censored_end"], ["end_year", "end_month", "end"]].isna().all().all()
    known = spells["start_month"].notna()
    iso = spells.loc[known, "start_year"].astype(int).astype(str) + "-" + spells.loc[
        known, "start_month"
    ].astype(int).astype(str).str.zfill(2) + "-01"
    assert (iso == spells.loc[known, "start"]).all()
    assert spells.loc[~known, "start"].isna().all()
    assert spells["start_month"].dropna().between(1, 12).all()


def test_gap_months_follow_from_the_dates(spells: pd.DataFrame) -> None:
    start = spells["start_year"] * 12 + spells["start_month"]
    end = spells["end_year"] * 12 + spells["end_month"]
    same = spells["prefecture"].eq(spells["prefecture"].shift())
    expected = (start - end.shift()).where(same)
    assert expected.fillna(-999).equals(spells["gap_months"].fillna(-999).astype(float))
    # one mayor at a time nearly always: overlaps are rare date errors
    assert (spells["gap_months"] < 0).sum() <= 25


def test_coded_fields_only(spells: pd.DataFrame) -> None:
    text = [
        c
        for c in spells.columns
        if not (is_numeric_dtype(spells[c]) or is_bool_dtype(spells[c]))
    ]
    assert set(text) == {"start", "end", "mayor_id"}  # no names, no free text
    assert spells["mayor_id"].str.fullmatch(r"M[0-9a-f]{10}").all()
    assert set(spells["education"].dropna()) <= set(range(1, 7))
    for flag in ("female", "native_province", "native_prefecture", "dates_differ"):
        assert set(spells[flag].dropna()) <= {0, 1}


def test_accounting_record(spells: pd.DataFrame) -> None:
    record = json.loads((DATA / "sources" / "mayor_spells_accounting.json").read_text("utf-8"))
    assert record["spells"] == len(spells)
    assert record["censored_spells"] == int(spells["censored_end"].sum())
    assert record["spells_whose_rows_disagree_on_dates"] == int(spells["dates_differ"].sum())


def test_choose_dates_prefers_the_date_after_the_previous_tenure(
    load_step: Callable[..., ModuleType],
) -> None:
    step = load_step("07_mayor_spells.py")
    # 朝阳 211300: rows give 2002-04 and 2010-08; the predecessor left in 2010-08.
    prev_end = 2010 * 12 + 8 - 1
    assert step.choose_start([(2002, 4), (2010, 8)], prev_end) == (2010, 8)
    # acting (1998-04) then formal (1999-01) appointment: the earlier one is kept
    assert step.choose_start([(1998, 4), (1999, 1)], 1998 * 12 + 3) == (1998, 4)
    assert step.choose_start([(2004, None), (2004, 10)], None) == (2004, 10)
    assert step.choose_end([(2008, 4), (2008, 5)], 2008 * 12 + 4) == (2008, 5)
    assert step.choose_end([(2008, 4), (2008, 9)], 2008 * 12 + 4) == (2008, 4)


def test_spells_are_the_runs_of_the_raw_listing(spells: pd.DataFrame) -> None:
    """Independently of the step: runs of the same name in consecutive listings."""
    raw = pd.read_excel(_raw(RAW)).dropna(subset=["name"])
    raw["code"] = raw["prefcode"].replace({110100: 110000, 120100: 120000, 231700: 232700})
    raw["code"] = raw["code"].replace({522400: 520500, 632100: 630200})
    raw = raw.sort_values(["code", "year"])
    runs = (raw["name"] != raw.groupby("code")["name"].shift()).sum()
    assert runs == len(spells)
    per_prefecture = raw.groupby("code")["name"].apply(lambda s: (s != s.shift()).sum())
    assert per_prefecture.to_dict() == spells.groupby("prefecture").size().to_dict()
    native = raw.groupby(["code", "year"])["Native"].first()
    assert native.sum() > 0  # the source's flag, compared below through the spells
    flagged = spells.groupby("prefecture")["native_prefecture"].sum()
    by_run = raw.assign(run=(raw["name"] != raw.groupby("code")["name"].shift()).cumsum())
    source = by_run.groupby(["code", "run"])["Native"].max().groupby("code").sum()
    assert flagged.astype(int).to_dict() == source.to_dict()


def test_rebuild_is_byte_identical(
    load_step: Callable[..., ModuleType], rebuild_table: Callable[..., Path]
) -> None:
    step = load_step("07_mayor_spells.py")
    out = rebuild_table((step.RAW,), lambda p: step.build(p)[0], "mayor_spells", "no raw")
    assert out.read_bytes() == TABLE.read_bytes()


def test_a_mayor_in_two_prefectures_at_once_is_flagged(spells: pd.DataFrame) -> None:
    """A transfer whose new post starts before the old one ends is flagged on both tenures.

    Counted month by month, independently of the build: on main 16 people were
    mayor of two prefectures at once (1-3 months, e.g. 420100 to 2015-01 and
    510100 from 2014-12), 12 of their months inside the 2011-2017 panels, and no
    column said so.
    """
    dated = spells.dropna(subset=["start_year", "start_month"])
    dated = dated[dated["censored_end"] | dated["end_month"].notna()]
    months: dict[tuple[str, int], set[int]] = {}
    for row in dated.itertuples():
        first = int(row.start_year) * 12 + int(row.start_month) - 1
        last = (
            2019 * 12 + 11
            if row.censored_end
            else int(row.end_year) * 12 + int(row.end_month) - 1
        )
        # the end month of a tenure is the successor's when one starts then (a hand-over)
        for m in range(first, last):
            months.setdefault((row.mayor_id, m), set()).add(row.Index)
    expected = pd.Series(0, index=spells.index)
    for rows in months.values():
        if len({spells.at[i, "prefecture"] for i in rows}) > 1:
            expected[list(rows)] = 1
    assert expected.sum() == 32
    pd.testing.assert_series_equal(
        spells["concurrent_other_post"], expected, check_names=False, check_dtype=False
    )
    record = json.loads((DATA / "sources" / "mayor_spells_accounting.json").read_text("utf-8"))
    assert record["spells_concurrent_with_the_same_mayors_other_post"] == 32


def test_the_panel_months_with_one_mayor_in_two_prefectures_are_flagged_spells(
    spells: pd.DataFrame,
) -> None:
    panel = pd.read_csv(DATA / "prefecture_month.csv")
    per_month = panel.dropna(subset=["mayor_id"]).groupby(["year", "month", "mayor_id"])
    twice = per_month["prefecture"].nunique()
    assert len(twice[twice > 1]) == 12
    flagged = set(spells.loc[spells["concurrent_other_post"] == 1, "mayor_id"])
    start = spells["start_year"] * 12 + spells["start_month"] - 1
    end = spells["end_year"] * 12 + spells["end_month"] - 1
    for year, month, person in twice[twice > 1].index:
        m = year * 12 + month - 1
        mine = spells["mayor_id"] == person
        # a move within the month (the old tenure ends, the new one starts, in month m)
        # is shown in both prefectures by the panels' rule; anything else is flagged
        moved = (mine & (end == m)).any() and (mine & (start == m)).any()
        assert moved or person in flagged, (year, month, person)
