"""The Anderson-Rubin test and its confidence set (massincidents.iv.anderson_rubin)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from simulated_iv import simulate

import massincidents as mi

FORMULA = "y ~ x | unit + year | d ~ z1 + z2"
VARIANCES = ["iid", "hetero", {"CRV1": "unit"}, {"CRV1": "unit+year"}, {"DK": 1}]


def _fit(data, formula=FORMULA, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        return mi.iv(formula, data, **options)


def _accepts(fit, b: float, level: float) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        return fit.anderson_rubin(b).pvalue >= 1 - level


@pytest.mark.parametrize("vcov", VARIANCES, ids=str)
def test_the_set_is_the_inverted_test(vcov) -> None:
    """On a grid, a value is in the set exactly when the test does not reject it."""
    for strength, formula in ((0.6, FORMULA), (0.08, FORMULA),
                              (0.08, "y ~ x | unit + year | d ~ z1")):
        fit = _fit(simulate(seed=11, strength=strength), formula, vcov=vcov)
        cs = fit.anderson_rubin_set(0.9)
        if not cs.available:
            assert "+" in str(vcov)  # a two-way clustered variance that is not positive definite
            continue
        grid = np.concatenate([np.linspace(-30, 30, 241), [fit.params["d"]]])
        for b in grid:
            near = any(abs(b - e) < 1e-6 * max(1, abs(e)) for lo, hi in cs.intervals
                       for e in (lo, hi) if math.isfinite(e))
            if not near:
                assert cs.contains(b) == _accepts(fit, b, 0.9), (b, str(cs))


@pytest.mark.parametrize("vcov", VARIANCES, ids=str)
def test_finite_ends_are_where_the_p_value_is_one_minus_the_level(vcov) -> None:
    fit = _fit(simulate(seed=2, units=60, years=30), vcov=vcov)
    cs = fit.anderson_rubin_set(0.95)
    ends = [e for lo, hi in cs.intervals for e in (lo, hi) if math.isfinite(e)]
    assert ends
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        for e in ends:
            assert fit.anderson_rubin(e).pvalue == pytest.approx(0.05, abs=1e-9)


def test_strong_instruments_give_an_interval_around_the_estimate() -> None:
    fit = _fit(simulate(seed=4, units=100), vcov={"CRV1": "unit"})
    cs = fit.diagnostics.anderson_rubin_set
    assert cs.bounded and len(cs.intervals) == 1 and cs.contains(fit.params["d"])
    (lo, hi), = cs.intervals
    wald = fit.conf_int().loc["d"]
    assert lo == pytest.approx(wald["lower"], rel=0.2)
    assert hi == pytest.approx(wald["upper"], rel=0.2)


def test_irrelevant_instruments_give_an_unbounded_set() -> None:
    data = simulate(seed=8, strength=0.0)
    fit = _fit(data, "y ~ x | unit + year | d ~ z1", vcov="hetero")
    cs = fit.anderson_rubin_set(0.95)
    assert not cs.bounded
    assert math.isinf(cs.intervals[0][0]) or math.isinf(cs.intervals[-1][1])
    # far from the estimate the verdict is the first-stage test's: accepted when it is weak
    assert fit.diagnostics.first_stage["d"].pvalue > 0.05
    assert cs.contains(1e9) and cs.contains(-1e9)


def test_ar_at_zero_in_diagnostics_and_several_endogenous() -> None:
    data = simulate(seed=5)
    data["d2"] = data["z2"] - 0.5 * data["z1"] + np.random.default_rng(0).normal(size=len(data))
    fit = _fit(data, "y ~ x | unit + year | d + d2 ~ z1 + z2", vcov="hetero")
    assert fit.diagnostics.anderson_rubin_set is None
    assert fit.diagnostics.anderson_rubin.statistic == pytest.approx(
        fit.anderson_rubin([0, 0]).statistic)
    assert fit.anderson_rubin([1.5, 0.0]).pvalue > 0.01
    with pytest.raises(ValueError, match="one value per endogenous"):
        fit.anderson_rubin(0.0)
    with pytest.raises(ValueError, match="one endogenous"):
        fit.anderson_rubin_set()


def test_a_two_way_variance_that_is_not_positive_definite_is_said_so() -> None:
    fit = _fit(simulate(seed=2), vcov={"CRV1": "unit+year"})
    cs = fit.diagnostics.anderson_rubin_set
    assert not cs.available and "not positive definite" in str(cs)
    with pytest.raises(ValueError, match="not available"):
        cs.contains(0.0)
    assert math.isnan(fit.anderson_rubin(0.0).statistic)  # not a negative F


def test_anderson_rubin_keeps_its_size_with_weak_instruments() -> None:
    """Simulation: with a nearly irrelevant instrument the AR test at the truth rejects about
    5% of the time, the 2SLS t test far more often."""
    rng = np.random.default_rng(20261207)
    n, reps, beta = 200, 300, 1.0
    ar_reject = wald_reject = 0
    for _ in range(reps):
        z1, z2, u, e = rng.normal(size=(4, n))
        d = 0.05 * z1 + 0.05 * z2 + 0.9 * u + np.sqrt(1 - 0.81) * e
        data = pd.DataFrame({"y": beta * d + u, "d": d, "z1": z1, "z2": z2})
        fit = mi.iv("y ~ 1 | d ~ z1 + z2", data, vcov="hetero")
        ar_reject += fit.anderson_rubin(beta).pvalue < 0.05
        wald_reject += abs((fit.params["d"] - beta) / fit.bse["d"]) > 1.97
    assert 0.025 <= ar_reject / reps <= 0.085  # binomial(300, 0.05): 2.5%-8.5% is ~4 SE
    assert wald_reject / reps > 0.2
