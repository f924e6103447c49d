r"""mi.romano_wolf and mi.adjust_pvalues: pyfixest, Stata's rwolf, R's p.adjust, a simulation.

pyfixest (``multtest_pyfixest.json``): ``pyfixest.rwolf`` with 10 clusters and
``reps=9999`` enumerates all :math:`2^{10}` Rademacher sign vectors, as we do,
so both are deterministic. pyfixest's ``wildboottest`` computes the CRV1 t
with every fixed-effect dummy counted in :math:`K`; that is our
``ssc=mi.ssc(fixef_k="full")``, with which the statistics and the joint
bootstrap distributions agree draw by draw. Under the package's default
(fixed effects nested in the clusters not counted) each model's statistics
differ by the constant :math:`\sqrt{(N - K_{pf})/(N - K_{mi})}`; the
Romano-Wolf max-statistic mixes models, so that constant, different for each
model, changes the adjusted p-values (tested below, and named in the
docstring of ``romano_wolf``). The step-down then reproduces pyfixest's
p-values up to the two draws :math:`v = \pm 1`, which reproduce :math:`|t|`
exactly and which pyfixest's ``>=`` counts or not by rounding: ours count
them (``plus_one=True``), so ours exceed pyfixest's by 0, 1 or 2 draws in
:math:`B + 1`.

Stata (``multtest_stata_rwolf.json``): the README of wildrwolf prints Stata's
``rwolf`` (pairs bootstrap, 9999 resamples, Stata's random numbers) on data
made by R code that we re-run. The deterministic part (the model p-values)
must agree to the printed 4 decimals; the bootstrap p-values are compared
within Monte Carlo error (stated below) since the draws, and the bootstrap
(pairs there, wild here), differ.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.errors import DataError
from massincidents.inference.multiple_testing import step_down_pvalues

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def _load(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _few_clusters_are_the_point():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        yield


# -- pyfixest rwolf, full enumeration ---------------------------------------------------------
PYFIXEST = _load("multtest_pyfixest.json")
# K in (N-1)/(N-K): pyfixest's wildboottest counts every fixed-effect dummy and the
# intercept; ours leaves out fixed effects nested in the clusters (g), keeps year's 11.
K_PYFIXEST = {"twoway_y1": 23, "twoway_y2": 23, "oneway_y3": 12, "pooled_y4": 3}
K_OURS = {"twoway_y1": 13, "twoway_y2": 13, "oneway_y3": 2, "pooled_y4": 3}


def _pyfixest_fits(ssc=None) -> dict:
    data = pd.read_csv(REFERENCE / "data" / "multtest_panel.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        return {
            k: mi.linear(f, data, vcov={"CRV1": "g"}, ssc=ssc)
            for k, f in PYFIXEST["models"].items()
        }


@pytest.fixture(scope="module")
def pyfixest_fits() -> dict:
    """pyfixest's convention: every fixed-effect dummy counts in K."""
    return _pyfixest_fits(mi.ssc(fixef_k="full"))


