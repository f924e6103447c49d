"""The ``ssc=`` switch: presets, ``mi.ssc(...)``, and the fixest preset against pyfixest.

``ssc="fixest"`` must give pyfixest's ``feols`` numbers (its defaults: ``ssc(k_adj=True,
k_fixef="nonnested", G_adj=True, G_df="min")``, which are fixest's) on designs with no,
one, two and three absorbed fixed effects, fixed effects nested in the clusters and not,
one- and two-way clustering. pyfixest runs in the same test process: the comparison is
live, not frozen. The Stata preset is checked against frozen Stata output in
``tests/reference/test_stata_xtreg.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.inference.conventions import PRESETS, SmallSample, resolve_ssc

# 12 years and 6 regions are few clusters; the warning is tested in test_vcov.py
pytestmark = pytest.mark.filterwarnings("ignore::massincidents.FewClustersWarning")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    df = mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=21)
    rng = np.random.default_rng(3)
    df["region"] = df["province"] // 100000  # provinces nested in 6 regions
    df["grp"] = rng.integers(0, 7, len(df))  # crosses provinces and years
    return df


DESIGNS = {
    "pooled": "y_linear ~ x1 + x2",
    "one FE": "y_linear ~ x1 + x2 | province",
    "two FE": "y_linear ~ x1 + x2 | province + year",
    "three FE": "y_linear ~ x1 + x2 | province + year + grp",
    "FE coarser than clusters": "y_linear ~ x1 + x2 | region + year",
}
VCOVS = {
    "iid": "iid",
    "hetero": "hetero",
    "CRV1 province": {"CRV1": "province"},  # nested: province FE; region FE is not
    "CRV1 region": {"CRV1": "region"},  # province FE nested in region clusters
    "CRV1 year": {"CRV1": "year"},
    "CRV1 province+year": {"CRV1": "province+year"},
}


@pytest.mark.parametrize("vcov", sorted(VCOVS))
@pytest.mark.parametrize("design", sorted(DESIGNS))
def test_fixest_preset_equals_pyfixest(data, design, vcov) -> None:
    pf = pytest.importorskip("pyfixest")
    formula, choice = DESIGNS[design], VCOVS[vcov]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)  # 6 regions, 12 years
        ours = mi.linear(formula, data, vcov=choice, ssc="fixest")
    ref = pf.feols(
        formula,
        data=data,
        vcov=choice if isinstance(choice, str) else dict(choice),
        fixef_tol=1e-13,  # pyfixest demeans iteratively: converge to our precision
    )
    names = ["x1", "x2"]
    np.testing.assert_allclose(ours.params[names], ref.coef()[names], rtol=1e-9)
    np.testing.assert_allclose(ours.bse[names], ref.se()[names], rtol=1e-9)
    np.testing.assert_allclose(ours.tvalues[names], ref.tstat()[names], rtol=1e-9)
    np.testing.assert_allclose(ours.pvalues[names], ref.pvalue()[names], rtol=1e-6, atol=1e-15)
    assert ours.vcov_label.endswith("ssc=fixest")


def test_the_presets_differ_where_their_sources_differ(data) -> None:
    """One FE nested in the clusters: R (plm) counts no parameter for it, Stata/fixest one."""
    fits = {
        s: mi.linear("y_linear ~ x1 | province", data, vcov={"CRV1": "province"}, ssc=s)
        for s in ("R", "stata", "fixest")
    }
    n, k = fits["R"].nobs, 1
    ratio = (fits["stata"].bse["x1"] / fits["R"].bse["x1"]) ** 2
    assert ratio == pytest.approx((n - k) / (n - k - 1), rel=1e-12)
    assert fits["stata"].bse["x1"] == pytest.approx(fits["fixest"].bse["x1"], rel=1e-14)
    # two-way clustering: fixest and Stata (reghdfe) use min(G) for every term, R each G
    two = {
        s: mi.linear("y_linear ~ x1", data, vcov={"CRV1": "province+year"}, ssc=s)
        for s in ("R", "fixest")
    }
    min_rule = mi.linear("y_linear ~ x1", data, vcov={"CRV1": "province+year", "cluster_df": "min"})
    assert two["fixest"].bse["x1"] == pytest.approx(min_rule.bse["x1"], rel=1e-14)
    assert two["fixest"].bse["x1"] != pytest.approx(two["R"].bse["x1"], rel=1e-6)


def test_default_is_r_and_unchanged(data) -> None:
    for vcov in VCOVS.values():
        a = mi.linear("y_linear ~ x1 + x2 | province + year", data, vcov=vcov)
        b = mi.linear("y_linear ~ x1 + x2 | province + year", data, vcov=vcov, ssc="R")
        pd.testing.assert_frame_equal(a.vcov, b.vcov)
        assert a.vcov_label == b.vcov_label and "ssc" not in a.vcov_label


def test_with_vcov_takes_ssc_and_keeps_the_fit_convention(data) -> None:
    f = "y_linear ~ x1 + x2 | province"
    r_fit = mi.linear(f, data, vcov="iid")
    switched = r_fit.with_vcov({"CRV1": "province"}, ssc="stata")
    direct = mi.linear(f, data, vcov={"CRV1": "province"}, ssc="stata")
    pd.testing.assert_frame_equal(switched.vcov, direct.vcov)
    assert switched.vcov_label == direct.vcov_label == "CRV1 by province; ssc=stata"
    kept = direct.with_vcov("hetero")  # the fit's convention stays
    assert kept.vcov_label.endswith("ssc=stata")
    assert direct.extra["ssc"] is PRESETS["stata"]


def test_custom_ssc_switches_single_factors(data) -> None:
    f = "y_linear ~ x1 | province"
    base = mi.linear(f, data, vcov={"CRV0": "province"})
    no_adj = mi.linear(f, data, vcov={"CRV1": "province"}, ssc=mi.ssc(adj=False))
    G = data["province"].nunique()
    assert no_adj.bse["x1"] ** 2 == pytest.approx(base.bse["x1"] ** 2 * G / (G - 1), rel=1e-12)
    neither = mi.ssc(adj=False, cluster_adj=False)
    assert mi.linear(f, data, vcov={"CRV1": "province"}, ssc=neither).bse["x1"] == pytest.approx(
        base.bse["x1"], rel=1e-12
    )
    conventional = mi.linear(f, data, vcov={"CRV1": "province"}, ssc=mi.ssc(t_df="conventional"))
    assert conventional.df_inference == len(data) - 2  # N - (k + 1 nested constant)
    full = mi.linear(f, data, vcov={"CRV1": "province"}, ssc=mi.ssc(fixef_k="full"))
    n = len(data)
    ratio = (full.bse["x1"] / no_adj.bse["x1"]) ** 2
    assert ratio == pytest.approx((n - 1) / (n - 1 - G), rel=1e-12)


def test_ssc_is_validated() -> None:
    with pytest.raises(ValueError, match="unknown ssc"):
        resolve_ssc("SAS")
    with pytest.raises(ValueError, match="fixef_k"):
        mi.ssc(fixef_k="some")
    with pytest.raises(ValueError, match="adj is True or False"):
        SmallSample("custom", adj="yes")  # type: ignore[arg-type]
    assert resolve_ssc("Stata") is PRESETS["stata"]
    assert resolve_ssc(None) is PRESETS["R"]
    assert mi.ssc() == SmallSample("custom", cluster_df="min", constant_in_k=True)


@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "province"}, {"CRV1": "province+year"}])
def test_likelihood_factors_of_the_fixest_preset_equal_pyfixest_fepois(data, vcov) -> None:
    """compute_vcov's "ml" branch under ssc="fixest" (what mi.poisson passes on) equals fepois."""
    pf = pytest.importorskip("pyfixest")
    import statsmodels.api as sm

    from massincidents.inference import compute_vcov, parse_vcov

    d = data.assign(count=data["y"])
    X = sm.add_constant(d[["x1", "x2"]].to_numpy())
    model = sm.GLM(d["count"].to_numpy(), X, family=sm.families.Poisson())
    fit = model.fit(tol=1e-13)
    bread = np.linalg.inv(-model.hessian(fit.params))
    V, df = compute_vcov(
        parse_vcov(vcov),
        bread=bread,
        scores=model.score_obs(fit.params),
        family="ml",
        n_params=3,
        columns={c: d[c].to_numpy() for c in ("province", "year")},
        ssc=PRESETS["fixest"],
    )
    ref = pf.fepois("count ~ x1 + x2", data=d, vcov=vcov, iwls_tol=1e-12)
    np.testing.assert_allclose(fit.params, ref.coef().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(V)), ref.se().to_numpy(), rtol=1e-6)
    assert df is None
