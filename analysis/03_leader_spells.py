"""Build ``data/leader_spells.csv``: tenures of provincial party secretaries and governors.

Sources
-------
- ``raw/leaders/provleader.csv`` (maswiebe/meritocratic_promotion replication
  data): 27 provinces x 1998-2018, one row per province-year listing the
  incumbent party secretary (columns ending in ``1``) and governor (ending in
  ``2``) with the start and end year and month of their tenure; ``9999``/``99``
  marks a tenure still running when the data were compiled. The role coding is
  the one of the replication code (``code/cleaning.do``: ``provsec_conn_school``
  compares ``provleader_uni1``, ``provgov_conn_school`` compares ``provleader_uni2``).
  Rows are collapsed to one row per tenure.
- ``raw/leaders/compiled_municipal_leader_spells_1993_2022.csv``: the four
  municipalities (Beijing, Tianjin, Shanghai, Chongqing), already one row per
  tenure, with a verification mark per row. It is used instead of
  ``derived_municipal_provleader_format_1998_2018.csv`` (the same spells in the
  province-year layout), which drops tenures shorter than a year (e.g. Beijing's
  mayor of January-April 2003); the derived file is read only as a cross-check.

Municipal spells are kept when they overlap 1998-2018, the window of provleader.csv.
"""

from __future__ import annotations

import hashlib
import sys
import unicodedata
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    publish,
    render_codebook,
    run_step,
)
from massincidents.provinces import MAINLAND_CODES, normalise_provinces

TABLE = "leader_spells"
PROVLEADER = "leaders/provleader.csv"
MUNICIPAL = "leaders/compiled_municipal_leader_spells_1993_2022.csv"
MUNICIPAL_DERIVED = "leaders/derived_municipal_provleader_format_1998_2018.csv"
ORIGIN_PROVLEADER = "maswiebe/meritocratic_promotion @ bc82d115 (replication data), provleader"
ORIGIN_MUNICIPAL = (
    "compiled from public biographies (rows marked `knowledge` may have months off by 1-2)"
)
WINDOW = (1998, 2018)
ROLES = {"1": "secretary", "2": "governor"}
OPEN_YEAR, OPEN_MONTH = 9999, 99  # provleader's code for "still in office"

COLUMNS = (
    "province",
    "role",
    "start",
    "end",
    "leader_id",
    "name",
    "start_year",
    "start_month",
    "end_year",
    "end_month",
    "censored_end",
    "native_province",
    "gap_months",
    "listed_outside_spell",
    "source",
    "source_quality",
)


def leader_id(name: str) -> str:
    """Stable person identifier derived from the leader's name.

    Parameters
    ----------
    name
        The name as written in the raw file (Chinese characters).

    Returns
    -------
    str
        ``"L"`` followed by the first 10 hex digits of the SHA-256 of the
        NFKC-normalised name: the same person gets the same id in every
        province and role (two people with the same name would share one).
    """
    key = unicodedata.normalize("NFKC", name).strip()
    return "L" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


def _province_codes(values: pd.Series, what: str) -> pd.Series:
    codes, unknown = normalise_provinces(values)
    if unknown.any():
        bad = sorted(set(values[unknown].astype(str)))
        raise ValueError(f"{what}: province codes that did not map: {bad}")
    return codes