@pytest.mark.parametrize("param", ["X1", "X2"])
def test_joint_draws_equal_pyfixest_draw_by_draw(pyfixest_fits, param) -> None:
    ref, names = PYFIXEST["params"][param], list(PYFIXEST["models"])
    rw = mi.romano_wolf(pyfixest_fits, param, reps=9999, seed=1)
    assert rw.enumerated and rw.reps == PYFIXEST["draws"] == 1024
    theirs_t = [ref["t_wildboottest"][m] for m in names]
    np.testing.assert_allclose(rw.table["statistic"], theirs_t, rtol=1e-10)
    np.testing.assert_allclose(rw.table["estimate"], [ref["estimate"][m] for m in names], rtol=1e-9)
    theirs = np.column_stack([ref["boot_t_stats"][m] for m in names])
    np.testing.assert_allclose(rw.distribution, theirs, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("param", ["X1", "X2"])
def test_romano_wolf_reproduces_pyfixest_rwolf(pyfixest_fits, param) -> None:
    ref, names = PYFIXEST["params"][param], list(PYFIXEST["models"])
    rw = mi.romano_wolf(pyfixest_fits, param, reps=9999, plus_one=True)
    theirs = np.array([ref["rw_pvalue"][m] for m in names])
    draws = (rw.table["p_rw"].to_numpy() - theirs) * (rw.reps + 1)
    np.testing.assert_allclose(draws, np.round(draws), atol=1e-8)
    assert set(np.round(draws)) <= {0.0, 1.0, 2.0}, draws  # the two exact ties at most
    # the step-down alone, on pyfixest's own frozen statistics and draws
    frozen = np.column_stack([ref["boot_t_stats"][m] for m in names])
    adjusted, _ = step_down_pvalues(
        [ref["t_wildboottest"][m] for m in names], frozen, plus_one=True
    )
    np.testing.assert_allclose(adjusted, rw.table["p_rw"], rtol=1e-12)


def test_the_default_convention_scales_each_models_statistics() -> None:
    """Our default K leaves out FE nested in g: a factor per model, which moves RW p-values."""
    ref, names = PYFIXEST["params"]["X1"], list(PYFIXEST["models"])
    rw = mi.romano_wolf(_pyfixest_fits(), "X1", reps=9999, plus_one=True)
    n = 120
    scale = np.array([np.sqrt((n - K_PYFIXEST[m]) / (n - K_OURS[m])) for m in names])
    theirs_t = np.array([ref["t_wildboottest"][m] for m in names])
    np.testing.assert_allclose(rw.table["statistic"].to_numpy() * scale, theirs_t, rtol=1e-10)
    theirs = np.column_stack([ref["boot_t_stats"][m] for m in names])
    np.testing.assert_allclose(rw.distribution * scale, theirs, rtol=1e-9, atol=1e-10)
    np.testing.assert_array_equal(  # single tests: a common factor changes nothing
        rw.table["p_boot"],
        mi.romano_wolf(_pyfixest_fits(mi.ssc(fixef_k="full")), "X1", reps=9999, plus_one=True)
        .table["p_boot"],
    )
    p_rw = np.array([ref["rw_pvalue"][m] for m in names])
    assert np.max(np.abs(rw.table["p_rw"].to_numpy() - p_rw)) > 3 / (rw.reps + 1)


# -- published Stata rwolf ---------------------------------------------------------------------
STATA = _load("multtest_stata_rwolf.json")


@pytest.fixture(scope="module")
def readme_data() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "data" / "multtest_rwolf_readme.csv")
    return data.assign(obs=np.arange(len(data)))


def test_readme_data_reproduce_statas_model_pvalues(readme_data) -> None:
    for y in ["y1", "y2", "y3", "y4"]:
        fit = mi.linear(f"{y.upper()} ~ X1 + X2", readme_data, vcov="iid")
        lm = STATA["lm"][y]
        assert fit.params["X1"] == pytest.approx(lm["estimate"], rel=1e-9)
        assert fit.bse["X1"] == pytest.approx(lm["std_error"], rel=1e-9)
        assert fit.pvalues["X1"] == pytest.approx(lm["p_value"], rel=1e-6)
        printed = STATA["stata"]["model_p"][y]  # to 4 decimals
        assert abs(fit.pvalues["X1"] - printed) <= 5e-5


def _mc_tolerance(p: float, reps: int, sds: float) -> float:
    """``sds`` standard deviations of the difference of two independent B-draw p-values."""
    return sds * np.sqrt(2 * max(p * (1 - p), 1 / reps) / reps)


