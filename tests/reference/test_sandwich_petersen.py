"""The variance menu against R sandwich and plm on Petersen's panel.

The numbers in ``sandwich_petersen.json`` were made by ``sandwich_petersen.R``
(R, sandwich and plm versions recorded in the file, with the exact R call of
every matrix); the data are ``data/petersen.csv`` (sandwich's ``PetersenCL``,
500 firms x 10 years, 17 significant digits). The tests never need R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import massincidents as mi

HERE = Path(__file__).parent
REFERENCE = json.loads((HERE / "sandwich_petersen.json").read_text(encoding="utf-8"))
ENTRIES = [e for e in REFERENCE["entries"] if e["ours"] is not None]
FORMULAS = {"pooled": "y ~ x", "within_firm": "y ~ x | firm"}


@pytest.fixture(scope="module")
def petersen() -> pd.DataFrame:
    return pd.read_csv(HERE / REFERENCE["data"]["file"])


@pytest.fixture(scope="module")
def fits(petersen):
    return {name: mi.linear(formula, petersen) for name, formula in FORMULAS.items()}


def test_data_are_petersen(petersen) -> None:
    assert petersen.shape == (REFERENCE["data"]["n"], 4)
    assert petersen["firm"].nunique() == REFERENCE["data"]["firms"]
    assert petersen["year"].nunique() == REFERENCE["data"]["years"]


@pytest.mark.parametrize("model", sorted(FORMULAS))
def test_coefficients_match_r(fits, model) -> None:
    ref = REFERENCE["models"][model]["coef"]
    fit = fits[model]
    np.testing.assert_allclose(fit.params[list(ref)].to_numpy(), list(ref.values()), rtol=1e-10)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_variance_matches_r(fits, entry) -> None:
    fit = fits[entry["model"]].with_vcov(entry["ours"]["vcov"])
    terms = entry["terms"]
    se_ref = np.array([entry["se"][t] for t in terms])
    np.testing.assert_allclose(fit.bse[terms].to_numpy(), se_ref, rtol=1e-6, atol=0)
    # the whole matrix, off-diagonal included, relative to its largest entry
    V_ref = np.array(entry["vcov"], dtype=float)
    V = fit.vcov.loc[terms, terms].to_numpy()
    assert np.max(np.abs(V - V_ref)) <= 1e-8 * np.max(np.abs(V_ref))


def test_vcovpl_with_time_as_only_cluster_is_not_driscoll_kraay(fits) -> None:
    """``vcovPL(fm, cluster = ~year)`` orders by the count within year (the firm here)."""
    (entry,) = [e for e in REFERENCE["entries"] if e["ours"] is None]
    dk = fits["pooled"].with_vcov({"DK": 2})
    se_ref = np.array([entry["se"][t] for t in entry["terms"]])
    assert np.max(np.abs(dk.bse[entry["terms"]].to_numpy() / se_ref - 1)) > 0.1


def test_two_way_min_g_is_fixest_convention(fits) -> None:
    """``cluster_df="min"``: G_min/(G_min-1) (N-1)/(N-K) (V_firm + V_year - V_firm&year)."""
    fit = fits["pooled"]
    unadjusted = fit.with_vcov({"CRV0": "firm+year"}).vcov.to_numpy()
    n, k, g_min = 5000, 2, 10
    expected = g_min / (g_min - 1) * (n - 1) / (n - k) * unadjusted
    got = fit.with_vcov({"CRV1": "firm+year", "cluster_df": "min"})
    np.testing.assert_allclose(got.vcov.to_numpy(), expected, rtol=1e-12)
    assert got.vcov_label == "CRV1 by firm & year (G = min)"
    assert got.df_inference == g_min - 1


def test_reference_records_versions_and_calls() -> None:
    assert REFERENCE["packages"]["sandwich"] and REFERENCE["r_version"].startswith("R version")
    assert all(e["r_call"] for e in REFERENCE["entries"])
