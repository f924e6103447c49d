"""mi.iv: estimates, variances, row accounting, refusals, units, results that pickle."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from simulated_iv import simulate

import massincidents as mi
from massincidents.core.design import CollinearityWarning
from massincidents.errors import DataError
from scaling import EXPONENTS, check_rescaling

FORMULA = "y ~ x | unit + year | d ~ z1 + z2"


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        return function(*args, **kwargs)


def test_recovers_the_truth_and_differs_from_ols(panel) -> None:
    big = simulate(seed=5, units=200, years=10)
    fit = mi.iv(FORMULA, big, vcov={"CRV1": "unit"})
    ols = mi.linear("y ~ x + d | unit + year", big)
    assert abs(fit.params["d"] - 1.5) < 3 * fit.bse["d"]
    assert abs(ols.params["d"] - 1.5) > 10 * ols.bse["d"]  # OLS is biased by the shared u
    assert list(fit.params.index) == ["x", "d"]
    assert fit.vcov_label == "CRV1 by unit" and fit.df_inference == 199


def test_absorbed_fixed_effects_equal_dummies(panel) -> None:
    """Absorbing the fixed effects gives the dummy-variable regression's slopes and variances."""
    absorbed = _quiet(mi.iv, FORMULA, panel, vcov={"CRV1": "unit"},
                      ssc=mi.ssc(fixef_k="full", constant_in_k=False))
    dummies = _quiet(mi.iv, "y ~ x + C(unit) + C(year) | d ~ z1 + z2", panel,
                     vcov={"CRV1": "unit"})
    for name in ("x", "d"):
        assert absorbed.params[name] == pytest.approx(dummies.params[name], rel=1e-9)
        assert absorbed.bse[name] == pytest.approx(dummies.bse[name], rel=1e-9)
    for method in ("liml", "2sls"):
        a = mi.iv(FORMULA, panel, vcov="iid", method=method)
        b = mi.iv("y ~ x + C(unit) + C(year) | d ~ z1 + z2", panel, vcov="iid", method=method)
        assert a.params["d"] == pytest.approx(b.params["d"], rel=1e-9)
        assert a.bse["d"] == pytest.approx(b.bse["d"], rel=1e-9)
    assert absorbed.fittedvalues.to_numpy() == pytest.approx(
        dummies.fittedvalues.to_numpy(), rel=1e-9)


def test_every_variance_of_the_menu_and_every_convention(panel) -> None:
    fit = _quiet(mi.iv, FORMULA, panel, vcov="iid")
    for choice in ("iid", "hetero", {"CRV1": "unit"}, {"CRV0": "unit"},
                   {"CRV1": "unit+year"}, {"DK": 2}):
        for ssc in ("R", "stata", "fixest"):
            other = _quiet(fit.with_vcov, choice, ssc=ssc)
            assert np.all(np.isfinite(other.bse)) and (other.params == fit.params).all()
    # nested fixed effect: R counts no unit level in K, stata and fixest one
    r = _quiet(fit.with_vcov, {"CRV1": "unit"}, ssc="R")
    s = _quiet(fit.with_vcov, {"CRV1": "unit"}, ssc="stata")
    n, k, years = fit.nobs, 2, 11
    ratio = (s.bse["d"] / r.bse["d"]) ** 2
    assert ratio == pytest.approx((n - k - years) / (n - k - years - 1), rel=1e-12)


def test_with_vcov_recomputes_first_stages_and_diagnostics(panel) -> None:
    fit = mi.iv(FORMULA, panel, vcov="iid")
    robust = fit.with_vcov("hetero")
    direct = mi.iv(FORMULA, panel, vcov="hetero")
    assert robust.diagnostics.first_stage["d"].f == pytest.approx(
        direct.diagnostics.first_stage["d"].f, rel=1e-12)
    assert robust.first_stage["d"].vcov_label == direct.first_stage["d"].vcov_label
    assert robust.diagnostics.overidentification.name == "Hansen J"
    assert fit.diagnostics.overidentification.name == "Sargan"


