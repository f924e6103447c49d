"""Registry of China's provinces and normalisation of their names.

The registry holds the 31 province-level units of the mainland (22 provinces,
5 autonomous regions, 4 municipalities) keyed by their GB/T 2260 code, plus
Hong Kong, Macao and Taiwan, which are recognised but are *outside the mainland
panel*: readers report them instead of dropping them silently.

Regions follow the National Bureau of Statistics convention (east, central,
west, northeast), as used in the China Statistical Yearbook since 2011.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import lru_cache

import pandas as pd

from massincidents.errors import UnknownProvinceError

# code, full Chinese name, short Chinese name, English name, pinyin, NBS region
_MAINLAND: tuple[tuple[int, str, str, str, str, str], ...] = (
    (110000, "北京市", "北京", "Beijing", "Beijing", "east"),
    (120000, "天津市", "天津", "Tianjin", "Tianjin", "east"),
    (130000, "河北省", "河北", "Hebei", "Hebei", "east"),
    (140000, "山西省", "山西", "Shanxi", "Shanxi", "central"),
    (150000, "内蒙古自治区", "内蒙古", "Inner Mongolia", "Nei Menggu", "west"),
    (210000, "辽宁省", "辽宁", "Liaoning", "Liaoning", "northeast"),
    (220000, "吉林省", "吉林", "Jilin", "Jilin", "northeast"),
    (230000, "黑龙江省", "黑龙江", "Heilongjiang", "Heilongjiang", "northeast"),
    (310000, "上海市", "上海", "Shanghai", "Shanghai", "east"),
    (320000, "江苏省", "江苏", "Jiangsu", "Jiangsu", "east"),
    (330000, "浙江省", "浙江", "Zhejiang", "Zhejiang", "east"),
    (340000, "安徽省", "安徽", "Anhui", "Anhui", "central"),
    (350000, "福建省", "福建", "Fujian", "Fujian", "east"),
    (360000, "江西省", "江西", "Jiangxi", "Jiangxi", "central"),
    (370000, "山东省", "山东", "Shandong", "Shandong", "east"),
    (410000, "河南省", "河南", "Henan", "Henan", "central"),
    (420000, "湖北省", "湖北", "Hubei", "Hubei", "central"),
    (430000, "湖南省", "湖南", "Hunan", "Hunan", "central"),
    (440000, "广东省", "广东", "Guangdong", "Guangdong", "east"),
    (450000, "广西壮族自治区", "广西", "Guangxi", "Guangxi", "west"),
    (460000, "海南省", "海南", "Hainan", "Hainan", "east"),
    (500000, "重庆市", "重庆", "Chongqing", "Chongqing", "west"),
    (510000, "四川省", "四川", "Sichuan", "Sichuan", "west"),
    (520000, "贵州省", "贵州", "Guizhou", "Guizhou", "west"),
    (530000, "云南省", "云南", "Yunnan", "Yunnan", "west"),
    (540000, "西藏自治区", "西藏", "Tibet", "Xizang", "west"),
    (610000, "陕西省", "陕西", "Shaanxi", "Shaanxi", "west"),
    (620000, "甘肃省", "甘肃", "Gansu", "Gansu", "west"),
    (630000, "青海省", "青海", "Qinghai", "Qinghai", "west"),
    (640000, "宁夏回族自治区", "宁夏", "Ningxia", "Ningxia", "west"),
    (650000, "新疆维吾尔自治区", "新疆", "Xinjiang", "Xinjiang", "west"),
)

# Recognised, but outside the mainland panel.
_OUTSIDE: tuple[tuple[int, str, str, str, str, str], ...] = (
    (710000, "台湾省", "台湾", "Taiwan", "Taiwan", "outside"),
    (810000, "香港特别行政区", "香港", "Hong Kong", "Xianggang", "outside"),
    (820000, "澳门特别行政区", "澳门", "Macao", "Aomen", "outside"),
)

#: Codes of the 31 mainland provinces, in GB/T 2260 order.
MAINLAND_CODES: tuple[int, ...] = tuple(row[0] for row in _MAINLAND)
#: Codes of Taiwan, Hong Kong and Macao.
OUTSIDE_MAINLAND_CODES: tuple[int, ...] = tuple(row[0] for row in _OUTSIDE)

# Further spellings seen in yearbooks, statistical exports and datasets.
_EXTRA_ALIASES: dict[str, int] = {
    "Nei Mongol": 150000,
    "Neimenggu": 150000,
    "Neimongol": 150000,
    "Inner Mongolia Autonomous Region": 150000,
    "内蒙": 150000,
    "Guangxi Zhuang": 450000,
    "Guangxi Zhuang Autonomous Region": 450000,
    "Tibet Autonomous Region": 540000,
    "Xizang Autonomous Region": 540000,
    "Ningxia Hui": 640000,
    "Ningxia Hui Autonomous Region": 640000,
    "Xinjiang Uygur": 650000,
    "Xinjiang Uyghur": 650000,
    "Xinjiang Uygur Autonomous Region": 650000,
    "Xinjiang Uyghur Autonomous Region": 650000,
    "Shannxi": 610000,
    "Shaanxi Province": 610000,
    "Shensi": 610000,
    "Shansi": 140000,
    "Hong Kong SAR": 810000,
    "Hongkong": 810000,
    "Macau": 820000,
    "Macao SAR": 820000,
    "Macau SAR": 820000,
    "Chinese Taipei": 710000,
    "中国香港": 810000,
    "中国澳门": 820000,
    "中国台湾": 710000,
    "臺灣": 710000,
}

_SUFFIXES_EN = (
    "autonomous region",
    "special administrative region",
    "municipality",
    "province",
    "sheng",
    "shi",
    "sar",
)
_SUFFIXES_ZH = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


def _key(name: str) -> str:
    """Normalise a spelling for lookup: width, case, spaces, punctuation, suffixes."""
    text = unicodedata.normalize("NFKC", name).strip().strip(",;.").strip()
    text = text.replace("\u3000", " ")
    if re.search(r"[\u4e00-\u9fff]", text):
        text = re.sub(r"\s+", "", text)
        for suffix in _SUFFIXES_ZH:
            if text.endswith(suffix) and len(text) > len(suffix) + 1:
                text = text[: -len(suffix)]
                break
        return text
    text = text.lower()
    text = re.sub(r"[\s\-_'’.,]+", " ", text).strip()
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES_EN:
            if text.endswith(" " + suffix):
                text = text[: -len(suffix) - 1].strip()
                changed = True
    return text.replace(" ", "")


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    rows = [
        {
            "code": code,
            "name_zh": full,
            "name_zh_short": short,
            "name_en": en,
            "pinyin": py,
            "region": region,
            "mainland": region != "outside",
        }
        for code, full, short, en, py, region in (*_MAINLAND, *_OUTSIDE)
    ]
    return pd.DataFrame(rows)


@lru_cache(maxsize=1)
def _lookup() -> dict[str, int]:
    table: dict[str, int] = {}
    for code, full, short, en, py, _region in (*_MAINLAND, *_OUTSIDE):
        for spelling in (full, short, en, py):
            table[_key(spelling)] = code
    for spelling, code in _EXTRA_ALIASES.items():
        table[_key(spelling)] = code
    # Shanxi and Shaanxi must never collide after normalisation.
    assert table[_key("Shanxi")] == 140000 and table[_key("Shaanxi")] == 610000
    return table


def provinces(*, include_outside: bool = False) -> pd.DataFrame:
    """Return the province registry.

    Parameters
    ----------
    include_outside
        Also return Taiwan, Hong Kong and Macao (region ``"outside"``).

    Returns
    -------
    pandas.DataFrame
        One row per province with columns ``code`` (GB/T 2260, e.g. 150000),
        ``name_zh`` (full official name, 内蒙古自治区), ``name_zh_short`` (内蒙古),
        ``name_en`` (Inner Mongolia), ``pinyin`` (Nei Menggu), ``region``
        (east, central, west or northeast, per the NBS convention) and
        ``mainland``.

    Examples
    --------
    >>> import massincidents as mi
    >>> p = mi.provinces()
    >>> len(p), p.loc[p.code == 150000, "name_zh"].item()
    (31, '内蒙古自治区')
    """
    table = _table()
    if not include_outside:
        table = table[table["mainland"]]
    return table.reset_index(drop=True).copy()


def _code_from_number(value: float) -> int | None:
    if value != value or value != int(value):  # NaN or fractional
        return None
    number = int(value)
    known = set(MAINLAND_CODES) | set(OUTSIDE_MAINLAND_CODES)
    if number in known:
        return number
    if 10 <= number <= 99 and number * 10000 in known:  # two-digit province prefix
        return number * 10000
    return None


def province_code(name: object) -> int:
    """Map any spelling of a province, or its code, to the GB/T 2260 code.

    Accepts full and short Chinese names (内蒙古自治区, 内蒙古), English names
    (Inner Mongolia, Tibet), pinyin (Nei Mongol, Neimenggu, Xizang; Shannxi for
    Shaanxi), names with trailing commas, spaces or suffixes such as
    "Province", and codes as int, float or str (``150000``, ``"150000"``,
    ``15``, ``15.0``).

    Parameters
    ----------
    name
        A province name or code.

    Returns
    -------
    int
        The six-digit GB/T 2260 code. Hong Kong (810000), Macao (820000) and
        Taiwan (710000) are recognised; check ``is_mainland`` before using a
        code in a mainland panel.

    Raises
    ------
    UnknownProvinceError
        When the spelling is not known; the message names the closest matches.

    Examples
    --------
    >>> import massincidents as mi
    >>> mi.province_code("内蒙古"), mi.province_code("Shannxi"), mi.province_code("540000")
    (150000, 610000, 540000)
    """
    if isinstance(name, bool) or name is None:
        raise UnknownProvinceError(name, [])
    if isinstance(name, int | float):
        code = _code_from_number(float(name))
        if code is None:
            raise UnknownProvinceError(name, [])
        return code
    if not isinstance(name, str):
        item = getattr(name, "item", None)  # numpy scalars
        if not callable(item):
            raise UnknownProvinceError(name, [])
        return province_code(item())
    text = name.strip().strip(",;").strip()
    if re.fullmatch(r"\d+(\.0+)?", text, flags=re.ASCII):  # not Arabic-Indic or other digits
        code = _code_from_number(float(text))
        if code is None:
            raise UnknownProvinceError(name, [])
        return code
    key = _key(text)
    lookup = _lookup()
    if key in lookup:
        return lookup[key]
    raise UnknownProvinceError(name, _suggest(text))


def _suggest(text: str, n: int = 3) -> list[str]:
    table = _table()
    spellings = [
        *table["name_en"],
        *table["pinyin"],
        *table["name_zh"],
        *table["name_zh_short"],
    ]
    by_key = {_key(s): s for s in spellings}
    close = difflib.get_close_matches(_key(text), list(by_key), n=n, cutoff=0.5)
    return [by_key[k] for k in close]


def is_mainland(code: int) -> bool:
    """True for the 31 mainland provinces, False for Taiwan, Hong Kong, Macao.

    Parameters
    ----------
    code
        A GB/T 2260 province code (as :func:`province_code` returns).

    Returns
    -------
    bool

    Examples
    --------
    >>> import massincidents as mi
    >>> mi.is_mainland(440000), mi.is_mainland(mi.province_code("Hong Kong"))
    (True, False)
    """
    return int(code) in MAINLAND_CODES


def province_name(code: int, *, lang: str = "en") -> str:
    """Name of a province from its code.

    Parameters
    ----------
    code
        A GB/T 2260 province code.
    lang
        ``"en"`` (English), ``"zh"`` (full Chinese name), ``"zh_short"``
        (short Chinese name) or ``"pinyin"``.

    Returns
    -------
    str

    Raises
    ------
    UnknownProvinceError
        When the code is not in the registry.

    Examples
    --------
    >>> import massincidents as mi
    >>> [mi.province_name(150000, lang=lang) for lang in ("en", "zh", "zh_short", "pinyin")]
    ['Inner Mongolia', '内蒙古自治区', '内蒙古', 'Nei Menggu']
    """
    column = {"en": "name_en", "zh": "name_zh", "zh_short": "name_zh_short", "pinyin": "pinyin"}
    if lang not in column:
        raise ValueError(f"lang must be one of {sorted(column)}, got {lang!r}")
    table = _table().set_index("code")
    if int(code) not in table.index:
        raise UnknownProvinceError(code, [])
    return str(table.at[int(code), column[lang]])


def normalise_provinces(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map a column of spellings to codes without raising.

    Parameters
    ----------
    values
        Province names or codes, one per row.

    Returns
    -------
    codes, unknown
        ``codes`` is a nullable ``Int64`` Series (``<NA>`` where unknown);
        ``unknown`` is a boolean Series marking the rows that did not map, so
        callers can report them with row numbers.
    """
    # each distinct spelling looked up once (an events table repeats a few dozen)
    positions, distinct = pd.factorize(values, use_na_sentinel=True)
    looked_up: list[int | None] = []
    for value in distinct:
        try:
            looked_up.append(province_code(value))
        except UnknownProvinceError:
            looked_up.append(None)
    mapped = pd.array([*looked_up, None], dtype="Int64")  # the last: a missing value
    codes = pd.Series(mapped[positions], index=values.index, dtype="Int64")
    return codes, codes.isna()
