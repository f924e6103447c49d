"""Sun-Abraham interaction-weighted estimator: independent computation, pyfixest, simulation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.errors import DataError

KW = {"outcome": "y_linear", "unit": "province", "time": "year", "cohort": "cohort"}


def dynamic(g: int, e: int) -> float:
    return 0.1 * (e + 1)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mi.datasets.simulate_panel(n_provinces=60, n_years=12, seed=3, policy_effect=dynamic)


@pytest.fixture(scope="module")
def fit(panel: pd.DataFrame) -> mi.did.EventStudyResult:
    return mi.sun_abraham(panel, **KW)


def test_terms_and_weights(fit) -> None:
    assert "rel_time::-1" not in fit.params.index
    assert all(t.startswith("rel_time::") for t in fit.params.index)
    w = fit.extra["weights"]
    np.testing.assert_allclose(w.groupby("event_time")["weight"].sum(), 1.0, rtol=0, atol=1e-12)
    table = fit.event_table()
    assert table.loc[table["reference"], "event_time"].tolist() == [-1]


@pytest.mark.parametrize("covariates", [[], ["x1", "x2"]])
def test_matches_statsmodels_saturated_regression_and_hand_weights(panel, covariates) -> None:
    """The saturated regression with explicit dummies (statsmodels) and the cohort shares
    counted by hand give the same estimates, and the same delta-method variance once the
    small-sample factor is put on our convention (FE nested in the clusters not in K)."""
    sm = pytest.importorskip("statsmodels.formula.api")
    fit = mi.sun_abraham(panel, covariates=covariates, **KW)
    d = panel.copy()
    d["g"] = d["cohort"].astype("Float64").astype(float)
    d["e"] = d["year"] - d["g"]
    cells = sorted({(g, int(e)) for g, e in zip(d["g"], d["e"], strict=True) if g == g and e != -1})
    names = []
    for g, e in cells:
        name = f"c{int(g)}_{'m' if e < 0 else 'p'}{abs(e)}"
        d[name] = ((d["g"] == g) & (d["e"] == e)).astype(float)
        names.append(name)
    model = sm.ols(
        "y_linear ~ "
        + " + ".join(names)
        + "".join(f" + {c}" for c in covariates)
        + " + C(province) + C(year)",
        data=d,
    )
    res = model.fit(cov_type="cluster", cov_kwds={"groups": d["province"]})
    n, k_sm = len(d), int(res.df_model) + 1
    G = d["province"].nunique()
    # statsmodels: G/(G-1) (N-1)/(N-K) with every dummy in K. Ours: the unit dummies
    # (nested in the clusters) are not counted; K = cells + (T-1) year effects.
    k_ours = len(names) + len(covariates) + d["year"].nunique() - 1
    rescale = (n - k_sm) / (n - k_ours)
    V = res.cov_params().loc[names, names].to_numpy() * rescale
    b = res.params[names].to_numpy()
    counts = np.array([d[nm].sum() for nm in names])
    e_of = np.array([e for _, e in cells])
    events = sorted(set(e_of))
    W = np.zeros((len(events), len(names)))
    for j, e in enumerate(e_of):
        W[events.index(e), j] = counts[j] / counts[e_of == e].sum()
    nu, se = W @ b, np.sqrt(np.diag(W @ V @ W.T))
    ours = fit.params.loc[[f"rel_time::{e}" for e in events]].to_numpy()
    np.testing.assert_allclose(ours, nu, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fit.bse.loc[[f"rel_time::{e}" for e in events]], se, rtol=1e-6)
    assert G == 60


@pytest.mark.skipif(
    tuple(int(p) for p in np.__version__.split(".")[:2]) < (2, 1),
    reason="pyfixest 0.60's event_study calls np.reshape(..., shape=), numpy 2.1 and later "
    "(pyfixest declares numpy 1.25.2): no pyfixest reference with this numpy",
)
def test_matches_pyfixest_saturated_event_study(panel, fit) -> None:
    pf = pytest.importorskip("pyfixest")
    d = panel.copy()
    d["g"] = d["cohort"].fillna(0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = pf.event_study(
            d,
            yname="y_linear",
            idname="province",
            tname="year",
            gname="g",
            estimator="saturated",
            cluster="province",
        )
        agg = es.aggregate()
    agg.index = agg.index.astype(float).astype(int)
    ours_est = fit.params.rename(lambda t: int(t.split("::")[1]))
    common = agg.index.intersection(ours_est.index)
    assert len(common) == len(ours_est)
    np.testing.assert_allclose(
        ours_est.loc[common], agg.loc[common, "Estimate"].astype(float), rtol=1e-6, atol=1e-9
    )
    # Standard errors: pyfixest's CRV1 small-sample K differs from ours (Stata/reghdfe
    # convention, tested in tests/inference) by about one parameter: 0.1% here.
    ours_se = fit.bse.rename(lambda t: int(t.split("::")[1]))
    np.testing.assert_allclose(
        ours_se.loc[common], agg.loc[common, "Std. Error"].astype(float), rtol=2e-3
    )
    # with pyfixest's convention, its standard errors (the fit's, and after with_vcov)
    for fixest in (mi.sun_abraham(panel, **KW, ssc="fixest"),
                   fit.with_vcov({"CRV1": "province"}, ssc="fixest")):
        fixest_se = fixest.bse.rename(lambda t: int(t.split("::")[1]))
        np.testing.assert_allclose(
            fixest_se.loc[common], agg.loc[common, "Std. Error"].astype(float), rtol=1e-8
        )


def test_recovers_dynamic_effects_where_binned_twfe_is_contaminated() -> None:
    """tau(g, e) = 0.1 (e + 1): IW recovers every nu_e; the binned TWFE event study
    (window -3..3, endpoints binned) is biased in the lags and shows a spurious pre-trend."""
    df = mi.datasets.simulate_panel(
        n_provinces=200,
        n_years=12,
        seed=11,
        effects={},
        sigma_noise=0.001,
        policy_effect=dynamic,
    )
    sa = mi.sun_abraham(df, **KW)
    e = np.array([int(t.split("::")[1]) for t in sa.params.index])
    truth = np.where(e >= 0, 0.1 * (e + 1), 0.0)
    np.testing.assert_allclose(sa.params.to_numpy(), truth, atol=2e-3)
    assert mi.pretrend_test(sa).pvalue > 0.01

    es = mi.event_study(df, leads=3, lags=3, **KW)
    bias_lag2 = es.params["rel_time::2"] - 0.3
    assert bias_lag2 < -0.015  # contaminated by the binned later effects
    assert abs(bias_lag2) > 5 * es.bse["rel_time::2"]
    assert es.params["rel_time::-3"] > 0.015  # spurious pre-trend in the binned lead
    assert mi.pretrend_test(es).pvalue < 1e-6


def test_last_treated_control() -> None:
    df = mi.datasets.simulate_panel(
        n_provinces=80,
        n_years=12,
        seed=5,
        never_treated_share=0.0,
        policy_effect=dynamic,
        effects={},
        sigma_noise=0.001,
    )
    with pytest.raises(DataError, match="never-treated"):
        mi.sun_abraham(df, **KW)
    sa = mi.sun_abraham(df, control="last", **KW)
    last = int(df["cohort"].max())
    assert "period at or after the last cohort's adoption" in sa.left_out
    assert sa.nobs == int((df["year"] < last).sum())
    e = np.array([int(t.split("::")[1]) for t in sa.params.index])
    np.testing.assert_allclose(sa.params.to_numpy(), np.where(e >= 0, 0.1 * (e + 1), 0), atol=5e-3)


def test_with_vcov_and_cohort_fit(fit) -> None:
    het = fit.with_vcov("hetero")
    assert het.vcov_label != fit.vcov_label
    np.testing.assert_allclose(het.params, fit.params)
    W = fit.extra["aggregation"].to_numpy()
    cf = fit.extra["cohort_fit"].with_vcov("hetero")
    np.testing.assert_allclose(het.vcov.to_numpy(), W @ cf.vcov.to_numpy() @ W.T, rtol=1e-12)
    assert isinstance(het, mi.did.EventStudyResult)


def test_cohort_varying_within_unit(panel) -> None:
    bad = panel.copy()
    bad.loc[bad.index[3], "cohort"] = 2001
    with pytest.raises(DataError, match="cohort varies within unit"):
        mi.sun_abraham(bad, **KW)


def test_ssc_reaches_the_saturated_regression_and_with_vcov(panel) -> None:
    """ssc= picks the saturated regression's convention (fixest's: the constant absorbed by
    the unit effects counts in K), and with_vcov(ssc=) recomputes the aggregated variance."""
    default = mi.sun_abraham(panel, **KW)
    fixest = mi.sun_abraham(panel, **KW, ssc="fixest")
    pd.testing.assert_series_equal(fixest.params, default.params)
    n = default.nobs
    k = len(default.extra["cohort_fit"].params) + panel["year"].nunique() - 1
    ratio = (fixest.vcov / default.vcov).to_numpy()
    np.testing.assert_allclose(ratio, (n - k) / (n - k - 1), rtol=1e-10)
    assert fixest.vcov_label.endswith("ssc=fixest")
    again = default.with_vcov({"CRV1": "province"}, ssc="fixest")
    np.testing.assert_allclose(again.vcov.to_numpy(), fixest.vcov.to_numpy(), rtol=1e-12)
    assert again.vcov_label == fixest.vcov_label
    # the aggregation of the cohort fit's own variance, for another choice of the menu
    hetero = fixest.with_vcov("hetero")
    W = fixest.extra["aggregation"].to_numpy()
    cohort_hetero = fixest.extra["cohort_fit"].with_vcov("hetero").vcov.to_numpy()
    np.testing.assert_allclose(hetero.vcov.to_numpy(), W @ cohort_hetero @ W.T, rtol=1e-12)
