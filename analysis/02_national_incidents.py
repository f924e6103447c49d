"""Build ``data/national_incidents.csv``: national counts of mass incidents, 1993-2010.

One row per (year, unit) figure in ``raw/national/national_mass_incident_counts.csv``
(a compilation of published figures with the source chain of each row). The
definitions behind the figures change, so every row carries a ``series`` code:
only rows of the same series may be compared or joined into a time series.

- ``mass_incidents_1993_2004``: Ministry of Public Security counts of "mass
  incidents" (quntixing shijian), 1993-2004, the comparable series.
- ``participants_1993_2004``: participants in those incidents (unit ``participants``).
- ``public_order_disturbances_2005``: the 87,000 of 2005 count "public order
  disturbances", a different category.
- ``mass_incidents_narrow_2006``: the 23,000 of 2006 use an apparently narrower
  definition.
- ``nonofficial_estimates``: later academic estimates (2008, 2010), not official.

Verification, one rule for every row (``verify``): a figure is ``verified`` when
a document that was read for this project prints the same value for the same year
and attributes it to an official (government) source; it is ``unverified``
otherwise, with the reason in ``notes``. The documents are the raw file's
``where_checked`` (read by its compiler) and ``READ_IN`` below (read for the
book). The rule does not look at who is said to be the original source: the
1993 figure and the 1997-2002 figures are all attributed to MPS figures in Tanner
(2004), which was not itself read; they are verified because Keidel (2005, Table
1) prints them with that attribution, and the 1999 figure is not, because Keidel
prints 32,500 where the compilation has 32,000. Unverified rows are never used as
data: the book lists them and never plots them as points of a series.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    publish,
    render_codebook,
    run_step,
)

TABLE = "national_incidents"
RAW_FILE = "national/national_mass_incident_counts.csv"
ORIGIN = (
    "compiled from published reports (Tanner 2004; Zhou Yongkang 2005 via CECC; MPS press "
    "release Jan 2006; others), with the source chain of every row in the file"
)
RAW_COLUMNS = (
    "year",
    "value",
    "unit",
    "measure",
    "original_source",
    "where_checked",
    "status",
    "notes",
)
COLUMNS = (
    "year",
    "unit",
    "value",
    "series",
    "comparable_1993_2004",
    "official",
    "status",
    "measure",
    "source",
    "checked_in",
    "notes",
)
UNITS = ("incidents", "participants")
STATUSES = ("verified", "unverified")
SERIES = (
    "mass_incidents_1993_2004",
    "participants_1993_2004",
    "public_order_disturbances_2005",
    "mass_incidents_narrow_2006",
    "nonofficial_estimates",
)

#: Short forms of the citations in ``original_source`` (raw text -> short citation).
SHORT_SOURCES: dict[str, str] = {
    "Ministry of Public Security figures as reported in Tanner, M.S. (2004) 'China Rethinks "
    "Unrest', The Washington Quarterly 27(3)": "MPS, in Tanner (2004), Washington Quarterly 27(3)",
    "Minister of Public Security Zhou Yongkang (2005), via Phoenix TV 2005-07-06 and CECC "
    "2005-08-01": "Zhou Yongkang (2005), via Phoenix TV 2005-07-06 and CECC 2005-08-01",
    "official statistics as summarised in the chapter abstract": (
        "official statistics, in Taylor & Francis chapter doi:10.4324/9781315260433-13"
    ),
    "MPS figures (Tanner 2004; Zhou Yongkang 2005)": (
        "MPS, in Tanner (2004) and Zhou Yongkang (2005)"
    ),
    "Zhou Yongkang (2005), via Phoenix TV 2005-07-06 / CECC 2005-08-01": (
        "Zhou Yongkang (2005), via Phoenix TV 2005-07-06 and CECC 2005-08-01"
    ),
    "Ministry of Public Security press release, January 2006 (reported by Financial Times, "
    "R. McGregor)": "MPS press release, Jan 2006 (Financial Times, R. McGregor)",
    "government figure cited in China Economic Review blog (2007)": (
        "government figure, cited in China Economic Review (2007)"
    ),
    "commonly attributed to MPS via Tanner (2004)": "attributed to MPS via Tanner (2004)",
    "commonly attributed to Chinese academic estimates (e.g. CASS / Yu Jianrong)": (
        "attributed to Chinese academic estimates (CASS / Yu Jianrong)"
    ),
    "Sun Liping (Tsinghua), 2011": "attributed to Sun Liping (Tsinghua), 2011",
}


KEIDEL_2005 = (
    "Keidel (2005), The Economic Basis for Social Unrest in China, Carnegie, Table 1"
)
TONG_LEI = "Tong & Lei, Large-scale Mass Incidents in China, East Asian Policy"
GOBEL_2019 = "Göbel (2019), Handbook of Protest and Resistance in China, 27-45"


class Reading(NamedTuple):
    """A figure as printed in a document read for this project.

    Attributes
    ----------
    document
        Short citation of the document.
    value
        The figure the document prints for the year.
    official
        True when the document attributes the figure to an official source
        (the Ministry of Public Security or another government body).
    remark
        What the document says about the figure's origin, for ``notes``.
    """

    document: str
    value: int
    official: bool
    remark: str = ""


_KEIDEL_ORIGIN = "Liaowang and MPS, cited in Tanner 2004, State Department 2005, Chan 2004"

#: Figures read for the book in stored public documents, by (year, unit).
READ_IN: dict[tuple[int, str], Reading] = {
    (1993, "incidents"): Reading(KEIDEL_2005, 8_700, True, _KEIDEL_ORIGIN),
    (1994, "incidents"): Reading(KEIDEL_2005, 10_000, True, _KEIDEL_ORIGIN),
    (1997, "incidents"): Reading(KEIDEL_2005, 15_000, True, _KEIDEL_ORIGIN),
    (1998, "incidents"): Reading(KEIDEL_2005, 24_500, True, _KEIDEL_ORIGIN),
    (1999, "incidents"): Reading(KEIDEL_2005, 32_500, True, _KEIDEL_ORIGIN),
    (2000, "incidents"): Reading(KEIDEL_2005, 40_000, True, _KEIDEL_ORIGIN),
    (2002, "incidents"): Reading(KEIDEL_2005, 50_400, True, _KEIDEL_ORIGIN),
    (2003, "incidents"): Reading(KEIDEL_2005, 58_000, True, _KEIDEL_ORIGIN),
    (2008, "incidents"): Reading(
        TONG_LEI, 127_000, False, "called 'an unconfirmed number' by Tong & Lei"
    ),
    (2010, "incidents"): Reading(
        GOBEL_2019,
        180_000,
        False,
        "traced by Göbel (2019) to a 2011 Landesa survey report citing unnamed "
        "'Chinese researchers'; the attribution to Sun Liping is not confirmed there",
    ),
}

#: Short forms of the raw file's ``where_checked`` (the documents its compiler read).
SHORT_CHECKED: dict[str, str] = {
    "taylorfrancis.com": "T&F chapter abstract doi:10.4324/9781315260433-13",
    "byeways.net": "CECC summary (byeways.net copy)",
    "zonaeuropa.com": "EastSouthWestNorth (zonaeuropa.com)",
    "chinaeconomicreview.com": "China Economic Review (2007)",
    "T&F chapter abstract": "T&F chapter abstract doi:10.4324/9781315260433-13",
}


def checked_documents(where_checked: str) -> list[str]:
    """Short names of the documents in a raw ``where_checked`` cell (in order, unique)."""
    names: list[str] = []
    for key, short in SHORT_CHECKED.items():
        if key in where_checked and short not in names:
            names.append(short)
    if where_checked.strip() and not names:
        names.append(where_checked.strip())
    return names


def verify(row: pd.Series) -> tuple[str, str, str]:
    """Apply the verification rule (module docstring) to one raw row.

    Parameters
    ----------
    row
        A raw row with ``year``, ``unit``, ``value``, ``where_checked``, ``status``.

    Returns
    -------
    tuple of str
        ``(status, checked_in, reason)``: the derived status, the documents in
        which the figure was read ("; "-separated), and why a row is unverified
        (empty for verified rows).
    """
    year, unit, value = int(row["year"]), str(row["unit"]), int(row["value"])
    where = "" if pd.isna(row["where_checked"]) else str(row["where_checked"])
    raw_docs = checked_documents(where)
    if raw_docs and row["status"] != "verified":
        raise ValueError(f"{year}/{unit}: where_checked is filled but status is {row['status']!r}")
    reading = READ_IN.get((year, unit))
    documents = list(raw_docs)
    if reading is not None:
        documents.append(reading.document)
    checked_in = "; ".join(documents)
    # a document read for the project that prints another value contradicts the figure,
    # whoever else prints it: the same test for every row (as 1999)
    if reading is not None and reading.value != value:
        return (
            "unverified",
            checked_in,
            f"{reading.document.split(',')[0]} prints {reading.value:,}, not {value:,}",
        )
    if raw_docs:  # the compiler read the figure as official in these documents
        return "verified", checked_in, ""
    if reading is None:
        return "unverified", checked_in, "not found in any document read for this project"
    if not reading.official:
        return "unverified", checked_in, f"not an official figure: {reading.remark}"
    return "verified", checked_in, ""


def resolve_sources(raw: pd.DataFrame) -> pd.Series:
    """Replace "same as above" by the citation of the row above, then shorten.

    Parameters
    ----------
    raw
        The raw rows, in file order.

    Returns
    -------
    pandas.Series
        One short citation per row. A citation not in ``SHORT_SOURCES`` is kept
        as written (and reported), so nothing is lost when the file grows.
    """
    resolved: list[str] = []
    previous = ""
    for text in raw["original_source"].fillna("").str.strip():
        if text.lower() in {"same as above", "same"}:
            if not previous:
                raise ValueError("'same as above' in the first row")
            text = previous
        previous = text
        resolved.append(text)
    unknown = sorted(set(resolved) - set(SHORT_SOURCES))
    for text in unknown:
        print(f"{TABLE}: citation kept as written (no short form): {text!r}")
    return pd.Series([SHORT_SOURCES.get(t, t) for t in resolved], index=raw.index)


def classify(row: pd.Series) -> str:
    """Series code of one raw row (see the module docstring).

    Raises
    ------
    ValueError
        For a row that fits no known series, so that new rows are looked at.
    """
    year, unit = int(row["year"]), row["unit"]
    measure, notes = str(row["measure"]).lower(), str(row["notes"]).lower()
    if unit == "participants" and 1993 <= year <= 2004:
        return "participants_1993_2004"
    if unit != "incidents":
        raise ValueError(f"unexpected unit {unit!r} in {year}")
    if "public order disturbance" in measure:
        return "public_order_disturbances_2005"
    if year == 2006:
        return "mass_incidents_narrow_2006"
    if "non-official" in notes:
        return "nonofficial_estimates"
    if 1993 <= year <= 2004 and measure.startswith("mass incidents"):
        return "mass_incidents_1993_2004"
    raise ValueError(f"row {year}/{unit} fits no known series: {row['measure']!r}")


def build(path: Path) -> pd.DataFrame:
    """Derive the processed table from the raw compilation.

    Parameters
    ----------
    path
        ``national_mass_incident_counts.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``COLUMNS``, sorted by ``year`` then ``unit``.
    """
    raw = pd.read_csv(
        path, dtype={"year": int, "value": int}, keep_default_na=False, na_values=[""]
    )
    if tuple(raw.columns) != RAW_COLUMNS:
        raise ValueError(f"unexpected columns {list(raw.columns)}")
    if not raw["unit"].isin(UNITS).all() or not raw["status"].isin(STATUSES).all():
        raise ValueError("unexpected unit or status values")
    checks = pd.DataFrame(
        [verify(row) for _, row in raw.iterrows()],
        columns=["status", "checked_in", "reason"],
        index=raw.index,
    )
    # the compiler's "verify (before use)" is answered by the rule's reason
    notes = raw["notes"].fillna("").str.strip()
    notes = notes.str.replace(r";?\s*verify( before use)?$", "", regex=True).str.strip()
    reason = checks["reason"]
    notes = (notes + np.where((notes != "") & (reason != ""), "; ", "") + reason).str.strip()
    out = pd.DataFrame(
        {
            "year": raw["year"],
            "unit": raw["unit"],
            "value": raw["value"],
            "series": raw.apply(classify, axis=1),
            "status": checks["status"],
            "measure": raw["measure"].str.strip(),
            "source": resolve_sources(raw),
            "checked_in": checks["checked_in"],
            "notes": notes,
        }
    )
    out["comparable_1993_2004"] = (
        out["series"].isin(["mass_incidents_1993_2004", "participants_1993_2004"]).astype(int)
    )
    out["official"] = (out["series"] != "nonofficial_estimates").astype(int)
    out = out.sort_values(["year", "unit"], kind="mergesort").reset_index(drop=True)
    if out.duplicated(["year", "unit"]).any():
        raise ValueError("duplicate (year, unit) rows")
    return out[list(COLUMNS)]


CODEBOOK_INTRO = (
    "One row per published national annual figure (a count of incidents or of participants) "
    "for mainland China, 1993-2010, with its definition, source and verification status; "
    "only rows of the same `series` may be compared."
)
Y = "1993-2010"
CODEBOOK_ROWS: tuple[tuple[str, ...], ...] = (
    # column, meaning, unit/values, source, years covered
    ("`year`", "calendar year the figure refers to", "year", "compilation", Y),
    ("`unit`", "what is counted", '"incidents" or "participants"', "compilation", Y),
    ("`value`", "the published figure", "count (national total)", "compilation", Y),
    (
        "`series`",
        'definition the figure belongs to: `mass_incidents_1993_2004` (MPS "mass '
        'incidents", the comparable series), `participants_1993_2004` (participants in them), '
        '`public_order_disturbances_2005` (the 87,000 of 2005 count "public order '
        'disturbances", a wider category), `mass_incidents_narrow_2006` (the 23,000 of 2006, '
        "apparently a narrower definition), `nonofficial_estimates` (academic estimates 2008 "
        "and 2010)",
        "code",
        "derived from measure and notes",
        Y,
    ),
    (
        "`comparable_1993_2004`",
        "1 if the row belongs to the comparable 1993-2004 MPS "
        "definition; never splice rows with 0 onto that series",
        "0/1",
        "derived",
        Y,
    ),
    (
        "`official`",
        "1 for government (MPS) figures, 0 for non-official academic estimates",
        "0/1",
        "derived from notes",
        Y,
    ),
    (
        "`status`",
        "`verified` = a document read for the project (`checked_in`) prints the same value "
        "for the year and attributes it to an official source; `unverified` = not so (the "
        "reason is in `notes`): listed, never used as data",
        "verified, unverified",
        "derived by one rule (`verify` in the build step)",
        Y,
    ),
    ("`measure`", "definition as stated by the source", "text label", "compilation", Y),
    (
        "`source`",
        "short citation of the original source",
        "citation",
        "compilation (`original_source`)",
        Y,
    ),
    (
        "`checked_in`",
        "documents in which the figure was read ('; '-separated; empty: none)",
        "citations",
        "compilation (`where_checked`) and the build step (`READ_IN`)",
        Y,
    ),
    (
        "`notes`",
        "caveats recorded by the compiler (e.g. 1993 often quoted as 8,709; 1994 a round number) "
        "and, for unverified rows, the reason the rule gives",
        "text",
        "compilation",
        Y,
    ),
)
CODEBOOK_FOOTER = (
    "Years not listed have no published figure in the compilation. The full source chain, "
    "including where each figure was checked, is in the raw file "
    "`national/national_mass_incident_counts.csv` (see `SOURCES.md`)."
)


def main() -> int:
    """Build the table, its source record and codebook fragment.

    Returns
    -------
    int
        0 on success, also when the raw file is absent (the committed table is kept).
    """
    return run_step(TABLE, [RAW_FILE], build_and_write)


def build_and_write(path: Path) -> None:
    """Build the table from the raw file and write it with its records."""
    table = build(path)
    out = publish(
        TABLE,
        table,
        [(path, ORIGIN, "all rows and columns (citations shortened)")],
        render_codebook(TABLE, CODEBOOK_INTRO, CODEBOOK_ROWS, CODEBOOK_FOOTER),
    )
    raw_status = pd.read_csv(path, usecols=["year", "unit", "status"])
    changed = table.merge(raw_status, on=["year", "unit"], suffixes=("", "_raw"))
    for _, row in changed[changed["status"] != changed["status_raw"]].iterrows():
        print(f"{TABLE}: {row['year']} {row['unit']}: {row['status_raw']} in the raw file, "
              f"{row['status']} by the rule ({row['checked_in']})")
    counts = table.groupby(["series", "status"]).size()
    print(f"{TABLE}: read {len(table)} raw rows, wrote {out} ({len(table)} rows)")
    for (series, status), n in counts.items():
        print(f"  {series:32s} {status:10s} {n}")


if __name__ == "__main__":
    raise SystemExit(main())
