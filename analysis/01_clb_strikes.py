"""Build ``data/clb_strikes.csv``: China Labour Bulletin strike-map events, 2011-2017.

One row per collective labour action in CLB's Strike Map exports (one Excel file
per year in ``raw/clb_strike_map/``), after removing exact duplicate rows.
Only facts and coded categories are written: date, province code, size band,
industry, enterprise type and 0/1 indicators for CLB's fixed vocabularies of
actions, demands and responses. The free-text columns (Title, Description,
Employer) and any free-text fragments in the multi-valued cells are never
written; fragments outside CLB's vocabulary only set an ``*_other`` indicator.

Each event also gets its prefecture, county and a location status from the
match file ``raw/clb_strike_map/derived_clb_event_prefecture_county_2011_2017.csv``
(codes and match statuses only, one row per raw row of the seven exports, keyed
by file and row). Nothing ambiguous is resolved here: an event gets a prefecture
code only where the match file names one prefecture (see :data:`LOCATION_STATUSES`).

Row accounting (raw rows per file, duplicates removed, unknown provinces, rows
written, events by location status) is printed and saved to
``data/sources/clb_strikes_accounting.json``.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    SOURCES_DIR,
    publish,
    render_codebook,
    run_step,
)
from massincidents.provinces import normalise_provinces

TABLE = "clb_strikes"
YEARS = tuple(range(2011, 2018))
EXPORTS = tuple(f"clb_strike_map/clb_{y}01_{y}12.xlsx" for y in YEARS)
LOCATION_MAP = "clb_strike_map/derived_clb_event_prefecture_county_2011_2017.csv"
RAW_FILES = (*EXPORTS, LOCATION_MAP)
USED_FOR = (
    "coded columns (Title, Description, Employer read only to deduplicate and order rows; "
    "never written)"
)
ORIGIN = (
    "China Labour Bulletin Strike Map export (clb.org.hk), Jan 2018; copied from "
    "thoera/china_labour @ 9bf655caf2f51408642190d5bbc1221dfaa905d5 data/clb_*.xlsx"
)

ORIGIN_MAP = (
    "derived for this project from the CLB exports (research/data_pass4_scripts): place names "
    "in the event text matched to the GB/T 2260 gazetteer 2010-2019 within the event's CLB "
    "province; codes and match statuses only, no CLB text"
)
USED_FOR_MAP = (
    "`prefecture`, `county`, `location_status` (columns pref_code, pref_status, county_code, "
    "county_status, names_prefecture_in_other_province; joined by source_file and row_in_file)"
)

#: ``location_status`` -> (what it means, whether ``prefecture`` is filled). The order is
#: the order of the codebook and of the accounting record.
LOCATION_STATUSES: dict[str, tuple[str, bool]] = {
    "unique": ("the text names exactly one prefecture of the event's province", True),
    "municipality": (
        "the event is in Beijing, Tianjin, Shanghai or Chongqing, which are their own "
        "prefecture (`prefecture` = the province code)",
        True,
    ),
    "prefecture_over_county_homonym": (
        "the name found is both a prefecture's and a county's of another prefecture of the "
        "same province; the prefecture reading is taken (49 of these events are Linyi "
        "临沂市 vs 临邑县)",
        True,
    ),
    "fuzzy": (
        "one prefecture matched only after a spelling correction (e.g. \"Dongguang\"): "
        "use with care; not counted in the prefecture panels' `strikes`",
        True,
    ),
    "ambiguous": (
        "the text names two or more prefectures of the province and does not say which one "
        "is the place of the event: `prefecture` is left empty",
        False,
    ),
    "prefecture_in_other_province": (
        "no place of the event's own province is named, but a prefecture of another province "
        "is (CLB's province is probably wrong, e.g. Shanxi/Shaanxi): `prefecture` is left empty",
        False,
    ),
    "province_only": (
        "no place below the province is named (or only words too generic to match)",
        False,
    ),
    "province_unknown": ('CLB recorded the province as unknown ("0")', False),
}
#: Statuses whose events the prefecture panels count in ``strikes`` (one prefecture, no
#: spelling correction): the events behind the coverage shares of the match file.
LOCATED_STATUSES: tuple[str, ...] = ("unique", "municipality", "prefecture_over_county_homonym")
#: Match-file ``pref_status`` -> ``location_status`` (``none``/``weak_only`` are split below).
PREF_STATUS: dict[str, str] = {
    "unique": "unique",
    "municipality": "municipality",
    "prefecture_over_county_homonym": "prefecture_over_county_homonym",
    "fuzzy": "fuzzy",
    "ambiguous_several_prefectures": "ambiguous",
    "none": "province_only",
    "weak_only": "province_only",
}
#: Harmonised prefectures whose 2017 code does not share the first four digits of the
#: code of a county named in the events (Danzhou was a county-level city, 469003, until 2015).
COUNTY_PREFECTURE_EXCEPTIONS: frozenset[tuple[int, int]] = frozenset({(469003, 460400)})

RAW_COLUMNS = (
    "Date",
    "Title",
    "Description",
    "Province",
    "Industry",
    "Participants",
    "Employer",
    "Enterprise Type",
    "Action Taken Involve",
    "Employee Demands Involve",
    "Response to Collective Action",
)
#: Free-text columns that are read (to deduplicate and hash rows) but never written.
TEXT_COLUMNS = ("Title", "Description", "Employer")

#: Raw participant labels -> ordered size bands.
SIZE_BANDS: dict[str, str] = {
    "1-100 Persons": "1-100",
    "100-1000 Persons": "100-1000",
    "1000-10000 Persons": "1000-10000",
    "10000+ Persons": "10000+",
}
SIZE_ORDER: tuple[str, ...] = tuple(SIZE_BANDS.values())

# CLB's fixed vocabularies: the capitalised menu labels that occur >= 50 times in
# exactly this spelling in the 2011-2017 exports. Every other fragment is free text
# typed by CLB staff: lower-case phrases in many spellings (the most frequent,
# "threaten to jump off building", ~290 rows over ~20 spellings; "illegal cabs",
# ~130) or capitalised one-offs (< 20 rows each). Matching ignores case and spacing.
ACTIONS: dict[str, str] = {
    "Protest or Demonstration": "action_protest_demonstration",
    "Sit-in": "action_sit_in",
    "Strike": "action_strike",
    "Block road": "action_block_road",
    "Transport Strike": "action_transport_strike",
}
DEMANDS: dict[str, str] = {
    "Wage Arrears": "demand_wage_arrears",
    "Pay Increase": "demand_pay_increase",
    "Compensation": "demand_compensation",
    "Relocation or Closure": "demand_relocation_closure",
    "Social Security": "demand_social_security",
    "Layoffs": "demand_layoffs",
    "Restructure Merger": "demand_restructure_merger",
    "Pension": "demand_pension",
    "OT": "demand_overtime",
    "Housing Fund": "demand_housing_fund",
    "Work Conditions": "demand_work_conditions",
    "Management Supervision": "demand_management_supervision",
}
RESPONSES: dict[str, str] = {
    "Police": "response_police",
    "Arrest(s)": "response_arrests",
    "Government Mediation": "response_government_mediation",
    "Negotiation": "response_negotiation",
    "Beaten": "response_beaten",
}
#: raw column -> (prefix, vocabulary)
MULTI_VALUED: dict[str, tuple[str, dict[str, str]]] = {
    "Action Taken Involve": ("action", ACTIONS),
    "Employee Demands Involve": ("demand", DEMANDS),
    "Response to Collective Action": ("response", RESPONSES),
}

BASE_COLUMNS = (
    "event_id",
    "date",
    "year",
    "month",
    "province",
    "province_unknown",
    "prefecture",
    "county",
    "location_status",
    "size_band",
    "size_rank",
    "industry",
    "ownership",
)


def indicator_columns() -> list[str]:
    """Names of the indicator and count columns, in output order.

    Returns
    -------
    list of str
        For each multi-valued field: one column per vocabulary label, then
        ``<prefix>_other`` and ``n_<prefix>``.
    """
    cols: list[str] = []
    for prefix, vocab in MULTI_VALUED.values():
        cols += [*vocab.values(), f"{prefix}_other", f"n_{prefix}"]
    return cols


def output_columns() -> list[str]:
    """Fixed column order of ``clb_strikes.csv``."""
    return [*BASE_COLUMNS, *indicator_columns()]


def _norm(label: str) -> str:
    return re.sub(r"\s+", " ", label).strip().casefold()


def split_cell(value: object, vocab: dict[str, str]) -> tuple[set[str], int]:
    """Split one comma-separated cell into vocabulary columns and free-text fragments.

    Parameters
    ----------
    value
        The raw cell (a string or missing).
    vocab
        Mapping of CLB vocabulary labels to output column names.

    Returns
    -------
    columns, n_other
        The indicator columns set by the cell and the number of non-empty
        fragments that are not in the vocabulary.
    """
    if not isinstance(value, str):
        return set(), 0
    lookup = {_norm(k): v for k, v in vocab.items()}
    found: set[str] = set()
    n_other = 0
    for fragment in value.split(","):
        key = _norm(fragment)
        if not key:
            continue
        if key in lookup:
            found.add(lookup[key])
        else:
            n_other += 1
    return found, n_other


def row_hash(raw: pd.DataFrame) -> pd.Series:
    """SHA-256 of every raw row (all columns, text included), for a stable order.

    Parameters
    ----------
    raw
        Raw rows with the columns ``RAW_COLUMNS`` as strings (missing = NaN).

    Returns
    -------
    pandas.Series
        Hex digests, one per row.
    """

    def digest(values: tuple[object, ...]) -> str:
        text = "\x1f".join("" if not isinstance(v, str) else v for v in values)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    return pd.Series(
        [digest(t) for t in raw[list(RAW_COLUMNS)].itertuples(index=False, name=None)],
        index=raw.index,
    )


def read_raw(paths: list[Path]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read the yearly exports as strings and check their columns.

    Returns
    -------
    raw, rows_per_file
        The concatenated raw rows and the number of rows in each file; the
        rows carry their file name and 0-based row number in ``_file`` and
        ``_row`` (the key of the location match file).
    """
    frames = []
    counts: dict[str, int] = {}
    for path in paths:
        frame = pd.read_excel(path, dtype=str)
        if tuple(frame.columns) != RAW_COLUMNS:
            raise ValueError(f"{path.name}: unexpected columns {list(frame.columns)}")
        counts[path.name] = len(frame)
        frame["_file"] = path.name
        frame["_row"] = range(len(frame))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), counts


