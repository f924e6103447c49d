"""mi.zero_inflated: analytical derivatives, recovery, errors (R comparisons: test_reference.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import massincidents as mi
from massincidents.counts.zero_inflated import zi_loglik


def simulate_zi(n: int, seed: int, theta: float | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    mu = np.exp(0.7 + 0.4 * x)
    counts = rng.poisson(mu if theta is None else rng.gamma(theta, mu / theta))
    structural = rng.random(n) < expit(-0.5 + 0.8 * z)
    return pd.DataFrame({"y": np.where(structural, 0, counts), "x": x, "z": z})


@pytest.mark.parametrize("negbin", [False, True])
def test_gradient_and_hessian_match_finite_differences(negbin) -> None:
    df = simulate_zi(300, seed=1, theta=2.0 if negbin else None)
    y = df["y"].to_numpy(float)
    X = np.column_stack([np.ones(len(df)), df["x"]])
    Z = np.column_stack([np.ones(len(df)), df["z"]])
    off = np.log(np.linspace(0.5, 2.0, len(df)))
    p = np.array([0.5, 0.3, -0.4, 0.6] + ([0.4] if negbin else []))
    _, grad, hess, scores = zi_loglik(p, y, X, Z, off, negbin)
    np.testing.assert_allclose(scores.sum(axis=0), grad)
    h = 1e-6
    num_grad = np.zeros_like(p)
    num_hess = np.zeros((p.size, p.size))
    for j in range(p.size):
        e = np.eye(p.size)[j] * h
        num_grad[j] = (
            zi_loglik(p + e, y, X, Z, off, negbin)[0] - zi_loglik(p - e, y, X, Z, off, negbin)[0]
        ) / (2 * h)
        num_hess[:, j] = (
            zi_loglik(p + e, y, X, Z, off, negbin)[1] - zi_loglik(p - e, y, X, Z, off, negbin)[1]
        ) / (2 * h)
    np.testing.assert_allclose(grad, num_grad, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(hess, num_hess, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("dist", ["poisson", "negbin"])
def test_recovers_the_truth(dist) -> None:
    theta = 2.0 if dist == "negbin" else None
    fit = mi.zero_inflated(
        "y ~ x", simulate_zi(4000, seed=2, theta=theta), inflate="~ z", dist=dist
    )
    truth = pd.Series(
        {"count_Intercept": 0.7, "count_x": 0.4, "zero_Intercept": -0.5, "zero_z": 0.8}
    )
    assert list(fit.params.index) == list(truth.index)
    assert np.all(np.abs(fit.params - truth) < 3.5 * fit.bse)
    if dist == "negbin":
        assert abs(np.log(fit.stats["theta"]) - np.log(2.0)) < 3.5 * fit.stats["log_theta_se"]
    assert fit.link == "log" and fit.vcov_label == "iid"


def test_exposure_is_an_offset_of_the_count_part() -> None:
    df = simulate_zi(1500, seed=3).assign(pop=np.linspace(1.0, 3.0, 1500))
    a = mi.zero_inflated("y ~ x", df, inflate="~ z", exposure="pop")
    b = mi.zero_inflated("y ~ x", df.assign(lp=np.log(df["pop"])), inflate="~ z", offset="lp")
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10)


def test_rows_missing_an_inflation_variable_are_left_out() -> None:
    df = simulate_zi(500, seed=4)
    df.loc[df.index[:7], "z"] = np.nan
    fit = mi.zero_inflated("y ~ x", df, inflate="~ z")
    assert fit.left_out == {"missing value in z": 7} and fit.nobs == 493


def test_errors() -> None:
    df = simulate_zi(200, seed=5)
    with pytest.raises(ValueError, match="does not absorb fixed effects"):
        mi.zero_inflated("y ~ x | z", df)
    with pytest.raises(ValueError, match="dist must be"):
        mi.zero_inflated("y ~ x", df, dist="zip")
    with pytest.raises(mi.DataError, match="close column names: z"):
        mi.zero_inflated("y ~ x", df, inflate="~ zz")
    with pytest.raises(mi.DataError, match="no zero outcome"):
        mi.zero_inflated("y ~ x", df.assign(y=df["y"] + 1))
    with pytest.raises(ValueError, match="right-hand side"):
        mi.zero_inflated("y ~ x", df, inflate="y ~ z")


def test_hetero_is_a_full_sandwich_including_log_theta() -> None:
    df = simulate_zi(800, seed=6, theta=2.0)
    fit = mi.zero_inflated("y ~ x", df, inflate="~ z", dist="negbin")
    robust = fit.with_vcov("hetero")
    assert robust.vcov.shape == (4, 4)
    assert robust.vcov_label.startswith("heteroskedasticity")
    np.testing.assert_allclose(robust.bse, fit.bse, rtol=0.25)  # correctly specified: close


# -- units: rescaling a regressor rescales its coefficient and nothing else (issue 13)
from hypothesis import given, settings  # noqa: E402

from scaling import EXPONENTS, check_rescaling  # noqa: E402


@pytest.fixture(scope="module")
def zi_data() -> pd.DataFrame:
    df = simulate_zi(600, seed=4, theta=2.0)
    return df.assign(exposure=np.linspace(0.5, 2.0, len(df)))


@pytest.mark.parametrize("dist", ["poisson", "negbin"])
@pytest.mark.parametrize(("column", "term"), [("x", "count_x"), ("z", "zero_z")])
@settings(max_examples=8, deadline=None)
@given(k=EXPONENTS)
def test_rescaling_a_regressor_rescales_only_its_coefficient(zi_data, dist, column, term, k):
    def fit(d):
        return mi.zero_inflated("y ~ x", d, inflate="~ z", dist=dist, exposure="exposure")

    check_rescaling(fit, zi_data, column, k, terms=[term])
