"""mi.cox: the partial-likelihood machinery against brute force, the API, and bad input.

The numbers of R survival are checked in ``tests/reference/test_survival_cox.py``.
"""

from __future__ import annotations

import doctest
import importlib
import warnings

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.core.design import CollinearityWarning
from massincidents.survival.concordance import concordance
from massincidents.survival.partial_likelihood import (
    CoxConvergenceWarning,
    InfiniteCoefficientWarning,
    cox_terms,
    score_residuals,
)
from massincidents.survival.risksets import build_risk_sets


def counting_data(n_units: int = 60, seed: int = 3) -> pd.DataFrame:
    """Recurrent events in (start, stop] rows with tied integer times and two strata."""
    rng = np.random.default_rng(seed)
    rows = []
    for unit in range(n_units):
        x1 = rng.normal()
        t = 0
        while t < 12:
            stop = t + int(rng.integers(1, 5))
            x2 = float(rng.integers(0, 3))
            rows.append(
                {
                    "unit": unit,
                    "start": float(t),
                    "stop": float(min(stop, 12)),
                    "event": int(rng.random() < 0.4),
                    "x1": x1,
                    "x2": x2,
                    "stratum": unit % 2,
                    "province": unit % 7,
                }
            )
            t = stop
    return pd.DataFrame(rows)


def brute_force(df: pd.DataFrame, beta: np.ndarray, ties: str, cols: list[str]):
    """Log partial likelihood, score and information by looping over event times."""
    X = df[cols].to_numpy(float)
    eta = X @ beta
    r = np.exp(eta)
    loglik, score, info = 0.0, np.zeros(len(cols)), np.zeros((len(cols), len(cols)))
    keys = df.loc[df["event"] == 1, ["stratum", "stop"]].drop_duplicates().to_numpy()
    for s, t in keys:
        risk = (df["stratum"] == s) & (df["start"] < t) & (df["stop"] >= t)
        dead = risk & (df["stop"] == t) & (df["event"] == 1)
        risk, dead = risk.to_numpy(), dead.to_numpy()
        d = int(dead.sum())
        loglik += eta[dead].sum()
        score += X[dead].sum(axis=0)
        for k in range(d):
            c = k / d if ties == "efron" else 0.0
            w = r * (risk - c * dead)
            s0 = w.sum()
            xbar = (w @ X) / s0
            loglik -= np.log(s0)
            score -= xbar
            info += (X * w[:, None]).T @ X / s0 - np.outer(xbar, xbar)
    return loglik, score, info


@pytest.fixture(scope="module")
def cdata() -> pd.DataFrame:
    return counting_data()


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_partial_likelihood_matches_brute_force(cdata, ties) -> None:
    cols = ["x1", "x2"]
    beta = np.array([0.4, -0.3])
    rs = build_risk_sets(
        cdata["stop"].to_numpy(),
        cdata["event"].to_numpy(),
        start=cdata["start"].to_numpy(),
        strata=cdata["stratum"].to_numpy(),
        ties=ties,
    )
    X = cdata[cols].to_numpy(float)
    got = cox_terms(rs, X, X @ beta)
    loglik, score, info = brute_force(cdata, beta, ties, cols)
    assert got.loglik == pytest.approx(loglik, rel=1e-12)
    np.testing.assert_allclose(got.score, score, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.information, info, rtol=1e-10)
    # score residuals add up to the score
    np.testing.assert_allclose(score_residuals(rs, X, got).sum(axis=0), score, atol=1e-10)


def test_risk_set_sums_match_brute_force(cdata) -> None:
    rs = build_risk_sets(
        cdata["stop"].to_numpy(),
        cdata["event"].to_numpy(),
        start=cdata["start"].to_numpy(),
        strata=cdata["stratum"].to_numpy(),
    )
    v = np.arange(len(cdata), dtype=float)
    expected = [
        v[((cdata["stratum"] == s) & (cdata["start"] < t) & (cdata["stop"] >= t)).to_numpy()].sum()
        for s, t in zip(rs.time_stratum, rs.times, strict=True)
    ]
    np.testing.assert_allclose(rs.at_risk_sum(v), expected)


