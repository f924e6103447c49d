"""mi.weibull (AFT): left truncation, the PH form, the variance menu, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.survival.parametric import aft_loglik


def _truncated(seed: int = 5, n: int = 800) -> pd.DataFrame:
    """Weibull AFT times (log T = 2 + 0.4 x + 0.7 W), censored, 40 % left-truncated."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = np.exp(2 + 0.4 * x + 0.7 * np.log(rng.exponential(size=n)))
    c = rng.uniform(0, 40, n)
    entry = np.where(rng.random(n) < 0.4, rng.uniform(0, 3, n), 0.0)
    df = pd.DataFrame({"t": np.minimum(t, c), "d": (t <= c).astype(int), "x": x, "e": entry})
    return df[df["t"] > df["e"]].reset_index(drop=True)


@pytest.mark.parametrize(
    ("dist", "fitter", "scale"),
    [("weibull", "WeibullAFTFitter", -1), ("lognormal", "LogNormalAFTFitter", 1)],
)
def test_left_truncation_matches_lifelines(dist, fitter, scale) -> None:
    """survreg has no delayed entry; lifelines' ``entry_col`` maximises the same likelihood.

    lifelines parametrises the Weibull by rho = 1/sigma (log rho = -Log(scale)) and the
    log-normal by log sigma; its optimiser stops at ~1e-6, hence the tolerance.
    """
    lifelines = pytest.importorskip("lifelines")
    df = _truncated()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ll = getattr(lifelines, fitter)().fit(df[["t", "d", "x", "e"]], "t", "d", entry_col="e")
    ours = mi.weibull("x", df, duration="t", event="d", entry="e", dist=dist)
    first = ll.params_.index.levels[0][0] if dist == "lognormal" else "lambda_"
    assert ours.params["x"] == pytest.approx(ll.params_[(first, "x")], rel=1e-5)
    assert ours.params["Intercept"] == pytest.approx(ll.params_[(first, "Intercept")], rel=1e-5)
    other = next(k for k in ll.params_.index if k[0] != first)
    assert ours.params["Log(scale)"] == pytest.approx(scale * ll.params_[other], rel=1e-5)
    assert ours.stats["loglik"] == pytest.approx(ll.log_likelihood_, rel=1e-9)
    assert "loglik_null" not in ours.stats
    assert ours.notes and "left truncation" in ours.notes[0]


def test_zero_entry_is_no_truncation() -> None:
    df = _truncated()
    plain = mi.weibull("x", df, duration="t", event="d")
    zero = mi.weibull("x", df.assign(e=0.0), duration="t", event="d", entry="e")
    pd.testing.assert_series_equal(plain.params, zero.params, rtol=1e-10)


def test_analytic_gradient_and_hessian() -> None:
    df = _truncated()
    X = np.column_stack([np.ones(len(df)), df["x"]])
    log_t, d = np.log(df["t"].to_numpy()), df["d"].to_numpy()
    with np.errstate(divide="ignore"):
        log_e = np.where(df["e"] > 0, np.log(df["e"].where(df["e"] > 0, 1.0)), -np.inf)
    p = np.array([1.9, 0.35, -0.3])
    for dist in ("weibull", "lognormal", "loglogistic"):
        _value, grad, hess, scores = aft_loglik(p, X, log_t, d, log_e, dist)
        np.testing.assert_allclose(scores.sum(axis=0), grad)
        h = 1e-6
        num_grad = np.array([
            (aft_loglik(p + h * e, X, log_t, d, log_e, dist)[0]
             - aft_loglik(p - h * e, X, log_t, d, log_e, dist)[0]) / (2 * h)
            for e in np.eye(3)
        ])
        np.testing.assert_allclose(grad, num_grad, rtol=1e-6, atol=1e-6)
        num_hess = np.array([
            (aft_loglik(p + h * e, X, log_t, d, log_e, dist)[1]
             - aft_loglik(p - h * e, X, log_t, d, log_e, dist)[1]) / (2 * h)
            for e in np.eye(3)
        ])
        np.testing.assert_allclose(hess, num_hess, rtol=1e-5, atol=1e-5)


def test_weibull_ph_form_and_delta_method() -> None:
    df = _truncated()
    fit = mi.weibull("x", df, duration="t", event="d")
    ph = mi.weibull_ph(fit)
    sigma = np.exp(fit.params["Log(scale)"])
    assert ph.loc["x", "estimate"] == pytest.approx(-fit.params["x"] / sigma)
    assert ph.loc["shape", "estimate"] == pytest.approx(1 / sigma)
    assert ph.loc["x", "hazard_ratio"] == pytest.approx(np.exp(ph.loc["x", "estimate"]))
    # delta method by finite differences of the map (beta, log sigma) -> (-beta/sigma, 1/sigma)
    p0 = fit.params.to_numpy()

    def g(p: np.ndarray) -> np.ndarray:
        return np.append(-p[:2] / np.exp(p[2]), np.exp(-p[2]))

    J = np.array([(g(p0 + 1e-7 * e) - g(p0 - 1e-7 * e)) / 2e-7 for e in np.eye(3)]).T
    se = np.sqrt(np.diag(J @ fit.vcov.to_numpy() @ J.T))
    np.testing.assert_allclose(ph["std_error"], se, rtol=1e-6)
    with pytest.raises(ValueError, match="Weibull"):
        mi.weibull_ph(mi.weibull("x", df, duration="t", event="d", dist="lognormal"))


def test_result_interface_and_menu() -> None:
    df = _truncated().assign(g=lambda f: np.arange(len(f)) % 20)
    fit = mi.weibull("x", df, duration="t", event="d", vcov={"CRV1": "g"})
    assert fit.vcov_label == "CRV1 by g" and fit.df_inference is None
    assert fit.tidy()["term"].tolist() == ["Intercept", "x", "Log(scale)"]
    crv0 = fit.with_vcov({"CRV0": "g"})
    np.testing.assert_allclose(fit.vcov.to_numpy(), 20 / 19 * crv0.vcov.to_numpy())
    assert "Weibull AFT" in fit.summary()
    exp = mi.weibull("x", df, duration="t", event="d", dist="exponential")
    assert list(exp.params.index) == ["Intercept", "x"] and "scale" not in exp.stats


def test_bad_input() -> None:
    df = pd.DataFrame({"t": [1.0, 0.0, 2.0, 3.0], "d": [1, 1, 2, 0], "x": [0, 1, 2, 3],
                       "e": [0.0, 0.0, 0.0, 3.0]})
    with pytest.raises(mi.DataError) as err:
        mi.weibull("x", df, duration="t", event="d", entry="e")
    messages = [str(p) for p in err.value.problems]
    assert any("row 1" in m and "positive" in m for m in messages)
    assert any("row 2" in m and "0 or 1" in m for m in messages)
    assert any("row 3" in m and "no time at risk" in m for m in messages)
    with pytest.raises(mi.DataError, match="no event"):
        mi.weibull("x", df.assign(d=0, t=[1.0, 2, 3, 4]), duration="t", event="d")
    with pytest.raises(ValueError, match="dist"):
        mi.weibull("x", df, duration="t", event="d", dist="gamma")
    with pytest.raises(ValueError, match="dummy variables"):
        mi.weibull("x | g", df, duration="t", event="d")