def _native_province(values: pd.Series) -> tuple[pd.Series, int]:
    """Native-province codes; a prefecture code (e.g. 220200) becomes its province."""
    number = pd.to_numeric(values, errors="raise").astype("Int64")
    province = (number // 10000) * 10000
    fixed = int((number.notna() & (number != province)).sum())
    bad = province.notna() & ~province.isin(MAINLAND_CODES)
    if bad.any():
        raise ValueError(f"native-province codes outside the mainland: {sorted(set(number[bad]))}")
    return province.astype("Int64"), fixed


def spells_from_provleader(path: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Collapse the province-year listing of provleader.csv to one row per tenure.

    Returns
    -------
    spells, counts
        Spells with the raw date fields and the years in which each was listed;
        ``counts`` for the row accounting.
    """
    raw = pd.read_csv(path)
    if raw.duplicated(["provcode", "year"]).any():
        raise ValueError("provleader.csv: duplicate province-years")
    long = []
    for suffix, role in ROLES.items():
        part = raw[["year", "provcode"]].copy()
        for field in ("name", "native_prov", "start_year", "start_month", "end_year", "end_month"):
            part[field] = raw[f"provleader_{field}{suffix}"]
        part["role"] = role
        long.append(part)
    listing = pd.concat(long, ignore_index=True)
    n_listed = len(listing)
    listing = listing.dropna(subset=["name"])
    n_missing = n_listed - len(listing)
    listing["province"] = _province_codes(listing["provcode"], "provleader.csv")
    for field in ("start_year", "start_month", "end_year", "end_month"):
        listing[field] = listing[field].astype("Int64")
    key = ["province", "role", "name", "start_year", "start_month"]
    spells = (
        listing.groupby(key, dropna=False)
        .agg(
            end_year=("end_year", "first"),
            end_month=("end_month", "first"),
            n_end=("end_year", "nunique"),
            native_prov=("native_prov", "first"),
            first_listed=("year", "min"),
            last_listed=("year", "max"),
            n_listed=("year", "size"),
        )
        .reset_index()
    )
    if (spells["n_end"] > 1).any():
        raise ValueError("provleader.csv: a tenure has several end dates")
    gaps = spells["last_listed"] - spells["first_listed"] + 1 != spells["n_listed"]
    if gaps.any():
        raise ValueError("provleader.csv: a tenure is listed in non-consecutive years")
    censored = spells["end_year"].eq(OPEN_YEAR)
    if not spells.loc[censored, "end_month"].eq(OPEN_MONTH).all():
        raise ValueError("provleader.csv: end year 9999 without end month 99")
    spells["censored_end"] = censored
    spells.loc[censored, ["end_year", "end_month"]] = pd.NA
    spells["native_province"], n_fixed = _native_province(spells["native_prov"])
    ends_before = ~censored & (spells["last_listed"] > spells["end_year"])
    starts_after = spells["first_listed"] < spells["start_year"]
    spells["listed_outside_spell"] = (ends_before | starts_after).astype(int)
    spells["source"] = "provleader"
    spells["source_quality"] = "replication_data"
    counts = {
        "province_year_rows": len(raw),
        "leader_listings": n_listed,
        "listings_without_leader": n_missing,
        "spells": len(spells),
        "censored_spells": int(censored.sum()),
        "native_province_from_prefecture_code": n_fixed,
        "spells_listed_outside_their_dates": int(spells["listed_outside_spell"].sum()),
    }
    return spells, counts


def spells_from_municipal(path: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read the compiled municipal spells and keep those overlapping 1998-2018."""
    raw = pd.read_csv(path, dtype={"role": str})
    if not raw["role"].isin(list(ROLES)).all():
        raise ValueError("municipal spells: unexpected role codes")
    spells = pd.DataFrame(
        {
            "province": _province_codes(raw["provcode"], "municipal spells"),
            "role": raw["role"].map(ROLES),
            "name": raw["name_zh"].str.strip(),
            "start_year": raw["start_year"].astype("Int64"),
            "start_month": raw["start_month"].astype("Int64"),
            "end_year": raw["end_year"].astype("Int64"),
            "end_month": raw["end_month"].astype("Int64"),
            "censored_end": raw["end_year"].isna(),
            "native_province": pd.Series(pd.NA, index=raw.index, dtype="Int64"),
            "listed_outside_spell": 0,
            "source": "compiled_municipal",
            "source_quality": raw["verification"].str.strip(),
        }
    )
    label = raw["role_label"].map({"party_secretary": "secretary", "mayor": "governor"})
    if not label.eq(spells["role"]).all():
        raise ValueError("municipal spells: role and role_label disagree")
    lo, hi = WINDOW
    overlaps = (spells["start_year"] <= hi) & (
        spells["end_year"].isna() | (spells["end_year"] >= lo)
    )
    counts = {"rows": len(raw), "outside_window_dropped": int((~overlaps).sum())}
    spells = spells[overlaps].copy()
    counts["spells"] = len(spells)
    counts["knowledge_rows"] = int(spells["source_quality"].eq("knowledge").sum())
    return spells, counts


def cross_check_derived(path: Path, spells: pd.DataFrame) -> int:
    """Count listings of the derived municipal file that match no compiled spell."""
    raw = pd.read_csv(path)
    misses = 0
    keys = set(
        zip(
            spells["province"],
            spells["role"],
            spells["name"],
            spells["start_year"],
            spells["start_month"],
            strict=True,
        )
    )
    for suffix, role in ROLES.items():
        for row in raw.itertuples(index=False):
            key = (
                int(row.provcode),
                role,
                getattr(row, f"provleader_name{suffix}"),
                int(getattr(row, f"provleader_start_year{suffix}")),
                int(getattr(row, f"provleader_start_month{suffix}")),
            )
            misses += key not in keys
    return misses


def add_gaps(spells: pd.DataFrame) -> pd.DataFrame:
    """Months between the previous tenure's end and this start, per province and role.

    0 is a handover within the month; positive values are gaps (a tenure
    missing from the source or a vacancy); negative values are overlaps.
    """
    spells = spells.sort_values(
        ["province", "role", "start_year", "start_month", "name"], kind="mergesort"
    ).reset_index(drop=True)
    start = spells["start_year"] * 12 + spells["start_month"]
    end = spells["end_year"] * 12 + spells["end_month"]
    previous_end = end.groupby([spells["province"], spells["role"]]).shift()
    spells["gap_months"] = (start - previous_end).astype("Int64")
    return spells


def _iso(year: pd.Series, month: pd.Series) -> pd.Series:
    return pd.Series(
        [
            f"{int(y):04d}-{int(m):02d}-01" if pd.notna(y) and pd.notna(m) else pd.NA
            for y, m in zip(year, month, strict=True)
        ],
        index=year.index,
        dtype="object",
    )


def build(provleader: Path, municipal: Path, derived: Path) -> tuple[pd.DataFrame, dict]:
    """Derive the processed table and its row accounting.

    Returns
    -------
    table, accounting
        ``table`` has the columns ``COLUMNS`` sorted by province, role and start.
    """
    prov, prov_counts = spells_from_provleader(provleader)
    muni, muni_counts = spells_from_municipal(municipal)
    muni_counts["derived_listings_not_in_compiled"] = cross_check_derived(derived, muni)
    cols = [c for c in COLUMNS if c not in {"start", "end", "leader_id", "gap_months"}]
    spells = pd.concat([prov[cols], muni[cols]], ignore_index=True)
    spells["name"] = spells["name"].str.strip()
    spells["leader_id"] = spells["name"].map(leader_id)
    spells["start"] = _iso(spells["start_year"], spells["start_month"])
    spells["end"] = _iso(spells["end_year"], spells["end_month"])
    spells = add_gaps(spells)
    if spells.duplicated(["province", "role", "start"]).any():
        raise ValueError("two tenures start in the same month for one province and role")
    if (spells["start"].notna() & spells["end"].notna() & (spells["start"] > spells["end"])).any():
        raise ValueError("a tenure ends before it starts")
    accounting = {"provleader": prov_counts, "municipal": muni_counts}
    return spells[list(COLUMNS)], accounting


def report_irregularities(table: pd.DataFrame) -> None:
    """Print overlaps and gaps between consecutive tenures, and double postings."""
    odd = table[
        table["gap_months"].notna() & ((table["gap_months"] < 0) | (table["gap_months"] > 1))
    ]
    print(f"  consecutive tenures with a gap > 1 month or an overlap: {len(odd)}")
    for row in odd.itertuples(index=False):
        kind = "overlap" if row.gap_months < 0 else "gap"
        print(
            f"    {row.province} {row.role:9s} {row.name} starts {row.start}: "
            f"{kind} of {abs(row.gap_months)} months"
        )
    flagged = table[table["listed_outside_spell"] == 1]
    for row in flagged.itertuples(index=False):
        print(
            f"    listed in a year outside its dates: {row.province} {row.role} {row.name} "
            f"{row.start}..{row.end}"
        )
    # the same person in office in two provinces at once for more than 3 months
    # (shorter overlaps are the usual imprecision of appointment vs. departure dates)
    start = table["start_year"] * 12 + table["start_month"]
    end = (table["end_year"] * 12 + table["end_month"]).fillna(10**6)
    t = table.assign(s=start, e=end)
    pairs = t.merge(t, on="leader_id")
    pairs = pairs[pairs["province_x"] < pairs["province_y"]]
    months = pairs[["e_x", "e_y"]].min(axis=1) - pairs[["s_x", "s_y"]].max(axis=1)
    for row, overlap in zip(
        pairs[months > 3].itertuples(index=False), months[months > 3], strict=True
    ):
        length = "open-ended" if overlap > 1000 else f"{int(overlap)} months"
        print(
            f"    {row.name_x} in office in {row.province_x} ({row.role_x}, from {row.start_x}) "
            f"and {row.province_y} ({row.role_y}, from {row.start_y}): {length}"
        )


CODEBOOK_INTRO = (
    "One row per tenure (spell) of a provincial party secretary or governor (mayor, in the "
    "four municipalities); 27 provinces from provleader.csv (tenures of the incumbents listed "
    "in 1998-2018) and the 4 municipalities from a compilation of public biographies "
    "(tenures overlapping 1998-2018)."
)
W = "1998-2018"
CODEBOOK_ROWS: tuple[tuple[str, ...], ...] = (
    # column, meaning, unit/values, source, years covered
    ("`province`", "province", "GB/T 2260 code", "provleader `provcode`; municipal `provcode`", W),
    (
        "`role`",
        "office held",
        '"secretary" (provincial party secretary; provleader columns '
        'ending in 1) or "governor" (governor, or mayor of a municipality; columns ending in 2)',
        "provleader; municipal `role`",
        W,
    ),
    (
        "`start`",
        "first month of the tenure",
        "ISO date, first of the month",
        "derived",
        "1993-2018",
    ),
    (
        "`end`",
        "last month of the tenure; empty when still running at the end of the data",
        "ISO date, first of the month",
        "derived",
        "1998-2022",
    ),
    (
        "`leader_id`",
        'person identifier: "L" + 10 hex digits of the SHA-256 of the name, the '
        "same in every province and role (two people with the same name would share it; none "
        "found)",
        "string",
        "derived",
        W,
    ),
    (
        "`name`",
        "leader's name as written in the source",
        "Chinese characters",
        "provleader `provleader_name*`; municipal `name_zh`",
        W,
    ),
    (
        "`start_year`, `start_month`",
        "start of the tenure",
        "year; month 1-12",
        "provleader `provleader_start_*`; municipal",
        "1993-2018",
    ),
    (
        "`end_year`, `end_month`",
        "end of the tenure; empty when `censored_end`",
        "year; month 1-12",
        "provleader `provleader_end_*`; municipal",
        "1998-2022",
    ),
    (
        "`censored_end`",
        "the tenure was still running when the data were compiled "
        "(provleader codes 9999/99): right-censored at the end of 2018",
        "True/False",
        "derived",
        "2018",
    ),
    (
        "`native_province`",
        "leader's native province; empty for the municipalities (not in "
        "the compilation) and where provleader has none; one prefecture code (220200) is mapped "
        "to its province",
        "GB/T 2260 code",
        "provleader `provleader_native_prov*`",
        W,
    ),
    (
        "`gap_months`",
        "months from the end of the previous tenure in the same province and "
        "role to the start of this one: 0 = handover within the month, > 0 a gap (a vacancy, or "
        "a short tenure missing from the year-by-year listing), < 0 an overlap (an error in one "
        "of the dates); empty for the first tenure",
        "months",
        "derived",
        W,
    ),
    (
        "`listed_outside_spell`",
        "provleader lists this tenure in a year outside its own start "
        "and end dates (the dates are probably those of another post)",
        "0/1",
        "derived",
        W,
    ),
    (
        "`source`",
        '"provleader" (maswiebe/meritocratic_promotion replication data) or '
        '"compiled_municipal" (compiled_municipal_leader_spells_1993_2022.csv)',
        "code",
        "-",
        W,
    ),
    (
        "`source_quality`",
        '"replication_data" (published replication data); for the '
        'municipalities "verified" (checked against a public source) or "knowledge" (compiled '
        "from memory: months may be off by 1-2)",
        "code",
        "municipal `verification`",
        W,
    ),
)
CODEBOOK_FOOTER = (
    "provleader.csv lists one incumbent per province-year, so tenures that began and ended "
    "between two listings are missing for the 27 provinces (they show as positive "
    "`gap_months`), and a few province-years have no leader listed. Dates are the source's; "
    "known errors are flagged, not corrected."
)


def main() -> int:
    """Build the table, its source record and codebook fragment.

    Returns
    -------
    int
        0 on success, also when the raw files are absent (the committed table is kept).
    """
    return run_step(TABLE, [PROVLEADER, MUNICIPAL, MUNICIPAL_DERIVED], build_and_write)


def build_and_write(provleader: Path, municipal: Path, derived: Path) -> None:
    """Build the table from the raw files and write it with its records."""
    table, accounting = build(provleader, municipal, derived)
    out = publish(
        TABLE,
        table,
        [
            (provleader, ORIGIN_PROVLEADER, "27 provinces: tenures, names, native provinces"),
            (municipal, ORIGIN_MUNICIPAL, "4 municipalities: tenures, names, verification"),
            (derived, ORIGIN_MUNICIPAL, "cross-check of the municipal tenures only"),
        ],
        render_codebook(TABLE, CODEBOOK_INTRO, CODEBOOK_ROWS, CODEBOOK_FOOTER),
    )
    print(f"{TABLE}: wrote {out} ({len(table)} rows)")
    for part, counts in accounting.items():
        print(f"  {part}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    print(
        "  rows by source and role: "
        + ", ".join(
            f"{s}/{r}={n}" for (s, r), n in table.groupby(["source", "role"]).size().items()
        )
    )
    report_irregularities(table)


if __name__ == "__main__":
    raise SystemExit(main())
