"""Build ``data/province_year.csv``: the province-year panel of facts, 1998-2020.

One row per mainland province (31, GB/T 2260 codes) and calendar year
1998-2020: 713 rows, all present. Every column is a published number or a
code, read from the raw files described in ``../shared/data/PROVENANCE.md``
(one reader function per raw source below), plus counts of China Labour
Bulletin strike events from ``data/clb_strikes.csv`` and leader variables from
``data/leader_spells.csv`` (both built by earlier steps). Missing values stay
empty; a zero is written only where it is a true zero (strike counts within
CLB's 2011-2017 coverage, turnover indicators).

Choices made here, each recorded in ``data/codebook/province_year.md``:

* population: China Statistical Yearbook series 2000-2019 (usual residents
  since 2005); the Heilongjiang 2013 typo (3535) is replaced by the value on
  which both cross-check files agree (3835). 1998-1999 come from the China
  Compendium of Statistics only where the Compendium's 2000 value equals the
  Yearbook's 2000 value to within 0.5 %, i.e. where the two series are the
  same series; elsewhere the Compendium counts registered (hukou) population
  and 1998-1999 are left empty. 2020 is not in any raw file: empty.
* GDP: one vintage, the NBS series after the revision that followed the
  fourth economic census (2018), as in the Kaggle file 1992-2020. Its values
  2005-2019 equal the independent NBS export of xiaoqi737 in every cell.
* money values from the derived provincial panel are 100 million yuan.

Run ``python analysis/04_province_year.py``. Without the raw folder the step
keeps the committed table and exits 0.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    DATA_DIR,
    publish,
    run_step,
)
from massincidents.provinces import (
    MAINLAND_CODES,
    normalise_provinces,
    province_name,
    provinces,
)

TABLE = "province_year"
YEARS = tuple(range(1998, 2021))

#: Raw inputs, relative to the raw folder.
RAW = {
    "pop_yearbook": "population/China_Statistics_Yearbook.csv",
    "pop_compendium": "population/China_Compendium_of_Statistics.csv",
    "pop_geog458": "population/geog458_population_2000-2017.csv",
    "pop_phl43": "population/phl43_population_2010-2019.csv",
    "gdp_kaggle": "gdp/gdp_1992_2020_kaggle_en.csv",
    "gdp_xiaoqi": "gdp/xiaoqi737_gdp_2005-2023.xls",
    "panel_integrated": "provincial_panel_2005_2024/分省年度数据_整合.csv",
    "panel_stata": "provincial_panel_2005_2024/panel_stata_ready_v2.csv",
    "nbs_pop_survey": "provincial_panel_2005_2024/分省年度数据 (1).csv",
    "nbs_pop65_survey": "provincial_panel_2005_2024/分省年度数据 (2).csv",
    "nbs_budget_xls": "provincial_panel_2005_2024/一般公共预算等.xls",
    "lpstntw": "fiscal_by_item/lpstntw_all_province_2014_2017.csv",
    "fiscal_items": "fiscal_by_item/derived_local_gpb_expenditure_by_item_best_long.csv",
    "wages_cpi": "wages_cpi_2001_2019/Economy2.csv",
    "unemp_2008_2020": "unemployment/derived_urban_registered_unemployment_rate_2008_2020_long.csv",
    "unemp_csy2006": "unemployment/csy2006_t5-28_registered_unemployment_long.csv",
    "urban_income": ("income/shandong_yb2013_appx1-13_urban_disposable_income_2005_2012_long.csv"),
    "urban_income_hunan": "income/hunan_yb2011_t19-18_urban_household_income_expenditure_2010.csv",
    "rural_income": "income/csy2008_2009_t9-22_rural_net_income_by_source_2007_2008_long.csv",
    "growth_target": "leaders/prov_target.csv",
}

_PANEL = "RenJiyi163/panel_data_analysis_for_thesis @ 756964b1 (MIT)"
_FISCAL = "compiled from CSY table 7-6, huhuaping/techme @ 9ad60a19 and provincial final accounts"
#: ``(origin, used for)`` of every raw input, origins as in PROVENANCE.md.
ORIGINS: dict[str, tuple[str, str]] = {
    "pop_yearbook": (
        "NBS China Statistical Yearbooks; umd-cgs/gcam-china @ 99a28acd (ECL-2.0)",
        "population 2000-2019",
    ),
    "pop_compendium": (
        "NBS China Compendium of Statistics 1949-2008; umd-cgs/gcam-china @ 99a28acd (ECL-2.0)",
        "population 1998-1999 (linked provinces only)",
    ),
    "pop_geog458": (
        "NBS English export; GEOG458-Group6/GroupLab1 @ 6f05ff0f",
        "cross-check of population 2000-2017 (Heilongjiang 2013 correction)",
    ),
    "pop_phl43": (
        "NBS English export; phl43/covid-china-quillette @ b9119be7",
        "cross-check of population 2010-2019 (Heilongjiang 2013 correction)",
    ),
    "gdp_kaggle": (
        "NBS via Kaggle dataset henrylin03/china-gdp @ 2542574f",
        "gdp 1998-2020",
    ),
    "gdp_xiaoqi": (
        "NBS export; xiaoqi737/thesis-data-and-code @ e475d870",
        "cross-check of gdp 2005-2020",
    ),
    "panel_integrated": (
        _PANEL,
        "urbanisation_rate, secondary_share, tax_revenue, fixed_asset_investment, trade",
    ),
    "panel_stata": (_PANEL, "aged65_share 2005, 2010, 2020 (1% survey, censuses)"),
    "nbs_pop_survey": (f"raw NBS export; {_PANEL}", "aged65_share 2006-2009, 2011-2019"),
    "nbs_pop65_survey": (f"raw NBS export; {_PANEL}", "aged65_share 2006-2009, 2011-2019"),
    "nbs_budget_xls": (f"raw NBS export; {_PANEL}", "budget_expenditure 2005-2020"),
    "lpstntw": (
        "lpstntw/ChinaLocalDebt @ a15f60e5 (provincial final accounts 2014-16, NBS 2017)",
        "budget_revenue 2014-2017; cross-check of tax_revenue and budget_expenditure",
    ),
    "fiscal_items": (
        _FISCAL,
        "exp_general_public_services, exp_public_security, exp_education, "
        "exp_social_security_employment, exp_health; cross-check of budget_expenditure",
    ),
    "wages_cpi": ("YeTian97/Birthrate-Fighter @ 884e5dcb", "avg_wage, cpi 2001-2019"),
    "unemp_2008_2020": (
        "macs30200-s22/replication-materials-nijingwen @ 05805260 (NBS indicator A040C02)",
        "unemployment_rate 2008-2020",
    ),
    "unemp_csy2006": (
        "China Statistical Yearbook 2006 table 5-28, transcribed",
        "unemployment_rate 2003-2005",
    ),
    "urban_income": (
        "Shandong Statistical Yearbook 2013 appendix 1-13, transcribed",
        "urban_disposable_income 2005-2012",
    ),
    "urban_income_hunan": (
        "Hunan Statistical Yearbook 2011 table 19-18, transcribed",
        "cross-check of urban_disposable_income 2010",
    ),
    "rural_income": (
        "China Statistical Yearbook 2008 and 2009 table 9-22, transcribed",
        "rural_net_income 2007-2008",
    ),
    "growth_target": (
        "maswiebe/meritocratic_promotion @ bc82d115 (replication data)",
        "gdp_growth_target 1998-2017",
    ),
}

#: Committed outputs of earlier steps (not raw files).
STRIKES_CSV = DATA_DIR / "clb_strikes.csv"
LEADERS_CSV = DATA_DIR / "leader_spells.csv"

#: Population: tolerance for linking the Compendium (1998-1999) to the Yearbook at 2000.
LINK_TOLERANCE = 0.005
#: NBS annual average exchange rate, yuan per US dollar (China Statistical Yearbook,
#: table "exchange rate of RMB"). The derived panel converted its US-dollar trade
#: figures with exactly these rates; ``build_trade`` checks that.
USD_CNY = {
    2005: 8.1917,
    2006: 7.9718,
    2007: 7.6040,
    2008: 6.9451,
    2009: 6.8310,
    2010: 6.7695,
    2011: 6.4588,
    2012: 6.3125,
    2013: 6.1932,
    2014: 6.1428,
}
#: leader_spells.csv: right-censored spells were still running at the end of this year.
LEADER_DATA_END = 2018
SIZE_BANDS = {
    "1-100": "strikes_size_1_100",
    "100-1000": "strikes_size_100_1000",
    "1000-10000": "strikes_size_1000_10000",
    "10000+": "strikes_size_10000_plus",
}
STRIKE_YEARS = tuple(range(2011, 2018))
FISCAL_ITEMS = (
    "exp_general_public_services",
    "exp_public_security",
    "exp_education",
    "exp_social_security_employment",
    "exp_health",
)
KEY = ["province", "year"]


@dataclass
class Report:
    """Row accounting, cross-checks and discrepancies collected while building."""

    lines: list[str] = field(default_factory=list)
    #: (province, role, year) where overlapping leader spells leave the incumbent unknown
    leader_overlaps: list[tuple[int, str, int]] = field(default_factory=list)

    def add(self, text: str) -> None:
        """Record one line of the report."""
        self.lines.append(text)


# --------------------------------------------------------------------------------------
# helpers


def _codes(names: pd.Series, source: str, *, drop: Iterable[str] = ()) -> pd.Series:
    """Map province spellings to codes; fail, naming every spelling that did not map.

    Parameters
    ----------
    names
        Province names or codes.
    source
        Name of the raw file, for the error message.
    drop
        Spellings of aggregate rows (e.g. ``"National Total"``) that map to ``<NA>``
        without being an error.

    Returns
    -------
    pandas.Series
        ``Int64`` codes, ``<NA>`` for the dropped spellings only.
    """
    codes, unknown = normalise_provinces(names)
    allowed = names.astype(str).str.strip().isin(set(drop))
    bad = sorted(set(names[unknown & ~allowed].astype(str)))
    if bad:
        raise ValueError(f"{source}: province spellings not recognised: {bad}")
    outside = sorted(set(codes.dropna()) - set(MAINLAND_CODES))
    if outside:
        raise ValueError(f"{source}: rows outside the mainland panel: {outside}")
    return codes


def _long(wide: pd.DataFrame, value: str) -> pd.DataFrame:
    """Turn a (province x year) table into long rows ``province, year, <value>``."""
    out = wide.stack(future_stack=True).rename(value).reset_index()
    out.columns = ["province", "year", value]
    out["province"] = out["province"].astype("int64")
    out["year"] = out["year"].astype("int64")
    return out.dropna(subset=[value]).reset_index(drop=True)


def _unique(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Fail when ``df`` holds more than one row per province-year."""
    dup = df.duplicated(KEY, keep=False)
    if dup.any():
        raise ValueError(f"{source}: duplicate province-years: {df.loc[dup, KEY].values.tolist()}")
    return df


