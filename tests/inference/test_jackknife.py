"""The cluster jackknife (``vcov={"CV3": ...}``) against R and against brute-force refits.

References (``tests/reference/jackknife_sandwich.json``, made by
``jackknife_sandwich.R``): R ``sandwich::vcovCL(type = "HC3", cadjust = FALSE)``
(CV3 exactly for ``lm``), leave-one-cluster-out refits with ``lm``, ``glm`` and
``MASS::glm.nb`` (CV3, CV3J), and one-step ``glm(etastart =, maxit = 1)`` refits
(our ``jackknife="one-step"``). Second check: brute-force refits with our own
estimators on the data without each cluster.
"""

from __future__ import annotations

import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import massincidents as mi
from massincidents.errors import DataError
from massincidents.inference.jackknife import SingularJackknifeWarning
from massincidents.inference.vcov import parse_vcov

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
import agreement_jackknife as ref

from scaling import EXPONENTS, check_rescaling
from simulated_spec import SIM_SPEC

REFERENCE = ref._load(ref.JACKKNIFE_FILE)


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        return function(*args, **kwargs)


@pytest.mark.parametrize(
    "comparison", ref.jackknife_comparisons(), ids=lambda c: c[0]["name"]
)
def test_standard_errors_match_r(comparison) -> None:
    entry, ours, theirs = comparison
    np.testing.assert_allclose(ours, theirs, rtol=ref.TOLERANCE[entry["model"]], atol=0)


@pytest.mark.parametrize(
    "comparison", ref.coefficient_comparisons(), ids=lambda c: c[0]["name"]
)
def test_estimates_match_r(comparison) -> None:
    _, ours, theirs = comparison
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=0)


@pytest.mark.parametrize("model", ["poisson", "negbin"])
def test_sandwich_glm_hc3_is_the_transposed_hat_block(model) -> None:
    """What sandwich 3.0 computes for a glm with type = "HC3", reproduced; not our one-step.

    meatCL: cluster score :math:`X_g'(I - X_gBX_g'W_g)^{-1}r_g` with :math:`r = y - \\mu`
    times working weight over mean, times sqrt((G-1)/G); a Newton step has
    :math:`X_g'W_g(I - X_gBX_g'W_g)^{-1}W_g^{-1}r_g`. The two agree for ``lm``.
    """
    (entry,) = [
        e for e in REFERENCE["entries"]
        if e["ours"] is None and e["model"] == model and "pooled" in e["name"]
    ]
    data = ref._data("count_panel")
    fit = ref._fit(model, entry["formula"], "count_panel")
    X = np.column_stack([np.ones(len(data)), data[["x1", "x2", "treated"]].to_numpy()])
    mu = fit.extra["mu"]
    theta = fit.stats.get("theta")
    w = mu if theta is None else mu / (1 + mu / theta)
    r = w * (data["y"].to_numpy() - mu) / mu
    B = np.linalg.inv(X.T @ (w[:, None] * X))
    codes = pd.factorize(data["province"])[0]
    G = codes.max() + 1
    steps = []
    for g in range(G):
        rows = codes == g
        Xg = X[rows]
        H = Xg @ B @ Xg.T * w[rows][None, :]
        steps.append(B @ (Xg.T @ np.linalg.solve(np.eye(rows.sum()) - H, r[rows])))
    steps = np.array(steps)
    sandwich_hc3 = (G - 1) / G * steps.T @ steps
    theirs = np.array([float(v) for v in entry["se"].values()])
    np.testing.assert_allclose(np.sqrt(np.diag(sandwich_hc3)), theirs, rtol=1e-7)
    one_step = fit.with_vcov({"CV3": "province", "jackknife": "one-step"})
    # 2% apart for Poisson, 0.06% for NB2 on these data
    assert np.max(np.abs(one_step.bse.to_numpy() / theirs - 1)) > 1e-4


# -- brute force with our own estimators ---------------------------------------------------


