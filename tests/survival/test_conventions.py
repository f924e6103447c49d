"""ssc= on the survival models: R's and Stata's small-sample factors, computed explicitly.

Stata's factors are documented (``stcox`` help, option ``noadjust``: N/(N-1)
or g/(g-1); ``[P] _robust``, ``minus(1)`` for maximum-likelihood commands);
no published Stata output on data we ship was found, so each is checked here
against the sandwich formed by hand from the score residuals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.survival.cox import COX_KEY
from massincidents.survival.partial_likelihood import score_residuals

DATA = Path(__file__).resolve().parents[1] / "reference" / "data"


@pytest.fixture(scope="module")
def bladder2() -> pd.DataFrame:
    return pd.read_csv(DATA / "cox_bladder2.csv")


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return pd.read_csv(DATA / "lung.csv").rename(columns={"ph.ecog": "ph_ecog"}).dropna()


def cox_sandwich(fit, groups: np.ndarray) -> np.ndarray:
    """I^{-1} (sum_g L_g L_g') I^{-1} from the score residuals, no factor."""
    data = fit.extra[COX_KEY]
    L = score_residuals(data.risk_sets, data.X, data.terms)
    bread = np.linalg.inv(data.terms.information)
    codes = pd.factorize(pd.Series(groups))[0]
    S = np.vstack([L[codes == g].sum(axis=0) for g in range(codes.max() + 1)])
    return bread @ (S.T @ S) @ bread


def test_cox_cluster_default_is_coxph_under_R_and_stcox_under_stata(bladder2) -> None:
    args = ("rx + size + number", bladder2)
    kw = {"start": "start", "stop": "stop", "event": "event", "cluster": "id"}
    r = mi.cox(*args, **kw)
    stata = mi.cox(*args, **kw, ssc="stata")
    G = bladder2["id"].nunique()
    by_hand = cox_sandwich(r, bladder2["id"].to_numpy())
    np.testing.assert_allclose(r.vcov.to_numpy(), by_hand, rtol=1e-10)
    np.testing.assert_allclose(stata.vcov.to_numpy(), G / (G - 1) * by_hand, rtol=1e-10)
    np.testing.assert_array_equal(stata.params, r.params)
    assert stata.vcov_label == "CRV1 by id; ssc=stata"
    assert r.vcov_label == "CRV0 by id (robust, as R coxph cluster=)"
    # explicit choices mean the same under both conventions
    np.testing.assert_allclose(
        mi.cox(*args, **kw, vcov={"CRV0": "id"}, ssc="stata").vcov, r.vcov, rtol=1e-12
    )
    # and a fit's variance can be recomputed under the other convention
    assert r.with_vcov({"CRV1": "id"}).vcov.equals(stata.vcov)


def test_cox_robust_without_clusters_is_stcox_vce_robust(lung) -> None:
    fit = mi.cox(
        "age + sex + ph_ecog", lung, stop="time", event="event", vcov="hetero", ssc="stata"
    )
    n = len(lung)
    by_hand = cox_sandwich(fit, np.arange(n))
    np.testing.assert_allclose(fit.vcov.to_numpy(), n / (n - 1) * by_hand, rtol=1e-10)


def test_streg_robust_factors(lung) -> None:
    def aft(vcov: object, ssc: str | None = None) -> mi.Result:
        return mi.weibull(
            "age + sex + ph_ecog", lung, duration="time", event="event", vcov=vcov, ssc=ssc
        )

    fit = aft("iid", "stata")
    scores = fit.extra["scores"]
    bread = np.linalg.inv(-fit.extra["hessian"])
    n = len(lung)
    hetero = n / (n - 1) * bread @ (scores.T @ scores) @ bread
    np.testing.assert_allclose(aft("hetero", "stata").vcov.to_numpy(), hetero, rtol=1e-10)
    codes = pd.factorize(lung["inst"])[0]
    S = np.vstack([scores[codes == g].sum(axis=0) for g in range(codes.max() + 1)])
    G = S.shape[0]
    cluster = G / (G - 1) * bread @ (S.T @ S) @ bread
    # on the correlation scale: an off-diagonal near 0 (age x sex, -1.4e-7) differed from the
    # hand computation by 1.04e-10 relative under numpy 2.5 / scipy 1.18 (rounding only)
    scale = np.sqrt(np.outer(np.diag(cluster), np.diag(cluster)))
    np.testing.assert_allclose(
        aft({"CRV1": "inst"}, "stata").vcov.to_numpy() / scale, cluster / scale, atol=1e-10
    )
    assert aft({"CRV1": "inst"}, "stata").vcov_label.endswith("; ssc=stata")
    np.testing.assert_array_equal(aft({"CRV1": "inst"}).vcov, aft({"CRV1": "inst"}, "stata").vcov)


def test_discrete_hazard_takes_ssc() -> None:
    spells = pd.read_csv(DATA / "discrete_spells.csv")
    kw = {"unit": "id", "time": "duration", "event": "event", "entry": "entry",
          "formula_rhs": "x1 + x2", "layout": "spells", "vcov": {"CRV1": "id"}}
    r = mi.discrete_hazard(spells, **kw)
    stata = mi.discrete_hazard(spells, **kw, ssc="stata")
    np.testing.assert_array_equal(r.vcov, stata.vcov)
    assert stata.vcov_label == r.vcov_label + "; ssc=stata"


@pytest.mark.parametrize("ssc", ["fixest", mi.inference.conventions.SmallSample("custom")])
def test_conventions_without_a_survival_meaning_are_refused(lung, ssc) -> None:
    with pytest.raises(ValueError, match="two small-sample conventions"):
        mi.cox("age", lung, stop="time", event="event", ssc=ssc)
    with pytest.raises(ValueError, match="two small-sample conventions"):
        mi.weibull("age", lung, duration="time", event="event", ssc=ssc)
    with pytest.raises(ValueError, match="unknown ssc"):
        mi.cox("age", lung, stop="time", event="event", ssc="SAS")


def test_fresh_and_recomputed_variances_record_the_same_convention(bladder2, lung) -> None:
    """vcov_ssc of a fit is the convention its variance was computed under, as after
    with_vcov (fresh fits recorded None)."""
    from massincidents.inference.conventions import PRESETS

    spells = pd.read_csv(DATA / "discrete_spells.csv")
    fits = [
        mi.cox("rx + size + number", bladder2, start="start", stop="stop", event="event",
               cluster="id", ssc="stata"),
        mi.weibull("age + sex + ph_ecog", lung, duration="time", event="event",
                   vcov="hetero", ssc="stata"),
        mi.discrete_hazard(spells, unit="id", time="duration", event="event", entry="entry",
                           formula_rhs="x1 + x2", layout="spells", vcov={"CRV1": "id"},
                           ssc="stata"),
    ]  # fmt: skip
    for fit in fits:
        assert fit.vcov_ssc == PRESETS["stata"]
        assert fit.with_vcov("hetero").vcov_ssc == fit.vcov_ssc
