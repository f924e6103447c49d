"""fixest's ``i()`` against pyfixest (frozen), explicit dummy regressions (statsmodels), and
hand-made dummies in every model family that builds its design with ``build_design``."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import massincidents as mi
from massincidents.core.interactions import ordered_levels
from massincidents.errors import DataError

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
PYFIXEST = json.loads((REFERENCE / "pyfixest_i.json").read_text())["cases"]
FEOLS_CASES = {
    "fe_ref": "y ~ i(rel, ref=-1) | unit + year",
    "fe_group": "y ~ i(rel, treat, ref=-1) + x | unit + year",
    "fe_default_ref": "y ~ i(rel) + x | unit + year",
    "fe_slopes": "y ~ i(rel, x) | unit + year",
    "fe_treatment_contrast": "y ~ C(rel, Treatment(-1)) + x | unit + year",
    "fe_missing_values": "y ~ i(rel_gaps, ref=-1) + x | unit + year",
    "no_fe_ref": "y ~ i(rel, ref=-1) + x",
    "no_fe_group": "y ~ i(rel, treat, ref=-1) + x",
}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """40 units x 12 years, staggered adoption (tests/reference/make_event_panel.py)."""
    return pd.read_csv(REFERENCE / "data" / "event_panel.csv")


def _k_ours(case: dict, panel: pd.DataFrame, fe: bool) -> int:
    """Our documented K of CRV1: slopes + identified FE, less the unit FE nested in the clusters."""
    k = len(case["coef"])
    if not fe:
        return k
    return k + (panel["unit"].nunique() + panel["year"].nunique() - 1) - panel["unit"].nunique()


@pytest.mark.parametrize("name", sorted(FEOLS_CASES))
def test_linear_matches_pyfixest(panel, name) -> None:
    case, formula = PYFIXEST[name], FEOLS_CASES[name]
    assert formula in case["call"]
    fit = mi.linear(formula, panel, vcov={"CRV1": "unit"})
    theirs = pd.Series(case["coef"])
    assert list(fit.params.index) == list(theirs.index)  # same names, same order
    assert fit.nobs == case["nobs"]
    np.testing.assert_allclose(fit.params, theirs, rtol=1e-8, atol=1e-10)
    # No small-sample factor: the plain cluster sandwich.
    crv0 = mi.linear(formula, panel, vcov={"CRV0": "unit"})
    np.testing.assert_allclose(crv0.bse, pd.Series(case["se_crv0"]), rtol=1e-8)
    # CRV1 = G/(G-1) (N-1)/(N-K); pyfixest's K counts one more parameter for the unit FE
    # fully nested in the clusters, so compare with its G/(G-1) setting and our (N-1)/(N-K).
    n, K = case["nobs"], _k_ours(case, panel, "|" in formula)
    expected = pd.Series(case["se_g_adj_only"]) * np.sqrt((n - 1) / (n - K))
    np.testing.assert_allclose(fit.bse, expected, rtol=1e-8)
    if "|" not in formula:
        np.testing.assert_allclose(fit.bse, pd.Series(case["se_crv1"]), rtol=1e-8)


def test_poisson_matches_pyfixest_fepois(panel) -> None:
    case = PYFIXEST["poisson_fe_ref"]
    fit = mi.poisson("count ~ i(rel, ref=-1) + x | unit + year", panel, vcov={"CRV1": "unit"})
    theirs = pd.Series(case["coef"])
    assert list(fit.params.index) == list(theirs.index)
    np.testing.assert_allclose(fit.params, theirs, rtol=1e-6, atol=1e-9)
    # ML models' CRV1 is G/(G-1) B M B: pyfixest's ssc(k_adj=False).
    np.testing.assert_allclose(fit.bse, pd.Series(case["se_g_adj_only"]), rtol=1e-6)


def _dummies(panel: pd.DataFrame, var: str, refs: list[int], times: str | None = None):
    """Explicit dummies of ``var`` (less ``refs``), times ``times``, named as fixest does."""
    columns = {}
    for level in ordered_levels(panel[var]):
        if level in refs:
            continue
        dummy = (panel[var] == level).astype(float)
        name = f"{var}::{level}" + (f":{times}" if times else "")
        columns[name] = dummy * (panel[times] if times else 1.0)
    return pd.DataFrame(columns, index=panel.index)


@pytest.mark.parametrize(
    ("formula", "refs", "times"),
    [
        ("y ~ i(rel, ref=-1) + x | unit + year", [-1], None),
        ("y ~ i(rel, ref=[-1, -5]) + x | unit + year", [-1, -5], None),
        ("y ~ i(rel, treat, ref=-1) + x | unit + year", [-1], "treat"),
    ],
)
def test_linear_equals_explicit_dummy_ols(panel, formula, refs, times) -> None:
    """statsmodels OLS on hand-made event dummies, x, unit and year dummies and a constant."""
    event = _dummies(panel, "rel", refs, times)
    fe = pd.get_dummies(panel[["unit", "year"]].astype(str), drop_first=True, dtype=float)
    exog = sm.add_constant(pd.concat([event, panel[["x"]], fe], axis=1))
    ref = sm.OLS(panel["y"], exog).fit(
        cov_type="cluster", cov_kwds={"groups": panel["unit"], "use_correction": False}
    )
    fit = mi.linear(formula, panel, vcov={"CRV0": "unit"})
    terms = [*event.columns, "x"]
    assert list(fit.params.index) == terms
    np.testing.assert_allclose(fit.params, ref.params[terms], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fit.bse, ref.bse[terms], rtol=1e-8)


def test_missing_values_of_the_factor_are_accounted(panel) -> None:
    fit = mi.linear("y ~ i(rel_gaps, ref=-1) + x | unit + year", panel)
    assert fit.left_out == {"missing value in rel_gaps": 17}
    assert fit.nobs == len(panel) - 17
    assert fit.params.index[0] == "rel_gaps::-7.0"  # a float column: pyfixest's names


def test_without_intercept_every_level_is_coded(panel) -> None:
    fit = mi.linear("y ~ i(treat) - 1", panel, vcov="iid")
    assert list(fit.params.index) == ["treat::0", "treat::1"]
    means = panel.groupby("treat")["y"].mean()
    np.testing.assert_allclose(fit.params, means, rtol=1e-10)
    with_intercept = mi.linear("y ~ i(treat)", panel, vcov="iid")
    assert list(with_intercept.params.index) == ["Intercept", "treat::1"]


def test_i_mixes_with_c_and_interactions(panel) -> None:
    fit = mi.linear("y ~ i(rel, ref=-1) + C(treat):x | unit + year", panel)
    assert fit.params.index[-2:].tolist() == ["C(treat)[0]:x", "C(treat)[1]:x"]
    assert "rel::-1" not in fit.params.index


def test_ordered_levels_numeric_aware() -> None:
    assert ordered_levels(pd.Series([1, -3, 0, -2, 10])) == [-3, -2, 0, 1, 10]
    assert ordered_levels(pd.Series([1.0, -3.0, np.nan])) == [-3.0, 1.0]
    assert ordered_levels(pd.Series(["10", "-3", "2"])) == ["-3", "2", "10"]
    assert ordered_levels(pd.Series([2, -1, None], dtype="Int64")) == [-1, 2]
    assert ordered_levels(pd.Series(["b", "a", "c"])) == ["a", "b", "c"]
    cat = pd.Series(pd.Categorical(["lo", "hi", "mid"], categories=["lo", "mid", "hi", "unused"]))
    assert ordered_levels(cat) == ["lo", "mid", "hi"]


def test_text_levels_are_ordered_as_numbers(panel) -> None:
    d = panel.assign(rel_text=panel["rel"].astype(str))
    fit = mi.linear("y ~ i(rel_text, ref='-1') | unit + year", d)
    numeric = mi.linear("y ~ i(rel, ref=-1) | unit + year", panel)
    assert [n.split("::")[1] for n in fit.params.index] == [
        n.split("::")[1] for n in numeric.params.index
    ]
    np.testing.assert_allclose(fit.params.to_numpy(), numeric.params.to_numpy(), rtol=1e-12)


def test_unknown_reference_is_refused(panel) -> None:
    with pytest.raises(DataError, match=r"ref -99 is not a level of rel"):
        mi.linear("y ~ i(rel, ref=-99) | unit + year", panel)


def test_non_numeric_interaction_is_refused(panel) -> None:
    d = panel.assign(group=np.where(panel["treat"] == 1, "t", "c"))
    with pytest.raises(DataError, match=r"group must be numeric"):
        mi.linear("y ~ i(rel, group, ref=-1) | unit + year", d)


def _with_dummies(panel: pd.DataFrame) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """The panel with the dummies of i(rel, ref=-1) as plain columns, and how to rename them."""
    event = _dummies(panel, "rel", [-1])
    plain = {name: f"d{j}" for j, name in enumerate(event.columns)}
    d = pd.concat([panel, event.rename(columns=plain)], axis=1)
    return d, " + ".join(plain.values()), {v: k for k, v in plain.items()}


@pytest.mark.parametrize(
    ("model", "formula", "options"),
    [
        ("negbin", "nb ~ {rhs} + x | unit + year", {}),
        ("negbin", "nb ~ {rhs} + x", {}),
        ("negbin", "nb ~ {rhs} + x | unit", {"conditional": True}),
        ("zero_inflated", "count ~ {rhs} + x", {}),
        ("random_effects", "y ~ {rhs} + x", {"entity": "unit"}),
        ("cox", "{rhs} + x", {"stop": "spell", "event": "failed"}),
        ("weibull", "{rhs} + x", {"duration": "spell", "event": "failed"}),
    ],
)
def test_i_equals_hand_made_dummies_in_every_family(panel, model, formula, options) -> None:
    d, plain_rhs, back = _with_dummies(panel)
    rng = np.random.default_rng(3)
    mean = np.exp(1.0 + 0.2 * d["x"].to_numpy())
    d = d.assign(
        spell=d["year"] - 2000 + d["unit"] % 3,
        failed=(d["count"] > 3).astype(int),
        nb=rng.negative_binomial(2.0, 2.0 / (2.0 + mean)),  # overdispersed counts
    )
    fn = getattr(mi, model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_i = fn(formula.format(rhs="i(rel, ref=-1)"), d, **options)
        by_hand = fn(formula.format(rhs=plain_rhs), d, **options)

    def rename(name: str) -> str:  # zero_inflated prefixes the count part with count_
        prefix = "count_" if name.startswith("count_") else ""
        return prefix + back.get(name.removeprefix(prefix), name.removeprefix(prefix))

    renamed = by_hand.params.rename(rename)
    assert list(with_i.params.index) == list(renamed.index)
    np.testing.assert_allclose(with_i.params, renamed, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(with_i.bse, by_hand.bse.to_numpy(), rtol=1e-10, atol=1e-12)


def test_doctests() -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module("massincidents.core.interactions"))
    assert result.attempted >= 2 and result.failed == 0
