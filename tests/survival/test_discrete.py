"""mi.person_period and mi.discrete_hazard: expansion, layouts, sparse periods, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.survival.discrete import NO_EVENT_GROUP, NO_EVENT_PERIOD, bspline_basis


def _simulate(n: int = 4000, seed: int = 3) -> pd.DataFrame:
    """Spells with a cloglog discrete hazard: true slope 0.5, baseline -2 then -2.5."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    g = rng.integers(0, 4, n)
    rows = []
    for i in range(n):
        for t in range(1, 9):
            eta = (-2.0 if t <= 4 else -2.5) + 0.5 * x[i] + 0.2 * g[i]
            if rng.random() < 1 - np.exp(-np.exp(eta)):
                rows.append((i, t, 1, x[i], g[i]))
                break
        else:
            rows.append((i, 8, 0, x[i], g[i]))
    return pd.DataFrame(rows, columns=["id", "t", "d", "x", "g"])


def test_person_period_expansion_with_entry() -> None:
    s = pd.DataFrame({"id": [1, 2], "t": [3, 4], "d": [1, 0], "e": [1, 0], "x": [0.5, 1.0]})
    pp = mi.person_period(s, unit="id", duration="t", event="d", entry="e", time="month")
    assert pp["id"].tolist() == [1, 1, 2, 2, 2, 2]
    assert pp["month"].tolist() == [2, 3, 1, 2, 3, 4]
    assert pp["d"].tolist() == [0, 1, 0, 0, 0, 0]
    assert pp["x"].tolist() == [0.5, 0.5, 1.0, 1.0, 1.0, 1.0]


def test_person_period_bad_input() -> None:
    s = pd.DataFrame({"id": [1, 1, 2, 3, 4], "t": [3, 2, 2.5, 2, -1], "d": [1, 0, 0, 2, 0],
                      "e": [0, 0, 0, 2, 0]})
    with pytest.raises(mi.DataError) as err:
        mi.person_period(s, unit="id", duration="t", event="d", entry="e")
    messages = [str(p) for p in err.value.problems]
    assert any("row 2" in m and "unit 2" in m and "whole number" in m for m in messages)
    assert any("row 3" in m and "no period at risk" in m for m in messages)
    assert any("row 3" in m and "event must be 0 or 1" in m for m in messages)
    assert any("row 4" in m and "unit 4" in m for m in messages)  # negative duration
    assert sum("more than one spell" in m for m in messages) == 2


def test_recovers_the_slope_from_spells_and_from_person_periods() -> None:
    spells = _simulate()
    fit = mi.discrete_hazard(spells, unit="id", time="t", event="d", formula_rhs="x",
                             link="cloglog")
    assert fit.notes == ["layout inferred: spells (pass layout= to choose)"]
    assert abs(fit.params["x"] - 0.5) < 3 * fit.bse["x"]
    assert fit.link == "cloglog"
    pp = mi.person_period(spells, unit="id", duration="t", event="d", time="t")
    same = mi.discrete_hazard(pp, unit="id", time="t", event="d", formula_rhs="x",
                              link="cloglog", layout="person-period")
    pd.testing.assert_series_equal(fit.params, same.params)
    assert same.nobs == len(pp) == fit.stats["n_person_periods"]
    assert fit.stats["n_units"] == len(spells)
    assert fit.stats["n_events"] == spells["d"].sum()
    assert list(fit.params.index[:3]) == ["Intercept", "t[2]", "t[3]"]


def test_fixed_effects_as_dummies_and_spline_baseline() -> None:
    spells = _simulate()
    fe = mi.discrete_hazard(spells, unit="id", time="t", event="d", formula_rhs="x",
                            link="cloglog", fixed_effects="g", layout="spells")
    assert [n for n in fe.params.index if n.startswith("C(g)")] == ["C(g)[T.1]", "C(g)[T.2]",
                                                                     "C(g)[T.3]"]
    assert fe.fixed_effects == ("g",)
    assert abs(fe.params["C(g)[T.3]"] - 0.6) < 3 * fe.bse["C(g)[T.3]"]
    spline = mi.discrete_hazard(spells, unit="id", time="t", event="d", formula_rhs="x",
                                link="cloglog", duration="spline", df=3, layout="spells")
    assert [n for n in spline.params.index if n.startswith("bs(")] == [
        "bs(t)[1]", "bs(t)[2]", "bs(t)[3]"]
    assert abs(spline.params["x"] - 0.5) < 3 * spline.bse["x"]


