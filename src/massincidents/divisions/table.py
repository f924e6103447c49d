"""The processed division tables (``data/divisions.csv``, ``data/division_changes.csv``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

LEVELS = ("province", "prefecture", "county")
#: first and last year of the code lists
FIRST_YEAR, LAST_YEAR = 2010, 2019


def _path(name: str) -> Path:
    """The table in this clone's ``data/`` folder, else in the installed package."""
    clone = Path(__file__).resolve().parents[3] / "data" / f"{name}.csv"
    if clone.exists():
        return clone
    from massincidents.datasets.bundled import _data_root

    path = _data_root() / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: run `massincidents reproduce` to build the division tables"
        )
    return path


@lru_cache(maxsize=1)
def divisions() -> pd.DataFrame:
    """Every code/name spell: ``level, code, province_code, prefecture_code, name_zh, ...``."""
    table = pd.read_csv(
        _path("divisions"),
        dtype={"prefecture_code": "Int64", "pinyin_generated": str, "name_en": str},
        keep_default_na=False,
        na_values={"prefecture_code": [""]},
        encoding="utf-8",
    )
    return table


@lru_cache(maxsize=1)
def changes() -> pd.DataFrame:
    """Every code change between consecutive years (``data/division_changes.csv``)."""
    table = pd.read_csv(
        _path("division_changes"),
        dtype={"old_code": "Int64", "new_code": "Int64", "old_name_zh": str, "new_name_zh": str},
        keep_default_na=False,
        na_values={"old_code": [""], "new_code": [""]},
        encoding="utf-8",
    )
    table["seat"] = table["seat"].astype(str).eq("True")
    return table


def check_year(year: int | None) -> int | None:
    """Refuse years outside the lists (a ``ValueError`` naming the range)."""
    if year is None:
        return None
    if isinstance(year, bool) or int(year) != year:
        raise ValueError(f"year must be an integer, got {year!r}")
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise ValueError(f"year {year} is outside the GB/T 2260 lists of {FIRST_YEAR}-{LAST_YEAR}")
    return int(year)


def check_level(level: str | None, allowed: tuple[str, ...] = LEVELS) -> str | None:
    if level is None or level in allowed:
        return level
    raise ValueError(f"level must be one of {', '.join(map(repr, allowed))}; got {level!r}")