def test_gmm_with_iid_weight_is_2sls_and_liml_just_identified_is_2sls(panel) -> None:
    tsls = mi.iv(FORMULA, panel, vcov="iid")
    gmm = mi.iv(FORMULA, panel, vcov="iid", method="gmm")
    assert gmm.params.to_numpy() == pytest.approx(tsls.params.to_numpy(), rel=1e-10)
    assert gmm.bse.to_numpy() == pytest.approx(tsls.bse.to_numpy(), rel=1e-10)
    just = "y ~ x | unit + year | d ~ z1"
    liml = mi.iv(just, panel, vcov="hetero", method="liml")
    assert liml.stats["kappa"] == pytest.approx(1.0, abs=1e-10)
    assert liml.params.to_numpy() == pytest.approx(
        mi.iv(just, panel, vcov="hetero").params.to_numpy(), rel=1e-9)
    over = mi.iv(FORMULA, panel, method="liml", vcov="iid")
    assert over.stats["kappa"] > 1 and over.model == "IV (LIML)"


def test_first_stage_results(panel) -> None:
    fit = _quiet(mi.iv, FORMULA, panel)
    first = fit.first_stage["d"]
    ols = _quiet(mi.linear, "d ~ x + z1 + z2 | unit + year", panel)
    assert first.params.to_numpy() == pytest.approx(ols.params.to_numpy(), rel=1e-10)
    assert first.bse.to_numpy() == pytest.approx(ols.bse.to_numpy(), rel=1e-10)
    assert first.formula == "d ~ x + z1 + z2 | unit + year"


def test_rows_left_out_by_reason_and_predictions(panel) -> None:
    data = panel.copy()
    data.loc[[0, 5], "z2"] = np.nan
    data.loc[7, "y"] = np.nan
    data.loc[9, "d"] = np.nan
    fit = _quiet(mi.iv, FORMULA, data)
    assert fit.left_out == {"missing value in y": 1, "missing value in d": 1,
                            "missing value in z2": 2}
    assert fit.nobs == len(data) - 4
    assert fit.rows["used"] == fit.nobs
    used = fit.fittedvalues.index[:20]
    assert 0 not in used and 7 not in used
    assert fit.predict(data.loc[used]).to_numpy() == pytest.approx(
        fit.fittedvalues.loc[used].to_numpy(), rel=1e-8)
    assert np.isnan(fit.predict(data.loc[[9]]).iloc[0])  # d missing: no prediction
    tidy = fit.tidy()
    assert list(tidy["term"]) == ["x", "d"]


def test_pickles(panel) -> None:
    fit = _quiet(mi.iv, FORMULA, panel, method="gmm", vcov={"CRV1": "unit"})
    again = pickle.loads(pickle.dumps(fit))
    assert (again.params == fit.params).all()
    j = fit.diagnostics.overidentification.statistic
    assert again.diagnostics.overidentification.statistic == j
    assert again.first_stage["d"].bse.equals(fit.first_stage["d"].bse)
    assert _quiet(again.with_vcov, "hetero").bse.equals(_quiet(fit.with_vcov, "hetero").bse)
    assert "Kleibergen-Paap" in again.summary()


def test_under_identification_is_refused_naming_the_variables(panel) -> None:
    panel = panel.assign(d2=panel["d"] ** 2)
    with pytest.raises(DataError, match=r"under-identified.*d, d2.*z1"):
        mi.iv("y ~ x | unit + year | d + d2 ~ z1", panel)


def test_an_instrument_collinear_with_the_regressors_is_dropped_then_refused(panel) -> None:
    panel = panel.assign(z3=2 * panel["x"] - 1, z4=panel["z1"] * 3)
    with pytest.warns(CollinearityWarning, match="z3"), \
            pytest.raises(DataError, match="after dropping collinear instruments"):
        mi.iv("y ~ x | d ~ z3", panel, vcov="iid")
    with pytest.warns(CollinearityWarning, match="z4"):
        fit = mi.iv("y ~ x | d ~ z1 + z4", panel, vcov="iid")
    assert fit.dropped == {"z4": "collinear instrument"}
    assert fit.params["d"] == pytest.approx(mi.iv("y ~ x | d ~ z1", panel, vcov="iid").params["d"])


def test_an_instrument_absorbed_by_the_fixed_effects_is_dropped(panel) -> None:
    panel = panel.assign(zu=panel["unit"] * 0.1)
    with pytest.warns(CollinearityWarning, match="zu"):
        fit = mi.iv("y ~ x | unit + year | d ~ z1 + zu", panel, vcov="iid")
    assert "zu" in fit.dropped