def _year_from_label(label: object) -> int:
    """``"2017年"`` or ``2017`` or ``"2017"`` -> 2017."""
    return int(str(label).strip()[:4])


def _in_years(df: pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    return df[df["year"].isin(set(years))].reset_index(drop=True)


def _disagreements(
    a: pd.DataFrame, b: pd.DataFrame, value_a: str, value_b: str, tol: float
) -> pd.DataFrame:
    """Province-years where both sources have a value and differ by more than ``tol``."""
    both = a.merge(b, on=KEY, how="inner")
    diff = (both[value_a] - both[value_b]).abs()
    return both[diff > tol].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# readers: one per raw source


def read_population_yearbook(path: Path) -> pd.DataFrame:
    """Year-end population 2000-2019 (10,000 persons), China Statistical Yearbook series.

    The file has ``#`` comment lines, a national row and two check rows
    (``sum``, ``difference``), which are dropped.
    """
    wide = pd.read_csv(path, comment="#")
    drop = ("National Total", "sum", "difference")
    wide["province"] = _codes(wide["Region"], path.name, drop=drop)
    wide = wide.dropna(subset=["province"]).drop(columns="Region").set_index("province")
    wide.columns = [int(c) for c in wide.columns]
    return _unique(_long(wide, "population"), path.name)


def read_population_compendium(path: Path) -> pd.DataFrame:
    """Year-end population 1975-2008 (10,000 persons), China Compendium of Statistics."""
    wide = pd.read_csv(path, comment="#")
    drop = ("National Total", "sum", "Difference")
    wide["province"] = _codes(wide["Region"], path.name, drop=drop)
    wide = wide.dropna(subset=["province"]).drop(columns="Region").set_index("province")
    wide.columns = [int(c) for c in wide.columns]
    return _unique(_long(wide, "population"), path.name)


def read_population_crosscheck(path: Path) -> pd.DataFrame:
    """Population (10,000 persons) from an NBS English export (geog458 or phl43 layout)."""
    wide = pd.read_csv(path)
    wide["province"] = _codes(wide["Region"], path.name)
    wide = wide.drop(columns="Region").set_index("province")
    wide.columns = [int(c) for c in wide.columns]
    return _unique(_long(wide, "population"), path.name)


def read_gdp_kaggle(path: Path) -> pd.DataFrame:
    """GDP 1992-2020 (100 million yuan, current prices): years down, provinces across."""
    wide = pd.read_csv(path, index_col=0)
    wide.columns = _codes(pd.Series(wide.columns), path.name).to_numpy()
    wide = wide.T
    wide.columns = [int(c) for c in wide.columns]
    return _unique(_long(wide, "gdp"), path.name)


def read_gdp_xiaoqi(path: Path) -> pd.DataFrame:
    """GDP 2005-2023 (100 million yuan), NBS export saved as .xls (cross-check only)."""
    raw = pd.read_excel(path, header=None)
    years = [_year_from_label(v) for v in raw.iloc[0, 1:]]
    body = raw.iloc[1:].dropna(subset=[0])
    wide = body.iloc[:, 1:].astype(float)
    wide.columns = years
    wide.index = _codes(body[0], path.name).to_numpy()
    return _unique(_long(wide, "gdp"), path.name)


def read_nbs_export(path: Path, value: str) -> pd.DataFrame:
    """One indicator from an NBS "分省年度数据" CSV export (GBK, 3 header lines, notes)."""
    raw = pd.read_csv(path, encoding="gbk", skiprows=3)
    first = raw.columns[0]
    raw = raw[raw[first].notna()]
    # Footnote lines ("注：...", "数据来源：...", indented continuations) have no numbers.
    raw = raw[raw.drop(columns=first).notna().any(axis=1)]
    wide = raw.drop(columns=first).astype(float)
    wide.columns = [_year_from_label(c) for c in wide.columns]
    wide.index = _codes(raw[first], path.name).to_numpy()
    return _unique(_long(wide, value), path.name)


def read_budget_expenditure_xls(path: Path) -> pd.DataFrame:
    """Local general-budget expenditure (100 million yuan) from the NBS export ``.xls``.

    The sheet holds two blocks of 31 rows: "一般公共预算支出" 2007-2024 and
    "财政支出" (the pre-2007 label of the same local general-budget total)
    2005-2006. Column 3 is the province, row 0 the years.
    """
    raw = pd.read_excel(path, header=None)
    years = raw.iloc[0, 4:].astype(int).tolist()
    body = raw.iloc[1:]
    label = body[1].fillna(body[2])
    wide = body.iloc[:, 4:].astype(float)
    wide.columns = years
    wide["province"] = _codes(body[3], path.name).to_numpy()
    wide["label"] = label.to_numpy()
    rows = []
    for name, block in wide.groupby("label", sort=True):
        part = _long(block.drop(columns="label").set_index("province"), "budget_expenditure")
        part["label"] = name
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    return _unique(out, path.name)


def read_panel_integrated(path: Path) -> pd.DataFrame:
    """The derived panel with Chinese headers (分省年度数据_整合.csv), 2005-2024.

    Returns the columns used here, renamed: ``urbanisation_rate`` (城镇化率_%),
    ``secondary_share`` (第二产业比重_%), ``fixed_asset_investment``
    (固定资产投资总额_亿元), ``tax_revenue`` (税收收入_亿元), ``trade_cny``
    (进出口总额_亿元人民币) and ``trade_usd_10k`` (进出口总额_万美元).
    """
    raw = pd.read_csv(path, encoding="utf-8-sig")
    columns = {
        "城镇化率_%": "urbanisation_rate",
        "第二产业比重_%": "secondary_share",
        "固定资产投资总额_亿元": "fixed_asset_investment",
        "税收收入_亿元": "tax_revenue",
        "进出口总额_亿元人民币": "trade_cny",
        "进出口总额_万美元": "trade_usd_10k",
    }
    out = raw[["地区", "年份", *columns]].rename(columns={"年份": "year", **columns})
    out.insert(0, "province", _codes(out.pop("地区"), path.name).astype("int64"))
    out["year"] = out["year"].astype("int64")
    return _unique(out, path.name)


def read_panel_stata(path: Path) -> pd.DataFrame:
    """The derived English-header panel: 65+ counts, population counts, ``aging_rate``, trade.

    Only ``pop65``, ``pop`` (sample or census counts, used for their ratio),
    ``aging_rate``, ``pop_data_source`` and ``trade_bn_cny`` (a cross-check) are read.
    The ``pop`` and ``gdp_per_cap`` columns are never used as population or per-capita
    values (see PROVENANCE.md).
    """
    raw = pd.read_csv(path, encoding="utf-8-sig")
    out = raw[["province", "year", "pop", "pop65", "aging_rate", "pop_data_source", "trade_bn_cny"]]
    out = out.copy()
    out["province"] = _codes(out["province"], path.name).astype("int64")
    out["year"] = out["year"].astype("int64")
    return _unique(out, path.name)


def read_lpstntw(path: Path) -> pd.DataFrame:
    """Provincial final accounts 2014-2017: general-budget revenue, tax revenue, expenditure."""
    raw = pd.read_csv(path)
    out = raw[["province", "year", "revenue_all", "revenue_alltax", "spending_all"]].copy()
    out["province"] = _codes(out["province"], path.name).astype("int64")
    out["year"] = out["year"].astype("int64")
    return _unique(out, path.name)


def read_fiscal_items(path: Path) -> pd.DataFrame:
    """Local general-budget expenditure by function, best value per province-year-item (wide)."""
    raw = pd.read_csv(path)
    units = set(raw["unit"])
    if units != {"100 million yuan"}:
        raise ValueError(f"{path.name}: unexpected units {units}")
    keep = raw[raw["variable"].isin([*FISCAL_ITEMS, "exp_total"])].copy()
    keep["province"] = _codes(keep["provcode"], path.name).astype("int64")
    if keep.duplicated(["province", "year", "variable"]).any():
        raise ValueError(f"{path.name}: more than one value per province-year-item")
    wide = keep.pivot(index=["province", "year"], columns="variable", values="value")
    wide.columns.name = None
    return wide.reset_index()


def read_wages_cpi(path: Path) -> pd.DataFrame:
    """Average wage (yuan) and CPI (previous year = 100), 2001-2019."""
    raw = pd.read_csv(path)
    out = pd.DataFrame(
        {
            "province": _codes(raw["Province"], path.name).astype("int64"),
            "year": raw["Year"].astype("int64"),
            "avg_wage": raw["Wage"].astype(float),
            "cpi": raw["CPI"].astype(float),
        }
    )
    return _unique(out, path.name)


def read_unemployment_2008_2020(path: Path) -> pd.DataFrame:
    """Registered urban unemployment rate (%) 2008-2020 (Tibet 2008 already missing)."""
    raw = pd.read_csv(path)
    out = pd.DataFrame(
        {
            "province": _codes(raw["provcode"], path.name).astype("int64"),
            "year": raw["year"].astype("int64"),
            "unemployment_rate": raw["urban_reg_unemp_rate"].astype(float),
        }
    )
    return _unique(out, path.name)


def read_unemployment_csy2006(path: Path) -> pd.DataFrame:
    """Registered urban unemployment rate (%) 2003-2005 from CSY 2006 table 5-28 (1990 dropped)."""
    raw = pd.read_csv(path)
    out = pd.DataFrame(
        {
            "province": _codes(raw["provcode"], path.name).astype("int64"),
            "year": raw["year"].astype("int64"),
            "unemployment_rate": raw["urban_reg_unemp_rate"].astype(float),
        }
    )
    return _unique(_in_years(out, (2003, 2004, 2005)), path.name)


def read_urban_income(path: Path) -> pd.DataFrame:
    """Urban per-capita disposable income (yuan, current prices) 2005-2012."""
    raw = pd.read_csv(path)
    out = pd.DataFrame(
        {
            "province": _codes(raw["provcode"], path.name).astype("int64"),
            "year": raw["year"].astype("int64"),
            "urban_disposable_income": raw["urban_disp_income_pc_yuan"].astype(float),
        }
    )
    return _unique(out, path.name)


def read_urban_income_hunan(path: Path) -> pd.DataFrame:
    """Urban per-capita disposable income 2010 from the Hunan yearbook (cross-check only)."""
    raw = pd.read_csv(path)
    out = pd.DataFrame(
        {
            "province": _codes(raw["provcode"], path.name).astype("int64"),
            "year": raw["year"].astype("int64"),
            "urban_disposable_income_hunan": raw["urban_disp_income_pc"].astype(float),
        }
    )
    return _unique(out, path.name)


def read_rural_income(path: Path) -> pd.DataFrame:
    """Rural per-capita net income (yuan, total only) 2007-2008."""
    raw = pd.read_csv(path)
    raw = raw[raw["variable"] == "rural_net_income_pc"]
    out = pd.DataFrame(
        {
            "province": _codes(raw["provcode"], path.name).astype("int64"),
            "year": raw["year"].astype("int64"),
            "rural_net_income": raw["value"].astype(float),
        }
    )
    return _unique(out.reset_index(drop=True), path.name)


def read_growth_targets(path: Path) -> pd.DataFrame:
    """Provincial GDP growth targets (%) 1998-2017; ``provcode`` is a 2-digit prefix (13.0)."""
    raw = pd.read_csv(path)
    out = pd.DataFrame(
        {
            "province": _codes(raw["provcode"], path.name).astype("int64"),
            "year": raw["year"].astype("int64"),
            "gdp_growth_target": raw["target"].astype(float),
        }
    )
    return _unique(out, path.name)


def read_strikes(path: Path) -> pd.DataFrame:
    """Strike events from ``data/clb_strikes.csv`` (built by ``01_clb_strikes.py``)."""
    events = pd.read_csv(path)
    needed = {"province", "year", "size_band"}
    missing = needed - set(events.columns)
    if missing:
        raise ValueError(f"{path.name}: missing columns {sorted(missing)}")
    return events


def read_leader_spells(path: Path) -> pd.DataFrame:
    """Leader spells from ``data/leader_spells.csv`` (built by ``03_leader_spells.py``)."""
    spells = pd.read_csv(path)
    needed = {"province", "role", "leader_id", "start_year", "start_month", "end_year", "end_month"}
    missing = needed - set(spells.columns)
    if missing:
        raise ValueError(f"{path.name}: missing columns {sorted(missing)}")
    return spells


# --------------------------------------------------------------------------------------
# builders


def build_population(
    yearbook: pd.DataFrame,
    compendium: pd.DataFrame,
    checks: dict[str, pd.DataFrame],
    report: Report,
) -> pd.DataFrame:
    """Population 1998-2019 with ``population_source``.

    2000-2019: the Yearbook series. Where both cross-check files hold the same value
    and the Yearbook differs from it, the cross-check value replaces the Yearbook's
    (``yearbook_corrected``); PROVENANCE.md lists one such case, Heilongjiang 2013.
    1998-1999: the Compendium, for provinces whose Compendium 2000 value equals the
    Yearbook 2000 value to within ``LINK_TOLERANCE``.
    """
    pop = yearbook.copy()
    pop["population_source"] = "yearbook"
    # Cross-checks: collect every disagreement with each file.
    merged = pop.copy()
    for name, check in checks.items():
        merged = merged.merge(check.rename(columns={"population": name}), on=KEY, how="left")
        bad = _disagreements(
            yearbook, check.rename(columns={"population": name}), "population", name, tol=0.0
        )
        for row in bad.itertuples(index=False):
            report.add(
                f"population: yearbook {row.province} {row.year} = {row.population:g}, "
                f"{name} = {getattr(row, name):g}"
            )
    names = list(checks)
    agree = merged[names].notna().all(axis=1) & merged[names].nunique(axis=1).eq(1)
    fix = agree & merged[names[0]].ne(merged["population"])
    pop.loc[fix, "population"] = merged.loc[fix, names[0]]
    pop.loc[fix, "population_source"] = "yearbook_corrected"
    for row in pop[fix].itertuples(index=False):
        report.add(f"population: corrected {row.province} {row.year} to {row.population:g}")
    # Link the Compendium at 2000.
    y2000 = yearbook[yearbook["year"] == 2000].set_index("province")["population"]
    c2000 = compendium[compendium["year"] == 2000].set_index("province")["population"]
    gap = (c2000 / y2000 - 1).reindex(MAINLAND_CODES)
    linked = gap[gap.abs() <= LINK_TOLERANCE].index
    unlinked = gap[gap.abs() > LINK_TOLERANCE]
    report.add(
        f"population 1998-1999: Compendium linked for {len(linked)} provinces; not linked "
        f"(Compendium/Yearbook 2000 - 1): "
        + ", ".join(f"{code} {value:+.2%}" for code, value in unlinked.items())
    )
    early = compendium[compendium["year"].isin([1998, 1999]) & compendium["province"].isin(linked)]
    early = early.assign(population_source="compendium")
    out = pd.concat([early, pop], ignore_index=True)
    return _unique(out, "population")


def build_gdp(kaggle: pd.DataFrame, xiaoqi: pd.DataFrame, report: Report) -> pd.DataFrame:
    """GDP 1998-2020 from the Kaggle file; report where the xiaoqi737 export differs."""
    gdp = _in_years(kaggle, YEARS)
    bad = _disagreements(
        gdp, xiaoqi.rename(columns={"gdp": "gdp_xiaoqi"}), "gdp", "gdp_xiaoqi", tol=0.05
    )
    both = gdp.merge(xiaoqi, on=KEY).shape[0]
    by_year = bad.groupby("year").size().to_dict()
    report.add(
        f"gdp: kaggle vs xiaoqi737 in {both} common province-years; differ (>0.05) in "
        f"{len(bad)}, by year {by_year}"
    )
    if len(bad):
        rel = (bad["gdp"] / bad["gdp_xiaoqi"] - 1) * 100
        report.add(
            f"gdp: where they differ, kaggle/xiaoqi737 - 1 ranges {rel.min():+.2f}% to "
            f"{rel.max():+.2f}% (xiaoqi737 holds the later, revised 2020 values)"
        )
    return gdp


def build_panel_columns(integrated: pd.DataFrame, report: Report) -> pd.DataFrame:
    """Urbanisation, secondary share, fixed-asset investment and tax revenue, 2005-2020.

    ``tax_revenue`` is kept from 2007 only: for 2005-2006 the column holds total local
    general-budget revenue, not tax (Beijing 2005 = 919.21 and 2006 = 1117.15 are
    Beijing's published general-budget revenue; the tax/expenditure ratio drops
    in 2007 in 29 of 31 provinces).
    """
    cols = ["urbanisation_rate", "secondary_share", "fixed_asset_investment", "tax_revenue"]
    out = _in_years(integrated, YEARS)[KEY + cols].copy()
    early = out["year"] < 2007
    report.add(
        f"tax_revenue: {int(out.loc[early, 'tax_revenue'].notna().sum())} values "
        "for 2005-2006 dropped (they are general-budget revenue, not tax)"
    )
    out.loc[early, "tax_revenue"] = np.nan
    return out


def build_trade(integrated: pd.DataFrame, stata: pd.DataFrame, report: Report) -> pd.DataFrame:
    """Imports plus exports, 100 million yuan.

    2016-2020 as published in yuan; 2005-2014 converted from US dollars at the NBS
    annual average rate ``USD_CNY``; 2015 is empty in the source. The conversion is
    checked against the derived panel's own ``trade_bn_cny``.
    """
    df = _in_years(integrated, YEARS)
    usd = df["trade_usd_10k"] * 1e4 * df["year"].map(USD_CNY) / 1e8
    both = df["trade_cny"].notna() & usd.notna()
    if both.any():
        raise ValueError("trade: both yuan and dollar values for some province-years")
    trade = df["trade_cny"].fillna(usd)
    out = pd.DataFrame({"province": df["province"], "year": df["year"], "trade": trade.round(2)})
    check = out.merge(stata[[*KEY, "trade_bn_cny"]], on=KEY)
    rel = ((check["trade"] - check["trade_bn_cny"]).abs() / check["trade_bn_cny"]).max()
    report.add(f"trade: max relative difference to the panel's trade_bn_cny = {rel:.1e}")
    if rel > 5e-4:
        raise ValueError("trade: conversion does not reproduce the derived panel")
    return out.dropna(subset=["trade"])


def build_aged65(
    survey_pop: pd.DataFrame, survey_65: pd.DataFrame, stata: pd.DataFrame, report: Report
) -> pd.DataFrame:
    """Share of the population aged 65+ (%), from sample-survey and census counts.

    Years in the raw NBS exports (2006-2009, 2011-2019) are computed from their counts;
    2005 (1 % survey), 2010 and 2020 (censuses) come from the derived panel's counts.
    """
    raw = survey_pop.merge(survey_65, on=KEY)
    raw["aged65_share"] = raw["pop65"] / raw["pop"] * 100
    panel = stata[[*KEY, "pop", "pop65", "aging_rate", "pop_data_source"]].copy()
    panel["aged65_share"] = panel["pop65"] / panel["pop"] * 100
    gap = (panel["aged65_share"] - panel["aging_rate"]).abs().max()
    if gap > 1e-3:
        raise ValueError(f"aged65: panel pop65/pop differs from aging_rate by {gap}")
    both = _in_years(raw, YEARS).merge(panel, on=KEY, suffixes=("", "_panel"))
    diff = (both["aged65_share"] - both["aged65_share_panel"]).abs().max()
    report.add(
        f"aged65_share: raw NBS exports vs derived panel, max abs difference {diff:.1e} "
        f"in {len(both)} province-years"
    )
    extra = panel[~panel.set_index(KEY).index.isin(raw.set_index(KEY).index)]
    out = pd.concat([raw[[*KEY, "aged65_share"]], extra[[*KEY, "aged65_share"]]], ignore_index=True)
    return _unique(_in_years(out, YEARS), "aged65")


def build_budget(
    xls: pd.DataFrame,
    lpstntw: pd.DataFrame,
    fiscal: pd.DataFrame,
    tax: pd.DataFrame,
    raw_tax: pd.DataFrame,
    report: Report,
) -> pd.DataFrame:
    """Budget expenditure 2005-2020 (NBS export) and revenue 2014-2017 (final accounts).

    ``tax`` (2007 on) and ``raw_tax`` (the source column, 2005 on) are used only for
    the cross-checks written to ``report``.
    """
    exp = _in_years(xls, YEARS)[[*KEY, "budget_expenditure"]]
    for name, other, col in (
        ("lpstntw spending_all", lpstntw, "spending_all"),
        ("fiscal_by_item exp_total", fiscal, "exp_total"),
    ):
        common = exp.merge(other[[*KEY, col]].dropna(), on=KEY)
        bad = _disagreements(exp, other[[*KEY, col]].dropna(), "budget_expenditure", col, 0.011)
        report.add(
            f"budget_expenditure vs {name}: {len(common)} common, "
            f"{len(bad)} differ by more than rounding (0.01)"
        )
    common = tax.merge(lpstntw, on=KEY)
    bad = _disagreements(tax.dropna(), lpstntw, "tax_revenue", "revenue_alltax", 0.011)
    report.add(
        f"tax_revenue vs lpstntw revenue_alltax: {len(common)} common, {len(bad)} differ > 0.01"
    )
    ratio = raw_tax.set_index(KEY)["tax_revenue"] / exp.set_index(KEY)["budget_expenditure"]
    ratio = ratio.unstack("year")
    falls = int((ratio[2007] < ratio[2006]).sum())
    report.add(
        f"tax_revenue: the source's tax/expenditure ratio falls from 2006 to 2007 in {falls} of "
        f"{len(ratio)} provinces (its 2005-2006 values are total general-budget revenue)"
    )
    rev = lpstntw[[*KEY, "revenue_all"]].rename(columns={"revenue_all": "budget_revenue"})
    return exp.merge(rev, on=KEY, how="outer")


def build_fiscal_items(fiscal: pd.DataFrame) -> pd.DataFrame:
    """Expenditure by function; education 2010+, the others 2014-2017 and 2019+."""
    return _in_years(fiscal, YEARS)[KEY + list(FISCAL_ITEMS)]


def build_unemployment(recent: pd.DataFrame, csy2006: pd.DataFrame) -> pd.DataFrame:
    """Registered urban unemployment rate: 2003-2005 and 2008-2020 (2006-2007 missing)."""
    return _unique(pd.concat([csy2006, recent], ignore_index=True), "unemployment")


def build_income(
    urban: pd.DataFrame, hunan: pd.DataFrame, rural: pd.DataFrame, report: Report
) -> pd.DataFrame:
    """Urban disposable income 2005-2012 and rural net income 2007-2008."""
    bad = _disagreements(
        urban, hunan, "urban_disposable_income", "urban_disposable_income_hunan", 0.0
    )
    common = urban.merge(hunan, on=KEY).shape[0]
    report.add(
        f"urban_disposable_income 2010 vs Hunan yearbook: {common} common, {len(bad)} differ"
    )
    return urban.merge(rural, on=KEY, how="outer")


def strike_counts(events: pd.DataFrame, report: Report) -> pd.DataFrame:
    """Province-year counts of CLB events 2011-2017: total, by size band, by demand.

    Every province gets a row for every year 2011-2017 (zero where no event was
    recorded). Events with unknown province are not counted.
    """
    demand_cols = sorted(c for c in events.columns if c.startswith("demand_"))
    unknown = events["province"].isna()
    report.add(
        f"strikes: {len(events)} events, {int(unknown.sum())} with unknown province not counted"
    )
    ev = events[~unknown].copy()
    ev["province"] = ev["province"].astype("int64")
    outside = sorted(set(ev["province"]) - set(MAINLAND_CODES))
    if outside:
        raise ValueError(f"clb_strikes: provinces outside the mainland panel: {outside}")
    bad_years = sorted(set(ev["year"]) - set(STRIKE_YEARS))
    if bad_years:
        raise ValueError(f"clb_strikes: years outside 2011-2017: {bad_years}")
    bad_bands = sorted(set(ev["size_band"].dropna()) - set(SIZE_BANDS))
    if bad_bands:
        raise ValueError(f"clb_strikes: unknown size bands {bad_bands}")
    ev["strikes"] = 1
    for band, col in SIZE_BANDS.items():
        ev[col] = (ev["size_band"] == band).astype("int64")
    ev["strikes_size_unrecorded"] = ev["size_band"].isna().astype("int64")
    renamed = {c: f"strikes_{c}" for c in demand_cols}
    ev = ev.rename(columns=renamed)
    count_cols = ["strikes", *SIZE_BANDS.values(), "strikes_size_unrecorded", *renamed.values()]
    counts = ev.groupby(KEY)[count_cols].sum()
    grid = pd.MultiIndex.from_product([MAINLAND_CODES, STRIKE_YEARS], names=KEY)
    counts = counts.reindex(grid, fill_value=0).reset_index()
    report.add(
        f"strikes: {int(counts['strikes'].sum())} events counted in "
        f"{int((counts['strikes'] > 0).sum())} of {len(counts)} province-years"
    )
    return counts


def _month_index(year: pd.Series, month: pd.Series) -> pd.Series:
    """Months since year 0: ``year * 12 + month - 1`` (NaN where either is missing)."""
    return year * 12 + month - 1


def leader_columns(spells: pd.DataFrame, report: Report) -> pd.DataFrame:
    """Incumbent, tenure and turnover of party secretary and governor per province-year.

    Months follow ``leader_spells.csv``: a spell runs from its start month to its
    end month, both included; a right-censored spell (``censored_end``) runs to
    December ``LEADER_DATA_END``.

    * ``<role>_id``: the leader in office on 1 July. When two spells include July,
      a hand-over in July gives the newcomer (``_july_handover``); any other overlap
      comes from an error in the dates, and the cell is left empty.
    * ``<role>_tenure_months``: whole months from the start month to July (0 for a
      leader who started in July).
    * ``<role>_turnover``: 1 if a new person's spell starts in the calendar year; 0 if
      none starts and the spells cover every month of the year; empty otherwise
      (e.g. after the censoring date, or across a gap in the listing).
    """
    sp = spells.copy()
    sp["province"] = _codes(sp["province"], LEADERS_CSV.name).astype("int64")
    bad_roles = sorted(set(sp["role"]) - {"secretary", "governor"})
    if bad_roles:
        raise ValueError(f"leader_spells: unknown roles {bad_roles}")
    sp["start_m"] = _month_index(sp["start_year"], sp["start_month"])
    sp["end_m"] = _month_index(sp["end_year"], sp["end_month"])
    censored = sp["censored_end"].astype(bool) if "censored_end" in sp else sp["end_m"].isna()
    if (sp["end_m"].isna() & ~censored).any() or sp["start_m"].isna().any():
        raise ValueError("leader_spells: spells with an unknown start or end that is not censored")
    sp.loc[censored, "end_m"] = LEADER_DATA_END * 12 + 11
    sp = sp.sort_values(["province", "role", "start_m", "leader_id"])
    previous = sp.groupby(["province", "role"])["leader_id"].shift()
    sp["new_person"] = sp["leader_id"].ne(previous)
    rows = []
    for (code, role), group in sp.groupby(["province", "role"], sort=True):
        for year in YEARS:
            july = year * 12 + 6
            now = group[(group["start_m"] <= july) & (group["end_m"] >= july)]
            if len(now) > 1:
                now = _july_handover(now, july)
                if not len(now):
                    report.leader_overlaps.append((int(code), str(role), year))
            leader = now.iloc[0] if len(now) else None
            first, last = year * 12, year * 12 + 11
            starts = (group["new_person"] & group["start_m"].between(first, last)).any()
            turnover = 1.0 if starts else (0.0 if _covers(group, first, last) else np.nan)
            rows.append(
                {
                    "province": code,
                    "year": year,
                    "role": role,
                    "id": leader["leader_id"] if leader is not None else None,
                    "tenure": float(july - leader["start_m"]) if leader is not None else np.nan,
                    "turnover": turnover,
                }
            )
    if report.leader_overlaps:
        report.add(
            "leaders: overlapping spells on 1 July (id and tenure left empty): "
            + ", ".join(f"{c} {r} {y}" for c, r, y in report.leader_overlaps)
        )
    long = pd.DataFrame(rows)
    out = skeleton()[KEY]
    for role in ("secretary", "governor"):
        part = long[long["role"] == role].drop(columns="role")
        part = part.rename(
            columns={
                "id": f"{role}_id",
                "tenure": f"{role}_tenure_months",
                "turnover": f"{role}_turnover",
            }
        )
        out = out.merge(part, on=KEY, how="left")
    return out


def _july_handover(now: pd.DataFrame, july: int) -> pd.DataFrame:
    """Resolve two or more spells that include the same July.

    A hand-over around 1 July (one spell ends in July, or exactly one starts in July)
    gives the newcomer; any other overlap is an error in the dates and gives no one.
    """
    staying = now[now["end_m"] != july]
    if len(staying) == 1:
        return staying
    newcomer = now[now["start_m"] == july]
    if len(newcomer) == 1:
        return newcomer
    return now.iloc[0:0]


def _covers(group: pd.DataFrame, first: int, last: int) -> bool:
    """True when the union of spells in ``group`` covers every month ``first..last``."""
    months = np.zeros(last - first + 1, dtype=bool)
    for start, end in zip(group["start_m"], group["end_m"], strict=True):
        lo, hi = max(int(start), first), min(int(end), last)
        if lo <= hi:
            months[lo - first : hi - first + 1] = True
    return bool(months.all())


# --------------------------------------------------------------------------------------
# assembly


def skeleton() -> pd.DataFrame:
    """All 31 mainland provinces x 1998-2020, with the NBS region."""
    reg = provinces()[["code", "region"]].rename(columns={"code": "province"})
    grid = pd.MultiIndex.from_product([MAINLAND_CODES, YEARS], names=KEY).to_frame(index=False)
    return grid.merge(reg, on="province", how="left")


BASE_COLUMNS = [
    "province",
    "year",
    "region",
    "population",
    "population_source",
    "gdp",
    "gdp_per_capita",
    "urbanisation_rate",
    "secondary_share",
    "aged65_share",
    "budget_expenditure",
    "budget_revenue",
    "tax_revenue",
    "fixed_asset_investment",
    "trade",
    "avg_wage",
    "cpi",
    "unemployment_rate",
    "urban_disposable_income",
    "rural_net_income",
    *FISCAL_ITEMS,
    "gdp_growth_target",
]
LEADER_COLUMNS = [
    "secretary_id",
    "secretary_tenure_months",
    "secretary_turnover",
    "governor_id",
    "governor_tenure_months",
    "governor_turnover",
]


def assemble(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Left-join every part onto the skeleton; parts must be unique by province-year."""
    panel = skeleton()
    for part in parts:
        part = _unique(part, "part")
        overlap = (set(part.columns) - set(KEY)) & set(panel.columns)
        if overlap:
            raise ValueError(f"column(s) supplied twice: {sorted(overlap)}")
        panel = panel.merge(part, on=KEY, how="left")
    return panel


def build(raw: dict[str, Path], report: Report) -> pd.DataFrame:
    """Read every input and return the sorted panel (no file is written).

    Parameters
    ----------
    raw
        Paths of the raw inputs, keyed as in ``RAW``.
    report
        Collects the row accounting and cross-check results.

    Returns
    -------
    pandas.DataFrame
        713 rows sorted by province and year, columns in a fixed order.
    """
    population = build_population(
        read_population_yearbook(raw["pop_yearbook"]),
        read_population_compendium(raw["pop_compendium"]),
        {
            "geog458": read_population_crosscheck(raw["pop_geog458"]),
            "phl43": read_population_crosscheck(raw["pop_phl43"]),
        },
        report,
    )
    gdp = build_gdp(read_gdp_kaggle(raw["gdp_kaggle"]), read_gdp_xiaoqi(raw["gdp_xiaoqi"]), report)
    integrated = read_panel_integrated(raw["panel_integrated"])
    stata = read_panel_stata(raw["panel_stata"])
    panel_cols = build_panel_columns(integrated, report)
    trade = build_trade(integrated, stata, report)
    aged = build_aged65(
        read_nbs_export(raw["nbs_pop_survey"], "pop"),
        read_nbs_export(raw["nbs_pop65_survey"], "pop65"),
        stata,
        report,
    )
    fiscal = read_fiscal_items(raw["fiscal_items"])
    lpstntw = read_lpstntw(raw["lpstntw"])
    budget = build_budget(
        read_budget_expenditure_xls(raw["nbs_budget_xls"]),
        lpstntw,
        fiscal,
        panel_cols[[*KEY, "tax_revenue"]],
        _in_years(integrated, YEARS)[[*KEY, "tax_revenue"]],
        report,
    )
    parts = [
        population,
        gdp,
        panel_cols,
        aged,
        budget,
        trade,
        _in_years(read_wages_cpi(raw["wages_cpi"]), YEARS),
        build_unemployment(
            read_unemployment_2008_2020(raw["unemp_2008_2020"]),
            read_unemployment_csy2006(raw["unemp_csy2006"]),
        ),
        build_income(
            read_urban_income(raw["urban_income"]),
            read_urban_income_hunan(raw["urban_income_hunan"]),
            read_rural_income(raw["rural_income"]),
            report,
        ),
        build_fiscal_items(fiscal),
        _in_years(read_growth_targets(raw["growth_target"]), YEARS),
    ]
    panel = assemble(parts)
    panel["gdp_per_capita"] = panel["gdp"] * 1e8 / (panel["population"] * 1e4)
    columns = list(BASE_COLUMNS)
    if STRIKES_CSV.exists():
        counts = strike_counts(read_strikes(STRIKES_CSV), report)
        panel = panel.merge(counts, on=KEY, how="left")
        columns += [c for c in counts.columns if c not in KEY]
    else:
        report.add(f"strikes: {STRIKES_CSV} not found; strike columns left out")
    if LEADERS_CSV.exists():
        leaders = leader_columns(read_leader_spells(LEADERS_CSV), report)
        panel = panel.merge(leaders, on=KEY, how="left")
        columns += LEADER_COLUMNS
    else:
        report.add(f"leaders: {LEADERS_CSV} not found; leader columns left out")
    panel = panel[columns].sort_values(KEY).reset_index(drop=True)
    check_panel(panel)
    return panel


def check_panel(panel: pd.DataFrame) -> None:
    """Structural checks: full grid, unique keys, no zero where zero would mean missing."""
    if len(panel) != len(MAINLAND_CODES) * len(YEARS):
        raise ValueError(f"expected {len(MAINLAND_CODES) * len(YEARS)} rows, got {len(panel)}")
    if panel.duplicated(KEY).any():
        raise ValueError("duplicate province-years")
    counts = [c for c in panel.columns if c.startswith("strikes") or c.endswith("_turnover")]
    for col in panel.columns:
        if col in KEY or col in counts or not pd.api.types.is_numeric_dtype(panel[col]):
            continue
        zeros = int((panel[col] == 0).sum())
        if zeros and not col.endswith("tenure_months"):
            raise ValueError(f"{col}: {zeros} zero value(s); a zero here would mean missing")


# --------------------------------------------------------------------------------------
# codebook


def _ranges(years: Iterable[int]) -> str:
    """``[2003, 2004, 2005, 2008, 2009]`` -> ``"2003-2005, 2008-2009"``."""
    ys = sorted(set(int(y) for y in years))
    if not ys:
        return "none"
    parts, start, prev = [], ys[0], ys[0]
    for y in [*ys[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)


def coverage(panel: pd.DataFrame, col: str) -> str:
    """Years with any value, and the number of non-missing province-years."""
    have = panel[panel[col].notna()]
    n_prov = have.groupby("year")["province"].nunique()
    partial = n_prov[n_prov < len(MAINLAND_CODES)]
    text = f"{_ranges(have['year'])} ({len(have)} cells"
    if len(partial):
        text += "; fewer than 31 provinces in " + _ranges(partial.index)
    return text + ")"


_POP = "`population/` files"
_P = "provincial panel (RenJiyi163)"
#: column -> (meaning, unit, source)
META: dict[str, tuple[str, str, str]] = {
    "province": ("province", "GB/T 2260 code", "registry"),
    "year": ("calendar year", "year", "-"),
    "region": ("NBS region (east, central, west, northeast)", "-", "`massincidents.provinces()`"),
    "population": (
        "year-end population (annual sample-survey estimates; usual residents from 2005; "
        "2010 census-year estimates)",
        "10,000 persons",
        "China Statistics Yearbook series 2000-2019 (Heilongjiang 2013 corrected from 3535 "
        "to 3835, the value of both NBS English exports); China Compendium of Statistics "
        "1998-1999 for linked provinces only (see notes); 2020 not available",
    ),
    "population_source": (
        "which series gave `population`",
        "`yearbook`, `yearbook_corrected`, `compendium`; empty when population is",
        _POP,
    ),
    "gdp": (
        "gross regional product, current prices",
        "100 million yuan",
        "Kaggle file (henrylin03/china-gdp), NBS vintage after the 4th economic census "
        "revision; see `gdp_vintage` below",
    ),
    "gdp_per_capita": (
        "`gdp` * 1e8 / (`population` * 1e4), recomputed here (year-end population)",
        "yuan per person",
        "derived",
    ),
    "urbanisation_rate": ("urban share of the resident population (城镇化率)", "%", _P),
    "secondary_share": ("secondary industry share of GDP (第二产业比重)", "%", _P),
    "aged65_share": (
        "share of the population aged 65 and over, from sample-survey counts (1 per mille; "
        "1 % survey in 2005 and 2015) and census counts (2010, 2020)",
        "%",
        "NBS exports 分省年度数据 (1)/(2) 2006-2009, 2011-2019; panel_stata_ready_v2 counts "
        "2005, 2010, 2020",
    ),
    "budget_expenditure": (
        "local general public budget expenditure (一般公共预算支出; 2005-2006 labelled 财政支出, "
        "the same local general-budget total before the 2007 classification reform)",
        "100 million yuan",
        "NBS export 一般公共预算等.xls; equals lpstntw 2014-2017 and the fiscal_by_item totals "
        "2010-2020",
    ),
    "budget_revenue": (
        "local general public budget revenue (一般公共预算收入)",
        "100 million yuan",
        "lpstntw/ChinaLocalDebt (provincial final accounts 2014-2016, NBS 2017)",
    ),
    "tax_revenue": (
        "local tax revenue (税收收入); 2005-2006 left empty because the source column holds "
        "total general-budget revenue in those years",
        "100 million yuan",
        f"{_P}; equals lpstntw `revenue_alltax` 2014-2017",
    ),
    "fixed_asset_investment": (
        "total fixed-asset investment (固定资产投资总额); NBS stopped publishing levels after 2017",
        "100 million yuan",
        _P,
    ),
    "trade": (
        "imports plus exports (进出口总额)",
        "100 million yuan",
        f"{_P}: 2016-2020 in yuan as published; 2005-2014 published in US dollars and "
        "converted here at the NBS annual average rate (8.1917 in 2005 ... 6.1428 in 2014); "
        "2015 missing in the source",
    ),
    "avg_wage": (
        "average annual wage of employed persons, as labelled in the source (column `Wage`); "
        "no second raw file to cross-check it",
        "yuan",
        "YeTian97/Birthrate-Fighter `Economy2.csv`",
    ),
    "cpi": (
        "consumer price index",
        "previous year = 100",
        "YeTian97/Birthrate-Fighter `Economy2.csv` (column `CPI`)",
    ),
    "unemployment_rate": (
        "registered urban unemployment rate (NBS A040C02)",
        "%",
        "CSY 2006 table 5-28 for 2003-2005 (Tibet 2003-2004, Shanghai 2005 blank in the "
        "source); nijingwen replication files 2008-2020 (Tibet 2008 missing); 2006-2007 "
        "not available",
    ),
    "urban_disposable_income": (
        "per-capita disposable income of urban households, current prices",
        "yuan",
        "Shandong Statistical Yearbook 2013 appendix 1-13 (all provinces); 2010 equals "
        "Hunan Statistical Yearbook 2011 table 19-18",
    ),
    "rural_net_income": (
        "per-capita net income of rural households (old 'net income' concept), total",
        "yuan",
        "China Statistical Yearbook 2008 and 2009 table 9-22",
    ),
    "exp_general_public_services": (
        "local general public budget expenditure on general public services",
        "100 million yuan",
        "fiscal_by_item best series (CSY table 7-6 > techme extract > final accounts)",
    ),
    "exp_public_security": (
        "local general public budget expenditure on public security",
        "100 million yuan",
        "fiscal_by_item best series",
    ),
    "exp_education": (
        "local general public budget expenditure on education",
        "100 million yuan",
        "fiscal_by_item best series",
    ),
    "exp_social_security_employment": (
        "local general public budget expenditure on social security and employment",
        "100 million yuan",
        "fiscal_by_item best series",
    ),
    "exp_health": (
        "local general public budget expenditure on health (医疗卫生与计划生育 2014-2017; "
        "卫生健康 from 2018)",
        "100 million yuan",
        "fiscal_by_item best series",
    ),
    "gdp_growth_target": (
        "provincial GDP growth target announced for the year",
        "%",
        "maswiebe/meritocratic_promotion `prov_target.csv` (no Beijing, Tianjin, Shanghai, "
        "Chongqing); values ending in .05 (109 rows) are kept as in the source, whose coding "
        "of them is not documented",
    ),
    "strikes": (
        "CLB Strike Map events in the province and year (events with unknown province not counted)",
        "count; 0 = none recorded",
        "`data/clb_strikes.csv`",
    ),
    "strikes_size_1_100": ("events with 1-100 participants", "count", "`data/clb_strikes.csv`"),
    "strikes_size_100_1000": (
        "events with 100-1000 participants",
        "count",
        "`data/clb_strikes.csv`",
    ),
    "strikes_size_1000_10000": (
        "events with 1000-10000 participants",
        "count",
        "`data/clb_strikes.csv`",
    ),
    "strikes_size_10000_plus": (
        "events with 10000+ participants",
        "count",
        "`data/clb_strikes.csv`",
    ),
    "strikes_size_unrecorded": (
        "events without a size band (the size columns add up to `strikes`)",
        "count",
        "`data/clb_strikes.csv`",
    ),
    "secretary_id": (
        "provincial party secretary in office on 1 July",
        "`leader_id` of leader_spells",
        "`data/leader_spells.csv`",
    ),
    "secretary_tenure_months": (
        "whole months the secretary of 1 July had been in office (start month to July)",
        "months",
        "`data/leader_spells.csv`",
    ),
    "secretary_turnover": (
        "a new party secretary took office during the calendar year",
        "0/1; empty where the spells do not cover the whole year",
        "`data/leader_spells.csv`",
    ),
    "governor_id": (
        "governor (mayor of a municipality) in office on 1 July",
        "`leader_id` of leader_spells",
        "`data/leader_spells.csv`",
    ),
    "governor_tenure_months": (
        "whole months the governor of 1 July had been in office",
        "months",
        "`data/leader_spells.csv`",
    ),
    "governor_turnover": (
        "a new governor took office during the calendar year",
        "0/1; empty where the spells do not cover the whole year",
        "`data/leader_spells.csv`",
    ),
}


def _meta(col: str) -> tuple[str, str, str]:
    if col in META:
        return META[col]
    if col.startswith("strikes_demand_"):
        demand = col.removeprefix("strikes_")
        return (
            f"events whose demands included `{demand}` (an event can count under several demands)",
            "count",
            f"`data/clb_strikes.csv` column `{demand}`",
        )
    raise KeyError(f"no codebook entry for {col}")


NOTES = """
Notes.

- Missing values are empty cells, never zero. Zeros appear only in the strike counts (2011-2017,
  a true zero within CLB's coverage; CLB records a small and growing share of actions, so counts
  measure CLB's reach as well as unrest) and in the 0/1 turnover indicators. Strike columns are
  empty outside 2011-2017. Events whose province CLB recorded as unknown are not counted, so
  yearly sums of `strikes` are the yearly totals of `clb_strikes.csv` minus those events.
- `population`: breaks inside the published series are kept as published: 2005 (switch to usual
  residents, e.g. Henan, Hunan, Guizhou) and 2010 (rebased on the census, e.g. Anhui, Shanxi).
  For 1998-1999 the Compendium of Statistics is used only where its 2000 value equals the
  Yearbook's 2000 value to within 0.5 % (22 provinces); for Tianjin, Liaoning, Jilin, Shanghai,
  Anhui, Hubei, Sichuan, Tibet and Gansu the Compendium counts another population (mostly
  registered residence; Shanghai 2000: 1,322 vs 1,609) and 1998-1999 are left empty. Even in
  linked provinces the 1998-1999 figures are pre-2000-census estimates, so several (Beijing,
  Guangdong, Zhejiang, Xinjiang, Hainan, Fujian) jump in 2000. 2020 is in no raw file.
- `gdp_vintage`: one NBS vintage, the series published after the revision that followed the
  4th national economic census (2018), as in the Kaggle file henrylin03/china-gdp (1992-2020).
  Its values 2005-2019 equal the independent NBS export xiaoqi737/thesis-data-and-code in all
  465 province-years; 2020 is the first published value (the later export holds the
  revised 2020 figure, -1.0 % to +1.6 % different). It is not the pre-census vintage of the
  tobby-star export (e.g. Tianjin 2016: 11,477 here vs 17,885 there) nor the vintage revised
  after the 5th census (Beijing 2018: 33,106 here vs 35,161 there).
- Money values are nominal. `budget_revenue` is not available before 2014 or after 2017 in the
  raw files. `tax_revenue` starts in 2007: for 2005-2006 the derived panel's tax column holds
  total local general-budget revenue (Beijing 919.21 and 1117.15, the city's reported local
  fiscal revenue of 91.92 and 111.72 billion yuan for 2005 and 2006 (enorth.com.cn, 4 Jan 2006;
  Xinhua, 1 Jan 2007); its ratio to expenditure falls in 2007 in 29 of 31 provinces).
- `trade` is built from two series of the derived panel: 2005-2014 in US dollars (converted here
  with the NBS annual average rate, which reproduces the panel's own yuan figures exactly) and
  2016-2020 in yuan; 2015 is empty in both. Whether both series use the same basis (location
  of the trading unit) is not documented in the source.
- Expenditure by function: the functional classification exists from 2007, but province data
  here cover 2014-2017 and 2019-2020 (education 2010-2020); 2018 is missing. From 2018/2019 the
  health item is 卫生健康 (health and wellness), which is not the same item as 2014-2017's
  医疗卫生与计划生育; do not compare the two periods without care.
- Leaders: built from `leader_spells.csv`, whose start and end months are the sources' (for the
  municipalities partly from memory, months may be off by 1-2). The incumbent is the leader whose
  spell includes July; a hand-over in July goes to the newcomer. Where two spells overlap for
  other reasons (an error in one of the dates: {overlaps}) id and tenure are empty. Spells
  still running when provleader.csv ends are censored at December 2018, so for the 27 provinces
  leader columns are mostly empty in 2019-2020 (the municipalities are covered to 2022). The
  leader files hold no birth dates, so leader age is not included.
- Not included because no raw file has them by province: rural income outside 2007-2008,
  unemployment 2006-2007, spending by function before 2014 and in 2018 (education before 2010).
"""


def _overlap_text(overlaps: list[tuple[int, str, int]]) -> str:
    """Name the province-role-years with overlapping spells, years as ranges.

    ``[(210000, "governor", 2015), (210000, "governor", 2016)]`` gives
    ``"Liaoning governor 2015-2016"``.

    Parameters
    ----------
    overlaps
        ``(province, role, year)`` triples.
    """
    if not overlaps:
        return "none"
    years: dict[tuple[int, str], list[int]] = {}
    for code, role, year in overlaps:
        years.setdefault((code, role), []).append(year)
    return ", ".join(
        f"{province_name(code)} {role} {_ranges(ys)}" for (code, role), ys in sorted(years.items())
    )


def codebook_text(panel: pd.DataFrame, report: Report) -> str:
    """The codebook fragment for ``province_year``, with coverage computed from ``panel``.

    Parameters
    ----------
    panel
        The built table.
    report
        The report of the same build (for the leader overlaps named in the notes).
    """
    lines = [
        f"## {TABLE}",
        "",
        "One row per mainland province (GB/T 2260 code) and calendar year 1998-2020 "
        f"({len(panel)} rows, every province-year present); facts only, missing values empty.",
        "",
        "| column | meaning | unit | source | years covered |",
        "|---|---|---|---|---|",
    ]
    for col in panel.columns:
        meaning, unit, source = _meta(col)
        lines.append(f"| `{col}` | {meaning} | {unit} | {source} | {coverage(panel, col)} |")
    notes = NOTES.replace("{overlaps}", _overlap_text(report.leader_overlaps))
    if "secretary_id" not in panel.columns:
        notes = (
            notes.split("- Leaders:")[0] + "- Leaders: `data/leader_spells.csv` was not "
            "available at build time; leader columns are left out.\n"
            + "- Not included"
            + notes.split("- Not included")[1]
        )
    return "\n".join(lines) + "\n" + notes


# --------------------------------------------------------------------------------------
# entry point


def summary(panel: pd.DataFrame) -> list[str]:
    """Coverage of every column: non-missing cells, years and provinces."""
    out = [
        f"{TABLE}: {len(panel)} rows = {panel['province'].nunique()} provinces x "
        f"{panel['year'].nunique()} years"
    ]
    for col in panel.columns:
        if col in KEY:
            continue
        have = panel[panel[col].notna()]
        out.append(
            f"  {col:34s} {len(have):4d} cells  years {_ranges(have['year']):28s} "
            f"provinces {have['province'].nunique()}"
        )
    return out


def main() -> int:
    """Build the table, its codebook fragment and its source record."""
    return run_step(TABLE, list(RAW.values()), build_and_write)


def build_and_write(*paths: Path) -> None:
    """Build the panel from the raw files and write it with its records."""
    raw = dict(zip(RAW, paths, strict=True))
    report = Report()
    panel = build(raw, report)
    path = publish(
        TABLE,
        panel,
        [(raw[key], *ORIGINS[key]) for key in RAW],
        codebook_text(panel, report),
    )
    print(f"{TABLE}: wrote {path}")
    for line in [*report.lines, *summary(panel)]:
        print(line)


if __name__ == "__main__":
    raise SystemExit(main())
