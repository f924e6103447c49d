"""Numerical edge cases for every model (issue 8).

Each edge case must end in a named warning or error of the package, never a bare
numpy/pandas exception and never silently non-finite estimates; where the model
can still be fitted, rescaling a regressor by 1e-8 or 1e8 rescales its
coefficient and standard error exactly and leaves everything else unchanged.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.core.demean import ConvergenceError
from massincidents.core.design import CollinearityWarning
from massincidents.counts.separation import SeparationWarning
from massincidents.survival import CoxConvergenceWarning

# ---------------------------------------------------------------------------- data


def _panel(seed: int = 1) -> pd.DataFrame:
    d = mi.datasets.simulate_panel(n_provinces=20, n_years=10, seed=seed)
    return d.reset_index(drop=True)


def _survival(seed: int = 2, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    t = rng.exponential(np.exp(-(0.5 * x1 - 0.3 * x2)))
    c = rng.exponential(1.5, n)
    return pd.DataFrame(
        {
            "x1": x1,
            "x2": x2,
            "time": np.minimum(t, c),
            "event": (t <= c).astype(int),
            "province": np.repeat(np.arange(30), n // 30),
        }
    )


AB = "y_linear ~ lag(y_linear, 1) + {rhs} | lag(y_linear, 2:99)"

# name -> (fit(data, rhs, **options), data factory, kind)
MODELS = {
    "linear": (lambda d, f, **k: mi.linear(f"y_linear ~ {f} | province + year", d, **k), "panel"),
    "random_effects": (lambda d, f, **k: mi.random_effects(f"y_linear ~ {f}", d, **k), "panel"),
    "between": (lambda d, f, **k: mi.between(f"y_linear ~ {f}", d, **k), "panel"),
    "first_difference": (lambda d, f, **k: mi.first_difference(f"y_linear ~ {f}", d, **k), "panel"),
    "poisson": (lambda d, f, **k: mi.poisson(f"y ~ {f} | province + year", d, **k), "panel"),
    "negbin": (lambda d, f, **k: mi.negbin(f"y ~ {f} | province + year", d, **k), "panel"),
    "negbin_conditional": (
        lambda d, f, **k: mi.negbin(f"y ~ {f} | province", d, conditional=True, **k),
        "panel",
    ),
    "zero_inflated": (lambda d, f, **k: mi.zero_inflated(f"y ~ {f}", d, **k), "panel"),
    "cox": (lambda d, f, **k: mi.cox(f, d, stop="time", event="event", **k), "survival"),
    "weibull": (
        lambda d, f, **k: mi.weibull(f, d, duration="time", event="event", **k),
        "survival",
    ),
    "arellano_bond": (
        lambda d, f, **k: mi.arellano_bond(AB.format(rhs=f), d, collapse=True, **k),
        "panel",
    ),
}
ALL = list(MODELS)
ITERATIVE = ["poisson", "negbin", "negbin_conditional", "zero_inflated", "weibull"]
COUNT = ["poisson", "negbin", "negbin_conditional", "zero_inflated"]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _panel()


@pytest.fixture(scope="module")
def survival() -> pd.DataFrame:
    return _survival()


def _data(name: str, panel: pd.DataFrame, survival: pd.DataFrame) -> pd.DataFrame:
    return (panel if MODELS[name][1] == "panel" else survival).copy()


def _fit(name: str, data: pd.DataFrame, rhs: str, **options):
    """Fit, recording the package's warnings; never a bare numpy/pandas error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = MODELS[name][0](data, rhs, **options)
    return result, {w.category for w in caught}


def _finite(result) -> None:
    assert np.isfinite(result.params.to_numpy()).all(), result.params
    assert np.isfinite(result.bse.to_numpy()).all(), result.bse


def _coef_name(result, var: str) -> str:
    (name,) = [c for c in result.params.index if c == var or c == f"count_{var}"]
    return name


# ------------------------------------------------------------- perfect collinearity


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("kind", ["exact", "near"])
def test_collinear_regressor_is_dropped_with_warning(name, kind, panel, survival):
    d = _data(name, panel, survival)
    d["xc"] = 2 * d["x1"] - d["x2"]
    if kind == "near":  # collinear up to rounding noise: still not identified
        d["xc"] += 1e-11 * np.random.default_rng(0).normal(size=len(d))
    result, caught = _fit(name, d, "x1 + x2 + xc")
    assert CollinearityWarning in caught
    assert not any(c.endswith("xc") for c in result.params.index)
    assert any(k.endswith("xc") for k in result.dropped)
    _finite(result)
    base, _ = _fit(name, d, "x1 + x2")
    np.testing.assert_allclose(result.params.to_numpy(), base.params.to_numpy(), rtol=1e-10)


