"""The differences from lifelines and statsmodels stated in ``massincidents.survival.cox``.

Run on the reference CSVs of ``tests/reference/data``; skipped without lifelines.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import massincidents as mi

DATA = Path(__file__).parents[1] / "reference" / "data"
ROSSI = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
HEART = ["age", "year", "surgery", "transplant"]
BLADDER = ["rx", "number", "size"]


def rel(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, float) / np.asarray(b, float) - 1)))


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    return pd.read_csv(DATA / "cox_rossi.csv")


@pytest.fixture(scope="module")
def heart() -> pd.DataFrame:
    return pd.read_csv(DATA / "cox_heart.csv")


@pytest.fixture(scope="module")
def bladder2() -> pd.DataFrame:
    return pd.read_csv(DATA / "cox_bladder2.csv")


def test_lifelines_coxph_agrees_but_its_robust_se_ignore_ties(rossi) -> None:
    lifelines = pytest.importorskip("lifelines")
    ours = mi.cox(
        " + ".join(ROSSI),
        rossi.assign(row=np.arange(len(rossi))),
        stop="week",
        event="arrest",
        cluster="row",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = lifelines.CoxPHFitter().fit(rossi[["week", "arrest", *ROSSI]], "week", "arrest")
        robust = lifelines.CoxPHFitter().fit(
            rossi[["week", "arrest", *ROSSI]], "week", "arrest", robust=True
        )
    assert rel(theirs.params_[ROSSI], ours.params[ROSSI]) < 1e-6
    assert rel(theirs.standard_errors_[ROSSI], ours.with_vcov("iid").bse[ROSSI]) < 1e-6
    assert theirs.log_likelihood_ == pytest.approx(ours.stats["loglik"], rel=1e-10)
    assert 0.01 < rel(robust.standard_errors_[ROSSI], ours.bse[ROSSI]) < 0.05


def test_lifelines_time_varying_has_model_based_se_only(heart, bladder2) -> None:
    lifelines = pytest.importorskip("lifelines")
    fit = mi.cox(" + ".join(HEART), heart, start="start", stop="stop", event="event")
    ctv = lifelines.CoxTimeVaryingFitter().fit(
        heart[["id", "start", "stop", "event", *HEART]],
        id_col="id",
        event_col="event",
        start_col="start",
        stop_col="stop",
    )
    assert rel(ctv.params_[HEART], fit.params[HEART]) < 1e-8
    assert rel(ctv.standard_errors_[HEART], fit.bse[HEART]) < 1e-6
    ag = mi.cox(
        " + ".join(BLADDER), bladder2, start="start", stop="stop", event="event", cluster="id"
    )
    ctv = lifelines.CoxTimeVaryingFitter().fit(
        bladder2[["id", "start", "stop", "event", *BLADDER]],
        id_col="id",
        event_col="event",
        start_col="start",
        stop_col="stop",
    )
    assert rel(ctv.params_[BLADDER], ag.params[BLADDER]) < 1e-8
    assert rel(ctv.standard_errors_[BLADDER], ag.with_vcov("iid").bse[BLADDER]) < 1e-6
    assert rel(ctv.standard_errors_[BLADDER], ag.bse[BLADDER]) > 0.2  # no robust SE


def test_statsmodels_entry_is_closed_on_the_left(heart) -> None:
    from statsmodels.duration.hazard_regression import PHReg

    fit = mi.cox(" + ".join(HEART), heart, start="start", stop="stop", event="event")
    args = (heart["stop"].to_numpy(), heart[HEART].to_numpy())
    as_is = PHReg(
        *args, status=heart["event"].to_numpy(), entry=heart["start"].to_numpy(), ties="efron"
    ).fit()
    shifted = PHReg(
        *args,
        status=heart["event"].to_numpy(),
        entry=heart["start"].to_numpy() + 1e-7,
        ties="efron",
    ).fit()
    assert rel(shifted.params, fit.params[HEART]) < 1e-8
    assert rel(as_is.params, fit.params[HEART]) > 1.0


def test_statsmodels_robust_se(rossi, bladder2) -> None:
    from statsmodels.duration.hazard_regression import PHReg

    d = rossi.assign(row=np.arange(len(rossi)))
    ours = mi.cox(" + ".join(ROSSI), d, stop="week", event="arrest", cluster="row", ties="breslow")
    sm = PHReg(
        rossi["week"].to_numpy(),
        rossi[ROSSI].to_numpy(),
        status=rossi["arrest"].to_numpy(),
        ties="breslow",
    ).fit(groups=d["row"].to_numpy())
    assert rel(sm.bse, ours.bse[ROSSI]) < 1e-8
    model = PHReg(
        bladder2["stop"].to_numpy(),
        bladder2[BLADDER].to_numpy(),
        status=bladder2["event"].to_numpy(),
        entry=bladder2["start"].to_numpy() + 1e-7,
        ties="breslow",
    )
    sm = model.fit(groups=bladder2["id"].to_numpy())
    residual_sum = model.score_residuals(sm.params).sum(axis=0)
    assert np.max(np.abs(residual_sum)) > 1.0  # they should add up to the score, ~0
    ag = mi.cox(
        " + ".join(BLADDER),
        bladder2,
        start="start",
        stop="stop",
        event="event",
        cluster="id",
        ties="breslow",
    )
    assert rel(sm.bse, ag.bse[BLADDER]) > 0.1
