"""Find the key columns of a table: which column holds provinces, which years.

By header name first (``province``, ``省份``, ``地区``, ``year``, ``年份``, ...,
compared after case folding and dropping spaces and punctuation), then by
content (a column of province names, a column of years). The ``*_like``
tests also tell :mod:`massincidents.io.table` which row is the header and
:mod:`massincidents.io.layout` which way a wide table runs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import pandas as pd

from massincidents.core.cells import is_missing, parse_years, year_or_none
from massincidents.provinces import normalise_provinces

__all__ = [
    "PROVINCE_NAMES",
    "YEAR_NAMES",
    "find_column",
    "guess_by_content",
    "mostly_provinces",
    "name_key",
    "names_key_column",
    "province_like",
    "year_like",
]

# Header spellings of the key columns of a long table, in order of preference
# (compared after case folding and dropping spaces, "_", "-", ".").
PROVINCE_NAMES = (
    "province",
    "provcode",
    "provincecode",
    "provincename",
    "provname",
    "prov",
    "省份",
    "地区",
    "省",
    "省份名称",
    "地区名称",
    "省区",
    "省市",
    "省级行政区",
    "省份代码",
    "地区代码",
    "region",
)
YEAR_NAMES = ("year", "年份", "年度", "年", "yr", "时间", "period")


def name_key(text: str) -> str:
    """Key for matching column names: case folded, no spaces or punctuation."""
    return re.sub(r"[\s_\-.]+", "", unicodedata.normalize("NFKC", text).casefold())


def province_like(text: str) -> bool:
    _, unknown = normalise_provinces(pd.Series([text], dtype=object))
    return bool(text) and not bool(unknown.iloc[0])


def year_like(text: str) -> bool:
    year = year_or_none(text) if text else None
    return year is not None and 1800 <= year <= 2200


def names_key_column(labels: Sequence[str]) -> bool:
    """Whether any cell is a key column name such as 地区, province or year."""
    keys = {name_key(n) for n in (*PROVINCE_NAMES, *YEAR_NAMES)}
    return any(name_key(text) in keys for text in labels if text)


def find_column(header: list[str], wanted: str | None, aliases: Sequence[str]) -> int | None:
    """Index of the column named ``wanted``, else of the first alias present."""
    keys = [name_key(h) for h in header]
    if wanted is not None:
        for candidate in (wanted, name_key(wanted)):
            if candidate in header:
                return header.index(candidate)
            if candidate in keys:
                return keys.index(candidate)
        return None
    for alias in aliases:
        if name_key(alias) in keys:
            return keys.index(name_key(alias))
    return None


def mostly_provinces(values: pd.Series) -> bool:
    """Whether at least 80% of the filled cells of a column name provinces."""
    filled = values[~is_missing(values)]
    if filled.empty:
        return False
    _, unknown = normalise_provinces(filled)
    return bool((~unknown).mean() >= 0.8)


def guess_by_content(body: pd.DataFrame, exclude: set[int], kind: str) -> int | None:
    """First column whose cells are mostly provinces (or all years)."""
    for j in body.columns:
        if j in exclude:
            continue
        values = body[j][~is_missing(body[j])]
        if values.empty:
            continue
        if kind == "province":
            if mostly_provinces(values):
                return int(j)
        else:
            years, _, bad = parse_years(values)
            if not bad.any() and years.between(1800, 2200).all():
                return int(j)
    return None
