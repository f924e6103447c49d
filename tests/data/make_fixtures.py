"""Write the small, synthetic input files used by tests/test_io.py.

The files imitate the *shapes* of real inputs (NBS exports in GBK with title
lines and footnotes, yearbook tables, English datasets with years down and
provinces across, tidy long files) with made-up numbers; no third-party data
is copied. Regenerate with::

    python tests/data/make_fixtures.py

Text files are byte-for-byte reproducible (tests check this); the .xlsx and
.parquet files are rewritten with the same content.
"""

from __future__ import annotations

import codecs
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Made-up values, not statistics.
NBS_WIDE = """数据库：分省年度数据
指标：地区生产总值(亿元)
时间：2015-2017
地区,2017年,2016年,2015年
北京市,300.50,280.25,260.00
天津市,200.00,190.10,—
河北省,150.75,140.00,130.25
内蒙古自治区,120.00,,100.00
"注：本表按当年价格计算，为测试而虚构的数字。"
数据来源：测试
"""

YEARBOOK_WIDE = """表 1-1 地区生产总值（虚构）
单位：亿元
地区,2016,2017
全  国,1000,1100
北  京,10,11
天  津,20,22
香  港,30,33
澳  门,40,44
新  疆,50,55
"""

LONG_BOM = """省份,年份,strikes,gdp,备注
北京,2015,3,100.5,
北京,2016,0,110.25,修订
上海,2015,7,"1,200.0",
上海,2016,NA,1300,
"""

LONG_EN = """province,year,strikes,urban_rate
Beijing,2016,2,86.5
Beijing,2017,4,86.6
Shannxi,2016,1,55.3
Shannxi,2017,0,56.8
Inner Mongolia,2016,3,61.2
Inner Mongolia,2017,5,62.0
"""

LONG_CODES_TSV = "provcode\tyr\tcount\n110000\t2010\t1\n310000\t2010\t2\n110000\t2011\t3\n"

TRANSPOSED_EN = """,Beijing,Tianjin,"Guangxi,",Inner Mongolia
2017,29.9,12.4,17.8,14.9
2016,25.7,11.5,16.1,13.8
2015,23.0,10.9,16.8,12.9
"""

MERGED_HEADER = """地区,地区生产总值,,人口,
,2016年,2017年,2016年,2017年
北京市,1,2,3,4
天津市,5,6,7,8
"""

# An NBS/EPS export of several indicators: GBK, title lines, each year merged
# across its indicators in one header row, indicator names with units below,
# national total and footnotes.
NBS_TWO_ROW_HEADER = """数据库：分省年度数据
时间：2016-2017
地区,2017年,,2016年,
,地区生产总值(亿元),年末常住人口(万人),地区生产总值(亿元),年末常住人口(万人)
全国,1000.0,14000,900.0,13900
北京市,300.50,2170,280.25,2173
天津市,200.00,1560,190.10,—
河北省,150.75,7520,140.00,7470
注：为测试而虚构的数字。
数据来源：测试
"""

DUPLICATES = """province,year,gdp
北京,2016,1.0
北京市,2016,2.0
Tianjin,2016,3.0
Tianjin,2017,4.0
"""

TEXT_IN_NUMERIC = """province,year,gdp,strikes
Beijing,2016,1.5,3
Beijing,2017,abc,4
Tianjin,2016,2.5,-1
Tianjin,2017,2.75,2.5
Atlantis,2017,1.0,1
Hebei,1890,1.0,1
"""

HEADER_ONLY = "province,year,gdp\n"

#: (file name, text, encoding)
TEXT_FIXTURES: tuple[tuple[str, str, str], ...] = (
    ("nbs_wide_gbk.csv", NBS_WIDE, "gbk"),
    ("yearbook_wide_gb18030.csv", YEARBOOK_WIDE, "gb18030"),
    ("long_utf8_bom.csv", LONG_BOM, "utf-8-sig"),
    ("long_en.csv", LONG_EN, "utf-8"),
    ("long_codes.tsv", LONG_CODES_TSV, "utf-8"),
    ("transposed_en.csv", TRANSPOSED_EN, "utf-8"),
    ("merged_header.csv", MERGED_HEADER, "utf-8"),
    ("nbs_two_row_header_gbk.csv", NBS_TWO_ROW_HEADER, "gbk"),
    ("duplicates.csv", DUPLICATES, "utf-8"),
    ("text_in_numeric.csv", TEXT_IN_NUMERIC, "utf-8"),
    ("header_only.csv", HEADER_ONLY, "utf-8"),
    # Japanese prefecture table in Shift-JIS: neither UTF-8 nor plausible GBK.
    ("shift_jis.csv", "都道府県,年,人口\n東京都,2017,1372万\n大阪府,2017,883万\n", "shift_jis"),
    # Latin-1 with accented headers: decodes as GBK only to nonsense.
    (
        "latin1.csv",
        "région,année,valeur,remarque\nBeijing,2017,1,révisé\nHebei,2017,2,\n",
        "latin-1",
    ),
)


def write_text(directory: Path) -> list[Path]:
    """Write the text fixtures (reproducible bytes) into ``directory``."""
    paths = []
    for name, text, encoding in TEXT_FIXTURES:
        path = directory / name
        data = text.encode(encoding)
        if encoding == "utf-8-sig" and not data.startswith(codecs.BOM_UTF8):
            data = codecs.BOM_UTF8 + data
        path.write_bytes(data)
        paths.append(path)
    empty = directory / "empty.csv"
    empty.write_bytes(b"")
    paths.append(empty)
    return paths


def write_binary(directory: Path) -> list[Path]:
    """Write the .xlsx and .parquet fixtures into ``directory``."""
    import openpyxl
    import pandas as pd

    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "说明"
    notes["A1"] = "本工作簿为测试而虚构"
    sheet = book.create_sheet("分省年度数据")
    sheet["A1"] = "指标：城镇化率(%)"
    sheet["A2"] = "时间：2016-2017"
    sheet.append(["地区", "2017年", "2016年"])
    sheet.append(["北京市", 86.5, 86.4])
    sheet.append(["上海市", 87.9, "…"])
    sheet.append(["西藏自治区", 30.9, 29.6])
    sheet.append([])
    sheet.append(["注：虚构数字。"])
    xlsx = directory / "wide_two_sheets.xlsx"
    book.save(xlsx)

    long = pd.DataFrame(
        {
            "province": ["Guangdong", "Guangdong", "Sichuan", "Sichuan"],
            "year": [2016, 2017, 2016, 2017],
            "strikes": [100, 120, 20, 25],
        }
    )
    parquet = directory / "long.parquet"
    long.to_parquet(parquet, index=False)
    return [xlsx, parquet]


def main(argv: list[str]) -> None:
    directory = Path(argv[1]) if len(argv) > 1 else HERE
    directory.mkdir(parents=True, exist_ok=True)
    for path in write_text(directory) + write_binary(directory):
        print(path)


if __name__ == "__main__":
    main(sys.argv)
