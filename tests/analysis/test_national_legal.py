"""Checks of ``data/national_legal.csv``, built by ``analysis/05_national_legal.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "data" / "national_legal.csv"
COLUMNS = [
    "year",
    "court_first_instance_cases",
    "mediated_civil_disputes",
    "labour_disputes_accepted",
    "labour_dispute_workers",
]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(TABLE, keep_default_na=False, na_values=[""])


def test_rows_and_years(table: pd.DataFrame) -> None:
    assert list(table.columns) == COLUMNS
    assert len(table) == 19
    assert table["year"].is_unique
    assert table["year"].tolist() == list(range(1996, 2015))


def test_values_positive(table: pd.DataFrame) -> None:
    values = table[COLUMNS[1:]]
    assert (values.stack().dropna() > 0).all()  # pandas 3 keeps NaN in stack()
    assert table[["court_first_instance_cases", "mediated_civil_disputes"]].notna().all().all()
    labour = table.set_index("year")[["labour_disputes_accepted", "labour_dispute_workers"]]
    assert labour.loc[2000:].notna().all().all()
    assert labour.loc[:1999].isna().all().all()
    # workers involved are at least the number of cases
    since_2000 = labour.loc[2000:]
    assert (since_2000["labour_dispute_workers"] >= since_2000["labour_disputes_accepted"]).all()


def test_known_figures(table: pd.DataFrame) -> None:
    row = table.set_index("year")
    assert row.loc[1996, "court_first_instance_cases"] == 5_312_580
    assert row.loc[2010, "mediated_civil_disputes"] == 8_418_393
    assert row.loc[2008, "labour_disputes_accepted"] == 693_465


def test_rebuild_is_byte_identical(
    load_step: Callable[..., ModuleType], rebuild_table: Callable[..., Path]
) -> None:
    step = load_step("05_national_legal.py")
    out = rebuild_table(
        step.RAW_FILES,
        lambda paths: step.build(*paths),
        "national_legal",
        "raw NBS national series not available",
    )
    assert out.read_bytes() == TABLE.read_bytes()
