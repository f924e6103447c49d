"""Build ``data/national_legal.csv``: national court, mediation and labour-dispute counts.

One row per year from the NBS national annual data (``raw/national/nbs_national_1978_2014/``,
Chinese headers, years written as "1996年"):

- ``court_first_instance_cases``: first-instance cases accepted by the people's courts
  (人民法院审理一审案件情况, column 人民法院审理一审案件收案数, the total of criminal, civil,
  economic, maritime and administrative cases).
- ``mediated_civil_disputes``: civil disputes mediated by people's mediation committees
  (调解民间纠纷分类, column 调解纠纷数合计, in cases; the 2014 figure is rounded in the source).
- ``labour_disputes_accepted``: labour disputes accepted by the arbitration committees in the
  year (劳动争议处理情况, column 当期劳动争议案件受理数), published from 2000 only.
- ``labour_dispute_workers``: workers party to the accepted labour disputes (same table,
  column 受理劳动争议案件劳动者当事人数), from 2000 only.

Years without a published figure are empty cells, never zeros. The series have known breaks
(see the codebook): the mediation count jumps in 2010 with a change in reporting ahead of the
People's Mediation Law (effective 1 January 2011); labour disputes double in 2008 with the Labor
Contract Law; court caseloads break with the litigation-fee rules of 2006 (in force 2007).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    publish,
    render_codebook,
    run_step,
)

TABLE = "national_legal"
FOLDER = "national/nbs_national_1978_2014/公共管理、社会保障及其他/"
COURTS_FILE = FOLDER + "人民法院审理一审案件情况.csv"
MEDIATION_FILE = FOLDER + "调解民间纠纷分类.csv"
LABOUR_FILE = FOLDER + "劳动争议处理情况.csv"
RAW_FILES = (COURTS_FILE, MEDIATION_FILE, LABOUR_FILE)
ORIGIN = "NBS national annual data, via yiyuezhuo/National-Data @ 60fd7213"
FIRST_YEAR, LAST_YEAR = 1996, 2014

#: (raw file, raw column) -> processed column.
SERIES: tuple[tuple[str, str, str], ...] = (
    (COURTS_FILE, "人民法院审理一审案件收案数", "court_first_instance_cases"),
    (MEDIATION_FILE, "调解纠纷数合计", "mediated_civil_disputes"),
    (LABOUR_FILE, "当期劳动争议案件受理数", "labour_disputes_accepted"),
    (LABOUR_FILE, "受理劳动争议案件劳动者当事人数", "labour_dispute_workers"),
)
COLUMNS = ("year", *(col for _, _, col in SERIES))


def read_nbs(path: Path) -> pd.DataFrame:
    """Read one NBS national CSV: first column years like "1996年", one column per indicator.

    Returns
    -------
    pandas.DataFrame
        Indexed by integer ``year``, the indicator columns as floats.
    """
    raw = pd.read_csv(path, encoding="utf-8")
    first = raw.columns[0]
    years = raw[first].astype(str).str.strip()
    if not years.str.fullmatch(r"\d{4}年").all():
        raise ValueError(f"{path.name}: unexpected year labels")
    raw.index = years.str[:4].astype(int).rename("year")
    return raw.drop(columns=[first])


def build(courts: Path, mediation: Path, labour: Path) -> pd.DataFrame:
    """Derive the processed table from the three raw NBS files.

    Parameters
    ----------
    courts, mediation, labour
        The raw files ``COURTS_FILE``, ``MEDIATION_FILE`` and ``LABOUR_FILE``.

    Returns
    -------
    pandas.DataFrame
        Columns ``COLUMNS``, one row per year 1996-2014, counts as nullable integers.
    """
    frames = {
        COURTS_FILE: read_nbs(courts),
        MEDIATION_FILE: read_nbs(mediation),
        LABOUR_FILE: read_nbs(labour),
    }
    years = pd.Index(range(FIRST_YEAR, LAST_YEAR + 1), name="year")
    out = pd.DataFrame(index=years)
    for file, raw_col, col in SERIES:
        frame = frames[file]
        if raw_col not in frame.columns:
            raise ValueError(f"{file}: column {raw_col!r} not found")
        values = frame[raw_col].reindex(years)
        if (values.dropna() <= 0).any() or (values.dropna() % 1 != 0).any():
            raise ValueError(f"{col}: non-positive or fractional counts")
        out[col] = values.round().astype("Int64")
    for col in ("court_first_instance_cases", "mediated_civil_disputes"):
        if out[col].isna().any():
            raise ValueError(f"{col}: missing years")
    return out.reset_index()[list(COLUMNS)]


CODEBOOK_INTRO = (
    "One row per year, 1996-2014: national (mainland China) counts of first-instance court cases, "
    "civil disputes mediated by people's mediation committees and labour disputes accepted by "
    "arbitration committees, as published by NBS; national context only, no province detail."
)
Y = "1996-2014"
CODEBOOK_ROWS: tuple[tuple[str, ...], ...] = (
    ("`year`", "calendar year", "year", "NBS (row label, e.g. 1996年)", Y),
    (
        "`court_first_instance_cases`",
        "first-instance cases accepted by the people's courts (criminal, civil incl. economic, "
        "maritime, administrative); breaks in 2006 (new litigation-fee rules, issued December "
        "2006, in force 1 April 2007) and 2015 (case-registration reform, after these data)",
        "cases (count)",
        "NBS 人民法院审理一审案件情况: 人民法院审理一审案件收案数",
        Y,
    ),
    (
        "`mediated_civil_disputes`",
        "civil disputes mediated by people's mediation committees; reporting changed in 2010 "
        "(the count jumps by about 45%, ahead of the People's Mediation Law of 1 January 2011); "
        "2014 is rounded to thousands in the source",
        "disputes (count)",
        "NBS 调解民间纠纷分类: 调解纠纷数合计",
        Y,
    ),
    (
        "`labour_disputes_accepted`",
        "labour disputes accepted by labour-dispute arbitration committees in the year; "
        "doubles in 2008 with the Labor Contract Law and the Labour Dispute Mediation and "
        "Arbitration Law (free arbitration); empty before 2000",
        "cases (count)",
        "NBS 劳动争议处理情况: 当期劳动争议案件受理数",
        "2000-2014",
    ),
    (
        "`labour_dispute_workers`",
        "workers party to the labour disputes accepted in the year; empty before 2000",
        "persons (count)",
        "NBS 劳动争议处理情况: 受理劳动争议案件劳动者当事人数",
        "2000-2014",
    ),
)
CODEBOOK_FOOTER = (
    "Empty cells: no figure published (labour disputes before 2000). The raw files are in "
    "`national/nbs_national_1978_2014/公共管理、社会保障及其他/` (see `SOURCES.md`)."
)


def build_and_write(courts: Path, mediation: Path, labour: Path) -> None:
    """Build the table from the raw files and write it with its records."""
    table = build(courts, mediation, labour)
    out = publish(
        TABLE,
        table,
        [
            (courts, ORIGIN, "`court_first_instance_cases` (column 人民法院审理一审案件收案数)"),
            (mediation, ORIGIN, "`mediated_civil_disputes` (column 调解纠纷数合计)"),
            (labour, ORIGIN, "`labour_disputes_accepted`, `labour_dispute_workers`"),
        ],
        render_codebook(TABLE, CODEBOOK_INTRO, CODEBOOK_ROWS, CODEBOOK_FOOTER),
    )
    print(f"{TABLE}: wrote {out} ({len(table)} rows, {table['year'].min()}-{table['year'].max()})")


def main() -> int:
    """Build the table, its source record and codebook fragment.

    Returns
    -------
    int
        0 on success, also when the raw files are absent (the committed table is kept).
    """
    return run_step(TABLE, list(RAW_FILES), build_and_write)


if __name__ == "__main__":
    raise SystemExit(main())