def test_concordance_matches_brute_force(cdata) -> None:
    rs = build_risk_sets(
        cdata["stop"].to_numpy(),
        cdata["event"].to_numpy(),
        start=cdata["start"].to_numpy(),
        strata=cdata["stratum"].to_numpy(),
    )
    eta = np.round(cdata["x1"].to_numpy() + 0.5 * cdata["x2"].to_numpy(), 1)  # ties in eta
    conc = disc = tied = 0
    for i in np.flatnonzero(cdata["event"].to_numpy() == 1):
        s, t = cdata["stratum"].iat[i], cdata["stop"].iat[i]
        risk = (cdata["stratum"] == s) & (cdata["start"] < t) & (cdata["stop"] >= t)
        tied_event = (cdata["stop"] == t) & (cdata["event"] == 1)
        others = (risk & ~tied_event).to_numpy()
        conc += int((eta[others] < eta[i]).sum())
        disc += int((eta[others] > eta[i]).sum())
        tied += int((eta[others] == eta[i]).sum())
    got = concordance(rs, eta)
    assert (got["concordant"], got["discordant"], got["tied"]) == (conc, disc, tied)
    assert got["concordance"] == pytest.approx((conc + tied / 2) / (conc + disc + tied))
    # Equal predictors rounded differently in the last bit (as BLAS may do for equal
    # covariate rows) are still ties: the CI once got 0.59567 for R's 0.59553 this way.
    jitter = eta * (1 + np.random.default_rng(0).choice([-1, 0, 1], size=eta.size) * 2e-16)
    assert concordance(rs, jitter) == got


def test_concordance_is_computed_on_first_read_with_the_same_value(cdata, monkeypatch) -> None:
    import pickle
    import sys

    concordance_module = sys.modules["massincidents.survival.concordance"]
    calls = []
    original = concordance_module.concordance

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(concordance_module, "concordance", counted)
    fit = mi.cox("x1 + x2", cdata, start="start", stop="stop", event="event", strata="stratum")
    assert fit.stats.pending() == ["concordance"] and calls == []  # not computed by the fit
    rs = build_risk_sets(
        cdata["stop"].to_numpy(),
        cdata["event"].to_numpy(),
        start=cdata["start"].to_numpy(),
        strata=cdata["stratum"].to_numpy(),
    )
    eta = cdata[["x1", "x2"]].to_numpy() @ fit.params.to_numpy()
    assert fit.stats["concordance"] == original(rs, eta)["concordance"]
    assert len(calls) == 1
    assert fit.stats["concordance"] == fit.stats.get("concordance")
    assert len(calls) == 1  # stored after the first read
    fresh = mi.cox("x1 + x2", cdata, start="start", stop="stop", event="event", strata="stratum")
    restored = pickle.loads(pickle.dumps(fresh.stats))
    assert dict(restored) == dict(fit.stats)


def test_peak_memory_of_a_fit_is_at_most_300_bytes_per_row() -> None:
    import tracemalloc

    rng = np.random.default_rng(5)
    units, periods = 20_000, 5
    period = np.tile(np.arange(periods), units)
    event = rng.random(units * periods) < 0.05
    df = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(units), periods),
            "start": period * 10.0,
            "stop": period * 10.0 + np.where(event, rng.integers(1, 11, units * periods), 10),
            "event": event.astype(int),
            "x1": np.repeat(rng.normal(size=units), periods),
            "x2": rng.normal(size=units * periods),
            "x3": ((np.repeat(np.arange(units), periods) % 2 == 0) & (period >= 2)).astype(float),
        }
    )
    tracemalloc.start()
    try:
        fit = mi.cox("x1 + x2 + x3", df, start="start", stop="stop", event="event", cluster="unit")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert fit.nobs == len(df)
    assert peak / len(df) <= 300


