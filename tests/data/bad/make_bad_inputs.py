"""Write the corpus of malformed and awkward inputs used by tests/test_bad_inputs.py.

Each file is small and made up (no third-party data). Regenerate with::

    python tests/data/bad/make_bad_inputs.py

Every file, including the ``.xlsx`` workbooks, is byte-for-byte reproducible:
text files are encoded explicitly, and workbooks are written by openpyxl and
then re-zipped with fixed timestamps (the zip entry dates and the
``dcterms:created``/``dcterms:modified`` properties), so the committed bytes
can be compared with a fresh run (tests/test_bad_inputs.py does this).

The expected outcome of reading each file is the table ``CASES`` in
tests/test_bad_inputs.py.
"""

from __future__ import annotations

import codecs
import io
import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

_FIXED_TIME = "2000-01-01T00:00:00Z"


def _gbk(text: str) -> bytes:
    return text.encode("gbk")


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


# name -> bytes of the text files
TEXT: dict[str, bytes] = {
    # --- encodings --------------------------------------------------------
    # GBK bytes, read with encoding="utf-8" (a mislabelled file).
    "gbk_mislabelled.csv": _gbk("省份,年份,gdp\n北京,2016,1.5\n上海,2016,2.5\n"),
    # GBK bytes, auto-detected: fine.
    "gbk_autodetect.csv": _gbk("省份,年份,gdp\n北京,2016,1.5\n上海,2016,2.5\n"),
    # Latin-1 accented headers and notes: neither UTF-8 nor plausible GBK.
    "latin1.csv": "région,année,valeur\nBeijing,2017,1\nHebei,2017,2 ½\n".encode("latin-1"),
    # UTF-16 (little endian) without a byte-order mark.
    "utf16_no_bom.csv": "省份,年份,gdp\n北京,2016,1.5\n上海,2016,2.5\n".encode("utf-16-le"),
    # UTF-16 with a BOM: fine.
    "utf16_bom.csv": "省份,年份,gdp\n北京,2016,1.5\n上海,2016,2.5\n".encode("utf-16"),
    # Two lines in UTF-8, one in GBK.
    "mixed_encoding.csv": _utf8("省份,年份,gdp\n北京,2016,1.5\n")
    + _gbk("上海,2016,2.5\n")
    + _utf8("天津,2016,3.5\n"),
    # A UTF-8 byte-order mark in front of GBK bytes.
    "bom_plus_gbk.csv": codecs.BOM_UTF8 + _gbk("省份,年份,gdp\n北京,2016,1.5\n上海,2016,2.5\n"),
    # NUL bytes inside an otherwise UTF-8 file.
    "nul_bytes.csv": b"province,year,gdp\nBeijing,2016,1\x00.5\nShanghai,2016,2.5\n",
    # --- delimiters and line endings --------------------------------------
    "semicolon.csv": _utf8("province;year;gdp\nBeijing;2016;1.5\nShanghai;2016;2.5\n"),
    "crlf_blank_lines.csv": _utf8(
        "province,year,gdp\r\n\r\nBeijing,2016,1.5\r\n\r\n\r\nShanghai,2016,2.5\r\n\r\n"
    ),
    "tab_separated.txt": _utf8("province\tyear\tgdp\nBeijing\t2016\t1.5\nShanghai\t2016\t2.5\n"),
    "unclosed_quote.csv": _utf8('province,year,gdp\nBeijing,2016,"1.5\nShanghai,2016,2.5\n'),
    "ragged_rows.csv": _utf8("province,year,gdp\nBeijing,2016,1.5,9,9\nShanghai,2016,2.5\n"),
    # --- empty and near-empty ---------------------------------------------
    "empty.csv": b"",
    "blank_lines_only.csv": b"\n\r\n  \n\n",
    "header_only.csv": _utf8("province,year,gdp\n"),
    "header_only_wide.csv": _gbk("地区,2017年,2016年\n"),
    "title_lines_only.csv": _gbk("指标：地区生产总值(亿元)\n时间：2016-2017\n"),
    # --- headers, footnotes, units ----------------------------------------
    "merged_header_two_rows.csv": _utf8(
        "地区,地区生产总值,,人口,\n,2016年,2017年,2016年,2017年\n北京市,1,2,3,4\n天津市,5,6,7,8\n"
    ),
    "footnotes.csv": _gbk(
        "指标：地区生产总值(亿元)\n地区,2017年,2016年\n北京市,2.5,1.5\n天津市,3.5,2\n"
        "注：虚构数字。\n数据来源：测试\n"
    ),
    "note_between_rows.csv": _utf8(
        "地区,2017年,2016年\n北京市,2.5,1.5\n注：以下为西部地区\n四川省,3.5,2\n"
    ),
    "units_row.csv": _utf8("地区,2017年,2016年\n单位,亿元,亿元\n北京市,2.5,1.5\n天津市,3.5,2\n"),
    "mixed_unit_headers.csv": _utf8(
        "地区,2017年(亿元),2016年(万元)\n北京市,2.5,15000\n天津市,3.5,20000\n"
    ),
    "numbers_with_units.csv": _utf8("province,year,gdp\nBeijing,2016,1.5亿元\nShanghai,2016,2.5\n"),
    # --- keys ---------------------------------------------------------------
    "duplicate_keys_long.csv": _utf8(
        "province,year,gdp\n北京,2016,1.0\nTianjin,2016,3.0\nBeijing Municipality,2016,2.0\n"
    ),
    "duplicate_province_wide.csv": _utf8("地区,2017年,2016年\n北京市,1,2\n天津市,3,4\n北京,5,6\n"),
    "wide_repeated_years.csv": _utf8("地区,2017,2016,2017\n北京市,1,2,3\n天津市,4,5,6\n"),
    "wide_same_year_two_spellings.csv": _utf8("地区,2017年,2017\n北京市,1,2\n天津市,4,5\n"),
    "year_niandu.csv": _utf8("省份,年份,gdp\n北京,2015年度,1.5\n北京,2016年度,2.5\n"),
    "wide_niandu_header.csv": _utf8("地区,2015年度,2016年度\n北京市,1.5,2.5\n天津市,3,4\n"),
    "year_fractional.csv": _utf8("province,year,gdp\nBeijing,2015.5,1\nShanghai,2016,2\n"),
    "year_out_of_range.csv": _utf8("province,year,gdp\nBeijing,1850,1\nShanghai,2016,2\n"),
    "year_missing.csv": _utf8("province,year,gdp\nBeijing,,1\nShanghai,2016,2\n"),
    "unknown_province.csv": _utf8("province,year,gdp\nBeijing,2016,1\nGotham,2016,2\n"),
    "trailing_spaces_fullwidth.csv": _utf8(
        "省份,年份,gdp\n北京市 ,２０１６,１．５\n\u3000上海\u3000,2016, 2.5 \n"
        "Ｔｉａｎｊｉｎ,2016,3\n"
    ),
    "province_codes_float.csv": _utf8("provcode,year,gdp\n110000.0,2016,1.5\n310000.0,2016,2.5\n"),
    "province_codes_two_digit.csv": _utf8("provcode,year,gdp\n11,2016,1.5\n31,2016,2.5\n"),
    "hk_macao_taiwan.csv": _utf8(
        "province,year,gdp\nBeijing,2016,1.5\n香港,2016,9\nMacao,2016,9\n台湾省,2016,9\n"
        "Shanghai,2016,2.5\n"
    ),
    "transposed_with_hk.csv": _utf8(",Beijing,Tianjin,Hong Kong\n2017,2.5,3.5,9\n2016,1.5,2,9\n"),
    "national_total.csv": _gbk("地区,2017年,2016年\n全  国,100,90\n北京市,2.5,1.5\n天津市,3.5,2\n"),
    # Chongqing became a province-level municipality in 1997 (part of Sichuan before).
    "chongqing_1995.csv": _utf8(
        "province,year,gdp\n重庆,1995,1.0\n重庆,1996,1.5\n重庆,1997,2.0\n四川,1995,5\n"
        "四川,1996,6\n四川,1997,7\n"
    ),
    # --- values -------------------------------------------------------------
    "excel_errors.csv": _utf8(
        "province,year,gdp\nBeijing,2016,#DIV/0!\nShanghai,2016,#N/A\nTianjin,2016,#REF!\n"
        "Hebei,2016,1.5\n"
    ),
    "negative_counts.csv": _utf8("province,year,strikes\nBeijing,2016,3\nShanghai,2016,-2\n"),
    "fractional_counts.csv": _utf8("province,year,strikes\nBeijing,2016,3\nShanghai,2016,2.5\n"),
    "huge_1e308.csv": _utf8("province,year,gdp\nBeijing,2016,1e308\nShanghai,2016,-1.7e308\n"),
    "overflow_1e400.csv": _utf8("province,year,gdp\nBeijing,2016,1e400\nShanghai,2016,2.5\n"),
    "huge_counts_1e20.csv": _utf8(
        "province,year,strikes\nBeijing,2016,100000000000000000000\nShanghai,2016,3\n"
    ),
    "huge_integers_1e20.csv": _utf8(
        "province,year,pop\nBeijing,2016,100000000000000000000\nShanghai,2016,3\n"
    ),
    "thousands_and_missing_tokens.csv": _utf8(
        'province,year,gdp\nBeijing,2016,"1,234.5"\nShanghai,2016,…\nTianjin,2016,—\n'
        "Hebei,2016,NA\n"
    ),
    "all_missing_column.csv": _utf8("province,year,gdp\nBeijing,2016,—\nShanghai,2016,\n"),
    # --- cells that are not numbers, whatever Python's float() says (issue 14) ---
    # A footnote mark after a number: NFKC would read 28014.94¹ as 28014.941.
    # Defined in the notes: removed, with a warning. Not defined: refused.
    "footnote_superscript.csv": _utf8(
        "地区,2017年,2016年\n北京市,28014.94¹,25669.13\n天津市,18549.19,17885.39\n"
        "注：¹ 初步核算数（虚构）。\n"
    ),
    "footnote_undefined.csv": _utf8(
        "地区,2017年,2016年\n北京市,28014.94¹,25669.13\n天津市,18549.19,17885.39\n"
    ),
    "superscript_exponent.csv": _utf8("province,year,gdp\nBeijing,2016,10²\nShanghai,2016,2.5\n"),
    "circled_digit.csv": _utf8("province,year,gdp\nBeijing,2016,2.5②\nShanghai,2016,2.5\n"),
    "arabic_indic_digits.csv": _utf8("province,year,gdp\nBeijing,2016,٣\nShanghai,2016,2.5\n"),
    "space_inside_number.csv": _utf8("province,year,gdp\nBeijing,2016,12 34\nShanghai,2016,2.5\n"),
    "two_numbers_in_cell.csv": _utf8(
        "province,year,gdp\nBeijing,2016,2016 2017\nShanghai,2016,2.5\n"
    ),
    "underscore_digits.csv": _utf8("province,year,gdp\nBeijing,2016,1_000\nShanghai,2016,2.5\n"),
    "infinity_text.csv": _utf8("province,year,gdp\nBeijing,2016,-Infinity\nShanghai,2016,2.5\n"),
    # Numeric columns whose cells are mostly not numbers: never silently text.
    "european_decimals_mostly.csv": _utf8(
        'province,year,gdp\nBeijing,2016,"1.234,5"\nShanghai,2016,"2.345,6"\n'
        'Tianjin,2016,"3.456,7"\nHebei,2016,4.5\n'
    ),
    "units_in_cells_mostly.csv": _utf8(
        "province,year,gdp\nBeijing,2016,1.5亿元\nShanghai,2016,2.5亿元\nTianjin,2016,3.5亿元\n"
        "Hebei,2016,4.5\n"
    ),
    "units_in_every_cell.csv": _utf8(
        "province,year,gdp\nBeijing,2016,1.5亿元\nShanghai,2016,2.5亿元\n"
    ),
    "not_reported_mostly.csv": _utf8(
        "province,year,gdp\nBeijing,2016,n.r.\nShanghai,2016,n.r.\nTianjin,2016,n.r.\n"
        "Hebei,2016,4.5\n"
    ),
    "percent_cells.csv": _utf8("province,year,urban\nBeijing,2016,86.5%\nShanghai,2016,87.9%\n"),
    # Two-row yearbook header (NBS/EPS): years merged across, indicator names below.
    "two_row_header_years_first.csv": _gbk(
        "数据库：分省年度数据\n地区,2017年,,2016年,\n"
        ",地区生产总值(亿元),年末常住人口(万人),地区生产总值(亿元),年末常住人口(万人)\n"
        "北京市,2.5,2170,1.5,2173\n天津市,3.5,1560,2,1562\n"
    ),
    "two_row_header_and_units_row.csv": _utf8(
        "地区,2017年,,2016年,\n,地区生产总值,人口,地区生产总值,人口\n,亿元,万人,亿元,万人\n"
        "北京市,2.5,2170,1.5,2173\n"
    ),
    # Rich console markup in cells and headers: printed as text, not parsed.
    "markup_in_cells.csv": _utf8(
        "province,year,[bold]gdp\nBeijing,2016,[/]\nTianjin,2016,2\n"
    ),
    "markup_in_header.csv": _utf8("province,year,[/red]gdp\nBeijing,2016,1\nTianjin,2016,2\n"),
    # --- not a table file ---------------------------------------------------
    "not_a_workbook.xlsx": _utf8("province,year,gdp\nBeijing,2016,1.5\n"),
    "wrong_extension.json": _utf8('{"province": "Beijing", "year": 2016}\n'),
    # --- events (events_to_panel) -----------------------------------------
    "events_chinese_month.csv": _utf8(
        "province,date\n广东,2015年3月\n广东,2015年12月\n四川,2016年1月\nHebei,2015年3月2日\n"
    ),
    "events_mixed_dates.csv": _utf8(
        "province,date\nGuangdong,2015-03-02\nGuangdong,2015/3/2\nSichuan,2015.03.02\n"
        "Sichuan,02/03/2015\nHebei,not a date\nHebei,\nHebei,2015-13-45\nAtlantis,2015-01-01\n"
        "Hong Kong,2015-01-01\n"
    ),
    "events_empty.csv": b"",
    "events_header_only.csv": _utf8("province,date\n"),
    "events_missing_column.csv": _utf8("prov,when\nGuangdong,2015-03-02\n"),
    "events_codes_float.csv": _utf8(
        "province,date\n440000.0,2015-03-02\n44,2015-04-02\n510000,2016-01-01\n"
    ),
    "events_gbk.csv": _gbk("province,date\n广东,2015-03-02\n四川,2016-01-01\n"),
}


