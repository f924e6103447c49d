"""mi.hausman: the truth on simulated panels, and its errors and warnings.

Agreement with R plm's phtest is in tests/reference/test_plm_grunfeld.py.
"""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import warnings

import numpy as np
import pytest

import massincidents as mi
from massincidents.linear.hausman import HausmanWarning

FORMULA = "y_linear ~ x1 + x2 + treated"


def _fits(df, vcov="iid"):
    fe = mi.linear(f"{FORMULA} | province", df, vcov=vcov)
    re = mi.random_effects(FORMULA, df)
    return fe, re


def test_docstring_examples() -> None:
    result = doctest.testmod(importlib.import_module("massincidents.linear.hausman"))
    assert result.failed == 0 and result.attempted > 0


def test_correlated_unit_effect_biases_re_and_hausman_rejects() -> None:
    """x1 loads on the unit effect (rho = 1): FE recovers 0.3, RE does not, Hausman rejects."""
    fe_x1, re_x1, pvalues = [], [], []
    for seed in range(10):
        df = mi.datasets.simulate_panel(n_provinces=31, n_years=20, seed=300 + seed, sigma_year=0.0)
        fe, re = _fits(df)
        fe_x1.append(fe.params["x1"])
        re_x1.append(re.params["x1"])
        pvalues.append(mi.hausman(fe, re, method="robust").pvalue)
    fe_x1, re_x1 = np.array(fe_x1), np.array(re_x1)
    mc_se = fe_x1.std(ddof=1) / np.sqrt(len(fe_x1))
    assert abs(fe_x1.mean() - 0.3) < 3 * mc_se
    assert re_x1.mean() - 0.3 > 10 * mc_se  # biased towards the pooled estimate
    assert max(pvalues) < 0.01


def test_no_correlation_both_recover_and_hausman_has_nominal_size() -> None:
    """rho = 0: FE and RE both unbiased; both tests reject about 5% of the time at the 5% level.

    With 100 units the rejection rates (1000 draws, once) are 5.6% (classic) and 6.4%
    (robust, CRV1); with 31 units and 20 years they are 16% and 18%: the asymptotics need
    more units than China has provinces. 300 draws here: a rate outside [2%, 11%] has
    probability below 0.1% at a true size of 6%.
    """
    draws = 300
    reject = {"classic": 0, "robust": 0}
    fe_x1, re_x1 = [], []
    for seed in range(draws):
        df = mi.datasets.simulate_panel(
            n_provinces=100, n_years=10, seed=50_000 + seed, rho=0.0, sigma_year=0.0
        )
        df.attrs.clear()  # pandas deep-copies attrs (the truth) on every column access: slow
        fe, re = _fits(df)
        fe_x1.append(fe.params["x1"])
        re_x1.append(re.params["x1"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HausmanWarning)
            reject["classic"] += mi.hausman(fe, re).pvalue < 0.05
        reject["robust"] += mi.hausman(fe, re, method="robust").pvalue < 0.05
    for values in (np.array(fe_x1), np.array(re_x1)):
        assert abs(values.mean() - 0.3) < 3 * values.std(ddof=1) / np.sqrt(draws)
    for method, count in reject.items():
        assert 0.02 <= count / draws <= 0.11, (method, count)


@pytest.fixture(scope="module")
def fits():
    df = mi.datasets.simulate_panel(n_provinces=31, n_years=10, seed=4, rho=0.0, sigma_year=0.0)
    return df, *_fits(df)


def test_test_result_is_a_small_frozen_record(fits) -> None:
    _, fe, re = fits
    test = mi.hausman(fe, re, method="robust")
    assert isinstance(test, mi.TestResult)
    assert (test.df, test.method) == (3, "Hausman (robust, auxiliary regression; CRV1 by province)")
    assert 0 <= test.pvalue <= 1 and test.statistic >= 0
    assert str(test).startswith("Hausman (robust") and "chi2(3)" in str(test)
    with pytest.raises(dataclasses.FrozenInstanceError):
        test.statistic = 0.0  # type: ignore[misc]


def test_classic_uses_iid_variances_whatever_the_fits_used(fits) -> None:
    df, fe, re = fits
    clustered = mi.linear(f"{FORMULA} | province", df)  # default CRV1 by province
    assert clustered.vcov_label != "iid"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HausmanWarning)
        a, b = mi.hausman(fe, re), mi.hausman(clustered, re.with_vcov("hetero"))
    assert a.statistic == pytest.approx(b.statistic, rel=1e-12)


def test_robust_vcov_choices(fits) -> None:
    _, fe, re = fits
    crv0 = mi.hausman(fe, re, method="robust", vcov={"CRV0": "province"})
    crv1 = mi.hausman(fe, re, method="robust")
    n, p, G = fe.nobs, 2 * 3 + 1, 31
    # Same meat, CRV1 = G/(G-1) (n-1)/(n-p) CRV0: the statistic scales by the inverse.
    assert crv0.statistic == pytest.approx(crv1.statistic * G / (G - 1) * (n - 1) / (n - p))


def test_classic_warns_when_the_variance_difference_is_not_positive_definite() -> None:
    df = mi.datasets.simulate_panel(seed=0, sigma_year=0.0)  # rho = 1: RE badly misspecified
    fe, re = _fits(df)
    with pytest.warns(HausmanWarning, match="not positive definite"):
        test = mi.hausman(fe, re)
    assert test.statistic > 0  # |d' V^-1 d|, as plm


def test_errors(fits) -> None:
    df, fe, re = fits
    with pytest.raises(ValueError, match="no slope coefficient in common"):
        mi.hausman(
            mi.linear("y_linear ~ x2 | province", df), mi.random_effects("y_linear ~ x1", df)
        )
    with pytest.raises(ValueError, match="different rows"):
        mi.hausman(mi.linear(f"{FORMULA} | province", df.iloc[10:]), re)
    with pytest.raises(ValueError, match=r"needs re from mi\.random_effects"):
        mi.hausman(fe, mi.linear(FORMULA, df), method="robust")
    with pytest.raises(ValueError, match="one-way fixed effects by 'province'"):
        mi.hausman(mi.linear(f"{FORMULA} | province + year", df), re, method="robust")
    with pytest.raises(ValueError, match="method must be"):
        mi.hausman(fe, re, method="wald")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="iid variances"):
        mi.hausman(fe, re, vcov="hetero")