def test_endogenous_listed_as_instrument_is_refused(panel) -> None:
    with pytest.raises(DataError, match="both as an instrument"):
        mi.iv("y ~ x | d ~ d + z1", panel)


def test_one_cluster_is_refused(panel) -> None:
    with pytest.raises(DataError, match="at least two clusters"):
        mi.iv(FORMULA, panel.assign(one=1), vcov={"CRV1": "one"})
    with pytest.raises(DataError, match="at least two clusters"):
        mi.iv(FORMULA, panel.assign(one=1), vcov={"CRV1": "one"}, method="gmm")


def test_unknown_method_is_refused(panel) -> None:
    with pytest.raises(ValueError, match="method"):
        mi.iv(FORMULA, panel, method="3sls")


@settings(max_examples=8, deadline=None)
@given(k=EXPONENTS)
def test_rescaling_the_endogenous_regressor_rescales_only_its_coefficient(k) -> None:
    panel = simulate()
    for method in ("2sls", "liml", "gmm"):
        check_rescaling(lambda d, m=method: mi.iv(FORMULA, d, vcov="hetero", method=m),
                        panel, "d", k, terms=["d"])


@settings(max_examples=8, deadline=None)
@given(k=EXPONENTS)
def test_rescaling_an_instrument_changes_nothing(k) -> None:
    panel = simulate()

    def diagnostics(d: pd.DataFrame) -> np.ndarray:
        g = mi.iv(FORMULA, d, vcov="hetero", method="gmm").diagnostics
        return np.array([g.first_stage["d"].f, g.cragg_donald.statistic,
                         g.kleibergen_paap_wald.statistic, g.kleibergen_paap_lm.statistic,
                         g.anderson_rubin.statistic, g.overidentification.statistic,
                         g.endogeneity.statistic, *np.ravel(g.anderson_rubin_set.intervals)])

    scaled = panel.assign(z1=panel["z1"] * 10.0**k)
    for method in ("2sls", "liml", "gmm"):
        base = mi.iv(FORMULA, panel, vcov="hetero", method=method)
        other = mi.iv(FORMULA, scaled, vcov="hetero", method=method)
        np.testing.assert_allclose(other.params, base.params, rtol=1e-8)
        np.testing.assert_allclose(other.bse, base.bse, rtol=1e-8)
        for key, value in base.stats.items():
            assert other.stats[key] == pytest.approx(value, rel=1e-8), key
        first = other.first_stage["d"].params.drop("z1")
        np.testing.assert_allclose(first, base.first_stage["d"].params.drop("z1"), rtol=1e-8)
    np.testing.assert_allclose(diagnostics(scaled), diagnostics(panel), rtol=1e-8)


def test_registered_in_the_model_registry() -> None:
    from massincidents.registry import get_model

    entry = get_model("iv")
    assert entry.load() is mi.iv
    assert (entry.family, entry.exposure, entry.absorbed_fe) == ("iv", False, True)
    assert set(entry.vcov) == {"iid", "hetero", "CRV1", "CRV0", "DK"}


def test_categorical_instruments_are_coded_against_a_reference_level(panel) -> None:
    panel = panel.assign(g=np.where(panel["z1"] > 0.5, "high", np.where(panel["z1"] < -0.5,
                                                                        "low", "mid")))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CollinearityWarning)
        fit = mi.iv("y ~ x | unit + year | d ~ C(g) + z2", panel, vcov="iid")
        pooled = mi.iv("y ~ x | d ~ C(g) + z2", panel, vcov="iid")
    assert list(fit.first_stage["d"].params.index) == ["x", "C(g)[T.low]", "C(g)[T.mid]", "z2"]
    assert "Intercept" in pooled.first_stage["d"].params.index


def test_endogenous_regressor_listed_as_exogenous_is_refused(panel) -> None:
    with pytest.raises(DataError, match="both as an exogenous and as an endogenous"):
        mi.iv("y ~ x + d | d ~ z1 + z2", panel)