def _brute_force(function, formula, data, cluster, center="estimate", **kwargs):
    labels = sorted(data[cluster].dropna().unique())
    full = _quiet(function, formula, data, vcov="iid", **kwargs).params.to_numpy()
    est = np.array(
        [
            _quiet(function, formula, data[data[cluster] != g], vcov="iid", **kwargs)
            .params.to_numpy()
            for g in labels
        ]
    )
    G = len(labels)
    c = full if center == "estimate" else est.mean(axis=0)
    d = est - c
    return (G - 1) / G * d.T @ d


@pytest.fixture(scope="module")
def unbalanced() -> pd.DataFrame:
    """A panel with unbalanced cluster sizes, string cluster labels and some missing rows."""
    rng = np.random.default_rng(15)
    sizes = rng.integers(2, 30, size=25)
    region = np.repeat([f"r{i:02d}" for i in range(25)], sizes)
    n = region.size
    year = rng.integers(2000, 2010, size=n)
    shock = rng.normal(size=25)[pd.factorize(region)[0]]
    x1 = rng.normal(size=n) + shock
    x2 = rng.normal(size=n)
    y = 0.5 * x1 - 0.2 * x2 + shock + rng.normal(size=n) * (1 + np.abs(x2))
    counts = rng.poisson(np.exp(0.3 * x1 - 0.1 * x2 + 0.5 * shock + 1))
    frame = pd.DataFrame(
        {"region": region, "year": year, "x1": x1, "x2": x2, "y": y, "count": counts}
    )
    frame.loc[[3, 40, 41], "x2"] = np.nan  # dropped by every fit alike
    return frame


@pytest.mark.parametrize(
    "formula",
    ["y ~ x1 + x2", "y ~ x1 + x2 | region", "y ~ x1 + x2 | year", "y ~ x1 + x2 | region + year"],
)
@pytest.mark.parametrize("kind", ["CV3", "CV3J"])
def test_linear_matches_brute_force(unbalanced, formula, kind) -> None:
    fit = mi.linear(formula, unbalanced, vcov={kind: "region"})
    center = "estimate" if kind == "CV3" else "mean"
    expected = _brute_force(mi.linear, formula, unbalanced, "region", center)
    np.testing.assert_allclose(fit.vcov.to_numpy(), expected, rtol=1e-8, atol=1e-14)
    assert fit.vcov_label == f"{kind} by region" and fit.df_inference == 24.0


@pytest.mark.parametrize("formula", ["count ~ x1 + x2 | year", "count ~ x1 + x2 | region + year"])
def test_poisson_matches_brute_force(unbalanced, formula) -> None:
    fit = mi.poisson(formula, unbalanced, vcov={"CV3": "region"})
    expected = _brute_force(mi.poisson, formula, unbalanced, "region")
    np.testing.assert_allclose(fit.vcov.to_numpy(), expected, rtol=1e-6)
    assert fit.df_inference is None


def test_negbin_stata_convention_jackknifes_ln_alpha(unbalanced) -> None:
    """ssc="stata" (nbreg): the same beta jackknife; ln(alpha) jackknifed with it."""
    r = mi.negbin("count ~ x1 + x2", unbalanced, vcov={"CV3": "region"})
    s = mi.negbin("count ~ x1 + x2", unbalanced, vcov={"CV3": "region"}, ssc="stata")
    np.testing.assert_allclose(s.vcov.to_numpy(), r.vcov.to_numpy(), rtol=1e-10)
    labels = sorted(unbalanced["region"].unique())
    lnalpha = np.array(
        [
            mi.negbin("count ~ x1 + x2", unbalanced[unbalanced["region"] != g]).stats["lnalpha"]
            for g in labels
        ]
    )
    G = len(labels)
    expected = np.sqrt((G - 1) / G * ((lnalpha - r.stats["lnalpha"]) ** 2).sum())
    np.testing.assert_allclose(s.stats["lnalpha_se"], expected, rtol=1e-6)


def test_cv3j_is_cv3_less_the_bias_term(unbalanced) -> None:
    cv3 = mi.linear("y ~ x1 + x2 | year", unbalanced, vcov={"CV3": "region"})
    cv3j = cv3.with_vcov({"CV3J": "region"})
    assert (np.diag(cv3j.vcov) <= np.diag(cv3.vcov)).all()


# -- conventions ----------------------------------------------------------------------------