def test_fit_solves_the_score_equations(cdata) -> None:
    fit = mi.cox("x1 + x2", cdata, start="start", stop="stop", event="event", strata="stratum")
    rs = build_risk_sets(
        cdata["stop"].to_numpy(),
        cdata["event"].to_numpy(),
        start=cdata["start"].to_numpy(),
        strata=cdata["stratum"].to_numpy(),
    )
    _, score, info = brute_force(cdata, fit.params.to_numpy(), "efron", ["x1", "x2"])
    assert np.max(np.abs(score)) < 1e-10
    np.testing.assert_allclose(fit.vcov.to_numpy(), np.linalg.inv(info), rtol=1e-8)
    assert rs.n_events == fit.stats["n_events"]
    assert fit.link == "log"
    hr = fit.irr()
    np.testing.assert_allclose(hr["irr"], np.exp(fit.params))


def test_invariance_to_row_order_and_covariate_shift(cdata) -> None:
    kw = {"start": "start", "stop": "stop", "event": "event", "cluster": "unit"}
    base = mi.cox("x1 + x2", cdata, **kw)
    shuffled = cdata.sample(frac=1.0, random_state=1).assign(x1=lambda d: d["x1"] + 100.0)
    other = mi.cox("x1 + x2", shuffled, **kw)
    np.testing.assert_allclose(other.params, base.params, rtol=1e-9)
    np.testing.assert_allclose(other.bse, base.bse, rtol=1e-8)
    assert other.stats["loglik"] == pytest.approx(base.stats["loglik"], rel=1e-12)


def test_variance_menu(cdata) -> None:
    cdata = cdata.assign(row=np.arange(len(cdata)))
    fit = mi.cox("x1 + x2", cdata, start="start", stop="stop", event="event", cluster="unit")
    assert fit.vcov_label == "CRV0 by unit (robust, as R coxph cluster=)"
    assert fit.stats["n_clusters"] == cdata["unit"].nunique()
    crv1 = fit.with_vcov({"CRV1": "unit"})
    g = cdata["unit"].nunique()
    np.testing.assert_allclose(crv1.vcov.to_numpy(), fit.vcov.to_numpy() * g / (g - 1))
    model = fit.with_vcov("iid")
    assert model.vcov_label == "model-based (inverse information)"
    assert not np.allclose(model.bse, fit.bse)
    n = len(cdata)
    by_row = fit.with_vcov({"CRV0": "row"})
    np.testing.assert_allclose(
        fit.with_vcov("hetero").vcov.to_numpy(), by_row.vcov.to_numpy() * n / (n - 1)
    )
    explicit = mi.cox(
        "x1 + x2", cdata, start="start", stop="stop", event="event", vcov={"CRV1": "province"}
    )
    assert explicit.vcov_label == "CRV1 by province"


def test_formula_forms(cdata) -> None:
    kw = {"start": "start", "stop": "stop", "event": "event"}
    a = mi.cox("x1 + x2", cdata, **kw)
    b = mi.cox("~ x1 + x2", cdata, **kw)
    np.testing.assert_allclose(a.params, b.params)
    assert "Intercept" not in a.params.index
    factor = mi.cox("x1 + C(x2)", cdata, **kw)
    assert list(factor.params.index) == ["x1", "C(x2)[T.1.0]", "C(x2)[T.2.0]"]
    with pytest.raises(ValueError, match="right-hand side"):
        mi.cox("stop ~ x1", cdata, **kw)
    with pytest.raises(ValueError, match="strata"):
        mi.cox("x1 | province", cdata, **kw)


def test_missing_values_are_left_out_and_reported(cdata) -> None:
    d = cdata.copy()
    d.loc[[0, 5], "x1"] = np.nan
    d.loc[7, "stratum"] = np.nan
    fit = mi.cox("x1 + x2", d, start="start", stop="stop", event="event", strata="stratum")
    assert fit.nobs == len(d) - 3
    assert fit.left_out == {"missing value in x1": 2, "missing value in stratum": 1}


def test_constant_within_strata_is_dropped(cdata) -> None:
    d = cdata.assign(s_copy=cdata["stratum"].astype(float))
    with pytest.warns(CollinearityWarning, match="constant within strata"):
        fit = mi.cox("x1 + s_copy", d, start="start", stop="stop", event="event", strata="stratum")
    assert list(fit.params.index) == ["x1"]
    assert "s_copy" in fit.dropped


