"""TWFE event study with binned endpoints, pre-trend test, and bad input."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import massincidents as mi
from massincidents.errors import DataError

KW = {"outcome": "y_linear", "unit": "province", "time": "year", "cohort": "cohort"}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mi.datasets.simulate_panel(
        n_provinces=60, n_years=12, seed=8, policy_effect=lambda g, e: 0.1 * (e + 1)
    )


def test_equals_linear_with_hand_made_binned_dummies(panel) -> None:
    es = mi.event_study(panel, leads=3, lags=4, covariates=["x1", "x2"], **KW)
    d = panel.copy()
    rel = (d["year"] - d["cohort"].astype("Float64").astype(float)).clip(-3, 4)
    names = []
    for e in range(-3, 5):
        if e == -1:
            continue
        name = f"d_{'m' if e < 0 else 'p'}{abs(e)}"
        d[name] = (rel == e).astype(float).to_numpy()
        names.append(name)
    ref = mi.linear("y_linear ~ " + " + ".join([*names, "x1", "x2"]) + " | province + year", d)
    np.testing.assert_allclose(es.params.to_numpy(), ref.params.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(es.vcov.to_numpy(), ref.vcov.to_numpy(), rtol=1e-12)
    assert list(es.params.index[:3]) == ["rel_time::-3", "rel_time::-2", "rel_time::0"]
    assert es.vcov_label == "CRV1 by province"


def test_event_table(panel) -> None:
    es = mi.event_study(panel, leads=3, lags=4, **KW)
    table = es.event_table()
    assert table["event_time"].tolist() == list(range(-3, 5))
    ref = table.loc[table["reference"]]
    assert ref["event_time"].tolist() == [-1] and ref["estimate"].tolist() == [0.0]
    assert table.loc[table["binned"], "event_time"].tolist() == [-3, 4]
    row = table.set_index("term").loc["rel_time::2"]
    assert row["estimate"] == pytest.approx(es.params["rel_time::2"])
    assert row["conf_low"] < row["estimate"] < row["conf_high"]


def test_matches_pyfixest_i_syntax(panel) -> None:
    """pyfixest ``feols("y ~ i(rel, ref=-1) | unit + year")`` on the binned relative time
    (never-treated units coded at the reference, i.e. without a dummy)."""
    pf = pytest.importorskip("pyfixest")
    d = panel.copy()
    rel = (d["year"] - d["cohort"].astype("Float64").astype(float)).clip(-3, 4)
    d["rel"] = rel.fillna(-1).astype(int).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols("y_linear ~ i(rel, ref=-1) | province + year", d, vcov={"CRV1": "province"})
    theirs = fit.coef()
    theirs.index = [int(re.search(r"(-?\d+)\]?$", n).group(1)) for n in theirs.index]
    es = mi.event_study(d, leads=3, lags=4, **KW)
    ours = es.params.rename(lambda t: int(t.split("::")[1]))
    assert set(ours.index) == set(theirs.index)
    np.testing.assert_allclose(ours.loc[theirs.index], theirs.to_numpy(), rtol=1e-6, atol=1e-9)
    # Standard errors: pyfixest's with its convention (ssc="fixest"); the default "R"
    # convention leaves the constant the unit effects absorb out of K.
    ours_se = es.bse.rename(lambda t: int(t.split("::")[1]))
    np.testing.assert_allclose(ours_se.loc[theirs.index], fit.se().to_numpy(), rtol=2e-3)
    fixest = mi.event_study(d, leads=3, lags=4, ssc="fixest", **KW)
    fixest_se = fixest.bse.rename(lambda t: int(t.split("::")[1]))
    np.testing.assert_allclose(fixest_se.loc[theirs.index], fit.se().to_numpy(), rtol=1e-8)


def test_bin_endpoints_false_leaves_rows_out(panel) -> None:
    es = mi.event_study(panel, leads=2, lags=2, bin_endpoints=False, **KW)
    rel = panel["year"] - panel["cohort"].astype("Float64").astype(float)
    outside = int(((rel < -2) | (rel > 2)).sum())
    assert es.left_out["treated unit outside the event window"] == outside
    assert es.nobs == len(panel) - outside
    assert not es.event_table()["binned"].any()


def test_pretrend_test_by_hand(panel) -> None:
    es = mi.event_study(panel, leads=4, lags=3, **KW)
    pre = ["rel_time::-4", "rel_time::-3", "rel_time::-2"]
    b, V = es.params[pre].to_numpy(), es.vcov.loc[pre, pre].to_numpy()
    stat = float(b @ np.linalg.inv(V) @ b)
    test = mi.pretrend_test(es)
    assert test.df == 3
    assert test.statistic == pytest.approx(stat, rel=1e-10)
    assert test.pvalue == pytest.approx(stats.chi2.sf(stat, 3), rel=1e-10)
    assert isinstance(test, mi.TestResult)


def test_reference_period_other_than_minus_one(panel) -> None:
    es = mi.event_study(panel, leads=4, lags=3, reference=-2, **KW)
    assert "rel_time::-2" not in es.params.index and "rel_time::-1" in es.params.index
    with pytest.raises(DataError, match="outside the window"):
        mi.event_study(panel, leads=2, lags=3, reference=-4, **KW)


def test_bad_input(panel) -> None:
    bad = panel.copy()
    bad["cohort"] = bad["cohort"].astype("Float64")
    first_unit = bad["province"].iloc[0]
    bad.loc[(bad["province"] == first_unit) & (bad["year"] == 2005), "cohort"] = 2003
    with pytest.raises(DataError, match="cohort varies within unit"):
        mi.event_study(bad, **KW)
    switch = panel.copy()
    unit = switch.loc[switch["treated"] == 1, "province"].iloc[0]
    last_year = switch["year"].max()
    switch.loc[(switch["province"] == unit) & (switch["year"] == last_year), "treated"] = 0
    with pytest.raises(DataError, match="switches off"):
        mi.event_study(switch, treated="treated", **KW)
    mi.event_study(panel, treated="treated", leads=2, lags=2, **KW)  # consistent: no error
    dup = pd.concat([panel, panel.iloc[[0]]])
    with pytest.raises(DataError, match="more than once"):
        mi.event_study(dup, **KW)
    never = panel.assign(cohort=pd.NA)
    with pytest.raises(DataError, match="no unit is ever treated"):
        mi.event_study(never, **KW)


def test_pretrend_test_refuses_a_singular_variance(panel) -> None:
    # A rank-deficient pre-period variance (as with a one-unit control cohort) used to give
    # a huge negative statistic with p = 1; it must be an error that says why.
    import dataclasses

    es = mi.event_study(panel, leads=4, lags=3, **KW)
    pre = ["rel_time::-4", "rel_time::-3", "rel_time::-2"]
    V = es.vcov.copy()
    V.loc[pre, pre] = np.outer([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) * 1e-3  # rank one
    singular = dataclasses.replace(es, vcov=V)
    with pytest.raises(ValueError, match="rank 1"):
        mi.pretrend_test(singular)


def test_ssc_reaches_the_regression(panel) -> None:
    es = mi.event_study(panel, leads=3, lags=4, ssc="fixest", **KW)
    default = mi.event_study(panel, leads=3, lags=4, **KW)
    n, k = es.nobs, len(es.params) + panel["year"].nunique() - 1
    np.testing.assert_allclose(
        (es.vcov / default.vcov).to_numpy(), (n - k) / (n - k - 1), rtol=1e-10
    )
    assert es.vcov_label.endswith("ssc=fixest")
    np.testing.assert_allclose(
        default.with_vcov({"CRV1": "province"}, ssc="fixest").vcov.to_numpy(),
        es.vcov.to_numpy(),
        rtol=1e-12,
    )


def test_records_its_variance_choice_so_romano_wolf_finds_a_cluster_named_with_an_ampersand(
    panel,
) -> None:
    """The event study records the regression's parsed variance choice (vcov_spec), as
    with_vcov does: romano_wolf reads the cluster column from it. Before, the fit recorded
    none and romano_wolf parsed "CRV1 by prov & reg" as two columns and refused, while
    the same result after with_vcov was accepted."""
    d = panel.assign(**{"prov & reg": panel["province"]})
    es = mi.event_study(d, leads=3, lags=4, vcov={"CRV1": "prov & reg"}, **KW)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        rw = mi.romano_wolf(es, ["rel_time::0", "rel_time::1"], reps=99, seed=1)
    np.testing.assert_allclose(
        rw.table["statistic"], es.tvalues[["rel_time::0", "rel_time::1"]], rtol=1e-10
    )
    assert es.vcov_spec == es.with_vcov({"CRV1": "prov & reg"}).vcov_spec
    sa = mi.sun_abraham(d, vcov={"CRV1": "prov & reg"}, **KW)
    assert sa.vcov_spec == sa.with_vcov({"CRV1": "prov & reg"}).vcov_spec
