"""``mi.influence`` against R (from the definitions) and against brute-force refits.

Reference: ``tests/reference/jackknife_influence.json`` (``jackknife_influence.R``):
leave-one-cluster-out estimates with ``sandwich::vcovCL`` standard errors, cluster and
partial leverage and G*(0), G*(1) as summclust defines them, on Petersen's panel (lm,
pooled and with firm dummies) and a simulated count panel (glm Poisson).
"""

from __future__ import annotations

import pickle
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.errors import DataError
from massincidents.inference.jackknife import SingularJackknifeWarning

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
import agreement_jackknife as ref


@pytest.mark.parametrize(
    "comparison", ref.influence_comparisons(), ids=lambda c: f"{c[0]}: {c[1]}"
)
def test_matches_r(comparison) -> None:
    _, _, ours, theirs = comparison
    np.testing.assert_allclose(ours, theirs, rtol=ref.INFLUENCE_TOLERANCE, atol=0)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = mi.datasets.simulate_panel(seed=3)
    df = df.reset_index() if "province" not in df.columns else df
    return df.drop(index=df.index[::7])  # unbalanced


MODELS = [
    (mi.linear, "y_linear ~ x1 + x2 | province", {}),
    (mi.linear, "y_linear ~ x1 + x2 | province + year", {}),
    (mi.poisson, "y ~ x1 + x2 + treated | province + year", {"exposure": "population"}),
    (mi.negbin, "y ~ x1 + x2 + treated | year", {"exposure": "population"}),
]


@pytest.mark.parametrize("function, formula, kwargs", MODELS)
def test_matches_brute_force(panel, function, formula, kwargs) -> None:
    fit = function(formula, panel, vcov={"CRV1": "province"}, **kwargs)
    infl = mi.influence(fit, "province")
    assert infl.n_clusters == 31
    for g in infl.leave_out_params.index[[0, 13, 30]]:
        sub = function(formula, panel[panel["province"] != g], vcov={"CRV1": "province"}, **kwargs)
        np.testing.assert_allclose(infl.leave_out_params.loc[g], sub.params, rtol=1e-7)
        np.testing.assert_allclose(infl.leave_out_bse.loc[g], sub.bse, rtol=1e-6)
    k = len(fit.params)
    np.testing.assert_allclose(infl.leverage.sum(), k, rtol=1e-10)
    np.testing.assert_allclose(infl.partial_leverage.sum(), 1.0, rtol=1e-10)
    assert (infl.effective_clusters <= 31 + 1e-9).all().all()
    # CV3 is the jackknife of these very estimates
    d = infl.leave_out_params.to_numpy() - fit.params.to_numpy()
    cv3 = fit.with_vcov({"CV3": "province"}).vcov.to_numpy()
    np.testing.assert_allclose(30 / 31 * d.T @ d, cv3, rtol=1e-10)


def test_tidy_summary_plot_pickle(panel) -> None:
    fit = mi.poisson("y ~ x1 + x2 + treated | province + year", panel, exposure="population")
    infl = mi.influence(fit, "province")
    table = infl.tidy()
    assert len(table) == 31 * 3 and list(table["term"].unique()) == ["x1", "x2", "treated"]
    row = table.iloc[40]
    assert row["change"] == pytest.approx(row["estimate"] - fit.params[row["term"]])
    assert list(infl.summary().index) == ["x1", "x2", "treated"]
    ax = infl.plot("treated")
    assert ax.get_xlabel() == "coefficient of treated" and len(ax.get_yticks()) == 31
    back = pickle.loads(pickle.dumps(infl))
    pd.testing.assert_frame_equal(back.tidy(), table)
    with pytest.raises(KeyError, match="no term"):
        infl.plot("x9")


def test_parallel_is_deterministic(panel) -> None:
    fit = mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population")
    one = mi.influence(fit, "province")
    fit2 = mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population")
    two = mi.influence(fit2, "province", n_jobs=2)
    pd.testing.assert_frame_equal(one.tidy(), two.tidy())


def test_refit_for_other_models(panel) -> None:
    formula = "y_linear ~ x1 + x2 | province + year"
    fit = mi.linear(formula, panel)
    built_in = mi.influence(fit, "province")
    generic = mi.influence(fit, "province", refit=lambda d: mi.linear(formula, d))
    np.testing.assert_allclose(generic.leave_out_params, built_in.leave_out_params, rtol=1e-9)
    np.testing.assert_allclose(generic.leave_out_bse, built_in.leave_out_bse, rtol=1e-9)
    between = mi.between("y_linear ~ x1", panel)
    with pytest.raises(NotImplementedError, match="refit="):
        mi.influence(between, "province")


def test_refusals_and_undefined_terms(panel) -> None:
    df = panel.assign(
        one_only=np.where(panel["province"] == panel["province"].iloc[0], panel["x1"], 0.0),
        single="a",
    )
    fit = mi.linear("y_linear ~ x1 + one_only | year", df)
    with pytest.warns(SingularJackknifeWarning, match="one_only"):
        infl = mi.influence(fit, "province")
    first = df["province"].iloc[0]
    assert np.isnan(infl.leave_out_params.loc[first, "one_only"])
    assert np.isnan(infl.leave_out_bse.loc[first, "one_only"])
    sub = mi.linear("y_linear ~ x1 | year", df[df["province"] != first], vcov={"CRV1": "province"})
    np.testing.assert_allclose(infl.leave_out_params.loc[first, "x1"], sub.params["x1"], rtol=1e-9)
    np.testing.assert_allclose(infl.leave_out_bse.loc[first, "x1"], sub.bse["x1"], rtol=1e-9)
    with pytest.raises(DataError, match="at least two clusters"):
        mi.influence(mi.linear("y_linear ~ x1", df), "single")


def test_categorical_clusters_and_few_warn(panel) -> None:
    df = panel.assign(region=panel["province"].astype(str).str[:1].astype("category"))
    fit = mi.linear("y_linear ~ x1 + x2", df, vcov="hetero")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        infl = mi.influence(fit, "region")
    assert [w for w in caught if w.category is mi.FewClustersWarning]
    assert infl.n_clusters == df["region"].nunique()
    assert infl.n_obs.sum() == fit.nobs


@pytest.mark.parametrize(
    "comparison", ref.summclust_comparisons(), ids=lambda c: f"{c[0]}: {c[1]}"
)
def test_matches_published_summclust(comparison) -> None:
    """Stata summclust on nlswork (12 industries), to the printed digits."""
    _, _, ours, printed = comparison
    assert abs(ours - float(printed)) <= ref._half_unit(printed) * (1 + 1e-9)
