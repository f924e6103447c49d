"""Resolve Chinese, pinyin and English spellings of prefectures and counties to codes.

A spelling is normalised to a key (:func:`latin_key`, :func:`chinese_key`) and
looked up in an index of every name the registry holds: the full and short
Chinese names, the pinyin (also the generated reading where the build step
corrected it) and the usual English exonym. Chinese full names are tried
before short names (吉林市 is the city, 吉林 is the city or the province).
"""

from __future__ import annotations

import difflib
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
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("ü", "u").replace("v", "u")
    text = re.sub(r"[0-9]", "", text)
    text = re.sub(r"[\s\-_'’.,()]+", " ", text).strip()
    changed = True
    while changed:
        changed = False
        for suffix in _LATIN_SUFFIXES:
            if text.endswith(" " + suffix):
                text = text[: -len(suffix) - 1].strip()
                changed = True
    return text.replace(" ", "")


def chinese_key(text: str) -> str:
    """Key of a Chinese spelling: NFKC, without spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


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
        for name in ("level", "code", "province_code", "prefecture_code", "valid_from", "valid_to")
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


def _candidates(
    name: str,
    level: str | None,
    province: int | None,
    year: int | None,
    prefecture: int | None = None,
) -> np.ndarray:
    index = _index()
    if _HAN.search(name):
        key = chinese_key(name)
        tiers = [index["full"].get(key, []), index["short"].get(key, [])]
    else:
        key = latin_key(name)
        tiers = [index["latin"].get(key, [])]
        # glued type words: "jilinshi", "chaoyangqu"
        for suffix in ("shi", "xian", "qu", "diqu", "meng", "qi", "city"):
            if key.endswith(suffix) and len(key) > len(suffix) + 1:
                tiers.append(index["latin"].get(key[: -len(suffix)], []))
    for positions in tiers:
        found = _positions(positions, level, province, year, prefecture)
        if len(found):
            return found
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
        Full or short Chinese name (日喀则市, 日喀则地区, 日喀则), pinyin with
        or without tones, spaces, hyphens or tone numbers, in any case
        (Rikaze, Rì kā zé), the usual English exonym (Shigatse, Kashgar,
        Hohhot), or a 6-digit code (int or str).
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
        raise UnknownDivisionError(name, level, _filter([], level, None, None))
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
    if isinstance(name, bool):
        return None
    if isinstance(name, int) or (hasattr(name, "item") and not isinstance(name, str)):
        try:
            value = int(name)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return None
        return value if 100000 <= value <= 999999 else None
    if isinstance(name, str) and re.fullmatch(r"\d{6}", name.strip(), flags=re.ASCII):
        return int(name.strip())
    return None
