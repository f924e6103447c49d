"""Build ``data/prefecture_year.csv`` and ``data/prefecture_month.csv``, 2011-2017.

One row per prefecture-level unit of the 2017 roster (``data/divisions.csv``:
prefectures, the four municipalities and the province-administered county-level
units) and year, or month: a balanced, zero-filled panel of CLB strike counts,
with census population, the mayor in office, the prefecture's growth target and
(in the yearly panel) the province covariates of ``data/province_year.csv``.

Inputs
------
- ``data/clb_strikes.csv`` (``01_clb_strikes.py``): events with their prefecture and
  location status. ``strikes`` counts the events placed in one prefecture without
  a spelling correction (statuses unique, municipality,
  prefecture_over_county_homonym); ``strikes_fuzzy`` the spelling-corrected ones.
- ``data/mayor_spells.csv`` (``07_mayor_spells.py``): the mayor in office, month by month.
- ``data/province_year.csv`` (``04_province_year.py``): province covariates.
- ``data/divisions.csv``, ``data/division_changes.csv`` (``06_divisions.py``): the roster.
- raw: 2010 and 2020 census population by prefecture (leiii/census), the 2010 and
  2020 county tables of the same source (to check boundaries and to split Laiwu
  back out of Jinan), and the prefecture growth targets of Li, Liu, Weng and Zhou
  (2019).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, SOURCES_DIR, publish, render_codebook, run_step
from _prefectures import MUNICIPALITIES, VINTAGE, in_force, roster, vintage_codes

TABLE_YEAR = "prefecture_year"
TABLE_MONTH = "prefecture_month"
YEARS = range(2011, 2018)
RAW = {
    "census_city": "prefecture_census_population/census_city_2010-2020_v1.csv",
    "census_county_2010": "prefecture_census_population/census_county_2010_v1.xlsx",
    "census_county_2020": "prefecture_census_population/census_county_2020_v1.xlsx",
    "growth_targets": "prefecture_leaders/li_et_al_2019_prefecture_growth_targets_2003_2014.tsv",
}
_CENSUS = "Lei Dong et al., leiii/census @ 0ba0f1efae092f4aa6569ef38e53b3bb4d2f0087 (MIT)"
ORIGINS = {
    "census_city": (
        f"{_CENSUS}; compiled from local census bulletins, 2010 boundary-adjusted to 2020 units",
        "`population`, `population_census_2010`, `population_census_2020` (popu_2010, popu_2020)",
    ),
    "census_county_2010": (
        f"{_CENSUS}; the 6th census yearbook (2010 units)",
        "`population_flag` (2010 figures of each unit in its own 2010 boundaries, compared "
        "with the boundary-adjusted ones); Laiwu 2010",
    ),
    "census_county_2020": (
        f"{_CENSUS}; the 7th census yearbook",
        "Laiwu 2020 (莱芜区 370116 + 钢城区 370117, split back out of Jinan)",
    ),
    "growth_targets": (
        "Li, Liu, Weng & Zhou (2019, Economic Journal), as shipped in maswiebe/"
        "meritocratic_promotion @ bc82d115 data/promotion.csv; no licence file, replication data",
        "`gdp_growth_target` (planMade where planMadeNm = 1), `gdp_growth` (real)",
    ),
}
STRIKES_CSV = DATA_DIR / "clb_strikes.csv"
MAYORS_CSV = DATA_DIR / "mayor_spells.csv"
PROVINCE_YEAR_CSV = DATA_DIR / "province_year.csv"

#: Location statuses counted in ``strikes`` (one prefecture, no spelling correction).
LOCATED = ("unique", "municipality", "prefecture_over_county_homonym")
SIZE_BANDS = {
    "1-100": "strikes_size_1_100",
    "100-1000": "strikes_size_100_1000",
    "1000-10000": "strikes_size_1000_10000",
    "10000+": "strikes_size_10000_plus",
}
COUNT_COLUMNS = ("strikes", *SIZE_BANDS.values(), "strikes_size_unrecorded", "strikes_fuzzy")

#: The census reference moment (00:00, 1 November) of both censuses.
CENSUS_MONTH = 11
#: Relative difference between a unit's 2010 census figure in its own 2010 boundaries and the
#: boundary-adjusted figure above which the unit is flagged as having changed territory.
BOUNDARY_TOLERANCE = 0.005
#: Laiwu (a prefecture in 2017) was merged into Jinan in 2019: the 2020-unit figures of Jinan
#: are split back with the 2020 county rows of Laiwu's two districts and Laiwu's 2010 row.
SPLIT_BACK = {371200: {"into": 370100, "districts_2020": (370116, 370117)}}
POPULATION_FLAGS = {
    "interpolated": "both census figures refer to the same territory (the 2010 figure in the "
    "unit's own 2010 boundaries is within 0.5% of the boundary-adjusted one)",
    "interpolated_boundary_changed": "the unit's territory changed between 2010 and 2020 (the "
    "two 2010 figures differ by more than 0.5%): the series is for the 2020 territory, which "
    "differs from the 2017 one if the change came after 2017",
    "interpolated_split_from_2020_unit": "Jinan and Laiwu: Laiwu's 2010 census figure and the "
    "sum of its two districts in 2020, Jinan the 2020 unit minus Laiwu",
    "interpolated_unchecked": "no 2010 figure in the unit's own boundaries to compare with",
    "missing": "no census figure for the unit (the Xinjiang Production and Construction Corps "
    "cities 659001-659009; Sansha 460300 in 2010)",
}

MAYOR_COLUMNS = (
    "mayor_id",
    "mayor_tenure_months",
    "mayor_turnover",
    "mayor_native_province",
    "mayor_native_prefecture",
    "mayor_education",
)


# ---------------------------------------------------------------------------- skeleton
def skeleton(freq: str) -> pd.DataFrame:
    """Every roster unit x period, with province and ``in_force``."""
    units = roster()
    years = pd.DataFrame({"year": list(YEARS)})
    frame = units[["code", "province"]].rename(columns={"code": "prefecture"}).merge(
        years, how="cross"
    )
    if freq == "month":
        frame = frame.merge(pd.DataFrame({"month": range(1, 13)}), how="cross")
    force = in_force(YEARS)
    frame = frame.merge(force, on=["prefecture", "year"], how="left", validate="many_to_one")
    return frame


# ---------------------------------------------------------------------------- strikes
def strike_counts(events: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Zero-filled monthly counts of located and fuzzy-located events per prefecture.

    Raises
    ------
    ValueError
        When an event's prefecture is not on the roster, or lies in a unit not in
        force that year, or its size band is unknown.
    """
    ev = events.dropna(subset=["prefecture"]).copy()
    ev["prefecture"] = ev["prefecture"].astype(int)
    outside = sorted(set(ev["prefecture"]) - set(frame["prefecture"]))
    if outside:
        raise ValueError(f"clb_strikes: prefectures outside the {VINTAGE} roster: {outside}")
    bands = sorted(set(ev["size_band"].dropna()) - set(SIZE_BANDS))
    if bands:
        raise ValueError(f"clb_strikes: unknown size bands {bands}")
    located = ev["location_status"].isin(LOCATED)
    fuzzy = ev["location_status"].eq("fuzzy")
    if not (located | fuzzy).all():
        raise ValueError("clb_strikes: a prefecture code on an event of another status")
    ev["strikes"] = located.astype(int)
    for band, column in SIZE_BANDS.items():
        ev[column] = (located & ev["size_band"].eq(band)).astype(int)
    ev["strikes_size_unrecorded"] = (located & ev["size_band"].isna()).astype(int)
    ev["strikes_fuzzy"] = fuzzy.astype(int)
    counts = ev.groupby(["prefecture", "year", "month"])[list(COUNT_COLUMNS)].sum().reset_index()
    out = frame.merge(counts, on=["prefecture", "year", "month"], how="left", validate="1:1")
    n_counted = int(out["strikes"].sum() + out["strikes_fuzzy"].sum())
    if n_counted != len(ev):
        raise ValueError(f"clb_strikes: {len(ev)} located events, {n_counted} in the panel")
    dead = out["in_force"].eq(0) & (out["strikes"].fillna(0) + out["strikes_fuzzy"].fillna(0) > 0)
    if dead.any():
        raise ValueError("clb_strikes: events in a unit not in force that year")
    for column in COUNT_COLUMNS:
        out[column] = out[column].fillna(0).astype("int64")
    return out


