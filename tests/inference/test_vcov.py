"""The variance menu for likelihood models, against statsmodels' own scores and Hessian.

Likelihood models hand :func:`compute_vcov` the inverse of minus the Hessian
(the bread) and the per-observation scores. Their conventions follow Stata's
``poisson``/``nbreg``: ``vce(robust)`` is HC0 times :math:`n/(n-1)`,
``vce(cluster)`` is CRV0 times :math:`G/(G-1)` (no :math:`(N-1)/(N-K)`), and the
reference distribution is the normal. The independent computation here takes
scores and Hessian from a statsmodels Poisson GLM and compares with its
``HC0`` and (uncorrected) ``cluster`` covariances.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import massincidents as mi
from massincidents.inference import compute_vcov, parse_vcov
from massincidents.inference.vcov import cluster_factor

N, G = 600, 15


@pytest.fixture(scope="module")
def poisson_fit():
    rng = np.random.default_rng(1)
    g = rng.integers(0, G, N)
    t = np.tile(np.arange(20), N // 20)
    x = rng.normal(size=(N, 2)) + rng.normal(size=(G, 1))[g]
    X = sm.add_constant(x)
    mu = np.exp(0.2 + 0.3 * X[:, 1] - 0.2 * X[:, 2] + 0.5 * rng.normal(size=G)[g])
    y = rng.poisson(mu)
    model = sm.GLM(y, X, family=sm.families.Poisson())
    fit = model.fit(tol=1e-12)
    scores = model.score_obs(fit.params)
    bread = np.linalg.inv(-model.hessian(fit.params))
    return {"model": model, "fit": fit, "scores": scores, "bread": bread, "g": g, "t": t}


def _ours(poisson_fit, choice):
    spec = parse_vcov(choice)
    return compute_vcov(
        spec,
        bread=poisson_fit["bread"],
        scores=poisson_fit["scores"],
        family="ml",
        n_params=3,
        columns={"g": poisson_fit["g"], "year": poisson_fit["t"]},
    )


def test_ml_iid_is_inverse_information(poisson_fit) -> None:
    V, df = _ours(poisson_fit, "iid")
    np.testing.assert_allclose(V, poisson_fit["fit"].cov_params(), rtol=1e-8)
    assert df is None


def test_ml_hetero_is_hc0_times_n_over_n_minus_1(poisson_fit) -> None:
    V, df = _ours(poisson_fit, "hetero")
    ref = poisson_fit["model"].fit(tol=1e-12, cov_type="HC0").cov_params()
    np.testing.assert_allclose(V, N / (N - 1) * ref, rtol=1e-7)
    assert df is None


def test_ml_crv1_is_crv0_times_g_over_g_minus_1(poisson_fit) -> None:
    V, df = _ours(poisson_fit, {"CRV1": "g"})
    kwds = {"groups": poisson_fit["g"], "use_correction": False}
    crv0 = poisson_fit["model"].fit(tol=1e-12, cov_type="cluster", cov_kwds=kwds).cov_params()
    np.testing.assert_allclose(V, G / (G - 1) * crv0, rtol=1e-7)
    assert df is None
    V0, _ = _ours(poisson_fit, {"CRV0": "g"})
    np.testing.assert_allclose(V0, crv0, rtol=1e-7)


def test_ml_crv1_by_hand(poisson_fit) -> None:
    s, B, g = poisson_fit["scores"], poisson_fit["bread"], poisson_fit["g"]
    S = np.zeros((G, 3))
    np.add.at(S, g, s)
    V, _ = _ours(poisson_fit, {"CRV1": "g"})
    np.testing.assert_allclose(V, G / (G - 1) * B @ S.T @ S @ B, rtol=1e-12)


def test_ml_driscoll_kraay_has_no_factor(poisson_fit) -> None:
    s, B, t = poisson_fit["scores"], poisson_fit["bread"], poisson_fit["t"]
    h = pd.DataFrame(s).groupby(t).sum().to_numpy()
    meat = h.T @ h
    for lag in (1, 2):
        gamma = h[lag:].T @ h[:-lag]
        meat += (1 - lag / 3) * (gamma + gamma.T)
    V, df = _ours(poisson_fit, {"DK": 2})
    np.testing.assert_allclose(V, B @ meat @ B, rtol=1e-12)
    assert df is None


def test_cluster_factor_conventions() -> None:
    assert cluster_factor("CRV0", "ls", n=100, n_params=3, groups=10) == 1.0
    assert cluster_factor("CRV1", "ml", n=100, n_params=3, groups=10) == pytest.approx(10 / 9)
    ls = cluster_factor("CRV1", "ls", n=100, n_params=3, groups=10, fe_dof=5)
    assert ls == pytest.approx(10 / 9 * 99 / 92)
    # a fixed effect nested in the clusters does not count in K
    fe = np.repeat(np.arange(10), 10)
    nested = cluster_factor(
        "CRV1", "ls", n=100, n_params=3, groups=10, fe=[fe], fe_dof=10, cluster_codes=[fe]
    )
    assert nested == pytest.approx(10 / 9 * 99 / 97)


def test_cluster_df_option_is_validated() -> None:
    with pytest.raises(ValueError, match="'each' or 'min'"):
        parse_vcov({"CRV1": "a+b", "cluster_df": "max"})
    with pytest.raises(ValueError, match="clustered"):
        parse_vcov({"DK": 2, "cluster_df": "min"})


def test_two_way_min_matches_pyfixest() -> None:
    pf = pytest.importorskip("pyfixest")
    df = mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=3)
    choice = {"CRV1": "province+year"}
    ours = mi.linear("y_linear ~ x1 + x2", df, vcov={**choice, "cluster_df": "min"})
    ref = pf.feols("y_linear ~ x1 + x2", data=df, vcov=choice)
    np.testing.assert_allclose(ours.bse.to_numpy(), ref.se().to_numpy(), rtol=1e-8)


# -- one cluster is refused, few clusters are named --------------------------------------


def _one_year_panel():
    df = mi.datasets.simulate_panel(n_provinces=31, n_years=6, seed=5)
    return df[df["year"] == df["year"].min()].copy()


def test_poisson_with_one_cluster_is_refused() -> None:
    df = mi.datasets.simulate_panel(n_provinces=31, n_years=6, seed=5).assign(one="all")
    with pytest.raises(mi.DataError, match=r"'one'.*1 level"):
        mi.poisson("y ~ x1 + x2", df, vcov={"CRV1": "one"})


def test_ml_two_way_with_one_level_in_a_dimension_is_refused(poisson_fit) -> None:
    spec = parse_vcov({"CRV1": "g+year"})
    with pytest.raises(mi.DataError, match=r"'year'.*1 level"):
        compute_vcov(
            spec,
            bread=poisson_fit["bread"],
            scores=poisson_fit["scores"],
            family="ml",
            n_params=3,
            columns={"g": poisson_fit["g"], "year": np.zeros(N)},
        )


def test_driscoll_kraay_with_one_period_is_refused(poisson_fit) -> None:
    with pytest.raises(mi.DataError, match=r"'year'.*1 level") as err:
        compute_vcov(
            parse_vcov({"DK": 2}),
            bread=poisson_fit["bread"],
            scores=poisson_fit["scores"],
            family="ml",
            n_params=3,
            columns={"year": np.full(N, 2011)},
        )
    assert err.value.problems[0].column == "year"


def test_few_clusters_warn_and_point_to_the_wild_bootstrap(poisson_fit) -> None:
    assert issubclass(mi.FewClustersWarning, UserWarning)
    with pytest.warns(mi.FewClustersWarning, match=r"only 15 clusters of 'g'.*mi\.wild_bootstrap"):
        _ours(poisson_fit, {"CRV1": "g"})
    with pytest.warns(mi.FewClustersWarning, match="only 10 periods of 'year'") as record:
        compute_vcov(
            parse_vcov({"DK": 1}),
            bread=poisson_fit["bread"],
            scores=poisson_fit["scores"],
            family="ml",
            n_params=3,
            columns={"year": poisson_fit["t"] % 10},
        )
    assert len(record) == 1


def test_twenty_clusters_do_not_warn() -> None:
    import warnings

    df = mi.datasets.simulate_panel(n_provinces=20, n_years=5, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", mi.FewClustersWarning)
        mi.linear("y_linear ~ x1 | province", df, vcov={"CRV1": "province"})
    with pytest.warns(mi.FewClustersWarning, match="only 5 clusters of 'year'"):
        mi.linear("y_linear ~ x1 | province", df, vcov={"CRV1": "province+year"})


def test_few_clusters_warning_points_at_the_callers_line() -> None:
    df = mi.datasets.simulate_panel(n_provinces=8, n_years=5, seed=1)
    with pytest.warns(mi.FewClustersWarning) as record:
        mi.linear("y_linear ~ x1 | province", df)
    assert record[0].filename == __file__


def test_cluster_scores_that_cancel_are_refused_not_printed_as_se_1e_17() -> None:
    # two provinces and year effects: each province's score is minus the other's, and
    # both are zero; main printed SE 4e-17 and t 1e16 with no word
    import warnings

    import massincidents as mi

    data = mi.datasets.simulate_panel(n_provinces=2, n_years=30, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        with pytest.raises(mi.DataError, match="cancel exactly") as refused:
            mi.linear("y_linear ~ x1 + x2 | year", data, vcov={"CRV1": "province"})
        assert "'province'" in str(refused.value)
        # the same two clusters without crossing effects have scores that do not cancel
        fit = mi.linear("y_linear ~ x1 + x2", data, vcov={"CRV1": "province"})
    assert (fit.bse > 1e-3).all()