# ------------------------------------------------- regressor constant within the FE

DROPS_UNIT_CONSTANT = ["linear", "between", "first_difference", "poisson", "negbin"]
# Identified: random effects (between variation), the conditional NB of Hausman, Hall
# and Griliches (the unit effect is not a fixed shift of the log mean), and models
# without unit effects (zero-inflated, Cox and Weibull as written here).
KEEPS_UNIT_CONSTANT = ["random_effects", "negbin_conditional", "zero_inflated", "cox", "weibull"]


@pytest.mark.parametrize("name", [*DROPS_UNIT_CONSTANT, "arellano_bond"])
def test_regressor_constant_within_fe_is_dropped(name, panel, survival):
    d = _data(name, panel, survival)
    d["xc"] = d.groupby("province")["x1"].transform("mean")
    if name == "between":  # between has no within variation: make xc collinear there
        d["xc"] = d.groupby("province")["x1"].transform("mean") * 2 - d.groupby("province")[
            "x2"
        ].transform("mean")
    result, caught = _fit(name, d, "x1 + x2 + xc")
    assert CollinearityWarning in caught
    assert "xc" in result.dropped
    _finite(result)


@pytest.mark.parametrize("name", KEEPS_UNIT_CONSTANT)
def test_regressor_constant_within_unit_is_identified_without_fe(name, panel, survival):
    d = _data(name, panel, survival)
    d["xc"] = d.groupby("province")["x1"].transform("mean")
    result, caught = _fit(name, d, "x1 + x2 + xc")
    assert CollinearityWarning not in caught
    assert _coef_name(result, "xc") in result.params.index
    _finite(result)


# ----------------------------------------------------------- separation in counts


@pytest.mark.parametrize("name", COUNT)
def test_separation_is_named(name, panel):
    d = panel.copy()
    d["sep"] = 0.0
    rows = d.index[d["y"] > 0][:5]
    d.loc[rows, "y"] = 0
    d.loc[rows, "sep"] = 1.0
    result, caught = _fit(name, d, "x1 + x2 + sep")
    assert SeparationWarning in caught
    _finite(result)  # the separated rows or coefficient are reported, never NaN


def test_cox_monotone_likelihood_is_named(survival):
    d = survival.copy()
    # the failing subject always has the largest value in its risk set: beta -> infinity
    d["mono"] = np.where(d["event"] == 1, -d["time"], -d["time"].max())
    with pytest.raises(mi.DataError, match="information matrix is singular"):
        _fit("cox", d, "x1 + mono")


# ----------------------------------------------------------------- all-zero units


@pytest.mark.parametrize("name", ["poisson", "negbin", "negbin_conditional"])
def test_all_zero_unit_is_left_out_and_reported(name, panel):
    d = panel.copy()
    d.loc[d["province"] == d["province"].iloc[0], "y"] = 0
    result, caught = _fit(name, d, "x1 + x2")
    assert result.nobs == len(d) - 10
    assert sum(result.left_out.values()) >= 10
    assert any("zero" in reason for reason in result.left_out)
    if name != "negbin_conditional":
        assert SeparationWarning in caught
    _finite(result)


@pytest.mark.parametrize("name", ["zero_inflated", "linear", "random_effects"])
def test_all_zero_unit_kept_where_informative(name, panel):
    d = panel.copy()
    first = d["province"] == d["province"].iloc[0]
    d.loc[first, "y"] = 0
    d.loc[first, "y_linear"] = 0.0
    result, _ = _fit(name, d, "x1 + x2")
    assert result.nobs == len(d)
    _finite(result)


# ----------------------------------------------------- a cluster with one observation


@pytest.mark.parametrize(
    "name",
    [
        *["linear", "random_effects", "first_difference", "poisson", "negbin"],
        *["zero_inflated", "cox", "weibull"],
    ],
)
def test_cluster_with_one_observation(name, panel, survival):
    d = _data(name, panel, survival)
    d["cl"] = d["province"].astype(str)
    d.loc[d.index[0], "cl"] = "solo"
    result, _ = _fit(name, d, "x1 + x2", vcov={"CRV1": "cl"})
    _finite(result)
    assert (result.bse > 0).all()
    assert "cl" in result.vcov_label.lower()


