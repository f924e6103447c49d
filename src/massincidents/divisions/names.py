"""Resolve Chinese, pinyin and English spellings of prefectures and counties to codes.

A spelling is normalised to a key (:func:`latin_key`, :func:`chinese_key`) and
looked up in an index of every name the registry holds: the full and short
Chinese names, the pinyin (also the generated reading where the build step
corrected it) and the usual English exonym. Chinese full names are tried
before short names (吉林市 is the city, 吉林 is the city or the province).
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
import unicodedata
from collections import defaultdict
from functools import lru_cache

import numpy as np
import pandas as pd

from massincidents.divisions.table import (
    LAST_YEAR,
    changes,
    check_level,
    check_year,
    divisions,
)

_HAN = re.compile(r"[\u4e00-\u9fff]")
# English and pinyin type words that may follow a name ("Kashgar Prefecture", "Jilin Shi")
_LATIN_SUFFIXES = (
    "autonomous prefecture",
    "autonomous county",
    "autonomous banner",
    "autonomous region",
    "prefecture level city",
    "county level city",
    "special district",
    "forestry district",
    "prefecture",
    "municipality",
    "province",
    "district",
    "county",
    "league",
    "banner",
    "region",
    "city",
    "zizhizhou",
    "zizhixian",
    "zizhiqi",
    "sheng",
    "diqu",
    "meng",
    "xian",
    "shi",
    "qu",
    "qi",
)


class UnknownDivisionError(ValueError):
    """A name that matches no division; the message names the closest spellings.

    A :class:`ValueError`.

    Parameters
    ----------
    name
        The name as given (kept as ``.name``).
    level
        The level searched (``None``: every level).
    suggestions
        The closest divisions (kept as ``.suggestions``: code, name, level, province).

    Examples
    --------
    >>> import massincidents as mi
    >>> try:
    ...     mi.division_code("Harbn", level="prefecture")
    ... except mi.UnknownDivisionError as err:
    ...     print(err.suggestions["code"].iloc[0], err.suggestions["name_zh"].iloc[0])
    230100 哈尔滨市
    """

    def __init__(self, name: object, level: str | None, suggestions: pd.DataFrame) -> None:
        self.name = name
        self.suggestions = suggestions
        what = level or "division"
        message = f"unknown {what} {name!r}"
        if len(suggestions):
            message += "; closest: " + "; ".join(_describe(suggestions))
        super().__init__(message)


class AmbiguousDivisionError(ValueError):
    """A name that matches several divisions; the message lists them all.

    A :class:`ValueError`.

    Parameters
    ----------
    name
        The name as given (kept as ``.name``).
    candidates
        One row per matching division (kept as ``.candidates``): code, name,
        level, province, years in force.
    year_given
        Whether the search was already restricted to one year (then the
        message does not suggest ``year=``).

    Examples
    --------
    >>> import massincidents as mi
    >>> try:
    ...     mi.division_code("朝阳区")
    ... except mi.AmbiguousDivisionError as err:
    ...     print(err.candidates[["code", "name_zh", "level", "province_code"]].to_string())
         code name_zh   level  province_code
    0  110105     朝阳区  county         110000
    1  220104     朝阳区  county         220000
    """

    def __init__(self, name: object, candidates: pd.DataFrame, year_given: bool = False) -> None:
        self.name = name
        self.candidates = candidates
        levels = set(candidates["level"])
        ask = [] if candidates["province_code"].nunique() == 1 else ["province="]
        ask += ["level="] if len(levels) > 1 else []
        if "county" in levels and candidates["prefecture_code"].nunique() > 1:
            ask.append("prefecture=")
        spans = candidates["valid_to"].min() < LAST_YEAR or candidates["valid_from"].max() > 2010
        if spans and not year_given:
            ask.append("year=")
        message = (
            f"{name!r} matches {len(candidates)} divisions: "
            + "; ".join(_describe(candidates))
            + (
                f". Pass {' or '.join(ask)} to choose one."
                if ask
                else ". Give the full name or the code to choose one."
            )
        )
        super().__init__(message)


def _describe(rows: pd.DataFrame) -> list[str]:
    names = _province_names()
    return [
        f"{r.code} {r.name_zh} ({r.level}, {names.get(r.province_code, r.province_code)}, "
        f"{r.valid_from}-{r.valid_to})"
        for r in rows.itertuples(index=False)
    ]


@lru_cache(maxsize=1)
def _province_names() -> dict[int, str]:
    from massincidents.provinces import provinces

    table = provinces()
    return dict(zip(table["code"], table["name_en"], strict=True))


def _visible(text: str) -> str:
    """``text`` without format characters (zero-width spaces, byte-order marks, soft hyphens)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def latin_key(text: str) -> str:
    """Key of a Latin spelling: no tones, case, spaces, hyphens or type words.

    ``"Ürümqi"``, ``"urumqi"`` and ``"Urumqi City"`` give the same key; ü and v
    are read as u (``"Lüliang"``, ``"Lvliang"``, ``"Luliang"``).

    Examples
    --------
    >>> from massincidents.divisions.names import latin_key
    >>> latin_key("Chao2yang2 Qu"), latin_key("Lǚliáng"), latin_key("Shigatse Prefecture")
    ('chaoyang', 'luliang', 'shigatse')
    """
    text = unicodedata.normalize("NFKD", _visible(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("ü", "u")
    text = re.sub(r"[0-9]", "", text)
    text = re.sub(r"[\s\-_'’.,()]+", " ", text).strip()
    changed = True
    while changed:  # before v is read as u: "province" is a type word, "prouince" is not
        changed = False
        for suffix in _LATIN_SUFFIXES:
            if text.endswith(" " + suffix):
                text = text[: -len(suffix) - 1].strip()
                changed = True
    return text.replace("v", "u").replace(" ", "")


def chinese_key(text: str) -> str:
    """Key of a Chinese spelling: NFKC, without spaces or format characters."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _visible(text)))


@lru_cache(maxsize=1)
def _index() -> dict[str, dict[str, list[int]]]:
    """Tier -> key -> row positions in :func:`divisions`."""
    table = divisions()
    tiers: dict[str, dict[str, list[int]]] = {
        "full": defaultdict(list),
        "short": defaultdict(list),
        "latin": defaultdict(list),
    }
    for pos, row in enumerate(table.itertuples(index=False)):
        tiers["full"][chinese_key(row.name_zh)].append(pos)
        if row.name_zh_short != row.name_zh:
            tiers["short"][chinese_key(row.name_zh_short)].append(pos)
        spellings = {row.pinyin, row.pinyin_generated, row.name_en}
        for spelling in spellings:
            if isinstance(spelling, str) and spelling:
                key = latin_key(spelling)
                if pos not in tiers["latin"][key]:
                    tiers["latin"][key].append(pos)
    return {tier: dict(keys) for tier, keys in tiers.items()}


@lru_cache(maxsize=1)
def _successors() -> dict[int, set[int]]:
    """Code -> every code it became (transitively) through a one-to-one change."""
    table = changes()
    direct: dict[int, set[int]] = defaultdict(set)
    for row in table.itertuples(index=False):
        if pd.notna(row.old_code) and pd.notna(row.new_code) and row.kind != "split":
            direct[int(row.old_code)].add(int(row.new_code))
    out: dict[int, set[int]] = {}
    for start in list(direct):
        seen: set[int] = set()
        stack = [start]
        while stack:
            for nxt in direct.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        out[start] = seen
    return out


@lru_cache(maxsize=1)
def _columns() -> dict[str, np.ndarray]:
    table = divisions()
    return {
        name: table[name].fillna(0).to_numpy()
        for name in ("level", "code", "province_code", "prefecture_code", "valid_from", "valid_to",
                     "type")
    }


def _positions(
    positions: list[int] | np.ndarray,
    level: str | None,
    province: int | None,
    year: int | None,
    prefecture: int | None = None,
) -> np.ndarray:
    cols = _columns()
    pos = np.unique(np.asarray(positions, dtype=np.int64))
    keep = np.ones(len(pos), dtype=bool)
    if prefecture is not None:
        keep &= cols["prefecture_code"][pos] == prefecture
    if level is not None:
        keep &= cols["level"][pos] == level
    if province is not None:
        keep &= cols["province_code"][pos] == province
    if year is not None:
        keep &= (cols["valid_from"][pos] <= year) & (cols["valid_to"][pos] >= year)
    return pos[keep]


def _filter(
    positions: list[int] | np.ndarray, level: str | None, province: int | None, year: int | None
) -> pd.DataFrame:
    return divisions().iloc[_positions(positions, level, province, year)]


def _distinct_codes(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per code (a municipality is a province and a prefecture: one code)."""
    order = {"county": 0, "prefecture": 1, "province": 2}
    ranked = rows.assign(_o=rows["level"].map(order)).sort_values(
        ["code", "_o", "valid_from"], kind="mergesort"
    )
    # keep the most specific level's latest spell per code
    return ranked.drop_duplicates("code", keep="last").drop(columns="_o")


# Chinese abbreviations of autonomous units: 恩施州, 湘西自治州, 长阳自治县 (stem + type word)
_CHINESE_ABBREVIATIONS = (("自治州", "自治州"), ("自治县", "自治县"), ("自治旗", "自治旗"),
                          ("州", "自治州"))
# Latin type words that say which kind of unit is meant ("Jilin City" is not the province,
# "Chaoyang District" not the county): word -> the types of divisions.csv it names
_TYPE_WORDS = {
    **dict.fromkeys(("city", "shi", "municipality"), ("地级市", "县级市", "直辖市")),
    **dict.fromkeys(("district", "qu"), ("市辖区",)),
    **dict.fromkeys(("county", "xian"), ("县", "自治县")),
    **dict.fromkeys(("banner", "qi"), ("旗", "自治旗")),
    **dict.fromkeys(("league", "meng"), ("盟",)),
    **dict.fromkeys(("province", "sheng"), ("省", "自治区")),
}
# every pinyin syllable without tone (ü written u, as latin_key does)
_SYLLABLES = frozenset(
    """a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai
    can cang cao ce cei cen ceng cha chai chan chang chao che chen cheng chi chong chou chu
    chua chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao
    de dei den deng di dia dian diao die ding diu dong dou du duan dui dun duo e ei en eng er
    fa fan fang fei fen feng fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai
    guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang
    hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang
    kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei
    leng li lia lian liang liao lie lin ling liu lo long lou lu luan lue lun luo ma mai man mang
    mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen
    neng ni nian niang niao nie nin ning niu nong nou nu nuan nue nun nuo o ou pa pai pan pang
    pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing
    qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa
    sai san sang sao se sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua
    shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te
    teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu
    xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying
    yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe
    zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu
    zuan zui zun zuo""".split()
)


def _letters(text: str) -> str:
    """The letters of a Latin spelling as :func:`latin_key` keeps them (no suffix removed)."""
    text = unicodedata.normalize("NFKD", _visible(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z]", "", text.replace("ü", "u").replace("v", "u"))


def _syllable_breaks(text: str) -> frozenset[int]:
    """Offsets in the key where the spelling marks a syllable break with an apostrophe.

    Pinyin writes an apostrophe before a syllable that starts with a vowel: Xi'an (西安,
    two syllables) is not Xian (献, one).
    """
    parts = re.split(r"['’ʼ‘`]", text)
    offsets, length = set(), 0
    for part in parts[:-1]:
        length += len(_letters(part))
        offsets.add(length)
    return frozenset(offsets)


def _segmentable(key: str, syllables: int, breaks: frozenset[int] = frozenset()) -> bool:
    """Whether ``key`` is ``syllables`` pinyin syllables with a boundary at every break."""
    reach: list[set[int]] = [set() for _ in range(len(key) + 1)]
    reach[0].add(0)
    for i in range(len(key)):
        if not reach[i]:
            continue
        for j in range(i + 1, min(len(key), i + 6) + 1):
            if any(i < b < j for b in breaks) or key[i:j] not in _SYLLABLES:
                continue
            reach[j].update(k + 1 for k in reach[i] if k < syllables)
    return syllables in reach[len(key)]


def _respects_breaks(positions: list[int], key: str, breaks: frozenset[int]) -> list[int]:
    """Drop divisions whose pinyin cannot carry the apostrophes of the spelling.

    A division found through its English name, or whose pinyin does not split into one
    syllable per character of its short name (a reading this check cannot judge), is kept.
    """
    if not breaks or not positions:
        return positions
    table = divisions()
    kept = []
    for pos in positions:
        row = table.iloc[pos]
        syllables = len(_HAN.findall(str(row["name_zh_short"])))
        keep = isinstance(row["name_en"], str) and row["name_en"] and latin_key(
            row["name_en"]) == key
        for spelling in (row["pinyin"], row["pinyin_generated"]):
            if keep or not (isinstance(spelling, str) and latin_key(spelling) == key):
                continue
            letters = _letters(spelling)
            keep = not _segmentable(letters, syllables) or _segmentable(letters, syllables,
                                                                        breaks)
        if keep:
            kept.append(pos)
    return kept


def _type_words(name: str) -> set[str]:
    """The Latin type words at the end of a spelling ("Jilin City" -> {"city"})."""
    words = re.sub(r"[\s\-_'’.,()]+", " ", _letters_and_spaces(name)).split()
    found: set[str] = set()
    while len(words) > 1 and words[-1] in _TYPE_WORDS:
        found.add(words.pop())
    return found


def _letters_and_spaces(text: str) -> str:
    text = unicodedata.normalize("NFKD", _visible(text))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def _prefer_type(found: np.ndarray, words: set[str]) -> np.ndarray:
    """Keep the units of the kind a type word names, when some are among ``found``."""
    if not words or len(found) < 2:
        return found
    named = [kind for word in words for kind in _TYPE_WORDS[word]]
    keep = np.isin(_columns()["type"][found], named)
    return found[keep] if keep.any() else found


_AUTONOMOUS_TYPES = {"prefecture": "自治州", "county": "自治县", "banner": "自治旗"}


def _autonomous_tiers(name: str, latin: dict[str, list[int]]) -> list[list[int]]:
    """English names of autonomous units: "Enshi Tujia and Miao Autonomous Prefecture".

    The place comes first, then the peoples: the longest run of leading words that is a
    name of the registry, among the units of the type named (自治州, 自治县, 自治旗).
    """
    words = re.sub(r"[\s\-_'’.,()]+", " ", _letters_and_spaces(name)).split()
    if "autonomous" not in words[1:]:
        return []
    at = words.index("autonomous")
    kind = _AUTONOMOUS_TYPES.get(words[at + 1] if at + 1 < len(words) else "")
    if kind is None:
        return []
    types = _columns()["type"]
    tiers = []
    for stop in range(at, 0, -1):
        key = latin_key(" ".join(words[:stop]))
        tiers.append([pos for pos in latin.get(key, []) if types[pos] == kind])
    return tiers


def _candidates(
    name: str,
    level: str | None,
    province: int | None,
    year: int | None,
    prefecture: int | None = None,
) -> np.ndarray:
    index = _index()
    hints: list[set[str]] = []
    if _HAN.search(name):
        key = chinese_key(name)
        tiers = [index["full"].get(key, []), index["short"].get(key, [])]
        types = _columns()["type"]
        for suffix, kind in _CHINESE_ABBREVIATIONS:
            stem = key[: -len(suffix)]
            if key.endswith(suffix) and stem:
                positions = index["full"].get(stem, []) + index["short"].get(stem, [])
                tiers.append([pos for pos in positions if types[pos] == kind])
    else:
        key = latin_key(name)
        breaks = _syllable_breaks(name)
        words = _type_words(name)
        tiers = [_respects_breaks(index["latin"].get(key, []), key, breaks)]
        hints = [words]
        tiers += _autonomous_tiers(name, index["latin"])
        hints += [set()] * (len(tiers) - len(hints))
        # glued type words: "jilinshi", "chaoyangqu" (only when the whole key is no name)
        for suffix in ("shi", "xian", "qu", "diqu", "meng", "qi", "city"):
            if key.endswith(suffix) and len(key) > len(suffix) + 1:
                stem = key[: -len(suffix)]
                tiers.append(_respects_breaks(index["latin"].get(stem, []), stem, breaks))
                hints.append(words | ({suffix} & set(_TYPE_WORDS)))
    for number, positions in enumerate(tiers):
        found = _positions(positions, level, province, year, prefecture)
        if len(found):
            return _prefer_type(found, hints[number] if hints else set())
    return np.empty(0, dtype=np.int64)


def _suggest(name: str, level: str | None, province: int | None) -> pd.DataFrame:
    index = _index()
    han = bool(_HAN.search(name))
    keys = list(index["full"]) + list(index["short"]) if han else list(index["latin"])
    key = chinese_key(name) if han else latin_key(name)
    close = difflib.get_close_matches(key, keys, n=8, cutoff=0.6)
    found: list[pd.DataFrame] = []
    for match in close:  # best match first
        positions: list[int] = []
        for tier in ("full", "short", "latin"):
            positions += index[tier].get(match, [])
        found.append(_distinct_codes(_filter(positions, level, province, None)))
    if not found:
        return _filter([], level, province, None)
    rows = pd.concat(found).drop_duplicates("code")
    return rows.head(5).reset_index(drop=True)


def division_code(
    name: object,
    level: str | None = None,
    province: object = None,
    year: int | None = None,
    prefecture: object = None,
) -> int:
    """The GB/T 2260 code of a prefecture or county, from any usual spelling.

    Parameters
    ----------
    name
        Full or short Chinese name (日喀则市, 日喀则地区, 日喀则; 恩施州 and
        湘西自治州 for autonomous prefectures), pinyin with or without tones,
        spaces, hyphens or tone numbers, in any case (Rikaze, Rì kā zé), the
        usual English exonym (Shigatse, Kashgar, Hohhot) or English form
        (Enshi Tujia and Miao Autonomous Prefecture), or a 6-digit code (int,
        whole float or str). An apostrophe marks a syllable break (Xi'an is
        西安, never 献县), and a type word chooses among units of one name
        (Jilin City is 吉林市, Jilin Province 吉林省). Traditional characters
        are not read.
    level
        ``"prefecture"``, ``"county"`` or ``"province"``; ``None`` searches every
        level and refuses a name found at several (吉林: the city or the province).
        The municipalities and the province-administered county-level units
        (xx90xx) are prefecture-level units too.
    province
        Restricts the search to one province (any spelling :func:`mi.province_code`
        accepts).
    prefecture
        Restricts a county search to one prefecture (a code or any spelling
        this function accepts for a prefecture): 桥东区 is a district of three
        cities of Hebei.
    year
        Restricts the search to the units in force at the end of that year
        (2010-2019). Without it, a name matching an old and a new code of the
        same unit (毕节地区 522400 -> 毕节市 520500) resolves to the unit in
        force in the latest list.

    Returns
    -------
    int

    Raises
    ------
    AmbiguousDivisionError
        The name matches several divisions; the message and ``.candidates``
        list each one (code, name, level, province, years) and say which
        argument would choose.
    UnknownDivisionError
        No division has that name; the message names the closest spellings.

    Examples
    --------
    >>> import massincidents as mi
    >>> mi.division_code("Shigatse"), mi.division_code("日喀则地区")
    (540200, 542300)
    >>> mi.division_code("Bijie", level="prefecture")
    520500
    >>> mi.division_code("Bijie", level="prefecture", year=2010)
    522400
    >>> mi.division_code("吉林", level="prefecture"), mi.division_code("linyi", level="prefecture")
    (220200, 371300)
    >>> mi.division_code("Chaoyang District", province="Beijing")
    110105
    >>> try:
    ...     mi.division_code("吉林")
    ... except mi.AmbiguousDivisionError as err:
    ...     print(err.candidates[["code", "name_zh", "level"]].to_string(index=False))
      code name_zh      level
    220000     吉林省   province
    220200     吉林市 prefecture
    """
    level = check_level(level)
    year = check_year(year)
    province_code = None
    if province is not None:
        from massincidents.provinces import province_code as _province_code

        province_code = _province_code(province)
    prefecture_code = None
    if prefecture is not None:
        prefecture_code = division_code(prefecture, "prefecture", province, year)
    code = _as_code(name)
    if code is not None:
        where = np.flatnonzero(_columns()["code"] == code)
        if len(_positions(where, level, province_code, year, prefecture_code)):
            return code
        # the code at another level, in other years or elsewhere: named, so the reason shows
        raise UnknownDivisionError(name, level, _filter(where, None, None, None))
    if not isinstance(name, str) or not name.strip():
        raise UnknownDivisionError(name, level, _filter([], level, None, None))
    found = _candidates(name.strip(), level, province_code, year, prefecture_code)
    codes = np.unique(_columns()["code"][found])
    if len(codes) == 1:
        return int(codes[0])
    rows = _distinct_codes(divisions().iloc[found])
    if len(rows) == 0:
        raise UnknownDivisionError(name, level, _suggest(name, level, province_code))
    if len(rows) > 1 and year is None:
        rows = _latest_of_one_unit(rows)
    if len(rows) > 1:
        raise AmbiguousDivisionError(name, rows.reset_index(drop=True), year is not None)
    return int(rows["code"].iloc[0])


def _latest_of_one_unit(rows: pd.DataFrame) -> pd.DataFrame:
    """Keep the code in force in the latest list when every other is its predecessor."""
    current = rows[rows["valid_to"] == LAST_YEAR]
    if len(current) != 1:
        return rows
    latest = int(current["code"].iloc[0])
    successors = _successors()
    others = [int(c) for c in rows["code"] if int(c) != latest]
    if all(latest in successors.get(c, set()) for c in others):
        return current
    return rows


def _as_code(name: object) -> int | None:
    """A six-digit code given as an integer, an integral float or a string, else ``None``.

    Full-width digits and invisible characters are read (NFKC); a float that is not a
    whole number (110105.7) is not a code, not truncated.
    """
    if isinstance(name, bool):
        return None
    if isinstance(name, str):
        text = unicodedata.normalize("NFKC", _visible(name)).strip()
        match = re.fullmatch(r"(\d{6})(?:\.0*)?", text, flags=re.ASCII)
        return int(match.group(1)) if match else None
    if isinstance(name, numbers.Real) or (hasattr(name, "item") and hasattr(name, "dtype")):
        try:
            value = float(name)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        if not math.isfinite(value) or value != int(value):
            return None
        return int(value) if 100000 <= value <= 999999 else None
    return None
