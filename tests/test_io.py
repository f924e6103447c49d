"""Tests for massincidents.io.read_panel.

Synthetic fixtures live in tests/data/ (written by tests/data/make_fixtures.py);
the real raw NBS and Kaggle exports are read from ../shared/data/raw/ when it
exists (it is never copied into the repository).
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import massincidents as mi
from massincidents import DataError, DataQualityWarning, OutsideMainlandWarning

DATA = Path(__file__).parent / "data"
RAW = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "raw"
GDP = RAW / "gdp"

needs_raw = pytest.mark.skipif(not GDP.is_dir(), reason=f"raw data not found at {RAW}")

sys.path.insert(0, str(DATA))
import make_fixtures  # noqa: E402


def read(name: str, **kwargs: object) -> pd.DataFrame:
    """read_panel on a fixture, failing on any unexpected warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return mi.read_panel(DATA / name, **kwargs)


def error(source: object, **kwargs: object) -> DataError:
    with pytest.raises(DataError) as info:
        mi.read_panel(source, **kwargs)
    return info.value


def assert_panel_shape(df: pd.DataFrame) -> None:
    assert list(df.index.names) == ["province", "year"]
    assert df.index.get_level_values("province").dtype == np.int64
    assert df.index.get_level_values("year").dtype == np.int64
    assert df.index.is_monotonic_increasing
    assert df.index.is_unique
    assert set(df.index.get_level_values("province")) <= set(mi.provinces()["code"])


# ---------------------------------------------------------------------------
# fixtures are reproducible
# ---------------------------------------------------------------------------


def test_text_fixtures_match_their_generator(tmp_path: Path) -> None:
    for path in make_fixtures.write_text(tmp_path):
        assert path.read_bytes() == (DATA / path.name).read_bytes(), path.name


def test_docstring_examples() -> None:
    # io and validate are packages: run the examples of every module in them.
    names = ["massincidents.core.cells"]
    for package in ("massincidents.io", "massincidents.validate"):
        names.append(package)
        modules = pkgutil.iter_modules(sys.modules[package].__path__)
        names += [f"{package}.{module.name}" for module in modules]
    for name in names:
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, name


# ---------------------------------------------------------------------------
# synthetic files in the shapes of real inputs
# ---------------------------------------------------------------------------


def test_nbs_wide_gbk_export() -> None:
    df = read("nbs_wide_gbk.csv")
    assert_panel_shape(df)
    assert list(df.columns) == ["地区生产总值"]
    assert df.shape == (12, 1)
    assert df.loc[(110000, 2017), "地区生产总值"] == 300.50
    assert df.loc[(150000, 2015), "地区生产总值"] == 100.0
    assert np.isnan(df.loc[(120000, 2015), "地区生产总值"])  # "—"
    assert np.isnan(df.loc[(150000, 2016), "地区生产总值"])  # empty cell
    assert df["地区生产总值"].dtype == np.float64
    attrs = df.attrs
    assert attrs["encoding"] == "gbk"
    assert attrs["layout"] == "wide"
    assert attrs["header_row"] == 4
    assert attrs["source"].endswith("nbs_wide_gbk.csv")
    assert attrs["indicator"] == "地区生产总值"
    assert attrs["units"] == {"地区生产总值": "亿元"}
    assert attrs["metadata"]["时间"] == "2015-2017"
    assert len(attrs["title"]) == 3
    assert attrs["rows_read"] == 6
    assert attrs["rows_kept"] == 4
    assert attrs["rows_removed"]["footnote"] == 2
    assert attrs["notes"][1] == "数据来源：测试"
    assert attrs["source_rows"][(110000, 2017)] == 5
    assert attrs["source_rows"][(150000, 2015)] == 8


def test_value_name_overrides_indicator() -> None:
    df = read("nbs_wide_gbk.csv", value_name="gdp")
    assert list(df.columns) == ["gdp"]
    assert df.attrs["units"] == {"gdp": "亿元"}


def test_yearbook_drops_national_and_outside_rows_with_warnings() -> None:
    with pytest.warns(Warning) as record:
        df = mi.read_panel(DATA / "yearbook_wide_gb18030.csv")
    by_category = {w.category: str(w.message) for w in record}
    assert len(record) == 2
    outside = by_category[OutsideMainlandWarning]
    assert "yearbook_wide_gb18030.csv" in outside and "removed 2 row(s)" in outside
    assert "香  港 (row 7)" in outside and "澳  门 (row 8)" in outside
    national = by_category[DataQualityWarning]
    assert "removed 1 row(s)" in national and "全  国 (row 4)" in national
    assert sorted(set(df.index.get_level_values("province"))) == [110000, 120000, 650000]
    assert df.attrs["rows_removed"] == {
        "blank": 0,
        "footnote": 0,
        "national_total": 1,
        "outside_mainland": 2,
    }
    assert df.attrs["rows_read"] == 6 and df.attrs["rows_kept"] == 3
    assert df.attrs["units"] == {"value": "亿元"}
    assert list(df.columns) == ["value"]