@pytest.mark.parametrize("name", ["between", "negbin_conditional"])
def test_cluster_splitting_units_is_refused(name, panel):
    d = panel.copy()
    d["cl"] = d["province"].astype(str)
    d.loc[d.index[0], "cl"] = "solo"
    with pytest.raises(ValueError, match=r"unit|constant within"):
        _fit(name, d, "x1 + x2", vcov={"CRV1": "cl"})


# ------------------------------------------------------------------ non-convergence


@pytest.mark.parametrize("name", ITERATIVE)
def test_non_convergence_raises_convergence_error(name, panel, survival):
    d = _data(name, panel, survival)
    with pytest.raises(ConvergenceError, match="converge"):
        _fit(name, d, "x1 + x2", maxiter=1)


def test_cox_non_convergence_warns(survival):
    result, caught = _fit("cox", survival.copy(), "x1 + x2", maxiter=1)
    assert CoxConvergenceWarning in caught
    _finite(result)


def test_demeaning_non_convergence_raises(panel):
    with pytest.raises(ConvergenceError, match="demeaning did not converge"):
        mi.core.demean.demean(panel[["x1"]].to_numpy(), [panel["province"].factorize()[0],
                         panel["year"].factorize()[0]], maxiter=1, tol=1e-300)  # fmt: skip


# --------------------------------------------------- tiny and huge regressor scales


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("scale", [1e-8, 1e8])
def test_scale_invariance(name, scale, panel, survival):
    d = _data(name, panel, survival)
    base, _ = _fit(name, d, "x1 + x2")
    d2 = d.copy()
    d2["x1"] = d2["x1"] * scale
    scaled, caught = _fit(name, d2, "x1 + x2")
    assert not caught & {CollinearityWarning, SeparationWarning}
    _finite(scaled)
    k = _coef_name(base, "x1")
    np.testing.assert_allclose(scaled.params[k] * scale, base.params[k], rtol=1e-6)
    np.testing.assert_allclose(scaled.bse[k] * scale, base.bse[k], rtol=1e-6)
    np.testing.assert_allclose(scaled.pvalues.to_numpy(), base.pvalues.to_numpy(), rtol=1e-6)
    others = base.params.drop(k)
    np.testing.assert_allclose(scaled.params.drop(k), others, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(scaled.bse.drop(k), base.bse.drop(k), rtol=1e-6)
    assert scaled.nobs == base.nobs


# ------------------------------------------------------------------- staggered DiD


@pytest.fixture(scope="module")
def did_panel() -> pd.DataFrame:
    d = mi.datasets.simulate_panel(n_provinces=30, n_years=8, seed=3).reset_index(drop=True)
    d["cohort"] = d["cohort"].fillna(0)
    d["z"] = d.groupby("province")["x1"].transform("first")
    return d


def _did(d: pd.DataFrame, covariates, **options):
    return mi.staggered_did(
        d,
        outcome="y_linear",
        unit="province",
        time="year",
        cohort="cohort",
        covariates=covariates,
        bootstrap=False,
        **options,
    )


@pytest.mark.parametrize("scale", [1e-8, 1e8])
def test_staggered_did_covariate_scale_invariance(scale, did_panel):
    base = _did(did_panel, ["z"])
    d = did_panel.copy()
    d["z"] = d["z"] * scale
    scaled = _did(d, ["z"])
    cols = ["att", "se"]
    np.testing.assert_allclose(
        scaled.att_gt[cols].to_numpy(), base.att_gt[cols].to_numpy(), rtol=1e-6, atol=1e-10
    )
    assert np.isfinite(scaled.att_gt["att"]).all()


@pytest.mark.parametrize("kind", ["collinear", "near", "constant"])
def test_staggered_did_singular_covariates_named(kind, did_panel):
    d = did_panel.copy()
    if kind == "collinear":
        d["zc"] = 2 * d["z"]
    elif kind == "near":
        d["zc"] = d["z"] + 1e-11 * np.random.default_rng(0).normal(size=len(d))
    else:
        d["zc"] = 1.0
    with pytest.raises(mi.DataError, match="singular or ill-conditioned covariate design"):
        _did(d, ["z", "zc"])


def test_staggered_did_cluster_with_one_unit(did_panel):
    d = did_panel.copy()
    d["cl"] = d["province"] // 20000  # regional clusters
    d.loc[d["province"] == d["province"].iloc[0], "cl"] = -1  # a cluster of one unit
    result = _did(d, None, clustervar="cl")
    assert np.isfinite(result.att_gt["att"]).all()