@pytest.mark.parametrize("ssc", ["R", "stata", "fixest", mi.ssc(adj=False, cluster_adj=False)])
def test_small_sample_factors_do_not_apply(unbalanced, ssc) -> None:
    base = mi.linear("y ~ x1 + x2 | region", unbalanced, vcov={"CV3": "region"})
    other = mi.linear("y ~ x1 + x2 | region", unbalanced, vcov={"CV3": "region"}, ssc=ssc)
    np.testing.assert_array_equal(other.vcov.to_numpy(), base.vcov.to_numpy())


def test_t_df_conventional(unbalanced) -> None:
    fit = mi.linear(
        "y ~ x1 + x2", unbalanced, vcov={"CV3": "region"}, ssc=mi.ssc(t_df="conventional")
    )
    assert fit.df_inference == fit.nobs - 3


def test_parse() -> None:
    assert parse_vcov({"CV3": "province"}).clusters == ("province",)
    spec = parse_vcov({"CV3": "province", "jackknife": "one-step"})
    assert spec.jackknife == "one-step" and spec.label == "CV3 by province (one-step)"
    with pytest.raises(ValueError, match="one cluster column"):
        parse_vcov({"CV3": "province+year"})
    with pytest.raises(ValueError, match="exact"):
        parse_vcov({"CV3": "province", "jackknife": "approximately"})
    with pytest.raises(ValueError, match="CV3 and CV3J only"):
        parse_vcov({"CRV1": "province", "jackknife": "exact"})


def test_linear_one_step_is_exact(unbalanced) -> None:
    fit = mi.linear("y ~ x1 + x2 | region", unbalanced, vcov={"CV3": "region"})
    one = fit.with_vcov({"CV3": "region", "jackknife": "one-step"})
    np.testing.assert_array_equal(one.vcov.to_numpy(), fit.vcov.to_numpy())


# -- refusals -------------------------------------------------------------------------------


def test_cluster_holding_all_variation_gives_nan_and_warns(unbalanced) -> None:
    """The term it leaves undefined is NaN (named in a warning); the others are exact."""
    df = unbalanced.copy()
    df["only_r03"] = (df["region"] == "r03") * np.arange(len(df)) % 3
    cases = [
        (mi.linear, "y ~ x1 + only_r03", {}),
        (mi.linear, "y ~ x1 + only_r03 | year", {}),
        (mi.poisson, "count ~ x1 + only_r03 | year", {}),
        (mi.negbin, "count ~ x1 + only_r03", {}),
        (mi.poisson, "count ~ x1 + only_r03", {"jackknife": "one-step"}),
        (mi.poisson, "count ~ x1 + only_r03 | year", {"jackknife": "one-step"}),
    ]
    for function, formula, extra in cases:
        fit = _quiet(function, formula, df, vcov={"CRV1": "region"})
        with pytest.warns(SingularJackknifeWarning, match=r"'r03': only_r03"):
            cv3 = fit.with_vcov({"CV3": "region", **extra})
        assert np.isnan(cv3.bse["only_r03"]) and np.isfinite(cv3.bse["x1"])
        # x1 as the jackknife of the model without the term for the one cluster, and
        # with it for the others
        labels = sorted(df["region"].unique())
        if extra:
            continue
        est = []
        for g in labels:
            sub = df[df["region"] != g]
            f = formula.replace(" + only_r03", "") if g == "r03" else formula
            est.append(_quiet(function, f, sub, vcov="iid").params["x1"])
        G = len(labels)
        expected = np.sqrt((G - 1) / G * ((np.array(est) - fit.params["x1"]) ** 2).sum())
        np.testing.assert_allclose(cv3.bse["x1"], expected, rtol=1e-6)


def test_one_cluster_refused_few_warn(unbalanced) -> None:
    df = unbalanced.assign(one="a", few=unbalanced["region"].str[-1])
    with pytest.raises(DataError, match="at least two clusters"):
        mi.linear("y ~ x1", df, vcov={"CV3": "one"})
    with pytest.warns(mi.FewClustersWarning, match="only 10 clusters"):
        mi.linear("y ~ x1", df, vcov={"CV3": "few"})


