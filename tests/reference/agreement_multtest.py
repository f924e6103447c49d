"""Agreement rows for multiple testing (issue 15): pyfixest rwolf, Stata rwolf, R p.adjust.

Registered in ``REFERENCE_SETS`` of ``agreement.py`` (which loads this file by path);
the same comparisons are asserted in ``tests/inference/test_multiple_testing.py``.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import massincidents as mi

HERE = Path(__file__).resolve().parent
TEST = "tests/inference/test_multiple_testing.py"
_AGREEMENT = "massincidents_reference_agreement"


def _agreement():
    """The agreement module (Row, _Collector, _load), however it was loaded."""
    if _AGREEMENT not in sys.modules:
        spec = importlib.util.spec_from_file_location(_AGREEMENT, HERE / "agreement.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[_AGREEMENT] = module
        spec.loader.exec_module(module)
    return sys.modules[_AGREEMENT]


# -- pyfixest rwolf ------------------------------------------------------------------------
def multtest_pyfixest() -> list:
    """Fits with ``ssc=mi.ssc(fixef_k="full")``: pyfixest's wildboottest counts every FE dummy."""
    ag = _agreement()
    ref = ag._load("multtest_pyfixest.json")
    col = ag._Collector(
        "multtest_pyfixest.json", f"pyfixest {ref['packages']['pyfixest']} rwolf", TEST
    )
    data = pd.read_csv(HERE / "data" / "multtest_panel.csv")
    names = list(ref["models"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        fits = {
            k: mi.linear(f, data, vcov={"CRV1": "g"}, ssc=mi.ssc(fixef_k="full"))
            for k, f in ref["models"].items()
        }
    where = "10 clusters, 4 models (data/multtest_panel.csv)"
    label = "Romano-Wolf (wild cluster bootstrap, enumerated)"
    for param, entry in ref["params"].items():
        rw = mi.romano_wolf(fits, param, reps=9999, plus_one=True)
        col.add(
            "OLS (the tests' models)",
            where,
            "coefficients",
            rw.table["estimate"].to_numpy(),
            [entry["estimate"][m] for m in names],
            1e-6,
        )
        col.add(
            label,
            where,
            "statistics",
            rw.table["statistic"].to_numpy(),
            [entry["t_wildboottest"][m] for m in names],
            1e-9,
        )
        col.add(
            label,
            where,
            "joint bootstrap t-statistics, draw by draw",
            rw.distribution,
            np.column_stack([entry["boot_t_stats"][m] for m in names]),
            1e-9,
        )
        theirs = np.array([entry["rw_pvalue"][m] for m in names])
        ours = rw.table["p_rw"].to_numpy()
        draws = np.round(np.abs(ours - theirs) * (rw.reps + 1), 6)  # whole draws
        col.add(
            label,
            where,
            "Romano-Wolf p-values",
            ours,
            theirs,
            1e-3,
            note=(
                "criterion: ours (ties counted) exceed pyfixest's by at most the 2 exact-tie "
                "draws (v = +-1) of B + 1 = 1025, which pyfixest counts or not by rounding; "
                "share = largest difference in draws / 2"
            ),
            share=float(draws.max() / 2),
        )
    return col.rows()


# -- Stata rwolf (published in wildrwolf's README) ---------------------------------------------
def _mc_tolerance(p: float, reps: int, sds: float) -> float:
    return sds * float(np.sqrt(2 * max(p * (1 - p), 1 / reps) / reps))


def multtest_stata_rwolf() -> list:
    ag = _agreement()
    ref = ag._load("multtest_stata_rwolf.json")
    stata = f"Stata {ref['stata']['stata_version']} rwolf (published)"
    col = ag._Collector("multtest_stata_rwolf.json", stata, TEST)
    data = pd.read_csv(HERE / "data" / "multtest_rwolf_readme.csv")
    data["obs"] = np.arange(len(data))
    outcomes = ["y1", "y2", "y3", "y4"]
    where = "wildrwolf README data (N = 1000, 4 outcomes)"
    iid = {y: mi.linear(f"{y.upper()} ~ X1 + X2", data, vcov="iid") for y in outcomes}
    r_lm = f"R {ref['R'].split()[2]} lm"
    col.add(
        "OLS (the tests' models)",
        where,
        "coefficients",
        [iid[y].params["X1"] for y in outcomes],
        [ref["lm"][y]["estimate"] for y in outcomes],
        1e-6,
        reference=r_lm,
    )
    ours_p = np.array([iid[y].pvalues["X1"] for y in outcomes])
    col.add(
        "OLS (the tests' models)",
        where,
        "p-values of X1",
        ours_p,
        [ref["lm"][y]["p_value"] for y in outcomes],
        1e-6,
        reference=r_lm,
    )
    stata_p = np.array([ref["stata"]["model_p"][y] for y in outcomes])
    printed = stata_p > 0  # 0.0000 printed: compared by the criterion only
    col.add(
        "OLS (the tests' models)",
        where,
        "p-values of X1 (printed to 4 decimals)",
        ours_p[printed],
        stata_p[printed],
        5e-5,
        note="criterion: |ours - printed| <= 5e-5 (4 decimals), all four p-values",
        share=float(np.max(np.abs(ours_p - stata_p)) / 5e-5),
    )
    fits = {y: mi.linear(f"{y.upper()} ~ X1 + X2", data, vcov={"CRV1": "obs"}) for y in outcomes}
    table = mi.romano_wolf(fits, "X1", reps=9999, seed=1, plus_one=True).table.set_index("model")
    for column, producer, key, sds in [
        ("p_rw", "stata", "romano_wolf_p", 4),
        ("p_boot", "stata", "resample_p", 4),
        ("p_rw", "wildrwolf", "romano_wolf_p", 3),
    ]:
        published = np.array([ref[producer][key][y] for y in outcomes])
        ours = table.loc[outcomes, column].to_numpy()
        tol = np.array([_mc_tolerance(p, 9999, sds) for p in published])
        col.add(
            "Romano-Wolf (heteroskedastic wild bootstrap, 9999 draws)",
            where,
            "Romano-Wolf p-values" if column == "p_rw" else "unadjusted bootstrap p-values",
            ours,
            published,
            1e-3,
            reference=stata if producer == "stata" else ref["wildrwolf"]["version"],
            note=(
                f"criterion: Monte Carlo error, |ours - published| <= {sds} sd of the "
                f"difference of two independent 9999-draw p-values (largest {tol.max():.3f})"
            ),
            share=float(np.max(np.abs(ours - published) / tol)),
        )
    return col.rows()


# -- R p.adjust ----------------------------------------------------------------------------------
def multtest_padjust() -> list:
    ag = _agreement()
    ref = ag._load("multtest_padjust.json")
    r_version = f"R {ref['R'].split()[2]}"
    col = ag._Collector("multtest_padjust.json", f"{r_version} p.adjust", TEST)
    data = pd.read_csv(HERE / "data" / "multtest_rwolf_readme.csv")
    where = "wildrwolf README data, 8 slopes of 4 regressions"
    ours_p = []
    for y, entry in ref["regressions"].items():
        fit = mi.linear(f"{y} ~ X1 + X2", data, vcov="iid")
        terms = list(entry["estimate"])
        reference = f"{r_version} lm"
        col.add("OLS (the tests' models)", where, "coefficients", fit.params[terms],
                [entry["estimate"][t] for t in terms], 1e-6, reference=reference)
        col.add("OLS (the tests' models)", where, "p-values", fit.pvalues[terms],
                [entry["p_value"][t] for t in terms], 1e-6, reference=reference)
        ours_p += list(fit.pvalues[terms])
    labels = {"holm": "Holm", "bh": "Benjamini-Hochberg", "bonferroni": "Bonferroni"}
    for case, entry in ref["cases"].items():
        p = np.atleast_1d(np.array(entry["p"], dtype=float))
        for method, label in labels.items():
            expected = np.atleast_1d(np.array(entry[method], dtype=float))
            if case == "regressions":  # our own p-values of the 8 slopes, adjusted
                col.add(f"adjust_pvalues ({label})", where, "adjusted p-values of the slopes",
                        mi.adjust_pvalues(ours_p, method).to_numpy(), expected, 1e-6)
                continue
            col.add(
                f"adjust_pvalues ({label})",
                "five vectors of p-values (ties, missing, 70 draws)",
                "adjusted p-values",
                mi.adjust_pvalues(p, method).to_numpy(),
                expected,
                1e-12,
            )
    return col.rows()
