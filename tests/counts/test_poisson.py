"""mi.poisson: recovery of the truth, sample cleaning (all-zero groups, separation), errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import massincidents as mi
from massincidents.core.demean import ConvergenceError
from massincidents.core.design import CollinearityWarning, build_design
from massincidents.counts import SeparationWarning
from massincidents.counts.poisson import SEPARATED_RELU, SEPARATED_SIMPLE, ZERO_GROUP
from massincidents.counts.separation import (
    relu_separation,
    simple_separation,
    zero_outcome_groups,
)

FORMULA = "y ~ x1 + x2 + treated | province + year"
TRUTH = {"x1": 0.3, "x2": -0.2, "treated": 0.2}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=11)


def test_recovers_truth_with_nominal_coverage() -> None:
    """Poisson FE with exposure on NB2 counts: 120 simulated panels of 100 units x 8 years.

    Coverage of the default 95% intervals (CRV1 by unit, G/(G-1), normal) must not fall
    below the 0.1% quantile of Binomial(120, 0.95), i.e. 106 (observed: 110-112; the
    slight undercoverage with overdispersed counts vanishes as the panel grows).
    """
    hits = dict.fromkeys(TRUTH, 0)
    estimates = []
    for seed in range(120):
        df = mi.datasets.simulate_panel(n_provinces=100, n_years=8, alpha=0.2, seed=7000 + seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SeparationWarning)
            fit = mi.poisson(FORMULA, df, exposure="population")
        ci = fit.conf_int()
        for term, value in TRUTH.items():
            hits[term] += ci.loc[term, "lower"] <= value <= ci.loc[term, "upper"]
        estimates.append(fit.params[list(TRUTH)].to_numpy())
    assert min(hits.values()) >= 106, hits
    estimates = np.array(estimates)
    se_of_mean = estimates.std(axis=0, ddof=1) / np.sqrt(len(estimates))
    assert np.all(np.abs(estimates.mean(axis=0) - np.array(list(TRUTH.values()))) < 4 * se_of_mean)


def test_matches_statsmodels_glm_without_fixed_effects(panel) -> None:
    fit = mi.poisson("y ~ x1 + x2 + treated", panel, exposure="population", vcov="hetero")
    ref = smf.glm(
        "y ~ x1 + x2 + treated",
        data=panel,
        family=sm.families.Poisson(),
        exposure=panel["population"],
    ).fit(tol=1e-12)
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params.to_numpy(), rtol=1e-8)
    n = len(panel)
    hc0 = (
        smf.glm(
            "y ~ x1 + x2 + treated",
            data=panel,
            family=sm.families.Poisson(),
            exposure=panel["population"],
        )
        .fit(tol=1e-12, cov_type="HC0")
        .bse.to_numpy()
    )
    np.testing.assert_allclose(fit.bse.to_numpy(), hc0 * np.sqrt(n / (n - 1)), rtol=1e-6)
    np.testing.assert_allclose(fit.stats["loglik"], ref.llf, rtol=1e-10)
    np.testing.assert_allclose(fit.stats["deviance"], ref.deviance, rtol=1e-8)
    np.testing.assert_allclose(fit.stats["null_deviance"], ref.null_deviance, rtol=1e-8)


def test_offset_column_equals_exposure(panel) -> None:
    df = panel.assign(log_pop=np.log(panel["population"]))
    a = mi.poisson(FORMULA, df, exposure="population")
    b = mi.poisson(FORMULA, df, offset="log_pop")
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10)
    c = mi.poisson(FORMULA, df)
    assert not np.allclose(a.params, c.params)


def test_irr_and_with_vcov(panel) -> None:
    fit = mi.poisson(FORMULA, panel, exposure="population")
    irr = fit.irr()
    np.testing.assert_allclose(irr["irr"], np.exp(fit.params))
    assert (irr["conf_low"] < irr["irr"]).all() and (irr["irr"] < irr["conf_high"]).all()
    iid = fit.with_vcov("iid")
    pd.testing.assert_series_equal(iid.params, fit.params)
    assert iid.vcov_label == "iid" and not np.allclose(iid.bse, fit.bse)
    assert fit.stats["iterations"] >= 2
    assert 0 < fit.stats["pseudo_r2"] < 1


def test_all_zero_province_is_removed_and_reported(panel) -> None:
    df = panel.copy()
    zero_province = df["province"].unique()[4]
    df.loc[df["province"] == zero_province, "y"] = 0
    with pytest.warns(SeparationWarning, match="12 observation"):
        fit = mi.poisson(FORMULA, df, exposure="population")
    assert fit.left_out == {ZERO_GROUP: 12}
    assert fit.nobs == len(df) - 12
    rest = mi.poisson(FORMULA, df[df["province"] != zero_province], exposure="population")
    np.testing.assert_allclose(fit.params, rest.params, rtol=1e-10)


def test_relu_check_is_not_rerun_on_an_unchanged_sample(panel, monkeypatch) -> None:
    # The all-zero province is removed in the first pass of the separation loop,
    # so a second pass runs; the ReLU check found nothing on that same sample.
    import sys

    poisson_module = sys.modules["massincidents.counts.poisson"]
    df = panel.copy()
    df.loc[df["province"] == df["province"].unique()[4], "y"] = 0
    calls = []
    original = poisson_module.relu_separation

    def counted(*args, **kwargs):
        calls.append(args[0].shape[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(poisson_module, "relu_separation", counted)
    with pytest.warns(SeparationWarning):
        fit = mi.poisson(FORMULA, df, exposure="population")
    assert calls == [fit.nobs]


def test_relu_check_runs_once_when_it_removed_rows(panel, monkeypatch) -> None:
    # The ReLU check finds every separated row at once, and the removals after it
    # (all-zero groups, singletons) cannot separate another row: the second pass of
    # the loop, made because rows were removed, does not run it again.
    import sys

    poisson_module = sys.modules["massincidents.counts.poisson"]
    df = panel.copy()
    zeros = df.index[:5]
    df.loc[zeros, "y"] = 0
    rng = np.random.default_rng(0)
    df["b"] = rng.normal(size=len(df))
    df["a"] = df["b"]
    df.loc[zeros, "a"] += rng.uniform(0.5, 1.5, size=5)
    calls = []
    original = poisson_module.relu_separation

    def counted(*args, **kwargs):
        calls.append(args[0].shape[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(poisson_module, "relu_separation", counted)
    with pytest.warns(SeparationWarning, match="ReLU"), pytest.warns(CollinearityWarning):
        fit = mi.poisson("y ~ x1 + a + b | province + year", df, exposure="population")
    assert fit.left_out == {SEPARATED_RELU: 5}
    assert calls == [len(df)]


def test_simple_separation_is_detected(panel) -> None:
    df = panel.copy()
    df.loc[df.index[:6], "y"] = 0
    df["flag"] = 0.0
    df.loc[df.index[:4], "flag"] = 1.0  # non-zero only where y = 0
    with pytest.warns(SeparationWarning, match="separated"), pytest.warns(CollinearityWarning):
        fit = mi.poisson("y ~ x1 + x2 + flag | province + year", df, exposure="population")
    assert fit.left_out == {SEPARATED_SIMPLE: 4}
    assert "flag" in fit.dropped and "flag" not in fit.params.index
    assert any("flag" in note for note in fit.notes)
    clean = mi.poisson("y ~ x1 + x2 | province + year", df.iloc[4:], exposure="population")
    np.testing.assert_allclose(fit.params, clean.params, rtol=1e-9)


def test_separation_by_a_combination_needs_the_relu_method(panel) -> None:
    """a - b is zero where y > 0 and positive on five zero rows: no single regressor separates."""
    df = panel.copy()
    zeros = df.index[:5]
    df.loc[zeros, "y"] = 0
    rng = np.random.default_rng(0)
    df["b"] = rng.normal(size=len(df))
    df["a"] = df["b"]
    df.loc[zeros, "a"] += rng.uniform(0.5, 1.5, size=5)
    design = build_design("y ~ x1 + a + b | province + year", df)
    assert not simple_separation(design.y, design.X, design.names)[0].any()
    separated, concluded, _ = relu_separation(design.y, design.X, design.fe)
    assert concluded and set(np.flatnonzero(separated)) == set(range(5))
    with pytest.warns(SeparationWarning, match="ReLU"), pytest.warns(CollinearityWarning):
        fit = mi.poisson("y ~ x1 + a + b | province + year", df, exposure="population")
    assert fit.left_out == {SEPARATED_RELU: 5}
    assert len(fit.dropped) == 1  # a and b are collinear once the five rows are gone
    assert np.isfinite(fit.bse).all()


def test_separation_by_regressor_and_fixed_effect_together(panel) -> None:
    """x is province P's dummy where y > 0 and exceeds it on P's zero rows: x - D_P separates."""
    df = panel.copy()
    province = df["province"].unique()[2]
    in_p = (df["province"] == province).to_numpy()
    rows_p = np.flatnonzero(in_p)
    df.loc[df.index[rows_p[:3]], "y"] = 0
    df["x"] = np.where(in_p, 1.0, 0.0)
    df.loc[df.index[rows_p[:3]], "x"] = 2.0
    with pytest.warns(SeparationWarning, match="ReLU"), pytest.warns(CollinearityWarning):
        fit = mi.poisson("y ~ x1 + x | province + year", df, exposure="population")
    assert fit.left_out == {SEPARATED_RELU: 3}
    assert "x" in fit.dropped  # x is province P's dummy on the rows left: absorbed


def test_relu_finds_exactly_the_all_zero_groups_on_ordinary_data() -> None:
    """Many zeros, a few all-zero units (whose dummy is a certificate) and no other separation."""
    df = mi.datasets.simulate_panel(n_provinces=60, n_years=10, rate=0.0005, seed=3)
    assert (df["y"] == 0).mean() > 0.1
    design = build_design(FORMULA, df)
    zero_groups = zero_outcome_groups(design.y, design.fe)
    assert zero_groups.any()
    separated, concluded, _ = relu_separation(design.y, design.X, design.fe)
    assert concluded
    np.testing.assert_array_equal(separated, zero_groups)


def test_non_convergence_raises_a_named_error(panel) -> None:
    with pytest.raises(ConvergenceError, match="did not converge in 1 iterations"):
        mi.poisson(FORMULA, panel, exposure="population", maxiter=1)


def test_missing_column_names_close_matches(panel) -> None:
    with pytest.raises(mi.DataError, match="close column names: x1"):
        mi.poisson("y ~ x11 | province", panel)
    with pytest.raises(mi.DataError, match="population"):
        mi.poisson("y ~ x1 | province", panel, exposure="populaton")


def test_bad_outcomes_and_exposures_are_data_errors(panel) -> None:
    df = panel.copy()
    df.loc[df.index[3], "y"] = -1
    with pytest.raises(mi.DataError, match="non-negative") as info:
        mi.poisson(FORMULA, df)
    assert info.value.problems[0].row == 3
    df = panel.copy()
    df.loc[df.index[[2, 7]], "population"] = 0.0
    with pytest.raises(mi.DataError, match="exposure must be positive") as info:
        mi.poisson(FORMULA, df, exposure="population")
    assert [p.row for p in info.value.problems] == [2, 7]
    with pytest.raises(mi.DataError, match="zero in every row"):
        mi.poisson("y ~ x1", panel.assign(y=0))


def test_non_integer_outcomes_are_allowed_for_pml(panel) -> None:
    df = panel.assign(rate=panel["y"] / panel["population"] * 1000)
    fit = mi.poisson("rate ~ x1 + x2 | province + year", df)
    assert np.isfinite(fit.params).all()


def test_missing_rows_are_reported(panel) -> None:
    df = panel.copy()
    df.loc[df.index[:3], "x1"] = np.nan
    fit = mi.poisson(FORMULA, df, exposure="population")
    assert fit.left_out == {"missing value in x1": 3}
    assert fit.nobs == len(df) - 3


def test_score_bootstrap_data_agree_with_the_bootstrap_module(panel) -> None:
    """extra["bootstrap"] (built from the fit) equals poisson_score_data (a separate IRLS)."""
    from massincidents.inference.bootstrap import poisson_score_data

    fit = mi.poisson(FORMULA, panel, exposure="population")
    ours = fit.extra["bootstrap"]
    fe = [pd.factorize(panel[c])[0] for c in ("province", "year")]
    ref = poisson_score_data(
        panel["y"].to_numpy(float),
        panel[["x1", "x2", "treated"]].to_numpy(float),
        ["x1", "x2", "treated"],
        cluster=lambda name: panel[name].to_numpy(),
        fe=fe,
        offset=np.log(panel["population"].to_numpy()),
    )
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-9)
    np.testing.assert_allclose(ours.bread, ref.bread, rtol=1e-7)
    for (s1, b1), (s2, b2) in [(ours.restricted(2, 0.0), ref.restricted(2, 0.0))]:
        np.testing.assert_allclose(s1, s2, rtol=1e-6, atol=1e-9 * np.abs(s2).max())
        np.testing.assert_allclose(b1, b2, rtol=1e-7)
    result = mi.wild_bootstrap(fit, "treated", cluster="province", reps=199, seed=1)
    assert 0 <= result.pvalue <= 1


# -- units: rescaling a regressor rescales its coefficient and nothing else (issue 13)
from hypothesis import given, settings  # noqa: E402

from scaling import EXPONENTS, check_rescaling  # noqa: E402

POISSON_FAMILY = {
    "pooled, exposure": lambda d: mi.poisson("y ~ x1 + x2 + treated", d, exposure="population"),
    "two-way FE, exposure": lambda d: mi.poisson(FORMULA, d, exposure="population"),
    "two-way FE, hetero": lambda d: mi.poisson(FORMULA, d, offset="log_pop", vcov="hetero"),
    "FE, two-way clusters, fixest": lambda d: mi.poisson(
        FORMULA, d, exposure="population", vcov={"CRV1": "province+year"}, ssc="fixest"
    ),
}


@pytest.fixture(scope="module")
def units_panel(panel) -> pd.DataFrame:
    return panel.assign(log_pop=np.log(panel["population"]))


@pytest.mark.parametrize("model", list(POISSON_FAMILY))
@settings(max_examples=10, deadline=None)
@given(k=EXPONENTS)
def test_rescaling_a_regressor_rescales_only_its_coefficient(units_panel, model, k) -> None:
    check_rescaling(POISSON_FAMILY[model], units_panel, "x1", k)


def test_condition_number_is_on_the_result_and_unit_free(units_panel) -> None:
    fit = mi.poisson(FORMULA, units_panel, exposure="population")
    scaled_data = units_panel.assign(x1=units_panel["x1"] * 1e12)
    scaled = mi.poisson(FORMULA, scaled_data, exposure="population")
    assert 1 <= fit.condition_number < 100
    np.testing.assert_allclose(scaled.condition_number, fit.condition_number, rtol=1e-8)


def test_relu_separation_check_does_not_depend_on_units() -> None:
    """Separation by a combination of two regressors, one of them in tiny units.

    The ReLU check decided the rank of its least-squares problem on raw columns: a
    regressor in units 1e-12 looked like a column of zeros, the certificate x1 - x2 was
    not found, and the separated rows stayed in (with estimates running off to infinity).
    """
    rng = np.random.default_rng(5)
    n = 200
    x2 = rng.normal(size=n)
    x1 = x2.copy()
    separated = np.arange(n) < 12
    x1[separated] += 1.0 + rng.random(12)  # x1 - x2 > 0 only on rows with y = 0
    y = rng.poisson(np.exp(0.5 + 0.3 * x2)).astype(float)
    y[separated] = 0.0
    df = pd.DataFrame({"y": y, "x1": x1, "x2": x2})
    left = {}
    for k in (0, -12):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = mi.poisson("y ~ x1 + x2", df.assign(x1=df["x1"] * 10.0**k), separation="relu")
        left[k] = fit.left_out.get(SEPARATED_RELU, 0)
    assert left[0] == 12
    assert left[-12] == left[0]
