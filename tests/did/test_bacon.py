"""Goodman-Bacon decomposition: weights sum to one, weighted average = TWFE exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.did.bacon import TYPES
from massincidents.errors import DataError

KW = {"outcome": "y_linear", "unit": "province", "time": "year", "cohort": "cohort"}


@pytest.mark.parametrize(("seed", "never_share"), [(1, 0.3), (4, 0.3), (7, 0.0), (9, 0.6)])
def test_weights_sum_to_one_and_average_is_twfe(seed: int, never_share: float) -> None:
    df = mi.datasets.simulate_panel(
        n_provinces=40,
        n_years=15,
        seed=seed,
        never_treated_share=never_share,
        policy_effect=lambda g, e: 0.1 * (e + 1) + 0.01 * (g - 2000),
    )
    bd = mi.bacon_decomposition(df, **KW)
    assert bd.table["weight"].sum() == pytest.approx(1.0, abs=1e-10)
    assert (bd.table["weight"] >= 0).all()
    twfe = mi.linear("y_linear ~ treated | province + year", df).params["treated"]
    assert bd.twfe == pytest.approx(twfe, abs=1e-10)
    assert abs(bd.weighted_average - bd.twfe) < 1e-10
    types = set(bd.table["type"])
    assert types <= set(TYPES)
    assert (TYPES[2] in types) == (never_share > 0)
    by = bd.by_type()
    assert by["weight"].sum() == pytest.approx(1.0, abs=1e-10)


def test_each_two_by_two_is_the_twfe_of_its_subsample() -> None:
    df = mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=2)
    bd = mi.bacon_decomposition(df, **KW)
    g = df["cohort"].astype("Float64").astype(float)
    for row in bd.table.itertuples():
        treat_rows = g == row.treated
        if row.type == TYPES[2]:
            sub = df[treat_rows | g.isna()]
        elif row.type == TYPES[0]:
            sub = df[(treat_rows | (g == row.control)) & (df["year"] < row.control)]
        else:
            sub = df[(treat_rows | (g == row.control)) & (df["year"] >= row.control)]
        d = sub.assign(D=((sub["year"] >= row.treated) & (g[sub.index] == row.treated)) * 1.0)
        fit = mi.linear("y_linear ~ D | province + year", d)
        assert row.estimate == pytest.approx(fit.params["D"], abs=1e-10)


def test_always_treated_units_enter_as_controls_only() -> None:
    df = mi.datasets.simulate_panel(n_provinces=40, n_years=12, seed=3)
    first = df["year"].min()
    df["cohort"] = df["cohort"].astype("Float64")
    units = df["province"].unique()[:3]
    df.loc[df["province"].isin(units), "cohort"] = first
    bd = mi.bacon_decomposition(df, **KW)
    d = df.assign(D=(df["year"] >= df["cohort"].astype(float)).fillna(False).astype(float))
    twfe = mi.linear("y_linear ~ D | province + year", d).params["D"]
    assert bd.twfe == pytest.approx(twfe, abs=1e-10)
    assert abs(bd.weighted_average - bd.twfe) < 1e-10
    assert bd.table["weight"].sum() == pytest.approx(1.0, abs=1e-10)
    assert not (bd.table["treated"] == first).any()


def test_pyfixest_has_no_bacon() -> None:
    """Recorded for the report: pyfixest 0.60 ships no Bacon decomposition to compare to."""
    pf = pytest.importorskip("pyfixest")
    assert not hasattr(pf, "bacon")


def test_bad_input() -> None:
    df = mi.datasets.simulate_panel(n_provinces=20, n_years=8, seed=1)
    with pytest.raises(DataError, match="unbalanced"):
        mi.bacon_decomposition(df.iloc[1:], **KW)
    gap = df.copy()
    gap.loc[gap.index[5], "y_linear"] = np.nan
    with pytest.raises(DataError, match="complete data"):
        mi.bacon_decomposition(gap, **KW)
    with pytest.raises(DataError, match="does not vary"):
        mi.bacon_decomposition(df.assign(cohort=pd.NA), **KW)
