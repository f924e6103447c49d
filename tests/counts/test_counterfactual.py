"""Tests of mi.counterfactual: statsmodels references, simulation coverage, errors."""

from __future__ import annotations

import doctest
import importlib
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import massincidents as mi
from massincidents.core.design import CollinearityWarning
from massincidents.counts.counterfactual import COLUMNS

Z95 = float(stats.norm.ppf(0.975))


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mi.datasets.simulate_panel(n_provinces=10, n_years=8, seed=3)


@pytest.fixture(scope="module")
def fe_dummies(panel: pd.DataFrame) -> np.ndarray:
    """Intercept plus province and year dummies (first level of each dropped)."""
    d = pd.get_dummies(panel[["province", "year"]].astype(str), drop_first=True, dtype=float)
    return np.column_stack([np.ones(len(panel)), d.to_numpy()])


def _richardson_gradient(f, b0: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """Five-point central differences (error of order h^4)."""
    g = np.zeros_like(b0)
    for k in range(b0.shape[0]):
        e = np.zeros_like(b0)
        e[k] = h
        g[k] = (-f(b0 + 2 * e) + 8 * f(b0 + e) - 8 * f(b0 - e) + f(b0 - 2 * e)) / (12 * h)
    return g


def _profile_reference(y, X, D, off, family, shifts, level=0.95):
    """Totals and delta-method intervals computed with statsmodels alone.

    The slopes come from a GLM with the fixed effects as dummies; the change
    along the profile of the fixed effects is re-fitted by statsmodels at each
    trial value of the slopes (only the dummies estimated, ``X b`` in the
    offset) and differentiated numerically.
    """
    full = sm.GLM(y, np.column_stack([X, D]), family=family, offset=off).fit(tol=1e-14, maxiter=500)
    k = X.shape[1]
    b0 = full.params[:k]
    V = full.cov_params()[:k, :k]
    crit = stats.norm.ppf(0.5 + level / 2)
    out = {}
    for j, s in shifts:
        Xs = X.copy()
        Xs[:, j] += s
        fitted = float(full.predict(np.column_stack([X, D]), offset=off).sum())
        shifted = float(full.predict(np.column_stack([Xs, D]), offset=off).sum())

        def change(b, j=j, s=s):
            r = sm.GLM(y, D, family=family, offset=off + X @ b).fit(tol=1e-15, maxiter=500)
            return float(np.sum(r.fittedvalues)) * np.expm1(b[j] * s)

        grad = _richardson_gradient(change, b0)
        se = float(np.sqrt(grad @ V @ grad))
        out[j] = {
            "fitted_total": fitted,
            "counterfactual_total": shifted,
            "change_low": shifted - fitted - crit * se,
            "change_high": shifted - fitted + crit * se,
            "beta": b0[j],
            "se_beta": float(np.sqrt(V[j, j])),
        }
    return out


# -- against statsmodels --------------------------------------------------------------------
def test_poisson_two_way_fe_matches_statsmodels_dummies(panel, fe_dummies):
    fit = mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population", vcov="iid")
    cf = mi.counterfactual(fit, {"x1": 1.0, "x2": -0.5}).set_index("term")
    y = panel["y"].to_numpy(float)
    X = panel[["x1", "x2"]].to_numpy(float)
    off = np.log(panel["population"].to_numpy(float))
    ref = _profile_reference(y, X, fe_dummies, off, sm.families.Poisson(), [(0, 1.0), (1, -0.5)])
    for j, term in enumerate(["x1", "x2"]):
        r, row = ref[j], cf.loc[term]
        for col in ("fitted_total", "counterfactual_total", "change_low", "change_high"):
            assert row[col] == pytest.approx(r[col], rel=1e-8), (term, col)
        s = row["shift"]
        pct = 100 * np.expm1(r["beta"] * s)
        half = Z95 * 100 * abs(s) * np.exp(r["beta"] * s) * r["se_beta"]
        assert row["percent_change"] == pytest.approx(pct, rel=1e-8)
        assert row["percent_low"] == pytest.approx(pct - half, rel=1e-8)
        assert row["percent_high"] == pytest.approx(pct + half, rel=1e-8)
    # Poisson with fixed effects: fitted total = observed total of the rows used
    assert cf["fitted_total"].iloc[0] == pytest.approx(panel["y"].sum(), rel=1e-10)


def test_negbin_fe_matches_statsmodels_at_the_estimated_dispersion(panel, fe_dummies):
    """NB2: sum(mu * x_tilde) is not zero, so the gradient has both parts.

    Reference: the full dummy-variable GLM of statsmodels at the estimated
    alpha, with the profile of the fixed effects under its working weights,
    d total / d beta = mu'X - mu'D (D'WD)^{-1} D'WX. The exact profile
    (re-fitting the dummies at each trial beta, observed-information weights)
    is checked loosely: the two differ in finite samples.
    """
    fit = mi.negbin("y ~ x1 + x2 | province + year", panel, exposure="population", vcov="iid")
    shifts = {"x1": 0.5, "x2": 2.0}
    cf = mi.counterfactual(fit, shifts, level=0.9).set_index("term")
    y = panel["y"].to_numpy(float)
    X = panel[["x1", "x2"]].to_numpy(float)
    D = fe_dummies
    off = np.log(panel["population"].to_numpy(float))
    family = sm.families.NegativeBinomial(alpha=fit.stats["alpha"])
    full = sm.GLM(y, np.column_stack([X, D]), family=family, offset=off).fit(tol=1e-14, maxiter=500)
    mu = full.fittedvalues
    w = full.model.family.weights(mu)  # working weights mu / (1 + alpha mu)
    grad_total = mu @ X - (mu @ D) @ np.linalg.solve(D.T @ (w[:, None] * D), D.T @ (w[:, None] * X))
    V = full.cov_params()[:2, :2]
    crit = stats.norm.ppf(0.95)
    exact = _profile_reference(y, X, D, off, family, [(0, 0.5), (1, 2.0)], level=0.9)
    for j, (term, s) in enumerate(shifts.items()):
        b = full.params[j]
        total = float(mu.sum())
        shifted = total * np.exp(b * s)
        grad = np.expm1(b * s) * grad_total
        grad[j] += s * shifted
        half = crit * float(np.sqrt(grad @ V @ grad))
        row = cf.loc[term]
        assert row["fitted_total"] == pytest.approx(total, rel=1e-9)
        assert row["counterfactual_total"] == pytest.approx(shifted, rel=1e-9)
        assert row["change_low"] == pytest.approx(shifted - total - half, rel=1e-8)
        assert row["change_high"] == pytest.approx(shifted - total + half, rel=1e-8)
        exact_half = exact[j]["change_high"] - (shifted - total)
        assert half == pytest.approx(exact_half, rel=0.05)
    assert cf["fitted_total"].iloc[0] != pytest.approx(panel["y"].sum(), rel=1e-4)


def test_pooled_poisson_matches_statsmodels(panel):
    fit = mi.poisson("y ~ x1 + x2", panel, exposure="population", vcov="iid")
    cf = mi.counterfactual(fit, {"x2": 1.5}).set_index("term")
    X = sm.add_constant(panel[["x1", "x2"]].to_numpy(float))
    off = np.log(panel["population"].to_numpy(float))
    ref = sm.GLM(panel["y"].to_numpy(float), X, family=sm.families.Poisson(), offset=off).fit(
        tol=1e-14
    )

    def change(theta):
        mu = np.exp(X @ theta + off)
        return float(mu.sum() * np.expm1(theta[2] * 1.5))

    grad = _richardson_gradient(change, ref.params, h=1e-4)
    se = float(np.sqrt(grad @ ref.cov_params() @ grad))
    assert cf.loc["x2", "change"] == pytest.approx(change(ref.params), rel=1e-8)
    assert cf.loc["x2", "change_high"] - cf.loc["x2", "change"] == pytest.approx(Z95 * se, rel=1e-7)


# -- properties -------------------------------------------------------------------------------
def test_columns_order_and_attrs(panel):
    fit = mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population")
    cf = mi.counterfactual(fit, {"x2": 1.0, "x1": -1.0})
    assert list(cf.columns) == COLUMNS
    assert list(cf["term"]) == ["x2", "x1"]
    assert cf.attrs["nobs"] == fit.nobs
    assert "CRV1 by province" in cf.attrs["interval"]
    assert np.allclose(cf["change"], cf["counterfactual_total"] - cf["fitted_total"])
    assert np.allclose(cf["percent_change"], 100 * cf["change"] / cf["fitted_total"])


def test_invariant_to_centring_the_regressor_under_fixed_effects(panel):
    moved = panel.assign(x1=panel["x1"] + 7.0)
    a = mi.counterfactual(
        mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population"), {"x1": 1.0}
    )
    b = mi.counterfactual(
        mi.poisson("y ~ x1 + x2 | province + year", moved, exposure="population"), {"x1": 1.0}
    )
    num = a.select_dtypes("number").to_numpy()
    assert np.allclose(num, b.select_dtypes("number").to_numpy(), rtol=1e-7)


def test_zero_shift_gives_zero_change(panel):
    fit = mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population")
    row = mi.counterfactual(fit, {"x1": 0.0}).iloc[0]
    assert row["change"] == 0.0 and row["change_low"] == 0.0 and row["change_high"] == 0.0


def test_vcov_menu_choice_and_matrix(panel):
    fit = mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population")
    hetero = fit.with_vcov("hetero")
    via_menu = mi.counterfactual(fit, {"x1": 1.0}, vcov="hetero")
    via_result = mi.counterfactual(hetero, {"x1": 1.0})
    via_frame = mi.counterfactual(fit, {"x1": 1.0}, vcov=hetero.vcov)
    via_array = mi.counterfactual(fit, {"x1": 1.0}, vcov=hetero.vcov.to_numpy())
    base = mi.counterfactual(fit, {"x1": 1.0})
    for other in (via_result, via_frame, via_array):
        pd.testing.assert_frame_equal(via_menu, other, check_exact=False, rtol=1e-12)
    assert via_menu["change_high"].iloc[0] != pytest.approx(base["change_high"].iloc[0])
    # a wider covariance gives a wider interval, centred on the same point
    wide = mi.counterfactual(fit, {"x1": 1.0}, vcov=4 * fit.vcov)
    half = base["change_high"] - base["change"]
    assert float((wide["change_high"] - wide["change"]).iloc[0]) == pytest.approx(
        2 * float(half.iloc[0]), rel=1e-10
    )


def test_draws_percentiles_approach_delta_method(panel):
    fit = mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population")
    rng = np.random.default_rng(7)
    draws = rng.multivariate_normal(fit.params.to_numpy(), fit.vcov.to_numpy(), size=40_000)
    shift = {"x1": 0.1, "x2": -0.1}
    delta = mi.counterfactual(fit, shift).set_index("term")
    boot = mi.counterfactual(fit, shift, draws=pd.DataFrame(draws, columns=fit.params.index))
    boot = boot.set_index("term")
    assert "40000 coefficient draws" in boot.attrs["interval"]
    total = delta["fitted_total"].iloc[0]
    for term in shift:
        half = delta.loc[term, "change_high"] - delta.loc[term, "change"]
        for col in ("change_low", "change_high"):  # Monte Carlo error about 0.015 half-widths
            assert boot.loc[term, col] == pytest.approx(delta.loc[term, col], abs=0.06 * half)
        # Poisson with fixed effects: the fitted total stays at F along the profile, so
        # the intervals are percentiles of F (e^{b s} - 1) and 100 (e^{b s} - 1)
        j = list(fit.params.index).index(term)
        growth = np.expm1(draws[:, j] * shift[term])
        expected = np.percentile(total * growth, [2.5, 97.5])
        assert [boot.loc[term, "change_low"], boot.loc[term, "change_high"]] == pytest.approx(
            list(expected), rel=1e-9
        )
        expected = np.percentile(100 * growth, [2.5, 97.5])
        assert [boot.loc[term, "percent_low"], boot.loc[term, "percent_high"]] == pytest.approx(
            list(expected), rel=1e-9
        )


def test_bootstrap_interval_is_mapped_monotonically(panel):
    fit = mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population")
    boot = mi.wild_bootstrap(fit, "x1", reps=199, seed=5, impose_null=False)
    lo, hi = boot.conf_int
    for s in (2.0, -2.0):
        row = mi.counterfactual(fit, {"x1": s}, bootstrap=boot).iloc[0]
        ends = sorted([np.expm1(lo * s), np.expm1(hi * s)])
        total = row["fitted_total"]
        assert [row["change_low"], row["change_high"]] == pytest.approx(
            [total * ends[0], total * ends[1]], rel=1e-12
        )
        assert [row["percent_low"], row["percent_high"]] == pytest.approx(
            [100 * ends[0], 100 * ends[1]], rel=1e-12
        )
        assert row["change_low"] < row["change"] < row["change_high"]
    mapped = mi.counterfactual(fit, {"x1": 1.0}, bootstrap={"x1": boot})
    assert "bootstrap" in mapped.attrs["interval"]


# -- simulation: coverage of the true change ------------------------------------------------------
def test_delta_interval_covers_the_true_change_at_about_the_nominal_rate():
    """Poisson counts, 31 provinces, 10 years, the model of the simulation.

    The variance is the model-based one (``"iid"``), right for Poisson counts;
    the sandwich choices are biased downward with 31 + 10 fixed effects in 310
    rows, whatever the counterfactual does with them.

    The truth for the percent change is 100(exp(beta s) - 1); for the change it
    is the change the fitted baseline implies at the true beta, which is what an
    interval that holds the fixed effects at their estimates is about.
    """
    beta, s, reps = 0.3, 1.0, 400
    hits_pct = hits_change = 0
    for rep in range(reps):
        df = mi.datasets.simulate_panel(n_years=10, alpha=0.0, seed=1000 + rep)
        assert df.attrs["truth"]["effects"]["x1"] == beta
        fit = mi.poisson(
            "y ~ x1 + x2 + treated | province + year", df, exposure="population", vcov="iid"
        )
        row = mi.counterfactual(fit, {"x1": s}).iloc[0]
        true_pct = 100 * np.expm1(beta * s)
        true_change = row["fitted_total"] * np.expm1(beta * s)
        hits_pct += row["percent_low"] <= true_pct <= row["percent_high"]
        hits_change += row["change_low"] <= true_change <= row["change_high"]
    sd = np.sqrt(0.95 * 0.05 / reps)
    for hits in (hits_pct, hits_change):
        assert abs(hits / reps - 0.95) < 3 * sd, hits / reps


# -- errors -------------------------------------------------------------------------------------
def test_unknown_term_is_named(panel):
    fit = mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population")
    with pytest.raises(ValueError, match=r"term 'x3' is not a coefficient.*x1, x2"):
        mi.counterfactual(fit, {"x1": 1.0, "x3": 1.0})


def test_dropped_term_is_named(panel):
    df = panel.assign(x1_copy=2 * panel["x1"])
    with pytest.warns(CollinearityWarning, match="x1_copy"):
        fit = mi.poisson("y ~ x1 + x1_copy | province + year", df, exposure="population")
    dropped = next(iter(fit.dropped))
    with pytest.raises(ValueError, match=rf"term '{dropped}' was dropped.*collinear"):
        mi.counterfactual(fit, {dropped: 1.0})


def test_non_count_results_are_refused(panel):
    hhg = mi.negbin("y ~ x1 + x2 | province", panel, exposure="population", conditional=True)
    with pytest.raises(ValueError, match="not available for 'Conditional FE negative binomial"):
        mi.counterfactual(hhg, {"x1": 1.0})
    ols = mi.linear("y_linear ~ x1 + x2 | province + year", panel)
    with pytest.raises(ValueError, match=r"log-link count model .*'OLS.*link 'identity'"):
        mi.counterfactual(ols, {"x1": 1.0})
    zip_fit = mi.zero_inflated("y ~ x1 + x2", panel, inflate="~ x2", exposure="population")
    with pytest.raises(ValueError, match="not available for 'Zero-inflated"):
        mi.counterfactual(zip_fit, {"x1": 1.0})
    with pytest.raises(ValueError, match="log-link count model"):
        mi.counterfactual(object(), {"x1": 1.0})


def test_bad_shift_and_level(panel):
    fit = mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population")
    with pytest.raises(TypeError, match="shift must be a mapping"):
        mi.counterfactual(fit, [("x1", 1.0)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shift is empty"):
        mi.counterfactual(fit, {})
    with pytest.raises(ValueError, match="shift of term 'x1' must be finite"):
        mi.counterfactual(fit, {"x1": float("nan")})
    with pytest.raises(ValueError, match="shift of term 'x2' must be a number"):
        mi.counterfactual(fit, {"x2": "one"})
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        mi.counterfactual(fit, {"x1": 1.0}, level=95)


def test_bad_interval_options(panel):
    fit = mi.poisson("y ~ x1 + x2 | province + year", panel, exposure="population")
    with pytest.raises(ValueError, match=re.escape("must be 2 x 2")):
        mi.counterfactual(fit, {"x1": 1.0}, vcov=np.eye(3))
    with pytest.raises(ValueError, match="not symmetric"):
        mi.counterfactual(fit, {"x1": 1.0}, vcov=np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="lacks rows or columns for terms \\['x2'\\]"):
        mi.counterfactual(fit, {"x1": 1.0}, vcov=fit.vcov.loc[["x1"], ["x1"]])
    with pytest.raises(ValueError, match="one column per term"):
        mi.counterfactual(fit, {"x1": 1.0}, draws=np.zeros((10, 3)))
    with pytest.raises(ValueError, match="at most one of vcov, draws, bootstrap"):
        mi.counterfactual(fit, {"x1": 1.0}, vcov="iid", draws=np.zeros((10, 2)))
    boot = mi.wild_bootstrap(fit, "x1", reps=99, seed=1, impose_null=False, level=0.9)
    with pytest.raises(ValueError, match=re.escape("has level 0.9, not the requested 0.95")):
        mi.counterfactual(fit, {"x1": 1.0}, bootstrap=boot)
    with pytest.raises(ValueError, match="no bootstrap result for term 'x2'"):
        mi.counterfactual(fit, {"x1": 1.0, "x2": 1.0}, level=0.9, bootstrap=boot)
    other = mi.poisson("y ~ x1 | province + year", panel, exposure="population")
    with pytest.raises(ValueError, match="bootstrap result for term 'x1' is of another fit"):
        mi.counterfactual(other, {"x1": 1.0}, level=0.9, bootstrap=boot)


def test_doctests():
    result = doctest.testmod(importlib.import_module("massincidents.counts.counterfactual"))
    assert result.attempted > 0 and result.failed == 0
