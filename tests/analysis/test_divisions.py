"""Checks of the division tables built by ``analysis/06_divisions.py``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "data" / "divisions.csv"
CHANGES = ROOT / "data" / "division_changes.csv"
REASON = "raw GB/T 2260 lists not available"


@pytest.mark.parametrize(("position", "path"), [(0, TABLE), (1, CHANGES)])
def test_rebuild_is_byte_identical(
    load_step: Callable[..., ModuleType],
    rebuild_table: Callable[..., Path],
    position: int,
    path: Path,
) -> None:
    step = load_step("06_divisions.py")
    out = rebuild_table(
        step.raw_files(), lambda paths: step.build(*paths)[position], path.stem, REASON
    )
    assert out.read_bytes() == path.read_bytes()


def test_every_code_of_every_raw_list_is_in_the_table(load_step: Callable[..., ModuleType]) -> None:
    step = load_step("06_divisions.py")
    common = sys.modules["_common"]
    try:
        paths = common.require_raw(*sorted(set(step.LISTS.values())))
    except common.RawDataMissing:
        pytest.skip(REASON)
    lists = dict(zip(sorted(set(step.LISTS.values())), paths, strict=True))
    table = pd.read_csv(TABLE)
    for year, rel in step.LISTS.items():
        raw = pd.read_csv(lists[rel], sep="\t", dtype={"Code": "int64"})
        raw = raw[~raw["Name"].str.contains(step.GROUPING_NAMES)]
        raw = raw[(raw["Code"] // 10000 * 10000).isin(table["province_code"])]
        raw = raw[~raw["Code"].isin(step.NOT_DIVISIONS)]
        valid = table[(table["valid_from"] <= year) & (table["valid_to"] >= year)]
        listed = set(zip(raw["Code"], raw["Name"], strict=True))
        held = set(zip(valid["code"], valid["name_zh"], strict=True))
        missing = listed - held
        # the NBS list of October 2012 stands for 2011: units it shows but the
        # crosswalk dates to 2012 are valid from 2012; 江洲区 is its misspelling of 江州区
        if year == 2011:
            later = table[table["valid_from"] == 2012]
            missing -= set(zip(later["code"], later["name_zh"], strict=True))
            missing -= {(451402, "江洲区")}
        assert not missing, (year, sorted(missing)[:10])
        # nothing valid that the list does not hold, except units kept until the crosswalk's year
        extra = {c for c, _n in held} - set(raw["Code"])
        if year not in (2011, 2018):
            assert not extra, (year, sorted(extra)[:10])


def test_changes_refer_to_codes_of_the_table() -> None:
    table = pd.read_csv(TABLE)
    changes = pd.read_csv(CHANGES, dtype={"old_code": "Int64", "new_code": "Int64"})
    assert set(changes["kind"]) <= {
        "renamed",
        "recoded",
        "upgraded",
        "merged",
        "split",
        "abolished",
        "created",
    }
    for row in changes.itertuples(index=False):
        level = table[table["level"] == row.level]
        if pd.notna(row.old_code):
            old = level[level["code"] == row.old_code]
            assert (old["valid_to"] == row.year - 1).any(), row
        if pd.notna(row.new_code):
            new = level[level["code"] == row.new_code]
            assert ((new["valid_from"] <= row.year) & (new["valid_to"] >= row.year)).any(), row
    split = changes[changes["kind"] == "split"]
    assert split.groupby(["level", "old_code"]).size().min() >= 2
