"""The province registry and name normalisation."""

from __future__ import annotations

import glob
import io

import pandas as pd
import pytest

import massincidents as mi
from massincidents.provinces import normalise_provinces

# Every spelling of a province found in the raw files of ../shared/data/raw
# (CLB exports, NBS exports in GBK, population, GDP, wages, unemployment,
# income, fiscal and leader files), with the code it must map to. Written by
# hand and checked against GB/T 2260; the scan test below re-reads the raw
# files and fails if a new spelling appears that does not map.
RAW_SPELLINGS: dict[int, list[str]] = {
    110000: ["110000", "Beijing", "北京", "北京市"],
    120000: ["120000", "Tianjin", "天津", "天津市"],
    130000: ["13.0", "130000", "Hebei", "河北", "河北省"],
    140000: ["14.0", "140000", "Shanxi", "山西", "山西省"],
    150000: ["15.0", "150000", "Inner Mongolia", "Neimenggu", "内蒙古", "内蒙古自治区"],
    210000: ["21.0", "210000", "Liaoning", "辽宁", "辽宁省"],
    220000: ["22.0", "220000", "Jilin", "吉林", "吉林省"],
    230000: ["23.0", "230000", "Heilongjiang", "黑龙江", "黑龙江省"],
    310000: ["310000", "Shanghai", "上海", "上海市"],
    320000: ["32.0", "320000", "Jiangsu", "江苏", "江苏省"],
    330000: ["33.0", "330000", "Zhejiang", "浙江", "浙江省"],
    340000: ["34.0", "340000", "Anhui", "安徽", "安徽省"],
    350000: ["35.0", "350000", "Fujian", "福建", "福建省"],
    360000: ["36.0", "360000", "Jiangxi", "江西", "江西省"],
    370000: ["37.0", "370000", "Shandong", "山东", "山东省"],
    410000: ["41.0", "410000", "Henan", "河南", "河南省"],
    420000: ["42.0", "420000", "Hubei", "湖北", "湖北省"],
    430000: ["43.0", "430000", "Hunan", "湖南", "湖南省"],
    440000: ["44.0", "440000", "Guangdong", "广东", "广东省"],
    450000: ["45.0", "450000", "Guangxi", "Guangxi,", "广西", "广西壮族自治区"],
    460000: ["46.0", "460000", "Hainan", "海南", "海南省"],
    500000: ["500000", "Chongqing", "重庆", "重庆市"],
    510000: ["51.0", "510000", "Sichuan", "四川", "四川省"],
    520000: ["52.0", "520000", "Guizhou", "贵州", "贵州省"],
    530000: ["53.0", "530000", "Yunnan", "云南", "云南省"],
    540000: ["54.0", "540000", "Tibet", "Xizang", "西藏", "西藏自治区"],
    610000: ["61.0", "610000", "Shaanxi", "Shannxi", "陕西", "陕西省"],
    620000: ["62.0", "620000", "Gansu", "甘肃", "甘肃省"],
    630000: ["63.0", "630000", "Qinghai", "青海", "青海省"],
    640000: ["64.0", "640000", "Ningxia", "宁夏", "宁夏回族自治区"],
    650000: ["65.0", "650000", "Xinjiang", "新疆", "新疆维吾尔自治区"],
}

OTHER_SPELLINGS: list[tuple[object, int]] = [
    ("Nei Mongol", 150000),
    ("Inner Mongolia Autonomous Region", 150000),
    ("  Tibet ", 540000),
    ("Tibet Autonomous Region", 540000),
    ("guangdong province", 440000),
    ("GUANGDONG", 440000),
    ("Beijing Municipality", 110000),
    ("Xinjiang Uygur Autonomous Region", 650000),
    ("Ningxia Hui Autonomous Region", 640000),
    ("Guangxi Zhuang Autonomous Region", 450000),
    ("北京 ", 110000),
    ("广东省，", 440000),  # full-width comma after the name
    ("Shaanxi Province", 610000),
    ("Shanxi Province", 140000),
    (150000, 150000),
    (15, 150000),
    (15.0, 150000),
    ("15", 150000),
]


@pytest.mark.parametrize(
    ("spelling", "code"),
    [(s, c) for c, spellings in RAW_SPELLINGS.items() for s in spellings] + OTHER_SPELLINGS,
)
def test_spelling_maps_to_code(spelling: object, code: int) -> None:
    assert mi.province_code(spelling) == code


