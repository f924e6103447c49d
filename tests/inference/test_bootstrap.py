"""mi.wild_bootstrap against wildboottest, an independent score bootstrap, and its size.

Least squares: the WCR/WCU bootstrap-t is compared with the PyPI package
``wildboottest`` (test-only dependency) on the same data and the same draws:
with 10-11 clusters and ``reps`` above :math:`2^G` both enumerate all Rademacher
sign vectors in the order of ``itertools.product``, so the bootstrap
distributions are compared draw by draw. The only difference in p-values is
the two draws :math:`v = \\pm 1`, which reproduce :math:`|t|` exactly: in exact
arithmetic they do not exceed it (boottest's and wildboottest's strict ``<``),
wildboottest's rounding counts them or not at random; we count them never.

Likelihood models: the score bootstrap (Kline and Santos 2012, as boottest
after ML) is recomputed independently from a statsmodels Poisson GLM with the
fixed effects as dummies, its scores and Hessian at the restricted estimate
and the recentred cluster outer product of Kline and Santos' own code.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import massincidents as mi
import massincidents.core.design
from massincidents.inference import compute_vcov, parse_vcov
from massincidents.inference.bootstrap import (
    BOOTSTRAP_KEY,
    WEBB,
    LeastSquaresData,
    ScoreData,
    bootstrap_weights,
    poisson_score_data,
)
from massincidents.results import Result


def _wildboottest(X, y, cluster, j, *, impose_null=True, v=None, reps=99999):
    wb = pytest.importorskip("wildboottest.wildboottest")
    R = np.zeros(X.shape[1])
    R[j] = 1.0
    boot = wb.WildboottestCL(X=X, Y=y, cluster=cluster, R=R, B=reps, seed=1, parallel=False)
    boot.get_scores(bootstrap_type="11", impose_null=impose_null)
    boot.get_weights(weights_type="rademacher")
    if v is not None:  # the same draws as ours
        boot.v, boot.B = v.T.copy(), v.shape[0]
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    boot.get_pvalue(pval_type="two-tailed")
    return float(np.ravel(boot.t_stat)[0]), np.asarray(boot.t_boot), float(boot.pvalue)


def _p_exact_ties(t, tstar):
    return float(np.mean(np.abs(tstar) > abs(t) * (1 + 1e-10)))


@pytest.fixture(scope="module")
def cross_section() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    G, n = 10, 300
    g = rng.integers(0, G, n)
    x1 = rng.normal(size=n) + rng.normal(size=G)[g]
    x2 = rng.normal(size=n)
    noise = rng.normal(size=G)[g] + rng.normal(size=n) * (1 + np.abs(x1))
    return pd.DataFrame({"y": 1 + 0.1 * x1 + 0.5 * x2 + noise, "x1": x1, "x2": x2, "prov": g})


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return mi.datasets.simulate_panel(n_provinces=11, n_years=8, seed=4)


def _design(df):
    return np.column_stack([np.ones(len(df)), df["x1"], df["x2"]])


@pytest.mark.parametrize("impose_null", [True, False], ids=["WCR", "WCU"])
def test_pooled_matches_wildboottest_draw_by_draw(cross_section, impose_null) -> None:
    fit = mi.linear("y ~ x1 + x2", cross_section, vcov={"CRV1": "prov"})
    boot = mi.wild_bootstrap(fit, "x1", cluster="prov", reps=9999, impose_null=impose_null)
    assert boot.enumerated and boot.reps == 2**10
    t, tstar, p = _wildboottest(
        _design(cross_section),
        cross_section["y"].to_numpy(),
        cross_section["prov"].to_numpy(),
        1,
        impose_null=impose_null,
        reps=9999,
    )
    assert boot.statistic == pytest.approx(t, rel=1e-12)
    np.testing.assert_allclose(boot.distribution, tstar, rtol=0, atol=1e-10 * np.abs(tstar).max())
    assert boot.pvalue == _p_exact_ties(t, tstar)
    assert abs(boot.pvalue - p) <= 2 / 2**10 + 1e-15  # the +-1 draws only


def test_statistic_is_the_crv1_t(cross_section, panel) -> None:
    fit = mi.linear("y ~ x1 + x2", cross_section, vcov="iid")
    boot = mi.wild_bootstrap(fit, "x2", cluster="prov", reps=99, seed=1, conf_int=False)
    assert boot.statistic == pytest.approx(fit.with_vcov({"CRV1": "prov"}).tvalues["x2"], rel=1e-12)
    fe = mi.linear("y_linear ~ x1 + x2 | province + year", panel)
    boot = mi.wild_bootstrap(fe, "x1", reps=99, seed=1, conf_int=False)
    assert boot.statistic == pytest.approx(fe.tvalues["x1"], rel=1e-12)


@pytest.mark.parametrize("impose_null", [True, False], ids=["WCR", "WCU"])
def test_absorbed_effects_equal_dummies_in_wildboottest(panel, impose_null) -> None:
    """Province effects nested in the clusters, year effects not (projected out)."""
    fit = mi.linear("y_linear ~ x1 + x2 | province + year", panel)
    boot = mi.wild_bootstrap(fit, "x1", cluster="province", reps=9999, impose_null=impose_null)
    dummies = pd.get_dummies(panel[["province", "year"]].astype(str), drop_first=True)
    X = np.column_stack([_design(panel), dummies.astype(float)])
    t, tstar, _ = _wildboottest(
        X,
        panel["y_linear"].to_numpy(),
        panel["province"].to_numpy(),
        1,
        impose_null=impose_null,
        reps=9999,
    )
    # wildboottest counts every dummy in K; we do not count the province
    # effects nested in the clusters: the statistics differ by a constant.
    n, k_all, T = len(panel), X.shape[1], 8
    scale = np.sqrt((n - k_all) / (n - (2 + T - 1)))
    assert t == pytest.approx(boot.statistic * scale, rel=1e-10)
    np.testing.assert_allclose(
        boot.distribution * scale, tstar, rtol=0, atol=1e-10 * np.abs(tstar).max()
    )
    assert boot.pvalue == _p_exact_ties(t, tstar)


def test_webb_weights_match_wildboottest_with_the_same_draws(panel) -> None:
    fit = mi.linear("y_linear ~ x1 + x2", panel, vcov={"CRV1": "province"})
    boot = mi.wild_bootstrap(fit, "x2", reps=499, weights="webb", seed=11, conf_int=False)
    v, enumerated, seed = bootstrap_weights(11, 499, "webb", 11)
    assert not enumerated and seed == 11 and boot.seed == 11
    t, tstar, _ = _wildboottest(
        _design(panel), panel["y_linear"].to_numpy(), panel["province"].to_numpy(), 2, v=v
    )
    assert boot.statistic == pytest.approx(t, rel=1e-12)
    np.testing.assert_allclose(boot.distribution, tstar, rtol=0, atol=1e-10 * np.abs(tstar).max())
    assert boot.pvalue == _p_exact_ties(t, tstar)


def test_confidence_interval_inverts_the_test(cross_section) -> None:
    """At each bound the (wildboottest) p-value of y - r x1 crosses 1 - level."""
    fit = mi.linear("y ~ x1 + x2", cross_section, vcov={"CRV1": "prov"})
    boot = mi.wild_bootstrap(fit, "x1", cluster="prov", reps=9999, level=0.9)
    lo, hi = boot.conf_int
    assert lo < boot.estimate < hi
    se = fit.with_vcov({"CRV1": "prov"}).bse["x1"]
    y, x1 = cross_section["y"].to_numpy(), cross_section["x1"].to_numpy()
    X, g = _design(cross_section), cross_section["prov"].to_numpy()
    for bound, inward in ((lo, 1.0), (hi, -1.0)):
        for r, accepted in (
            (bound + inward * 1e-6 * se, True),
            (bound - inward * 1e-6 * se, False),
        ):
            t, tstar, _ = _wildboottest(X, y - r * x1, g, 1, reps=9999)
            assert (_p_exact_ties(t, tstar) > 0.1) is accepted
            shifted = mi.linear("y ~ x1 + x2", cross_section.assign(y=y - r * x1))
            ours = mi.wild_bootstrap(shifted, "x1", cluster="prov", reps=9999, conf_int=False)
            assert ours.pvalue == _p_exact_ties(t, tstar)


def test_null_value_is_the_same_as_shifting_y(cross_section) -> None:
    r = 0.2
    fit = mi.linear("y ~ x1 + x2", cross_section)
    shifted = mi.linear(
        "y ~ x1 + x2", cross_section.assign(y=cross_section.y - r * cross_section.x1)
    )
    a = mi.wild_bootstrap(fit, "x1", cluster="prov", null=r, reps=999, seed=3, conf_int=False)
    b = mi.wild_bootstrap(shifted, "x1", cluster="prov", reps=999, seed=3, conf_int=False)
    assert a.statistic == pytest.approx(b.statistic, rel=1e-10)
    assert a.pvalue == b.pvalue


def test_deterministic_given_seed_and_reports_the_seed(panel) -> None:
    fit = mi.linear("y_linear ~ x1 + x2 | province + year", panel)
    kw = {"reps": 999, "weights": "webb"}
    a = mi.wild_bootstrap(fit, "x1", seed=123, **kw)
    b = mi.wild_bootstrap(fit, "x1", seed=123, **kw)
    assert (a.pvalue, a.conf_int) == (b.pvalue, b.conf_int)
    np.testing.assert_array_equal(a.distribution, b.distribution)
    c = mi.wild_bootstrap(fit, "x1", seed=None, **kw)
    assert isinstance(c.seed, int)
    d = mi.wild_bootstrap(fit, "x1", seed=c.seed, **kw)
    assert (c.pvalue, c.conf_int) == (d.pvalue, d.conf_int)
    e = mi.wild_bootstrap(fit, "x1", seed=124, **kw)
    assert not np.array_equal(a.distribution, e.distribution)


def test_enumeration_is_itertools_product_order() -> None:
    v, enumerated, seed = bootstrap_weights(4, 16)
    assert enumerated and seed is None
    np.testing.assert_array_equal(v, np.array(list(itertools.product([-1, 1], repeat=4))))
    v, enumerated, _ = bootstrap_weights(4, 15, seed=0)
    assert not enumerated and v.shape == (15, 4)
    webb, _, _ = bootstrap_weights(3, 100_000, "webb", seed=0)
    assert set(np.unique(webb)) == set(WEBB)
    assert abs(webb.mean()) < 0.01 and abs(webb.var() - 1) < 0.01


def test_size_with_twelve_clusters() -> None:
    """H0 true, 12 clusters, cluster-correlated errors and regressor: about 5% rejections."""
    rejections = crv1 = 0
    sims = 600
    for s in range(sims):
        rng = np.random.default_rng(10_000 + s)
        g = np.repeat(np.arange(12), 20)
        x = rng.normal(size=12)[g] + rng.normal(size=g.size)
        u = rng.normal(size=12)[g] + rng.normal(size=g.size)
        df = pd.DataFrame({"y": 1 + u, "x": x, "z": rng.normal(size=g.size), "g": g})
        fit = mi.linear("y ~ x + z", df, vcov={"CRV1": "g"})
        boot = mi.wild_bootstrap(fit, "x", cluster="g", reps=4096, conf_int=False)
        rejections += boot.pvalue < 0.05
        crv1 += fit.pvalues["x"] < 0.05
    assert 0.025 <= rejections / sims <= 0.075  # Binomial(600, .05): +-2.8 sd
    assert crv1 > rejections  # the t(G-1) test over-rejects here


def test_errors(cross_section) -> None:
    fit = mi.linear("y ~ x1 + x2", cross_section)
    with pytest.raises(KeyError, match="x3"):
        mi.wild_bootstrap(fit, "x3", cluster="prov")
    with pytest.raises(ValueError, match="webb"):
        mi.wild_bootstrap(fit, "x1", cluster="prov", weights="mammen")
    with pytest.raises(mi.DataError):
        mi.wild_bootstrap(fit, "x1", cluster="province")
    with pytest.raises(ValueError, match="two clusters"):
        one = mi.linear("y ~ x1", cross_section.assign(one=1))
        mi.wild_bootstrap(one, "x1", cluster="one")
    bare = Result(
        model="Test",
        formula="",
        params=fit.params,
        vcov=fit.vcov,
        vcov_label="",
        df_inference=None,
        nobs=fit.nobs,
    )
    with pytest.raises(NotImplementedError, match="no bootstrap data"):
        mi.wild_bootstrap(bare, "x1")


def test_linear_result_carries_partialled_data(panel) -> None:
    fit = mi.linear("y_linear ~ x1 + x2 | province + year", panel)
    data = fit.extra[BOOTSTRAP_KEY]
    assert isinstance(data, LeastSquaresData)
    assert data.names == ["x1", "x2"] and data.X.shape == (len(panel), 2)
    np.testing.assert_allclose(data.X.mean(axis=0), 0, atol=1e-10)
    beta = np.linalg.lstsq(data.X, data.y, rcond=None)[0]
    np.testing.assert_allclose(beta, fit.params.to_numpy(), rtol=1e-10)
    np.testing.assert_array_equal(data.cluster("province"), panel["province"].to_numpy())


# -- likelihood models: score bootstrap ---------------------------------------------------------
@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(7)
    G, T = 12, 8
    prov, year = np.repeat(np.arange(G), T), np.tile(np.arange(T), G)
    x1 = rng.normal(size=G * T) + 0.5 * rng.normal(size=G)[prov]
    x2 = rng.normal(size=G * T)
    mu = np.exp(1 + 0.1 * x1 - 0.2 * x2 + 0.3 * rng.normal(size=G)[prov] + 0.1 * year / T)
    return {"y": rng.poisson(mu).astype(float), "x1": x1, "x2": x2, "prov": prov, "year": year}


def _poisson_result(data: ScoreData, n: int) -> Result:
    names = data.names
    return Result(
        model="Poisson PML",
        formula="y ~ x1 + x2 | prov + year",
        params=pd.Series(data.params, index=names),
        vcov=pd.DataFrame(np.eye(len(names)), index=names, columns=names),
        vcov_label="",
        df_inference=None,
        nobs=n,
        link="log",
        extra={BOOTSTRAP_KEY: data},
    )


def _dummies(counts):
    D = pd.get_dummies(pd.DataFrame({"p": counts["prov"], "t": counts["year"]}).astype(str))
    return np.column_stack([counts["x1"], counts["x2"], D.drop(columns="t_0").astype(float)])


def test_poisson_score_data_matches_statsmodels(counts) -> None:
    X = np.column_stack([counts["x1"], counts["x2"]])
    fe = [counts["prov"], counts["year"]]
    data = poisson_score_data(counts["y"], X, ["x1", "x2"], fe=fe, cluster={"prov": counts["prov"]})
    ref = sm.GLM(counts["y"], _dummies(counts), family=sm.families.Poisson()).fit(tol=1e-13)
    np.testing.assert_allclose(data.params, ref.params[:2], rtol=1e-8)
    # concentrated bread = slope block of the inverse Hessian with dummies
    np.testing.assert_allclose(data.bread, ref.cov_params()[:2, :2], rtol=1e-6)
    # unrestricted score bootstrap statistic = Wald z with ML CRV1 (G/(G-1))
    V, _ = compute_vcov(
        parse_vcov({"CRV1": "prov"}),
        bread=data.bread,
        scores=data.scores,
        family="ml",
        n_params=2,
        columns={"prov": counts["prov"]},
    )
    boot = mi.wild_bootstrap(
        _poisson_result(data, len(counts["y"])),
        "x1",
        cluster="prov",
        reps=99,
        seed=0,
        impose_null=False,
        conf_int=False,
    )
    assert boot.statistic == pytest.approx(data.params[0] / np.sqrt(V[0, 0]), rel=1e-10)


def test_score_bootstrap_matches_kline_santos_by_hand(counts) -> None:
    r = 0.05
    X = np.column_stack([counts["x1"], counts["x2"]])
    fe = [counts["prov"], counts["year"]]
    data = poisson_score_data(counts["y"], X, ["x1", "x2"], fe=fe, cluster={"prov": counts["prov"]})
    boot = mi.wild_bootstrap(
        _poisson_result(data, len(counts["y"])), "x1", cluster="prov", reps=9999, null=r
    )
    # independent: statsmodels, fixed effects as dummies, restricted fit by offset
    full = _dummies(counts)
    restricted = sm.GLM(
        counts["y"], full[:, 1:], family=sm.families.Poisson(), offset=r * counts["x1"]
    ).fit(tol=1e-13)
    model = sm.GLM(counts["y"], full, family=sm.families.Poisson())
    at = np.concatenate([[r], restricted.params])
    z = model.score_obs(at) @ np.linalg.inv(-model.hessian(at))[:, 0]
    G = 12
    Z = np.bincount(counts["prov"], weights=z, minlength=G)
    share = np.bincount(counts["prov"], minlength=G) / len(z)

    def stat(v):  # Kline and Santos' clustOPG: recentred cluster outer product
        num = v @ Z
        return num / np.sqrt(G / (G - 1) * np.sum((v * Z - share * num) ** 2))

    v, enumerated, _ = bootstrap_weights(G, 9999)
    assert enumerated and boot.reps == 4096
    assert boot.statistic == pytest.approx(stat(np.ones(G)), rel=1e-8)
    tstar = np.array([stat(row) for row in v])
    np.testing.assert_allclose(boot.distribution, tstar, rtol=0, atol=1e-8)
    assert boot.pvalue == _p_exact_ties(boot.statistic, tstar)
    lo, hi = boot.conf_int
    assert lo < data.params[0] < hi
    assert boot.method == "score bootstrap (null imposed)"


def test_score_bootstrap_size_with_twelve_clusters() -> None:
    pvalues = []
    for s in range(400):
        rng = np.random.default_rng(20_000 + s)
        g = np.repeat(np.arange(12), 15)
        x = rng.normal(size=12)[g] + rng.normal(size=g.size)
        y = rng.poisson(np.exp(0.5 + 0.4 * rng.normal(size=12)[g])).astype(float)
        X = np.column_stack([np.ones(g.size), x])
        data = poisson_score_data(y, X, ["Intercept", "x"], cluster={"g": g})
        boot = mi.wild_bootstrap(
            _poisson_result(data, g.size), "x", cluster="g", reps=4096, conf_int=False
        )
        pvalues.append(boot.pvalue)
    assert 0.02 <= np.mean(np.array(pvalues) < 0.05) <= 0.08


def test_poisson_score_data_fits_mi_poisson() -> None:
    """The builder reproduces mi.poisson, and the unrestricted statistic is its CRV1 z."""
    if not hasattr(mi, "poisson"):
        pytest.skip("mi.poisson is not available")
    df = mi.datasets.simulate_panel(n_provinces=12, n_years=10, seed=3)
    fit = mi.poisson("y ~ x1 + x2 | province + year", df, exposure="population")
    design = mi.core.design.build_design("y ~ x1 + x2 | province + year", df)
    data = poisson_score_data(
        design.y,
        design.X,
        design.names,
        fe=design.fe,
        offset=np.log(df["population"].to_numpy()),
        cluster=lambda column: df[column].to_numpy(),
    )
    np.testing.assert_allclose(data.params, fit.params.to_numpy(), rtol=1e-8)
    result = dataclasses.replace(fit, extra={**fit.extra, BOOTSTRAP_KEY: data})
    wald = mi.wild_bootstrap(result, "x1", reps=99, seed=1, impose_null=False, conf_int=False)
    assert wald.statistic == pytest.approx(fit.tvalues["x1"], rel=1e-8)
    score = mi.wild_bootstrap(result, "x1", reps=9999)
    assert score.enumerated and score.conf_int[0] < fit.params["x1"] < score.conf_int[1]
