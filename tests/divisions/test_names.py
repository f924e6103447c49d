"""``mi.division_code``: every spelling of every division in every year round-trips.

The expected answer of each query is computed here from the table itself with a
plain normalisation (exact Chinese; Latin lower case with letters only, ü/v as
u), independently of the module's index: a name held by one code must resolve
to it, a name held by several must raise and list exactly those codes.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pandas as pd
import pytest

import massincidents as mi
from massincidents.divisions.table import divisions

YEARS = range(2010, 2020)


def _latin(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower().replace("ü", "u").replace("v", "u"))


def _expected(rows: pd.DataFrame) -> tuple[dict, dict, dict]:
    full, short, latin = defaultdict(set), defaultdict(set), defaultdict(set)
    for r in rows.itertuples(index=False):
        full[r.name_zh].add(r.code)
        short[r.name_zh_short].add(r.code)
        for spelling in (r.pinyin, r.pinyin_generated, r.name_en):
            if isinstance(spelling, str) and spelling:
                latin[_latin(spelling)].add(r.code)
    return full, short, latin


@pytest.mark.parametrize("level", ["prefecture", "county"])
@pytest.mark.parametrize("year", YEARS)
def test_every_spelling_round_trips(level: str, year: int) -> None:
    table = divisions()
    rows = table[
        (table["level"] == level) & (table["valid_from"] <= year) & (table["valid_to"] >= year)
    ]
    full, short, latin = _expected(rows)
    queries: dict[str, set] = {}
    for name, codes in full.items():
        queries[name] = codes
    for name, codes in short.items():
        queries.setdefault(name, codes)  # a full name of another unit wins
    for r in rows.itertuples(index=False):
        for spelling in (r.pinyin, r.pinyin_generated, r.name_en):
            if isinstance(spelling, str) and spelling:
                queries[spelling] = latin[_latin(spelling)]
    resolved = ambiguous = 0
    for query, codes in queries.items():
        if len(codes) == 1:
            assert mi.division_code(query, level=level, year=year) == next(iter(codes)), query
            resolved += 1
        else:
            with pytest.raises(mi.AmbiguousDivisionError) as info:
                mi.division_code(query, level=level, year=year)
            assert set(info.value.candidates["code"]) == codes, query
            message = str(info.value)
            assert re.search(r"Pass (province=|prefecture=|level=)|full name or the code", message)
            assert "year=" not in message
            ambiguous += 1
    # every code of the year is reachable by its full name (with the province when shared)
    for r in rows.itertuples(index=False):
        same = {c for c in full[r.name_zh] if c // 10000 == r.code // 10000}
        if len(same) == 1:
            got = mi.division_code(r.name_zh, level=level, year=year, province=r.province_code)
            assert got == r.code
        else:  # e.g. 桥东区 in three cities of Hebei: the prefecture decides
            with pytest.raises(mi.AmbiguousDivisionError, match="prefecture="):
                mi.division_code(r.name_zh, level=level, year=year, province=r.province_code)
            got = mi.division_code(r.name_zh, level=level, year=year, prefecture=r.prefecture_code)
            assert got == r.code
    assert resolved > (300 if level == "prefecture" else 2500)
    assert ambiguous > 0


def test_every_code_resolves_as_a_code() -> None:
    for code in divisions()["code"].unique():
        assert mi.division_code(int(code)) == code
        assert mi.division_code(str(code)) == code


def test_city_and_province_of_one_name_are_ambiguous() -> None:
    with pytest.raises(mi.AmbiguousDivisionError) as info:
        mi.division_code("吉林")
    assert set(info.value.candidates["code"]) == {220000, 220200}
    assert "level=" in str(info.value)
    assert mi.division_code("吉林", level="prefecture") == 220200
    assert mi.division_code("吉林市") == 220200
    assert mi.division_code("Jilin", level="province") == 220000


def test_linyi_prefecture_and_linyi_county_by_pinyin() -> None:
    with pytest.raises(mi.AmbiguousDivisionError) as info:
        mi.division_code("Linyi")
    assert {371300, 371424, 140821} == set(info.value.candidates["code"])
    assert mi.division_code("Linyi", level="prefecture") == 371300
    assert mi.division_code("Linyi", level="county", province="Shandong") == 371424
    assert mi.division_code("临沂市") == 371300 and mi.division_code("临邑县") == 371424


def test_same_name_districts_in_different_provinces() -> None:
    with pytest.raises(mi.AmbiguousDivisionError) as info:
        mi.division_code("朝阳区")
    assert set(info.value.candidates["code"]) == {110105, 220104}
    assert mi.division_code("朝阳区", province="北京") == 110105
    assert mi.division_code("Chaoyang", level="prefecture") == 211300
    assert mi.division_code("Chaoyang District", province="Jilin") == 220104


@pytest.mark.parametrize(
    ("spelling", "kwargs", "code"),
    [
        ("Hohhot", {}, 150100),
        ("Urumqi", {}, 650100),
        ("Ürümqi", {}, 650100),
        ("Kashgar", {"level": "prefecture"}, 653100),
        ("Kashgar Prefecture", {"level": "prefecture"}, 653100),
        ("Shigatse", {}, 540200),
        ("Shigatse", {"year": 2012}, 542300),
        ("Lhasa", {}, 540100),
        ("Harbin", {}, 230100),
        ("Rì kā zé", {"level": "prefecture"}, 540200),
        ("Ri-ka-ze", {"level": "prefecture"}, 540200),
        ("RIKAZE", {"level": "prefecture", "year": 2013}, 542300),
        ("hu2 he2 hao4 te4", {}, 150100),
        ("Bijie", {"level": "prefecture"}, 520500),
        ("Bijie", {"level": "prefecture", "year": 2010}, 522400),
        ("Lüliang", {"level": "prefecture"}, 141100),
        ("Lvliang", {"level": "prefecture"}, 141100),
        ("Changzhi", {"level": "prefecture"}, 140400),
        ("兰陵县", {}, 371324),
        ("苍山县", {}, 371324),
    ],
)
def test_spellings(spelling: str, kwargs: dict, code: int) -> None:
    assert mi.division_code(spelling, **kwargs) == code


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(mi.UnknownDivisionError) as info:
        mi.division_code("Harbn", level="prefecture")
    assert info.value.suggestions["code"].iloc[0] == 230100
    assert "230100 哈尔滨市" in str(info.value)
    with pytest.raises(mi.UnknownDivisionError):
        mi.division_code("Gotham City")
    with pytest.raises(mi.UnknownDivisionError):
        mi.division_code(999999)
    with pytest.raises(mi.UnknownDivisionError):
        mi.division_code(522400, year=2015)  # Bijie 地区 ended in 2010


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="2010-2019"):
        mi.division_code("Harbin", year=2025)
    with pytest.raises(ValueError, match="level"):
        mi.division_code("Harbin", level="town")
    with pytest.raises(mi.UnknownProvinceError):
        mi.division_code("Harbin", province="Atlantis")
