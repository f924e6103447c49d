"""Callaway-Sant'Anna ATT(g,t): agreement with csdid (R did's port), truth recovery, bad input."""

from __future__ import annotations

import doctest
import importlib
import warnings

import numpy as np
import pandas as pd
import pytest

import massincidents as mi

csdid_att_gt = pytest.importorskip("csdid.att_gt")


def _panel(seed: int = 5, n: int = 300, t: int = 10, never: float = 0.3) -> pd.DataFrame:
    df = mi.datasets.simulate_panel(
        n,
        t,
        seed=seed,
        never_treated_share=never,
        policy_effect=lambda g, e: 0.1 * e + 0.01 * (g - 2000),
    )
    df["cohort0"] = df["cohort"].fillna(0).astype(float)
    df["id"] = df["province"].astype(int)
    return df


def _csdid(df, cg, meth, covs, bp, unbalanced=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = csdid_att_gt.ATTgt(
            yname="y_linear",
            tname="year",
            idname="id",
            gname="cohort0",
            data=df.copy(),
            control_group="notyettreated" if cg == "notyet" else "nevertreated",
            xformla=("y_linear~" + "+".join(covs)) if covs else None,
            allow_unbalanced_panel=unbalanced,
        ).fit(est_method=meth, base_period=bp, bstrap=False)
    return fit


CASES = [
    ("notyet", "dr", ["x1", "x2"], "varying"),
    ("never", "dr", ["x1", "x2"], "universal"),
    ("never", "ipw", ["x1"], "universal"),
    ("notyet", "ipw", ["x2"], "varying"),
    ("notyet", "reg", None, "varying"),
    ("never", "reg", ["x1", "x2"], "varying"),
    ("never", "dr", None, "varying"),
]


def _ours(df, cg, meth, covs, bp, **kw):
    """Our estimator with the options of one csdid case (analytic SEs only)."""
    return mi.staggered_did(
        df,
        outcome="y_linear",
        unit="id",
        time="year",
        cohort="cohort",
        control_group=cg,
        method=meth,
        covariates=covs,
        base_period=bp,
        bootstrap=False,
        **kw,
    )


def _compare(ours, fit, tol):
    """Largest absolute differences of ATT(g,t), SEs and all aggregations vs csdid."""
    res = fit.results
    theirs = pd.DataFrame(
        {"group": res["group"], "time": res["year"], "att_c": res["att"], "se_c": res["se"]}
    )
    m = ours.att_gt.merge(theirs, on=["group", "time"], how="outer", validate="1:1")
    assert len(m) == len(ours.att_gt) == len(theirs)
    np.testing.assert_allclose(m["att"], m["att_c"], atol=tol, rtol=0)
    np.testing.assert_allclose(m["se"], m["se_c"], atol=tol, rtol=0)
    worst = max(np.max(np.abs(m["att"] - m["att_c"])), np.max(np.abs(m["se"] - m["se_c"])))
    for kind in ["simple", "group", "dynamic", "calendar"]:
        agg = ours.aggregate(kind)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit.aggte(typec=kind, bstrap=False)
        at = fit.atte
        assert agg.overall_att == pytest.approx(at["overall_att"], abs=tol, rel=0)
        assert agg.overall_se == pytest.approx(at["overall_se"], abs=tol, rel=0)
        worst = max(
            worst,
            abs(agg.overall_att - at["overall_att"]),
            abs(agg.overall_se - at["overall_se"]),
        )
        if kind != "simple":
            e_att, e_se = np.asarray(at["att_egt"]), np.asarray(at["se_egt"])
            np.testing.assert_allclose(agg.estimates["att"], e_att, atol=tol, rtol=0)
            np.testing.assert_allclose(agg.estimates["se"], e_se, atol=tol, rtol=0)
            worst = max(
                worst,
                np.max(np.abs(agg.estimates["att"] - e_att)),
                np.max(np.abs(agg.estimates["se"] - e_se)),
            )
    return worst


@pytest.mark.parametrize(("cg", "meth", "covs", "bp"), CASES)
def test_matches_csdid(cg, meth, covs, bp):
    df = _panel()
    _compare(_ours(df, cg, meth, covs, bp), _csdid(df, cg, meth, covs, bp), 1e-8)


def _holes(seed: int, share: float = 0.1) -> pd.DataFrame:
    """A simulated panel with ~``share`` of unit-periods missing at random."""
    df = _panel(seed=seed)
    rng = np.random.default_rng(seed)
    return df.loc[rng.random(len(df)) >= share].reset_index(drop=True)


UNBALANCED_CASES = [
    ("notyet", "dr", ["x1", "x2"], "varying"),
    ("never", "dr", ["x1", "x2"], "varying"),
    ("notyet", "dr", None, "varying"),
    ("never", "dr", None, "universal"),
    ("never", "ipw", ["x1"], "universal"),
    ("notyet", "ipw", ["x2"], "varying"),
    ("notyet", "reg", None, "varying"),
    ("never", "reg", ["x1", "x2"], "varying"),
]


@pytest.mark.parametrize(("cg", "meth", "covs", "bp"), UNBALANCED_CASES)
def test_unbalanced_panel_matches_csdid(cg, meth, covs, bp):
    df = _holes(seed=4)
    assert df.groupby("id").size().lt(10).mean() > 0.4  # many units have holes
    ours = _ours(df, cg, meth, covs, bp, allow_unbalanced_panel=True)
    assert ours.n_units == df["id"].nunique()
    assert ours.nobs == len(df)
    assert not ours.left_out
    assert any("repeated cross sections" in note for note in ours.notes)
    _compare(ours, _csdid(df, cg, meth, covs, bp, unbalanced=True), 1e-8)


def test_unbalanced_time_varying_covariate_matches_csdid():
    df = _holes(seed=6)
    rng = np.random.default_rng(1)
    df["x1"] = df["x1"] + rng.normal(size=len(df))  # varies within unit
    ours = mi.staggered_did(
        df,
        outcome="y_linear",
        unit="id",
        time="year",
        cohort="cohort",
        covariates=["x1", "x2"],
        bootstrap=False,
        allow_unbalanced_panel=True,
    )
    _compare(ours, _csdid(df, "notyet", "dr", ["x1", "x2"], "varying", unbalanced=True), 1e-8)


def test_allow_unbalanced_on_balanced_panel_is_the_panel_estimator():
    df = _panel()
    kw = dict(outcome="y_linear", unit="id", time="year", cohort="cohort", bootstrap=False)
    a = mi.staggered_did(df, covariates=["x1"], **kw)
    b = mi.staggered_did(df, covariates=["x1"], allow_unbalanced_panel=True, **kw)
    pd.testing.assert_frame_equal(a.att_gt, b.att_gt)


def test_unbalanced_bootstrap_and_clusters_run():
    df = _holes(seed=8)
    df["region"] = df["id"] % 7
    res = mi.staggered_did(
        df,
        outcome="y_linear",
        unit="id",
        time="year",
        cohort="cohort",
        clustervar="region",
        reps=199,
        seed=3,
        allow_unbalanced_panel=True,
    )
    assert np.isfinite(res.att_gt["se_boot"]).all()
    assert np.isfinite(res.aggregate("dynamic").overall_se)


def test_all_eventually_treated_matches_csdid_and_reports_drop():
    df = _panel(seed=7, never=0.0)
    ours = mi.staggered_did(
        df,
        outcome="y_linear",
        unit="id",
        time="year",
        cohort="cohort",
        covariates=["x1"],
        bootstrap=False,
    )
    assert "periods from the last adoption on (no comparison units)" in ours.left_out
    assert any("serves only as a comparison" in note for note in ours.notes)
    fit = _csdid(df, "notyet", "dr", ["x1"], "varying")
    theirs = np.asarray(fit.results["att"])
    np.testing.assert_allclose(ours.att_gt["att"], theirs, atol=1e-8)
    with pytest.raises(mi.DataError, match="never treated"):
        mi.staggered_did(
            df,
            outcome="y_linear",
            unit="id",
            time="year",
            cohort="cohort",
            control_group="never",
            bootstrap=False,
        )


def test_unbalanced_panel_is_balanced_and_reported():
    df = _panel(seed=3)
    rng = np.random.default_rng(0)
    holes = df.drop(index=rng.choice(df.index, 40, replace=False))
    ours = mi.staggered_did(
        holes, outcome="y_linear", unit="id", time="year", cohort="cohort", bootstrap=False
    )
    key = "units not observed in every period (unbalanced panel)"
    assert ours.left_out[key] > 0
    kept = holes[holes.groupby("id")["year"].transform("size") == 10]
    fit = _csdid(kept, "notyet", "dr", None, "varying")
    np.testing.assert_allclose(ours.att_gt["att"], np.asarray(fit.results["att"]), atol=1e-8)


def test_count_outcome_runs():
    df = _panel()
    res = mi.staggered_did(
        df, outcome="y", unit="id", time="year", cohort="cohort", covariates=["x1"], bootstrap=False
    )
    assert np.isfinite(res.aggregate("simple").overall_att)


def test_bootstrap_reproducible_and_close_to_analytic():
    df = _panel()
    kw = dict(outcome="y_linear", unit="id", time="year", cohort="cohort", reps=999)
    a = mi.staggered_did(df, seed=11, **kw)
    b = mi.staggered_did(df, seed=11, **kw)
    pd.testing.assert_frame_equal(a.att_gt, b.att_gt)
    ratio = a.att_gt["se_boot"] / a.att_gt["se"]
    assert ratio.between(0.8, 1.2).all()
    assert a.crit_value > 1.96
    assert (
        a.att_gt["band_high"] - a.att_gt["band_low"] > a.att_gt["conf_high"] - a.att_gt["conf_low"]
    ).all()
    dyn = a.aggregate("dynamic")
    assert (dyn.estimates["se_boot"] / dyn.estimates["se"]).between(0.8, 1.2).all()
    mam = mi.staggered_did(df, seed=11, boot_weights="mammen", **kw)
    assert (mam.att_gt["se_boot"] / mam.att_gt["se"]).between(0.8, 1.2).all()


def test_recovers_truth_where_twfe_is_biased():
    df = mi.datasets.simulate_panel(
        600,
        12,
        seed=21,
        never_treated_share=0.2,
        sigma_noise=0.3,
        policy_effect=lambda g, e: (0.2 + 0.15 * e) * (1 + (g - 2003) / 4),
    )
    res = mi.staggered_did(
        df,
        outcome="y_linear",
        unit="province",
        time="year",
        cohort="cohort",
        covariates=["x1", "x2"],
        bootstrap=False,
    )
    tr = df[df["treated"] == 1]
    truth = tr.groupby(["cohort", "year"])["tau"].mean()
    post = res.att_gt[res.att_gt["post"]].set_index(["group", "time"])
    true_cells = truth.reindex(
        pd.MultiIndex.from_arrays(
            [post.index.get_level_values(0).astype(int), post.index.get_level_values(1).astype(int)]
        )
    )
    z = (post["att"].to_numpy() - true_cells.to_numpy()) / post["se"].to_numpy()
    assert np.mean(np.abs(z) < 1.96) > 0.85
    simple = res.aggregate("simple")
    true_simple = tr["tau"].mean()
    assert abs(simple.overall_att - true_simple) < 2.5 * simple.overall_se
    twfe = mi.linear("y_linear ~ treated + x1 + x2 | province + year", df)
    bias = twfe.params["treated"] - true_simple
    assert abs(bias) > 4 * twfe.bse["treated"]
    assert abs(bias) > 3 * abs(simple.overall_att - true_simple)


def test_bad_input():
    df = _panel()
    bad = df.copy()
    bad.loc[bad.index[3], "cohort"] = 2001
    with pytest.raises(mi.DataError, match="cohort varies within unit"):
        mi.staggered_did(bad, outcome="y", unit="id", time="year", cohort="cohort")
    off = df.copy()
    unit = off.loc[off["treated"] == 1, "id"].iloc[0]
    last = off.index[(off["id"] == unit)][-1]
    off.loc[last, "treated"] = 0
    with pytest.raises(mi.DataError, match="switches off"):
        mi.staggered_did(
            off, outcome="y", unit="id", time="year", cohort="cohort", treated="treated"
        )
    dup = pd.concat([df, df.iloc[[0]]])
    with pytest.raises(mi.DataError, match="duplicate"):
        mi.staggered_did(dup, outcome="y", unit="id", time="year", cohort="cohort")
    with pytest.raises(mi.DataError, match="column not found"):
        mi.staggered_did(df, outcome="nope", unit="id", time="year", cohort="cohort")


def test_singular_design_is_a_clear_error():
    df = _panel(seed=9)
    with pytest.raises(mi.DataError, match="singular or ill-conditioned covariate design"):
        mi.staggered_did(
            df,
            outcome="y_linear",
            unit="id",
            time="year",
            cohort="cohort",
            covariates=["x1", "x2", "x1"],
            bootstrap=False,
        )


def test_tidy_columns():
    res = mi.staggered_did(
        _panel(), outcome="y_linear", unit="id", time="year", cohort="cohort", bootstrap=False
    )
    assert list(res.tidy().columns)[:7] == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    assert res.aggregate("dynamic").tidy()["term"].iloc[0] == "ATT"


@pytest.mark.parametrize("name", ["massincidents.did.callaway_santanna"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


@pytest.mark.parametrize("clustervar", [None, "region"])
def test_dynamic_vcov_and_pretrend_test(clustervar):
    # The joint variance of the event-time effects: its diagonal is the reported SE, and the
    # pre-trend Wald test equals one computed by hand from the aggregation's influence functions.
    from scipy import stats

    from massincidents.did.aggregate import aggregate_cells
    from massincidents.did.bootstrap import cluster_sums

    df = _panel(seed=11, n=200)
    df["region"] = df["id"] % 9
    res = mi.staggered_did(
        df,
        outcome="y_linear",
        unit="id",
        time="year",
        cohort="cohort0",
        clustervar=clustervar,
        bootstrap=False,
    )
    dyn = res.aggregate("dynamic")
    np.testing.assert_allclose(np.sqrt(np.diag(dyn.vcov)), dyn.estimates["se"], rtol=1e-12)
    cells = res.att_gt
    index, est, infs, _, _ = aggregate_cells(
        "dynamic",
        cells["att"].to_numpy(),
        res.influence,
        cells["group"].to_numpy(),
        cells["time"].to_numpy(),
        res._pg(),
        res.unit_cohort,
    )
    pre = index < 0
    sums = infs[:, pre] if clustervar is None else cluster_sums(infs[:, pre], res.clusters)
    V = sums.T @ sums / infs.shape[0] ** 2
    stat = float(est[pre] @ np.linalg.solve(V, est[pre]))
    test = mi.pretrend_test(dyn)
    assert test.df == int(pre.sum())
    assert test.statistic == pytest.approx(stat, rel=1e-10)
    assert test.pvalue == pytest.approx(stats.chi2.sf(stat, pre.sum()), rel=1e-10)
    with pytest.raises(ValueError, match="dynamic"):
        mi.pretrend_test(res.aggregate("group"))


def test_pretrend_test_rejects_a_violated_parallel_trend():
    # Anticipation one and two years ahead is a pre-trend the test must see.
    df = _panel(seed=12, n=300)
    shift = np.where((df["cohort0"] > 0) & (df["year"] >= df["cohort0"] - 2), 1.0, 0.0)
    df["y_bad"] = df["y_linear"] + shift * (df["year"] - df["cohort0"] + 3)
    res = mi.staggered_did(
        df, outcome="y_bad", unit="id", time="year", cohort="cohort0", bootstrap=False
    )
    assert mi.pretrend_test(res.aggregate("dynamic")).pvalue < 1e-6
    clean = mi.staggered_did(
        df, outcome="y_linear", unit="id", time="year", cohort="cohort0", bootstrap=False
    )
    assert mi.pretrend_test(clean.aggregate("dynamic")).pvalue > 0.001
