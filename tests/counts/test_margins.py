"""mi.marginal_effects: against statsmodels, closed forms, and finite differences of predictions.

(The hand computation in R is compared in test_reference.py.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import expit

import massincidents as mi


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=14)


def test_poisson_ame_matches_statsmodels_get_margeff(panel) -> None:
    fit = mi.poisson("y ~ x1 + x2", panel)
    X = sm.add_constant(panel[["x1", "x2"]])
    ref = sm.Poisson(panel["y"], X).fit(disp=0, tol=1e-12).get_margeff(at="overall", method="dydx")
    ame = mi.marginal_effects(fit, panel).set_index("term")
    np.testing.assert_allclose(ame.loc[["x1", "x2"], "estimate"], ref.margeff, rtol=1e-7)
    np.testing.assert_allclose(ame.loc[["x1", "x2"], "std_error"], ref.margeff_se, rtol=1e-5)


def test_with_absorbed_fixed_effects_the_ame_is_beta_times_mean_y(panel) -> None:
    """Poisson FE: fitted counts sum to observed counts within groups along the profile."""
    fit = mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population")
    ame = mi.marginal_effects(fit, panel).set_index("term")
    ybar = panel["y"].mean()
    np.testing.assert_allclose(ame.loc[["x1", "x2"], "estimate"], fit.params * ybar, rtol=1e-7)
    np.testing.assert_allclose(ame.loc[["x1", "x2"], "std_error"], fit.bse * ybar, rtol=1e-5)


def test_transformed_regressors_are_differentiated_through_the_formula(panel) -> None:
    df = panel.assign(w=np.exp(panel["x2"] / 2))
    fit = mi.poisson("y ~ x1 + I(x1**2) + np.log(w)", df, exposure="population")
    ame = mi.marginal_effects(fit, df, variables=["x1", "w"]).set_index("term")
    b = fit.params
    mu = fit.extra["mu"]
    expected_x1 = np.mean(mu * (b["x1"] + 2 * b["I(x1 ** 2)"] * df["x1"]))
    expected_w = np.mean(mu * b["np.log(w)"] / df["w"])
    np.testing.assert_allclose(ame.loc["x1", "estimate"], expected_x1, rtol=1e-7)
    np.testing.assert_allclose(ame.loc["w", "estimate"], expected_w, rtol=1e-7)


def test_zero_inflated_ame_matches_finite_differences_of_the_mean() -> None:
    rng = np.random.default_rng(8)
    n = 2000
    df = pd.DataFrame(
        {"x": rng.normal(size=n), "z": rng.normal(size=n), "d": rng.integers(0, 2, n)}
    )
    mu = np.exp(0.5 + 0.3 * df["x"] + 0.4 * df["d"])
    df["y"] = np.where(
        rng.random(n) < expit(-0.6 + 0.7 * df["x"] + 0.5 * df["z"]), 0, rng.poisson(mu)
    )
    fit = mi.zero_inflated("y ~ x + d", df, inflate="~ x + z")
    p = fit.params

    def mean_count(frame: pd.DataFrame) -> np.ndarray:
        eta = p["count_Intercept"] + p["count_x"] * frame["x"] + p["count_d"] * frame["d"]
        zeta = p["zero_Intercept"] + p["zero_x"] * frame["x"] + p["zero_z"] * frame["z"]
        return ((1 - expit(zeta)) * np.exp(eta)).to_numpy()

    ame = mi.marginal_effects(fit, df).set_index("term")
    h = 1e-5
    for v in ("x", "z"):
        numeric = np.mean(
            (mean_count(df.assign(**{v: df[v] + h})) - mean_count(df.assign(**{v: df[v] - h})))
            / (2 * h)
        )
        np.testing.assert_allclose(ame.loc[v, "estimate"], numeric, rtol=1e-6)
        assert ame.loc[v, "kind"] == "derivative"
    discrete = np.mean(mean_count(df.assign(d=1)) - mean_count(df.assign(d=0)))
    np.testing.assert_allclose(ame.loc["d", "estimate"], discrete, rtol=1e-10)
    assert ame.loc["d", "kind"] == "discrete change 0 to 1"
    assert (ame["std_error"] > 0).all()


def test_negbin_ame_and_argument_errors(panel) -> None:
    fit = mi.negbin("y ~ x1 + x2", panel)
    ame = mi.marginal_effects(fit, panel).set_index("term")
    np.testing.assert_allclose(
        ame.loc["x1", "estimate"], fit.params["x1"] * fit.extra["mu"].mean(), rtol=1e-7
    )
    with pytest.raises(ValueError, match="fitted on"):
        mi.marginal_effects(fit, panel.iloc[:10])
    with pytest.raises(ValueError, match="cannot differentiate"):
        mi.marginal_effects(fit, panel, variables=["province"])
    with pytest.raises(ValueError, match="not available"):
        mi.marginal_effects(mi.linear("y ~ x1", panel), panel)


# -- units: rescaling a regressor rescales its marginal effect and nothing else (issue 13)
from types import SimpleNamespace  # noqa: E402

from hypothesis import given, settings  # noqa: E402

from scaling import EXPONENTS, check_rescaling  # noqa: E402


def _ame_as_result(fit, data) -> SimpleNamespace:
    ame = mi.marginal_effects(fit, data).set_index("term")
    return SimpleNamespace(
        params=ame["estimate"], bse=ame["std_error"], pvalues=ame["p_value"], stats={}
    )


MARGINS_FAMILY = {
    "Poisson": lambda d: _ame_as_result(mi.poisson("y ~ x1 + x2 + d", d, vcov="hetero"), d),
    "NB2": lambda d: _ame_as_result(mi.negbin("y ~ x1 + x2 + d", d), d),
    "ZIP": lambda d: _ame_as_result(mi.zero_inflated("y ~ x1 + d", d, inflate="~ x2"), d),
}


@pytest.mark.parametrize("model", list(MARGINS_FAMILY))
@settings(max_examples=8, deadline=None)
@given(k=EXPONENTS)
def test_rescaling_a_regressor_rescales_only_its_marginal_effect(panel, model, k) -> None:
    """main stepped 1e-6 in every parameter for the delta method: in units 1e6 times larger
    the other effects' standard errors moved by 1-3% (the step was a large change of eta)."""
    data = panel.assign(d=(panel["x2"] > 0).astype(float))
    check_rescaling(MARGINS_FAMILY[model], data, "x1", k)


