"""Checks of ``data/national_incidents.csv``, built by ``analysis/02_national_incidents.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "data" / "national_incidents.csv"
COMPARABLE = {"mass_incidents_1993_2004", "participants_1993_2004"}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(TABLE, keep_default_na=False, na_values=[""])


def test_rows_and_key(table: pd.DataFrame) -> None:
    assert len(table) == 16
    assert not table.duplicated(["year", "unit"]).any()
    assert table["year"].between(1993, 2010).all()
    assert set(table["unit"]) == {"incidents", "participants"}
    assert set(table["status"]) == {"verified", "unverified"}
    assert (table["value"] > 0).all()
    assert table[["year", "unit"]].apply(tuple, axis=1).is_monotonic_increasing


def test_known_figures(table: pd.DataFrame) -> None:
    value = table.set_index(["year", "unit"])["value"]
    assert value[(1993, "incidents")] == 8700
    assert value[(2004, "incidents")] == 74000
    assert value[(2004, "participants")] == 3_700_000
    assert value[(2005, "incidents")] == 87000
    assert value[(2006, "incidents")] == 23000


def test_2005_and_2006_not_comparable(table: pd.DataFrame) -> None:
    row = table.set_index(["year", "unit"])
    assert row.loc[(2005, "incidents"), "series"] == "public_order_disturbances_2005"
    assert row.loc[(2006, "incidents"), "series"] == "mass_incidents_narrow_2006"
    assert row.loc[(2005, "incidents"), "comparable_1993_2004"] == 0
    assert row.loc[(2006, "incidents"), "comparable_1993_2004"] == 0
    assert (table.loc[table["year"] > 2004, "comparable_1993_2004"] == 0).all()


def test_series_flags(table: pd.DataFrame) -> None:
    comparable = table["comparable_1993_2004"] == 1
    assert (comparable == table["series"].isin(COMPARABLE)).all()
    assert table.loc[comparable, "year"].between(1993, 2004).all()
    assert (table.loc[table["unit"] == "participants", "series"] == "participants_1993_2004").all()
    assert table["official"].isin([0, 1]).all()
    assert set(table.loc[table["official"] == 0, "year"]) == {2008, 2010}
    unverified = set(table.loc[table["status"] == "unverified", "year"])
    assert unverified == {1999, 2008, 2010}


def test_one_verification_rule_for_every_row(table: pd.DataFrame) -> None:
    """Verified rows name where they were read; unverified rows say why (issue #17, point 5)."""
    checked = table["checked_in"].fillna("")
    verified = table["status"] == "verified"
    assert (checked[verified] != "").all()
    notes = table["notes"].fillna("")
    for _, row in table[~verified].iterrows():
        assert "prints" in row["notes"] or "not an official figure" in row["notes"] or (
            "not found" in row["notes"]
        ), row.to_dict()
    assert not notes.str.contains("verify before use").any()
    # the 1993 figure and the 1997-2002 figures are all attributed to MPS figures in
    # Tanner (2004): the same evidence (Keidel 2005, Table 1) gives them the same status
    status = table[table["unit"] == "incidents"].set_index("year")["status"]
    assert {status[y] for y in (1993, 1997, 1998, 2002)} == {"verified"}
    # 1999: the compilation's 32,000 is not the 32,500 the document prints
    assert status[1999] == "unverified"
    # the 2010 estimate's origin is traced, and it stays unverified (not official)
    row_2010 = table[(table["year"] == 2010)].iloc[0]
    assert "Landesa" in row_2010["notes"] and row_2010["status"] == "unverified"


def test_verify_rule_on_constructed_rows(load_step: Callable[..., ModuleType]) -> None:
    step = load_step("02_national_incidents.py")

    def row(year, value, where="", status="unverified", unit="incidents"):
        return pd.Series(
            {"year": year, "unit": unit, "value": value, "where_checked": where, "status": status}
        )

    assert step.verify(row(1997, 15_000))[0] == "verified"
    status, checked_in, reason = step.verify(row(1997, 15_500))
    assert status == "unverified" and "prints 15,000" in reason and "Keidel" in checked_in
    assert step.verify(row(2008, 127_000))[0] == "unverified"
    assert step.verify(row(1995, 11_500))[2].startswith("not found")
    assert step.verify(row(2004, 74_000, "https://zonaeuropa.com/x", "verified"))[0] == "verified"
    with pytest.raises(ValueError, match="where_checked is filled"):
        step.verify(row(2004, 74_000, "https://zonaeuropa.com/x", "unverified"))


def test_a_figure_contradicted_by_a_document_read_is_unverified(
    load_step: Callable[..., ModuleType],
) -> None:
    """One test for every row: a read document printing another value contradicts it.

    On main a row whose compiler filled ``where_checked`` was verified even when
    Keidel (2005), read for the book, prints another value for the year (1999 is
    unverified for exactly that reason, but only because its ``where_checked``
    is empty).
    """
    step = load_step("02_national_incidents.py")
    row = pd.Series(
        {
            "year": 1994,
            "unit": "incidents",
            "value": 11_000,  # Keidel (2005, Table 1) prints 10,000
            "where_checked": "https://byeways.net/x",
            "status": "verified",
        }
    )
    status, checked_in, reason = step.verify(row)
    assert status == "unverified" and "prints 10,000, not 11,000" in reason
    assert "Keidel" in checked_in and "CECC" in checked_in
    assert step.verify(row.copy().replace({11_000: 10_000}))[0] == "verified"


def test_sources_resolved_and_short(table: pd.DataFrame) -> None:
    assert table["source"].notna().all()
    assert not table["source"].str.contains("same as above", case=False).any()
    assert (table["source"].str.len() <= 90).all()


def test_rebuild_is_byte_identical(
    load_step: Callable[..., ModuleType], rebuild_table: Callable[..., Path]
) -> None:
    step = load_step("02_national_incidents.py")
    out = rebuild_table(
        (step.RAW_FILE,),
        lambda paths: step.build(*paths),
        "national_incidents",
        "raw national counts not available",
    )
    assert out.read_bytes() == TABLE.read_bytes()
