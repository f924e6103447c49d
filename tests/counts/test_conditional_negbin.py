"""Conditional FE negative binomial (HHG 1984, Stata ``xtnbreg, fe``).

No Stata here: the reference is an independent implementation of the conditional
log-likelihood written out group by group from Hausman, Hall and Griliches (1984,
eq. 3.9) and maximised by scipy's BFGS with numerical derivatives, with standard
errors from a finite-difference Hessian; plus recovery on data simulated from the
HHG model with unit-specific overdispersion.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import gammaln

import massincidents as mi
from massincidents.counts.conditional_negbin import CAVEAT, ZERO_UNIT, conditional_negbin


def simulate_hhg(n_units: int, n_periods: int, seed: int, beta=(0.5, 0.4, -0.3)) -> pd.DataFrame:
    r"""y_it | delta_i ~ NB with lambda_it = exp(b0 + b1 x1 + b2 x2): gamma_it ~ Gamma(lambda_it,
    scale 1/delta_i), y ~ Poisson(gamma_it); mean lambda/delta, variance (1+delta) lambda/delta^2.
    x1 is correlated with the unit's dispersion delta_i."""
    rng = np.random.default_rng(seed)
    log_delta = rng.normal(0.0, 0.7, n_units)
    unit = np.repeat(np.arange(n_units), n_periods)
    x1 = 0.5 * log_delta[unit] + rng.normal(size=unit.size)
    x2 = rng.normal(size=unit.size)
    lam = np.exp(beta[0] + beta[1] * x1 + beta[2] * x2)
    y = rng.poisson(rng.gamma(lam, 1.0 / np.exp(log_delta[unit])))
    return pd.DataFrame(
        {"unit": unit, "t": np.tile(np.arange(n_periods), n_units), "x1": x1, "x2": x2, "y": y}
    )


def independent_loglik(beta: np.ndarray, df: pd.DataFrame) -> float:
    total = 0.0
    for _, g in df.groupby("unit"):
        lam = np.exp(beta[0] + beta[1] * g["x1"].to_numpy() + beta[2] * g["x2"].to_numpy())
        y = g["y"].to_numpy(float)
        if y.sum() == 0 or len(y) < 2:
            continue
        total += (
            gammaln(lam.sum())
            + gammaln(y.sum() + 1)
            - gammaln(lam.sum() + y.sum())
            + np.sum(gammaln(lam + y) - gammaln(lam) - gammaln(y + 1))
        )
    return float(total)


def numerical_hessian(f, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    k = x.size
    H = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4 * h * h
            )
    return H


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return simulate_hhg(60, 6, seed=5)


def test_matches_an_independent_implementation(sample) -> None:
    fit = mi.negbin("y ~ x1 + x2 | unit", sample, conditional=True)
    objective = lambda b: -independent_loglik(b, sample)  # noqa: E731
    ref = minimize(objective, np.zeros(3), method="BFGS", options={"gtol": 1e-8})
    np.testing.assert_allclose(fit.params.to_numpy(), ref.x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fit.stats["loglik"], -ref.fun, rtol=1e-10)
    H = numerical_hessian(lambda b: independent_loglik(b, sample), fit.params.to_numpy())
    se = np.sqrt(np.diag(np.linalg.inv(-H)))
    np.testing.assert_allclose(fit.bse.to_numpy(), se, rtol=1e-4)
    assert fit.vcov_label == "iid"
    assert list(fit.params.index) == ["Intercept", "x1", "x2"]


def test_recovers_the_truth_with_unit_specific_dispersion() -> None:
    truth = np.array([0.5, 0.4, -0.3])
    hits = np.zeros(3)
    estimates = []
    for seed in range(40):
        df = simulate_hhg(80, 5, seed=100 + seed)
        fit = conditional_negbin("y ~ x1 + x2 | unit", df)
        ci = fit.conf_int().to_numpy()
        hits += (ci[:, 0] <= truth) & (truth <= ci[:, 1])
        estimates.append(fit.params.to_numpy())
    assert hits.min() >= 33  # Binomial(40, 0.95): P(X < 33) < 0.1%
    mean = np.mean(estimates, axis=0)
    assert np.all(np.abs(mean - truth) < 4 * np.std(estimates, axis=0) / np.sqrt(40) + 0.01)


def test_time_invariant_regressor_gets_a_coefficient_and_the_caveat_is_noted(sample) -> None:
    """Allison and Waterman (2002): not a true FE estimator."""
    rng = np.random.default_rng(2)
    df = sample.assign(z=rng.normal(size=sample["unit"].nunique())[sample["unit"]])
    fit = mi.negbin("y ~ x1 + x2 + z | unit", df, conditional=True)
    assert "z" in fit.params.index and np.isfinite(fit.bse["z"])
    assert CAVEAT in fit.notes
    assert "Allison and Waterman" in (conditional_negbin.__doc__ or "")


def test_units_with_all_zero_outcomes_and_singletons_are_left_out(sample) -> None:
    df = sample.copy()
    df.loc[df["unit"] == 3, "y"] = 0
    df = pd.concat([df, df.iloc[[0]].assign(unit=999)], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = conditional_negbin("y ~ x1 + x2 | unit", df)
    assert fit.left_out == {"singleton fixed-effect group": 1, ZERO_UNIT: 6}
    assert fit.stats["n_groups"] == sample["unit"].nunique() - 1


def test_variance_choices(sample) -> None:
    fit = conditional_negbin("y ~ x1 + x2 | unit", sample)
    clustered = fit.with_vcov({"CRV1": "unit"})
    assert clustered.vcov_label == "CRV1 by unit"
    assert not np.allclose(clustered.bse, fit.bse)
    with pytest.raises(ValueError, match="does not factor over observations"):
        fit.with_vcov("hetero")
    with pytest.raises(ValueError, match="whole units"):
        fit.with_vcov({"CRV1": "t"})


def test_needs_exactly_one_fixed_effect(sample) -> None:
    with pytest.raises(ValueError, match="exactly one fixed effect"):
        conditional_negbin("y ~ x1 + x2", sample)
    with pytest.raises(ValueError, match="exactly one fixed effect"):
        conditional_negbin("y ~ x1 + x2 | unit + t", sample)


def test_marginal_effects_are_refused(sample) -> None:
    fit = conditional_negbin("y ~ x1 + x2 | unit", sample)
    with pytest.raises(ValueError, match="not available"):
        mi.marginal_effects(fit, sample)
