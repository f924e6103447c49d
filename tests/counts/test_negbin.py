"""mi.negbin (NB2): agreement with statsmodels' joint MLE, recovery of the truth, errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import massincidents as mi
from massincidents.core.demean import ConvergenceError
from massincidents.core.design import SingletonWarning
from massincidents.counts import SeparationWarning
from massincidents.counts.negbin import nb2_loglik, theta_ml
from massincidents.counts.poisson import ZERO_GROUP

REF_DATA = Path(__file__).resolve().parents[1] / "reference" / "data"
FORMULA = "y ~ x1 + x2 + treated | province + year"


@pytest.fixture(scope="module")
def quine() -> pd.DataFrame:
    return pd.read_csv(REF_DATA / "quine.csv")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=12)


def test_same_maximum_as_statsmodels_negative_binomial(quine) -> None:
    """statsmodels maximises the same NB2 likelihood jointly in (beta, alpha)."""
    fit = mi.negbin("Days ~ Eth + Sex + Age + Lrn", quine)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.negativebinomial("Days ~ Eth + Sex + Age + Lrn", quine).fit(
            method="newton", maxiter=200, tol=1e-12, disp=0
        )
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params.iloc[:-1].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(fit.stats["alpha"], ref.params["alpha"], rtol=1e-6)
    np.testing.assert_allclose(fit.stats["loglik"], ref.llf, rtol=1e-10)


def test_theta_is_the_maximum_given_the_means(quine) -> None:
    fit = mi.negbin("Days ~ Eth + Sex + Age + Lrn", quine)
    y = quine["Days"].to_numpy(float)
    mu = fit.extra["mu"]
    theta = fit.stats["theta"]
    for factor in (0.999, 1.001):
        assert nb2_loglik(y, mu, theta) > nb2_loglik(y, mu, theta * factor)
    again, _ = theta_ml(y, mu, start=10.0)
    np.testing.assert_allclose(again, theta, rtol=1e-10)


def test_recovers_the_truth_with_fixed_effects() -> None:
    estimates = []
    for seed in range(25):
        df = mi.datasets.simulate_panel(n_provinces=100, n_years=8, seed=300 + seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SeparationWarning)
            fit = mi.negbin(FORMULA, df, exposure="population")
        estimates.append(fit.params[["x1", "x2", "treated"]].to_numpy())
        assert fit.vcov_label == "CRV1 by province"
        assert 0.2 < fit.stats["alpha"] < 0.8  # truth 0.5; shrunk by the T=8 unit dummies
    mean = np.mean(estimates, axis=0)
    se_of_mean = np.std(estimates, axis=0, ddof=1) / np.sqrt(len(estimates))
    assert np.all(np.abs(mean - np.array([0.3, -0.2, 0.2])) < 4 * se_of_mean + 0.01)


def test_without_overdispersion_theta_diverges_with_a_named_error() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=400)
    y = rng.binomial(4, 1 / (1 + np.exp(-x)))  # underdispersed counts
    with pytest.raises(ConvergenceError, match="no overdispersion"):
        mi.negbin("y ~ x", pd.DataFrame({"y": y, "x": x}))


def test_non_integer_counts_are_rejected(panel) -> None:
    with pytest.raises(mi.DataError, match="whole-number"):
        mi.negbin("r ~ x1", panel.assign(r=panel["y"] + 0.5))


def test_all_zero_group_is_left_out_and_singletons_kept(panel) -> None:
    df = panel.copy()
    zero_province = df["province"].unique()[0]
    df.loc[df["province"] == zero_province, "y"] = 0
    single = df.iloc[[5]].assign(province=999, y=7)
    df = pd.concat([df, single], ignore_index=True)
    with pytest.warns(SeparationWarning):
        fit = mi.negbin(FORMULA, df, exposure="population")
    assert fit.left_out == {ZERO_GROUP: 12}
    assert fit.nobs == len(df) - 12  # the singleton informs theta, as glm.nb with dummies
    with pytest.warns(SeparationWarning), pytest.warns(SingletonWarning):
        dropped = mi.negbin(FORMULA, df, exposure="population", drop_singletons=True)
    assert dropped.left_out == {ZERO_GROUP: 12, "singleton fixed-effect group": 1}


def test_irr_and_stats(panel) -> None:
    fit = mi.negbin(FORMULA, panel, exposure="population")
    np.testing.assert_allclose(fit.irr()["irr"], np.exp(fit.params))
    np.testing.assert_allclose(fit.stats["alpha"], 1 / fit.stats["theta"])
    np.testing.assert_allclose(
        fit.stats["alpha_se"], fit.stats["theta_se"] / fit.stats["theta"] ** 2
    )
    assert fit.model.startswith("Negative binomial")


def test_conditional_true_dispatches_to_hhg(panel) -> None:
    fit = mi.negbin("y ~ x1 + x2 | province", panel, exposure="population", conditional=True)
    assert fit.model == "Conditional FE negative binomial (HHG)"
    assert "Intercept" in fit.params.index


# -- units: rescaling a regressor rescales its coefficient and nothing else (issue 13)
from hypothesis import given, settings  # noqa: E402

from scaling import EXPONENTS, check_rescaling  # noqa: E402

NEGBIN_FAMILY = {
    "pooled, exposure": lambda d: mi.negbin("y ~ x1 + x2 + treated", d, exposure="population"),
    "year dummies": lambda d: mi.negbin(
        "y ~ x1 + x2 + treated + C(year)", d, exposure="population", vcov="hetero"
    ),
    "absorbed two-way FE": lambda d: mi.negbin(FORMULA, d, exposure="population"),
    "absorbed FE, Stata joint cluster": lambda d: mi.negbin(
        FORMULA, d, exposure="population", ssc="stata"
    ),
    "pooled, Stata joint oim": lambda d: mi.negbin(
        "y ~ x1 + x2 + treated", d, exposure="population", ssc="stata"
    ),
    "conditional FE (HHG)": lambda d: mi.negbin(
        "y ~ x1 + x2 + treated | province", d, exposure="population", conditional=True
    ),
}


@pytest.mark.parametrize("model", list(NEGBIN_FAMILY))
@settings(max_examples=8, deadline=None)
@given(k=EXPONENTS)
def test_rescaling_a_regressor_rescales_only_its_coefficient(panel, model, k) -> None:
    check_rescaling(NEGBIN_FAMILY[model], panel, "x1", k)


@pytest.mark.parametrize(
    "choice", ["iid", "hetero", {"CRV1": "province"}, {"CV3": "province"}]
)
def test_with_vcov_recomputes_the_lnalpha_se_stata_reports_under_that_choice(
    panel, choice
) -> None:
    """ssc="stata": ln(alpha)'s standard error follows the variance choice (Stata's /lnalpha
    row), so with_vcov must give what a fit with that choice gives, not the fit's own."""
    fitted = mi.negbin(FORMULA, panel, exposure="population", ssc="stata", vcov="iid")
    direct = mi.negbin(FORMULA, panel, exposure="population", ssc="stata", vcov=choice)
    moved = fitted.with_vcov(choice)
    np.testing.assert_allclose(moved.bse.to_numpy(), direct.bse.to_numpy(), rtol=1e-10)
    for key in ("lnalpha_se", "alpha_se"):
        assert moved.stats[key] == pytest.approx(direct.stats[key], rel=1e-10)
    if choice != "iid":
        assert moved.stats["lnalpha_se"] != pytest.approx(fitted.stats["lnalpha_se"], rel=1e-6)
    # ssc="R": ln(alpha)'s SE is the observed-information one, whatever the choice
    r_fit = mi.negbin(FORMULA, panel, exposure="population", vcov="iid")
    assert r_fit.with_vcov(choice).stats["lnalpha_se"] == r_fit.stats["lnalpha_se"]
