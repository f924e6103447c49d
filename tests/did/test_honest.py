"""mi.honest_did (Rambachan and Roth 2023) against R HonestDiD, the PyPI port, and its properties.

The reference numbers and the comparisons are in tests/reference/agreement_honestdid.py
(shared with the book's validation table).
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import massincidents as mi
from massincidents.did.honest import honest_did_from_estimates
from massincidents.did.honest_arp import DualPolytope
from massincidents.did.honest_flci import flci, folded_normal_quantile
from massincidents.did.honest_rng import r_normal, r_uniform
from simulated_spec import SIM_SPEC

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def _load_ah():
    name = "massincidents_reference_agreement_honestdid"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REFERENCE / "agreement_honestdid.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


ah = _load_ah()


def _rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = b != 0
    return float(np.max(np.abs(a[ok] - b[ok]) / np.abs(b[ok]), initial=0.0))


@pytest.fixture(scope="module")
def twfe():
    return ah.twfe_inputs()


# -- R's random numbers -----------------------------------------------------------------


def test_r_random_stream():
    # R 4.2.2: set.seed(0); runif(3) and set.seed(0); rnorm(5), printed with digits = 17
    assert np.allclose(r_uniform(3), [0.8966972001362592, 0.26550866314209998, 0.37212389963679016],
                       rtol=0, atol=1e-16)
    expected = [1.26295428488079331, -0.32623336070564940, 1.32979926292250061,
                1.27242932142940468, 0.41464143445640822]
    assert np.allclose(r_normal(5), expected, rtol=1e-14, atol=0)


# -- R HonestDiD README (full precision from its knitr cache) ------------------------------


@pytest.mark.parametrize(
    ("key", "tol"),
    [
        ("rm", ah.TOL_GRID),
        ("rm_average", ah.TOL_GRID),
        ("original_average", ah.TOL_GRID),
        ("sunab", ah.TOL_GRID),
        ("sunab_original", ah.TOL_GRID),
        ("cs", ah.TOL_GRID),
        ("cs_original", ah.TOL_GRID),
        ("cs_att", ah.TOL_CS),
        ("cs_vcov", ah.TOL_CS),
        ("sunab_att", ah.TOL_CS),
        ("sunab_vcov", ah.TOL_CS),
        ("sd", ah.TOL_FLCI),
        ("sd_m0", ah.TOL_FLCI_M0),
        ("cran_rm", ah.TOL_GRID),
        ("cran_cs", ah.TOL_GRID),
    ],
)
def test_readme_full_precision(key, tol):
    """The README's sets (TWFE refitted from its data; CS re-estimated with staggered_did)."""
    ours, ref = ah.readme_comparisons()[key]
    assert _rel(ours, ref) <= tol


def test_readme_m0_difference_is_r_solver_tolerance():
    """At M = 0, R's FLCI half-length is ours; only its centre moves (ECOS at the boundary).

    R minimises the bias subject to sd <= h_min, a set that is a single point up to the
    solver's tolerance, so its weights (the centre) are off by ~1e-5; the half-length
    q * h_min agrees to 1e-6.
    """
    ours, ref = ah.readme_comparisons()["sd_m0"]
    assert _rel(ours[1] - ours[0], ref[1] - ref[0]) < 1e-5
    assert 1e-6 < abs((ours[0] + ours[1]) / 2 - (ref[0] + ref[1]) / 2) < 5e-5


def test_readme_printed_digits():
    """What reproduces the README's three-digit tables, and what does not."""
    got = ah.readme_printed()
    assert ah.printed_digits(*got["rm"]).all()
    assert ah.printed_digits(*got["sd_controls_simulated"]).all()
    # smoothness without the control: all but the M = 0 lower bound (0.0260 vs 0.0259, above)
    assert ah.printed_digits(*got["sd_simulated"]).tolist() == [False] + [True] * 11
    # the exact folded-normal quantile moves the third digit in some rows (R simulates it)
    assert not ah.printed_digits(*got["sd_exact"]).all()