def test_periods_and_groups_without_events_are_left_out_and_reported() -> None:
    pp = pd.DataFrame(
        {
            "id": [1, 1, 1, 2, 2, 3, 4, 4, 5, 6],
            "t": [1, 2, 3, 1, 2, 1, 1, 2, 1, 1],
            "d": [0, 0, 1, 0, 1, 1, 0, 0, 0, 1],
            "x": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
            "g": ["a", "a", "a", "b", "b", "a", "c", "c", "b", "b"],
        }
    )
    fit = mi.discrete_hazard(pp, unit="id", time="t", event="d", formula_rhs="x",
                             fixed_effects="g", layout="person-period")
    # group c has no event (2 rows); period 3 has its one unit failing (every unit at risk)
    assert fit.left_out[NO_EVENT_GROUP] == 2
    assert fit.nobs + sum(fit.left_out.values()) == len(pp)
    assert all(np.isfinite(fit.bse))
    no_event_period = pp.assign(d=np.where(pp["t"] == 2, 0, pp["d"]))
    fit = mi.discrete_hazard(no_event_period, unit="id", time="t", event="d",
                             layout="person-period")
    assert fit.left_out[NO_EVENT_PERIOD] == 3
    assert "t[2]" not in fit.params.index


def test_person_period_rows_are_checked() -> None:
    pp = pd.DataFrame({"id": [1, 1, 1, 2, 2], "t": [1, 1, 2, 1, 2], "d": [0, 0, 1, 1, 0],
                       "x": [0.0, 1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(mi.DataError) as err:
        mi.discrete_hazard(pp, unit="id", time="t", event="d", layout="person-period")
    messages = [str(p) for p in err.value.problems]
    assert any("row 1" in m and "unit 1" in m and "appears twice" in m for m in messages)
    assert any("row 4" in m and "unit 2" in m and "after the unit's event" in m for m in messages)


def test_variance_menu_and_arguments() -> None:
    spells = _simulate(1500)
    fit = mi.discrete_hazard(spells, unit="id", time="t", event="d", formula_rhs="x",
                             layout="spells")
    assert fit.vcov_label == "iid" and fit.df_inference is None
    clustered = fit.with_vcov({"CRV1": "id"})
    assert clustered.vcov_label == "CRV1 by id"
    assert np.allclose(clustered.bse, fit.bse, rtol=0.2)  # single spells: close to iid
    with pytest.raises(ValueError, match="link"):
        mi.discrete_hazard(spells, unit="id", time="t", event="d", link="probit",
                           layout="spells")
    with pytest.raises(ValueError, match="duration"):
        mi.discrete_hazard(spells, unit="id", time="t", event="d", duration="linear",
                           layout="spells")
    with pytest.raises(ValueError, match="entry"):
        mi.discrete_hazard(spells, unit="id", time="t", event="d", entry="t",
                           layout="person-period")


def test_bspline_basis_matches_r_bs() -> None:
    """R 4.2.2: ``format(splines::bs(c(1, 2, 2, 3, 5, 8), df = 5), digits = 17)``."""
    basis = bspline_basis(np.array([1.0, 2, 2, 3, 5, 8]), df=5)
    r = np.array(
        [
            [0, 0, 0, 0, 0],
            [0.390624999999999944, 0.555803571428571619, 0.053571428571428589, 0, 0],
            [0.390624999999999944, 0.555803571428571619, 0.053571428571428589, 0, 0],
            [0.024999999999999960, 0.646428571428571463, 0.311904761904762018,
             0.016666666666666673, 0],
            [0, 0.148351648351648324, 0.477387996618765797, 0.345129722348657242,
             0.029130632680928560],
            [0, 0, 0, 0, 1],
        ]
    )
    np.testing.assert_allclose(basis, r, rtol=1e-13, atol=1e-15)
