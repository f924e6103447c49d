"""Build ``data/mayor_spells.csv``: tenures of prefecture mayors, 1990-2019.

Source
------
``raw/prefecture_leaders/wiebe_city_full_v14_prefecture_mayors_1990_2019.xlsx``
(M. Wiebe, maswiebe/meritocratic_promotion replication data): one row per
prefecture-year listing the incumbent mayor with the start and end year and
month of the tenure (``9999`` = still in office, month ``0`` = month unknown),
education, native place codes and the code of the next post. Rows are collapsed
to one row per tenure: consecutive years of the same prefecture listing the same
name. Where the rows of one tenure disagree on its dates (typically an acting
appointment in one row and the formal one in another), the dates are chosen by a
stated rule (:func:`choose_start`, :func:`choose_end`) and the tenure is flagged.

Only coded fields are written (codes, dates, education level, native flags, the
exit code); names are used to tell tenures apart and to derive a person
identifier, and are not shipped (the source has no licence: PROVENANCE.md).

Prefecture codes are mapped to the 2017 vintage with ``data/divisions.csv`` and
``data/division_changes.csv`` (built by ``06_divisions.py``): the municipalities
are their own prefecture (``110100`` -> ``110000``), prefectures re-coded when a
地区 became a 市 carry their 2017 code (毕节 ``522400`` -> ``520500``).
"""

from __future__ import annotations

import hashlib
import json
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SOURCES_DIR, publish, render_codebook, run_step
from _prefectures import CHANGES_CSV, DIVISIONS_CSV, VINTAGE, vintage_codes

TABLE = "mayor_spells"
RAW = "prefecture_leaders/wiebe_city_full_v14_prefecture_mayors_1990_2019.xlsx"
ORIGIN = (
    "M. Wiebe, city_full_v14, maswiebe/meritocratic_promotion @ "
    "bc82d1152fd228e206ab661dd02e64b9cca0d580 (data/raw_data/); no licence file, replication data"
)
USED_FOR = (
    "every column (prefecture, dates, education, native place codes, promotion code); names "
    "read only to tell tenures apart and derive `mayor_id`, never written"
)
OPEN_YEAR = 9999  # the source's end year of a tenure still running
#: The source's code for 大兴安岭地区 is 231700; GB/T 2260 has 232700 (checked by name).
SOURCE_CODE_FIXES: dict[int, tuple[int, str]] = {231700: (232700, "大兴安岭地区")}
#: Education codes of the source's dictionary (wiebe_city_full_v14_dictionary.docx).
EDUCATION = {
    1: "high school or below",
    2: "college (专科)",
    3: "bachelor",
    4: "MBA/EMBA",
    5: "master",
    6: "PhD",
}

COLUMNS = (
    "prefecture",
    "start",
    "end",
    "mayor_id",
    "start_year",
    "start_month",
    "end_year",
    "end_month",
    "censored_end",
    "female",
    "birth_year",
    "education",
    "native_province",
    "native_prefecture",
    "exit_code",
    "gap_months",
    "dates_differ",
    "listed_outside_spell",
    "concurrent_other_post",
    "first_listed",
    "last_listed",
    "source_prefecture",
)


def mayor_id(name: str, birth_year: float | None) -> str:
    """Stable person identifier from the name and the birth year.

    Returns
    -------
    str
        ``"M"`` and 10 hex digits of the SHA-256 of the NFKC-normalised name and
        the birth year (empty when unknown): a mayor who moves keeps the id; two
        people with the same name are kept apart when their birth years differ.
    """
    year = "" if birth_year is None or pd.isna(birth_year) else str(int(birth_year))
    key = unicodedata.normalize("NFKC", name).strip() + "|" + year
    return "M" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


def _ym(year: float, month: float) -> int | None:
    """Months since year 0 (``year * 12 + month - 1``); None where the month is unknown."""
    if pd.isna(year) or pd.isna(month):
        return None
    return int(year) * 12 + int(month) - 1