def test_models_without_a_jackknife_refuse(unbalanced) -> None:
    with pytest.raises(NotImplementedError, match=r"mi\.linear, mi\.poisson and mi\.negbin"):
        mi.between("y ~ x1", unbalanced, entity="region", vcov={"CV3": "region"})


# -- data handling --------------------------------------------------------------------------


def test_categorical_and_string_clusters_agree(unbalanced) -> None:
    as_string = mi.linear("y ~ x1 + x2 | year", unbalanced, vcov={"CV3": "region"})
    cat = unbalanced.assign(region=unbalanced["region"].astype("category"))
    as_category = mi.linear("y ~ x1 + x2 | year", cat, vcov={"CV3": "region"})
    coded = unbalanced.assign(region=pd.factorize(unbalanced["region"])[0] * 7 + 3)
    as_integer = mi.linear("y ~ x1 + x2 | year", coded, vcov={"CV3": "region"})
    for other in (as_category, as_integer):
        np.testing.assert_allclose(other.vcov.to_numpy(), as_string.vcov.to_numpy(), rtol=1e-12)


def test_missing_rows_dropped_consistently(unbalanced) -> None:
    with_nan = mi.poisson("count ~ x1 + x2 | year", unbalanced, vcov={"CV3": "region"})
    clean = mi.poisson(
        "count ~ x1 + x2 | year", unbalanced.dropna(), vcov={"CV3": "region"}
    )
    np.testing.assert_allclose(with_nan.vcov.to_numpy(), clean.vcov.to_numpy(), rtol=1e-12)


def test_result_pickles_and_recomputes(unbalanced) -> None:
    fit = mi.poisson("count ~ x1 + x2 | year", unbalanced, vcov="hetero")
    back = pickle.loads(pickle.dumps(fit))
    np.testing.assert_allclose(
        back.with_vcov({"CV3": "region"}).vcov.to_numpy(),
        fit.with_vcov({"CV3": "region"}).vcov.to_numpy(),
        rtol=1e-12,
    )


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # noqa: E501
@given(k=EXPONENTS)
def test_rescaling_linear(unbalanced, k) -> None:
    check_rescaling(
        lambda d: mi.linear("y ~ x1 + x2 | year", d, vcov={"CV3": "region"}), unbalanced, "x1", k
    )


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # noqa: E501
@given(k=EXPONENTS)
def test_rescaling_poisson(unbalanced, k) -> None:
    check_rescaling(
        lambda d: mi.poisson("count ~ x1 + x2 | year", d, vcov={"CV3": "region"}),
        unbalanced,
        "x2",
        k,
    )


# -- rerun specifications -----------------------------------------------------------------

SPEC = SIM_SPEC.replace("vcov: {CRV1: unit}", "vcov: {CV3: unit}")


def test_rerun_spec_takes_cv3() -> None:
    import yaml

    from massincidents.spec import SpecError, load_spec, rerun

    df = mi.datasets.simulate_panel(31, 15, seed=11, alpha=0.2, rate=0.01)
    doc = yaml.safe_load(SPEC)
    assert load_spec(doc).vcov == {"CV3": "province"}
    result = rerun(df, doc)
    formula = "y ~ x1 + x2 + treated | province + year"
    for family, function in (("poisson", mi.poisson), ("negbin", mi.negbin)):
        fit = result.fit("full", family)
        direct = function(formula, df, exposure="population", vcov={"CV3": "province"})
        assert fit.vcov_label == "CV3 by province"
        np.testing.assert_allclose(fit.bse, direct.bse, rtol=1e-10)
    with pytest.raises(SpecError, match="vcov"):
        load_spec({**doc, "vcov": {"CV3": "unit+time"}})