# ---------------------------------------------------------------------------- population
def census_population(
    city_csv: Path, county_2010: Path, county_2020: Path, mapping: dict[int, int]
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Census population of 2010 and 2020 for every roster unit, with its flag.

    Returns
    -------
    population, accounting
        ``prefecture``, ``population_census_2010`` (boundary-adjusted to 2020
        units), ``population_census_2020``, ``population_flag``; and what was
        done with the census units that are not on the roster.
    """
    city = pd.read_csv(city_csv, usecols=["city", "city_code", "popu_2010", "popu_2020"])
    code = city["city_code"].astype(int)
    code = code.where(~code.isin([m + 100 for m in MUNICIPALITIES]), code // 10000 * 10000)
    units = set(roster()["code"])
    on_roster = code.isin(units)
    dropped = sorted(int(c) for c in city.loc[~on_roster, "city_code"])
    pop = pd.DataFrame(
        {
            "prefecture": code[on_roster].to_numpy(),
            "population_census_2010": city.loc[on_roster, "popu_2010"].to_numpy(),
            "population_census_2020": city.loc[on_roster, "popu_2020"].to_numpy(),
        }
    )
    if pop["prefecture"].duplicated().any():
        raise ValueError(f"{city_csv.name}: two census units with one roster code")

    yearbook = pd.read_excel(county_2010, usecols=["区划代码", "合计"]).dropna()
    yearbook = dict(zip(yearbook["区划代码"].astype(int), yearbook["合计"], strict=True))
    c20 = pd.read_excel(county_2020, usecols=["区划代码", "人口数_合计"]).dropna()
    c20 = dict(zip(c20["区划代码"].astype(int), c20["人口数_合计"], strict=True))

    flags = {}
    pop = pop.set_index("prefecture")
    for unit, split in SPLIT_BACK.items():
        into = split["into"]
        part_2010 = yearbook[unit]
        part_2020 = sum(c20[d] for d in split["districts_2020"])
        pop.loc[unit] = [part_2010, part_2020]
        pop.loc[into, "population_census_2010"] -= part_2010
        pop.loc[into, "population_census_2020"] -= part_2020
        if abs(pop.loc[into, "population_census_2010"] - yearbook[into]) > 0.5:
            raise ValueError(f"splitting {unit} out of {into}: 2010 does not match the yearbook")
        flags[unit] = flags[into] = "interpolated_split_from_2020_unit"
    predecessors: dict[int, list[int]] = {}
    for old, new in mapping.items():
        predecessors.setdefault(new, []).append(old)
    for unit in pop.index:
        if unit in flags:
            continue
        p10, p20 = pop.loc[unit, ["population_census_2010", "population_census_2020"]]
        if pd.isna(p10) or pd.isna(p20):
            flags[unit] = "missing"
            continue
        own = [yearbook[c] for c in sorted(predecessors.get(unit, [unit])) if c in yearbook]
        if not own:
            flags[unit] = "interpolated_unchecked"
        elif abs(p10 / own[0] - 1) > BOUNDARY_TOLERANCE:
            flags[unit] = "interpolated_boundary_changed"
        else:
            flags[unit] = "interpolated"
    pop = pop.reindex(sorted(units))
    pop["population_flag"] = [flags.get(u, "missing") for u in pop.index]
    missing = pop["population_flag"].eq("missing")
    pop.loc[missing, ["population_census_2010", "population_census_2020"]] = np.nan
    pop = pop.rename_axis("prefecture").reset_index()
    accounting = {
        "census_units": len(city),
        "census_units_not_on_roster": dropped,
        "population_flag": {
            k: int(pop["population_flag"].eq(k).sum()) for k in POPULATION_FLAGS
        },
    }
    return pop, accounting


def interpolate(p2010: pd.Series, p2020: pd.Series, months_since_census: pd.Series) -> pd.Series:
    r"""Log-linear interpolation between the censuses of 1 Nov 2010 and 1 Nov 2020.

    .. math:: P_t = P_{2010} \left(P_{2020} / P_{2010}\right)^{k/120}

    with :math:`k` the months from November 2010 to the first of the month of
    :math:`t` (:math:`k = 12` for November 2011). Rounded to whole persons.
    """
    value = p2010 * (p2020 / p2010) ** (months_since_census / 120.0)
    return value.round().astype("Int64")


# ---------------------------------------------------------------------------- mayors
def _month(year: pd.Series, month: pd.Series) -> pd.Series:
    return year * 12 + month - 1


def mayor_months(spells: pd.DataFrame, frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """The mayor in office in every prefecture-month of ``frame``.

    A spell covers its start month to its end month, both included (a spell still
    running covers every later month); a spell with an unknown start month covers
    from January after its start year, one with an unknown end month to December
    before its end year. When two spells cover a month, a hand-over that month
    gives the newcomer; any other overlap is a date error and leaves the month empty.

    Returns
    -------
    mayors, overlaps
        ``prefecture``, ``year``, ``month`` and :data:`MAYOR_COLUMNS`; the
        (prefecture, year, month) left empty because of overlapping spells.
    """
    sp = spells.copy()
    sp["start_m"] = _month(sp["start_year"], sp["start_month"])
    sp["end_m"] = _month(sp["end_year"], sp["end_month"])
    sp["cover_from"] = sp["start_m"].fillna((sp["start_year"] + 1) * 12)
    sp["cover_to"] = sp["end_m"].fillna(sp["end_year"] * 12 - 1)
    sp.loc[sp["censored_end"].astype(bool), "cover_to"] = np.inf
    sp = sp.dropna(subset=["cover_from", "cover_to"])
    previous = sp.groupby("prefecture")["mayor_id"].shift()
    sp["new_person"] = sp["mayor_id"].ne(previous)

    rows = []
    overlaps = []
    keys = frame[["prefecture", "year", "month"]].drop_duplicates()
    by_pref = {pref: group.reset_index(drop=True) for pref, group in sp.groupby("prefecture")}
    for pref, periods in keys.groupby("prefecture", sort=True):
        group = by_pref.get(pref)
        if group is not None:
            cover_from = group["cover_from"].to_numpy(float)
            cover_to = group["cover_to"].to_numpy(float)
            start_m = group["start_m"].to_numpy(float)  # NaN where the month is unknown
            end_m = group["end_m"].to_numpy(float)
            new_person = group["new_person"].to_numpy(bool)
            unknown_start_year = np.where(
                new_person & group["start_month"].isna().to_numpy(bool),
                group["start_year"].to_numpy(float),
                np.nan,
            )
        for year, month in zip(periods["year"], periods["month"], strict=True):
            m = year * 12 + month - 1
            row = {"prefecture": pref, "year": year, "month": month}
            if group is None:
                rows.append(row)
                continue
            now = np.flatnonzero((cover_from <= m) & (cover_to >= m))
            if len(now) > 1:
                staying = now[end_m[now] != m]
                newcomer = now[start_m[now] == m]
                now = staying if len(staying) == 1 else newcomer
                if len(now) != 1:
                    overlaps.append((int(pref), int(year), int(month)))
                    now = now[:0]
            if (new_person & (start_m == m)).any():
                row["mayor_turnover"] = 1
            elif len(now) == 1 and not (unknown_start_year == year).any():
                row["mayor_turnover"] = 0
            if len(now) == 1:
                spell = group.iloc[int(now[0])]
                row["mayor_id"] = spell["mayor_id"]
                if pd.notna(spell["start_m"]):
                    row["mayor_tenure_months"] = m - spell["start_m"]
                row["mayor_native_province"] = spell["native_province"]
                row["mayor_native_prefecture"] = spell["native_prefecture"]
                row["mayor_education"] = spell["education"]
            rows.append(row)
    out = pd.DataFrame(rows)
    for column in MAYOR_COLUMNS:
        if column not in out:
            out[column] = pd.NA
    for column in MAYOR_COLUMNS[1:]:
        out[column] = pd.to_numeric(out[column]).astype("Int64")
    return out[["prefecture", "year", "month", *MAYOR_COLUMNS]], overlaps


def mayor_year(months: pd.DataFrame) -> pd.DataFrame:
    """Yearly mayor columns from the monthly ones.

    The mayor of 1 July (the July row: id, tenure, native, education);
    ``mayor_turnover`` 1 if a new mayor took office in any month of the year, 0 if
    every month is 0, empty otherwise; ``mayor_turnover_month`` the first month
    with a new mayor.
    """
    july = months[months["month"] == 7].drop(columns=["month", "mayor_turnover"])
    turnover = months.groupby(["prefecture", "year"])["mayor_turnover"]
    any_new = turnover.max()
    all_known = turnover.count() == 12
    year_turnover = any_new.where(any_new.eq(1) | all_known).astype("Int64")
    first = (
        months[months["mayor_turnover"].eq(1)].groupby(["prefecture", "year"])["month"].min()
    )
    key = ["prefecture", "year"]
    out = july.merge(year_turnover.rename("mayor_turnover").reset_index(), on=key)
    out = out.merge(first.rename("mayor_turnover_month").reset_index(), on=key, how="left")
    out["mayor_turnover_month"] = out["mayor_turnover_month"].astype("Int64")
    return out


# ---------------------------------------------------------------------------- targets
def growth_targets(path: Path, mapping: dict[int, int]) -> tuple[pd.DataFrame, dict]:
    """Prefecture GDP growth target and realised growth per year, 2003-2014.

    ``planMade`` is used only where ``planMadeNm`` is 1 (elsewhere the file holds the
    placeholder 2.9); the secretary and mayor rows of a prefecture-year must agree.
    """
    raw = pd.read_csv(path, sep="\t")
    raw["prefecture"] = raw["city"].astype(int).map(mapping)
    unmapped = sorted(set(raw.loc[raw["prefecture"].isna(), "city"].astype(int)))
    raw = raw.dropna(subset=["prefecture"])
    raw["prefecture"] = raw["prefecture"].astype(int)
    raw["target"] = raw["planMade"].where(raw["planMadeNm"].eq(1))
    per = raw.groupby(["prefecture", "year"]).agg(
        gdp_growth_target=("target", "first"),
        n_target=("target", "nunique"),
        gdp_growth=("real", "first"),
        n_real=("real", lambda s: s.round(6).nunique()),
    )
    if (per["n_target"] > 1).any() or (per["n_real"] > 1).any():
        raise ValueError(f"{path.name}: secretary and mayor rows disagree")
    per = per.drop(columns=["n_target", "n_real"]).reset_index()
    accounting = {
        "target_rows_with_value": int(raw["target"].notna().sum()),
        "placeholder_rows_dropped": int(raw["planMadeNm"].eq(0).sum()),
        "codes_not_on_roster": unmapped,
    }
    return per, accounting


# ---------------------------------------------------------------------------- build
def province_covariates(path: Path) -> pd.DataFrame:
    """Province-year columns of ``province_year.csv`` except the strike counts, prefixed."""
    py = pd.read_csv(path)
    keep = [c for c in py.columns if c not in ("province", "year") and not c.startswith("strikes")]
    out = py[["province", "year", *keep]].rename(columns={c: f"province_{c}" for c in keep})
    strikes = py[["province", "year", "strikes"]].rename(columns={"strikes": "province_strikes"})
    return out.merge(strikes, on=["province", "year"])


def build(paths: list[Path]) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, object]]:
    """Build both panels from the raw files (in :data:`RAW` order) and the processed tables."""
    raw = dict(zip(RAW, paths, strict=True))
    mapping = vintage_codes()
    months = skeleton("month")
    events = pd.read_csv(STRIKES_CSV, dtype={"prefecture": "Int64"})
    months = strike_counts(events, months)

    pop, pop_accounting = census_population(
        raw["census_city"], raw["census_county_2010"], raw["census_county_2020"], mapping
    )
    months = months.merge(pop, on="prefecture", how="left", validate="many_to_one")
    k = (months["year"] - 2010) * 12 + months["month"] - CENSUS_MONTH
    months["population"] = interpolate(
        months["population_census_2010"], months["population_census_2020"], k
    )

    spells = pd.read_csv(MAYORS_CSV)
    mayors, overlaps = mayor_months(spells, months)
    months = months.merge(mayors, on=["prefecture", "year", "month"], how="left", validate="1:1")

    targets, target_accounting = growth_targets(raw["growth_targets"], mapping)
    months = months.merge(targets, on=["prefecture", "year"], how="left", validate="many_to_one")

    # yearly panel: counts summed over the months, population of 1 November,
    # mayor of 1 July, targets, province covariates
    key = ["prefecture", "year"]
    years = months.groupby(key)[list(COUNT_COLUMNS)].sum().reset_index()
    first = months[months["month"] == CENSUS_MONTH][
        [
            *key,
            "province",
            "in_force",
            "population",
            "population_flag",
            "population_census_2010",
            "population_census_2020",
            "gdp_growth_target",
            "gdp_growth",
        ]
    ]
    years = first.merge(years, on=key).merge(mayor_year(mayors), on=key)
    years = years.merge(
        province_covariates(PROVINCE_YEAR_CSV), on=["province", "year"], how="left"
    )
    years = years[[c for c in year_columns(years)]].sort_values(key).reset_index(drop=True)
    months = months[list(MONTH_COLUMNS)].sort_values([*key, "month"]).reset_index(drop=True)
    for column in ("population_census_2010", "population_census_2020"):
        years[column] = years[column].round().astype("Int64")
    accounting = {
        "tables": [TABLE_YEAR, TABLE_MONTH],
        "prefectures": int(years["prefecture"].nunique()),
        "rows_year": len(years),
        "rows_month": len(months),
        "unit_years_not_in_force": int(years["in_force"].eq(0).sum()),
        "located_events": int(years["strikes"].sum()),
        "fuzzy_events": int(years["strikes_fuzzy"].sum()),
        "population": pop_accounting,
        "growth_targets": target_accounting,
        "mayor_overlapping_months_left_empty": [list(o) for o in overlaps],
        "prefecture_months_with_a_mayor": int(months["mayor_id"].notna().sum()),
    }
    return years, months, accounting


MONTH_COLUMNS = (
    "prefecture",
    "year",
    "month",
    "province",
    "in_force",
    *COUNT_COLUMNS,
    "population",
    "population_flag",
    *MAYOR_COLUMNS,
    "gdp_growth_target",
)
YEAR_HEAD = (
    "prefecture",
    "year",
    "province",
    "in_force",
    *COUNT_COLUMNS,
    "population",
    "population_flag",
    "population_census_2010",
    "population_census_2020",
    "mayor_id",
    "mayor_tenure_months",
    "mayor_turnover",
    "mayor_turnover_month",
    "mayor_native_province",
    "mayor_native_prefecture",
    "mayor_education",
    "gdp_growth_target",
    "gdp_growth",
)


def year_columns(frame: pd.DataFrame) -> list[str]:
    """Output order of the yearly panel: :data:`YEAR_HEAD`, then the province columns."""
    return [*YEAR_HEAD, *[c for c in frame.columns if c.startswith("province_")]]


# ---------------------------------------------------------------------------- codebook
STATUS_NOTE = (
    "counted: `location_status` unique, municipality or prefecture_over_county_homonym in "
    "`data/clb_strikes.csv`"
)
SHARED_META: dict[str, tuple[str, str, str]] = {
    "prefecture": (
        "prefecture-level unit: prefecture, municipality (its own prefecture, coded as the "
        "province) or province-administered county-level unit (xx90xx)",
        "GB/T 2260 code, 2017 vintage",
        "`data/divisions.csv`",
    ),
    "year": ("calendar year", "year", "-"),
    "month": ("calendar month", "1-12", "-"),
    "province": ("province of the unit", "GB/T 2260 code", "`data/divisions.csv`"),
    "in_force": (
        "the unit (or the unit it was renamed, re-coded or upgraded from, e.g. 毕节地区 522400 "
        "for 毕节市 520500) is in the code list at the end of the year; 0 for units created "
        "later (Sansha 2012; the Xinjiang corps cities 659005-659009, 2012-2016): their rows are "
        "kept, with zero counts, to keep the panel balanced",
        "0/1",
        "`data/divisions.csv`, `data/division_changes.csv`",
    ),
    "strikes": (
        f"CLB strike-map events placed in the unit ({STATUS_NOTE}); events of the other statuses "
        "(ambiguous, other province, province only, unknown province) are in no prefecture",
        "count; 0 = none recorded",
        "`data/clb_strikes.csv`",
    ),
    "strikes_size_1_100": ("counted events with 1-100 participants", "count", "as `strikes`"),
    "strikes_size_100_1000": ("counted events with 100-1000 participants", "count", "as `strikes`"),
    "strikes_size_1000_10000": (
        "counted events with 1000-10000 participants",
        "count",
        "as `strikes`",
    ),
    "strikes_size_10000_plus": (
        "counted events with 10000+ participants",
        "count",
        "as `strikes`",
    ),
    "strikes_size_unrecorded": (
        "counted events without a size band (the size columns add up to `strikes`)",
        "count",
        "as `strikes`",
    ),
    "strikes_fuzzy": (
        "events placed in the unit only after a spelling correction (`location_status` fuzzy); "
        "NOT included in `strikes`: add them for the wider count",
        "count",
        "`data/clb_strikes.csv`",
    ),
    "population": (
        "resident population, interpolated log-linearly between the 2010 and 2020 censuses "
        "(reference day 1 November): P = P2010 (P2020 / P2010)^(k / 120), k = months from "
        "November 2010 to the first of the month (yearly panel: to 1 November of the year, "
        "k = 12 (year - 2010)); rounded to whole persons; both censuses in the 2020 boundaries "
        "(see `population_flag`)",
        "persons",
        "census (leiii/census), `popu_2010`, `popu_2020`",
    ),
    "population_flag": (
        "how `population` was obtained: "
        + "; ".join(f"{k}: {v}" for k, v in POPULATION_FLAGS.items()),
        ", ".join(POPULATION_FLAGS),
        "derived",
    ),
    "population_census_2010": (
        "2010 census population of the unit's 2020 territory: boundary-adjusted by the "
        "compilers, NOT the 2010 census bulletin's figure where the territory changed (e.g. "
        "Shenzhen 10,423,973 here, 10,357,938 in the 2010 bulletin)",
        "persons",
        "census `popu_2010`",
    ),
    "population_census_2020": (
        "2020 census population (equal to the official bulletins where checked: Beijing, "
        "Tianjin, Guangzhou, Shenzhen)",
        "persons",
        "census `popu_2020`",
    ),
    "mayor_id": (
        "the mayor in office (`mayor_id` of `data/mayor_spells.csv`); monthly panel: in office "
        "that month (a hand-over month gives the newcomer); yearly panel: in office on 1 July; "
        "empty where the listing has no mayor (municipalities Shanghai and Chongqing, the xx90xx "
        "units, gaps between listed tenures) or two tenures overlap",
        "string",
        "`data/mayor_spells.csv`",
    ),
    "mayor_tenure_months": (
        "whole months the mayor of the row had been in office (start month to this month; "
        "yearly panel: to July); empty where the start month is unknown",
        "months",
        "`data/mayor_spells.csv`",
    ),
    "mayor_turnover": (
        "a new mayor (another person than the predecessor) took office: monthly panel, in this "
        "month; yearly panel, in some month of the year; 0 only where a known mayor was in "
        "office in every month concerned and none started; empty otherwise",
        "0/1",
        "`data/mayor_spells.csv`",
    ),
    "mayor_turnover_month": (
        "month in which the first new mayor of the year took office; empty when none did",
        "1-12",
        "`data/mayor_spells.csv`",
    ),
    "mayor_native_province": (
        "the mayor of the row was born in the unit's province",
        "0/1",
        "`data/mayor_spells.csv`",
    ),
    "mayor_native_prefecture": (
        "the mayor of the row was born in the prefecture",
        "0/1",
        "`data/mayor_spells.csv`",
    ),
    "mayor_education": (
        "highest degree of the mayor of the row (1 high school, 2 college, 3 bachelor, "
        "4 MBA/EMBA, 5 master, 6 PhD)",
        "1-6",
        "`data/mayor_spells.csv`",
    ),
    "gdp_growth_target": (
        "the prefecture's own GDP growth target for the year; empty where the file holds none "
        "(its placeholder 2.9 where `planMadeNm` is 0, i.e. all of 2013-2014) and after 2014; "
        "values are the source's (the largest in the panel years, 33 for Kizilsu 653000 in "
        "2012, is not checked)",
        "percent",
        "Li et al. (2019) `planMade`",
    ),
    "gdp_growth": (
        "realised GDP growth of the prefecture (the source's `real`; equal to the official "
        "real growth rate where checked: Shenzhen 2006, 2008, 2010, 2012)",
        "percent",
        "Li et al. (2019) `real`",
    ),
    "province_strikes": (
        "CLB events in the province and year, all location statuses (= `strikes` of "
        "`province_year`)",
        "count",
        "`data/province_year.csv`",
    ),
}


def _years(frame: pd.DataFrame, column: str) -> str:
    known = frame.loc[frame[column].notna(), "year"]
    if known.empty:
        return "-"
    lo, hi = int(known.min()), int(known.max())
    return f"{lo}-{hi}" if lo != hi else str(lo)


def _meta(column: str) -> tuple[str, str, str]:
    if column in SHARED_META:
        return SHARED_META[column]
    if column.startswith("province_"):
        original = column.removeprefix("province_")
        return (
            f"province covariate `{original}` of `province_year` for the unit's province and year",
            "as in `province_year`",
            "`data/province_year.csv`",
        )
    raise KeyError(f"no codebook entry for {column}")


FOOTER = """Notes.

- Balanced panel of the {n} prefecture-level units of the 2017 code list (334 prefectures, the 4
  municipalities, 29 province-administered county-level units) x {periods}; counts are zero-filled
  (a zero means no CLB event was placed there, not that none happened).
- Geocoding coverage: CLB events are placed in a prefecture only where their text names one (see
  `location_status` in `clb_strikes`); the share of events counted in `strikes` grows with CLB's
  reach: {coverage}. Year effects absorb the drift; restricting to 2014-2016 (at least 90%) is a
  check. County-level matches exist for only about 10% of events and are not aggregated here.
- Population: census years only (2010, 2020); the interpolation is a rule, not data. The 2010
  figures of the source are boundary-adjusted to the 2020 units and are not the 2010 census
  bulletin's figures where the territory changed (`population_flag` says where: the 2010 figure in
  the unit's own 2010 boundaries, from the 6th census yearbook tables of the same source, differs
  by more than 0.5%).