def test_monotone_likelihood_warns_infinite() -> None:
    # every event happens to a row with x = 1 while it has the highest risk
    d = pd.DataFrame(
        {
            "t": [1.0, 2, 3, 4, 5, 6, 7, 8],
            "e": [1, 1, 1, 0, 0, 0, 0, 1],
            "x": [1.0, 1, 1, 0, 0, 0, 0, 1],
            "z": [0.3, -0.1, 0.2, 0.5, -0.4, 0.1, 0.0, 0.2],
        }
    )
    with pytest.warns(InfiniteCoefficientWarning, match="x"):
        fit = mi.cox("x + z", d, stop="t", event="e")
    assert fit.params["x"] > 5


def test_non_convergence_warns(cdata) -> None:
    with pytest.warns(CoxConvergenceWarning):
        mi.cox("x1 + x2", cdata, start="start", stop="stop", event="event", maxiter=1)


# -- bad input -----------------------------------------------------------------------------


def messages(err: pytest.ExceptionInfo) -> list[str]:
    return [str(p) for p in err.value.problems]


def test_events_must_be_zero_or_one(cdata) -> None:
    d = cdata.copy()
    d.loc[4, "event"] = 2
    with pytest.raises(mi.DataError) as err:
        mi.cox("x1", d, start="start", stop="stop", event="event")
    assert messages(err) == ["row 4, column 'event': the event indicator must be 0 or 1, got 2"]


def test_stop_not_after_start_names_unit_and_row(cdata) -> None:
    d = cdata.copy()
    d.loc[3, "stop"] = d.loc[3, "start"]
    d.loc[9, "stop"] = d.loc[9, "start"] - 1
    with pytest.raises(mi.DataError) as err:
        mi.cox("x1", d, start="start", stop="stop", event="event", id="unit")
    text = "\n".join(messages(err))
    assert f"row 3, column 'stop': unit {int(d.loc[3, 'unit'])}: stop is not after start" in text
    assert f"row 9, column 'stop': unit {int(d.loc[9, 'unit'])}: stop" in text
    assert "negative duration" in text


def test_negative_and_zero_durations() -> None:
    d = pd.DataFrame({"t": [2.0, -1.0, 0.0, 3.0], "e": [1, 0, 1, 1], "x": [0.1, 0.2, 0.3, 0.4]})
    with pytest.raises(mi.DataError) as err:
        mi.cox("x", d, stop="t", event="e")
    text = messages(err)
    assert text[0].startswith("row 1, column 't': negative duration -1")
    assert text[1].startswith("row 2, column 't': duration 0: no at-risk time")


def test_overlapping_intervals_within_a_unit(cdata) -> None:
    d = cdata.copy()
    unit = int(d.loc[0, "unit"])
    second = d.index[(d["unit"] == unit)][1]
    d.loc[second, "start"] = d.loc[0, "stop"] - 0.5
    with pytest.raises(mi.DataError) as err:
        mi.cox("x1", d, start="start", stop="stop", event="event", id="unit")
    (message,) = messages(err)
    assert message.startswith(f"row {second}, column 'unit': unit {unit!r}: interval")
    assert "overlaps" in message and "of row 0" in message
    # overlapping intervals of one unit in different strata (WLW) are fine
    wlw = pd.DataFrame(
        {
            "id": [1, 1, 2, 2, 3, 3],
            "enum": [1, 2, 1, 2, 1, 2],
            "t": [3.0, 5.0, 2.0, 6.0, 4.0, 4.5],
            "e": [1, 1, 1, 0, 0, 1],
            "x": [0.5, 0.5, -0.2, -0.2, 0.1, 0.1],
        }
    )
    mi.cox("x", wlw, stop="t", event="e", strata="enum", id="id", cluster="id")


def test_no_events(cdata) -> None:
    with pytest.raises(mi.DataError, match="no events"):
        mi.cox("x1", cdata.assign(event=0), start="start", stop="stop", event="event")


