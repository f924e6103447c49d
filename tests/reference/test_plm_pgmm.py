"""Arellano-Bond and Blundell-Bond GMM against R plm's pgmm on EmplUK.

The numbers come from ``tests/reference/plm_pgmm.R`` (R plm 2.6.2), stored with
the R call that produced each in ``plm_pgmm.json``; the data (logs precomputed,
17 significant digits) are in ``tests/reference/data/emplUK.csv``.
Tolerances: coefficients and test statistics 1e-6 relative, standard errors
1e-4 relative.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.dynamic import TooManyInstrumentsWarning

HERE = Path(__file__).parent
REF = json.loads((HERE / "plm_pgmm.json").read_text())["models"]
COEF_RTOL, SE_RTOL, TEST_RTOL = 1e-6, 1e-4, 1e-6
DATA = pd.read_csv(HERE / "data" / "emplUK.csv")
GAPS = DATA[
    ~(
        ((DATA.firm <= 10) & (DATA.year == 1980))
        | ((DATA.firm >= 20) & (DATA.firm <= 25) & (DATA.year == 1982))
    )
]
AB = (
    "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital + lag(log_output, 0:1)"
    " | lag(log_emp, 2:99)"
)
BB = (
    "log_emp ~ lag(log_emp, 1) + lag(log_wage, 0:1) + lag(log_capital, 0:1)"
    " | lag(log_emp, 2:99) + lag(log_wage, 2:99) + lag(log_capital, 2:99)"
)
STD = (
    "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital | lag(log_emp, 2:99)"
    " | lag(log_wage, 0:1) + log_capital"
)
# the year as a trend: the time column itself is the regressor (plm: a numeric copy, "trend")
TREND = (
    "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital + year | lag(log_emp, 2:99)"
)
# each reference model and our call for it
CALLS = {
    "ab_onestep": (AB, DATA, {"effects": "twoways", "steps": 1}),
    "ab_twosteps": (AB, DATA, {"effects": "twoways", "steps": 2}),
    "ab_onestep_individual": (AB, DATA, {"effects": "individual", "steps": 1}),
    "ab_twosteps_collapse": (AB, DATA, {"effects": "twoways", "steps": 2, "collapse": True}),
    "ab_onestep_collapse": (AB, DATA, {"effects": "twoways", "steps": 1, "collapse": True}),
    "ab_std_instruments": (STD, DATA, {"effects": "twoways", "steps": 2}),
    "ab_gaps": (AB, GAPS, {"effects": "twoways", "steps": 2}),
    "bb_onestep": (BB, DATA, {"effects": "twoways", "steps": 1, "system": True}),
    "bb_twosteps": (BB, DATA, {"effects": "twoways", "steps": 2, "system": True}),
    "bb_twosteps_collapse": (
        BB,
        DATA,
        {"effects": "twoways", "steps": 2, "system": True, "collapse": True},
    ),
    "ab_trend_onestep": (TREND, DATA, {"effects": "individual", "steps": 1}),
    "ab_trend_twosteps": (TREND, DATA, {"effects": "individual", "steps": 2}),
}


def fit(name: str, robust: bool = True) -> mi.results.Result:
    formula, data, options = CALLS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TooManyInstrumentsWarning)
        return mi.arellano_bond(formula, data, entity="firm", time="year", robust=robust, **options)


def series(block: dict[str, str]) -> pd.Series:
    return pd.Series({k: float(v) for k, v in block.items()})


def rel(ours: pd.Series | float, ref: pd.Series | float) -> float:
    ours, ref = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    return float(np.max(np.abs(ours - ref) / np.abs(ref)))


@pytest.mark.parametrize("name", list(CALLS))
def test_robust_fit(name: str) -> None:
    ref = REF[name]
    r = fit(name)
    coef = series(ref["coef"])
    assert list(r.params.index) == list(coef.index)
    assert rel(r.params, coef) < COEF_RTOL
    assert rel(r.bse, series(ref["se_robust"])) < SE_RTOL
    assert rel(r.stats["hansen"], float(ref["sargan"])) < TEST_RTOL
    assert r.stats["hansen_df"] == float(ref["sargan_df"])
    assert rel(r.stats["hansen_p"], float(ref["sargan_p"])) < TEST_RTOL
    assert rel(r.stats["ar1"], float(ref["ar1_robust"])) < TEST_RTOL
    assert rel(r.stats["ar2"], float(ref["ar2_robust"])) < TEST_RTOL
    assert rel(r.stats["ar1_p"], float(ref["ar1_robust_p"])) < TEST_RTOL
    assert r.stats["n_instruments"] == ref["n_instruments"]
    assert r.stats["n_groups"] == ref["n_groups"]
    assert r.nobs + r.stats.get("nobs_levels", 0) == ref["nobs"]
    assert r.df_inference is None
    assert isinstance(r.vcov, pd.DataFrame)


@pytest.mark.parametrize("name", list(CALLS))
def test_nonrobust_fit(name: str) -> None:
    ref = REF[name]
    r = fit(name, robust=False)
    assert rel(r.bse, series(ref["se_nonrobust"])) < SE_RTOL
    if "sigma2" in ref:  # one-step: classical variance, Sargan and AR tests
        assert rel(r.stats["sigma2"], float(ref["sigma2"])) < TEST_RTOL
        assert rel(r.stats["sargan"], float(ref["sargan_classical"])) < TEST_RTOL
        assert rel(r.stats["ar1"], float(ref["ar1_classical"])) < TEST_RTOL
        assert rel(r.stats["ar2"], float(ref["ar2_classical"])) < TEST_RTOL
    else:  # two-step: plm's mtest with vcov(m)
        assert rel(r.stats["ar1"], float(ref["ar1_nonrobust"])) < TEST_RTOL
        assert rel(r.stats["ar2"], float(ref["ar2_nonrobust"])) < TEST_RTOL


def test_published_rounded_numbers() -> None:
    """plm's ?pgmm / vignette printout, one-step twoways: 0.534614 (0.166449), Sargan 44.61875."""
    r = fit("ab_onestep")
    assert round(r.params["lag(log_emp, 1)"], 6) == 0.534614
    assert round(r.bse["lag(log_emp, 1)"], 6) == 0.166449
    assert round(r.stats["hansen"], 5) == 44.61875


def test_result_works_with_etable() -> None:
    table = mi.etable([fit("ab_onestep"), fit("ab_twosteps")], format="dataframe")
    assert table.shape[1] == 2


def test_period_dummies_in_the_formula_equal_plms_time_effects() -> None:
    """C(year) with effects="individual" spans plm's twoways time effects (difference GMM)."""
    formula = AB.replace(" | ", " + C(year) | ", 1)
    for name, steps in (("ab_onestep", 1), ("ab_twosteps", 2)):
        ref = REF[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = mi.arellano_bond(formula, DATA, entity="firm", time="year", steps=steps)
        slopes = [k for k in ref["coef"] if not k.startswith("year[")]
        assert rel(r.params[slopes], series(ref["coef"])[slopes]) < COEF_RTOL
        assert rel(r.bse[slopes], series(ref["se_robust"])[slopes]) < SE_RTOL
        assert rel(r.stats["hansen"], float(ref["sargan"])) < TEST_RTOL
        assert rel(r.stats["ar2"], float(ref["ar2_robust"])) < TEST_RTOL
        assert r.stats["n_instruments"] == ref["n_instruments"]
