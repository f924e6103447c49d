"""Small-sample conventions of the count models (``ssc=``): fixest's against pyfixest, refusals."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import massincidents as mi

FORMULA = "y ~ x1 + x2 + treated | province + year"


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=11)
    return df.assign(log_pop=np.log(df["population"]))


CASES = [
    (FORMULA, "iid"),
    (FORMULA, "hetero"),
    (FORMULA, {"CRV1": "province"}),
    (FORMULA, {"CRV1": "year"}),
    (FORMULA, {"CRV1": "province+year"}),
    ("y ~ x1 + x2 + treated | province", {"CRV1": "province"}),
    ("y ~ x1 + x2 + treated | province", "iid"),
    ("y ~ x1 + x2 + treated", "iid"),
    ("y ~ x1 + x2 + treated", {"CRV1": "year"}),
]


@pytest.mark.parametrize(("formula", "vcov"), CASES)
def test_fixest_preset_equals_pyfixest_fepois(panel, formula, vcov) -> None:
    """ssc="fixest" reproduces pyfixest's fepois defaults (run here, same data).

    fepois multiplies every variance by (N-1)/(N-K), K counting the fixed effects not
    nested in a cluster (one parameter for those nested), and two-way clustering uses the
    smaller G; the R convention (the default) has neither.
    """
    pf = pytest.importorskip("pyfixest")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.fepois(
            formula, panel, offset="log_pop", vcov=vcov, iwls_tol=1e-12, fixef_tol=1e-12
        )
    ours = mi.poisson(formula, panel, offset="log_pop", vcov=vcov, ssc="fixest", tol=1e-13)
    default = mi.poisson(formula, panel, offset="log_pop", vcov=vcov)
    names = list(ref.coef().index)
    np.testing.assert_allclose(ours.params[names], ref.coef().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(ours.bse[names], ref.se().to_numpy(), rtol=1e-6)
    # fepois uses the normal reference distribution, as the likelihood models here
    assert ours.df_inference is None
    np.testing.assert_allclose(ours.conf_int(), ref.confint().to_numpy(), rtol=1e-6)
    # the default (R) differs by the factor fixest adds
    assert not np.allclose(default.bse, ours.bse, rtol=1e-4)
    assert "ssc=fixest" in ours.vcov_label


def test_stata_preset_of_poisson_is_the_likelihood_convention(panel) -> None:
    """Stata's poisson: oim, robust N/(N-1), cluster G/(G-1): the menu's ML rules (checked
    against Stata output in tests/counts/test_stata_reference.py)."""
    for vcov in ("iid", "hetero", {"CRV1": "province"}):
        a = mi.poisson(FORMULA, panel, exposure="population", vcov=vcov, ssc="stata")
        b = mi.poisson(FORMULA, panel, exposure="population", vcov=vcov)
        np.testing.assert_allclose(a.bse, b.bse, rtol=1e-14)


def test_default_is_r_and_unknown_or_undefined_presets_are_refused(panel) -> None:
    a = mi.poisson(FORMULA, panel, exposure="population")
    b = mi.poisson(FORMULA, panel, exposure="population", ssc="R")
    np.testing.assert_array_equal(a.bse, b.bse)
    assert a.vcov_label == "CRV1 by province"
    with pytest.raises(ValueError, match="unknown ssc"):
        mi.poisson(FORMULA, panel, ssc="sas")
    for call in (
        lambda: mi.negbin(FORMULA, panel, ssc="fixest"),
        lambda: mi.negbin("y ~ x1 | province", panel, conditional=True, ssc="fixest"),
        lambda: mi.zero_inflated("y ~ x1", panel, ssc="fixest"),
    ):
        with pytest.raises(ValueError, match="not defined for"):
            call()


def test_with_vcov_keeps_the_convention(panel) -> None:
    fit = mi.poisson(FORMULA, panel, offset="log_pop", ssc="fixest")
    again = mi.poisson(FORMULA, panel, offset="log_pop", ssc="fixest", vcov="hetero")
    np.testing.assert_allclose(fit.with_vcov("hetero").bse, again.bse, rtol=1e-14)


def test_a_custom_convention_applies_its_fields(panel) -> None:
    from massincidents.inference.conventions import SmallSample

    bare = SmallSample("custom", adj=False, cluster_adj=False)
    crv1 = mi.poisson(FORMULA, panel, exposure="population", vcov={"CRV1": "province"}, ssc=bare)
    crv0 = mi.poisson(FORMULA, panel, exposure="population", vcov={"CRV0": "province"})
    np.testing.assert_allclose(crv1.bse, crv0.bse, rtol=1e-12)
    adj_only = SmallSample("custom", adj=True, cluster_adj=False, fixef_k="none")
    fit = mi.poisson(FORMULA, panel, exposure="population", vcov="iid", ssc=adj_only)
    iid = mi.poisson(FORMULA, panel, exposure="population", vcov="iid")
    n, k = fit.nobs, 3
    np.testing.assert_allclose(fit.bse**2, iid.bse**2 * (n - 1) / (n - k), rtol=1e-12)


def test_stata_two_way_clustering_uses_the_smaller_g(panel) -> None:
    """ppmlhdfe (reghdfe's vce code) uses min(G) in every term of multi-way clustering."""
    two_way = {"CRV1": "province+year"}
    stata = mi.poisson(FORMULA, panel, exposure="population", vcov=two_way, ssc="stata")
    g_min = mi.poisson(
        FORMULA, panel, exposure="population", vcov={**two_way, "cluster_df": "min"}
    )
    np.testing.assert_allclose(stata.bse, g_min.bse, rtol=1e-14)


@pytest.mark.parametrize("model", ["poisson", "negbin", "zip", "zinb"])
def test_count_results_record_their_variance_choice_and_convention(panel, model) -> None:
    """As mi.linear's: the parsed choice and the convention travel with the result (what
    romano_wolf and the tables read), not only a label to be parsed again."""
    from massincidents.inference.conventions import PRESETS
    from massincidents.inference.vcov import parse_vcov

    cluster = {"CRV1": "province"}
    if model in ("zip", "zinb"):
        dist = "poisson" if model == "zip" else "negbin"
        fit = mi.zero_inflated(
            "y ~ x1 + x2", panel, inflate="x1", dist=dist, vcov=cluster, ssc="stata"
        )
    else:
        fit = getattr(mi, model)("y ~ x1 + x2 | year", panel, vcov=cluster, ssc="stata")
    assert fit.vcov_spec == parse_vcov(cluster)
    assert fit.vcov_ssc == PRESETS["stata"]
    moved = fit.with_vcov("hetero")
    assert moved.vcov_spec == parse_vcov("hetero") and moved.vcov_ssc == PRESETS["stata"]
