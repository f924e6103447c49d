"""Build ``data/divisions.csv`` and ``data/division_changes.csv``: GB/T 2260 codes 2010-2019.

Sources
-------
- ``raw/admin_divisions/cn_GB2260_*.tsv``: the official code lists of the
  Ministry of Civil Affairs (MCA) and the National Bureau of Statistics (NBS),
  as transcribed by cn/GB2260. Code and Chinese name of every province,
  prefecture and county unit in force at the date of each list.
- ``raw/admin_divisions/derived_gbt2260_prefecture_county_2010_2019_pinyin.csv``
  (derived by this project): the short Chinese name (``stem_zh``) and a
  generated pinyin of every code/name pair, used for the ``pinyin`` and
  ``name_zh_short`` columns (a few readings of polyphonic characters are
  corrected below, ``PINYIN_FIXES``).
- ``raw/admin_divisions/fiersity_prefecture_crosswalk/`` (CC BY 4.0,
  FIERsity/china-prefecture-crosswalk): the year of each county-level and
  prefecture-level change, used to date a change that falls between two lists
  more than a year apart, and to name the unit that absorbed an abolished
  county ("... 划归 X 管辖").

Which list stands for which year (year-end semantics: a code is valid in year
Y when it is in force at the end of Y):

==========  ============================================================
year        list
==========  ============================================================
2010        MCA 201012
2011        NBS 201210 (October 2012: there is no list for the end of 2011;
            changes of January-October 2012 are dated to 2012 by the
            crosswalk's event year where it has one)
2012        MCA "201112" (published August 2013; its content includes the
            changes of December 2012, so it stands for the end of 2012)
2013-2017   MCA YYYY12
2018, 2019  MCA 201904 (April 2019; changes of January-April 2019 are dated
            2019 by the crosswalk's event year where it has one)
==========  ============================================================

Only codes, names, types, dates and derived spellings are written: no text
of the crosswalk beyond unit names.
"""

# no ``from __future__ import annotations``: the dataclasses below must resolve
# their annotations when the step is imported by file path (tests/analysis)


import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import publish, render_codebook, run_step
from massincidents.provinces import MAINLAND_CODES, provinces

TABLE = "divisions"
CHANGES_TABLE = "division_changes"
AD = "admin_divisions"
FX = f"{AD}/fiersity_prefecture_crosswalk"
#: year -> raw list standing for it (see the module docstring)
LISTS: dict[int, str] = {
    2010: f"{AD}/cn_GB2260_mca_201012.tsv",
    2011: f"{AD}/cn_GB2260_stats_201210.tsv",
    2012: f"{AD}/cn_GB2260_mca_201112.tsv",
    2013: f"{AD}/cn_GB2260_mca_201312.tsv",
    2014: f"{AD}/cn_GB2260_mca_201412.tsv",
    2015: f"{AD}/cn_GB2260_mca_201512.tsv",
    2016: f"{AD}/cn_GB2260_mca_201612.tsv",
    2017: f"{AD}/cn_GB2260_mca_201712.tsv",
    2018: f"{AD}/cn_GB2260_mca_201904.tsv",
    2019: f"{AD}/cn_GB2260_mca_201904.tsv",
}
#: years whose list was drawn up after the year's end: a change the crosswalk
#: dates to the next year is moved there
LATE_LISTS = {2011: "NBS 201210", 2018: "MCA 201904"}
PINYIN = f"{AD}/derived_gbt2260_prefecture_county_2010_2019_pinyin.csv"
COUNTY_EVENTS = f"{FX}/county_administrative_events_1987_2026.csv"
PREFECTURE_EVENTS = f"{FX}/events_2000_2026.csv"
YEARS = tuple(sorted(LISTS))
FIRST, LAST = YEARS[0], YEARS[-1]
MUNICIPALITIES = (110000, 120000, 310000, 500000)

ORIGIN_LISTS = (
    "MCA/NBS GB/T 2260 code lists as transcribed by cn/GB2260 @ "
    "1173e8b57b1ac265f3c79099bfab8f1aea4811a1"
)
ORIGIN_PINYIN = "derived by this project from the lists (pypinyin readings, stems)"
ORIGIN_FIERSITY = (
    "FIERsity/china-prefecture-crosswalk @ 753a015800c66a5dc586369722f05ddf17ae943c, "
    "data/processed/ (CC BY 4.0)"
)

#: rows of the NBS list that are not divisions: the three island groups listed
#: under Sansha in October 2012 (offices, not counties; absent from every MCA list)
NOT_DIVISIONS = {460321, 460322, 460323}
OUTSIDE_MAINLAND = {710000, 810000, 820000}
GROUPING_NAMES = re.compile(r"(?:市辖区|^县$|直辖县级行政区划)$")