- Mayors: one incumbent per prefecture-year in the source listing, so short tenures between two
  listings are missing; the monthly columns follow the start and end months of `mayor_spells`.
  Party secretaries are not covered.
"""


def codebook(table: str, frame: pd.DataFrame, intro: str, periods: str, coverage: str) -> str:
    rows = []
    for column in frame.columns:
        meaning, unit, source = _meta(column)
        rows.append((f"`{column}`", meaning, unit, source, _years(frame, column)))
    footer = FOOTER.format(
        n=frame["prefecture"].nunique(), periods=periods, coverage=coverage
    )
    return render_codebook(table, intro, rows, footer)


def coverage_text(events: pd.DataFrame) -> str:
    """The share of events counted in ``strikes`` by year, as text for the codebook."""
    share = events["location_status"].isin(LOCATED).groupby(events["year"]).mean()
    return ", ".join(f"{y} {100 * s:.0f}%" for y, s in share.items())


def build_and_write(*paths: Path) -> None:
    years, months, accounting = build(list(paths))
    inputs = [(path, *ORIGINS[key]) for key, path in zip(RAW, paths, strict=True)]
    coverage = coverage_text(pd.read_csv(STRIKES_CSV))
    intro_year = (
        "One row per prefecture-level unit of the 2017 code list and year, 2011-2017: CLB strike "
        "counts (zero-filled), census population, the mayor of 1 July, the prefecture's growth "
        "target, and the covariates of its province."
    )
    intro_month = (
        "One row per prefecture-level unit of the 2017 code list and month, 2011-2017: CLB strike "
        "counts (zero-filled), census population, the mayor in office that month and the "
        "prefecture's growth target; merge province covariates from `province_year` (or "
        "`prefecture_year`) by `province` and `year`."
    )
    publish(
        TABLE_YEAR,
        years,
        inputs,
        codebook(TABLE_YEAR, years, intro_year, "7 years (2011-2017)", coverage),
    )
    publish(
        TABLE_MONTH,
        months,
        inputs,
        codebook(TABLE_MONTH, months, intro_month, "84 months (2011-2017)", coverage),
    )
    text = json.dumps(accounting, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (SOURCES_DIR / "prefecture_panels_accounting.json").write_text(text, encoding="utf-8")
    print(f"{TABLE_YEAR}: {len(years)} rows; {TABLE_MONTH}: {len(months)} rows")
    print(text)


def main() -> int:
    """Build both panels (keeps the committed ones when the raw files are absent)."""
    return run_step("prefecture panels", tuple(RAW.values()), build_and_write)


if __name__ == "__main__":
    raise SystemExit(main())
