"""The prefecture roster of one vintage, shared by the prefecture build steps.

Read from the processed tables ``data/divisions.csv`` and
``data/division_changes.csv`` (built by ``06_divisions.py``), so that every
prefecture table uses the same roster and the same code changes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from _common import DATA_DIR

DIVISIONS_CSV = DATA_DIR / "divisions.csv"
CHANGES_CSV = DATA_DIR / "division_changes.csv"
#: The vintage every prefecture code is put on.
VINTAGE = 2017
#: Municipalities: their own prefecture, coded as the province (the 2020 census and the
#: mayors file code them 110100 ...).
MUNICIPALITIES = (110000, 120000, 310000, 500000)


def vintage_codes(
    divisions: Path = DIVISIONS_CSV, changes: Path = CHANGES_CSV, vintage: int = VINTAGE
) -> dict[int, int]:
    """Map every prefecture-level code of 2010-2019 to its code in ``vintage``.

    A code in force in ``vintage`` maps to itself; a code replaced one-to-one
    (renamed, re-coded, upgraded) maps along the chain of changes up to
    ``vintage``; the municipalities' ``xx0100`` codes map to ``xx0000``. Codes
    that were split, merged or abolished are not mapped.
    """
    mapping = {int(c): int(c) for c in roster(divisions, vintage)["code"]}
    ch = pd.read_csv(changes)
    one_to_one = ch[
        (ch["level"] == "prefecture")
        & ch["kind"].isin(["renamed", "recoded", "upgraded"])
        & (ch["year"] <= vintage)
    ].dropna(subset=["old_code", "new_code"])
    successor = {
        int(o): int(n) for o, n in zip(one_to_one["old_code"], one_to_one["new_code"], strict=True)
    }
    for code in successor:
        target = code
        seen = set()
        while target in successor and target not in seen:
            seen.add(target)
            target = successor[target]
        if target in mapping:
            mapping[code] = target
    for code in MUNICIPALITIES:
        mapping[code + 100] = code
    return mapping


def roster(divisions: Path = DIVISIONS_CSV, vintage: int = VINTAGE) -> pd.DataFrame:
    """Prefecture-level units in force at the end of ``vintage``: code, province, type.

    Returns
    -------
    pandas.DataFrame
        One row per code, sorted: ``code``, ``province``, ``name_zh``, ``type``.
    """
    div = pd.read_csv(divisions)
    level = div["level"] == "prefecture"
    pref = div[level & (div["valid_from"] <= vintage) & (div["valid_to"] >= vintage)]
    if pref["code"].duplicated().any():
        raise ValueError(f"{divisions.name}: a prefecture code with two names in {vintage}")
    out = pd.DataFrame(
        {
            "code": pref["code"].astype(int),
            "province": pref["province_code"].astype(int),
            "name_zh": pref["name_zh"],
            "type": pref["type"],
        }
    )
    return out.sort_values("code").reset_index(drop=True)


def in_force(
    years: range, divisions: Path = DIVISIONS_CSV, changes: Path = CHANGES_CSV
) -> pd.DataFrame:
    """Whether each unit of the roster (or a one-to-one predecessor) is in force each year.

    Returns
    -------
    pandas.DataFrame
        ``prefecture``, ``year``, ``in_force`` (0/1), for every roster code and year.
        In force means: listed at the end of the year under this code or under a
        code that became this one by renaming, re-coding or upgrading (毕节地区
        522400 in 2010 counts for 毕节市 520500). A unit created during a year is
        in force for the whole year.
    """
    mapping = vintage_codes(divisions, changes)
    div = pd.read_csv(divisions)
    pref = div[div["level"] == "prefecture"].copy()
    pref["target"] = pref["code"].astype(int).map(mapping)
    rows = []
    for code in roster(divisions)["code"]:
        own = pref[pref["target"] == code]
        for year in years:
            valid = ((own["valid_from"] <= year) & (own["valid_to"] >= year)).any()
            rows.append({"prefecture": int(code), "year": year, "in_force": int(valid)})
    return pd.DataFrame(rows)
