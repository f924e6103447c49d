"""mi.arellano_bond(..., ssc="stata") against Stata output published by others.

The numbers, with their sources (the Stata manual's ``xtabond`` examples, Roodman
2009, and the frozen ``xtabond2`` output in the repository of the PyPI package
pydynpd), are in ``stata_xtabond.json``; ``stata_xtabond.md`` describes them. Stata
prints seven significant digits or fewer, so each number is tested to half a unit
of its last printed digit. The data are Stata's ``abdata``, rebuilt exactly from
the EmplUK file the plm tests use (Stata stores the logs as 4-byte floats).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import massincidents as mi

HERE = Path(__file__).parent
REF = json.loads((HERE / "stata_xtabond.json").read_text(encoding="utf-8"))["models"]


def abdata() -> pd.DataFrame:
    """Stata's abdata (id, year, n, w, k, ys, yr1980..yr1984) from emplUK.csv."""
    d = pd.read_csv(HERE / "data" / "emplUK.csv")

    def as_float32(values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float32).astype(float)

    out = pd.DataFrame({"id": d["firm"], "year": d["year"]})
    for name, column in [("n", "log_emp"), ("w", "log_wage"), ("k", "log_capital"),
                         ("ys", "log_output")]:
        # Stata: emp stored as float, n = ln(emp) stored as float
        out[name] = as_float32(np.log(as_float32(np.exp(d[column].to_numpy()))))
    for year in range(1980, 1985):
        out[f"yr{year}"] = (out["year"] == year).astype(float)
    return out


DATA = abdata()


def fit(name: str) -> mi.results.Result:
    options = dict(REF[name]["ours"])
    formula = options.pop("formula")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mi.arellano_bond(formula, DATA, entity="id", time="year", **options)


def half_unit(printed: str) -> float:
    """Half a unit in the last digit of a number as printed."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return 0.5 * 10.0**-decimals * (1 + 1e-9)


def assert_printed(ours: float, printed: str, what: str) -> None:
    assert abs(ours - float(printed)) <= half_unit(printed), (what, ours, printed)


@pytest.mark.parametrize("name", list(REF))
def test_coefficients_and_standard_errors(name: str) -> None:
    ref = REF[name]
    r = fit(name)
    assert r.stats["n_groups"] == ref["n_groups"]
    assert r.stats["n_instruments"] == ref["n_instruments"]
    if "nobs" in ref:
        assert r.nobs == ref["nobs"]
    else:
        assert r.stats["nobs_levels"] == ref["nobs_levels"]
    for term, printed in ref["coef"].items():
        assert_printed(r.params[term], printed, f"{name} {term}")
    if "se" in ref:
        for term, printed in ref["se"].items():
            assert_printed(r.bse[term], printed, f"{name} se {term}")
    else:  # xtabond2's small: G/(G-1) N/(N-K) times the robust variance (see the JSON)
        g, n_obs, k = ref["n_groups"], ref["nobs_small"], ref["small_K"]
        factor = np.sqrt(g / (g - 1) * n_obs / (n_obs - k))
        for term, printed in ref["se_small"].items():
            assert_printed(r.bse[term] * factor, printed, f"{name} se {term}")


@pytest.mark.parametrize("name", [n for n in REF if any(k in REF[n] for k in ("sargan", "hansen"))])
def test_overidentification_and_autocorrelation_tests(name: str) -> None:
    ref = REF[name]
    r = fit(name)
    for key in ("sargan", "sargan_xtabond2", "hansen", "ar1", "ar2"):
        if key in ref:
            assert_printed(r.stats[key], ref[key], f"{name} {key}")
    assert r.stats["sargan_df"] == ref["sargan_df"]


def test_the_default_keeps_plm_conventions_and_stata_changes_only_what_it_names() -> None:
    name = "xtabond_example1_onestep"
    stata = fit(name)
    options = dict(REF[name]["ours"], ssc=None)
    formula = options.pop("formula")
    plm = mi.arellano_bond(formula, DATA, entity="id", time="year", **options)
    np.testing.assert_array_equal(plm.params, stata.params)
    n, k = plm.nobs, len(plm.params)
    np.testing.assert_allclose(stata.bse, plm.bse * np.sqrt(n / (n - k)), rtol=1e-12)
    np.testing.assert_allclose(stata.stats["sargan"], plm.stats["sargan"] * (n - k) / n)
    np.testing.assert_allclose(stata.stats["sargan_xtabond2"], plm.stats["sargan"])
    with pytest.raises(ValueError, match="two conventions"):
        mi.arellano_bond(formula, DATA, entity="id", time="year", ssc="fixest")


def test_stata_system_gmm_sargan_is_xtabond2s_and_its_classical_variance_is_refused() -> None:
    r = fit("roodman2009_system_onestep_robust_small")
    assert r.stats["sargan"] == r.stats["sargan_xtabond2"]
    options = dict(REF["roodman2009_system_onestep_robust_small"]["ours"], robust=False)
    formula = options.pop("formula")
    with pytest.raises(ValueError, match="not reproduced"):
        mi.arellano_bond(formula, DATA, entity="id", time="year", **options)
