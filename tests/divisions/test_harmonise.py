"""``mi.harmonise_codes``: codes that changed mapped to one vintage, every change reported."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import massincidents as mi
from massincidents.divisions.table import changes


def _quiet(frame: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.UnmappedCodesWarning)
        return mi.harmonise_codes(frame, **kwargs)


# the prefecture-level changes of 2011-2017 named in PROVENANCE.md
PREFECTURE_CHANGES = {
    522400: (520500, 2011),  # Bijie 地区 -> 市
    522200: (520600, 2011),  # Tongren
    632100: (630200, 2013),  # Haidong
    542300: (540200, 2014),  # Shigatse
    542100: (540300, 2014),  # Chamdo
    542600: (540400, 2015),  # Nyingchi
    652100: (650400, 2015),  # Turpan
    469003: (460400, 2015),  # Danzhou: county-level -> prefecture-level city
    542200: (540500, 2016),  # Shannan
    652200: (650500, 2016),  # Hami
    542400: (540600, 2017),  # Nagqu
}


def test_prefecture_changes_to_2017_are_applied_and_reported() -> None:
    codes = [*PREFECTURE_CHANGES, 440300, 110000]
    frame = pd.DataFrame({"code": codes, "strikes": range(len(codes))})
    with warnings.catch_warnings():
        warnings.simplefilter("error", mi.UnmappedCodesWarning)
        out = mi.harmonise_codes(frame, to_year=2017)
    expected = [new for new, _year in PREFECTURE_CHANGES.values()] + [440300, 110000]
    assert out["code"].tolist() == expected
    assert out["strikes"].tolist() == frame["strikes"].tolist()
    report = out.attrs["code_changes"].set_index("old_code")
    assert set(report.index) == set(PREFECTURE_CHANGES)
    for old, (new, year) in PREFECTURE_CHANGES.items():
        assert report.loc[old, "new_code"] == new
        assert (
            f"{old} -> {new}" in report.loc[old, "steps"] and str(year) in report.loc[old, "steps"]
        )
        assert report.loc[old, "rows"] == 1
    assert out.attrs["unmapped"].empty


def test_backward_to_2010() -> None:
    frame = pd.DataFrame({"code": [520500, 650500, 460400, 460300]})
    out = _quiet(frame, to_year=2010)
    assert out["code"].tolist()[:3] == [522400, 652200, 469003]
    assert pd.isna(out["code"].iloc[3])  # Sansha, created in 2012
    unmapped = out.attrs["unmapped"].set_index("code")
    assert unmapped.loc[460300, "reason"] == "created in 2012"


def test_chaohu_split_is_refused_unless_asked_for_the_seat() -> None:
    frame = pd.DataFrame({"code": [341400, 341400, 340100]})
    with pytest.warns(mi.UnmappedCodesWarning, match="2 rows"):
        out = mi.harmonise_codes(frame, to_year=2017)
    assert out["code"].isna().tolist() == [True, True, False]
    reason = out.attrs["unmapped"].set_index("code").loc[341400, "reason"]
    assert reason.startswith("split in 2011 into 340100 合肥市, 340200 芜湖市, 340500 马鞍山市")
    assert out.attrs["unmapped"].set_index("code").loc[341400, "rows"] == 2
    seat = mi.harmonise_codes(frame, to_year=2017, splits="seat")
    assert seat["code"].tolist() == [340100, 340100, 340100]
    assert "split 2011, to the seat" in seat.attrs["code_changes"]["steps"].item()


def test_county_changes_and_chains() -> None:
    frame = pd.DataFrame({"county": [370882, 522401, 500222, 321011, 130103]})
    out = _quiet(frame, to_year=2017, column="county", level="county")
    # 兖州市 -> 兖州区 2013; 毕节市 (county-level) -> 七星关区 2011; 綦江县 merged into 綦江区 2011;
    # 维扬区 merged into 邗江区 2011; 石家庄桥东区 split 2014-15 (not mapped)
    assert out["county"].tolist()[:4] == [370812, 520502, 500110, 321003]
    assert pd.isna(out["county"].iloc[4])
    # Danzhou at county level: no counties under the prefecture-level city
    danzhou = _quiet(pd.DataFrame({"code": [469003]}), to_year=2017, level="county")
    assert danzhou["code"].isna().all()


def test_every_one_to_one_change_in_the_table_is_applied() -> None:
    table = changes()
    one = table[
        table["kind"].isin(["recoded", "upgraded", "renamed", "merged"])
        & (table["old_code"] != table["new_code"])
    ]
    for row in one.itertuples(index=False):
        frame = pd.DataFrame({"code": [int(row.old_code)]})
        out = _quiet(frame, to_year=int(row.year), level=row.level)
        assert out["code"].item() == row.new_code, row
        assert f"{row.old_code} -> {row.new_code}" in out.attrs["code_changes"]["steps"].item()


def test_unknown_and_missing_codes() -> None:
    frame = pd.DataFrame({"code": [999999, None, 110105]})
    with pytest.warns(mi.UnmappedCodesWarning):
        out = mi.harmonise_codes(frame, to_year=2015)
    assert out["code"].isna().tolist() == [True, True, False]
    assert out.attrs["unmapped"]["reason"].tolist() == ["unknown code"]
    with pytest.raises(KeyError, match="column"):
        mi.harmonise_codes(frame, column="pref")
    with pytest.raises(ValueError, match="splits"):
        mi.harmonise_codes(frame, splits="largest")
    with pytest.raises(ValueError, match="2010-2019"):
        mi.harmonise_codes(frame, to_year=2009)


def test_every_one_to_one_change_maps_back() -> None:
    table = changes()
    one = table[
        table["kind"].isin(["recoded", "upgraded", "renamed"])
        & (table["old_code"] != table["new_code"])
    ]
    predecessors = table.groupby(["level", "new_code"]).size()
    checked = 0
    for row in one.itertuples(index=False):
        if predecessors[(row.level, row.new_code)] != 1:
            continue
        frame = pd.DataFrame({"code": [int(row.new_code)]})
        out = _quiet(frame, to_year=int(row.year) - 1, level=row.level)
        assert out["code"].item() == row.old_code, row
        checked += 1
    assert checked > 200
