"""Tests for massincidents.validate."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import massincidents as mi
from massincidents import DataError, DataQualityWarning, OutsideMainlandWarning
from massincidents.provinces import MAINLAND_CODES

DATA = Path(__file__).parent / "data"


def balanced(codes: tuple[int, ...] = (110000, 120000, 130000), years=range(2010, 2014)):
    rows = [{"province": c, "year": y, "strikes": 1, "gdp": 1.5} for c in codes for y in years]
    return pd.DataFrame(rows)


def quiet_validate(df: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return mi.validate(df, **kwargs)


def problems(df: pd.DataFrame, **kwargs: object) -> list[mi.Problem]:
    with pytest.raises(DataError) as info:
        mi.validate(df, **kwargs)
    return info.value.problems


# ---------------------------------------------------------------------------
# frames that pass
# ---------------------------------------------------------------------------


def test_returns_the_same_object_when_ok() -> None:
    df = balanced()
    assert quiet_validate(df, counts=["strikes"]) is df
    indexed = df.set_index(["province", "year"])
    assert quiet_validate(indexed, counts=["strikes"]) is indexed
    pd.testing.assert_frame_equal(indexed, balanced().set_index(["province", "year"]))


def test_province_as_index_year_as_column() -> None:
    df = balanced().set_index("province")
    assert quiet_validate(df) is df


def test_names_and_codes_as_strings_pass() -> None:
    df = pd.DataFrame(
        {"province": ["北京", "Tianjin", "130000"] * 2, "year": ["2016"] * 3 + ["2017年"] * 3}
    )
    df["v"] = ["1", "2,000", "3.5", "4", "5", "—"]
    quiet_validate(df)


def test_text_columns_are_left_alone() -> None:
    df = balanced()
    df["name"] = "a name"
    quiet_validate(df)


def test_custom_key_names() -> None:
    df = balanced().rename(columns={"province": "prov", "year": "t"})
    quiet_validate(df, province="prov", year="t")
    with pytest.raises(DataError, match="no 'province' column or index level"):
        mi.validate(df)


def test_not_a_dataframe() -> None:
    with pytest.raises(TypeError):
        mi.validate([1, 2, 3])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# hard problems
# ---------------------------------------------------------------------------


def test_duplicates_after_normalisation() -> None:
    df = pd.DataFrame(
        {"province": ["北京", "北京市", "Beijing"], "year": [2016] * 3, "v": [1, 2, 3]}
    )
    found = problems(df)
    assert [(p.row, p.column) for p in found] == [(1, "province"), (2, "province")]
    assert "the same key is at row 0" in found[0].message
    assert "110000" in found[0].message


def test_unknown_and_missing_provinces_and_national_total() -> None:
    df = pd.DataFrame(
        {"province": ["Atlantis", None, "全国", "Beijing"], "year": [2016] * 4, "v": [1] * 4}
    )
    found = problems(df)
    assert [p.row for p in found] == [0, 1, 2]
    assert "unknown province 'Atlantis'" in found[0].message
    assert "Did you mean" in found[0].message
    assert found[1].message == "province is missing"
    assert "national total" in found[2].message


def test_year_problems() -> None:
    df = pd.DataFrame(
        {
            "province": ["Beijing", "Tianjin", "Hebei", "Shanxi", "Jilin"],
            "year": [2016.5, "2017-06", None, 1800, 2016],
            "v": [1.0] * 5,
        }
    )
    found = problems(df)
    messages = {p.row: p.message for p in found}
    assert set(messages) == {0, 1, 2, 3}
    assert "not an integer year" in messages[0] and "not an integer year" in messages[1]
    assert messages[2] == "year is missing"
    assert "outside the plausible range 1949-2100" in messages[3]
    assert all(p.column == "year" for p in found)


def test_year_range_option() -> None:
    df = balanced()
    found = problems(df, year_range=(2011, 2012))
    assert len(found) == 2 * 3
    assert "2011-2012" in found[0].message


def test_non_numeric_cells() -> None:
    df = balanced()
    df["gdp"] = df["gdp"].astype(object)
    df.loc[3, "gdp"] = "abc"
    df.loc[7, "gdp"] = "12,5"  # a decimal comma is not a number
    found = problems(df)
    assert [(p.row, p.column) for p in found] == [(3, "gdp"), (7, "gdp")]
    assert "non-numeric value 'abc' in a numeric column" in found[0].message


def test_counts_negative_fractional_and_text() -> None:
    df = balanced()
    df["strikes"] = df["strikes"].astype(object)
    df.loc[0, "strikes"] = -2
    df.loc[1, "strikes"] = 1.5
    df.loc[2, "strikes"] = "many"
    found = problems(df, counts=["strikes"])
    assert [p.row for p in found] == [0, 1, 2]
    assert "negative count" in found[0].message
    assert "fractional count" in found[1].message
    assert "non-numeric" in found[2].message


def test_count_column_of_text_is_still_checked() -> None:
    df = balanced()
    df["strikes"] = "many"
    assert len(problems(df, counts=["strikes"])) == len(df)


def test_missing_count_column() -> None:
    found = problems(balanced(), counts=["protests"])
    assert found[0].column == "protests" and "not found" in found[0].message


def test_entirely_missing_column() -> None:
    df = balanced()
    df["unemployment"] = np.nan
    df["notes"] = "—"
    found = problems(df)
    assert {p.column for p in found} == {"unemployment", "notes"}
    assert all(p.row is None for p in found)
    assert "entirely missing" in found[0].message


def test_empty_frame() -> None:
    found = problems(balanced().iloc[:0])
    assert "no rows" in found[0].message


def test_every_problem_in_one_error_sorted_by_row() -> None:
    df = pd.DataFrame(
        {
            "province": ["Beijing", "Beijing", "Gotham", "Tianjin"],
            "year": [2016, 2016, 2016, 3000],
            "strikes": [1, 2, "x", -1],
        }
    )
    with pytest.raises(DataError) as info:
        mi.validate(df, counts=["strikes"], source="mine.csv")
    err = info.value
    assert len(err.problems) == 5
    rows = [p.row for p in err.problems]
    assert rows == sorted(rows)
    text = str(err)
    assert text.startswith("5 problems found")
    assert "mine.csv, row 2, column 'province': unknown province 'Gotham'" in text
    assert "mine.csv, row 3, column 'year'" in text


def test_file_line_numbers_from_read_panel_attrs() -> None:
    df = mi.read_panel(DATA / "nbs_wide_gbk.csv", value_name="gdp")
    df["n"] = 1
    df.loc[(130000, 2016), "n"] = -5
    subset = df.loc[[110000, 130000]]  # filtering keeps the (province, year) -> line map usable
    for frame in (df, subset):
        with pytest.raises(DataError) as info:
            mi.validate(frame, counts=["n"])
        problem = info.value.problems[-1]
        assert problem.file.endswith("nbs_wide_gbk.csv")
        assert problem.row == 7  # 河北省 is on line 7 of the file
        assert problem.message.startswith("negative count -5;")
        assert problem.column == "n"


def test_positional_rows_without_attrs() -> None:
    df = balanced().set_index(["province", "year"])
    df.iloc[5, 0] = -1
    found = problems(df, counts=["strikes"])
    assert found[0].row == 5 and found[0].file is None


# ---------------------------------------------------------------------------
# soft problems: one warning each, with counts
# ---------------------------------------------------------------------------


def test_gap_in_years_is_one_warning() -> None:
    df = balanced()
    df = df.drop(index=[1, 5, 6]).reset_index(drop=True)  # 110000/2011, 120000/2011+2012
    with pytest.warns(DataQualityWarning) as record:
        mi.validate(df)
    messages = [str(w.message) for w in record]
    assert len(messages) == 2
    gaps = next(m for m in messages if "gaps" in m)
    assert "2 province(s) have gaps in their years (3 missing province-year(s))" in gaps
    assert "110000 (Beijing): 2011" in gaps and "120000 (Tianjin): 2011, 2012" in gaps
    absent = next(m for m in messages if "lack provinces" in m)
    assert "2 year(s) lack provinces" in absent and "(3 missing province-year(s))" in absent


def test_province_missing_from_final_year_warns_without_gap() -> None:
    df = balanced().iloc[:-1]  # 130000 lacks 2013: not a gap, but 2013 lacks a province
    with pytest.warns(DataQualityWarning, match=r"1 year\(s\) lack provinces") as record:
        mi.validate(df, source="panel.csv")
    assert len(record) == 1
    assert str(record[0].message).startswith("panel.csv: ")


def test_outside_mainland_rows_warn() -> None:
    df = pd.DataFrame({"province": ["Beijing", "Hong Kong", "Macao"], "year": [2016] * 3, "v": 1})
    with pytest.warns(OutsideMainlandWarning, match=r"2 row\(s\) are for Hong Kong"):
        mi.validate(df)


def test_no_warnings_when_there_are_hard_problems() -> None:
    df = balanced().iloc[1:].copy()
    df["gdp"] = df["gdp"].astype(object)
    df.loc[2, "gdp"] = "bad"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError):
            mi.validate(df)


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    codes=st.lists(st.sampled_from(MAINLAND_CODES), min_size=1, max_size=6, unique=True),
    first=st.integers(1950, 2090),
    n_years=st.integers(1, 8),
    duplicate=st.booleans(),
)
def test_balanced_panels_pass_and_injected_duplicates_are_found(
    codes: list[int], first: int, n_years: int, duplicate: bool
) -> None:
    if first < 1997:  # Chongqing before 1997 warns (it was part of Sichuan)
        codes = [c for c in codes if c != 500000] or [510000]
    df = balanced(tuple(codes), range(first, first + n_years))
    if not duplicate:
        assert quiet_validate(df, counts=["strikes"]) is df
        return
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    found = problems(df, counts=["strikes"])
    assert len(found) == 1
    assert found[0].row == len(df) - 1 and "duplicate province-year" in found[0].message


@pytest.mark.parametrize("spelling", ["全国", "全  国", "National", "China", "Total", "sum"])
def test_national_total_spellings(spelling: str) -> None:
    df = pd.DataFrame({"province": ["Beijing", spelling], "year": [2016, 2016], "v": [1, 2]})
    found = problems(df)
    assert len(found) == 1 and "national total" in found[0].message


def test_chongqing_before_1997_is_reported() -> None:
    df = balanced((500000, 510000), range(1995, 1999))
    with pytest.warns(DataQualityWarning, match=r"2 row\(s\) for 500000 \(Chongqing\) before 1997"):
        assert mi.validate(df) is df
    later = balanced((500000, 510000), range(1997, 1999))
    assert quiet_validate(later) is later


# ---------------------------------------------------------------------------
# one rule for numbers, at any share of bad cells (issue 14)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "hint"),
    [
        ("28014.94¹", "superscript"),
        ("10²", "superscript"),
        ("2.5②", "footnote mark"),
        ("12 34", "spaces between digits"),
        ("2016 2017", "spaces between digits"),
        ("1_000", "underscores"),
        ("1,23", "decimal comma"),
    ],
)
def test_footnote_marks_spaces_and_underscores_are_not_digits(cell: str, hint: str) -> None:
    df = balanced().astype({"gdp": object})
    df.loc[5, "gdp"] = cell
    found = problems(df, source="gdp.csv")
    assert [(p.file, p.row, p.column) for p in found] == [("gdp.csv", 5, "gdp")]
    assert f"non-numeric value {cell!r}" in found[0].message and hint in found[0].message


def _with_bad_share(cell: str, n_bad: int) -> pd.DataFrame:
    df = balanced().astype({"gdp": object})  # 12 rows
    df.loc[: n_bad - 1, "gdp"] = cell
    return df


@pytest.mark.parametrize("cell", ["1.234,5", "1.5亿元", "n.r.", "12.5%"])
@pytest.mark.parametrize("n_bad", [1, 6, 11])  # one cell, 50%, over 90%
def test_mostly_unparseable_numeric_column_is_an_error_not_text(cell: str, n_bad: int) -> None:
    found = problems(_with_bad_share(cell, n_bad))
    cells = [p for p in found if p.row is not None]
    assert [(p.row, p.column) for p in cells] == [(i, "gdp") for i in range(n_bad)]
    assert all(f"non-numeric value {cell!r}" in p.message for p in cells)


@pytest.mark.parametrize("cell", ["1.234,5", "1.5亿元", "28014.94¹"])
def test_column_with_only_number_like_cells_is_an_error(cell: str) -> None:
    found = problems(_with_bad_share(cell, 12))
    assert len([p for p in found if p.row is not None]) == 12
    assert any("12 of the 12 filled cells are not numbers" in p.message for p in found)


def test_text_columns_without_any_number_stay_text() -> None:
    df = balanced()
    df["note"] = ["修订", "n.r.", "2016-03-01", "初步核算数"] * 3
    df["all_nr"] = "n.r."
    # Identifiers (as the bundled leader ids): codes with digits outnumber the
    # few that happen to be all digits, so the column is text.
    df["leader_id"] = ["Le945062828", "L8469691303", "A12", "9f65a", "1203"] * 2 + ["x1", "y2"]
    assert quiet_validate(df) is df


def test_names_with_a_few_stray_numbers_stay_text_but_placeholders_do_not() -> None:
    df = balanced()
    df["name"] = ["Hebei", "Henan", "Hubei", "Hunan", "Anhui", "Jilin"] * 2
    df.loc[3, "name"] = "3"
    assert quiet_validate(df) is df
    df["gdp"] = ["n.r.", "x", "不详", "未公布"] * 2 + ["1.5"] * 4  # placeholders, not names
    found = problems(df)
    assert [(p.row, p.column) for p in found if p.row is not None] == [(i, "gdp") for i in range(8)]


def test_number_like_cells_make_a_column_numeric_even_among_identifiers() -> None:
    df = balanced()
    df["gdp"] = ["Le945062828"] * 11 + ["1.5亿元"]
    found = problems(df)
    assert (11, "gdp") in [(p.row, p.column) for p in found]


@pytest.mark.parametrize(
    ("values", "hint"),
    [
        ([np.inf] + [1.5] * 11, "infinite"),
        ([-np.inf] * 12, "infinite"),
        ([1 + 2j] * 12, "complex"),
        (pd.to_timedelta(range(12), unit="D"), "duration"),
    ],
)
def test_dataframe_values_a_csv_would_refuse(values: object, hint: str) -> None:
    df = balanced()
    df["gdp"] = values
    found = [p for p in problems(df) if p.row is not None]
    assert found and found[0].row == 0 and found[0].column == "gdp"
    assert hint in found[0].message


def test_text_option_keeps_a_column_as_text() -> None:
    df = balanced()
    df["size_band"] = [">10000", "100-999", "1000-9999", "50"] * 3
    found = problems(df)
    assert any("text=['size_band']" in p.message for p in found)
    assert quiet_validate(df, text=["size_band"]) is df
    assert [p.message for p in problems(df, text=["nope"], counts=["strikes"])][:1] == [
        "text column 'nope' not found; the columns are 'province', 'year', 'strikes', 'gdp', "
        "'size_band'"
    ]
    assert any("both in counts= and in text=" in p.message for p in problems(
        balanced(), counts=["strikes"], text=["strikes"]
    ))
