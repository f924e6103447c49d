"""The prefectures and counties valid in a year."""

from __future__ import annotations

import pandas as pd

from massincidents.divisions.table import check_year, divisions

COLUMNS = (
    "code",
    "name_zh",
    "name_zh_short",
    "pinyin",
    "name_en",
    "type",
    "province_code",
    "prefecture_code",
    "valid_from",
    "valid_to",
)


def roster(level: str, year: int | None = None) -> pd.DataFrame:
    """Rows of one level valid in ``year`` (all rows when ``year`` is None)."""
    year = check_year(year)
    table = divisions()
    rows = table[table["level"] == level]
    if year is not None:
        rows = rows[(rows["valid_from"] <= year) & (rows["valid_to"] >= year)]
    return rows.loc[:, list(COLUMNS)].reset_index(drop=True).copy()


def prefectures(year: int | None = None) -> pd.DataFrame:
    """Prefecture-level units (and prefecture-equivalents) of the GB/T 2260 lists.

    Parameters
    ----------
    year
        2010-2019: the units in force at the end of that year (one row per
        code). ``None``: every code and name over 2010-2019, with the years
        it is valid (a code renamed has one row per name).

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name_zh`` (毕节市), ``name_zh_short`` (毕节), ``pinyin``
        (bijie), ``name_en`` (usual English exonym where it differs from the
        pinyin: Hohhot, Shigatse; else empty), ``type`` (地级市, 地区, 自治州,
        盟; 直辖市 for the four municipalities and 省直辖县级 for the
        province-administered county-level units, which count as their own
        prefecture), ``province_code``, ``prefecture_code`` (the code itself),
        ``valid_from``, ``valid_to``.

    Examples
    --------
    >>> import massincidents as mi
    >>> p = mi.prefectures(2017)
    >>> p.loc[p.code == 540200, ["name_zh", "name_en", "valid_from"]].values.tolist()
    [['日喀则市', 'Shigatse', 2014]]
    >>> 522400 in set(mi.prefectures(2012).code), 522400 in set(mi.prefectures(2010).code)
    (False, True)
    """
    return roster("prefecture", year)


def counties(year: int | None = None) -> pd.DataFrame:
    """County-level units (市辖区, 县级市, 县, 自治县, 旗, ...) of the GB/T 2260 lists.

    Parameters
    ----------
    year
        2010-2019: the units in force at the end of that year; ``None``: all,
        with their validity years.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`prefectures`; ``prefecture_code`` is the
        prefecture the county belongs to (the municipality for Beijing's,
        Tianjin's, Shanghai's and Chongqing's districts and counties; the
        unit itself for province-administered county-level units, xx90xx).
        Prefecture-level cities without counties (Dongguan, Zhongshan,
        Jiayuguan, Danzhou from 2015) have no county rows.

    Examples
    --------
    >>> import massincidents as mi
    >>> c = mi.counties()
    >>> c.loc[c.code == 371324, ["name_zh", "valid_from", "valid_to"]].values.tolist()
    [['苍山县', 2010, 2013], ['兰陵县', 2014, 2019]]
    """
    return roster("county", year)