def test_romano_wolf_agrees_with_stata_and_wildrwolf_within_monte_carlo_error(readme_data) -> None:
    """Heteroskedastic wild bootstrap (each observation its own cluster), 9999 draws.

    Tolerance: against wildrwolf (the same wild bootstrap, other draws) 3 Monte
    Carlo standard deviations of the difference of two independent runs
    (0.021 at p = 0.6); against Stata (a pairs bootstrap) 4 (0.028). The floor
    1/(B+1) = 0.0001 of the very significant tests must agree exactly.
    """
    fits = {
        y: mi.linear(f"{y.upper()} ~ X1 + X2", readme_data, vcov={"CRV1": "obs"})
        for y in ["y1", "y2", "y3", "y4"]
    }
    rw = mi.romano_wolf(fits, "X1", reps=9999, seed=1, plus_one=True)
    assert not rw.enumerated and rw.reps == 9999
    table = rw.table.set_index("model")
    for y in fits:
        for column, published, sds in [
            ("p_rw", STATA["stata"]["romano_wolf_p"][y], 4),
            ("p_boot", STATA["stata"]["resample_p"][y], 4),
            ("p_rw", STATA["wildrwolf"]["romano_wolf_p"][y], 3),
        ]:
            ours = table.loc[y, column]
            if published <= 1e-4:
                assert ours == pytest.approx(1 / 10000, abs=1e-12)
            else:
                assert abs(ours - published) <= _mc_tolerance(published, 9999, sds), (y, column)


# -- R p.adjust and statsmodels ---------------------------------------------------------------
PADJUST = _load("multtest_padjust.json")


@pytest.mark.parametrize("case", sorted(PADJUST["cases"]))
@pytest.mark.parametrize("method", ["holm", "bh", "bonferroni"])
def test_adjust_pvalues_equals_r_p_adjust(case, method) -> None:
    entry = PADJUST["cases"][case]
    p = np.atleast_1d(np.array(entry["p"], dtype=float))
    expected = np.atleast_1d(np.array(entry[method], dtype=float))
    ours = mi.adjust_pvalues(p, method).to_numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=0, equal_nan=True)