def choose_start(candidates: list[tuple[int, int | None]], previous_end: int | None) -> tuple:
    """The start of a tenure from the (year, month) candidates its rows give.

    Rule: drop unknown months where a known month of any year is given; keep the
    candidates that do not begin before the previous tenure's end (when known);
    take the earliest of what is left (the acting appointment rather than the
    formal election), or the earliest of all when none is left.
    """
    known = [c for c in candidates if c[1] is not None]
    pool = known or candidates
    if previous_end is not None and known:
        after = [c for c in pool if c[0] * 12 + c[1] - 1 >= previous_end]
        pool = after or pool
    return min(pool, key=lambda c: (c[0], c[1] or 0))


def choose_end(candidates: list[tuple[int, int | None]], next_start: int | None) -> tuple:
    """The end of a tenure: the latest candidate not after the next tenure's start."""
    known = [c for c in candidates if c[1] is not None]
    pool = known or candidates
    if next_start is not None and known:
        before = [c for c in pool if c[0] * 12 + c[1] - 1 <= next_start]
        pool = before or pool
    return max(pool, key=lambda c: (c[0], c[1] or 0))


def read_listing(path: Path, to_vintage: dict[int, int]) -> pd.DataFrame:
    """Read the prefecture-year listing and put every prefecture on the 2017 code."""
    raw = pd.read_excel(path)
    if raw.duplicated(["prefcode", "year"]).any():
        raise ValueError(f"{path.name}: duplicate prefecture-years")
    raw = raw.dropna(subset=["name"]).copy()
    raw["name"] = raw["name"].astype(str).str.strip()
    source = raw["prefcode"].astype(int)
    for bad, (_, name) in SOURCE_CODE_FIXES.items():
        names = set(raw.loc[source == bad, "pref"])
        if names and names != {name}:
            raise ValueError(f"{path.name}: code {bad} is {names}, expected {name}")
    fixed = source.map(lambda c: SOURCE_CODE_FIXES.get(c, (c, ""))[0])
    municipal = fixed.isin([110100, 120100, 310100, 500100])
    fixed = fixed.where(~municipal, fixed // 10000 * 10000)
    prefecture = fixed.map(to_vintage)
    if prefecture.isna().any():
        bad_codes = sorted(set(source[prefecture.isna()]))
        raise ValueError(f"{path.name}: prefecture codes not in the {VINTAGE} roster: {bad_codes}")
    raw["source_prefecture"] = source
    raw["prefecture"] = prefecture.astype(int)
    if (raw["prefecture"] // 10000 != raw["provcode"] // 10000).any():
        raise ValueError(f"{path.name}: a prefecture outside its province")
    return raw.sort_values(["prefecture", "year"], kind="mergesort").reset_index(drop=True)


def concurrent_other_post(spells: pd.DataFrame) -> pd.Series:
    """1 where the same person's tenure in another prefecture overlaps this one.

    Both tenures need known start and end months (a tenure still running ends
    never); they overlap when each starts before the other's end month. A move
    within one month (the old tenure's end month is the new one's start month)
    is a hand-over, as in ``gap_months``, not an overlap.
    """
    start = spells["start_year"] * 12 + spells["start_month"] - 1
    end = (spells["end_year"] * 12 + spells["end_month"] - 1).astype("Float64")
    end = end.mask(spells["censored_end"], np.inf)
    flag = pd.Series(0, index=spells.index, dtype=int)
    known = start.notna() & end.notna()
    for _, group in spells[known].groupby("mayor_id"):
        if group["prefecture"].nunique() < 2:
            continue
        idx = group.index
        s = start[idx].to_numpy(float)
        e = end[idx].to_numpy(float)
        pref = group["prefecture"].to_numpy()
        both = (s[:, None] < e[None, :]) & (s[None, :] < e[:, None])
        both &= pref[:, None] != pref[None, :]
        flag[idx[both.any(axis=1)]] = 1
    return flag


def _year_month(year: pd.Series, month: pd.Series) -> list[tuple[int, int | None]]:
    out = []
    for y, m in zip(year, month, strict=True):
        if pd.isna(y) or int(y) == 0:
            continue
        out.append((int(y), None if pd.isna(m) or int(m) in (0, 99) else int(m)))
    return out


def build(paths: list[Path]) -> tuple[pd.DataFrame, dict[str, object]]:
    """Collapse the listing to one row per tenure and derive the coded fields.

    Returns
    -------
    spells, accounting
        The table (columns :data:`COLUMNS`, sorted by prefecture and start) and
        the row accounting.
    """
    (path,) = paths
    listing = read_listing(path, vintage_codes(DIVISIONS_CSV, CHANGES_CSV))
    new = listing["name"].ne(listing.groupby("prefecture")["name"].shift())
    new |= listing["prefecture"].ne(listing["prefecture"].shift())
    listing["spell"] = new.cumsum()

    rows = []
    for _, group in listing.groupby("spell", sort=True):
        inside = group[
            (group["start_year"] == 0)
            | ((group["start_year"] <= group["year"]) & (group["end_year"] >= group["year"]))
        ]
        dated = inside if len(inside) else group
        starts = _year_month(dated["start_year"], dated["start_month"])
        ends = _year_month(dated["end_year"], dated["end_month"])
        first = group.iloc[0]
        births = pd.to_numeric(group["birth"].astype(str).str[:4], errors="coerce")
        births = births[births.between(1900, 2000)]
        birth = births.mode().min() if len(births) else np.nan
        educ = group["educ"].dropna()
        educ = educ[educ.isin(list(EDUCATION))]
        native_pref = group["native_pref_code"].dropna()
        native_prov = group["native_prov_code"].dropna()
        rows.append(
            {
                "prefecture": int(first["prefecture"]),
                "source_prefecture": int(first["source_prefecture"]),
                "name": first["name"],
                "starts": starts,
                "ends": ends,
                "dates_differ": int(
                    group[["start_year", "start_month", "end_year", "end_month"]]
                    .drop_duplicates()
                    .shape[0]
                    > 1
                ),
                "first_listed": int(group["year"].min()),
                "last_listed": int(group["year"].max()),
                "female": {1.0: 0, 2.0: 1}.get(group["sex"].dropna().mode().min(), pd.NA)
                if group["sex"].notna().any()
                else pd.NA,
                "birth_year": birth,
                "education": int(educ.max()) if len(educ) else pd.NA,
                "native_prefecture": int(native_pref.mode().min() == first["source_prefecture"])
                if len(native_pref)
                else pd.NA,
                "native_province": int(
                    native_prov.mode().min() // 10000 == first["provcode"] // 10000
                )
                if len(native_prov)
                else pd.NA,
                "exit_code": int(group["promoCode"].dropna().iloc[-1])
                if group["promoCode"].notna().any()
                else pd.NA,
            }
        )
    spells = pd.DataFrame(rows)
    # Dates: chosen with the neighbouring tenures in the same prefecture.
    start_y, start_m, end_y, end_m = [], [], [], []
    previous_end: dict[int, int | None] = {}
    chosen_ends: list[tuple[int, int | None] | None] = []
    for i, row in spells.iterrows():
        pref = row["prefecture"]
        nxt = spells.iloc[i + 1] if i + 1 < len(spells) else None
        next_start = None
        if nxt is not None and nxt["prefecture"] == pref and nxt["starts"]:
            known = [s for s in nxt["starts"] if s[1] is not None]
            next_start = min(_ym(*s) for s in known) if known else None
        start = choose_start(row["starts"], previous_end.get(pref)) if row["starts"] else None
        end = choose_end(row["ends"], next_start) if row["ends"] else None
        start_y.append(start[0] if start else pd.NA)
        start_m.append(start[1] if start and start[1] is not None else pd.NA)
        end_y.append(end[0] if end else pd.NA)
        end_m.append(end[1] if end and end[1] is not None else pd.NA)
        chosen_ends.append(end)
        previous_end[pref] = (
            _ym(end[0], end[1]) if end and end[1] is not None and end[0] != OPEN_YEAR else None
        )
    spells["start_year"] = pd.array(start_y, dtype="Int64")
    spells["start_month"] = pd.array(start_m, dtype="Int64")
    spells["end_year"] = pd.array(end_y, dtype="Int64")
    spells["end_month"] = pd.array(end_m, dtype="Int64")
    spells["censored_end"] = spells["end_year"].eq(OPEN_YEAR).fillna(False)
    spells.loc[spells["censored_end"], ["end_year", "end_month"]] = pd.NA
    spells["mayor_id"] = [
        mayor_id(n, b) for n, b in zip(spells["name"], spells["birth_year"], strict=True)
    ]
    spells["start"] = _iso(spells["start_year"], spells["start_month"])
    spells["end"] = _iso(spells["end_year"], spells["end_month"])
    start_m_idx = spells["start_year"] * 12 + spells["start_month"] - 1
    end_m_idx = spells["end_year"] * 12 + spells["end_month"] - 1
    same_pref = spells["prefecture"].eq(spells["prefecture"].shift())
    spells["gap_months"] = (start_m_idx - end_m_idx.shift()).where(same_pref).astype("Int64")
    outside = (spells["first_listed"] < spells["start_year"]) | (
        ~spells["censored_end"] & (spells["last_listed"] > spells["end_year"])
    )
    spells["listed_outside_spell"] = outside.fillna(False).astype(int)
    spells["concurrent_other_post"] = concurrent_other_post(spells)
    for col in ("female", "education", "native_prefecture", "native_province", "exit_code"):
        spells[col] = spells[col].astype("Int64")
    spells["birth_year"] = spells["birth_year"].astype("Int64")
    spells = spells.sort_values(
        ["prefecture", "first_listed", "start_year", "start_month"], kind="mergesort"
    ).reset_index(drop=True)
    accounting = {
        "table": TABLE,
        "prefecture_year_rows": len(listing),
        "spells": len(spells),
        "prefectures": int(spells["prefecture"].nunique()),
        "censored_spells": int(spells["censored_end"].sum()),
        "spells_whose_rows_disagree_on_dates": int(spells["dates_differ"].sum()),
        "spells_with_unknown_start_month": int(spells["start_month"].isna().sum()),
        "spells_with_unknown_end_month": int(
            (spells["end_month"].isna() & ~spells["censored_end"]).sum()
        ),
        "overlapping_spells": int((spells["gap_months"] < 0).sum()),
        "spells_concurrent_with_the_same_mayors_other_post": int(
            spells["concurrent_other_post"].sum()
        ),
        "education_codes_outside_dictionary": int(
            (~listing["educ"].isin(list(EDUCATION)) & listing["educ"].notna()).sum()
        ),
        "source_codes_fixed": {str(k): v[0] for k, v in SOURCE_CODE_FIXES.items()},
    }
    return spells[list(COLUMNS)], accounting


def _iso(year: pd.Series, month: pd.Series) -> pd.Series:
    text = year.astype("string") + "-" + month.astype("string").str.zfill(2) + "-01"
    return text.astype("string")


CODEBOOK_INTRO = (
    "One row per tenure (spell) of a prefecture mayor (市长, 州长, 专员, 盟长), collapsed from a "
    "prefecture-year listing of the incumbent mayor 1990-2019 (about 320 prefectures a year in "
    "2004-2016, 309 in 2017, few after). Party secretaries are not in the source."
)
YEARS = "1990-2019"
CODEBOOK_ROWS: tuple[tuple[str, str, str, str], ...] = (
    (
        "prefecture",
        "prefecture",
        "GB/T 2260 code, 2017 vintage (municipalities 110000, 120000; re-coded 地区 carry their "
        "2017 code, e.g. 毕节 520500)",
        "`prefcode`, harmonised with `data/divisions.csv` and `data/division_changes.csv`",
    ),
    ("start", "first month of the tenure; empty when the month is unknown", "ISO date", "derived"),
    (
        "end",
        "last month of the tenure; empty when still running or the month is unknown",
        "ISO date",
        "derived",
    ),
    (
        "mayor_id",
        '"M" + 10 hex digits of the SHA-256 of the name and birth year: the same in every '
        "prefecture a person governed (names are not shipped)",
        "string",
        "derived from `name`, `birth`",
    ),
    ("start_year", "year the tenure began", "year", "`start_year`"),
    (
        "start_month",
        "month the tenure began; empty where the source has 0",
        "1-12",
        "`start_month`",
    ),
    ("end_year", "year the tenure ended; empty when `censored_end`", "year", "`end_year`"),
    ("end_month", "month the tenure ended; empty when unknown", "1-12", "`end_month`"),
    (
        "censored_end",
        "still in office when the data were compiled (source end year 9999)",
        "True/False",
        "`end_year`",
    ),
    ("female", "the mayor is a woman", "0/1", "`sex`"),
    ("birth_year", "year of birth", "year", "`birth`"),
    (
        "education",
        "highest degree: "
        + ", ".join(f"{k} = {v}" for k, v in EDUCATION.items())
        + "; empty where the source has none or a code outside its dictionary (0, 7)",
        "1-6",
        "`educ`",
    ),
    (
        "native_province",
        "born in the province of the prefecture governed",
        "0/1; empty where the native place is unknown",
        "`native_prov_code`",
    ),
    (
        "native_prefecture",
        "born in the prefecture governed (the source's `Native`)",
        "0/1; empty where the native place is unknown",
        "`native_pref_code`",
    ),
    (
        "exit_code",
        "the post after the tenure, the source's promotion code: 1xx retirement, death or "
        "removal; 2xx demotion; 3xx transfer at the same rank; 4xx people's congress or CPPCC; "
        "5xx promotion (500 = prefecture party secretary); 600 still in office",
        "code",
        "`promoCode`",
    ),
    (
        "gap_months",
        "months from the end of the previous tenure in the same prefecture to the start of this "
        "one: 0 = hand-over within the month, > 0 a gap (a vacancy, or a short tenure missing "
        "from the year-by-year listing), < 0 an overlap (an error in one of the dates); empty "
        "for the first tenure or where a month is unknown",
        "months",
        "derived",
    ),
    (
        "dates_differ",
        "the rows of this tenure give different start or end dates (usually an acting "
        "appointment in one row and the formal election in another); the start is the earliest "
        "date not before the previous tenure's end, the end the latest not after the next "
        "tenure's start",
        "0/1",
        "derived",
    ),
    (
        "listed_outside_spell",
        "the source lists this mayor in a year outside the tenure's dates",
        "0/1",
        "derived",
    ),
    (
        "concurrent_other_post",
        "the same person's tenure in another prefecture overlaps this one (each starts before "
        "the other's end month; both months known): the source's dates of a transfer, the new "
        "post starting 1-3 months before the old one ends; the panels can then show the person "
        "as mayor of both prefectures in those months",
        "0/1",
        "derived",
    ),
    ("first_listed", "first year the listing shows this mayor", "year", "`year`"),
    ("last_listed", "last year the listing shows this mayor", "year", "`year`"),
    (
        "source_prefecture",
        "the source's own prefecture code (before harmonisation; 231700 for 大兴安岭地区 is "
        "the source's, GB/T 2260 has 232700)",
        "code",
        "`prefcode`",
    ),
)
CODEBOOK_FOOTER = (
    "Source: M. Wiebe, city_full_v14 (maswiebe/meritocratic_promotion replication data); "
    "education and promotion codes follow its dictionary. The listing shows one mayor per "
    "prefecture-year, so tenures that began and ended between two listings are missing (they "
    "show as positive `gap_months`). Shanghai and Chongqing are not in the source and Beijing "
    "and Tianjin are (their mayors are provincial governors: see `leader_spells`); the "
    "province-administered county-level units (xx90xx) have no rows. Dates are the source's; "
    "known inconsistencies are flagged, not corrected."
)


def codebook_md() -> str:
    if [r[0] for r in CODEBOOK_ROWS] != list(COLUMNS):
        raise AssertionError("codebook and table columns differ")
    rows = [(f"`{c}`", m, u, s, YEARS) for c, m, u, s in CODEBOOK_ROWS]
    return render_codebook(TABLE, CODEBOOK_INTRO, rows, CODEBOOK_FOOTER)


def build_and_write(*paths: Path) -> None:
    spells, accounting = build(list(paths))
    path = publish(TABLE, spells, [(paths[0], ORIGIN, USED_FOR)], codebook_md())
    text = json.dumps(accounting, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (SOURCES_DIR / f"{TABLE}_accounting.json").write_text(text, encoding="utf-8")
    print(f"{TABLE}: wrote {path} ({len(spells)} rows)")
    print(text)


def main() -> int:
    """Build the table (keeps the committed one when the raw file is absent)."""
    return run_step(TABLE, (RAW,), build_and_write)


if __name__ == "__main__":
    raise SystemExit(main())