#: corrected readings of polyphonic characters (the generated pinyin reads
#: e.g. 长 as zhang and 朝 as zhao); checked against the usual romanisation
PINYIN_FIXES: dict[str, str] = {
    "朝阳": "chaoyang",
    "朝天": "chaotian",
    "长治": "changzhi",
    "长安": "changan",
    "长海": "changhai",
    "长白": "changbai",
    "长岭": "changling",
    "长宁": "changning",
    "长丰": "changfeng",
    "长泰": "changtai",
    "长清": "changqing",
    "长岛": "changdao",
    "长垣": "changyuan",
    "长葛": "changge",
    "长阳": "changyang",
    "长洲": "changzhou",
    "长顺": "changshun",
    "长武": "changwu",
    "子长": "zichang",
    "天长": "tianchang",
    "南长": "nanchang",
    "弓长岭": "gongchangling",
    "望都": "wangdu",
    "尧都": "yaodu",
    "商都": "shangdu",
    "盐都": "yandu",
    "莲都": "liandu",
    "都昌": "duchang",
    "宁都": "ningdu",
    "于都": "yudu",
    "殷都": "yindu",
    "魏都": "weidu",
    "宜都": "yidu",
    "曾都": "zengdu",
    "花都": "huadu",
    "都安": "duan",
    "丰都": "fengdu",
    "新都": "xindu",
    "郫都": "pidu",
    "都匀": "duyun",
    "三都": "sandu",
    "秦都": "qindu",
    "武都": "wudu",
    "都兰": "dulan",
    "昌都": "changdu",
    "昆都仑": "kundulun",
    "洪洞": "hongtong",
    "闵行": "minhang",
    "六合": "luhe",
    "六安": "luan",
    "蚌埠": "bengbu",
    "蚌山": "bengshan",
    "漯河": "luohe",
    "番禺": "panyu",
    "厦门": "xiamen",
    "铅山": "yanshan",
    "犍为": "qianwei",
    "荥阳": "xingyang",
    "荥经": "yingjing",
    "涡阳": "guoyang",
    "枞阳": "zongyang",
    "浚": "xun",
    "莘": "shen",
    "单": "shan",
    "蔚": "yu",
    "尉犁": "yuli",
    "大埔": "dabu",
    "黄埔": "huangpu",
    "吴堡": "wubu",
    "马尾": "mawei",
    "东阿": "donge",
    "繁峙": "fanshi",
    "库尔勒": "kuerle",
    "阿图什": "atushi",
    "疏勒": "shule",
    "弥勒": "mile",
    "吕梁": "lvliang",
    "乐亭": "laoting",
    "乐清": "yueqing",
    "乐都": "ledu",
    "长子": "zhangzi",
    "茄子河": "qiezihe",
    "牟平": "muping",
    "中牟": "zhongmu",
    "宝坻": "baodi",
    "会理": "huili",
    "会东": "huidong",
    "会泽": "huize",
    "会宁": "huining",
    "会同": "huitong",
    "会昌": "huichang",
}

#: English exonyms in usual use where they differ from the pinyin (the title
#: of the place's English Wikipedia article); keyed by Chinese short name and
#: level, so that the 地区 and the 市 of one place share it
EXONYMS: dict[tuple[str, str], str] = {
    ("呼和浩特", "prefecture"): "Hohhot",
    ("鄂尔多斯", "prefecture"): "Ordos",
    ("呼伦贝尔", "prefecture"): "Hulunbuir",
    ("巴彦淖尔", "prefecture"): "Bayannur",
    ("乌兰察布", "prefecture"): "Ulanqab",
    ("兴安", "prefecture"): "Hinggan",
    ("锡林郭勒", "prefecture"): "Xilingol",
    ("阿拉善", "prefecture"): "Alxa",
    ("哈尔滨", "prefecture"): "Harbin",
    ("齐齐哈尔", "prefecture"): "Qiqihar",
    ("乌鲁木齐", "prefecture"): "Urumqi",
    ("克拉玛依", "prefecture"): "Karamay",
    ("吐鲁番", "prefecture"): "Turpan",
    ("哈密", "prefecture"): "Kumul",
    ("博尔塔拉", "prefecture"): "Bortala",
    ("巴音郭楞", "prefecture"): "Bayingolin",
    ("阿克苏", "prefecture"): "Aksu",
    ("克孜勒苏柯尔克孜", "prefecture"): "Kizilsu",
    ("喀什", "prefecture"): "Kashgar",
    ("和田", "prefecture"): "Hotan",
    ("伊犁哈萨克", "prefecture"): "Ili",
    ("阿勒泰", "prefecture"): "Altay",
    ("拉萨", "prefecture"): "Lhasa",
    ("日喀则", "prefecture"): "Shigatse",
    ("昌都", "prefecture"): "Chamdo",
    ("林芝", "prefecture"): "Nyingchi",
    ("那曲", "prefecture"): "Nagqu",
    ("阿里", "prefecture"): "Ngari",
    ("甘孜", "prefecture"): "Garze",
    ("阿坝", "prefecture"): "Ngawa",
    ("果洛", "prefecture"): "Golog",
    ("喀什", "county"): "Kashgar",
    ("库尔勒", "county"): "Korla",
    ("格尔木", "county"): "Golmud",
    ("和田", "county"): "Hotan",
    ("伊宁", "county"): "Ghulja",
    ("阿克苏", "county"): "Aksu",
    ("阿勒泰", "county"): "Altay",
    ("阿图什", "county"): "Artux",
    ("吐鲁番", "county"): "Turpan",
}

