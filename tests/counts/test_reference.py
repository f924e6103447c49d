"""Count models against R: glm + sandwich, MASS::glm.nb, pscl::zeroinfl.

The numbers in ``tests/reference/counts_reference.json`` were made by
``tests/reference/counts_reference.R`` (R, MASS, pscl, sandwich versions and the
exact R call of every number recorded in the file, 17 significant digits) on
``tests/reference/data/count_panel.csv`` (``make_count_panel.py``:
``mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=20240611)``),
``quine.csv`` (``MASS::quine``) and ``biochemists.csv`` (``pscl::bioChemists``).
Coefficients agree to 1e-6 relative and standard errors to 1e-4 (DESIGN.md),
except where the reference itself is less precise, as each test says. The
tests never need R.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.counts import BoundaryWarning
from massincidents.counts.zero_inflated import zi_loglik

REF_DIR = Path(__file__).resolve().parents[1] / "reference"
REF = json.loads((REF_DIR / "counts_reference.json").read_text(encoding="utf-8"))
SLOPES = ["x1", "x2", "treated"]
FE_FORMULA = "y ~ x1 + x2 + treated | province + year"


def values(mapping: dict, names: list[str] | None = None) -> np.ndarray:
    names = list(mapping) if names is None else names
    return np.array([float(mapping[n]) for n in names])


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "data" / "count_panel.csv")


@pytest.fixture(scope="module")
def quine() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "data" / "quine.csv")


@pytest.fixture(scope="module")
def biochemists() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "data" / "biochemists.csv")


def test_reference_file_records_its_provenance() -> None:
    assert REF["generated_by"] == "tests/reference/counts_reference.R"
    assert REF["r_version"].startswith("R version")
    assert set(REF["packages"]) >= {"MASS", "pscl", "sandwich"}


# -- Poisson ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def poisson_fe(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the reference data need no cleaning
        return mi.poisson(FE_FORMULA, panel, exposure="population")


def test_poisson_two_way_fe_coefficients_match_glm_with_dummies(poisson_fe, panel) -> None:
    ref = REF["poisson"]["fe"]
    np.testing.assert_allclose(poisson_fe.params[SLOPES], values(ref["coef"], SLOPES), rtol=1e-6)
    assert poisson_fe.nobs == ref["nobs"] == len(panel)
    assert poisson_fe.left_out == {}


@pytest.mark.parametrize(
    ("key", "choice"),
    [
        ("iid", "iid"),
        ("CRV1_province", {"CRV1": "province"}),
        ("CRV0_province", {"CRV0": "province"}),
        ("hetero", "hetero"),
        ("hetero_check", "hetero"),
        ("CRV1_province_year", {"CRV1": "province+year"}),
    ],
)
def test_poisson_fe_standard_errors_match_sandwich(poisson_fe, key, choice) -> None:
    ref = REF["poisson"]["fe"]["se"][key]["se"]
    np.testing.assert_allclose(
        poisson_fe.with_vcov(choice).bse[SLOPES], values(ref, SLOPES), rtol=1e-4
    )


def test_poisson_default_vcov_is_crv1_by_first_fe_with_ml_factor(poisson_fe) -> None:
    ref = REF["poisson"]["fe"]["se"]["CRV1_province"]["se"]
    assert poisson_fe.vcov_label == "CRV1 by province"
    assert poisson_fe.df_inference is None  # normal reference for likelihood models
    np.testing.assert_allclose(poisson_fe.bse[SLOPES], values(ref, SLOPES), rtol=1e-8)


def test_poisson_fit_statistics_match_glm(poisson_fe) -> None:
    ref = REF["poisson"]["fe"]
    for ours, theirs in [
        ("loglik", "loglik"),
        ("deviance", "deviance"),
        ("null_deviance", "null_deviance"),
        ("aic", "aic"),
    ]:
        np.testing.assert_allclose(poisson_fe.stats[ours], float(ref[theirs]), rtol=1e-8)
    expected = 1 - float(ref["deviance"]) / float(ref["null_deviance"])
    np.testing.assert_allclose(poisson_fe.stats["pseudo_r2"], expected, rtol=1e-8)


def test_pooled_poisson_matches_glm(panel) -> None:
    ref = REF["poisson"]["pooled"]
    fit = mi.poisson("y ~ x1 + x2 + treated", panel, exposure="population")
    assert list(fit.params.index) == list(ref["coef"])
    np.testing.assert_allclose(fit.params, values(ref["coef"]), rtol=1e-6)
    np.testing.assert_allclose(fit.bse, values(ref["se_iid"]), rtol=1e-4)
    np.testing.assert_allclose(fit.stats["loglik"], float(ref["loglik"]), rtol=1e-8)
    np.testing.assert_allclose(fit.stats["null_deviance"], float(ref["null_deviance"]), rtol=1e-8)


@pytest.mark.parametrize(
    ("vcov", "key"), [("iid", "se_iid"), ({"CRV1": "province"}, "se_CRV1_province")]
)
def test_average_marginal_effects_match_hand_computation_in_r(panel, vcov, key) -> None:
    ref = REF["poisson"]["pooled"]["ame"]
    fit = mi.poisson("y ~ x1 + x2 + treated", panel, exposure="population", vcov=vcov)
    ame = mi.marginal_effects(fit, panel).set_index("term")
    terms = list(ref["estimate"])
    np.testing.assert_allclose(ame.loc[terms, "estimate"], values(ref["estimate"]), rtol=1e-6)
    np.testing.assert_allclose(ame.loc[terms, "std_error"], values(ref[key]), rtol=1e-4)
    assert ame.loc["treated", "kind"] == "discrete change 0 to 1"


# -- NB2 -------------------------------------------------------------------------------

QUINE_NAMES = {
    "Intercept": "Intercept",
    "Eth[T.N]": "EthN",
    "Sex[T.M]": "SexM",
    "Age[T.F1]": "AgeF1",
    "Age[T.F2]": "AgeF2",
    "Age[T.F3]": "AgeF3",
    "Lrn[T.SL]": "LrnSL",
}


@pytest.fixture(scope="module")
def nb_quine(quine):
    return mi.negbin("Days ~ Eth + Sex + Age + Lrn", quine)


def test_negbin_quine_matches_glm_nb(nb_quine) -> None:
    ref = REF["negbin"]["quine"]
    assert list(nb_quine.params.index) == list(QUINE_NAMES)
    r_names = list(QUINE_NAMES.values())
    np.testing.assert_allclose(nb_quine.params, values(ref["coef"], r_names), rtol=1e-6)
    np.testing.assert_allclose(nb_quine.bse, values(ref["se_iid"]["se"], r_names), rtol=1e-4)
    np.testing.assert_allclose(
        nb_quine.with_vcov("hetero").bse, values(ref["se_hetero"]["se"], r_names), rtol=1e-4
    )
    np.testing.assert_allclose(nb_quine.stats["theta"], float(ref["theta"]), rtol=1e-6)
    np.testing.assert_allclose(nb_quine.stats["alpha"], 1 / float(ref["theta"]), rtol=1e-6)
    np.testing.assert_allclose(nb_quine.stats["loglik"], float(ref["loglik"]), rtol=1e-10)
    np.testing.assert_allclose(nb_quine.stats["aic"], float(ref["aic"]), rtol=1e-10)
    np.testing.assert_allclose(nb_quine.stats["deviance"], float(ref["deviance"]), rtol=1e-8)
    assert nb_quine.vcov_label == "iid"


def test_negbin_theta_standard_error(nb_quine) -> None:
    """glm.nb's SE.theta is evaluated one theta.ml step before its final theta: 1e-4 agreement;
    the same formula at the final theta (computed in R) agrees to 1e-8."""
    ref = REF["negbin"]["quine"]
    np.testing.assert_allclose(nb_quine.stats["theta_se"], float(ref["se_theta"]), rtol=1e-4)
    exact = float(ref["se_theta_at_final"]["value"])
    np.testing.assert_allclose(nb_quine.stats["theta_se"], exact, rtol=1e-8)


def test_negbin_fixed_effects_match_glm_nb_with_dummies(panel) -> None:
    ref = REF["negbin"]["panel_fe"]
    fit = mi.negbin(FE_FORMULA, panel, exposure="population")
    np.testing.assert_allclose(fit.params[SLOPES], values(ref["coef"], SLOPES), rtol=1e-6)
    np.testing.assert_allclose(
        fit.with_vcov("iid").bse[SLOPES], values(ref["se_iid"], SLOPES), rtol=1e-4
    )
    assert fit.vcov_label == "CRV1 by province"
    np.testing.assert_allclose(
        fit.bse[SLOPES], values(ref["se_CRV1_province"]["se"], SLOPES), rtol=1e-4
    )
    np.testing.assert_allclose(fit.stats["theta"], float(ref["theta"]), rtol=1e-6)
    np.testing.assert_allclose(fit.stats["theta_se"], float(ref["se_theta"]), rtol=1e-4)
    np.testing.assert_allclose(
        fit.stats["theta_se"], float(ref["se_theta_at_final"]["value"]), rtol=1e-7
    )
    np.testing.assert_allclose(fit.stats["loglik"], float(ref["loglik"]), rtol=1e-10)


# -- zero-inflated ---------------------------------------------------------------------

COUNT = "art ~ fem + mar + kid5 + phd + ment"
ZI_CASES = [
    ("zip_const", "~ 1", "poisson"),
    ("zinb_const", "~ 1", "negbin"),
    ("zip_ment", "~ ment", "poisson"),
    ("zinb_ment", "~ ment", "negbin"),
]


def _zi_fit(biochemists, inflate, dist):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        return mi.zero_inflated(COUNT, biochemists, inflate=inflate, dist=dist)


@pytest.mark.parametrize(("key", "inflate", "dist"), ZI_CASES)
def test_zero_inflated_matches_zeroinfl(biochemists, key, inflate, dist) -> None:
    """Coefficients to 1e-6 relative, or within 1e-5 of a standard error for the
    coefficients pscl's BFGS leaves less precise (count_phd of ZINB is 0.002: pscl stops
    with a gradient of 2e-5, ours is at 3e-12, see test_our_optimum_is_at_least_as_good)."""
    ref = REF["zero_inflated"][key]
    fit = _zi_fit(biochemists, inflate, dist)
    names = list(ref["coef"])
    assert list(fit.params.index) == names
    count = [n for n in names if n.startswith("count_")]
    boundary = key == "zinb_const"  # zero_Intercept runs to -infinity: not identified
    compare = count if boundary else names
    ref_se = values(ref["se_fine_hessian"]["se"], compare)
    diff = np.abs(fit.params[compare].to_numpy() - values(ref["coef"], compare))
    assert np.all(diff <= 1e-6 * np.abs(values(ref["coef"], compare)) + 1e-5 * ref_se)
    np.testing.assert_allclose(fit.stats["loglik"], float(ref["loglik"]), rtol=1e-9)
    # pscl's reported SEs come from optim's numerical Hessian (steps 1e-3): ~3e-4 agreement.
    np.testing.assert_allclose(fit.bse[compare], values(ref["se"], compare), rtol=1e-3)
    # The same fit with a finer numerical Hessian (steps 1e-5) agrees to 1e-6.
    np.testing.assert_allclose(fit.bse[compare], ref_se, rtol=1e-6)
    if dist == "negbin":
        np.testing.assert_allclose(fit.stats["theta"], float(ref["theta"]), rtol=1e-6)
        np.testing.assert_allclose(
            fit.stats["log_theta_se"], float(ref["se_logtheta_fine_hessian"]), rtol=1e-6
        )
        np.testing.assert_allclose(fit.stats["log_theta_se"], float(ref["se_logtheta"]), rtol=1e-3)
    else:
        hetero = fit.with_vcov("hetero").bse
        np.testing.assert_allclose(hetero, values(ref["se_hetero"]["se"], names), rtol=1e-3)


@pytest.mark.parametrize(("key", "inflate", "dist"), ZI_CASES)
def test_our_optimum_is_at_least_as_good(biochemists, key, inflate, dist) -> None:
    ref = REF["zero_inflated"][key]
    fit = _zi_fit(biochemists, inflate, dist)
    y = biochemists["art"].to_numpy(float)
    X = np.column_stack([np.ones(len(y)), biochemists[["fem", "mar", "kid5", "phd", "ment"]]])
    Z = (
        np.ones((len(y), 1))
        if inflate == "~ 1"
        else np.column_stack([np.ones(len(y)), biochemists["ment"]])
    )
    negbin = dist == "negbin"
    theirs = values(ref["coef"])
    ours = fit.params.to_numpy()
    if negbin:
        theirs = np.r_[theirs, np.log(float(ref["theta"]))]
        ours = np.r_[ours, fit.stats["log_theta"]]
    ll_theirs, g_theirs, *_ = zi_loglik(theirs, y, X, Z, np.zeros(len(y)), negbin)
    ll_ours, g_ours, *_ = zi_loglik(ours, y, X, Z, np.zeros(len(y)), negbin)
    assert ll_ours >= ll_theirs - 1e-9
    assert np.abs(g_ours).max() <= max(np.abs(g_theirs).max(), 1e-6)


def test_zinb_with_constant_inflation_is_at_the_boundary_and_says_so(biochemists) -> None:
    with pytest.warns(BoundaryWarning, match="boundary"):
        fit = mi.zero_inflated(COUNT, biochemists, dist="negbin")
    assert fit.params["zero_Intercept"] < -10
    assert any("boundary" in note for note in fit.notes)
    # The count part equals plain NB2 (the inflation is zero).
    nb = mi.negbin(COUNT, biochemists)
    np.testing.assert_allclose(fit.params.iloc[:6].to_numpy(), nb.params.to_numpy(), rtol=1e-5)