def read_location_map(path: Path) -> pd.DataFrame:
    """Read the event-to-prefecture match file, keyed by ``(source_file, row_in_file)``.

    Raises
    ------
    ValueError
        When the key is not unique or a status is outside the known vocabulary.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    frame["row_in_file"] = frame["row_in_file"].astype(int)
    if frame.duplicated(["source_file", "row_in_file"]).any():
        raise ValueError(f"{path.name}: (source_file, row_in_file) is not unique")
    unknown = sorted(set(frame["pref_status"]) - set(PREF_STATUS))
    if unknown:
        raise ValueError(f"{path.name}: unknown pref_status values {unknown}")
    return frame


def locate(events: pd.DataFrame, location_map: pd.DataFrame) -> pd.DataFrame:
    """Prefecture, county and location status of each event from the match file.

    Parameters
    ----------
    events
        Deduplicated raw rows with ``_file``, ``_row``, ``Date`` and ``Province``.
    location_map
        The match file (:func:`read_location_map`), one row per raw row.

    Returns
    -------
    pandas.DataFrame
        ``prefecture`` and ``county`` (nullable integer codes) and ``location_status``,
        aligned with ``events``.

    Raises
    ------
    ValueError
        When an event has no row in the match file, or its row disagrees with the
        export on the date or the province, or is marked as an exact duplicate, or a
        code is inconsistent with its status or province.
    """
    keyed = location_map.rename(columns={"source_file": "_file", "row_in_file": "_row"})
    joined = events[["_file", "_row", "Date", "Province"]].merge(
        keyed, on=["_file", "_row"], how="left", validate="one_to_one", indicator=True
    )
    missing = joined["_merge"] != "both"
    if missing.any():
        rows = joined.loc[missing, ["_file", "_row"]].head(5).to_dict("records")
        raise ValueError(f"{int(missing.sum())} events have no row in the match file: {rows}")
    problems = {
        "date differs from the export": joined["date"] != joined["Date"].str.strip(),
        "province differs from the export": joined["province_clb"]
        != joined["Province"].str.strip(),
        "row marked as an exact duplicate was kept": joined["exact_duplicate"] != "False",
    }
    for what, bad in problems.items():
        if bad.any():
            rows = joined.loc[bad, ["_file", "_row"]].head(5).to_dict("records")
            raise ValueError(f"match file: {what} in {int(bad.sum())} rows, e.g. {rows}")

    status = joined["pref_status"].map(PREF_STATUS)
    elsewhere = joined["names_prefecture_in_other_province"].notna()
    status = status.mask(status.eq("province_only") & elsewhere, "prefecture_in_other_province")
    status = status.mask(joined["provcode"].isna(), "province_unknown")
    filled = status.map({k: v[1] for k, v in LOCATION_STATUSES.items()})
    prefecture = pd.to_numeric(joined["pref_code"]).astype("Int64")
    if not (prefecture.notna() == filled).all():
        raise ValueError("match file: a prefecture code where none is expected, or none given")
    province = pd.to_numeric(joined["provcode"]).astype("Int64")
    if (prefecture.notna() & (prefecture // 10000 != province // 10000)).any():
        raise ValueError("match file: a prefecture outside the event's province")
    county = pd.to_numeric(joined["county_code"].where(joined["county_status"].eq("unique")))
    county = county.astype("Int64")
    if (county.notna() & prefecture.isna()).any():
        raise ValueError("match file: a county without a prefecture")
    pairs = pd.DataFrame({"county": county, "prefecture": prefecture}).dropna()
    municipal = pairs["prefecture"] % 10000 == 0
    same = (pairs["county"] // 100 == pairs["prefecture"] // 100) | (
        municipal & (pairs["county"] // 10000 == pairs["prefecture"] // 10000)
    )
    odd = {
        (int(c), int(p))
        for c, p in pairs.loc[~same, ["county", "prefecture"]].itertuples(index=False)
    }
    if odd - COUNTY_PREFECTURE_EXCEPTIONS:
        raise ValueError(f"match file: counties outside their prefecture: {sorted(odd)}")
    return pd.DataFrame(
        {"prefecture": prefecture, "county": county, "location_status": status},
        index=events.index,
    )


def build(paths: list[Path]) -> tuple[pd.DataFrame, dict[str, object]]:
    """Derive the processed table and its row accounting from the raw exports.

    Parameters
    ----------
    paths
        The seven yearly Excel exports and the location match file (:data:`RAW_FILES`).

    Returns
    -------
    table, accounting
        ``table`` has the columns of :func:`output_columns`, sorted by
        ``event_id``; ``accounting`` records how every raw row was used.
    """
    exports = [p for p in paths if p.suffix == ".xlsx"]
    location_map = read_location_map(next(p for p in paths if p.name == Path(LOCATION_MAP).name))
    raw, per_file = read_raw(exports)
    n_raw = len(raw)
    if len(location_map) != n_raw:
        raise ValueError(f"match file has {len(location_map)} rows, the exports {n_raw}")

    # Exact duplicates: compare every raw column, free text included, so that
    # two different events with the same coding are kept apart.
    deduped = raw.drop_duplicates(subset=list(RAW_COLUMNS)).reset_index(drop=True)
    n_dup = n_raw - len(deduped)
    near_dups = int(
        deduped.duplicated(subset=["Date", "Description"]).sum()
    )  # same report, coded differently: kept, only counted

    dates = pd.to_datetime(deduped["Date"], format="%Y-%m-%d", errors="raise")
    deduped["_hash"] = row_hash(deduped)
    deduped["_date"] = dates
    deduped = deduped.sort_values(["_date", "_hash"], kind="mergesort").reset_index(drop=True)
    dates = deduped["_date"]

    out = pd.DataFrame(index=deduped.index)
    out["event_id"] = range(1, len(deduped) + 1)
    out["date"] = dates.dt.strftime("%Y-%m-%d")
    out["year"] = dates.dt.year
    out["month"] = dates.dt.month

    province_raw = deduped["Province"].str.strip()
    unknown = province_raw.eq("0")
    codes, failed = normalise_provinces(province_raw.where(~unknown))
    unmapped = sorted(set(province_raw[failed & ~unknown]))
    if unmapped:
        raise ValueError(f"province spellings that did not map: {unmapped}")
    out["province"] = codes
    out["province_unknown"] = unknown.astype(int)
    located = locate(deduped, location_map)
    out[["prefecture", "county", "location_status"]] = located

    sizes = deduped["Participants"].str.strip()
    unknown_sizes = sorted(set(sizes.dropna()) - set(SIZE_BANDS))
    if unknown_sizes:
        raise ValueError(f"unexpected participant labels: {unknown_sizes}")
    out["size_band"] = sizes.map(SIZE_BANDS)
    out["size_rank"] = out["size_band"].map({b: i + 1 for i, b in enumerate(SIZE_ORDER)})
    out["size_rank"] = out["size_rank"].astype("Int64")
    out["industry"] = deduped["Industry"].str.strip()
    out["ownership"] = deduped["Enterprise Type"].str.strip()

    other_fragments: dict[str, int] = {}
    for column, (prefix, vocab) in MULTI_VALUED.items():
        parsed = [split_cell(v, vocab) for v in deduped[column]]
        for name in vocab.values():
            out[name] = [int(name in found) for found, _ in parsed]
        out[f"{prefix}_other"] = [int(n > 0) for _, n in parsed]
        out[f"n_{prefix}"] = out[[*vocab.values(), f"{prefix}_other"]].sum(axis=1)
        other_fragments[prefix] = sum(n for _, n in parsed)

    out = out[output_columns()]
    by_year = {str(y): int(n) for y, n in out["year"].value_counts().sort_index().items()}
    accounting: dict[str, object] = {
        "table": TABLE,
        "raw_rows_per_file": per_file,
        "raw_rows": n_raw,
        "exact_duplicates_removed": n_dup,
        "rows_after_deduplication": len(deduped),
        "same_date_and_description_kept": near_dups,
        "unknown_province_kept": int(unknown.sum()),
        "missing_size_band": int(out["size_band"].isna().sum()),
        "missing_industry": int(out["industry"].isna().sum()),
        "missing_ownership": int(out["ownership"].isna().sum()),
        "empty_cells": {p: int(out[f"n_{p}"].eq(0).sum()) for p, _ in MULTI_VALUED.values()},
        "fragments_mapped_to_other": other_fragments,
        "location_status": {
            k: int(out["location_status"].eq(k).sum()) for k in LOCATION_STATUSES
        },
        "county_matched": int(out["county"].notna().sum()),
        "rows_written": len(out),
        "rows_written_per_year": by_year,
    }
    return out, accounting


CODEBOOK_INTRO = (
    "One row per collective labour action (strike, protest, sit-in, road block) recorded by "
    "China Labour Bulletin's Strike Map, 2011-2017, after removing exact duplicate rows; CLB "
    "captures only a small share of actions and its reach grew over time, so counts are not "
    "a census."
)
YEARS_COVERED = "2011-2017"
CODEBOOK_BASE: tuple[tuple[str, str, str, str], ...] = (
    # column, meaning, unit/values, source
    (
        "event_id",
        "event identifier, stable across rebuilds (rows sorted by date, then by a "
        "SHA-256 hash of the full raw row)",
        "integer 1..N",
        "derived",
    ),
    ("date", "date of the event as reported by CLB", "ISO date", "CLB `Date`"),
    ("year", "calendar year of `date`", "year", "derived"),
    ("month", "calendar month of `date`", "1-12", "derived"),
    (
        "province",
        "province where the event took place",
        'GB/T 2260 code; empty when CLB gives "0" (unknown)',
        "CLB `Province`",
    ),
    (
        "province_unknown",
        'CLB recorded the province as unknown ("0"); the row is kept so '
        "that yearly totals stay complete",
        "0/1",
        "CLB `Province`",
    ),
    (
        "prefecture",
        "prefecture (prefecture-level unit) where the event took place, where the event's text "
        "names one: filled for the `location_status` values unique, municipality, "
        "prefecture_over_county_homonym and fuzzy, empty otherwise: an event that may lie in "
        "two or more prefectures is left empty; a name shared by a prefecture and a county "
        "of another prefecture of the same province is read as the prefecture (status "
        "prefecture_over_county_homonym, 82 events, 49 of them Linyi: drop them to avoid "
        "that reading)",
        "GB/T 2260 code, 2017 vintage (prefectures renamed or re-coded in 2011-2017, e.g. "
        "Bijie 522400 -> 520500, Chaohu 341400 -> Hefei 340100, carry their 2017 code); the "
        "four municipalities are their own prefecture (110000 ...), province-administered "
        "county-level units (xx90xx) their own prefecture-equivalent",
        "match file `pref_code`",
    ),
    (
        "county",
        "county-level unit (county, county-level city, district) named in the event's text, "
        "where exactly one is; empty otherwise (about 10% of events have one)",
        "GB/T 2260 code of the unit as listed in the 2010-2019 code lists, not harmonised "
        "across vintages (e.g. 上虞市 330682 became 上虞区 330604 in 2013; a few events name a "
        "unit by a name and code no longer in force at the event date, e.g. 儋州市 469003 "
        "after 2015)",
        "match file `county_code` (when `county_status` is unique)",
    ),
    (
        "location_status",
        "how the event was placed below the province: "
        + "; ".join(f"{k}: {v[0]}" for k, v in LOCATION_STATUSES.items()),
        ", ".join(LOCATION_STATUSES),
        "match file `pref_status`, `names_prefecture_in_other_province`; derived",
    ),
    (
        "size_band",
        "number of participants, CLB band",
        '"1-100", "100-1000", "1000-10000", "10000+" (ordered); empty if not recorded',
        "CLB `Participants`",
    ),
    ("size_rank", "order of `size_band`", "1-4; empty if not recorded", "derived"),
    (
        "industry",
        "industry category",
        "Construction, Manufacturing, Transportation, "
        "Services, Education, Mining, Retail, Other; empty if not recorded",
        "CLB `Industry`",
    ),
    (
        "ownership",
        "enterprise type",
        "Private Enterprise, State-Owned Enterprise, "
        "Foreign-Owned Enterprise, Hong Kong / Macau / Taiwan-Owned Enterprise, Joint Venture, "
        "Unknown; empty if not recorded",
        "CLB `Enterprise Type`",
    ),
)
OTHER_EXAMPLES = {
    "action": "e.g. threats to jump from a building",
    "demand": "e.g. taxi drivers' complaints about unlicensed cabs or ride apps, equal pay",
    "response": "e.g. fines, pepper spray, court rulings",
}
CODEBOOK_FOOTER = (
    "Vocabulary: CLB's capitalised menu labels that occur at least 50 times in exactly that "
    "spelling (matched ignoring case and spacing). Every other fragment is free text typed by "
    "CLB staff, in many spellings (the most frequent are threats to jump from a building, "
    "about 290 events, and complaints about unlicensed cabs, about 130), and only sets "
    "`*_other`. Exact duplicates are detected on all eleven raw columns, the free text "
    "included; a few pairs share date and description but are coded differently, and are "
    "kept (see `sources/clb_strikes_accounting.json`).\n\n"
    "Location: `prefecture`, `county` and `location_status` come from a match file derived for "
    "this project (`raw/clb_strike_map/derived_clb_event_prefecture_county_2011_2017.csv`): "
    "place names in the event text (English pinyin, and Chinese in the employer field) looked "
    "up in the GB/T 2260 gazetteer of 2010-2019, only within the event's CLB province; 70 "
    "prefecture and 75 county assignments were checked by hand. The prefecture panels count "
    "the statuses unique, municipality and prefecture_over_county_homonym as located; the "
    "counts by status are in `sources/clb_strikes_accounting.json`. The located share grows "
    "with CLB's reach, from about 78% of events in 2011 to about 96% in 2015-2016 (89% in 2017)."
)


def codebook_md() -> str:
    """The codebook fragment of the table (Markdown)."""
    rows = [(*row, YEARS_COVERED) for row in CODEBOOK_BASE]
    for column, (prefix, vocab) in MULTI_VALUED.items():
        noun = {"action": "action", "demand": "demands", "response": "response"}[prefix]
        for label, name in vocab.items():
            gloss = " (overtime pay)" if label == "OT" else ""
            rows.append(
                (name, f'{noun} included "{label}"{gloss}', "0/1", f"CLB `{column}`", YEARS_COVERED)
            )
        rows.append(
            (
                f"{prefix}_other",
                f"the cell also held a fragment outside CLB's {prefix} vocabulary (free text, "
                f"{OTHER_EXAMPLES[prefix]}); the text is not shipped",
                "0/1",
                f"CLB `{column}`",
                YEARS_COVERED,
            )
        )
        empty = "cell empty in the raw file"
        if prefix == "response":
            empty = "no response recorded (about two thirds of events)"
        rows.append(
            (
                f"n_{prefix}",
                f"number of {prefix} indicators set; 0 = {empty}",
                "count",
                "derived",
                YEARS_COVERED,
            )
        )
    if [r[0] for r in rows] != output_columns():
        raise AssertionError("codebook and table columns differ")
    quoted = [(f"`{c}`", *rest) for c, *rest in rows]
    return render_codebook(TABLE, CODEBOOK_INTRO, quoted, CODEBOOK_FOOTER)


def main() -> int:
    """Build the table, its source record, accounting and codebook fragment.

    Returns
    -------
    int
        0 on success, also when the raw files are absent (the committed table is kept).
    """
    return run_step(TABLE, RAW_FILES, build_and_write)


def build_and_write(*paths: Path) -> None:
    """Build the table from the raw exports and write it with its records."""
    table, accounting = build(list(paths))
    inputs = [
        (p, ORIGIN_MAP, USED_FOR_MAP) if p.suffix == ".csv" else (p, ORIGIN, USED_FOR)
        for p in paths
    ]
    path = publish(TABLE, table, inputs, codebook_md())
    SOURCES_DIR.mkdir(parents=True, exist_ok=True)
    text = json.dumps(accounting, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (SOURCES_DIR / f"{TABLE}_accounting.json").write_text(text, encoding="utf-8")
    print(f"{TABLE}: wrote {path} ({len(table)} rows)")
    print(json.dumps(accounting, ensure_ascii=False, indent=2, sort_keys=True))


if __name__ == "__main__":
    raise SystemExit(main())