# -- frailty and zph -----------------------------------------------------------------------


def test_frailty_options(cdata) -> None:
    kw = {"start": "start", "stop": "stop", "event": "event"}
    fit = mi.cox("x1 + x2", cdata, frailty="province", **kw)
    assert fit.stats["n_groups"] == 7
    assert "theta" in fit.stats
    fixed = mi.cox("x1 + x2", cdata, frailty={"cluster": "province", "theta": 0.2}, **kw)
    assert fixed.stats["theta"] == 0.2
    full = mi.cox(
        "x1 + x2", cdata, frailty={"cluster": "province", "theta": 0.2, "sparse": False}, **kw
    )
    np.testing.assert_allclose(full.params, fixed.params, rtol=1e-8)
    with pytest.raises(ValueError, match="model-based"):
        fixed.with_vcov({"CRV0": "unit"})
    with pytest.raises(ValueError, match="gamma"):
        mi.cox("x1", cdata, frailty={"cluster": "province", "distribution": "gaussian"}, **kw)
    with pytest.raises(NotImplementedError):
        mi.cox_zph(fixed)


def test_frailty_at_zero_is_the_cox_model() -> None:
    rng = np.random.default_rng(5)
    n = 400
    x = rng.normal(size=n)
    t = rng.exponential(1 / np.exp(0.5 * x))
    d = pd.DataFrame({"x": x, "t": t, "e": 1, "g": np.arange(n) % 20})
    fit = mi.cox("x", d, stop="t", event="e", frailty="g")
    plain = mi.cox("x", d, stop="t", event="e")
    if fit.stats["theta"] == 0.0:
        np.testing.assert_allclose(fit.params, plain.params)
        assert any("theta = 0" in note for note in fit.notes)
    else:  # a small estimated variance: close to the Cox model
        assert fit.stats["theta"] < 0.05
        np.testing.assert_allclose(fit.params, plain.params, rtol=0.05)


def test_zph_transforms_and_errors(cdata) -> None:
    fit = mi.cox("x1 + x2", cdata, start="start", stop="stop", event="event", strata="stratum")
    for transform in ("km", "rank", "identity", "log"):
        zph = mi.cox_zph(fit, transform)
        assert list(zph.table.index) == ["x1", "x2", "GLOBAL"]
        assert zph.residuals.shape == (fit.stats["n_events"], 2)
    with pytest.raises(ValueError, match="transform"):
        mi.cox_zph(fit, "sqrt")
    with pytest.raises(TypeError):
        mi.cox_zph(mi.linear("x1 ~ x2", cdata))


MODULES = [
    "massincidents.survival.cox",
    "massincidents.survival.zph",
    "massincidents.survival.risksets",
    "massincidents.survival.concordance",
    "massincidents.survival.partial_likelihood",
    "massincidents.survival.frailty",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_frailty_information_blocks_match_dummy_columns(cdata, ties) -> None:
    """Segment sums for the group blocks equal the information of explicit group dummies."""
    from massincidents.survival.frailty import _penalty_blocks

    rs = build_risk_sets(
        cdata["stop"].to_numpy(),
        cdata["event"].to_numpy(),
        start=cdata["start"].to_numpy(),
        strata=cdata["stratum"].to_numpy(),
        ties=ties,
    )
    groups = cdata["province"].to_numpy()
    Z = np.eye(7)[groups]
    X = cdata[["x1", "x2"]].to_numpy(float)
    omega = np.linspace(-0.3, 0.3, 7)
    eta = X @ np.array([0.2, -0.1]) + omega[groups]
    full_info = cox_terms(rs, np.hstack([X, Z]), eta).information
    terms = cox_terms(rs, X, eta)
    i_bw, diag, full = _penalty_blocks(rs, X, groups, 7, terms, True)
    np.testing.assert_allclose(i_bw, full_info[:2, 2:], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(diag, np.diag(full_info)[2:], rtol=1e-9)
    np.testing.assert_allclose(full, full_info[2:, 2:], rtol=1e-9, atol=1e-12)
