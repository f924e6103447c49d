"""Random effects, between and first differences: behaviour, row accounting, bad input.

The numbers themselves are checked against R plm in tests/reference/test_plm_grunfeld.py.
"""

from __future__ import annotations

import doctest
import importlib
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import massincidents as mi
from massincidents.core.design import CollinearityWarning


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mi.datasets.simulate_panel(n_provinces=31, n_years=8, seed=7, sigma_year=0.0)


def test_docstring_examples() -> None:
    for name in ("massincidents.linear.estimators", "massincidents.linear.transforms"):
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, name


# -- missing columns, formulas with absorbed effects, duplicate keys ------------------------

ESTIMATORS = {
    "random_effects": mi.random_effects,
    "between": mi.between,
    "first_difference": mi.first_difference,
}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_missing_column_names_close_matches(panel, name) -> None:
    estimator = ESTIMATORS[name]
    with pytest.raises(mi.DataError, match="close column names: x1"):
        estimator("y_linear ~ x11 + x2", panel)
    with pytest.raises(mi.DataError, match=r"'provnce'.*close column names: province"):
        estimator("y_linear ~ x1", panel, entity="provnce")


@pytest.mark.parametrize("name", ["random_effects", "first_difference"])
def test_missing_time_column(panel, name) -> None:
    with pytest.raises(mi.DataError, match="'yr'"):
        ESTIMATORS[name]("y_linear ~ x1", panel, time="yr")


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_absorbed_fixed_effects_are_refused(panel, name) -> None:
    with pytest.raises(ValueError, match="absorbs no fixed effects"):
        ESTIMATORS[name]("y_linear ~ x1 | year", panel)


@pytest.mark.parametrize("name", ["random_effects", "first_difference"])
def test_duplicate_unit_period_is_a_data_error(panel, name) -> None:
    df = pd.concat([panel, panel.iloc[[3]]], ignore_index=True)
    key = (int(panel["province"].iloc[3]), int(panel["year"].iloc[3]))
    with pytest.raises(mi.DataError, match=rf"\({key[0]}, {key[1]}\) occurs more than once"):
        ESTIMATORS[name]("y_linear ~ x1", df)


# -- random effects --------------------------------------------------------------------------


