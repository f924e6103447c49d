"""Tests of the committed ``data/province_year.csv`` (built by ``analysis/04_province_year.py``).

Everything except the rebuild test runs on the committed files alone, without the raw folder.
Spot-checked values name the raw file they come from and the second raw file that confirms them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from massincidents.provinces import MAINLAND_CODES, provinces

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
ANALYSIS = REPO / "analysis"
TABLE = DATA / "province_year.csv"
YEARS = list(range(1998, 2021))
MUNICIPALITIES = (110000, 120000, 310000, 500000)
#: Columns whose zeros would be real zeros; in every other numeric column a zero would mean missing.
COUNT_PREFIXES = ("strikes",)
COUNT_SUFFIXES = ("_turnover", "_tenure_months")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """The committed table."""
    return pd.read_csv(TABLE)


@pytest.fixture(scope="module")
def indexed(panel: pd.DataFrame) -> pd.DataFrame:
    """The committed table indexed by (province, year)."""
    return panel.set_index(["province", "year"])


def _value(indexed: pd.DataFrame, province: int, year: int, column: str) -> float:
    return float(indexed.loc[(province, year), column])


# --- structure --------------------------------------------------------------------------------


def test_every_province_in_every_year(panel: pd.DataFrame) -> None:
    assert len(panel) == 31 * 23
    assert sorted(panel["year"].unique()) == YEARS
    per_year = panel.groupby("year")["province"].apply(lambda s: sorted(s))
    for year, codes in per_year.items():
        assert codes == sorted(MAINLAND_CODES), year


def test_keys_unique_and_sorted(panel: pd.DataFrame) -> None:
    assert not panel.duplicated(["province", "year"]).any()
    assert panel[["province", "year"]].equals(
        panel[["province", "year"]].sort_values(["province", "year"]).reset_index(drop=True)
    )
    assert list(panel.columns[:3]) == ["province", "year", "region"]


def test_region_matches_registry(panel: pd.DataFrame) -> None:
    registry = provinces().set_index("code")["region"]
    assert (panel["region"] == panel["province"].map(registry)).all()


# --- plausible ranges -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "low", "high"),
    [
        ("population", 250, 12_000),  # Tibet 1998 ~ 252 ... Guangdong 2019 = 11,521
        ("gdp", 90, 115_000),
        ("gdp_per_capita", 2_000, 170_000),
        ("urbanisation_rate", 15, 95),
        ("secondary_share", 10, 65),
        ("aged65_share", 4, 20),
        ("cpi", 95, 112),
        ("unemployment_rate", 1, 7),
        ("avg_wage", 5_000, 200_000),
        ("gdp_growth_target", 5, 16),
        ("budget_expenditure", 100, 20_000),
    ],
)
def test_plausible_ranges(panel: pd.DataFrame, column: str, low: float, high: float) -> None:
    values = panel[column].dropna()
    assert len(values) > 0
    assert values.between(low, high).all(), values[~values.between(low, high)]


def test_population_guangdong_2010(indexed: pd.DataFrame) -> None:
    # China_Statistics_Yearbook.csv: Guangdong 2010 = 10441 (census-year estimate);
    # the same in geog458_population_2000-2017.csv and phl43_population_2010-2019.csv.
    assert _value(indexed, 440000, 2010, "population") == 10441


def test_heilongjiang_2013_population_corrected(indexed: pd.DataFrame, panel: pd.DataFrame) -> None:
    # The Yearbook file has the typo 3535; geog458 and phl43 (NBS English exports) both say 3835.
    assert _value(indexed, 230000, 2013, "population") == 3835
    assert indexed.loc[(230000, 2013), "population_source"] == "yearbook_corrected"
    assert (panel["population_source"] == "yearbook_corrected").sum() == 1
    # and the series is smooth around it
    hlj = indexed.loc[230000, "population"]
    assert abs(hlj[2013] - hlj[2012]) < 50 and abs(hlj[2014] - hlj[2013]) < 50


def test_population_vintages(indexed: pd.DataFrame, panel: pd.DataFrame) -> None:
    source = panel.set_index(["province", "year"])["population_source"]
    assert set(source.dropna()) == {"yearbook", "yearbook_corrected", "compendium"}
    assert (source.isna() == panel.set_index(["province", "year"])["population"].isna()).all()
    assert set(panel.loc[panel["population_source"] == "compendium", "year"]) == {1998, 1999}
    # Guangdong 1998 from the Compendium (7990.03); its 2000 value equals the Yearbook's (8650).
    assert _value(indexed, 440000, 1998, "population") == pytest.approx(7990.03)
    # Shanghai: the Compendium counts registered residents (1,322 in 2000 vs 1,609): not linked.
    assert np.isnan(_value(indexed, 310000, 1998, "population"))
    assert panel.loc[panel["year"] == 1998, "population"].notna().sum() == 22
    # 2020 is in no raw population file.
    assert panel.loc[panel["year"] == 2020, "population"].isna().all()


# --- GDP --------------------------------------------------------------------------------------


def test_gdp_per_capita_is_recomputed(panel: pd.DataFrame) -> None:
    expected = panel["gdp"] * 1e8 / (panel["population"] * 1e4)
    both = expected.notna()
    assert (panel["gdp_per_capita"].notna() == both).all()
    np.testing.assert_allclose(panel.loc[both, "gdp_per_capita"], expected[both], rtol=1e-9)


def test_gdp_one_vintage(indexed: pd.DataFrame) -> None:
    # gdp_1992_2020_kaggle_en.csv: Beijing 2015 = 24779.1; the same in xiaoqi737_gdp_2005-2023.xls.
    assert _value(indexed, 110000, 2015, "gdp") == pytest.approx(24779.1)
    # Post-4th-census vintage: Tianjin 2016 = 11477.2 (kaggle and xiaoqi737); the old vintage
    # (tobby-star_gdp_1993-2017_gbk.csv) says 17885.39 and must not appear.
    assert _value(indexed, 120000, 2016, "gdp") == pytest.approx(11477.2)
    # Beijing 2018 = 33106.0 here; the vintage revised after the 5th census says 35161.4.
    assert _value(indexed, 110000, 2018, "gdp") == pytest.approx(33106.0)


# --- known values checked in a second raw source ------------------------------------------------


@pytest.mark.parametrize(
    ("province", "year", "column", "expected", "where"),
    [
        # 一般公共预算等.xls; lpstntw_all_province_2014_2017.csv spending_all = 5737.70
        (110000, 2015, "budget_expenditure", 5737.70, "NBS xls = lpstntw"),
        # 分省年度数据_整合.csv 税收收入; lpstntw revenue_alltax = 4263.91
        (110000, 2015, "tax_revenue", 4263.91, "panel = lpstntw"),
        # lpstntw revenue_all (final accounts); no second raw file has budget revenue
        (110000, 2015, "budget_revenue", 4723.86, "lpstntw"),
        # shandong_yb2013 appendix 1-13; hunan_yb2011 table 19-18 also 29073
        (110000, 2010, "urban_disposable_income", 29073, "Shandong yb = Hunan yb"),
        # fiscal_by_item best series; lpstntw spending_security (Hubei 2016) = 352.73
        (420000, 2016, "exp_public_security", 352.73, "fiscal_by_item = lpstntw"),
        # NBS exports 分省年度数据 (2)/(1): 2129 / 18132 persons in the sample;
        # panel_stata_ready_v2 aging_rate = 11.7417
        (110000, 2016, "aged65_share", 2129 / 18132 * 100, "NBS export = panel"),
        # 进出口总额_万美元 41551859 x 6.1428 (NBS 2014 average rate) / 1e4;
        # panel_stata_ready_v2 trade_bn_cny = 25524.48
        (110000, 2014, "trade", 25524.48, "converted = panel"),
        # csy2008 table 9-22 total; its four income sources add up to it
        (110000, 2007, "rural_net_income", 9439.63, "CSY 2008"),
        # derived unemployment file (MACS30200_data.csv)
        (110000, 2008, "unemployment_rate", 1.82, "nijingwen"),
    ],
)
def test_known_values(
    indexed: pd.DataFrame, province: int, year: int, column: str, expected: float, where: str
) -> None:
    assert _value(indexed, province, year, column) == pytest.approx(expected, rel=1e-9), where


# --- missing is never zero --------------------------------------------------------------------


def _is_count(column: str) -> bool:
    return column.startswith(COUNT_PREFIXES) or column.endswith(COUNT_SUFFIXES)


def test_no_zero_outside_counts(panel: pd.DataFrame) -> None:
    for column in panel.select_dtypes("number").columns:
        if column in ("province", "year") or _is_count(column):
            continue
        assert not (panel[column] == 0).any(), column


@pytest.mark.parametrize(
    ("column", "missing_years"),
    [
        ("unemployment_rate", [1998, 1999, 2000, 2001, 2002, 2006, 2007]),
        ("tax_revenue", [2005, 2006]),
        ("trade", [2015]),
        ("fixed_asset_investment", [2018, 2019, 2020]),
        ("exp_public_security", [2010, 2011, 2012, 2013, 2018]),
        ("exp_health", [2018]),
        ("exp_education", [2009]),
        ("urban_disposable_income", [2004, 2013]),
        ("rural_net_income", [2006, 2009]),
        ("budget_revenue", [2013, 2018]),
        ("avg_wage", [2000, 2020]),
        ("gdp_growth_target", [2018, 2019, 2020]),
    ],
)
def test_missing_years_are_empty(
    panel: pd.DataFrame, column: str, missing_years: list[int]
) -> None:
    rows = panel["year"].isin(missing_years)
    assert panel.loc[rows, column].isna().all()


def test_known_single_gaps(indexed: pd.DataFrame, panel: pd.DataFrame) -> None:
    # Tibet 2008: the source value 0 means "no data"; Shanghai 2005 is blank in CSY 2006.
    assert np.isnan(_value(indexed, 540000, 2008, "unemployment_rate"))
    assert np.isnan(_value(indexed, 310000, 2005, "unemployment_rate"))
    # Growth targets: 27 provinces, none for the four municipalities.
    targets = panel.dropna(subset=["gdp_growth_target"])
    assert targets["province"].nunique() == 27
    assert not targets["province"].isin(MUNICIPALITIES).any()


def test_full_coverage_where_promised(panel: pd.DataFrame) -> None:
    def full(column: str, years: range) -> bool:
        return bool(panel.loc[panel["year"].isin(years), column].notna().all())

    assert full("gdp", range(1998, 2021))
    assert full("population", range(2000, 2020))
    assert full("urbanisation_rate", range(2005, 2021))
    assert full("budget_expenditure", range(2005, 2021))
    assert full("exp_education", range(2010, 2021))
    assert full("urban_disposable_income", range(2005, 2013))
    assert full("avg_wage", range(2001, 2020))


# --- strikes ----------------------------------------------------------------------------------


def test_strike_counts_match_clb_events(panel: pd.DataFrame) -> None:
    if "strikes" not in panel.columns:
        pytest.skip("strike columns not built")
    events = pd.read_csv(DATA / "clb_strikes.csv")
    known = events.dropna(subset=["province"])
    per_year = known.groupby("year").size()
    built = panel.groupby("year")["strikes"].sum(min_count=1).dropna()
    assert built.to_dict() == pytest.approx(per_year.to_dict())
    per_cell = known.groupby(["province", "year"]).size()
    cells = panel.set_index(["province", "year"])["strikes"].dropna()
    assert (cells.reindex(per_cell.index) == per_cell).all()
    assert (cells.drop(per_cell.index) == 0).all()


def test_strikes_zero_inside_missing_outside(panel: pd.DataFrame) -> None:
    if "strikes" not in panel.columns:
        pytest.skip("strike columns not built")
    columns = [c for c in panel.columns if c.startswith("strikes")]
    inside = panel["year"].between(2011, 2017)
    assert panel.loc[inside, columns].notna().all().all()
    assert panel.loc[~inside, columns].isna().all().all()
    sizes = [c for c in columns if c.startswith("strikes_size_")]
    assert (panel.loc[inside, sizes].sum(axis=1) == panel.loc[inside, "strikes"]).all()
    demands = [c for c in columns if c.startswith("strikes_demand_")]
    events = pd.read_csv(DATA / "clb_strikes.csv")
    assert {c.removeprefix("strikes_") for c in demands} == {
        c for c in events.columns if c.startswith("demand_")
    }


# --- leaders ----------------------------------------------------------------------------------


def test_leader_columns_consistent_with_spells(panel: pd.DataFrame) -> None:
    if "secretary_id" not in panel.columns:
        pytest.skip("leader columns not built")
    spells = pd.read_csv(DATA / "leader_spells.csv")
    for role in ("secretary", "governor"):
        assert set(panel[f"{role}_turnover"].dropna()) <= {0.0, 1.0}
        have = panel.dropna(subset=[f"{role}_id"])
        assert (have[f"{role}_tenure_months"] >= 0).all()
        merged = have.merge(
            spells[spells["role"] == role],
            left_on=["province", f"{role}_id"],
            right_on=["province", "leader_id"],
        )
        july = merged["year"] * 12 + 6
        start = merged["start_year"] * 12 + merged["start_month"] - 1
        end = merged["end_year"] * 12 + merged["end_month"] - 1
        in_office = (start <= july) & (end.isna() | (end >= july))
        hit = merged[in_office]
        # every incumbent has exactly one spell that includes that July
        assert len(hit) == len(have)
        assert (july[in_office] - start[in_office] == hit[f"{role}_tenure_months"]).all()


def test_leader_turnover_spot_checks(indexed: pd.DataFrame, panel: pd.DataFrame) -> None:
    if "secretary_id" not in panel.columns:
        pytest.skip("leader columns not built")
    # leader_spells.csv: Guangdong's secretary changed in 2017 and in 2012; not in 2014.
    assert _value(indexed, 440000, 2017, "secretary_turnover") == 1
    assert _value(indexed, 440000, 2012, "secretary_turnover") == 1
    assert _value(indexed, 440000, 2014, "secretary_turnover") == 0
    # provleader.csv ends in 2018: no turnover is known for its 27 provinces in 2020.
    provincial = panel[(panel["year"] == 2020) & ~panel["province"].isin(MUNICIPALITIES)]
    assert provincial["secretary_turnover"].isna().all()


# --- rebuild ----------------------------------------------------------------------------------


def _load_step() -> ModuleType:
    sys.path.insert(0, str(ANALYSIS))
    spec = importlib.util.spec_from_file_location(
        "step04_province_year", ANALYSIS / "04_province_year.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_rebuild_is_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    step = _load_step()
    common = sys.modules["_common"]
    try:
        raw = {
            key: path
            for key, path in zip(step.RAW, common.require_raw(*step.RAW.values()), strict=True)
        }
    except common.RawDataMissing:
        pytest.skip("raw folder not available")
    report = step.Report()
    built = step.build(raw, report)
    monkeypatch.setattr(common, "DATA_DIR", tmp_path)
    out = common.write_table(built, step.TABLE)
    assert out.read_bytes() == TABLE.read_bytes()
    codebook = DATA / "codebook" / "province_year.md"
    assert step.codebook_text(built, report) == codebook.read_text(encoding="utf-8")


def test_step_without_raw_keeps_table(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    step = _load_step()
    before = TABLE.read_bytes()
    monkeypatch.setenv("MASSINCIDENTS_RAW", str(tmp_path / "absent"))
    assert step.main() == 0
    assert TABLE.read_bytes() == before
