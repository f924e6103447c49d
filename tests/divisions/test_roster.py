"""``mi.prefectures`` and ``mi.counties``: the codes valid in each year."""

from __future__ import annotations

import pytest

import massincidents as mi
from massincidents.divisions.table import divisions

MUNICIPALITIES = {110000, 120000, 310000, 500000}


def test_spells_of_one_code_do_not_overlap() -> None:
    table = divisions().sort_values(["level", "code", "valid_from"])
    for (_level, _code), spells in table.groupby(["level", "code"]):
        assert (spells["valid_from"] <= spells["valid_to"]).all()
        assert (
            spells["valid_from"].iloc[1:].to_numpy() > spells["valid_to"].iloc[:-1].to_numpy()
        ).all()


@pytest.mark.parametrize("year", range(2010, 2020))
def test_every_county_belongs_to_a_prefecture_valid_that_year(year: int) -> None:
    prefectures = mi.prefectures(year)
    counties = mi.counties(year)
    assert prefectures["code"].is_unique and counties["code"].is_unique
    assert set(counties["prefecture_code"]) <= set(prefectures["code"])
    assert MUNICIPALITIES <= set(prefectures["code"])
    assert set(prefectures["province_code"]) == set(mi.provinces()["code"])
    # 333-334 prefecture-level units plus the municipalities and the xx90xx units
    ordinary = prefectures[~prefectures["type"].isin(["直辖市", "省直辖县级"])]
    assert 331 <= len(ordinary) <= 334


def test_validity_years_of_changed_codes() -> None:
    p = mi.prefectures()
    years = {
        int(r.code): (r.valid_from, r.valid_to)
        for r in p.itertuples()
        if r.code
        in {
            522400,
            520500,
            652100,
            650400,
            652200,
            650500,
            469003,
            460400,
            341400,
            460300,
            542400,
            540600,
            632100,
            630200,
        }
    }
    assert years == {
        522400: (2010, 2010),
        520500: (2011, 2019),
        652100: (2010, 2014),
        650400: (2015, 2019),
        652200: (2010, 2015),
        650500: (2016, 2019),
        469003: (2010, 2014),
        460400: (2015, 2019),
        341400: (2010, 2010),
        460300: (2012, 2019),
        542400: (2010, 2016),
        540600: (2017, 2019),
        632100: (2010, 2012),
        630200: (2013, 2019),
    }


def test_exonyms_and_types() -> None:
    p = mi.prefectures(2017).set_index("code")
    assert p.loc[150100, "name_en"] == "Hohhot"
    assert p.loc[653100, "name_en"] == "Kashgar"
    assert p.loc[653100, "type"] == "地区"
    assert p.loc[152900, "type"] == "盟"
    assert p.loc[513200, "type"] == "自治州" and p.loc[513200, "name_zh_short"] == "阿坝"
    assert p.loc[419001, "type"] == "省直辖县级"
    assert p.loc[211300, "pinyin"] == "chaoyang"
    c = mi.counties(2017).set_index("code")
    assert c.loc[150621, "type"] == "旗"
    assert c.loc[522701, "prefecture_code"] == 522700
    assert c.loc[110105, "prefecture_code"] == 110000
    assert c.loc[429021, "type"] == "林区" and c.loc[429021, "prefecture_code"] == 429021


# Year-end counts published by the Ministry of Civil Affairs (《2010年社会服务发展统计报告》,
# 《2017年社会服务发展统计公报》, section 行政区划): prefecture-level units by type and
# county-level units by type. The rosters are built from the code lists alone.
MCA_COUNTS = {
    2010: (
        {"地级市": 283, "地区": 17, "自治州": 30, "盟": 3},
        {"市辖区": 853, "县级市": 370, "县": 1461, "自治县": 117, "旗": 49, "自治旗": 3,
         "特区": 2, "林区": 1},
    ),
    2017: (
        {"地级市": 294, "地区": 7, "自治州": 30, "盟": 3},
        {"市辖区": 962, "县级市": 363, "县": 1355, "自治县": 117, "旗": 49, "自治旗": 3,
         "特区": 1, "林区": 1},
    ),
}  # fmt: skip


@pytest.mark.parametrize("year", sorted(MCA_COUNTS))
def test_counts_by_type_equal_the_ministrys_bulletins(year: int) -> None:
    prefecture_types, county_types = MCA_COUNTS[year]
    prefectures = mi.prefectures(year)
    ordinary = prefectures[~prefectures["type"].isin(["直辖市", "省直辖县级"])]
    assert ordinary["type"].value_counts().to_dict() == prefecture_types
    assert len(ordinary) == sum(prefecture_types.values())  # 333 and 334
    counties = mi.counties(year)
    assert counties["type"].value_counts().to_dict() == county_types
    assert len(counties) == sum(county_types.values())  # 2,856 and 2,851


def test_every_unit_has_a_pinyin_and_a_short_name() -> None:
    table = divisions()
    assert table["pinyin"].str.fullmatch(r"[a-z]+").all()
    assert (table["name_zh_short"].str.len() > 0).all()
    # the pinyin of 南 is "nan", which a CSV reader takes for a missing value by default
    assert mi.division_code("Nan Xian", province="Hunan") == 430921
