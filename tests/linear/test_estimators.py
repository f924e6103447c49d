"""mi.linear against independent dummy-variable computations (statsmodels) and the truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import massincidents as mi
from massincidents.core.design import CollinearityWarning, SingletonWarning


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=21)


def _dummy_ols(panel: pd.DataFrame):
    return smf.ols("y_linear ~ x1 + x2 + treated + C(province) + C(year)", data=panel).fit()


def test_two_way_fe_equals_dummy_variable_ols(panel) -> None:
    fit = mi.linear("y_linear ~ x1 + x2 + treated | province + year", panel, vcov="iid")
    ref = _dummy_ols(panel)
    terms = ["x1", "x2", "treated"]
    np.testing.assert_allclose(fit.params[terms], ref.params[terms], rtol=1e-10)
    np.testing.assert_allclose(fit.bse[terms], ref.bse[terms], rtol=1e-8)
    assert fit.df_inference == ref.df_resid
    assert fit.nobs == len(panel)


def test_hetero_is_hc1_with_fe_counted(panel) -> None:
    fit = mi.linear("y_linear ~ x1 + x2 + treated | province + year", panel, vcov="hetero")
    ref = _dummy_ols(panel).get_robustcov_results("HC1")
    idx = [list(ref.model.exog_names).index(t) for t in ["x1", "x2", "treated"]]
    np.testing.assert_allclose(fit.bse.to_numpy(), ref.bse[idx], rtol=1e-8)


def test_cluster_robust_matches_explicit_formula(panel) -> None:
    """CRV1 = G/(G-1) (N-1)/(N-K) B M B, K without the province effects nested in the clusters."""
    fit = mi.linear(
        "y_linear ~ x1 + x2 + treated | province + year", panel, vcov={"CRV1": "province"}
    )
    ref = _dummy_ols(panel)
    X = ref.model.exog
    u = ref.resid.to_numpy()
    bread = np.linalg.inv(X.T @ X)
    g = pd.factorize(panel["province"])[0]
    sums = np.zeros((g.max() + 1, X.shape[1]))
    np.add.at(sums, g, X * u[:, None])
    V = bread @ (sums.T @ sums) @ bread
    n, G = len(panel), g.max() + 1
    K = 3 + (panel["year"].nunique() - 1)  # slopes + year effects (province nested)
    V *= G / (G - 1) * (n - 1) / (n - K)
    idx = [list(ref.model.exog_names).index(t) for t in ["x1", "x2", "treated"]]
    np.testing.assert_allclose(fit.bse.to_numpy(), np.sqrt(np.diag(V))[idx], rtol=1e-8)
    assert fit.df_inference == G - 1


def test_pooled_has_intercept_and_matches_statsmodels(panel) -> None:
    fit = mi.linear("y_linear ~ x1 + x2", panel)
    ref = smf.ols("y_linear ~ x1 + x2", data=panel).fit()
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(fit.bse.to_numpy(), ref.bse.to_numpy(), rtol=1e-10)
    assert fit.vcov_label == "iid"


def test_recovers_truth_with_nominal_coverage() -> None:
    hits = 0
    for seed in range(60):
        df = mi.datasets.simulate_panel(n_provinces=31, n_years=10, seed=500 + seed)
        fit = mi.linear("y_linear ~ x1 + x2 + treated | province + year", df, vcov="iid")
        lo, hi = fit.conf_int().loc["x1"]
        hits += lo <= 0.3 <= hi
    assert hits >= 52  # Binomial(60, 0.95): P(X < 52) < 1%


def test_absorbed_regressor_is_dropped_with_warning(panel) -> None:
    df = panel.assign(region_code=panel["province"] // 100000)
    with pytest.warns(CollinearityWarning, match="absorbed by the fixed effects"):
        fit = mi.linear("y_linear ~ x1 + region_code | province + year", df)
    assert "region_code" in fit.dropped and list(fit.params.index) == ["x1"]


def test_perfect_collinearity_is_dropped_with_warning(panel) -> None:
    df = panel.assign(x3=2 * panel["x1"] - panel["x2"])
    with pytest.warns(CollinearityWarning, match="collinear"):
        fit = mi.linear("y_linear ~ x1 + x2 + x3", df)
    assert fit.dropped == {"x3": "collinear"}


def test_missing_rows_are_reported_by_reason(panel) -> None:
    df = panel.copy()
    df.loc[df.index[:5], "x1"] = np.nan
    df.loc[df.index[5:7], "y_linear"] = np.nan
    fit = mi.linear("y_linear ~ x1 + x2", df)
    assert fit.nobs == len(df) - 7
    assert fit.left_out == {"missing value in y_linear": 2, "missing value in x1": 5}


def test_log_of_nonpositive_is_reported_not_silently_dropped(panel) -> None:
    df = panel.assign(z=np.where(panel.index < 3, 0.0, 1.0 + panel["x1"] ** 2))
    fit = mi.linear("y_linear ~ np.log(z)", df)
    assert fit.left_out == {"non-finite value of np.log(z)": 3}


def test_singletons_are_dropped_and_reported(panel) -> None:
    df = pd.concat([panel, panel.iloc[[0]].assign(province=999, y_linear=5.0)], ignore_index=True)
    with pytest.warns(SingletonWarning):
        fit = mi.linear("y_linear ~ x1 | province + year", df)
    assert fit.left_out == {"singleton fixed-effect group": 1}


def test_missing_column_names_close_matches(panel) -> None:
    with pytest.raises(mi.DataError, match="close column names: x1"):
        mi.linear("y_linear ~ x11", panel)
    with pytest.raises(mi.DataError, match="provnce"):
        mi.linear("y_linear ~ x1 | provnce", panel)


def test_with_vcov_changes_only_the_variance(panel) -> None:
    fit = mi.linear("y_linear ~ x1 + x2 | province + year", panel)
    other = fit.with_vcov("iid")
    pd.testing.assert_series_equal(fit.params, other.params)
    assert other.vcov_label == "iid" and fit.vcov_label == "CRV1 by province"
    assert not np.allclose(fit.bse, other.bse)


def test_tidy_and_summary(panel) -> None:
    fit = mi.linear("y_linear ~ x1 + x2 | province + year", panel)
    tidy = fit.tidy()
    assert list(tidy.columns) == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    text = fit.summary()
    assert "CRV1 by province" in text and "x1" in text
    with pytest.raises(ValueError, match="log link"):
        fit.irr()


def test_works_on_read_panel_index(panel) -> None:
    indexed = panel.set_index(["province", "year"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = mi.linear("y_linear ~ x1 | province + year", indexed)
    assert fit.nobs == len(panel)


def test_public_functions_are_not_shadowed_by_modules() -> None:
    import importlib

    for module in ("massincidents.linear.estimators", "massincidents.linear.hausman"):
        importlib.import_module(module)
    for name in ("linear", "hausman", "random_effects", "between", "first_difference"):
        assert callable(getattr(mi, name)), name


def test_quoted_column_names_with_dots(panel) -> None:
    df = panel.rename(columns={"x1": "ph.ecog"})
    fit = mi.linear("y_linear ~ `ph.ecog` + x2", df)
    ref = mi.linear("y_linear ~ x1 + x2", panel)
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params.to_numpy())
    with pytest.raises(mi.DataError, match=r"ph\.ecg"):
        mi.linear("y_linear ~ `ph.ecg` + x2", df)


# -- units: rescaling a regressor rescales its coefficient and nothing else (issue 13)
from hypothesis import given, settings  # noqa: E402

from scaling import EXPONENTS, check_rescaling  # noqa: E402


@pytest.fixture(scope="module")
def province_year() -> pd.DataFrame:
    return mi.datasets.load("province_year").reset_index()


def test_gdp_in_yuan_gives_the_same_model_as_gdp_in_100_million_yuan(province_year) -> None:
    # The defect: with GDP in yuan, numpy's lstsq truncated a singular value and
    # printed unemployment_rate +11.92 (SE 1.23) where statsmodels gives -3.67 (0.96).
    d = province_year.assign(gdp_yuan=province_year["gdp"] * 1e8)
    formula = "urbanisation_rate ~ {} + unemployment_rate"
    ref = smf.ols(formula.format("gdp"), d).fit()
    fit = mi.linear(formula.format("gdp_yuan"), d, vcov="iid")
    np.testing.assert_allclose(fit.params["unemployment_rate"], -3.66563694, rtol=1e-8)
    np.testing.assert_allclose(fit.params["unemployment_rate"], ref.params["unemployment_rate"])
    np.testing.assert_allclose(fit.bse["unemployment_rate"], ref.bse["unemployment_rate"])
    np.testing.assert_allclose(fit.params["gdp_yuan"] * 1e8, ref.params["gdp"], rtol=1e-10)
    assert fit.condition_number < 100


def test_random_effects_and_hausman_do_not_depend_on_units(province_year) -> None:
    d = province_year.assign(gdp_yuan=province_year["gdp"] * 1e8)
    out = {}
    for x in ("gdp", "gdp_yuan"):
        formula = f"urbanisation_rate ~ {x} + unemployment_rate"
        re = mi.random_effects(formula, d)
        fe = mi.linear(formula + " | province", d, vcov="iid")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[x] = (re.params["unemployment_rate"], mi.hausman(fe, re).statistic)
    # main printed +1.23 and chi2 = 172.6 (p 3e-38) in yuan, -5.65 and 1.07 in 1e8 yuan
    np.testing.assert_allclose(out["gdp_yuan"], out["gdp"], rtol=1e-8)
    assert out["gdp"][1] < 2


FAMILY = {
    "pooled": lambda d: mi.linear("y_linear ~ x1 + x2 + treated", d, vcov="hetero"),
    "two-way FE": lambda d: mi.linear("y_linear ~ x1 + x2 + treated | province + year", d),
    "two-way FE, CRV1 two-way": lambda d: mi.linear(
        "y_linear ~ x1 + x2 | province + year", d, vcov={"CRV1": "province+year"}
    ),
    "Driscoll-Kraay": lambda d: mi.linear("y_linear ~ x1 + x2 | province", d, vcov={"DK": 2}),
    "random effects": lambda d: mi.random_effects("y_linear ~ x1 + x2 + treated", d),
    "between": lambda d: mi.between("y_linear ~ x1 + x2", d, vcov="hetero"),
    "first differences": lambda d: mi.first_difference(
        "y_linear ~ x1 + x2", d, vcov={"CRV1": "province"}
    ),
}


@pytest.mark.parametrize("model", list(FAMILY))
@settings(max_examples=12, deadline=None)
@given(k=EXPONENTS)
def test_rescaling_a_regressor_rescales_only_its_coefficient(panel, model, k) -> None:
    check_rescaling(FAMILY[model], panel, "x1", k)


# -- one cluster: refused, not SE = 0 (issue 13, defect 2) -----------------------------------


def test_one_cluster_is_refused_with_the_column_and_its_levels(panel) -> None:
    one = panel.assign(country="China")
    with pytest.raises(mi.DataError, match=r"'country'.*1 level") as err:
        mi.linear("y_linear ~ x1 + x2", one, vcov={"CRV1": "country"})
    assert err.value.problems[0].column == "country"
    with pytest.raises(mi.DataError, match="'country'"):
        mi.linear("y_linear ~ x1 + x2 | province", one, vcov={"CRV0": "country"})
    fit = mi.linear("y_linear ~ x1 + x2", one, vcov="iid")
    with pytest.raises(mi.DataError, match="'country'"):
        fit.with_vcov({"CRV1": "country"})


def test_two_way_clustering_on_one_year_is_refused(panel) -> None:
    year = panel[panel["year"] == panel["year"].max()]
    with pytest.raises(mi.DataError, match=r"'year'.*1 level"):
        mi.linear("y_linear ~ x1 + x2", year, vcov={"CRV1": "province+year"})


def test_few_clusters_give_a_named_warning(panel) -> None:
    few = panel[panel["province"].isin(sorted(panel["province"].unique())[:8])]
    with pytest.warns(mi.FewClustersWarning, match="only 8 clusters of 'province'"):
        fit = mi.linear("y_linear ~ x1 + x2 | province", few)
    assert fit.vcov_label == "CRV1 by province"