def test_long_utf8_bom_with_chinese_headers() -> None:
    df = read("long_utf8_bom.csv")
    assert_panel_shape(df)
    assert df.attrs["encoding"] == "utf-8-sig"
    assert df.attrs["layout"] == "long"
    assert list(df.columns) == ["strikes", "gdp", "备注"]
    assert df.loc[(310000, 2015), "gdp"] == 1200.0  # "1,200.0"
    assert np.isnan(df.loc[(310000, 2016), "strikes"])  # "NA"
    # a text column, kept as text; missing is None under pandas 2 (object), NaN under
    # pandas 3 (its default string dtype), so test missingness, not the marker
    assert df["备注"].isna().tolist() == [True, False, True, True]
    assert df["备注"].dropna().tolist() == ["修订"]
    assert not pd.api.types.is_numeric_dtype(df["备注"])
    assert df.attrs["source_rows"][(310000, 2016)] == 5


def test_long_english_spellings_and_integer_columns() -> None:
    df = read("long_en.csv", counts=["strikes"])
    assert sorted(set(df.index.get_level_values("province"))) == [110000, 150000, 610000]
    assert df["strikes"].dtype == np.int64
    assert df["urban_rate"].dtype == np.float64
    assert df.loc[(610000, 2017), "urban_rate"] == 56.8


def test_tab_separated_codes_and_aliases() -> None:
    with pytest.warns(DataQualityWarning, match=r"1 year\(s\) lack provinces"):
        df = mi.read_panel(DATA / "long_codes.tsv")
    assert df.loc[(310000, 2010), "count"] == 2
    assert df.attrs["layout"] == "long"


def test_transposed_wide_with_typo_column() -> None:
    df = read("transposed_en.csv", value_name="gdp")
    assert_panel_shape(df)
    assert df.attrs["layout"] == "wide_transposed"
    assert df.loc[(450000, 2016), "gdp"] == 16.1  # header "Guangxi,"
    assert df.loc[(150000, 2017), "gdp"] == 14.9
    assert df.attrs["source_rows"][(110000, 2015)] == 4


def test_transposed_wide_read_as_long_suggests_layout() -> None:
    err = error(DATA / "transposed_en.csv", layout="long")
    text = str(err)
    assert "transposed_en.csv" in text
    assert "layout='wide_transposed'" in text
    assert "row 1" in text


def test_excel_sheet_by_name_and_index() -> None:
    by_name = read("wide_two_sheets.xlsx", sheet="分省年度数据")
    by_index = read("wide_two_sheets.xlsx", sheet=1)
    pd.testing.assert_frame_equal(by_name, by_index)
    assert list(by_name.columns) == ["城镇化率"]
    assert by_name.attrs["units"] == {"城镇化率": "%"}
    assert by_name.attrs["sheet"] == "分省年度数据"
    assert by_name.attrs["header_row"] == 3
    assert by_name.attrs["encoding"] is None
    assert by_name.attrs["rows_removed"]["footnote"] == 1
    assert by_name.attrs["rows_removed"]["blank"] == 1
    assert np.isnan(by_name.loc[(310000, 2016), "城镇化率"])  # "…"
    assert by_name.loc[(540000, 2017), "城镇化率"] == 30.9
    assert by_name.attrs["source_rows"][(540000, 2017)] == 6


def test_excel_first_sheet_without_table_lists_sheets() -> None:
    text = str(error(DATA / "wide_two_sheets.xlsx"))
    assert "wide_two_sheets.xlsx" in text
    assert "'说明'" in text and "'分省年度数据'" in text and "sheet=" in text


def test_excel_with_a_wrong_stored_dimension(tmp_path: Path) -> None:
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["province", "year", "gdp"], ["Beijing", 2016, 1.5], ["Tianjin", 2016, 2.5]):
        sheet.append(row)
    good = tmp_path / "good.xlsx"
    book.save(good)
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:C3"/>', b'<dimension ref="A1:A1"/>')
                assert b'ref="A1:A1"' in data
            dst.writestr(item, data)
    df = mi.read_panel(bad)
    assert df.loc[(120000, 2016), "gdp"] == 2.5


def test_excel_missing_sheet_lists_existing_sheets() -> None:
    err = error(DATA / "wide_two_sheets.xlsx", sheet="GDP")
    text = str(err)
    assert "wide_two_sheets.xlsx" in text and "no sheet 'GDP'" in text
    assert "'说明'" in text and "'分省年度数据'" in text
    err = error(DATA / "wide_two_sheets.xlsx", sheet=5)
    assert "no sheet 5" in str(err)


def test_parquet_long() -> None:
    df = read("long.parquet", counts=["strikes"])
    assert df.loc[(440000, 2017), "strikes"] == 120
    assert df["strikes"].dtype == np.int64
    assert df.attrs["source_rows"][(440000, 2016)] == 0  # 0-based position


