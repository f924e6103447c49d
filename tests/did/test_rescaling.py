"""Units (issue 13): a covariate's scale changes nothing in the DiD family.

Multiplying a covariate by :math:`10^k`, :math:`|k| \\le 15`, must leave every
ATT(g,t), its standard error and every aggregation of Callaway-Sant'Anna
(outcome regression, IPW, doubly robust; balanced and unbalanced panels)
unchanged to 1e-8 relative, and rescale only the covariate's own coefficient
in the TWFE event study; the Sun-Abraham estimates do not move.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings

import massincidents as mi
from scaling import EXPONENTS, RTOL, check_rescaling

KW = {"outcome": "y_linear", "unit": "province", "time": "year", "cohort": "cohort"}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = mi.datasets.simulate_panel(
        n_provinces=120, n_years=8, seed=11, policy_effect=lambda g, e: 0.1 * (e + 1)
    )
    # a covariate that predicts treatment timing, so the propensity score is not flat
    rng = np.random.default_rng(2)
    df["x1"] = df["x1"] + 0.5 * df["cohort"].isna().to_numpy() + rng.normal(size=len(df)) * 0.1
    return df


def _scaled(df: pd.DataFrame, column: str, k: int) -> pd.DataFrame:
    out = df.copy()
    out[column] = out[column] * 10.0**k
    return out


def _close(actual, desired, what: str) -> None:
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=1e-13, err_msg=what)


def check_att_table(fit, data: pd.DataFrame, column: str, k: int) -> None:
    """ATT(g,t), SEs and the aggregations of ``fit(data)`` do not depend on ``column``'s units."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base, other = fit(data), fit(_scaled(data, column, k))
    a, b = base.att_gt, other.att_gt
    assert a[["group", "time"]].equals(b[["group", "time"]])
    _close(b["att"], a["att"], f"ATT(g,t), k={k}")
    _close(b["se"], a["se"], f"SE of ATT(g,t), k={k}")
    for kind in ("simple", "dynamic", "group"):
        x, y = base.aggregate(kind), other.aggregate(kind)
        _close(y.overall_att, x.overall_att, f"{kind} ATT, k={k}")
        _close(y.overall_se, x.overall_se, f"{kind} SE, k={k}")
        _close(y.estimates["att"], x.estimates["att"], f"{kind} estimates, k={k}")
        _close(y.estimates["se"], x.estimates["se"], f"{kind} SEs, k={k}")


CS_FAMILY = {
    f"{method}, {cg}{', unbalanced' if rc else ''}": (method, cg, rc)
    for method in ("reg", "ipw", "dr")
    for cg, rc in (("never", False), ("notyet", False), ("never", True))
}


@pytest.mark.parametrize("case", list(CS_FAMILY))
@settings(max_examples=6, deadline=None)
@given(k=EXPONENTS)
@example(k=15)
@example(k=-15)
def test_covariate_units_leave_att_gt_unchanged(panel, case, k) -> None:
    method, control_group, unbalanced = CS_FAMILY[case]

    def fit(d: pd.DataFrame):
        return mi.staggered_did(
            d,
            **KW,
            control_group=control_group,
            method=method,
            covariates=["x1", "x2"],
            bootstrap=False,
            allow_unbalanced_panel=unbalanced,
        )

    check_att_table(fit, panel, "x1", k)


@settings(max_examples=8, deadline=None)
@given(k=EXPONENTS)
@example(k=15)
@example(k=-15)
def test_event_study_covariate_units(panel, k) -> None:
    def fit(d: pd.DataFrame):
        return mi.event_study(d, leads=2, lags=3, covariates=["x1", "x2"], **KW)

    check_rescaling(fit, panel, "x1", k)


@settings(max_examples=8, deadline=None)
@given(k=EXPONENTS)
@example(k=15)
@example(k=-15)
def test_sun_abraham_covariate_units(panel, k) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = mi.sun_abraham(panel, covariates=["x1", "x2"], **KW)
        other = mi.sun_abraham(_scaled(panel, "x1", k), covariates=["x1", "x2"], **KW)
    assert list(base.params.index) == list(other.params.index)
    _close(other.params, base.params, f"params, k={k}")
    _close(other.bse, base.bse, f"SEs, k={k}")
    _close(other.pvalues, base.pvalues, f"p-values, k={k}")
