"""Panel estimators and Hausman tests against R plm on the Grunfeld data.

The numbers come from ``tests/reference/plm_grunfeld.R`` (R plm 2.6.2), stored
with the R call that produced each in ``plm_grunfeld.json``; the data are in
``tests/reference/data/``. Tolerances: coefficients and test statistics 1e-6
relative, standard errors 1e-4 relative (observed: about 1e-12 or better).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import massincidents as mi
from massincidents.inference.vcov import compute_vcov, parse_vcov
from massincidents.linear.transforms import quasi_demeaned
from massincidents.results import Result

HERE = Path(__file__).parent
REF = json.loads((HERE / "plm_grunfeld.json").read_text())
FORMULA = "inv ~ value + capital"
COEF_RTOL, SE_RTOL, TEST_RTOL = 1e-6, 1e-4, 1e-6


def _data(name: str) -> pd.DataFrame:
    df = pd.read_csv(HERE / REF["data"][name]["file"])
    return df.assign(big=(df["firm"] <= 4) * 1.0)


BALANCED, UNBALANCED = _data("balanced"), _data("unbalanced")

# Each reference model and our call for it (the JSON's "ours" field says the same).
FITS = {
    "pooling": lambda: mi.linear(FORMULA, BALANCED, vcov="iid"),
    "within": lambda: mi.linear(f"{FORMULA} | firm", BALANCED, vcov="iid"),
    "within2": lambda: mi.linear(f"{FORMULA} | firm + year", BALANCED, vcov="iid"),
    "random": lambda: mi.random_effects(FORMULA, BALANCED, entity="firm"),
    "between": lambda: mi.between(FORMULA, BALANCED, entity="firm"),
    "fd": lambda: mi.first_difference(FORMULA, BALANCED, entity="firm"),
    "u_within": lambda: mi.linear(f"{FORMULA} | firm", UNBALANCED, vcov="iid"),
    "u_random": lambda: mi.random_effects(FORMULA, UNBALANCED, entity="firm"),
    "u_between": lambda: mi.between(FORMULA, UNBALANCED, entity="firm"),
    "u_fd": lambda: mi.first_difference(FORMULA, UNBALANCED, entity="firm"),
    "random_tinv": lambda: mi.random_effects(f"{FORMULA} + big", BALANCED, entity="firm"),
    "u_random_tinv": lambda: mi.random_effects(f"{FORMULA} + big", UNBALANCED, entity="firm"),
}
_CACHE: dict[str, Result] = {}


def fit(name: str) -> Result:
    if name not in _CACHE:
        _CACHE[name] = FITS[name]()
    return _CACHE[name]


def _rel(ours, theirs) -> float:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    return float(np.max(np.abs(ours / theirs - 1)))


def test_reference_file_is_complete() -> None:
    assert set(REF["models"]) == set(FITS)
    assert REF["packages"]["plm"] and REF["r_version"].startswith("R version")
    assert len(BALANCED) == 200 and BALANCED["firm"].nunique() == 10
    assert len(UNBALANCED) == REF["data"]["unbalanced"]["n"] == 155
    for entry in [*REF["models"].values(), *REF["variances"], *REF["tests"].values()]:
        assert entry["r_call"]
        assert entry["ours"] is not None or entry["note"]


@pytest.mark.parametrize("name", sorted(FITS))
def test_coefficients_and_iid_standard_errors(name: str) -> None:
    ref, ours = REF["models"][name], fit(name)
    coef, se = pd.Series(ref["coef"]), pd.Series(ref["se_iid"])
    assert sorted(ours.params.index) == sorted(coef.index)
    np.testing.assert_allclose(ours.params[coef.index], coef, rtol=COEF_RTOL)
    np.testing.assert_allclose(ours.bse[se.index], se, rtol=SE_RTOL)
    assert ours.nobs == ref["nobs"]


@pytest.mark.parametrize("name", sorted(FITS))
def test_r_squared_as_plm(name: str) -> None:
    ours = fit(name)
    r2 = ours.stats["r2_within"] if ours.fixed_effects else ours.stats["r2"]
    np.testing.assert_allclose(r2, REF["models"][name]["r_squared"], rtol=COEF_RTOL)


@pytest.mark.parametrize("name", ["random", "u_random", "random_tinv", "u_random_tinv"])
def test_swamy_arora_components_and_theta(name: str) -> None:
    ref, ours = REF["models"][name], fit(name)
    np.testing.assert_allclose(ours.stats["sigma2_idios"], ref["sigma2_idios"], rtol=COEF_RTOL)
    np.testing.assert_allclose(ours.stats["sigma2_id"], ref["sigma2_id"], rtol=COEF_RTOL)
    theta = pd.Series(ref["theta_by_firm"])
    theta.index = theta.index.astype(int)
    np.testing.assert_allclose(ours.extra["theta"][theta.index], theta, rtol=COEF_RTOL)
    if ref["balanced"]:
        np.testing.assert_allclose(ours.stats["theta"], theta.iloc[0], rtol=COEF_RTOL)
    else:
        assert "theta" not in ours.stats
        np.testing.assert_allclose(ours.stats["theta_min"], theta.min(), rtol=COEF_RTOL)
        np.testing.assert_allclose(ours.stats["theta_max"], theta.max(), rtol=COEF_RTOL)
        np.testing.assert_allclose(ours.stats["theta_median"], theta.median(), rtol=COEF_RTOL)


@pytest.mark.parametrize("entry", REF["variances"], ids=lambda e: e["name"])
def test_variance_menu_on_panel_models(entry: dict) -> None:
    ours = fit(entry["model"])
    se = pd.Series(entry["se"])
    if entry["ours"] is None:
        # plm's arellano HC1 = N/(N-k) CRV0 (k slopes): not a menu entry; check the rescaling.
        crv0 = ours.with_vcov({"CRV0": "firm"})
        n, k = ours.nobs, len(ours.params)
        np.testing.assert_allclose(crv0.bse[se.index] * np.sqrt(n / (n - k)), se, rtol=SE_RTOL)
        return
    np.testing.assert_allclose(
        ours.with_vcov(entry["ours"]["vcov"]).bse[se.index], se, rtol=SE_RTOL
    )


def _tests() -> dict[str, mi.TestResult]:
    fe, re = fit("within"), fit("random")
    return {
        "classic": mi.hausman(fe, re),
        "classic_unbalanced": mi.hausman(fit("u_within"), fit("u_random")),
        "aux_iid": mi.hausman(fe, re, method="robust", vcov="iid"),
        "aux_arellano": mi.hausman(fe, re, method="robust", vcov={"CRV0": "firm"}),
        "aux_arellano_sss": mi.hausman(fe, re, method="robust"),
    }


@pytest.mark.parametrize(
    "name", ["classic", "classic_unbalanced", "aux_iid", "aux_arellano", "aux_arellano_sss"]
)
def test_hausman_statistics(name: str) -> None:
    ref, ours = REF["tests"][name], _tests()[name]
    assert ours.df == ref["df"]
    np.testing.assert_allclose(ours.statistic, ref["statistic"], rtol=TEST_RTOL)
    np.testing.assert_allclose(ours.pvalue, ref["p_value"], rtol=TEST_RTOL)


def test_unbalanced_auxiliary_regression_differs_from_plm_only_by_the_intercept() -> None:
    """plm puts a constant where Wooldridge's regression has 1 - theta_i; with it we match plm."""
    ref = REF["tests"]["aux_arellano_unbalanced"]
    fe, re = fit("u_within"), fit("u_random")
    ours = mi.hausman(fe, re, method="robust", vcov={"CRV0": "firm"})
    assert abs(ours.statistic / ref["statistic"] - 1) > 0.05
    stash = re.extra["panel"]
    design, panel = stash["design"], stash["index"]
    star = quasi_demeaned(design, panel, stash["theta"])
    X = star.X.copy()
    X[:, design.names.index("Intercept")] = 1.0  # plm: a constant
    A = np.hstack([X, panel.within(design.X[:, 1:])])
    beta = np.linalg.lstsq(A, star.y, rcond=None)[0]
    bread = np.linalg.inv(A.T @ A)
    scores = A * (star.y - A @ beta)[:, None]
    V, _ = compute_vcov(
        parse_vcov({"CRV0": "firm"}),
        bread=bread,
        scores=scores,
        family="ls",
        n_params=A.shape[1],
        columns={"firm": UNBALANCED["firm"].to_numpy()},
    )
    statistic = float(beta[-2:] @ np.linalg.solve(V[-2:, -2:], beta[-2:]))
    np.testing.assert_allclose(statistic, ref["statistic"], rtol=TEST_RTOL)
    np.testing.assert_allclose(stats.chi2.sf(statistic, 2), ref["p_value"], rtol=TEST_RTOL)