def test_pypi_port():
    """honestdid 0.1.1: the same C-LF grid points; FLCI within its Monte Carlo error."""
    for key, (ours, theirs, half) in ah.pypi_comparisons().items():
        if half is None:
            assert _rel(ours, theirs) <= ah.TOL_GRID, key
        else:
            assert np.max(np.abs(ours - theirs) / half) <= ah.TOL_PYPI_FLCI, key


def test_stata_readme_output():
    """Stata honestdid's README tables, printed to 3 decimals (C-LF: plus 3 grid steps)."""
    for key, (ours, theirs, allowed) in ah.stata_comparisons().items():
        assert np.max(np.abs(ours - theirs)) <= allowed, key


# -- properties --------------------------------------------------------------------------


def test_m0_is_the_linear_extrapolation_interval(twfe):
    """FLCI at M = 0 = GLS interval for l'tau with a linear trend through the reference."""
    b, v = twfe
    k, t = 5, 2
    design = np.zeros((k + t, t + 1))
    design[:k, t] = np.arange(-k, 0)
    design[k:, :t] = np.eye(t)
    design[k:, t] = np.arange(1, t + 1)
    inv = np.linalg.inv(v)
    cov = np.linalg.inv(design.T @ inv @ design)
    gamma = cov @ design.T @ inv @ b
    z = stats.norm.ppf(0.975)
    for l_vec in (np.array([1.0, 0.0]), np.array([0.5, 0.5]), np.array([0.0, 1.0])):
        c = np.r_[l_vec, 0.0]
        est, sd = c @ gamma, np.sqrt(c @ cov @ c)
        ci = flci(b, v, k, l_vec, 0.0)
        assert ci.lb == pytest.approx(est - z * sd, rel=1e-10)
        assert ci.ub == pytest.approx(est + z * sd, rel=1e-10)


def test_sets_widen_monotonically(twfe):
    b, v = twfe
    rm = honest_did_from_estimates(b, v, num_pre=5, values=[0, 0.25, 0.5, 1, 2, 3],
                                   breakdown=False).robust
    sd = honest_did_from_estimates(b, v, num_pre=5, method="smoothness",
                                   values=[0, 0.005, 0.01, 0.02, 0.05], breakdown=False).robust
    for frame in (rm, sd):
        assert (np.diff(frame["lb"]) <= 1e-12).all()
        assert (np.diff(frame["ub"]) >= -1e-12).all()
        width = frame["ub"] - frame["lb"]
        assert width.iloc[-1] > width.iloc[0]


def test_breakdown_values(twfe):
    b, v = twfe
    rm = honest_did_from_estimates(b, v, num_pre=5, values=[1.5, 2])
    # README: "the breakdown value for a significant effect is Mbar = 2"
    assert 1.5 < rm.breakdown <= 2
    just_below = honest_did_from_estimates(b, v, num_pre=5, values=[rm.breakdown * 0.995],
                                           grid_points=4000, breakdown=False).robust
    assert just_below["lb"].iloc[0] > 0
    sd = honest_did_from_estimates(b, v, num_pre=5, method="smoothness", values=[0.02])
    # README: "the breakdown value for a significant effect is M ~ 0.03"
    assert 0.02 < sd.breakdown < 0.03
    at = flci(b, v, 5, np.array([1.0, 0.0]), sd.breakdown)
    below = flci(b, v, 5, np.array([1.0, 0.0]), sd.breakdown * 0.999)
    assert at.lb <= 0 < below.lb


def test_breakdown_zero_when_not_significant():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 6))
    v = a @ a.T / 6 + np.eye(6)
    res = honest_did_from_estimates(np.zeros(6), v, num_pre=3, values=[1.0])
    assert res.breakdown == 0.0


def test_folded_normal_quantile():
    assert folded_normal_quantile(0.95, 0.0) == pytest.approx(stats.norm.ppf(0.975), rel=1e-12)
    c = folded_normal_quantile(0.95, 1.3)
    assert stats.norm.cdf(c - 1.3) - stats.norm.cdf(-c - 1.3) == pytest.approx(0.95, abs=1e-13)