def test_random_effects_on_read_panel_index_and_row_accounting(panel) -> None:
    df = panel.copy()
    df.loc[df.index[:4], "x2"] = np.nan
    indexed = df.set_index(["province", "year"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = mi.random_effects("y_linear ~ x1 + x2", indexed)
    assert fit.nobs == len(df) - 4 and fit.left_out == {"missing value in x2": 4}
    assert "theta" not in fit.stats  # one unit lost four years: unbalanced
    assert fit.stats["theta_min"] < fit.stats["theta_max"]
    assert fit.extra["theta"].index.name is None and len(fit.extra["theta"]) == 31


def test_random_effects_balanced_theta_is_the_textbook_formula(panel) -> None:
    fit = mi.random_effects("y_linear ~ x1 + x2 + treated", panel)
    s2e, s2u, T = fit.stats["sigma2_idios"], fit.stats["sigma2_id"], 8
    assert fit.stats["theta"] == pytest.approx(1 - np.sqrt(s2e / (s2e + T * s2u)), rel=1e-12)
    assert fit.stats["n_units"] == 31
    assert fit.vcov_label == "iid" and fit.model.startswith("Random effects")


def test_random_effects_keeps_time_invariant_regressors(panel) -> None:
    df = panel.assign(coastal=(panel["province"] % 3 == 0) * 1.0)
    fit = mi.random_effects("y_linear ~ x1 + x2 + coastal", df)
    assert "coastal" in fit.params.index and not fit.dropped
    with pytest.warns(CollinearityWarning, match="absorbed"):
        fe = mi.linear("y_linear ~ x1 + x2 + coastal | province", df)
    assert "coastal" in fe.dropped


def test_negative_unit_variance_is_truncated_to_pooled_ols() -> None:
    # No unit effect at all: the Swamy-Arora estimate of sigma2_u is negative for this seed.
    df = mi.datasets.simulate_panel(
        n_provinces=31, n_years=5, seed=0, sigma_province=0.0, rho=0.0, sigma_year=0.0
    )
    fit = mi.random_effects("y_linear ~ x1 + x2", df)
    assert fit.stats["sigma2_id"] == 0.0 and fit.stats["theta"] == 0.0
    assert any("set to 0" in note for note in fit.notes)
    pooled = mi.linear("y_linear ~ x1 + x2", df, vcov="iid")
    np.testing.assert_allclose(fit.params, pooled.params, rtol=1e-12)
    np.testing.assert_allclose(fit.bse, pooled.bse, rtol=1e-12)


def test_random_effects_variance_menu_and_with_vcov(panel) -> None:
    fit = mi.random_effects("y_linear ~ x1 + x2", panel, vcov={"CRV1": "province"})
    assert fit.vcov_label == "CRV1 by province" and fit.df_inference == 30
    iid = fit.with_vcov("iid")
    pd.testing.assert_series_equal(fit.params, iid.params)
    assert not np.allclose(fit.bse, iid.bse)
    assert fit.with_vcov({"DK": 1}).vcov_label == "Driscoll-Kraay (1 lags)"


def test_random_effects_needs_more_units_than_coefficients() -> None:
    df = mi.datasets.simulate_panel(n_provinces=3, n_years=10, seed=1)
    with pytest.raises(mi.DataError, match="more units than coefficients"):
        mi.random_effects("y_linear ~ x1 + x2 + treated", df)


# -- between ---------------------------------------------------------------------------------


def test_between_is_ols_on_unit_means(panel) -> None:
    df = panel.copy()
    df.loc[df.index[:3], "x1"] = np.nan
    fit = mi.between("y_linear ~ x1 + x2", df, vcov="hetero")
    means = df.dropna(subset=["x1"]).groupby("province")[["y_linear", "x1", "x2"]].mean()
    ref = smf.ols("y_linear ~ x1 + x2", data=means).fit(cov_type="HC1")
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(fit.bse.to_numpy(), ref.bse.to_numpy(), rtol=1e-10)
    assert fit.nobs == 31 and fit.stats["n_rows"] == len(df) - 3
    assert fit.left_out == {"missing value in x1": 3}


def test_between_fewer_units_than_regressors_is_a_data_error() -> None:
    df = mi.datasets.simulate_panel(n_provinces=3, n_years=10, seed=1)
    with pytest.raises(mi.DataError, match="more units than coefficients: 3 unit"):
        mi.between("y_linear ~ x1 + x2 + treated", df)


def test_between_variance_needs_unit_level_columns(panel) -> None:
    df = panel.assign(region=panel["province"] // 100000)
    fit = mi.between("y_linear ~ x1 + x2", df, vcov={"CRV1": "region"})
    assert fit.vcov_label == "CRV1 by region"
    with pytest.raises(mi.DataError, match="constant within units"):
        mi.between("y_linear ~ x1 + x2", df, vcov={"CRV1": "year"})
    with pytest.raises(mi.DataError, match="Driscoll-Kraay"):
        mi.between("y_linear ~ x1 + x2", df, vcov={"DK": 1})


# -- first differences ------------------------------------------------------------------------


def _manual_fd(df: pd.DataFrame) -> pd.DataFrame:
    """First differences between consecutive years only, by pandas."""
    df = df.sort_values(["province", "year"])
    lagged = df.groupby("province")[["year", "y_linear", "x1", "x2"]].shift(1)
    ok = (df["year"] - lagged["year"]) == 1
    cols = ["y_linear", "x1", "x2"]
    return (df.loc[ok, cols] - lagged.loc[ok, cols]).rename(columns=lambda c: f"d_{c}")


def test_first_difference_with_gaps_and_missing_values(panel) -> None:
    df = panel.drop(index=[10, 11, 40]).sample(frac=1.0, random_state=3)  # gaps, shuffled
    df.loc[df.index[:2], "x2"] = np.nan
    fit = mi.first_difference("y_linear ~ x1 + x2", df)
    manual = _manual_fd(df.dropna(subset=["x2"]))
    ref = smf.ols("d_y_linear ~ d_x1 + d_x2", data=manual).fit()
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(fit.bse.to_numpy(), ref.bse.to_numpy(), rtol=1e-10)
    assert fit.nobs == len(manual)
    assert fit.left_out["missing value in x2"] == 2
    assert fit.left_out["first period of a unit (lost to differencing)"] == 31
    gaps = fit.left_out["preceding period absent or incomplete (lost to differencing)"]
    assert gaps == len(df) - 2 - 31 - len(manual) and gaps >= 2
    assert sum(fit.left_out.values()) == len(df) - fit.nobs


def test_first_difference_cluster_variance_is_on_the_later_rows(panel) -> None:
    df = panel.sample(frac=1.0, random_state=5)
    fit = mi.first_difference("y_linear ~ x1 + x2", df, vcov={"CRV0": "province"})
    manual = _manual_fd(df)
    manual["province"] = df.loc[manual.index, "province"]
    ref = smf.ols("d_y_linear ~ d_x1 + d_x2", data=manual).fit(
        cov_type="cluster", cov_kwds={"groups": manual["province"], "use_correction": False}
    )
    np.testing.assert_allclose(fit.bse.to_numpy(), ref.bse.to_numpy(), rtol=1e-10)


def test_first_difference_time_invariant_regressor_is_dropped(panel) -> None:
    df = panel.assign(coastal=(panel["province"] % 3 == 0) * 1.0)
    with pytest.warns(CollinearityWarning, match="constant zero"):
        fit = mi.first_difference("y_linear ~ x1 + coastal", df)
    assert fit.dropped == {"coastal": "collinear"}


def test_first_difference_string_periods_use_their_order(panel) -> None:
    df = panel.assign(period=panel["year"].astype(str) + "Q1")
    fit = mi.first_difference("y_linear ~ x1 + x2", df, time="period")
    ref = mi.first_difference("y_linear ~ x1 + x2", panel)
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-12)


def test_first_difference_too_few_periods(panel) -> None:
    one_year = panel[panel["year"] == panel["year"].min()]
    with pytest.raises(mi.DataError, match="first differences need consecutive periods"):
        mi.first_difference("y_linear ~ x1 + x2", one_year)
    two_apart = panel[panel["year"].isin([2000, 2002])]
    with pytest.raises(mi.DataError, match="0 difference"):
        mi.first_difference("y_linear ~ x1 + x2", two_apart)