PREFECTURE_TYPES = (("自治州", "自治州"), ("地区", "地区"), ("盟", "盟"), ("市", "地级市"))
COUNTY_TYPES = (
    ("自治县", "自治县"),
    ("自治旗", "自治旗"),
    ("旗", "旗"),
    ("特区", "特区"),
    ("林区", "林区"),
    ("行政委员会", "行政委员会"),
    ("区", "市辖区"),
    ("市", "县级市"),
    ("县", "县"),
)
#: the 55 minority nationalities, as written in the names of autonomous units
NATIONALITIES = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 "
    "塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各"
).split()
ETHNIC = re.compile(
    "(?:(?:"
    + "|".join(sorted(NATIONALITIES, key=len, reverse=True))
    + ")族)*(?:自治州|自治县|自治旗)$"
)


def division_type(name: str, level: str, code: int) -> str:
    """The unit's type from its name and code (e.g. 地级市, 自治州, 市辖区, 旗)."""
    if level == "province":
        return (
            "直辖市" if code in MUNICIPALITIES else ("自治区" if name.endswith("自治区") else "省")
        )
    table = PREFECTURE_TYPES if level == "prefecture" else COUNTY_TYPES
    for suffix, kind in table:
        # 林区 (forestry district) is 神农架林区 alone, administered by the province;
        # 万柏林区 and the like are city districts whose names end in 林
        if suffix == "林区" and not province_administered(code):
            continue
        if name.endswith(suffix):
            return kind
    raise ValueError(f"no type for {code} {name}")


def unit_type(level: str, code: int, name: str) -> str:
    """Type as written in the table: prefecture-equivalents are 直辖市 or 省直辖县级."""
    if level == "prefecture" and code in MUNICIPALITIES:
        return "直辖市"
    if level == "prefecture" and province_administered(code):
        return "省直辖县级"
    return division_type(name, level, code)


def is_prefecture_code(code: int) -> bool:
    return code % 100 == 0 and code % 10000 != 0