def _stable_xlsx(book: object) -> bytes:
    """Workbook bytes that do not depend on when they were written."""
    buffer = io.BytesIO()
    book.save(buffer)  # type: ignore[attr-defined]
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>" + _FIXED_TIME.encode() + rb"\g<2>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    return out.getvalue()


def workbooks() -> dict[str, bytes]:
    """The .xlsx files of the corpus."""
    import openpyxl

    books: dict[str, bytes] = {}

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "data"
    sheet.append(["province", "year", "gdp"])
    sheet.append(["Beijing", 2016, "#DIV/0!"])
    sheet.append(["Shanghai", 2016, "#N/A"])
    sheet.append(["Tianjin", 2016, "#REF!"])
    sheet.append(["Hebei", 2016, 1.5])
    books["excel_errors.xlsx"] = _stable_xlsx(book)

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "分省年度数据"
    sheet.append(["地区", "2017年", "2016年"])
    sheet.append(["北京市", 2.5, 1.5])
    books["missing_sheet.xlsx"] = _stable_xlsx(book)

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "data"
    sheet.append(["地区", "地区生产总值", None, "人口", None])
    sheet.append([None, "2016年", "2017年", "2016年", "2017年"])
    sheet.append(["北京市", 1, 2, 3, 4])
    sheet.append(["天津市", 5, 6, 7, 8])
    sheet.merge_cells("B1:C1")
    sheet.merge_cells("D1:E1")
    books["merged_header.xlsx"] = _stable_xlsx(book)

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "empty"
    books["empty_sheet.xlsx"] = _stable_xlsx(book)

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "data"
    sheet.append(["provcode", "year", "strikes"])
    sheet.append([110000.0, 2016.0, 3.0])
    sheet.append([310000.0, 2016.0, 4.0])
    sheet.append([None, None, None])
    sheet.append(["注：虚构数字。"])
    books["float_codes_and_years.xlsx"] = _stable_xlsx(book)
    return books


def write(directory: Path) -> list[Path]:
    """Write every file of the corpus into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in {**TEXT, **workbooks()}.items():
        path = directory / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def main(argv: list[str]) -> None:
    directory = Path(argv[1]) if len(argv) > 1 else HERE
    for path in write(directory):
        print(path.name)


if __name__ == "__main__":
    main(sys.argv)
