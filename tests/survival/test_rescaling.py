"""Every survival model is invariant to the units of its covariates (issue 13).

Multiplying a covariate by :math:`10^k`, :math:`|k| \\le 15`, must multiply its
coefficient and standard error by :math:`10^{-k}` (1e-8 relative) and leave
every other number of the fit unchanged: the other coefficients and standard
errors, the p-values, log-likelihoods, concordance, iteration counts, and the
proportional-hazards tests of ``cox_zph``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

import massincidents as mi

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scaling import EXPONENTS, RTOL, check_rescaling

DATA = Path(__file__).resolve().parents[1] / "reference" / "data"


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    d = pd.read_csv(DATA / "cox_rossi.csv")
    return d.assign(group=np.arange(len(d)) % 37)


@pytest.fixture(scope="module")
def heart() -> pd.DataFrame:
    return pd.read_csv(DATA / "cox_heart.csv")


@pytest.fixture(scope="module")
def kidney() -> pd.DataFrame:
    return pd.read_csv(DATA / "cox_kidney.csv")


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return pd.read_csv(DATA / "lung.csv").rename(columns={"ph.ecog": "ph_ecog"}).dropna()


@pytest.fixture(scope="module")
def spells() -> pd.DataFrame:
    return pd.read_csv(DATA / "discrete_spells.csv")


COX: dict[str, Callable[[pd.DataFrame], object]] = {
    "efron": lambda d: mi.cox("fin + age + prio", d, stop="week", event="arrest"),
    "breslow": lambda d: mi.cox(
        "fin + age + prio", d, stop="week", event="arrest", ties="breslow"
    ),
    "strata": lambda d: mi.cox("fin + age + prio", d, stop="week", event="arrest", strata="wexp"),
    "cluster (R's robust)": lambda d: mi.cox(
        "fin + age + prio", d, stop="week", event="arrest", cluster="group"
    ),
    "hetero, breslow": lambda d: mi.cox(
        "fin + age + prio", d, stop="week", event="arrest", ties="breslow", vcov="hetero"
    ),
}


@pytest.mark.parametrize("model", list(COX))
@settings(max_examples=10, deadline=None)
@given(k=EXPONENTS)
def test_cox_rescaling(rossi, model, k) -> None:
    check_rescaling(COX[model], rossi, "age", k)


@settings(max_examples=10, deadline=None)
@given(k=EXPONENTS)
def test_cox_counting_process_time_varying_rescaling(heart, k) -> None:
    def fit(d: pd.DataFrame) -> object:
        return mi.cox(
            "age + year + surgery + transplant",
            d,
            start="start",
            stop="stop",
            event="event",
            cluster="id",
        )

    check_rescaling(fit, heart, "year", k)


@settings(max_examples=6, deadline=None)
@given(k=EXPONENTS)
def test_cox_frailty_rescaling(kidney, k) -> None:
    def fit(d: pd.DataFrame) -> object:
        return mi.cox("age + sex", d, stop="time", event="status", frailty={"cluster": "id"})

    check_rescaling(fit, kidney, "age", k)


@pytest.mark.parametrize("dist", ["weibull", "exponential", "lognormal", "loglogistic"])
@settings(max_examples=8, deadline=None)
@given(k=EXPONENTS)
def test_aft_rescaling(lung, dist, k) -> None:
    def fit(d: pd.DataFrame) -> object:
        return mi.weibull(
            "age + sex + ph_ecog", d, duration="time", event="event", dist=dist,
            vcov={"CRV1": "inst"},
        )

    check_rescaling(fit, lung, "age", k)


@pytest.mark.parametrize("link", ["logit", "cloglog"])
@settings(max_examples=8, deadline=None)
@given(k=EXPONENTS)
def test_discrete_hazard_rescaling(spells, link, k) -> None:
    def fit(d: pd.DataFrame) -> object:
        return mi.discrete_hazard(
            d, unit="id", time="duration", event="event", entry="entry",
            formula_rhs="x1 + x2", link=link, layout="spells", vcov={"CRV1": "id"},
        )

    check_rescaling(fit, spells, "x1", k)


@pytest.mark.parametrize("transform", ["km", "rank", "identity"])
@settings(max_examples=8, deadline=None)
@given(k=EXPONENTS)
def test_cox_zph_tests_do_not_depend_on_units(rossi, transform, k) -> None:
    scaled = rossi.assign(age=rossi["age"] * 10.0**k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zphs = [
            mi.cox_zph(mi.cox("fin + age + prio", d, stop="week", event="arrest"), transform)
            for d in (rossi, scaled)
        ]
    base, other = zphs
    np.testing.assert_allclose(
        other.table["chisq"], base.table["chisq"], rtol=RTOL, err_msg="chi-squared"
    )
    np.testing.assert_allclose(other.table["p"], base.table["p"], rtol=RTOL, atol=1e-14)
    # the scaled Schoenfeld residuals estimate beta(t): in the units of the covariate
    factor = np.array([10.0**k if c == "age" else 1.0 for c in base.residuals.columns])
    np.testing.assert_allclose(other.residuals.to_numpy() * factor, base.residuals, rtol=RTOL)


def test_a_covariate_in_small_units_is_not_dropped_as_constant(rossi) -> None:
    # main dropped age in units of 1e13 years as "constant within strata" (an absolute
    # floor in the test of spread) and printed a model without it
    base = mi.cox("fin + age + prio", rossi, stop="week", event="arrest")
    small = mi.cox(
        "fin + age + prio", rossi.assign(age=rossi["age"] * 1e-13), stop="week", event="arrest"
    )
    assert list(small.params.index) == ["fin", "age", "prio"]
    np.testing.assert_allclose(small.params["age"] * 1e-13, base.params["age"], rtol=1e-10)
    np.testing.assert_allclose(small.stats["loglik"], base.stats["loglik"], rtol=1e-13)


def test_discrete_hazard_estimates_do_not_depend_on_units(spells) -> None:
    # statsmodels' GLM IRLS, on unscaled columns, moved the x1 coefficient by 2e-7
    # relative when x1 was in units of 1e10
    def fit(d: pd.DataFrame) -> object:
        return mi.discrete_hazard(
            d, unit="id", time="duration", event="event", entry="entry",
            formula_rhs="x1 + x2", layout="spells",
        )

    base = fit(spells)
    tiny = fit(spells.assign(x1=spells["x1"] * 1e-10))
    np.testing.assert_allclose(tiny.params["x1"] * 1e-10, base.params["x1"], rtol=1e-11)
    np.testing.assert_allclose(tiny.bse["x1"] * 1e-10, base.bse["x1"], rtol=1e-11)


def test_aft_newton_path_does_not_depend_on_units(lung) -> None:
    # main's Newton (absolute damping floor, unscaled final solve) took 11 steps with
    # age in units of 1e12 years and 8 in years
    def fit(d: pd.DataFrame) -> object:
        return mi.weibull("age + sex + ph_ecog", d, duration="time", event="event")

    base, scaled = fit(lung), fit(lung.assign(age=lung["age"] * 1e-12))
    assert scaled.stats["iterations"] == base.stats["iterations"]
    np.testing.assert_allclose(scaled.params["age"] * 1e-12, base.params["age"], rtol=1e-12)