def province_administered(code: int) -> bool:
    """County-level units administered by the province (codes xx90xx)."""
    return (code // 100) % 100 == 90


def prefecture_of(code: int) -> int:
    """Prefecture (or prefecture-equivalent) code of a county-level code."""
    province = code // 10000 * 10000
    if province in MUNICIPALITIES:
        return province
    if province_administered(code):
        return code
    return code // 100 * 100


def read_list(path: Path) -> dict[int, str]:
    """Code -> name of one list, without grouping rows, non-divisions and HK/Macao/Taiwan."""
    raw = pd.read_csv(path, sep="\t", dtype={"Code": "int64", "Name": str})
    keep = ~raw["Name"].str.contains(GROUPING_NAMES) & ~raw["Code"].isin(
        NOT_DIVISIONS | OUTSIDE_MAINLAND
    )
    keep &= (raw["Code"] // 10000 * 10000).isin(MAINLAND_CODES)
    raw = raw[keep]
    if raw["Code"].duplicated().any():
        raise ValueError(f"{path.name}: duplicate codes")
    return dict(zip(raw["Code"].astype(int), raw["Name"].str.strip(), strict=True))


@dataclass
class Spell:
    """One code with one name over a run of consecutive years."""

    level: str
    code: int
    name: str
    valid_from: int
    valid_to: int


def rosters(lists: dict[int, dict[int, str]]) -> dict[int, dict[tuple[str, int], str]]:
    """(level, code) -> name for every year, prefecture-equivalents included.

    Municipalities and province-administered county-level units (xx90xx) are
    also prefecture-level units (their own prefecture-equivalents), as in the
    CLB matching and the prefecture panels.
    """
    out: dict[int, dict[tuple[str, int], str]] = {}
    for year, listing in lists.items():
        roster: dict[tuple[str, int], str] = {}
        for code, name in listing.items():
            if code % 10000 == 0:
                roster[("province", code)] = name
                if code in MUNICIPALITIES:
                    roster[("prefecture", code)] = name
            elif is_prefecture_code(code):
                roster[("prefecture", code)] = name
            else:
                roster[("county", code)] = name
                if province_administered(code):
                    roster[("prefecture", code)] = name
        out[year] = roster
    return out


def fix_nbs_spellings(lists: dict[int, dict[int, str]]) -> list[tuple[int, str, str]]:
    """Use the MCA spelling where the NBS list of 2011 differs from both MCA neighbours."""
    fixed = []
    before, nbs, after = lists[2010], lists[2011], lists[2012]
    for code, name in nbs.items():
        if before.get(code) is not None and before.get(code) == after.get(code) != name:
            fixed.append((code, name, before[code]))
            nbs[code] = before[code]
    return fixed


def spells_from(rost: dict[int, dict[tuple[str, int], str]]) -> list[Spell]:
    spells: list[Spell] = []
    open_: dict[tuple[str, int], Spell] = {}
    for year in YEARS:
        roster = rost[year]
        for key in list(open_):
            if roster.get(key) != open_[key].name:
                spells.append(open_.pop(key))
        for key, name in roster.items():
            if key in open_:
                open_[key].valid_to = year
            else:
                open_[key] = Spell(key[0], key[1], name, year, year)
    spells.extend(open_.values())
    return spells


def stem(name: str, level: str) -> str:
    """Chinese short name: the name without its type suffix and ethnic qualifiers."""
    text = ETHNIC.sub("", name)
    if text != name:
        return text
    suffixes = (
        ("自治区", "省", "市")
        if level == "province"
        else (
            ("地区", "盟", "市")
            if level == "prefecture"
            else ("特区", "林区", "行政委员会", "区", "市", "县", "旗")
        )
    )
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def core_name(name: str, level: str) -> str:
    """Name used to match a unit across a change of type (梅县 -> 梅县区, 玉树县 -> 玉树市)."""
    short = stem(name, level)
    for suffix in ("县", "市"):
        if short.endswith(suffix) and len(short) > 1:
            short = short[: -len(suffix)]
    return short


@dataclass
class Change:
    level: str
    old_code: int | None
    old_name: str
    new_code: int | None
    new_name: str
    year: int
    kind: str
    seat: bool
    source: str


def county_event_index(path: Path) -> dict[str, list[dict]]:
    """Crosswalk county events 2010-2020 by the name of every unit they mention as before."""
    raw = pd.read_csv(path, dtype=str)
    raw["year"] = raw["year"].astype(int)
    raw = raw[raw["year"].between(FIRST, LAST + 1)]
    index: dict[str, list[dict]] = defaultdict(list)
    for row in raw.itertuples(index=False):
        olds = (
            str(row.old_county_units).split("、") if isinstance(row.old_county_units, str) else []
        )
        text = row.change_description if isinstance(row.change_description, str) else ""
        olds += re.findall(
            r"撤销(?:县级)?(?:[\u4e00-\u9fff]{1,8}?[市州盟])?([\u4e00-\u9fff]{1,8}?[县市区旗])",
            text,
        )
        news = (
            str(row.new_county_units).split("、") if isinstance(row.new_county_units, str) else []
        )
        target = re.findall(r"划归([\u4e00-\u9fff]+?)管辖", text)
        entry = {
            "year": int(row.year),
            "news": news,
            "target": target,
            "prefecture": row.prefecture_names if isinstance(row.prefecture_names, str) else "",
            "text": text,
        }
        for old in set(olds):
            index[old].append(entry)
        for new in set(news):
            index["+" + new].append(entry)
    return index


def prefecture_event_years(path: Path) -> dict[str, int]:
    """New (or abolished) prefecture name -> year of the change, from the crosswalk."""
    raw = pd.read_csv(path, dtype=str)
    years: dict[str, int] = {}
    for row in raw.itertuples(index=False):
        year = int(row[1])
        for name in (row[3], row[5]):
            if isinstance(name, str):
                years.setdefault(name, year)
    return years


def detect_changes(
    rost: dict[int, dict[tuple[str, int], str]],
    county_events: dict[str, list[dict]],
    prefecture_years: dict[str, int],
) -> list[Change]:
    """Every code change between consecutive years, classified.

    Kinds: ``renamed`` (same code, new name), ``recoded`` (new code, same name
    and type), ``upgraded`` (new code or name with a new type: 地区 -> 市,
    县 -> 区, 县级 -> 地级), ``merged`` (absorbed into one unit), ``split``
    (the territory went to several units; one row per successor, ``seat``
    marks the one that kept the seat or the name), ``abolished`` (no
    successor in the lists or the crosswalk), ``created`` (no predecessor).
    """
    changes: list[Change] = []
    for y0, y1 in pairwise(YEARS):
        if LISTS[y0] == LISTS[y1]:
            continue
        before, after = rost[y0], rost[y1]
        for level in ("county", "prefecture"):
            b = {c: n for (lv, c), n in before.items() if lv == level}
            a = {c: n for (lv, c), n in after.items() if lv == level}
            gone = sorted(set(b) - set(a))
            new = sorted(set(a) - set(b))
            renamed = sorted(c for c in set(a) & set(b) if a[c] != b[c])
            matched_new: set[int] = set()

            def add(old, old_name, newc, new_name, kind, source, seat=False, lv=level, year=y1):
                changes.append(Change(lv, old, old_name, newc, new_name, year, kind, seat, source))

            # same code, new name: renamed, retyped, or the survivor of a merger
            for code in renamed:
                old_name, new_name = b[code], a[code]
                partners = [
                    g
                    for g in gone
                    if g // 10000 == code // 10000
                    and prefecture_of(g) == prefecture_of(code)
                    and core_name(b[g], level) == core_name(new_name, level)
                ]
                if partners:
                    add(code, old_name, code, new_name, "merged", "lists+crosswalk")
                    for g in partners:
                        add(g, b[g], code, new_name, "merged", "lists")
                        gone.remove(g)
                elif core_name(old_name, level) == core_name(new_name, level):
                    add(code, old_name, code, new_name, "upgraded", "lists")
                else:
                    add(code, old_name, code, new_name, "renamed", "lists")
            # new code for the same place
            for g in list(gone):
                cands = [
                    n
                    for n in new
                    if n // 10000 == g // 10000
                    and n not in matched_new
                    and core_name(a[n], level) == core_name(b[g], level)
                ]
                if len(cands) == 1:
                    n = cands[0]
                    same = unit_type(level, g, b[g]) == unit_type(level, n, a[n])
                    kind = (
                        "recoded" if same and stem(b[g], level) == stem(a[n], level) else "upgraded"
                    )
                    add(g, b[g], n, a[n], kind, "lists")
                    matched_new.add(n)
                    gone.remove(g)
            # cross-level: a province-administered county-level city became a prefecture
            # (handled at prefecture level by the match above); abolished units
            for g in gone:
                successors = _successors(
                    g, b[g], level, a, b, before, after, county_events, changes, y1
                )
                if not successors:
                    add(g, b[g], None, "", "abolished", "lists")
                elif len(successors) == 1:
                    n, seat = successors[0]
                    add(g, b[g], n, a[n], "merged", "lists+crosswalk")
                else:
                    for n, seat in successors:
                        add(g, b[g], n, a[n], "split", "lists+crosswalk", seat)
            # a new code that replaces exactly one abolished unit is that unit under a
            # new name and code (撤销唐海县，设立曹妃甸区), not a merger
            this_year = [c for c in changes if c.year == y1 and c.level == level]
            for c in this_year:
                if c.kind != "merged" or c.new_code not in new or c.old_code == c.new_code:
                    continue
                into = [k for k in this_year if k.new_code == c.new_code]
                if len(into) == 1:
                    same = unit_type(level, c.old_code, c.old_name) == unit_type(
                        level, c.new_code, c.new_name
                    )
                    c.kind = "renamed" if same else "upgraded"
            for n in new:
                if n in matched_new or any(
                    c.new_code == n and c.year == y1 and c.level == level for c in changes
                ):
                    continue
                add(None, "", n, a[n], "created", "lists")
    return changes


def _pair_seats(changes: list[Change]) -> None:
    """Pair a county abolished with its prefecture's change to the one county created there.

    When a 地区 becomes a 市, its seat (a county-level city or county) is replaced
    by a district with a new name (毕节市 522401 -> 七星关区 520502): the lists
    show one unit abolished in the old prefecture and one created in the new,
    which are the same place. Split prefectures get their ``seat`` flag here.
    """
    for year in sorted({c.year for c in changes}):
        moves: dict[int, set[int]] = defaultdict(set)
        for c in changes:
            if c.level == "prefecture" and c.year == year and c.old_code and c.new_code:
                moves[c.old_code].add(c.new_code)
        for old_pref, new_prefs in moves.items():
            gone = [
                c
                for c in changes
                if c.level == "county"
                and c.year == year
                and c.kind == "abolished"
                and prefecture_of(c.old_code) == old_pref
            ]
            made = [
                c
                for c in changes
                if c.level == "county"
                and c.year == year
                and c.kind == "created"
                and prefecture_of(c.new_code) in new_prefs
            ]
            if len(gone) == 1 and len(made) == 1:
                g, m = gone[0], made[0]
                g.new_code, g.new_name = m.new_code, m.new_name
                same = unit_type("county", g.old_code, g.old_name) == unit_type(
                    "county", m.new_code, m.new_name
                )
                g.kind = "renamed" if same else "upgraded"
                g.source = "lists (seat of a prefecture that changed)"
                changes.remove(m)
        for c in changes:
            if c.level == "prefecture" and c.year == year and c.kind == "split":
                core = core_name(c.old_name, "prefecture")
                c.seat = any(
                    k.level == "county"
                    and k.year == year
                    and k.new_code is not None
                    and k.old_code is not None
                    and prefecture_of(k.old_code) == c.old_code
                    and prefecture_of(k.new_code) == c.new_code
                    and core_name(k.new_name, "county") == core
                    for k in changes
                )


def _successors(g, name, level, a, b, before, after, county_events, changes, year):
    """Successors of an abolished unit: the crosswalk's target, or its counties' new prefectures."""
    if level == "county":
        province = g // 10000
        for entry in county_events.get(name, []):
            if entry["year"] > year + 1 or entry["year"] < year - 1:
                continue
            prefecture = before.get(("prefecture", prefecture_of(g)), "")
            if entry["prefecture"] and stem(prefecture, "prefecture") not in entry["prefecture"]:
                continue
            found: list[int] = []
            for target in entry["target"] + entry["news"]:
                # the target may carry its prefecture's name: 扬州市邗江区
                hits = [
                    n
                    for n, nm in a.items()
                    if n // 10000 == province and len(nm) >= 2 and target.endswith(nm)
                ]
                hits = [n for n in hits if prefecture_of(n) == prefecture_of(g)]
                if len(hits) == 1 and hits[0] not in found:
                    found.append(hits[0])
            if found:
                # the unit the event establishes (new_county_units) keeps the seat
                seats = {n for n in found for new_name in entry["news"] if new_name.endswith(a[n])}
                return [(n, n in seats) for n in sorted(found)]
        return []
    # a prefecture: where its counties went
    kids = [
        c.new_code
        for c in changes
        if c.level == "county"
        and c.year == year
        and c.old_code is not None
        and c.new_code is not None
        and prefecture_of(c.old_code) == g
    ]
    targets = sorted({prefecture_of(k) for k in kids if ("prefecture", prefecture_of(k)) in after})
    core = core_name(name, level)
    out = []
    for t in targets:
        seat = any(
            prefecture_of(k) == t and core_name(after[("county", k)], "county") == core
            for k in kids
            if ("county", k) in after
        )
        out.append((t, seat))
    return out


def redate(
    spells: list[Spell], changes: list[Change], county_events, prefecture_years
) -> list[tuple]:
    """Move changes shown early by a late list to the year the crosswalk gives.

    A change first seen in the list standing for year Y in ``LATE_LISTS`` (drawn up
    after the end of Y) but dated Y+1 by the crosswalk took effect in Y+1: the new
    unit's spell starts in Y+1 and the old unit's spell is extended to Y.
    """
    moved = []
    by_key = defaultdict(list)
    for s in spells:
        by_key[(s.level, s.code)].append(s)
    for change in changes:
        y = change.year
        if y not in LATE_LISTS:
            continue
        names = [change.old_name, change.new_name]
        years = []
        for name in names:
            years += [e["year"] for e in county_events.get(name, [])]
            years += [e["year"] for e in county_events.get("+" + name, [])]
            if change.level == "prefecture" and name in prefecture_years:
                years.append(prefecture_years[name])
        years = sorted({yy for yy in years if y <= yy <= y + 1})
        if years != [y + 1]:
            continue
        moved.append((change.level, change.old_code, change.new_code, y, y + 1))
        change.year = y + 1
        change.source += f"; year {y + 1} from the crosswalk (list of {LATE_LISTS[y]} shows it)"
        if change.new_code is not None:
            for s in by_key[(change.level, change.new_code)]:
                if s.name == change.new_name and s.valid_from == y:
                    s.valid_from = y + 1
        if change.old_code is not None:
            for s in by_key[(change.level, change.old_code)]:
                if s.name == change.old_name and s.valid_to == y - 1:
                    s.valid_to = y
    return moved


def build(*paths: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Derive both tables from the raw files (in the order of ``raw_files()``)."""
    named = dict(zip(raw_files(), paths, strict=True))
    lists = {year: read_list(named[rel]) for year, rel in LISTS.items()}
    fixed = fix_nbs_spellings(lists)
    rost = rosters(lists)
    spells = spells_from(rost)
    county_events = county_event_index(named[COUNTY_EVENTS])
    prefecture_years = prefecture_event_years(named[PREFECTURE_EVENTS])
    changes = detect_changes(rost, county_events, prefecture_years)
    moved = redate(spells, changes, county_events, prefecture_years)
    _pair_seats(changes)
    table = _table(spells, named[PINYIN])
    change_table = _change_table(changes)
    accounting = {"nbs_spellings_replaced": fixed, "changes_redated": moved}
    return table, change_table, accounting


def _pinyin(stem_zh: str, generated: str) -> str:
    if stem_zh in PINYIN_FIXES:
        return PINYIN_FIXES[stem_zh]
    return generated


def _table(spells: list[Spell], pinyin_path: Path) -> pd.DataFrame:
    # keep_default_na=False: the pinyin of 南 is "nan"
    derived = pd.read_csv(pinyin_path, dtype={"code": "int64"}, keep_default_na=False)
    gen = {(int(r.code), r.name_zh): (r.stem_zh, r.pinyin) for r in derived.itertuples(index=False)}
    by_name = {r.name_zh: (r.stem_zh, r.pinyin) for r in derived.itertuples(index=False)}
    prov = provinces().set_index("code")
    rows = []
    for s in spells:
        if s.level == "province" or s.code in MUNICIPALITIES:
            short = prov.loc[s.code, "name_zh_short"]
            py = str(prov.loc[s.code, "pinyin"]).lower().replace(" ", "")
            generated = py
            english = prov.loc[s.code, "name_en"]
        else:
            short, generated = (
                gen.get((s.code, s.name))
                or by_name.get(s.name)
                or (
                    stem(s.name, s.level),
                    None,
                )
            )
            if not isinstance(generated, str) or not generated:
                raise ValueError(f"no pinyin for {s.code} {s.name}")
            py = _pinyin(short, generated)
            english = EXONYMS.get((short, s.level), "")
        kind = unit_type(s.level, s.code, s.name)
        rows.append(
            {
                "level": s.level,
                "code": s.code,
                "province_code": s.code // 10000 * 10000,
                "prefecture_code": (
                    pd.NA
                    if s.level == "province"
                    else (s.code if s.level == "prefecture" else prefecture_of(s.code))
                ),
                "name_zh": s.name,
                "name_zh_short": short,
                "pinyin": py,
                "pinyin_generated": generated if generated != py else "",
                "name_en": english,
                "type": kind,
                "valid_from": s.valid_from,
                "valid_to": s.valid_to,
            }
        )
    table = pd.DataFrame(rows)
    order = {"province": 0, "prefecture": 1, "county": 2}
    table["_o"] = table["level"].map(order)
    table = table.sort_values(["_o", "code", "valid_from"], kind="mergesort").drop(columns="_o")
    table["prefecture_code"] = table["prefecture_code"].astype("Int64")
    if table.duplicated(["level", "code", "valid_from"]).any():
        raise ValueError("two spells of one code start in the same year")
    return table.reset_index(drop=True)


def _change_table(changes: list[Change]) -> pd.DataFrame:
    rows = [
        {
            "level": c.level,
            "year": c.year,
            "kind": c.kind,
            "old_code": c.old_code,
            "old_name_zh": c.old_name,
            "new_code": c.new_code,
            "new_name_zh": c.new_name,
            "seat": c.seat,
            "source": c.source,
        }
        for c in changes
    ]
    table = pd.DataFrame(rows)
    for col in ("old_code", "new_code"):
        table[col] = table[col].astype("Int64")
    order = {"prefecture": 0, "county": 1}
    table["_o"] = table["level"].map(order)
    table["_k"] = table["old_code"].fillna(table["new_code"])
    table = table.sort_values(
        ["_o", "year", "_k", "new_code", "old_code"], kind="mergesort", na_position="first"
    ).drop(columns=["_o", "_k"])
    return table.reset_index(drop=True)


def raw_files() -> list[str]:
    files = sorted(set(LISTS.values()))
    return [*files, PINYIN, COUNTY_EVENTS, PREFECTURE_EVENTS]


CODEBOOK_INTRO = (
    "One row per administrative division code and name over the years it is valid "
    "(a code renamed, e.g. 苍山县 -> 兰陵县 in 2014, has one row per name): the 31 "
    "provinces, every prefecture-level unit (地级市, 地区, 自治州, 盟) plus the "
    "prefecture-equivalents (the 4 municipalities and the province-administered "
    "county-level units xx90xx, which appear at both levels), and every county-level "
    "unit, from the GB/T 2260 lists of 2010-2019."
)
Y = "2010-2019"
CODEBOOK_ROWS: tuple[tuple[str, ...], ...] = (
    ("`level`", "level of the row", '"province", "prefecture" or "county"', "derived", Y),
    ("`code`", "division code", "GB/T 2260 6-digit code", "MCA/NBS lists", Y),
    ("`province_code`", "province of the unit", "GB/T 2260 code", "first two digits", Y),
    (
        "`prefecture_code`",
        "prefecture (or prefecture-equivalent) of the unit; a municipality's counties "
        "belong to the municipality, an xx90xx unit to itself; empty for provinces",
        "GB/T 2260 code",
        "derived from the code",
        Y,
    ),
    ("`name_zh`", "full Chinese name", "Chinese characters", "MCA/NBS lists", Y),
    (
        "`name_zh_short`",
        "short name: without the type suffix (市, 地区, 县, 区, 旗 ...) and ethnic qualifiers",
        "Chinese characters",
        "derived (`stem_zh`)",
        Y,
    ),
    (
        "`pinyin`",
        "pinyin of the short name, lower case without tones or spaces; generated, with "
        "the readings of polyphonic characters corrected where listed in the build step",
        "ASCII",
        "derived",
        Y,
    ),
    (
        "`pinyin_generated`",
        "the generated pinyin where the build step corrected it (e.g. zhaoyang for 朝阳); "
        "accepted by `mi.division_code` as a spelling",
        "ASCII",
        "derived",
        Y,
    ),
    (
        "`name_en`",
        "English exonym where one is usual and differs from the pinyin (the title of the "
        "place's English Wikipedia article, e.g. Hohhot, Urumqi, Shigatse); empty otherwise",
        "text",
        "build step (`EXONYMS`)",
        Y,
    ),
    (
        "`type`",
        "type of unit: 省/自治区/直辖市; 地级市/地区/自治州/盟/直辖市/省直辖县级; "
        "市辖区/县级市/县/自治县/旗/自治旗/特区/林区/行政委员会",
        "Chinese",
        "derived from the name",
        Y,
    ),
    (
        "`valid_from`, `valid_to`",
        "first and last year in which the code with this name is in force at the end of "
        "the year; 2010 means 'at least since 2010', 2019 'still in the April 2019 list'",
        "year",
        "lists (2011 = NBS Oct 2012; 2012 = MCA '201112', published Aug 2013; 2018 and "
        "2019 = MCA Apr 2019), redated by the crosswalk's event year where a list was "
        "drawn up after the year's end",
        Y,
    ),
)
CODEBOOK_FOOTER = (
    "Built by `analysis/06_divisions.py`. Known limits: prefecture-level cities without "
    "counties (Dongguan, Zhongshan, Jiayuguan, Danzhou from 2015, Sansha) have no county "
    "rows; county pinyin is generated and not checked one by one; English exonyms are "
    "listed only where the usual English name differs from the pinyin."
)

CHANGES_INTRO = (
    "One row per code change between consecutive years of `divisions` (prefecture and "
    "county level), classified from the lists and, for abolitions, the crosswalk."
)
CHANGES_ROWS: tuple[tuple[str, ...], ...] = (
    ("`level`", "level of the units", '"prefecture" or "county"', "derived", Y),
    (
        "`year`",
        "first year in which the new state is in force at the end of the year",
        "year",
        "lists; crosswalk event year where a list was drawn up after the year's end",
        "2011-2019",
    ),
    (
        "`kind`",
        "renamed (same code, new name); recoded (new code, same name and type, e.g. a county "
        "moved to another prefecture); upgraded (new type: 地区 -> 市, 县 -> 区 or 县级市, "
        "县级 -> 地级); merged (absorbed by one unit); split (territory to several units: one "
        "row per successor); abolished (no successor found); created (no predecessor)",
        "code",
        "derived",
        Y,
    ),
    (
        "`old_code`, `old_name_zh`",
        "unit before the change (empty for created)",
        "code; Chinese",
        "lists",
        Y,
    ),
    (
        "`new_code`, `new_name_zh`",
        "unit after the change (empty for abolished)",
        "code; Chinese",
        "lists",
        Y,
    ),
    (
        "`seat`",
        "for a split: this successor holds the old unit's seat or name (used by "
        '`mi.harmonise_codes(..., splits="seat")`)',
        "True/False",
        "derived",
        Y,
    ),
    ("`source`", "what the row rests on", "text", "-", Y),
)
CHANGES_FOOTER = (
    "Built by `analysis/06_divisions.py` from the GB/T 2260 lists and FIERsity/"
    "china-prefecture-crosswalk (CC BY 4.0; unit names and years only). A merger whose "
    "absorbing unit is not named in the crosswalk is recorded as abolished."
)


def build_and_write(*paths: Path) -> None:
    table, changes, accounting = build(*paths)
    named = dict(zip(raw_files(), paths, strict=True))
    inputs = [
        (
            named[rel],
            ORIGIN_LISTS,
            "codes and names in force in "
            + ", ".join(str(y) for y, r in LISTS.items() if r == rel),
        )
        for rel in sorted(set(LISTS.values()))
    ]
    inputs += [
        (named[PINYIN], ORIGIN_PINYIN, "`name_zh_short`, `pinyin`"),
        (named[COUNTY_EVENTS], ORIGIN_FIERSITY, "year and absorbing unit of county-level changes"),
        (named[PREFECTURE_EVENTS], ORIGIN_FIERSITY, "year of prefecture-level changes"),
    ]
    publish(
        TABLE, table, inputs, render_codebook(TABLE, CODEBOOK_INTRO, CODEBOOK_ROWS, CODEBOOK_FOOTER)
    )
    change_inputs = [i for i in inputs if i[0] != named[PINYIN]]
    publish(
        CHANGES_TABLE,
        changes,
        change_inputs,
        render_codebook(CHANGES_TABLE, CHANGES_INTRO, CHANGES_ROWS, CHANGES_FOOTER),
    )
    counts = table.groupby("level").size().to_dict()
    print(
        f"{TABLE}: {len(table)} rows {counts}; {CHANGES_TABLE}: {len(changes)} rows "
        f"{changes['kind'].value_counts().sort_index().to_dict()}"
    )
    print(f"  NBS spellings replaced by MCA's: {accounting['nbs_spellings_replaced']}")
    print(f"  changes redated by the crosswalk: {len(accounting['changes_redated'])}")


def main() -> int:
    """Build both tables, their codebook fragments and source records."""
    return run_step(TABLE, raw_files(), build_and_write)


if __name__ == "__main__":
    raise SystemExit(main())
