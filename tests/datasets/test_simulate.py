"""The simulators: documented DGP, reproducible draws, true parameters recoverable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import massincidents as mi


def test_same_seed_same_panel_different_seed_different_panel() -> None:
    a = mi.datasets.simulate_panel(seed=5)
    b = mi.datasets.simulate_panel(seed=5)
    c = mi.datasets.simulate_panel(seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a["y"].equals(c["y"])


def test_shape_codes_and_truth() -> None:
    df = mi.datasets.simulate_panel(n_provinces=31, n_years=20, seed=1)
    assert df.shape[0] == 620
    assert set(df["province"]) == set(mi.provinces()["code"])
    assert (
        df.groupby("province")["cohort"].nunique(dropna=False).max() == 1
    )  # cohort fixed per unit
    truth = df.attrs["truth"]
    assert truth["effects"] == {"x1": 0.3, "x2": -0.2}
    assert set(truth["province_effects"]) == set(df["province"])
    # Treated cells carry the policy effect, the others none.
    assert (df.loc[df.treated == 1, "tau"] == 0.2).all() and (
        df.loc[df.treated == 0, "tau"] == 0
    ).all()
    assert (
        (df["cohort"].isna()) == (df.groupby("province")["treated"].transform("max") == 0)
    ).all()


def test_prefecture_sized_panel_uses_numbered_units() -> None:
    df = mi.datasets.simulate_panel(n_provinces=300, n_years=5, seed=2)
    assert sorted(df["province"].unique()) == list(range(1, 301))


def test_counts_have_nb2_mean_and_variance() -> None:
    # E[y] = mu and Var[y] = mu + alpha mu^2 under NB2: check on standardised residuals.
    df = mi.datasets.simulate_panel(n_provinces=31, n_years=400, alpha=0.5, seed=3)
    mu, y = df["mu"].to_numpy(), df["y"].to_numpy()
    z = (y - mu) / np.sqrt(mu + 0.5 * mu**2)
    assert abs(z.mean()) < 0.03
    assert abs(z.var() - 1.0) < 0.06
    poisson = mi.datasets.simulate_panel(n_provinces=31, n_years=400, alpha=0.0, seed=3)
    zp = (poisson["y"] - poisson["mu"]) / np.sqrt(poisson["mu"])
    assert abs(zp.var() - 1.0) < 0.06


def test_dynamic_policy_effect_is_applied_by_event_time() -> None:
    df = mi.datasets.simulate_panel(seed=4, policy_effect=lambda g, e: 0.1 * (e + 1))
    treated = df[df.treated == 1]
    np.testing.assert_allclose(treated["tau"], 0.1 * (treated["event_time"].astype(float) + 1))


def test_poisson_fe_recovers_truth_at_nominal_coverage() -> None:
    """Over repeated draws, 95% intervals of a Poisson FE fit cover the truth ~95% of the time."""
    draws, covered = 40, {"x1": 0, "x2": 0, "treated": 0}
    for seed in range(draws):
        df = mi.datasets.simulate_panel(n_provinces=31, n_years=12, alpha=0.0, seed=100 + seed)
        fit = smf.glm(
            "y ~ x1 + x2 + treated + C(province) + C(year)",
            data=df,
            family=sm.families.Poisson(),
            offset=np.log(df["population"]),
        ).fit()
        ci = fit.conf_int()
        truth = {"x1": 0.3, "x2": -0.2, "treated": 0.2}
        for name, value in truth.items():
            covered[name] += int(ci.loc[name, 0] <= value <= ci.loc[name, 1])
    for name, hits in covered.items():
        # Binomial(40, 0.95): P(hits < 33) < 0.5%.
        assert hits >= 33, (name, hits)


def test_linear_outcome_recovers_truth_with_two_way_fe() -> None:
    df = mi.datasets.simulate_panel(n_provinces=31, n_years=200, seed=9)
    fit = smf.ols("y_linear ~ x1 + x2 + treated + C(province) + C(year)", data=df).fit()
    for name, value in {"x1": 0.3, "x2": -0.2, "treated": 0.2}.items():
        assert abs(fit.params[name] - value) < 4 * fit.bse[name]
    # Pooled OLS without FE is biased upwards for x1, which loads on the
    # province effect: plim bias = rho var(alpha) / var(x1) > 0.
    short = mi.datasets.simulate_panel(n_provinces=31, n_years=30, seed=9)
    pooled = smf.ols("y_linear ~ x1 + x2 + treated", data=short).fit()
    assert pooled.params["x1"] - 0.3 > 4 * pooled.bse["x1"]


def test_events_add_up_to_the_panel_and_peak_before_new_year() -> None:
    events = mi.datasets.simulate_events(seed=12)
    panel = pd.DataFrame(events.attrs["panel"])
    assert len(events) == panel["y"].sum()
    assert events["size_band"].isin(mi.datasets.simulate.SIZE_BANDS).all()
    months = events["date"].dt.month.value_counts(normalize=True)
    assert months[1] > months[6] * 1.8


@pytest.mark.parametrize("bad", [{"n_provinces": 1}, {"n_years": 1}])
def test_rejects_degenerate_sizes(bad) -> None:
    with pytest.raises(ValueError):
        mi.datasets.simulate_panel(**bad)


def test_simulated_panel_pickles_with_its_truth() -> None:
    # joblib and Dask send data to workers by pickling; the read-only truth must survive it.
    import pickle

    df = mi.datasets.simulate_panel(seed=3)
    back = pickle.loads(pickle.dumps(df))
    assert back.attrs["truth"] == df.attrs["truth"]
    with pytest.raises(TypeError, match="read-only"):
        back.attrs["truth"]["effects"] = None