def test_gmm_refuses_more_moments_than_clusters(panel) -> None:
    """Three moments (x, z1, z2) and two clusters: the clustered moment variance has rank
    two, the efficient weight matrix does not exist. It used to pass the Cholesky factor by
    rounding and return estimates with nan standard errors."""
    data = panel.assign(c=panel["unit"] % 2)
    with pytest.raises(DataError, match="not positive definite"):
        _quiet(mi.iv, FORMULA, data, vcov={"CRV1": "c"}, method="gmm")
    fit = _quiet(mi.iv, FORMULA, panel.assign(c=panel["unit"] % 4), vcov={"CRV1": "c"},
                 method="gmm")
    assert np.all(np.isfinite(fit.bse))


@pytest.mark.parametrize("level", [95, 1.5, 0, 1, -0.1, True])
def test_a_coverage_outside_zero_one_is_refused(panel, level) -> None:
    """level=95 used to fail when the diagnostics were read (a LinAlgError about infs), and
    level=0 gave an 'empty set'."""
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        mi.iv(FORMULA, panel, vcov="iid", level=level)
    fit = mi.iv(FORMULA, panel, vcov="iid")
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        fit.anderson_rubin_set(level)


def test_a_first_stage_without_degrees_of_freedom_is_refused(panel) -> None:
    """A numeric instrument stored as text is one dummy per value: the first stage is
    saturated. This raised ZeroDivisionError."""
    data = panel.assign(s=panel["z1"].astype(object))
    with pytest.raises(DataError, match="first stage has no residual degrees of freedom"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CollinearityWarning)
            mi.iv("y ~ x | d ~ s", data, vcov="iid")


def test_a_categorical_endogenous_regressor_is_coded_as_in_the_structural_equation(panel) -> None:
    """A text or categorical endogenous term was coded with every level while the structural
    equation drops the reference level: the model was refused with one 'is not a column of
    the model' per level. It is the regression on the dummies, each instrumented."""
    data = panel.assign(g=np.where(panel["d"] > 0.5, "high", np.where(panel["d"] < -0.5,
                                                                        "low", "mid")),
                        z3=panel["z1"] * panel["z2"])
    data["hi"] = (data["g"] == "high").astype(float)
    data["lo"] = (data["g"] == "low").astype(float)
    fit = mi.iv("y ~ x | unit + year | C(g) ~ z1 + z2 + z3", data, vcov="iid")
    dummies = mi.iv("y ~ x | unit + year | hi + lo ~ z1 + z2 + z3", data, vcov="iid")
    assert list(fit.params.index) == ["x", "C(g)[T.low]", "C(g)[T.mid]"]
    assert fit.params["C(g)[T.low]"] == pytest.approx(
        dummies.params["lo"] - dummies.params["hi"], rel=1e-9)
    with pytest.raises(DataError, match="under-identified"):
        mi.iv("y ~ x | unit + year | C(g) ~ z1", data)


def test_with_vcov_after_another_convention_keeps_variance_label_and_first_stages_together(
    panel,
) -> None:
    """A result recomputed under ssc="stata" and then under another choice (ssc=None, "keep
    the convention") is one convention throughout: the variance, its label, vcov_ssc, the
    first stages and the diagnostics. Before, the variance and label went back to the fit's
    "R" while vcov_ssc, the first stages and the Anderson-Rubin test stayed at "stata".
    Fresh fits record vcov_ssc and vcov_spec as with_vcov does."""
    fit = _quiet(mi.iv, FORMULA, panel, vcov="iid")
    chained = _quiet(fit.with_vcov("hetero", ssc="stata").with_vcov, {"CRV1": "unit"})
    fresh = _quiet(mi.iv, FORMULA, panel, vcov={"CRV1": "unit"}, ssc="stata")
    np.testing.assert_allclose(chained.vcov.to_numpy(), fresh.vcov.to_numpy(), rtol=1e-12)
    assert chained.vcov_label == fresh.vcov_label == "CRV1 by unit; ssc=stata"
    assert chained.vcov_ssc == fresh.vcov_ssc == fresh.extra["ssc"]
    assert chained.vcov_spec == fresh.vcov_spec == fresh.extra["vcov_spec"]
    np.testing.assert_allclose(
        chained.first_stage["d"].vcov.to_numpy(), fresh.first_stage["d"].vcov.to_numpy(),
        rtol=1e-12,
    )
    assert chained.first_stage["d"].vcov_label == fresh.first_stage["d"].vcov_label
    assert chained.anderson_rubin(1.5).pvalue == pytest.approx(
        fresh.anderson_rubin(1.5).pvalue, rel=1e-10
    )
