"""Identities between the IV diagnostics (massincidents.iv.diagnostics).

Their values are checked against Stata ivreg2, AER and linearmodels in
test_references.py; here, what must hold whatever the data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from simulated_iv import simulate

import massincidents as mi

FORMULA = "y ~ x | unit + year | d ~ z1 + z2"


def _fit(formula=FORMULA, data=None, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        return mi.iv(formula, simulate() if data is None else data, **options)


@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "unit"}, {"CRV1": "unit+year"},
                                  {"DK": 2}], ids=str)
@pytest.mark.parametrize("ssc", ["R", "stata", "fixest"])
def test_kleibergen_paap_wald_f_is_the_first_stage_f_with_one_endogenous(vcov, ssc) -> None:
    if isinstance(vcov, dict) and "+" in str(vcov.get("CRV1", "")) and ssc == "R":
        pytest.skip("two-way CRV1 under R: each term its own G/(G-1); KP uses the smaller G")
    diag = _fit(vcov=vcov, ssc=ssc).diagnostics
    assert diag.kleibergen_paap_wald.statistic == pytest.approx(diag.first_stage["d"].f,
                                                                rel=1e-9)


def test_cragg_donald_is_the_iid_first_stage_f_with_one_endogenous() -> None:
    diag = _fit(vcov="iid").diagnostics
    assert diag.cragg_donald.statistic == pytest.approx(diag.first_stage["d"].f, rel=1e-9)
    assert diag.kleibergen_paap_wald.statistic == pytest.approx(diag.cragg_donald.statistic,
                                                                rel=1e-9)


def test_kleibergen_paap_lm_under_iid_is_anderson_canonical_correlation() -> None:
    data = simulate()
    data["d2"] = data["z2"] + data["z1"] ** 2 + np.random.default_rng(1).normal(size=len(data))
    data["z3"] = data["z1"] ** 2
    fit = _fit("y ~ x | unit + year | d + d2 ~ z1 + z2 + z3", data, vcov="iid")
    ivdata = fit.extra["iv_data"]
    _, x2, z2 = ivdata.without_exogenous()
    qx, _ = np.linalg.qr(x2)
    qz, _ = np.linalg.qr(z2)
    canonical = np.linalg.svd(qx.T @ qz, compute_uv=False)
    n = fit.nobs
    assert fit.diagnostics.kleibergen_paap_lm.statistic == pytest.approx(
        n * canonical.min() ** 2, rel=1e-9)
    assert fit.diagnostics.kleibergen_paap_lm.df == 2
    assert set(fit.diagnostics.first_stage) == {"d", "d2"}
    assert all(s.sanderson_windmeijer is not None for s in fit.diagnostics.first_stage.values())


def test_hansen_j_is_the_gmm_criterion_and_absent_when_exactly_identified() -> None:
    gmm = _fit(vcov={"CRV1": "unit"}, method="gmm")
    assert gmm.diagnostics.overidentification.statistic == pytest.approx(gmm.stats["j"],
                                                                         rel=1e-12)
    assert _fit("y ~ x | unit + year | d ~ z1", vcov="hetero").diagnostics.overidentification \
        is None


def test_endogeneity_test_detects_endogeneity_and_not_its_absence() -> None:
    data = simulate(seed=9, units=80)
    assert _fit(data=data, vcov={"CRV1": "unit"}).diagnostics.endogeneity.pvalue < 0.01
    exogenous = data.assign(d=data["z1"] + data["x"] + np.random.default_rng(2).normal(
        size=len(data)))
    exogenous["y"] = 1.5 * exogenous["d"] + np.random.default_rng(3).normal(size=len(data))
    assert _fit(data=exogenous, vcov="hetero").diagnostics.endogeneity.pvalue > 0.01


def test_summary_names_every_diagnostic() -> None:
    text = _fit(vcov="hetero").summary()
    for what in ("First stage d", "Cragg-Donald", "Kleibergen-Paap rk Wald F",
                 "Kleibergen-Paap rk LM", "Anderson-Rubin", "Hansen J", "Durbin-Wu-Hausman"):
        assert what in text, what