def test_shanxi_and_shaanxi_are_distinct() -> None:
    assert mi.province_code("Shanxi") == 140000
    assert mi.province_code("Shaanxi") == 610000
    assert mi.province_code("Shannxi") == 610000


def test_registry_has_31_mainland_provinces_with_nbs_regions() -> None:
    table = mi.provinces()
    assert len(table) == 31
    assert table["code"].is_unique
    assert set(table.columns) >= {"code", "name_zh", "name_en", "pinyin", "region"}
    # NBS: 10 eastern, 6 central, 12 western, 3 northeastern provinces.
    assert table["region"].value_counts().to_dict() == {
        "west": 12,
        "east": 10,
        "central": 6,
        "northeast": 3,
    }
    assert table.loc[table.code == 150000, "name_zh"].item() == "内蒙古自治区"
    assert table.loc[table.code == 450000, "name_zh"].item() == "广西壮族自治区"


@pytest.mark.parametrize(
    ("name", "code"), [("Hong Kong", 810000), ("澳门", 820000), ("台湾", 710000)]
)
def test_outside_mainland_is_recognised_not_mainland(name: str, code: int) -> None:
    assert mi.province_code(name) == code
    assert not mi.is_mainland(code)
    assert code not in set(mi.provinces()["code"])
    assert code in set(mi.provinces(include_outside=True)["code"])


@pytest.mark.parametrize("bad", ["Guandong", "Sichaun", "Atlantis", "0", "999999", 12.5, None, ""])
def test_unknown_province_raises_with_suggestions(bad: object) -> None:
    with pytest.raises(mi.UnknownProvinceError) as info:
        mi.province_code(bad)
    assert isinstance(info.value, ValueError)


def test_unknown_names_closest_matches() -> None:
    with pytest.raises(mi.UnknownProvinceError, match="Guangdong"):
        mi.province_code("Guandong")
    with pytest.raises(mi.UnknownProvinceError, match="Sichuan"):
        mi.province_code("Sichaun")


def test_normalise_provinces_marks_unknown_rows() -> None:
    codes, unknown = normalise_provinces(pd.Series(["广东", "0", None, "Tibet"]))
    assert codes.tolist()[0] == 440000 and codes.tolist()[3] == 540000
    assert unknown.tolist() == [False, True, True, False]


# Cells in province columns of the raw files that are not provinces, and why.
NOT_PROVINCES = {"0"}  # CLB: province unknown


def _raw_province_cells(raw) -> set[str]:
    cells: set[str] = set()
    for path in sorted(glob.glob(str(raw / "clb_strike_map" / "clb_*.xlsx"))):
        cells |= set(map(str, pd.read_excel(path)["Province"].dropna().unique()))
    for rel in ["wages_cpi_2001_2019/Economy2.csv", "unemployment/2020data_nocovid.csv"]:
        cells |= set(map(str, pd.read_csv(raw / rel)["Province"].unique()))
    for rel in [
        "population/geog458_population_2000-2017.csv",
        "population/phl43_population_2010-2019.csv",
    ]:
        cells |= set(map(str, pd.read_csv(raw / rel)["Region"]))
    cells |= set(pd.read_csv(raw / "gdp/gdp_1992_2020_kaggle_en.csv").columns[1:])
    for rel in ["gdp/tobby-star_gdp_1993-2017_gbk.csv", "gdp/renjiyi163_gdp_2006-2024.csv"]:
        text = (raw / rel).read_bytes().decode("gb18030")
        body = pd.read_csv(io.StringIO(text), skiprows=3, on_bad_lines="skip").iloc[:, 0]
        # Footnote rows below the table start with 注 or 数据来源.
        cells |= {c for c in body.dropna() if not c.startswith(("注", "数据来源"))}
    for rel in ["leaders/prov_target.csv", "leaders/provleader.csv"]:
        cells |= set(map(str, pd.read_csv(raw / rel)["provcode"].dropna().unique()))
    return cells


def test_every_raw_file_spelling_maps(raw_dir) -> None:
    unmapped = []
    for cell in _raw_province_cells(raw_dir) - NOT_PROVINCES:
        try:
            mi.province_code(cell)
        except mi.UnknownProvinceError:
            unmapped.append(cell)
    assert unmapped == []


def test_province_codes_are_ascii_digits() -> None:
    with pytest.raises(mi.UnknownProvinceError):
        mi.province_code("\u0661\u0661\u0660\u0660\u0660\u0660")  # 110000 in Arabic-Indic digits
