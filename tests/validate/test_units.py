"""validate below the province: the unit keys (``src/massincidents/validate/units.py``)."""

from __future__ import annotations

import pandas as pd
import pytest

import massincidents as mi


def test_unit_in_another_province_and_unknown_province() -> None:
    frame = pd.DataFrame(
        {
            "province": ["Guangdong", "Atlantis", "Hebei"],
            "county": ["110105", "440303", "桥东区"],
            "year": [2015, 2015, 2015],
        }
    )
    with pytest.raises(mi.DataError) as info:
        mi.validate(frame, level="county")
    messages = {(p.row, p.column): p.message for p in info.value.problems}
    assert messages[(0, "county")] == "county 110105 朝阳区 is not in province 440000 of this row"
    assert messages[(1, "province")] == "unknown province 'Atlantis'"
    assert "ambiguous county '桥东区'" in messages[(2, "county")]


def test_years_outside_the_lists_are_checked_against_every_code() -> None:
    frame = pd.DataFrame({"prefecture": [440300, "Shenzhen", 522400], "year": [2005, 2006, 2008]})
    assert mi.validate(frame, level="prefecture") is frame


def test_level_argument() -> None:
    with pytest.raises(mi.DataError, match="level must be"):
        mi.validate(pd.DataFrame({"a": [1]}), level="town")


def test_unit_keys_from_the_index_and_duplicates() -> None:
    frame = pd.DataFrame(
        {"county": ["罗湖区", "440303", "Futian"], "year": [2016, 2016, 2016], "x": [1, 2, 3]}
    ).set_index(["county", "year"])
    with pytest.raises(mi.DataError) as info:
        mi.validate(frame, level="county")
    (problem,) = info.value.problems
    assert problem.row == 1 and problem.column == "county"
    assert problem.message.startswith("duplicate county-year ('440303' = 440303 罗湖区, 2016)")