def test_dataframe_long_and_wide() -> None:
    long = pd.DataFrame(
        {"地区": ["河北", "河北", "山西"], "年份": ["2016年", "2017年", "2016年"], "y": [1, 2, 3]}
    )
    with pytest.warns(DataQualityWarning, match="lack provinces"):
        df = mi.read_panel(long)
    assert df.loc[(140000, 2016), "y"] == 3
    assert df.attrs["source"] == "<DataFrame>"
    wide = pd.DataFrame({"province": ["Hebei", "Shanxi"], 2016: [1.0, 2.0], 2017: [3.0, 4.0]})
    out = mi.read_panel(wide, value_name="y")
    assert out.attrs["layout"] == "wide"
    assert out.loc[(130000, 2017), "y"] == 3.0


def test_dataframe_indexed_by_province_year_round_trips() -> None:
    df = read("long_en.csv")
    again = mi.read_panel(df)
    pd.testing.assert_frame_equal(df, again)


def test_explicit_key_columns() -> None:
    frame = pd.DataFrame({"where": ["Beijing", "Tianjin"], "when": [2016, 2016], "v": [1, 2]})
    df = mi.read_panel(frame, province="where", year="when")
    assert df.loc[(120000, 2016), "v"] == 2
    err = error(frame, province="prov", year="when")
    assert "no column named 'prov'" in str(err) and "'where'" in str(err)


@pytest.mark.parametrize("token", ["", "—", "-", "…", "NA", "n/a", "--", "...", "——"])
def test_missing_tokens_become_nan(token: str) -> None:
    frame = pd.DataFrame(
        {"province": ["Beijing", "Tianjin"], "year": [2016, 2016], "v": [token, "2"]}
    )
    df = mi.read_panel(frame)
    assert np.isnan(df.loc[(110000, 2016), "v"])
    assert df.loc[(120000, 2016), "v"] == 2


