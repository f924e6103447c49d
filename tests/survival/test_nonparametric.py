"""Kaplan-Meier, Nelson-Aalen and Aalen-Johansen: worked examples and bad input.

The comparisons with R survfit are in ``test_reference_survival.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.survival.nonparametric import confidence_band, risk_table


def _small() -> pd.DataFrame:
    return pd.DataFrame(
        {"t": [1, 2, 2, 3, 4, 5, 5, 6], "d": [1, 1, 0, 1, 0, 1, 1, 0],
         "g": ["a", "a", "a", "a", "b", "b", "b", "b"]}
    )


def test_kaplan_meier_by_hand() -> None:
    km = mi.kaplan_meier(_small(), duration="t", event="d")
    # n: 8, 7, 5, 4, 3, 1; d: 1, 1, 1, 0, 2, 0
    s = np.cumprod([1 - 1 / 8, 1 - 1 / 7, 1 - 1 / 5, 1.0, 1 - 2 / 3, 1.0])
    np.testing.assert_allclose(km["survival"], s)
    green = np.cumsum([1 / (8 * 7), 1 / (7 * 6), 1 / (5 * 4), 0, 2 / (3 * 1), 0])
    np.testing.assert_allclose(km["std_err_log"], np.sqrt(green))
    np.testing.assert_allclose(km["std_err"], s * np.sqrt(green))
    np.testing.assert_allclose(km["cumhaz"], np.cumsum([1 / 8, 1 / 7, 1 / 5, 0, 2 / 3, 0]))
    assert km["n_censor"].tolist() == [0, 1, 0, 1, 0, 1]
    assert km.attrs["conf_type"] == "log" and km.attrs["by"] is None


def test_groups_and_left_truncation() -> None:
    df = _small()
    km = mi.kaplan_meier(df, duration="t", event="d", by="g")
    assert km["g"].tolist() == ["a", "a", "a", "b", "b", "b"]
    a = mi.kaplan_meier(df[df["g"] == "a"], duration="t", event="d")
    np.testing.assert_allclose(km.loc[km["g"] == "a", "survival"], a["survival"])
    # entry at 2.5: only units still at risk after 2.5 count from then on
    # units exiting after 2.5 enter only at 2.5 (delayed entry): not at risk at 1 and 2
    late = mi.kaplan_meier(df.assign(e=np.where(df["t"] > 2.5, 2.5, 0.0)), duration="t",
                           event="d", entry="e")
    assert late["n_risk"].tolist() == [3, 2, 5, 4, 3, 1]
    expected = np.cumprod([1 - 1 / 3, 1 - 1 / 2, 1 - 1 / 5, 1.0, 1 - 2 / 3, 1.0])
    np.testing.assert_allclose(late["survival"], expected)


def test_risk_table_doctest_case() -> None:
    table = risk_table(np.array([1.0, 2, 2, 3]), np.array([1, 1, 0, 1]), np.zeros(4))
    assert table["n_risk"].tolist() == [4, 3, 1]


def test_confidence_bands() -> None:
    p, se = np.array([0.0, 0.5, 1.0]), np.array([0.1, 0.1, 0.0])
    lo, hi = confidence_band(p, se, "log-log", 0.95)
    assert np.isnan(lo[0]) and np.isnan(lo[2]) and 0 < lo[1] < 0.5 < hi[1] < 1
    lo, hi = confidence_band(p, se, "log", 0.95)
    assert np.isnan(lo[0]) and hi[2] == 1.0 and lo[2] == 1.0
    lo, hi = confidence_band(np.array([0.99]), np.array([0.5]), "plain", 0.95)
    assert hi[0] == 1.0
    with pytest.raises(ValueError, match="conf_type"):
        confidence_band(p, se, "arcsin", 0.95)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level"):
        confidence_band(p, se, "log", 95)


def test_nelson_aalen_bands() -> None:
    na = mi.nelson_aalen(_small(), duration="t", event="d")
    z = 1.959963984540054
    h, se = na["cumhaz"].to_numpy(), na["std_err"].to_numpy()
    np.testing.assert_allclose(na["conf_low"], h * np.exp(-z * se / h))
    plain = mi.nelson_aalen(_small(), duration="t", event="d", conf_type="plain")
    np.testing.assert_allclose(plain["conf_high"], h + z * se)
    assert (plain["conf_low"] >= 0).all()


def test_cumulative_incidence_competing_events() -> None:
    df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "type": [1, 2, 0, 1, 1, 2]})
    ci = mi.cumulative_incidence(df, duration="t", event="type")
    wide = ci.pivot(index="time", columns="state", values="probability")
    np.testing.assert_allclose(wide.sum(axis=1), 1.0)
    surv = mi.kaplan_meier(df.assign(any=(df["type"] > 0).astype(int)), duration="t",
                           event="any")
    np.testing.assert_allclose(wide["event-free"], surv["survival"])
    # 1 - KM that censors the competing type overstates the incidence
    naive = mi.kaplan_meier(df.assign(one=(df["type"] == 1).astype(int)), duration="t",
                            event="one")
    assert (1 - naive["survival"].to_numpy() >= wide[1].to_numpy() - 1e-12).all()
    assert ci.attrs["states"] == ["event-free", 1, 2]
    strings = df.assign(type=df["type"].map({0: "none", 1: "strike", 2: "riot"}))
    ci_s = mi.cumulative_incidence(strings, duration="t", event="type", censored="none")
    assert set(ci_s["state"]) == {"event-free", "strike", "riot"}
    with pytest.raises(mi.DataError, match="every row is censored"):
        mi.cumulative_incidence(df.assign(type=0), duration="t", event="type")


def test_bad_input_lists_rows() -> None:
    df = pd.DataFrame({"t": [1.0, -2.0, 3.0, 4.0], "d": [1, 0, 2, 1], "e": [0, 0, 0, 4.0]})
    with pytest.raises(mi.DataError) as err:
        mi.kaplan_meier(df, duration="t", event="d", entry="e")
    messages = [str(p) for p in err.value.problems]
    assert any("row 1" in m and "negative duration" in m for m in messages)
    assert any("row 2" in m and "0 or 1" in m for m in messages)
    assert any("row 3" in m and "no time at risk" in m for m in messages)
    r_coding = pd.DataFrame({"t": [1, 2], "status": [1, 2]})
    with pytest.raises(mi.DataError, match="status - 1"):
        mi.kaplan_meier(r_coding, duration="t", event="status")
    with pytest.raises(mi.DataError, match="column not found"):
        mi.kaplan_meier(df, duration="time", event="d")


def test_missing_values_are_reported() -> None:
    df = _small()
    df.loc[0, "t"] = np.nan
    km = mi.kaplan_meier(df, duration="t", event="d")
    assert km.attrs["left_out"] == {"missing value in t": 1}
    assert km["n_risk"].iloc[0] == 7


def test_agrees_with_lifelines() -> None:
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(0)
    t = rng.integers(1, 30, 300).astype(float)
    d = (rng.random(300) < 0.7).astype(int)
    e = np.where(rng.random(300) < 0.3, rng.integers(0, 5, 300), 0).astype(float)
    keep = e < t
    df = pd.DataFrame({"t": t[keep], "d": d[keep], "e": e[keep]})
    ours = mi.kaplan_meier(df, duration="t", event="d", entry="e")
    kmf = lifelines.KaplanMeierFitter().fit(df["t"], df["d"], entry=df["e"])
    theirs = kmf.survival_function_.reindex(ours["time"]).iloc[:, 0].to_numpy()
    np.testing.assert_allclose(ours["survival"], theirs, rtol=1e-12)