@pytest.mark.parametrize("case", ["sorted", "unsorted_ties", "seventy"])
@pytest.mark.parametrize(("method", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjust_pvalues_equals_statsmodels(case, method, theirs) -> None:
    from statsmodels.stats.multitest import multipletests

    p = np.array(PADJUST["cases"][case]["p"], dtype=float)
    expected = multipletests(p, method=theirs)[1]
    np.testing.assert_allclose(mi.adjust_pvalues(p, method).to_numpy(), expected, rtol=1e-12)


def test_adjusted_pvalues_of_regression_slopes_equal_r() -> None:
    """The use case: R's p.adjust of lm p-values, ours of our own p-values."""
    data = pd.read_csv(REFERENCE / "data" / "multtest_rwolf_readme.csv")
    ours = []
    for y, entry in PADJUST["regressions"].items():
        fit = mi.linear(f"{y} ~ X1 + X2", data, vcov="iid")
        for term in ["X1", "X2"]:
            assert fit.params[term] == pytest.approx(entry["estimate"][term], rel=1e-9)
            assert fit.pvalues[term] == pytest.approx(entry["p_value"][term], rel=1e-6)
            ours.append(fit.pvalues[term])
    for method in ["holm", "bh", "bonferroni"]:
        expected = PADJUST["cases"]["regressions"][method]
        np.testing.assert_allclose(mi.adjust_pvalues(ours, method), expected, rtol=1e-6)


def test_adjust_pvalues_keeps_the_index_and_refuses_nonsense() -> None:
    p = pd.Series([0.01, 0.2, np.nan], index=["a", "b", "c"], name="p")
    out = mi.adjust_pvalues(p, "holm")
    assert list(out.index) == ["a", "b", "c"] and out.name == "p"
    assert out["a"] == pytest.approx(0.02) and np.isnan(out["c"])
    with pytest.raises(ValueError, match="method must be one of"):
        mi.adjust_pvalues(p, "sidak")
    with pytest.raises(ValueError, match=r"lie in \[0, 1\]"):
        mi.adjust_pvalues([0.5, 1.5])


# -- properties of the step-down --------------------------------------------------------------
@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    df = mi.datasets.simulate_panel(n_provinces=12, n_years=8, seed=11)
    rng = np.random.default_rng(3)
    df["z"] = rng.normal(size=len(df)) + 0.3 * df["x1"]
    df["w"] = rng.normal(size=len(df))
    return df


@pytest.fixture(scope="module")
def fits(panel) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        return {
            "two-way": mi.linear("y_linear ~ x1 + x2 + z | province + year", panel),
            "pooled": mi.linear("y_linear ~ x1 + w", panel, vcov={"CRV1": "province"}),
            "poisson": mi.poisson("y ~ x1 + x2 + w | province + year", panel),
        }


TERMS = {"two-way": ["x1", "x2", "z"], "pooled": ["x1", "w"], "poisson": ["x2", "w"]}


@pytest.mark.parametrize("reps", [9999, 499], ids=["enumerated", "random"])
def test_unadjusted_pvalues_are_wild_bootstrap_pvalues(fits, reps) -> None:
    rw = mi.romano_wolf(fits, TERMS, reps=reps, seed=5)
    assert rw.enumerated == (reps >= 2**12)
    for row in rw.table.itertuples():
        boot = mi.wild_bootstrap(
            fits[row.model], row.term, reps=reps, seed=5, conf_int=False, cluster="province"
        )
        assert row.p_boot == boot.pvalue
        assert row.statistic == pytest.approx(boot.statistic, rel=1e-12)
        # the same draws to rounding, relative to the draws' scale (a draw near 0 differs in
        # its last bits between the two code paths, depending on the BLAS)
        scale = float(np.abs(boot.distribution).max())
        np.testing.assert_allclose(
            rw.distribution[:, row.Index], boot.distribution, rtol=1e-12, atol=1e-12 * scale
        )


def test_statistic_is_the_models_t_under_its_own_convention(panel) -> None:
    default = mi.linear("y_linear ~ x1 + z | province + year", panel)
    stata = mi.linear("y_linear ~ x1 + z | province + year", panel, ssc="stata")
    assert stata.tvalues["x1"] != pytest.approx(default.tvalues["x1"], rel=1e-6)
    rw = mi.romano_wolf({"R": default, "stata": stata}, ["x1", "z"], reps=499, seed=3)
    table = rw.table.set_index(["model", "term"])
    for name, fit in {"R": default, "stata": stata}.items():
        for term in ["x1", "z"]:
            assert table.loc[(name, term), "statistic"] == pytest.approx(
                fit.tvalues[term], rel=1e-10
            )
            # a common factor per model: the single-test p-values do not move
            assert table.loc[(name, term), "p_boot"] == table.loc[("R", term), "p_boot"]


def test_pvalues_are_monotone(fits) -> None:
    rw = mi.romano_wolf(fits, TERMS, reps=999, seed=2)
    t = rw.table
    assert (t["p_rw"] >= t["p_boot"]).all()
    ordered = t.assign(abs_t=t["statistic"].abs()).sort_values("abs_t", ascending=False)
    assert ordered["p_rw"].is_monotonic_increasing
    assert (t["p_holm"] >= t["p_boot"]).all() and (t["p_bh"] <= t["p_holm"]).all()
    one = mi.romano_wolf(fits["two-way"], "x2", reps=999, seed=2)  # one test: no adjustment
    assert one.table["p_rw"].iloc[0] == one.table["p_boot"].iloc[0]


def test_step_down_monotonicity_is_enforced() -> None:
    """Without the running max, the second step's p-value would fall below the first's."""
    draws = np.array([[3.0, 0.0], [2.9, 0.0], [0.0, 2.5], [0.0, 0.0]])
    adjusted, single = step_down_pvalues([2.8, -2.0], draws)
    # step 1: max of both |t*| exceeds 2.8 in draws 1, 2 -> 0.5
    # step 2: |t*_2| exceeds 2.0 in draw 3 only -> 0.25, raised to 0.5
    assert single.tolist() == [0.5, 0.25]
    assert adjusted.tolist() == [0.5, 0.5]
    adjusted, single = step_down_pvalues([2.8, -2.0], draws, plus_one=True)
    assert single.tolist() == [3 / 5, 2 / 5] and adjusted.tolist() == [3 / 5, 3 / 5]


def test_same_seed_same_pvalues_other_seed_other_draws(fits) -> None:
    a = mi.romano_wolf(fits, TERMS, reps=499, seed=42)
    b = mi.romano_wolf(fits, TERMS, reps=499, seed=42)
    c = mi.romano_wolf(fits, TERMS, reps=499, seed=43)
    pd.testing.assert_frame_equal(a.table, b.table)
    np.testing.assert_array_equal(a.distribution, b.distribution)
    assert not np.array_equal(a.distribution, c.distribution)
    assert a.settings == {
        "reps": 499,
        "weights": "rademacher",
        "draws": "random",
        "seed": 42,
        "cluster": "province",
        "n_clusters": 12,
        "plus_one": False,
    }
    fresh = mi.romano_wolf(fits, TERMS, reps=99, weights="webb")
    again = mi.romano_wolf(fits, TERMS, reps=99, weights="webb", seed=fresh.seed)
    assert isinstance(fresh.seed, int)
    pd.testing.assert_frame_equal(fresh.table, again.table)


def test_models_on_some_clusters_use_those_clusters_weights(panel) -> None:
    """A model on 10 of 12 provinces: under enumeration of 2^12 draws its p-value is the
    one of its own 2^10 enumeration (each sign pattern appears four times)."""
    provinces = sorted(panel["province"].unique())
    part = panel[~panel["province"].isin(provinces[:2])]
    full = mi.linear("y_linear ~ x1 + x2 | province + year", panel)
    sub = mi.linear("y_linear ~ x1 + x2 | province + year", part)
    rw = mi.romano_wolf({"full": full, "part": sub}, "x1", reps=9999)
    assert rw.enumerated and rw.reps == 2**12 and rw.n_clusters == 12
    alone = mi.wild_bootstrap(sub, "x1", reps=9999, conf_int=False)
    assert alone.reps == 2**10
    assert rw.table.set_index("model").loc["part", "p_boot"] == pytest.approx(alone.pvalue, abs=0)
    assert any("covers 10 of the 12 clusters" in note for note in rw.notes)


def test_models_on_different_rows_of_the_same_clusters(panel) -> None:
    """An outcome with gaps: fewer rows, every cluster; the draws stay joint by cluster."""
    gappy = panel.assign(y_gaps=panel["y_linear"].where(panel["year"] % 3 != 0))
    full = mi.linear("y_linear ~ x1 | province + year", panel)
    part = mi.linear("y_gaps ~ x1 | province + year", gappy)
    assert part.nobs < full.nobs
    rw = mi.romano_wolf([full, part], "x1", reps=499, seed=9)
    alone = mi.wild_bootstrap(part, "x1", reps=499, seed=9, conf_int=False)
    assert rw.table["p_boot"].iloc[1] == alone.pvalue
    assert not any("covers" in note for note in rw.notes)


def test_cluster_values_of_different_types_are_refused(panel) -> None:
    as_text = panel.assign(province=panel["province"].astype(str))
    a = mi.linear("y_linear ~ x1 | province + year", panel)
    b = mi.linear("y_linear ~ x1 | province + year", as_text)
    with pytest.raises(DataError, match="holds numbers in some models and text in others"):
        mi.romano_wolf([a, b], "x1", reps=99, seed=1)


def test_missing_terms_are_named_with_their_model(fits) -> None:
    with pytest.raises(DataError) as err:
        mi.romano_wolf(fits, {"two-way": ["x1", "gdp"], "pooled": ["x9"]}, reps=99, seed=1)
    text = str(err.value)
    assert "'gdp' is not a coefficient of model two-way" in text
    assert "'x9' is not a coefficient of model pooled" in text
    assert "no term to test in model poisson" in text
    with pytest.raises(DataError, match="'z' is not a coefficient of model pooled"):
        mi.romano_wolf(fits, "z", reps=99, seed=1)


def test_models_clustered_by_another_column_are_refused(panel, fits) -> None:
    by_year = mi.linear("y_linear ~ x1 | province", panel, vcov={"CRV1": "year"})
    with pytest.raises(DataError, match="model year-clustered is clustered by year"):
        mi.romano_wolf(
            {**fits, "year-clustered": by_year}, "x1", cluster="province", reps=99, seed=1
        )
    with pytest.raises(ValueError, match="give cluster="):
        mi.romano_wolf([fits["two-way"], by_year], "x1", reps=99, seed=1)
    iid = mi.linear("y_linear ~ x1 | province", panel, vcov="iid")
    with pytest.raises(ValueError, match="give cluster="):
        mi.romano_wolf(iid, "x1", reps=99, seed=1)
    rw = mi.romano_wolf(iid, "x1", cluster="province", reps=99, seed=1)
    assert any("its statistic here is the bootstrap's" in note for note in rw.notes)
    with pytest.raises(DataError, match="cluster column 'region' is not in its data"):
        mi.romano_wolf(iid, "x1", cluster="region", reps=99, seed=1)


def test_models_without_bootstrap_data_are_refused(panel) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nb = mi.negbin("y ~ x1 + x2 | province + year", panel)
    with pytest.raises(DataError, match=r"model \(1\) \(.*\) carries no bootstrap data"):
        mi.romano_wolf([nb], "x1", cluster="province", reps=99, seed=1)


def test_terms_per_model_shapes(fits) -> None:
    listed = mi.romano_wolf(list(fits.values()), [["x1"], "x1", ["w"]], reps=99, seed=1)
    assert listed.table[["model", "term"]].values.tolist() == [
        ["(1)", "x1"],
        ["(2)", "x1"],
        ["(3)", "w"],
    ]
    with pytest.raises(ValueError, match=r"one entry .* per result: 2 entries for 3 results"):
        mi.romano_wolf(fits, [["x1"], ["x1"]], reps=99, seed=1)
    with pytest.raises(ValueError, match="not among the results"):
        mi.romano_wolf(fits, {"missing": "x1"}, reps=99, seed=1)


# -- simulation: size and power ---------------------------------------------------------------
def _simulated_family(rng, *, G, per, S, rho, beta):
    """S outcomes whose errors (a cluster shock plus noise) correlate rho across outcomes."""
    g = np.repeat(np.arange(G), per)
    n = G * per
    x = rng.normal(size=n) + 0.5 * rng.normal(size=G)[g]
    shared = 0.5 * rng.normal(size=G)[g] + rng.normal(size=n)
    frame = {"g": g, "x": x}
    for s in range(S):
        own = 0.5 * rng.normal(size=G)[g] + rng.normal(size=n)
        frame[f"y{s}"] = beta[s] * x + np.sqrt(rho) * shared + np.sqrt(1 - rho) * own
    df = pd.DataFrame(frame)
    return [mi.linear(f"y{s} ~ x", df, vcov={"CRV1": "g"}) for s in range(S)]


@pytest.mark.slow
def test_family_wise_error_rate_under_the_global_null() -> None:
    """FWER of RW at 5% over 300 simulated families of 5 null tests (30 clusters).

    Monte Carlo bounds: 0.05 +- 3 sqrt(0.05 0.95 / 300) = [0.012, 0.088].
    """
    rng = np.random.default_rng(2026)
    rejected, unadjusted = [], []
    for _ in range(300):
        fits = _simulated_family(rng, G=30, per=8, S=5, rho=0.5, beta=[0.0] * 5)
        rw = mi.romano_wolf(fits, "x", reps=199, seed=rng)
        rejected.append(bool((rw.table["p_rw"] <= 0.05).any()))
        unadjusted.append(bool((rw.table["p_boot"] <= 0.05).any()))
    fwer = float(np.mean(rejected))
    assert 0.012 <= fwer <= 0.088, fwer
    assert np.mean(unadjusted) > 0.12  # five tests unadjusted: about 1 - 0.95^5 (less, correlated)


def test_power_beats_holm_when_tests_are_correlated() -> None:
    """Six strongly correlated tests, all false nulls: RW rejects more than Holm.

    Holm is applied to the same bootstrap p-values; the mean paired difference
    in rejections per family must exceed 3 of its standard errors.
    """
    rng = np.random.default_rng(7)
    gain = []
    for _ in range(60):
        fits = _simulated_family(rng, G=30, per=8, S=6, rho=0.8, beta=[0.15] * 6)
        table = mi.romano_wolf(fits, "x", reps=399, seed=rng).table
        gain.append(int((table["p_rw"] <= 0.05).sum() - (table["p_holm"] <= 0.05).sum()))
    gain_arr = np.array(gain)
    assert gain_arr.mean() > 3 * gain_arr.std(ddof=1) / np.sqrt(gain_arr.size), gain_arr


# -- attacks (adversary): variance read from the result, not its label ------------------------
def test_statistic_follows_a_convention_chosen_by_with_vcov(panel) -> None:
    """with_vcov(..., ssc="stata") changes the model's t; the statistic must follow it.

    On main the statistic was the fit's default-convention t (3.538 against the
    model's 3.530 on the bundled simulation) although the label said ssc=stata.
    """
    fit = mi.linear("y_linear ~ x1 + z | province + year", panel)
    stata = fit.with_vcov({"CRV1": "province"}, ssc="stata")
    assert stata.tvalues["x1"] != pytest.approx(fit.tvalues["x1"], rel=1e-6)
    rw = mi.romano_wolf({"stata": stata, "R": fit}, ["x1", "z"], reps=499, seed=3)
    table = rw.table.set_index(["model", "term"])
    for name, model in {"stata": stata, "R": fit}.items():
        for term in ["x1", "z"]:
            assert table.loc[(name, term), "statistic"] == pytest.approx(
                model.tvalues[term], rel=1e-10
            )
    # with_vcov without ssc= applies the fit's convention again: so does the statistic
    back = stata.with_vcov({"CRV1": "province"})
    again = mi.romano_wolf(back, "x1", reps=499, seed=3)
    assert again.table["statistic"].iloc[0] == pytest.approx(fit.tvalues["x1"], rel=1e-10)


@pytest.mark.parametrize("column", ["a by b", "a&b", "prov(2010)", "g; h", "by"])
@pytest.mark.parametrize("family", ["linear", "poisson"])
def test_cluster_columns_whose_names_look_like_label_syntax(panel, column, family) -> None:
    """A cluster column named 'a by b' or 'g; h' is that column, not 'b' or 'g'.

    On main the cluster was parsed from the text 'CRV1 by a by b', and such
    models were refused as 'clustered by b' (or their column 'not in its data').
    Poisson results do not record their variance choice, so their label is read.
    """
    data = panel.assign(**{column: panel["province"]})
    if family == "linear":
        fit = mi.linear("y_linear ~ x1 + z | year", data, vcov={"CRV1": column})
    else:
        fit = mi.poisson("y ~ x1 + z | year", data, vcov={"CRV1": column})
    for cluster in (None, column):
        rw = mi.romano_wolf(fit, ["x1", "z"], cluster=cluster, reps=499, seed=1)
        assert rw.cluster == column and rw.n_clusters == 12
        assert not rw.notes
    if family == "linear":
        np.testing.assert_allclose(rw.table["statistic"], fit.tvalues[["x1", "z"]], rtol=1e-10)


def test_a_column_ending_in_by_name_is_not_that_name(panel) -> None:
    """The model is clustered by 'x by year', not by 'year': asking for 'year' is refused."""
    data = panel.assign(**{"x by year": panel["province"]})
    fit = mi.linear("y_linear ~ x1 | year", data, vcov={"CRV1": "x by year"})
    with pytest.raises(DataError, match="is clustered by x by year"):
        mi.romano_wolf(fit, "x1", cluster="year", reps=99, seed=1)


def test_a_term_asked_for_twice_is_refused(fits) -> None:
    """Twice the same hypothesis inflates the family: Holm doubled its p-value on main."""
    with pytest.raises(DataError, match=r"terms \['x1'\] are asked for more than once"):
        mi.romano_wolf(fits["two-way"], ["x1", "x2", "x1"], reps=99, seed=1)


def test_a_model_inside_one_cluster_is_refused(panel) -> None:
    """One cluster: the model's clustered statistic is undefined.

    On main its statistic was about 1e14 and its draws decided the step-down:
    the other model's Romano-Wolf p-value became 1.0 (its bootstrap p-value 0.008).
    """
    one = panel[panel["province"] == panel["province"].iloc[0]]
    everywhere = mi.linear("y_linear ~ x1 + x2 | province + year", panel)
    alone = mi.linear("y_linear ~ x1 + x2", one, vcov="hetero")
    with pytest.raises(DataError, match=r"model \(2\): its rows lie in one cluster"):
        mi.romano_wolf([everywhere, alone], "x1", cluster="province", reps=99, seed=1)


def test_coarse_enumeration_is_said_next_to_a_zero_pvalue() -> None:
    """Three clusters: 8 sign vectors; on main p_boot printed 0.0 with no word of its resolution."""
    df = mi.datasets.simulate_panel(n_provinces=3, n_years=30, seed=2)
    fit = mi.linear("y_linear ~ x1 + x2 | year", df, vcov={"CRV1": "province"})
    rw = mi.romano_wolf(fit, ["x1", "x2"], reps=999, seed=1)
    assert rw.enumerated and rw.reps == 8
    assert (rw.table["p_boot"] == 0).any()
    assert any("multiples of 0.25" in note and "below 0.25, not 0" in note for note in rw.notes)
    assert "below 0.25" in rw.summary()
    finer = mi.romano_wolf(fit, ["x1", "x2"], reps=999, seed=1, weights="webb")
    assert not finer.enumerated and not any("sign vectors" in n for n in finer.notes)


def test_a_table_of_pvalues_is_refused_not_flattened() -> None:
    """On main a 2 x 2 array or a DataFrame was flattened into one family, its index lost."""
    with pytest.raises(ValueError, match="one-dimensional"):
        mi.adjust_pvalues([[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(ValueError, match="one-dimensional"):
        mi.adjust_pvalues(pd.DataFrame({"p": [0.1, 0.2]}, index=["a", "b"]))
    assert mi.adjust_pvalues(np.array([0.1, 0.2])).tolist() == [0.2, 0.2]


def test_statistic_of_a_crv0_model_is_its_t(panel) -> None:
    """CRV0 has no small-sample factor; on main the statistic was the CRV1 t, without a note."""
    crv1 = mi.linear("y_linear ~ x1 + z | province + year", panel)
    crv0 = mi.linear("y_linear ~ x1 + z | province + year", panel, vcov={"CRV0": "province"})
    assert crv0.tvalues["x1"] != pytest.approx(crv1.tvalues["x1"], rel=1e-6)
    rw = mi.romano_wolf({"crv0": crv0, "crv1": crv1}, ["x1", "z"], reps=499, seed=3)
    table = rw.table.set_index(["model", "term"])
    for name, model in {"crv0": crv0, "crv1": crv1}.items():
        for term in ["x1", "z"]:
            assert table.loc[(name, term), "statistic"] == pytest.approx(
                model.tvalues[term], rel=1e-10
            )
            # a factor common to the statistic and its draws: single tests do not move
            assert table.loc[(name, term), "p_boot"] == table.loc[("crv1", term), "p_boot"]
    assert not rw.notes