# -- Stata's margins, dydx(*) after poisson and nbreg (frozen by statsmodels; issue 13)
def test_average_marginal_effects_reproduce_stata_margins() -> None:
    import importlib.util
    import json
    import sys
    from pathlib import Path

    ref_dir = Path(__file__).resolve().parents[1] / "reference"
    stata = json.loads((ref_dir / "stata_counts.json").read_text(encoding="utf-8"))
    name = "massincidents_reference_agreement"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ref_dir / "agreement.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    agreement = sys.modules[name]
    data = pd.read_csv(ref_dir / "data" / "cpunish.csv")
    for key, entry in stata["cpunish"].items():
        fit, ame = agreement.stata_margins(key, entry, data)
        # the data Stata ran on differ from statsmodels' reconstruction at about 1e-7: even
        # the Poisson log-likelihood (a unique maximum) differs by 5e-8 relative
        np.testing.assert_allclose(fit.stats["loglik"], entry["ll"], rtol=1e-7)
        dydx, se = np.array(entry["dydx"]), np.array(entry["se"])
        assert np.all(np.abs(ame["estimate"] - dydx) <= 1e-6 * np.abs(dydx) + 1e-6 * se), key
        np.testing.assert_allclose(ame["std_error"], se, rtol=1e-6, err_msg=key)
        assert ame.loc["south", "kind"] == "discrete change 0 to 1"
