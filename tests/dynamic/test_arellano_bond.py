"""mi.arellano_bond: consistency against Nickell bias, bad input, formula grammar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.dynamic import (
    SingularWeightingWarning,
    TooManyInstrumentsWarning,
    parse_dynamic_formula,
)


def ar1_panel(n: int = 500, t: int = 8, rho: float = 0.5, seed: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    burn = 50
    y = np.zeros((n, t + burn))
    y[:, 0] = a / (1 - rho) + rng.normal(size=n)
    for s in range(1, t + burn):
        y[:, s] = rho * y[:, s - 1] + a + rng.normal(size=n)
    y = y[:, burn:]
    lag = np.full_like(y, np.nan)
    lag[:, 1:] = y[:, :-1]
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), t),
            "year": np.tile(np.arange(2000, 2000 + t), n),
            "y": y.ravel(),
            "y_lag": lag.ravel(),
        }
    )


def test_gmm_consistent_where_within_has_nickell_bias() -> None:
    df = ar1_panel()
    gmm = mi.arellano_bond("y ~ lag(y, 1) | lag(y, 2:99)", df, entity="unit", time="year")
    rho, se = gmm.params["lag(y, 1)"], gmm.bse["lag(y, 1)"]
    assert abs(rho - 0.5) < 3 * se
    fe = mi.linear("y ~ y_lag | unit", df.dropna())
    # Nickell bias: about -(1 + rho) / (T - 1) = -0.2 with T = 7 usable periods
    assert fe.params["y_lag"] < 0.5 - 0.1
    assert fe.params["y_lag"] < rho - 5 * se
    two = mi.arellano_bond("y ~ lag(y, 1) | lag(y, 2:99)", df, entity="unit", time="year", steps=2)
    assert abs(two.params["lag(y, 1)"] - 0.5) < 3 * two.bse["lag(y, 1)"]
    sys_ = mi.arellano_bond(
        "y ~ lag(y, 1) | lag(y, 2:99)",
        df,
        entity="unit",
        time="year",
        system=True,
        effects="twoways",
    )
    assert abs(sys_.params["lag(y, 1)"] - 0.5) < 3 * sys_.bse["lag(y, 1)"]
    # no serial correlation in e: AR(1) of the differences rejects, AR(2) does not
    assert gmm.stats["ar1_p"] < 0.01
    assert gmm.stats["ar2_p"] > 0.01


def test_too_few_periods_is_a_data_error() -> None:
    df = ar1_panel(n=20, t=3)
    with pytest.raises(mi.DataError, match="need at least 4 periods"):
        mi.arellano_bond("y ~ lag(y, 1:2) | lag(y, 2:99)", df, entity="unit", time="year")


def test_missing_column_and_duplicates_are_data_errors() -> None:
    df = ar1_panel(n=20, t=5)
    with pytest.raises(mi.DataError, match="column 'x'"):
        mi.arellano_bond("y ~ lag(y, 1) + x | lag(y, 2:99)", df, entity="unit", time="year")
    with pytest.raises(mi.DataError, match="duplicate"):
        mi.arellano_bond(
            "y ~ lag(y, 1) | lag(y, 2:99)",
            pd.concat([df, df.head(2)]),
            entity="unit",
            time="year",
        )


def test_more_instruments_than_groups_warns_and_singular_weight_is_reported() -> None:
    df = ar1_panel(n=15, t=8)
    with pytest.warns(TooManyInstrumentsWarning), pytest.warns(SingularWeightingWarning):
        r = mi.arellano_bond(
            "y ~ lag(y, 1) | lag(y, 2:99)", df, entity="unit", time="year", steps=2
        )
    assert r.stats["n_instruments"] == 21
    assert any("generalised inverse" in note for note in r.notes)
    collapsed = mi.arellano_bond(
        "y ~ lag(y, 1) | lag(y, 2:99)", df, entity="unit", time="year", collapse=True
    )
    assert collapsed.stats["n_instruments"] == 6


def test_gaps_lag_by_time_not_by_row() -> None:
    df = ar1_panel(n=200, t=8)
    gappy = df[~((df.unit < 50) & (df.year == 2004))]
    r = mi.arellano_bond("y ~ lag(y, 1) | lag(y, 2:99)", gappy, entity="unit", time="year")
    full = mi.arellano_bond("y ~ lag(y, 1) | lag(y, 2:99)", df, entity="unit", time="year")
    # a missing 2004 removes the differenced rows of 2004, 2005 (y_2004 - ...) and
    # 2006 (its lag, y_2005 - y_2004); a row-based lag would keep 2005 and 2006
    assert full.nobs - r.nobs == 50 * 3
    assert r.left_out


def test_formula_grammar() -> None:
    f = parse_dynamic_formula(
        "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital | lag(log_emp, 2:99)"
    )
    assert f.names == [
        "lag(log_emp, 1)",
        "lag(log_emp, 2)",
        "log_wage",
        "lag(log_wage, 1)",
        "log_capital",
    ]
    assert [t.variable for t in f.standard] == ["log_wage", "log_capital"]
    with pytest.raises(ValueError, match="instruments after"):
        parse_dynamic_formula("y ~ lag(y, 1)")
    with pytest.raises(ValueError, match="cannot read"):
        parse_dynamic_formula("y ~ log(x) | lag(y, 2:99)")


def test_the_time_column_is_a_regressor_and_C_time_gives_period_dummies() -> None:
    """Issue 13, defect 5: 'column year: values are not numeric' for a trend."""
    df = ar1_panel(n=300, t=8)
    df["x"] = np.random.default_rng(3).normal(size=len(df))
    df["trend"] = df["year"].astype(float)
    options = {"entity": "unit", "time": "year"}
    with_time = mi.arellano_bond("y ~ lag(y, 1) + x + year | lag(y, 2:99)", df, **options)
    with_copy = mi.arellano_bond("y ~ lag(y, 1) + x + trend | lag(y, 2:99)", df, **options)
    np.testing.assert_allclose(with_time.params.to_numpy(), with_copy.params.to_numpy())
    np.testing.assert_allclose(with_time.bse.to_numpy(), with_copy.bse.to_numpy())
    assert list(with_time.params.index) == ["lag(y, 1)", "x", "year"]
    dummies = mi.arellano_bond("y ~ lag(y, 1) + x + C(year) | lag(y, 2:99)", df, **options)
    assert [n for n in dummies.params.index if n.startswith("year[")] == [
        f"year[{y}]" for y in range(2001, 2007)  # 2007 collinear in differences
    ]
    with pytest.raises(ValueError, match="takes the time column"):
        mi.arellano_bond("y ~ lag(y, 1) + C(x) | lag(y, 2:99)", df, **options)
    with pytest.raises(ValueError, match="effects='twoways'"):
        mi.arellano_bond("y ~ lag(y, 1) + C(year) | lag(y, 2:99)", df, system=True, **options)
    text = df.assign(year=df["year"].astype(str))
    with pytest.raises(mi.DataError, match="trend"):
        mi.arellano_bond("y ~ lag(y, 1) + year | lag(y, 2:99)", text, **options)


# -- units: rescaling a regressor rescales its coefficient and nothing else (issue 13)
from pathlib import Path  # noqa: E402

from hypothesis import example, given, settings  # noqa: E402

from scaling import EXPONENTS, check_rescaling  # noqa: E402

EMPLUK = pd.read_csv(Path(__file__).parents[1] / "reference" / "data" / "emplUK.csv")
GMM_FAMILY = {
    "difference, one-step": (
        "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital | lag(log_emp, 2:99)",
        {"steps": 1, "effects": "twoways"},
    ),
    "difference, two-step": (
        "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital | lag(log_emp, 2:99)",
        {"steps": 2, "effects": "twoways"},
    ),
    "difference, one-step classical, Stata": (
        "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital + C(year)"
        " | lag(log_emp, 2:99)",
        {"steps": 1, "robust": False, "ssc": "stata"},
    ),
    "system, one-step": (
        "log_emp ~ lag(log_emp, 1) + lag(log_wage, 0:1) + lag(log_capital, 0:1)"
        " | lag(log_emp, 2:99) + lag(log_wage, 2:99) + lag(log_capital, 2:99)",
        {"steps": 1, "system": True, "effects": "twoways"},
    ),
    "system, two-step, collapsed": (
        "log_emp ~ lag(log_emp, 1) + lag(log_wage, 0:1) + lag(log_capital, 0:1)"
        " | lag(log_emp, 2:99) + lag(log_wage, 2:99) + lag(log_capital, 2:99)",
        {"steps": 2, "system": True, "effects": "twoways", "collapse": True},
    ),
    "system, two-step, Stata": (
        "log_emp ~ lag(log_emp, 1) + lag(log_wage, 0:1) + lag(log_capital, 0:1)"
        " | lag(log_emp, 2:99) + lag(log_wage, 2:99) + lag(log_capital, 2:99)",
        {"steps": 2, "system": True, "effects": "twoways", "ssc": "stata"},
    ),
}


@pytest.mark.parametrize("model", list(GMM_FAMILY))
@settings(max_examples=8, deadline=None)
@given(k=EXPONENTS)
@example(k=15)
@example(k=-15)
def test_rescaling_wages_rescales_only_their_coefficients(model, k) -> None:
    formula, options = GMM_FAMILY[model]

    def fit(d: pd.DataFrame) -> mi.results.Result:
        return mi.arellano_bond(formula, d, entity="firm", time="year", **options)

    check_rescaling(fit, EMPLUK, "log_wage", k, terms=["log_wage", "lag(log_wage, 1)"])


@pytest.mark.filterwarnings("ignore::massincidents.dynamic.TooManyInstrumentsWarning")
@pytest.mark.parametrize("k", [-12, -6, 6, 12])
def test_one_step_fit_with_a_singular_two_step_matrix_does_not_depend_on_units(k) -> None:
    # 15 groups, 21 + 1 instruments: the two-step weighting matrix is singular. Its
    # generalised inverse is plm's (MASS::ginv of the unscaled matrix), which changes with
    # the units of an instrument as plm's does (the two-step estimates are checked against
    # plm in tests/reference/test_plm_pgmm_few_groups.py); the one-step estimates and their
    # robust variance do not use it, so they do not depend on units. The Hansen statistic
    # (z' A2 z) does.
    df = ar1_panel(n=15, t=8)
    df["x"] = np.random.default_rng(7).normal(size=len(df))

    def fit(d: pd.DataFrame) -> mi.results.Result:
        return mi.arellano_bond(
            "y ~ lag(y, 1) + x | lag(y, 2:99)", d, entity="unit", time="year", steps=1
        )

    with pytest.warns(SingularWeightingWarning):
        fit(df)
    check_rescaling(fit, df, "x", k, skip_stats=("hansen", "hansen_p"))


def test_singular_two_step_matrix_gets_plms_generalised_inverse() -> None:
    # MASS::ginv: Moore-Penrose inverse of the unscaled matrix, singular values below
    # sqrt(eps) times the largest dropped (not the inverse of the matrix scaled to a unit
    # diagonal, which gives different two-step estimates when the matrix is singular).
    from massincidents.dynamic.gmm import ginv, safe_inverse

    rng = np.random.default_rng(3)
    g = rng.normal(size=(5, 8)) * np.array([1, 1, 1, 1, 1e3, 1e-3, 1, 1])
    singular = g.T @ g  # rank 5 of 8
    with pytest.warns(SingularWeightingWarning, match="MASS::ginv"):
        inverse, was_singular = safe_inverse(singular, "test matrix")
    assert was_singular
    np.testing.assert_allclose(inverse, ginv(singular), rtol=1e-12, atol=0)
    np.testing.assert_allclose(ginv(singular), np.linalg.pinv(singular, rcond=1.5e-8), rtol=1e-6)