def test_dual_vertices_equal_the_linear_program():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 2))
    sd = np.abs(rng.normal(size=6)) + 0.5
    w = np.column_stack([sd, x])
    exact = DualPolytope(w)
    assert exact.vertices is not None
    lp = DualPolytope.__new__(DualPolytope)
    lp.w, lp.vertices = w, None
    for _ in range(5):
        c = rng.normal(size=6)
        assert exact.maximize(c)[0] == pytest.approx(lp.maximize(c)[0], rel=1e-9, abs=1e-12)


# -- inputs ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def panel():
    return mi.datasets.simulate_panel(seed=1, policy_effect=0.5)


def test_event_study_input_and_window(panel):
    es = mi.event_study(panel, outcome="y_linear", unit="province", time="year", cohort="cohort")
    res = mi.honest_did(es, mbar=[1], window=(-3, 2), breakdown=False)
    assert res.pre_event_times == [-3, -2] and res.post_event_times == [0, 1, 2]
    table = es.event_table().set_index("event_time")
    z = stats.norm.ppf(0.975)
    lo = table.loc[0, "estimate"] - z * table.loc[0, "std_error"]
    assert res.original["lb"].iloc[0] == pytest.approx(lo, rel=1e-12)
    avg = mi.honest_did(es, mbar=[1], window=(-3, 2), target="average", breakdown=False)
    assert np.allclose(avg.l_vec, 1 / 3)


def test_one_post_period_uses_the_no_nuisance_test(panel):
    es = mi.event_study(panel, outcome="y_linear", unit="province", time="year", cohort="cohort")
    res = mi.honest_did(es, mbar=[0.5, 1, 2], window=(-4, 0), breakdown=False).robust
    assert (np.diff(res["lb"]) <= 0).all() and (np.diff(res["ub"]) >= 0).all()


def test_sun_abraham_input(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        sa = mi.sun_abraham(panel, outcome="y_linear", unit="province", time="year",
                            cohort="cohort")
    res = mi.honest_did(sa, method="smoothness", m=[0, 0.1], window=(-3, 2))
    assert list(res.robust["M"]) == [0.0, 0.1]


def test_no_pre_period_is_refused(panel):
    es = mi.event_study(panel, outcome="y_linear", unit="province", time="year", cohort="cohort")
    with pytest.raises(mi.DataError, match="no pre-period"):
        mi.honest_did(es, window=(0, 3))
    with pytest.raises(mi.DataError, match="pre-period"):
        honest_did_from_estimates(np.zeros(2), np.eye(2), num_pre=0)


def test_varying_base_period_is_refused():
    agg = mi.staggered_did(
        ah.ehec().fillna({"yexp2": 0}), outcome="dins", unit="stfips", time="year",
        cohort="yexp2", bootstrap=False,
    ).aggregate("dynamic")
    with pytest.raises(mi.DataError, match="universal base period"):
        mi.honest_did(agg)
    with pytest.raises(mi.DataError, match="dynamic"):
        mi.honest_did(ah.cs_aggregation().__class__(**{**ah.cs_aggregation().__dict__,
                                                        "kind": "group"}))


def test_binned_and_gapped_event_times_are_refused(panel):
    es = mi.event_study(panel, outcome="y_linear", unit="province", time="year", cohort="cohort",
                        leads=3, lags=3)
    with pytest.raises(mi.DataError, match="bins"):
        mi.honest_did(es)
    v = np.eye(4)
    with pytest.raises(mi.DataError, match="consecutive"):
        from massincidents.did.honest import event_study_estimates

        fake = type("R", (), {})()
        fake.params = pd.Series(np.zeros(4), index=[f"rel_time::{e}" for e in (-4, -2, 0, 1)])
        fake.vcov = pd.DataFrame(v, index=fake.params.index, columns=fake.params.index)
        fake.extra = {"event": {"reference": -1, "binned": []}}
        event_study_estimates(fake)


def test_option_errors(panel):
    es = mi.event_study(panel, outcome="y_linear", unit="province", time="year", cohort="cohort")
    with pytest.raises(ValueError, match="mbar= goes with"):
        mi.honest_did(es, method="smoothness", mbar=[1])
    with pytest.raises(ValueError, match="values of M"):
        mi.honest_did(es, method="smoothness", window=(-3, 2))
    with pytest.raises(mi.DataError, match="not a post-period"):
        mi.honest_did(es, target=99, window=(-3, 2))
    with pytest.raises(TypeError):
        mi.honest_did(object())


def test_grid_end_warns():
    """CRAN's zero-centred grid cuts the Sun-Abraham set at Mbar = 2 (the README's does not)."""
    from massincidents.did.honest import GridEndWarning

    s = ah.load(ah.README)["sunab"]
    beta, sigma = np.array(s["beta"]), np.array(s["sigma"])
    with pytest.warns(GridEndWarning, match="Mbar=2"):
        cut = honest_did_from_estimates(beta, sigma, num_pre=10, values=[2], grid_points=100,
                                        grid="zero", breakdown=False)
    assert cut.notes
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridEndWarning)
        honest_did_from_estimates(beta, sigma, num_pre=10, values=[2], grid_points=100,
                                  breakdown=False)