def test_read_panel_writes_nothing(tmp_path: Path) -> None:
    for name in ("nbs_wide_gbk.csv", "wide_two_sheets.xlsx", "long.parquet", "duplicates.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    cwd_before = set(os.listdir("."))
    read_in = [tmp_path / "nbs_wide_gbk.csv", tmp_path / "long.parquet"]
    for path in read_in:
        mi.read_panel(path)
    mi.read_panel(tmp_path / "wide_two_sheets.xlsx", sheet=1)
    with pytest.raises(DataError):
        mi.read_panel(tmp_path / "duplicates.csv")
    assert {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    assert set(os.listdir(".")) == cwd_before


# ---------------------------------------------------------------------------
# bad input: every failure is a DataError naming file, row and column
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["shift_jis.csv", "latin1.csv"])
def test_wrong_encoding_lists_encodings_tried(name: str) -> None:
    err = error(DATA / name)
    text = str(err)
    assert name in text
    for encoding in ("utf-8", "gbk", "gb18030"):
        assert encoding in text
    assert "encoding=" in text
    assert err.problems[0].file.endswith(name)


def test_explicit_wrong_encoding_names_line() -> None:
    err = error(DATA / "nbs_wide_gbk.csv", encoding="utf-8")
    assert "nbs_wide_gbk.csv" in str(err) and "cannot decode as utf-8" in str(err)
    assert err.problems[0].row == 1
    assert isinstance(err.__cause__, UnicodeDecodeError)


def test_explicit_encoding_is_used() -> None:
    df = read("latin1.csv", encoding="latin-1", province="région", year="année")
    assert df.attrs["encoding"] == "latin-1"
    assert df.loc[(130000, 2017), "valeur"] == 2


def test_gb18030_only_characters(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    text = "省份,年份,人口,备注\n北京,2016,1,㐀\n天津,2016,2,修订\n"
    path.write_bytes(text.encode("gb18030"))
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    df = mi.read_panel(path)
    assert df.attrs["encoding"] == "gb18030"
    assert df.loc[(110000, 2016), "备注"] == "㐀"


def test_utf16_with_bom_tab_separated(tmp_path: Path) -> None:
    path = tmp_path / "excel_unicode.txt"
    path.write_bytes("地区\t2016年\t2017年\n北京\t1\t2\n".encode("utf-16"))
    df = mi.read_panel(path)
    assert df.attrs["encoding"] == "utf-16"
    assert df.loc[(110000, 2017), "value"] == 2


def test_source_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="path or a DataFrame"):
        mi.read_panel(b"province,year\n")  # type: ignore[arg-type]


def test_unknown_encoding_name() -> None:
    assert "unknown encoding 'klingon'" in str(error(DATA / "long_en.csv", encoding="klingon"))


def test_merged_header_rows() -> None:
    # Indicators merged across in the first header row, years below (issue 14).
    df = read("merged_header.csv")
    assert_panel_shape(df)
    assert list(df.columns) == ["地区生产总值", "人口"]
    assert df.loc[(110000, 2017)].tolist() == [2, 4]
    assert df.loc[(120000, 2016)].tolist() == [5, 7]
    assert df.attrs["layout"] == "wide"
    assert df.attrs["source_rows"][(120000, 2016)] == 4


def test_nbs_export_with_years_over_indicator_names() -> None:
    # Years merged across in one row, indicator names below: as NBS/EPS export them.
    with pytest.warns(DataQualityWarning, match="national totals"):
        df = mi.read_panel(DATA / "nbs_two_row_header_gbk.csv")
    assert_panel_shape(df)
    assert list(df.columns) == ["地区生产总值", "年末常住人口"]
    assert df.shape == (6, 2)
    assert df.loc[(110000, 2017), "地区生产总值"] == 300.50
    assert df.loc[(110000, 2016), "年末常住人口"] == 2173
    assert df.loc[(130000, 2016), "地区生产总值"] == 140.00
    assert np.isnan(df.loc[(120000, 2016), "年末常住人口"])  # "—"
    assert df.attrs["units"] == {"地区生产总值": "亿元", "年末常住人口": "万人"}
    assert df.attrs["encoding"] == "gbk" and df.attrs["header_row"] == 3
    assert df.attrs["source_rows"][(130000, 2017)] == 8
    assert df.attrs["rows_removed"]["footnote"] == 2


def test_two_row_header_errors_name_the_indicator_and_year(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text(
        "地区,2017年,,2016年,\n,GDP(亿元),人口,GDP(亿元),人口\n北京市,1,2,3,x\n天津市,5,6,7,8\n",
        encoding="utf-8",
    )
    err = error(path)
    assert [(p.row, p.column) for p in err.problems] == [(3, "人口, 2016年")]
    assert "non-numeric value 'x'" in str(err)


def test_two_row_header_with_a_units_row_below(tmp_path: Path) -> None:
    path = tmp_path / "three.csv"
    path.write_text(
        "地区,2017年,,2016年,\n,GDP,人口,GDP,人口\n,亿元,万人,亿元,万人\n北京市,1,2,3,4\n",
        encoding="utf-8",
    )
    err = error(path)
    assert "three.csv, row 3" in str(err) and "third header row" in str(err)


def test_dataframe_with_two_column_levels(tmp_path: Path) -> None:
    columns = pd.MultiIndex.from_tuples(
        [("地区", ""), ("2017年", "GDP"), ("2017年", "人口"), ("2016年", "GDP")]
    )
    frame = pd.DataFrame([["北京市", 1.5, 2, 3.5], ["天津市", 5.0, 6, 7.0]], columns=columns)
    df = mi.read_panel(frame)
    assert df.loc[(110000, 2017)].tolist() == [1.5, 2.0]
    assert df.loc[(120000, 2016), "GDP"] == 7.0 and np.isnan(df.loc[(120000, 2016), "人口"])
    path = tmp_path / "two.xlsx"
    frame.to_excel(path)  # pandas writes merged year cells over the indicator row
    two_levels = pd.read_excel(path, header=[0, 1], index_col=0).reset_index(drop=True)
    from_excel = mi.read_panel(two_levels)
    pd.testing.assert_frame_equal(from_excel, df, check_dtype=False)


def test_bilingual_second_header_row(tmp_path: Path) -> None:
    path = tmp_path / "two_headers.csv"
    path.write_text("province,year,gdp\n省份,年份,地区生产总值\nBeijing,2016,1\n", encoding="utf-8")
    err = error(path)
    assert "two_headers.csv, row 2" in str(err) and "second header row" in str(err)
    # The hint is one that works: long form, not "one column per variable and year".
    assert "long form" in str(err) and "per variable and year" not in str(err)


def test_merged_excel_header_cells(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["地区", "地区生产总值", None, "人口", None])
    sheet.append([None, "2016年", "2017年", "2016年", "2017年"])
    sheet.append(["北京市", 1, 2, 3, 4])
    sheet.merge_cells("B1:C1")
    sheet.merge_cells("D1:E1")
    sheet.merge_cells("A1:A2")
    path = tmp_path / "merged.xlsx"
    book.save(path)
    df = read(path)
    assert df.loc[(110000, 2016)].tolist() == [1, 3]
    assert df.attrs["source_rows"][(110000, 2017)] == 3


def test_wide_unknown_province_reported_once_and_duplicates_grouped(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(
        "地区,2017年,2016年,2015年\n北京市,1,2,3\n东部地区,1,2,3\n北京,4,5,6\n", encoding="utf-8"
    )
    err = error(path)
    assert [(p.row, p.column) for p in err.problems] == [(3, "地区"), (4, "地区")]
    assert "unknown province '东部地区'" in err.problems[0].message
    assert "duplicate province-years ('北京' = 110000 (Beijing), 3 years: 2015-2017)" in str(err)
    assert "the same keys are at row 2" in str(err)


def test_duplicate_keys_name_both_rows() -> None:
    err = error(DATA / "duplicates.csv")
    assert len(err.problems) == 1
    problem = err.problems[0]
    assert (problem.row, problem.column) == (3, "province")
    text = str(err)
    assert "duplicates.csv" in text and "row 3" in text and "row 2" in text
    assert "110000" in text and "2016" in text


def test_long_long_table_gets_a_pivot_hint(tmp_path: Path) -> None:
    path = tmp_path / "tidy.csv"
    path.write_text(
        "province,year,variable,value\n"
        "Beijing,2016,gdp,1\nBeijing,2016,pop,2\nTianjin,2016,gdp,3\nTianjin,2016,pop,4\n"
    )
    err = error(path)
    hint = err.problems[0]
    assert hint.column == "variable" and "pivot" in hint.message
    assert [p.row for p in err.problems[1:]] == [3, 5]


def test_all_problems_reported_at_once() -> None:
    err = error(DATA / "text_in_numeric.csv", counts=["strikes"])
    found = {(p.row, p.column) for p in err.problems}
    assert found == {(3, "gdp"), (4, "strikes"), (5, "strikes"), (6, "province"), (7, "year")}
    text = str(err)
    assert "text_in_numeric.csv, row 3, column 'gdp': non-numeric value 'abc'" in text
    assert "negative count" in text and "fractional count" in text
    assert "unknown province 'Atlantis'" in text
    assert "year 1890 is outside the plausible range 1949-2100" in text
    assert text.startswith("5 problems found")


def test_without_counts_negative_values_pass() -> None:
    frame = pd.read_csv(DATA / "text_in_numeric.csv").iloc[[0, 2]]
    df = mi.read_panel(frame)
    assert df.loc[(120000, 2016), "strikes"] == -1


def test_empty_file() -> None:
    err = error(DATA / "empty.csv")
    assert "empty.csv" in str(err) and "empty" in str(err).split("empty.csv", 1)[1]


def test_blank_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("\n\n  \n")
    assert "is empty" in str(error(path))


def test_header_only_file() -> None:
    err = error(DATA / "header_only.csv")
    assert "header_only.csv, row 1" in str(err) and "only a header" in str(err)


def test_nonexistent_path_is_a_data_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    err = error(missing)
    assert str(missing) in str(err) and "no such file" in str(err)
    assert isinstance(err, ValueError)


def test_directory_is_a_data_error(tmp_path: Path) -> None:
    assert "directory" in str(error(tmp_path))


@pytest.mark.parametrize("suffix", [".json", ".dta", ""])
def test_unsupported_extension(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"table{suffix}"
    path.write_text("{}")
    text = str(error(path))
    assert path.name in text and "unsupported file extension" in text and ".xlsx" in text


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".parquet"])
def test_corrupt_binary_files_are_wrapped(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"province,year\nBeijing,2017\n")
    err = error(path)
    assert path.name in str(err) and "cannot" in str(err)
    assert err.__cause__ is not None  # the library error is chained, not shown as the error


def test_sheet_for_csv_is_rejected() -> None:
    assert "not an Excel file" in str(error(DATA / "long_en.csv", sheet=0))


def test_invalid_layout() -> None:
    assert "layout must be one of" in str(error(DATA / "long_en.csv", layout="diagonal"))


def test_wide_header_cell_that_is_not_a_year(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("地区,2017年,单位,2016年\n北京,1,亿元,2\n天津,3,亿元,4\n", encoding="utf-8")
    err = error(path)
    assert err.problems[0].column == "单位" and err.problems[0].row == 1
    assert "wide.csv, row 1, column '单位': header is not a year" in str(err)


def test_wide_text_cell_names_year_column(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("地区,2017年,2016年\n北京,1,2\n天津,x,4\n", encoding="utf-8")
    err = error(path)
    assert "wide.csv, row 3, column '2017年': non-numeric value 'x'" in str(err)


def test_transposed_header_that_is_not_a_province(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(",Beijing,Tianjin,Gotham\n2016,1,2,3\n2017,4,5,6\n")
    err = error(path)
    assert (err.problems[0].row, err.problems[0].column) == (1, "Gotham")


def test_transposed_outside_columns_dropped_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(",Beijing,Tianjin,Hong Kong,China\n2016,1,2,3,6\n2017,4,5,6,15\n")
    with pytest.warns(Warning) as record:
        df = mi.read_panel(path)
    assert {w.category for w in record} == {OutsideMainlandWarning, DataQualityWarning}
    assert any("Hong Kong" in str(w.message) for w in record)
    assert df.shape == (4, 1)
    assert df.attrs["columns_dropped"] == {
        "national_total": ["China"],
        "outside_mainland": ["Hong Kong"],
    }


def test_wide_with_codes_and_names(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("代码,地区,2017,2016\n110000,北京,1,2\n120000,天津,3,4\n", encoding="utf-8")
    df = mi.read_panel(path)
    assert df.loc[(120000, 2016), "value"] == 4
    assert df.attrs["columns_dropped"] == {"identifier": ["地区"]}


def test_short_line_above_header_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("Source: NBS, 2019\nprovince,year,gdp\nBeijing,2016,1\n", encoding="utf-8")
    df = mi.read_panel(path)
    assert df.attrs["header_row"] == 2
    assert df.attrs["title"] == ["Source: NBS 2019"]


def test_plain_header_is_not_mistaken_for_data(tmp_path: Path) -> None:
    # values in 1800-2200 look like years; the first row is still the header
    path = tmp_path / "long.csv"
    path.write_text("name,t,v\nHebei,2016,2000\nShanxi,2016,1990\n", encoding="utf-8")
    df = mi.read_panel(path)
    assert df.attrs["header_row"] == 1
    assert df.loc[(130000, 2016), "v"] == 2000


def test_entirely_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("province,year,gdp,pop\nBeijing,2016,1,\nTianjin,2016,2,—\n")
    err = error(path)
    assert "long.csv, column 'pop': column is entirely missing" in str(err)


def test_wide_table_without_any_value(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("地区,2017年,2016年\n北京,—,\n天津,…,\n", encoding="utf-8")
    err = error(path, value_name="gdp")
    assert "wide.csv, column 'gdp': column is entirely missing" in str(err)


def test_wide_table_with_an_empty_latest_year(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("地区,2018年,2017年\n北京,,1\n天津,,2\n", encoding="utf-8")
    df = mi.read_panel(path)
    assert df.shape == (4, 1) and df["value"].isna().sum() == 2


def test_values_under_an_empty_header(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("province,year,gdp,\nBeijing,2016,1,7\nTianjin,2016,2,\n")
    err = error(path)
    assert "column 'column 4'" in str(err) and "no header" in str(err)


def test_trailing_empty_columns_are_dropped_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("province,year,gdp,,\nBeijing,2016,1,,\nTianjin,2016,2,,\n")
    df = mi.read_panel(path)
    assert list(df.columns) == ["gdp"]
    assert df.attrs["columns_dropped"] == {"empty": ["column 4", "column 5"]}


def test_duplicate_column_names(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("province,year,gdp,gdp\nBeijing,2016,1,2\n")
    err = error(path)
    assert "duplicate column name" in str(err) and "column 'gdp'" in str(err)


def test_no_pandas_internals_in_messages() -> None:
    for name in ("shift_jis.csv", "duplicates.csv", "header_only.csv"):
        with pytest.raises(DataError) as info:
            mi.read_panel(DATA / name)
        assert "Traceback" not in str(info.value)
        assert "KeyError" not in str(info.value)


# ---------------------------------------------------------------------------
# the real raw files (skipped when ../shared/data/raw is absent)
# ---------------------------------------------------------------------------


@needs_raw
def test_raw_nbs_gbk_export_1993_2017() -> None:
    # NBS back-casts Chongqing to 1993; it was part of Sichuan until 1997.
    with pytest.warns(DataQualityWarning, match=r"Chongqing\) before 1997 \(1993, 1994"):
        df = mi.read_panel(GDP / "tobby-star_gdp_1993-2017_gbk.csv")
    assert_panel_shape(df)
    assert df.shape == (31 * 25, 1)
    assert list(df.columns) == ["地区生产总值"]
    assert df.attrs["encoding"] in ("gbk", "gb18030")
    assert df.attrs["header_row"] == 4
    assert df.attrs["rows_removed"]["footnote"] == 2
    assert df.attrs["units"] == {"地区生产总值": "亿元"}
    assert df.loc[(110000, 2017), "地区生产总值"] == pytest.approx(28014.94)
    assert df.attrs["source_rows"][(110000, 2017)] == 5
    years = df.index.get_level_values("year")
    assert (years.min(), years.max()) == (1993, 2017)


@needs_raw
def test_raw_nbs_export_2006_2024_crlf() -> None:
    df = read_raw("renjiyi163_gdp_2006-2024.csv")
    assert df.shape == (31 * 19, 1)
    assert df.loc[(110000, 2018), "地区生产总值"] == pytest.approx(35161.4)
    assert df.loc[(650000, 2024), "地区生产总值"] == pytest.approx(20492.4)


@needs_raw
def test_raw_xls_export_2005_2023() -> None:
    df = read_raw("xiaoqi737_gdp_2005-2023.xls", value_name="gdp")
    assert_panel_shape(df)
    assert df.shape == (31 * 19, 1)
    assert df.attrs["sheet"] == "分省年度数据"
    assert df.loc[(110000, 2023), "gdp"] == pytest.approx(43760.7)
    assert df.attrs["source_rows"][(110000, 2023)] == 2  # Excel row number


@needs_raw
def test_raw_kaggle_years_down_provinces_across() -> None:
    with pytest.warns(DataQualityWarning, match=r"Chongqing\) before 1997 \(1992, 1993"):
        df = mi.read_panel(GDP / "gdp_1992_2020_kaggle_en.csv", value_name="gdp")
    assert_panel_shape(df)
    assert df.attrs["layout"] == "wide_transposed"
    assert df.shape == (31 * 29, 1)
    assert df.loc[(110000, 2018), "gdp"] == pytest.approx(33106.0)
    assert df.loc[(450000, 2020), "gdp"] == pytest.approx(22156.7)  # column "Guangxi,"


def read_raw(name: str, **kwargs: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return mi.read_panel(GDP / name, **kwargs)


# ---------------------------------------------------------------------------
# special files are refused before anything is read (issue 14)
# ---------------------------------------------------------------------------

_READ_IN_CHILD = """
import resource, sys
# A regression must not eat the machine's memory.
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
import massincidents as mi
try:
    mi.read_panel(sys.argv[1])
except mi.DataError as err:
    print(err)
    sys.exit(3)
"""


def _read_in_child(path: Path) -> str:
    """read_panel(path) in a subprocess with a timeout: a hang fails the test, not the suite."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _READ_IN_CHILD, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"read_panel({path}) hung (still running after 60 s)")
    assert done.returncode == 3, done.stdout + done.stderr
    return done.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "panel.csv"
    os.mkfifo(fifo)
    text = _read_in_child(fifo)
    assert str(fifo) in text and "named pipe (FIFO), not a regular file" in text


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_device_is_refused_without_reading_it(tmp_path: Path, suffix: str) -> None:
    link = tmp_path / f"zeros{suffix}"
    link.symlink_to("/dev/zero")
    text = _read_in_child(link)
    assert str(link) in text and "character device, not a regular file" in text
    assert "character device" in str(error("/dev/null"))


# ---------------------------------------------------------------------------
# one rule for numbers in every format (issue 14)
# ---------------------------------------------------------------------------


def _long_frame(gdp: object) -> pd.DataFrame:
    return pd.DataFrame({"province": ["Beijing", "Tianjin"], "year": [2016, 2016], "gdp": gdp})


@pytest.mark.parametrize(
    ("gdp", "hint"),
    [
        ([np.inf, 1.5], "infinite value"),
        ([1.5, -np.inf], "infinite value"),
        (pd.to_timedelta([1, 2], unit="D"), "duration"),
    ],
)
def test_parquet_and_dataframe_refuse_what_a_csv_refuses(
    tmp_path: Path, gdp: object, hint: str
) -> None:
    frame = _long_frame(gdp)
    path = tmp_path / "panel.parquet"
    frame.to_parquet(path)
    csv = tmp_path / "panel.csv"
    frame.to_csv(csv, index=False)
    for source, label in ((frame, None), (path, str(path)), (csv, str(csv))):
        err = error(source)
        cells = [p for p in err.problems if p.row is not None]
        assert cells and all(p.column == "gdp" and p.file == label for p in cells), err
        assert "non-numeric value" in str(err)
        if source is not csv:
            assert hint in str(err)


def test_dataframe_complex_column_is_refused() -> None:
    err = error(_long_frame([1 + 2j, 3 + 0j]))
    assert "row 0, column 'gdp': non-numeric value (1+2j)" in str(err) and "complex" in str(err)


@pytest.mark.parametrize(
    "cell", ["28014.94¹", "10²", "2.5②", "12 34", "2016 2017", "1_000", "1,23"]
)
def test_csv_cells_are_not_read_as_other_numbers(tmp_path: Path, cell: str) -> None:
    path = tmp_path / "gdp.csv"
    path.write_text(f'地区,2017年,2016年\n北京市,"{cell}",1\n天津市,2,3\n', encoding="utf-8")
    err = error(path)
    assert f"gdp.csv, row 2, column '2017年': non-numeric value {cell!r}" in str(err)


@pytest.mark.parametrize("n_bad", [1, 2, 3])  # of 3 cells: 33%, 67%, 100%
@pytest.mark.parametrize("cell", ["1.234,5", "1.5亿元"])
def test_csv_numeric_column_never_turns_into_text(tmp_path: Path, cell: str, n_bad: int) -> None:
    cells = [cell] * n_bad + ["2.5"] * (3 - n_bad)
    names = ["北京", "天津", "河北"]
    rows = "".join(f'{p},2016,"{c}"\n' for p, c in zip(names, cells, strict=True))
    path = tmp_path / "gdp.csv"
    path.write_text("province,year,gdp\n" + rows, encoding="utf-8")
    err = error(path)
    listed = [(p.row, p.column) for p in err.problems if p.row is not None]
    assert listed == [(line, "gdp") for line in range(2, 2 + n_bad)]


@pytest.mark.parametrize("name", ["x" * 5000 + ".csv", "nul\x00byte.csv"])
def test_unopenable_names_are_data_errors(name: str) -> None:
    err = error(name)
    assert "cannot open the file" in str(err) or "no such file" in str(err)


def test_footnote_marks_defined_in_the_notes_are_removed_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "marks.csv"
    path.write_text(
        "地区,2017年,2016年\n北京市,2.5①,1.5\n天津市,3.5,2②\n河北省,4.5③,4\n"
        "注：①初步核算数；②含兵团。\n",
        encoding="utf-8",
    )
    err = error(path)  # ③ is not defined by any note: refused, and nothing else reported
    assert [(p.row, p.column) for p in err.problems] == [(4, "2017年")]
    assert "non-numeric value '4.5③'" in str(err)

    path.write_text(path.read_text(encoding="utf-8").replace("4.5③", "4.5"), encoding="utf-8")
    with pytest.warns(DataQualityWarning, match="removed the footnote marks of 2 cell"):
        df = mi.read_panel(path)
    assert df.loc[(110000, 2017), "value"] == 2.5 and df.loc[(120000, 2016), "value"] == 2.0
    assert df.attrs["footnotes"] == [
        {"row": 2, "column": "2017年", "cell": "2.5①", "note": "注：①初步核算数；②含兵团。"},
        {"row": 3, "column": "2016年", "cell": "2②", "note": "注：①初步核算数；②含兵团。"},
    ]


def test_footnote_marks_in_a_dataframe_are_refused() -> None:
    # A DataFrame has no notes: a mark is never taken for defined.
    frame = pd.DataFrame({"province": ["Beijing"], "year": [2016], "gdp": ["2.5①"]})
    assert "footnote mark" in str(error(frame))


def test_two_row_header_indicator_called_year_is_renamed(tmp_path: Path) -> None:
    # Found by fuzzing: an indicator named like a key column crashed the melt.
    path = tmp_path / "odd.csv"
    path.write_text("地区,2017年,2016年\n,year,year\n北京市,1.5,2\n", encoding="utf-8")
    df = read(path)
    assert df.loc[(110000, 2016), "year_raw"] == 2.0
    assert df.attrs["columns_renamed"] == {"year": "year_raw"}


@settings(max_examples=40, deadline=None)
@given(
    first=st.integers(2000, 2020),
    n_years=st.integers(1, 4),
    names=st.lists(st.sampled_from(["GDP", "人口", "财政支出", "城镇化率(%)"]), min_size=1,
                   max_size=3, unique=True),
    years_first=st.booleans(),
    merged=st.booleans(),
    data=st.data(),
)
def test_two_row_headers_round_trip(
    tmp_path_factory: pytest.TempPathFactory,
    first: int,
    n_years: int,
    names: list[str],
    years_first: bool,
    merged: bool,
    data: st.DataObject,
) -> None:
    """Any years-by-indicators header, merged or repeated, either row on top, reads back."""
    provinces = {"北京市": 110000, "天津市": 120000, "河北省": 130000}
    years = data.draw(st.permutations(range(first, first + n_years)))  # any column order
    columns = [(y, n) for y in years for n in names] if years_first else [
        (y, n) for n in names for y in years
    ]
    top, below, previous = ["地区"], [""], None
    for year, name in columns:
        outer, inner = (f"{year}年", name) if years_first else (name, f"{year}年")
        top.append("" if merged and outer == previous else outer)
        below.append(inner)
        previous = outer
    values = data.draw(
        st.lists(st.integers(0, 10**6), min_size=3 * len(columns), max_size=3 * len(columns))
    )
    rows = [top, below]
    truth = {}
    for k, (province, code) in enumerate(provinces.items()):
        cells = values[k * len(columns) : (k + 1) * len(columns)]
        rows.append([province, *(f"{v / 100:.2f}" for v in cells)])
        for (year, name), v in zip(columns, cells, strict=True):
            truth[(code, year, name.removesuffix("(%)"))] = v / 100
    path = tmp_path_factory.mktemp("two") / "table.csv"
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="gbk")
    df = read(path)
    assert sorted(df.columns) == sorted(n.removesuffix("(%)") for n in names)
    assert len(df) == 3 * len(years)
    for (code, year, name), value in truth.items():
        assert df.loc[(code, year), name] == pytest.approx(value, rel=1e-12)


def test_text_option_of_read_panel(tmp_path: Path) -> None:
    path = tmp_path / "bands.csv"
    path.write_text("province,year,band\nBeijing,2016,>10000\nTianjin,2016,100-999\n")
    assert "non-numeric value '>10000'" in str(error(path))
    df = read(path, text=["band"])
    assert df["band"].tolist() == [">10000", "100-999"]
    # text: object under pandas 2, the str dtype under pandas 3
    band = df["band"]
    assert pd.api.types.is_string_dtype(band) and not pd.api.types.is_numeric_dtype(band)


def test_dataframe_with_other_column_levels_is_flattened() -> None:
    long = pd.DataFrame(
        {"province": ["北京", "北京", "天津"], "year": [2016, 2016, 2016],
         "variable": ["gdp", "pop", "gdp"], "value": [1.5, 2.0, 3.5]}
    )
    wide = long.pivot_table(index=["province", "year"], columns="variable", values=["value"])
    df = mi.read_panel(wide)
    assert list(df.columns) == ["value_gdp", "value_pop"]
    assert df.loc[(120000, 2016), "value_gdp"] == 3.5
    assert np.isnan(df.loc[(120000, 2016), "value_pop"])