# -- pyfixest 0.60 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "formula", ["y ~ x1 + x2", "y ~ x1 + x2 | region", "y ~ x1 + x2 | region + year"]
)
def test_pyfixest_crv3_is_ours_times_g_over_g_minus_one(unbalanced, formula) -> None:
    """pyfixest's CRV3 has no (G-1)/G: with its ssc switched off it is G/(G-1) CV3.

    (Its default multiplies further by its CRV1 factor G/(G-1) (N-1)/(N-K).)
    """
    pf = pytest.importorskip("pyfixest")
    data = unbalanced.dropna()
    ours = mi.linear(formula, data, vcov={"CV3": "region"})
    theirs = pf.feols(
        formula, data, vcov={"CRV3": "region"}, ssc=pf.ssc(k_adj=False, G_adj=False)
    )
    G = data["region"].nunique()
    np.testing.assert_allclose(
        theirs.se().reindex(ours.params.index).to_numpy(),
        ours.bse.to_numpy() * np.sqrt(G / (G - 1)),
        rtol=1e-10,
    )


# -- the least-squares paths for fixed effects not nested in the clusters ---------------------


def test_cluster_holding_a_level_alone(unbalanced) -> None:
    """A year present in one region only: without it that year's effect is gone (re-partialled)."""
    df = unbalanced.dropna().copy()
    df.loc[df["region"] == "r05", "year"] = 2020  # r05 alone in 2020 (and all its rows)
    df.loc[df.index[df["region"] == "r07"][:3], "year"] = 2021  # r07 partly alone in 2021
    formula = "y ~ x1 + x2 | year"
    fit = mi.linear(formula, df, vcov={"CV3": "region"})
    np.testing.assert_allclose(
        fit.vcov.to_numpy(), _brute_force(mi.linear, formula, df, "region"), rtol=1e-8
    )


def test_many_levels_are_re_partialled(unbalanced, monkeypatch) -> None:
    from massincidents.inference import jackknife

    monkeypatch.setattr(jackknife, "MAX_DUMMY_LEVELS", 0)
    formula = "y ~ x1 + x2 | region + year"
    fit = mi.linear(formula, unbalanced, vcov={"CV3": "region"})
    np.testing.assert_allclose(
        fit.vcov.to_numpy(), _brute_force(mi.linear, formula, unbalanced, "region"), rtol=1e-8
    )


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # noqa: E501
@given(k=EXPONENTS)
def test_rescaling_negbin(unbalanced, k) -> None:
    check_rescaling(
        lambda d: mi.negbin("count ~ x1 + x2", d, vcov={"CV3": "region"}),
        unbalanced,
        "x1",
        k,
        skip_stats=(),
    )


@pytest.mark.parametrize("model", ["linear", "poisson"])
def test_a_second_jackknife_on_the_same_clusters_warns_again(model) -> None:
    """The leave-out estimates are cached; the NaN they hold is announced every time.

    Before: ``fit.with_vcov({"CV3J": g})`` after ``vcov={"CV3": g}`` showed the
    NaN standard error without a SingularJackknifeWarning.
    """
    df = mi.datasets.simulate_panel(seed=1)
    df["only_first"] = (df["province"] == df["province"].iloc[0]) * df["x1"]
    outcome = "y_linear" if model == "linear" else "y"
    with pytest.warns(SingularJackknifeWarning):
        fit = getattr(mi, model)(f"{outcome} ~ x1 + only_first | year", df,
                                 vcov={"CV3": "province"})
    for again in ({"CV3J": "province"}, {"CV3": "province"}):
        with pytest.warns(SingularJackknifeWarning, match="only_first"):
            other = fit.with_vcov(again)
        assert np.isnan(other.bse["only_first"])


@pytest.mark.parametrize("vcov", [{"CV3": "mixed"}, {"CRV1": "mixed"}])
def test_cluster_column_of_mixed_types_is_refused_by_name(vcov) -> None:
    """Province codes with some names typed in: a DataError naming the column.

    Before: numpy's TypeError "'<' not supported between instances of 'int' and 'str'".
    """
    df = mi.datasets.simulate_panel(seed=1)
    df["mixed"] = df["province"].astype(object)
    df.loc[df.index[:20], "mixed"] = "Beijing"
    with pytest.raises(DataError, match="mixes value types") as caught:
        mi.linear("y_linear ~ x1 + x2 | year", df, vcov=vcov)
    assert caught.value.problems[0].column == "mixed"
    fit = mi.linear("y_linear ~ x1 + x2 | year", df)
    with pytest.raises(DataError, match="mixes value types"):
        mi.influence(fit, "mixed")
