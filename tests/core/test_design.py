"""build_design: categorical coding with absorbed fixed effects, and what must not change.

With fixed effects absorbed, a categorical regressor must be coded as in the
same model with the fixed effects as dummies (an intercept in the model): the
reference level is the one ``Treatment(ref)`` names, else the first level.
Issue 13, defect 3: the coding used to be full rank, and the last level was
then dropped as collinear, so every coefficient was relative to the last level.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix

import massincidents as mi
from massincidents.core.design import CollinearityWarning, build_design
from massincidents.core.formula import parse_formula

DATA = Path(__file__).resolve().parents[1] / "reference" / "data" / "event_panel.csv"


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """40 units x 12 years, staggered adoption (tests/reference/make_event_panel.py)."""
    return pd.read_csv(DATA)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def test_treatment_reference_honoured_with_absorbed_fe(panel) -> None:
    """The regression test of the defect: absorbed FE = dummy FE, term by term."""
    absorbed = mi.linear("y ~ C(rel, Treatment(-1)) + x | unit + year", panel)
    dummies = _quiet(mi.linear, "y ~ C(rel, Treatment(-1)) + x + C(unit) + C(year)", panel)
    assert "C(rel, Treatment(-1))[T.-1]" not in absorbed.params.index
    assert list(absorbed.params.index) == [
        n for n in dummies.params.index if n.startswith("C(rel") or n == "x"
    ]
    terms = absorbed.params.index
    np.testing.assert_allclose(absorbed.params, dummies.params[terms], rtol=1e-10, atol=1e-12)
    assert not absorbed.dropped


def test_default_reference_is_the_first_level_with_absorbed_fe(panel) -> None:
    absorbed = mi.linear("y ~ C(rel) + x | unit + year", panel)
    dummies = _quiet(mi.linear, "y ~ C(rel) + x + C(unit) + C(year)", panel)
    first = panel["rel"].min()
    assert f"C(rel)[T.{first}]" not in absorbed.params.index
    assert absorbed.params.index[0] == f"C(rel)[T.{first + 1}]"
    terms = absorbed.params.index
    np.testing.assert_allclose(absorbed.params, dummies.params[terms], rtol=1e-10, atol=1e-12)


def test_reference_honoured_in_poisson_with_absorbed_fe(panel) -> None:
    """The same coding in another family: PPML with absorbed FE = PPML with dummies."""
    formula = "count ~ C(rel, Treatment(-1)) + x"
    absorbed = mi.poisson(f"{formula} | unit + year", panel, vcov="iid")
    dummies = _quiet(mi.poisson, f"{formula} + C(unit) + C(year)", panel, vcov="iid")
    assert "C(rel, Treatment(-1))[T.-1]" not in absorbed.params.index
    terms = absorbed.params.index
    np.testing.assert_allclose(absorbed.params, dummies.params[terms], rtol=1e-8, atol=1e-10)


def test_conditional_negbin_keeps_its_intercept_and_every_contrast(panel) -> None:
    """The conditional NB adds its own intercept: nothing may be collinear with it."""
    rng = np.random.default_rng(5)
    mean = np.exp(1.0 + 0.2 * panel["x"].to_numpy())
    d = panel.assign(nb=rng.negative_binomial(2.0, 2.0 / (2.0 + mean)))  # overdispersed
    with warnings.catch_warnings():
        warnings.simplefilter("error", CollinearityWarning)
        fit = mi.negbin("nb ~ C(rel, Treatment(-1)) + x | unit", d, conditional=True)
    levels = sorted(set(panel["rel"]) - {-1})
    expected = ["Intercept", *(f"C(rel, Treatment(-1))[T.{v}]" for v in levels), "x"]
    assert list(fit.params.index) == expected


def test_without_fe_the_coding_is_formulaics(panel) -> None:
    formula = "y ~ C(rel, Treatment(-1)) + C(treat) + x"
    ours = build_design(formula, panel)
    theirs = model_matrix(formula, panel)
    assert ours.names == list(theirs.rhs.columns)
    np.testing.assert_array_equal(ours.X, np.asarray(theirs.rhs, dtype=float))


def test_intercept_false_keeps_the_full_rank_first_categorical(panel) -> None:
    ours = build_design("y ~ C(treat) + x", panel, intercept=False)
    assert ours.names == ["C(treat)[0]", "C(treat)[1]", "x"]


def test_minus_one_does_not_change_the_coding_under_fe(panel) -> None:
    plain = build_design("y ~ C(rel, Treatment(-1)) + x | unit + year", panel)
    minus = build_design("y ~ C(rel, Treatment(-1)) + x - 1 | unit + year", panel)
    assert plain.names == minus.names
    assert "Intercept" not in plain.names
    np.testing.assert_array_equal(plain.X, minus.X)


def test_fe_only_model_has_no_regressor(panel) -> None:
    assert build_design("y ~ 1 | unit + year", panel).X.shape == (len(panel), 0)


def test_design_rhs() -> None:
    from massincidents.core.design import design_rhs

    assert design_rhs(parse_formula("y ~ x | g")) == "x + 1"
    assert design_rhs(parse_formula("y ~ 1 | g")) == "0"
    assert design_rhs(parse_formula("y ~ x")) == "x"
    assert design_rhs(parse_formula("y ~ x"), intercept=False) == "x - 1"


def test_regressors_absorbed_by_fe_still_warned(panel) -> None:
    d = panel.assign(
        size=panel["unit"] % 7 + 0.5,  # constant within unit
        region=np.where(panel["unit"] < 20, "east", "west"),
    )
    with pytest.warns(CollinearityWarning, match="absorbed by the fixed effects") as caught:
        fit = mi.linear("y ~ x + size + C(region) | unit + year", d)
    messages = " ".join(str(w.message) for w in caught)
    assert "'size'" in messages and "'C(region)[T.west]'" in messages
    assert list(fit.params.index) == ["x"]
    assert set(fit.dropped) == {"size", "C(region)[T.west]"}


def test_poisson_margins_with_categorical_and_fe(panel) -> None:
    """marginal_effects rebuilds the matrix: it must code C() as build_design does."""
    fit = mi.poisson("count ~ C(rel, Treatment(-1)) + x | unit + year", panel)
    ame = mi.marginal_effects(fit, panel, variables=["x"]).set_index("term")
    expected = fit.params["x"] * panel["count"].mean()
    assert ame.loc["x", "estimate"] == pytest.approx(expected, rel=1e-6)


def test_doctests() -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module("massincidents.core.design"))
    assert result.attempted >= 2 and result.failed == 0