def test_table_repr_and_plot(twfe):
    import matplotlib

    matplotlib.use("Agg")
    b, v = twfe
    res = honest_did_from_estimates(b, v, num_pre=5, values=[0.5, 1], breakdown=False)
    table = res.table()
    assert list(table["method"]) == ["Original", "C-LF", "C-LF"]
    assert "breakdown" in repr(res)
    ax = res.plot()
    assert len(ax.containers) == 2


# -- rerun: timing.honest ------------------------------------------------------------------

RERUN_SPEC = SIM_SPEC.replace("models: [poisson, negbin]", "models: [poisson]") + (
    "timing: {cohort: cohort, outcome: y_linear, honest: HONEST}\n"
)


def test_rerun_runs_honest_did_on_the_did_measure(tmp_path):
    from massincidents.spec import rerun

    df = mi.datasets.simulate_panel(31, 12, seed=11, alpha=0.2, rate=0.01)
    spec = RERUN_SPEC.replace(
        "HONEST", "{method: relative_magnitudes, mbar: [0.5, 1, 2], window: [-4, 4]}"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        result = rerun(df, spec, tmp_path / "out", report=False)
    honest = result.did["honest"]
    assert list(honest.robust["Mbar"]) == [0.5, 1.0, 2.0]
    direct = mi.honest_did(
        mi.staggered_did(df.assign(cohort=df["cohort"].fillna(0)), outcome="y_linear",
                         unit="province", time="year", cohort="cohort",
                         base_period="universal", bootstrap=False).aggregate("dynamic"),
        mbar=[0.5, 1, 2],
        window=(-4, 4),
    )
    pd.testing.assert_frame_equal(honest.robust, direct.robust)
    assert honest.breakdown == direct.breakdown
    table = pd.read_csv(tmp_path / "out" / "tables" / "did_honest.csv")
    assert list(table["method"]) == ["Original", "C-LF", "C-LF", "C-LF"]
    assert any("HonestDiD (relative_magnitudes): breakdown" in n for n in result.notes)


def test_rerun_honest_spec_is_checked():
    from massincidents.spec import load_spec
    from massincidents.spec.errors import SpecError

    for bad in ("{method: smoothness, mbar: [1]}", "{method: smoothness}",
                "{method: relative_magnitudes, m: [1]}", "{method: sideways}"):
        with pytest.raises(SpecError):
            load_spec(RERUN_SPEC.replace("HONEST", bad))
    spec = load_spec(RERUN_SPEC.replace("HONEST", "{method: smoothness, m: [0, 0.1]}"))
    assert spec.timing["honest"] == {"method": "smoothness", "m": [0, 0.1]}


def test_degenerate_variance_is_refused():
    with pytest.raises(mi.DataError, match="zero variance"):
        honest_did_from_estimates(np.ones(4), np.diag([1.0, 0.0, 1.0, 1.0]), num_pre=2)
    with pytest.raises(mi.DataError, match="not finite"):
        honest_did_from_estimates(np.array([1.0, np.nan, 1.0]), np.eye(3), num_pre=1)
    with pytest.raises(mi.DataError, match="semi-definite"):
        honest_did_from_estimates(np.ones(2), np.array([[1.0, 2.0], [2.0, 1.0]]), num_pre=1)
