"""The IRLS core of the log-link count models (``massincidents.counts._irls``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from massincidents.core.least_squares import least_squares
from massincidents.counts import _irls


def _problem(collinear: float | None = None, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = 2000
    X = rng.normal(size=(n, 3)) * np.array([1.0, 1e6, 1e-6])  # units do not matter
    if collinear is not None:
        X[:, 2] = X[:, 1] * 1e-12 + collinear * rng.normal(size=n) * 1e-6
    w = rng.uniform(0.1, 5.0, size=n)
    z = X @ np.array([0.5, 2e-6, -3e5]) + rng.normal(size=n)
    return X, z, w


def test_intermediate_step_solves_equilibrated_normal_equations_without_the_kernel(
    monkeypatch,
) -> None:
    # Well conditioned: two passes over the rows, same answer as the kernel's.
    X, z, w = _problem()
    expected = least_squares(X, z, w).beta
    calls = []
    monkeypatch.setattr(_irls, "least_squares", lambda *a, **k: calls.append(1) or None)
    beta = _irls.weighted_least_squares(X, z, w)
    assert calls == []
    np.testing.assert_allclose(beta, expected, rtol=1e-10)


def test_intermediate_step_of_nearly_collinear_regressors_goes_to_the_kernel(monkeypatch) -> None:
    X, z, w = _problem(collinear=1e-4)
    expected = least_squares(X, z, w, warn=False).beta
    calls = []
    original = _irls.least_squares

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(_irls, "least_squares", counted)
    beta = _irls.weighted_least_squares(X, z, w)
    assert calls == [1]
    np.testing.assert_allclose(beta, expected, rtol=1e-12)


@pytest.mark.parametrize("seed", [1, 2])
def test_poisson_irls_reaches_the_same_estimates(seed) -> None:
    rng = np.random.default_rng(seed)
    n = 3000
    unit, year = rng.integers(0, 60, n), rng.integers(0, 12, n)
    X = rng.normal(size=(n, 2))
    y = rng.poisson(np.exp(0.3 * X[:, 0] - 0.2 * X[:, 1] + 0.05 * (unit % 5)))
    fit = _irls.irls(y.astype(float), X, ["a", "b"], [unit, year], np.zeros(n))
    import statsmodels.api as sm

    dummies = np.column_stack([X, np.eye(60)[unit], np.eye(12)[year][:, 1:]])
    ref = sm.GLM(y, dummies, family=sm.families.Poisson()).fit(tol=1e-14)
    np.testing.assert_allclose(fit.beta, ref.params[:2], rtol=1e-8)


def test_fixed_effects_are_at_their_maximum_whatever_the_irls_tolerance() -> None:
    # Poisson likelihood equations of a fixed effect: fitted total = observed total in
    # every group. After IRLS the fixed effects are fitted exactly given the slopes, so
    # this holds to rounding even when IRLS stops early.
    import massincidents as mi

    df = mi.datasets.simulate_panel(n_provinces=40, n_years=15, seed=2)
    fit = mi.poisson(
        "y ~ x1 + x2 | province + year", df, exposure="population", tol=1e-5, vcov="iid"
    )
    used = df.loc[fit.extra["index"]] if "index" in fit.extra else df
    mu = fit.extra["mu"]
    for column in ("province", "year"):
        groups = used[column].to_numpy()
        fitted = pd.Series(mu).groupby(groups).sum()
        observed = pd.Series(used["y"].to_numpy(float)).groupby(groups).sum()
        np.testing.assert_allclose(fitted, observed, rtol=1e-12)


def test_default_stopping_rule_stops_earlier_and_keeps_the_digits() -> None:
    import massincidents as mi

    df = mi.datasets.simulate_panel(n_provinces=100, n_years=20, seed=1)
    formula = "y ~ x1 + x2 + treated | province + year"
    default = mi.poisson(formula, df, exposure="population")
    tight = mi.poisson(formula, df, exposure="population", tol=1e-10)
    exact = mi.poisson(formula, df, exposure="population", tol=1e-14)
    assert default.stats["iterations"] < tight.stats["iterations"]
    np.testing.assert_allclose(default.params, exact.params, rtol=1e-9)
    np.testing.assert_allclose(default.bse, exact.bse, rtol=1e-9)
    assert default.stats["deviance"] == pytest.approx(exact.stats["deviance"], rel=1e-12)
