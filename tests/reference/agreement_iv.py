"""Agreement of ``mi.iv`` with its reference files (rows of the book's validation table).

One function per reference file of this folder named ``iv_*.json``; each refits the
models on the stored data and returns :class:`agreement.Row` objects with the largest
relative difference. ``tests/iv/test_references.py`` asserts the same comparisons; this
module is imported by ``agreement.py`` (``REFERENCE_SETS``) and needs only the package,
numpy, pandas and the files of this folder.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path

import pandas as pd

import massincidents as mi

HERE = Path(__file__).resolve().parent
TEST = "tests/iv/test_references.py"


def _agreement():
    """``agreement.py``, imported by file path under the name the book and tests use."""
    name = "massincidents_reference_agreement"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "agreement.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules[name]


def _load(name: str) -> dict:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def _fit(formula, data, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        return mi.iv(formula, data, **options)


def _ours_names(names):
    return ["Intercept" if n in {"(Intercept)", "_cons"} else n for n in names]


# -- R AER::ivreg on CigarettesSW ---------------------------------------------------------------

def _ssc_full():
    """Our factors as sandwich's on the dummy regression (every fixed-effect level in K)."""
    return mi.ssc(fixef_k="full", cluster_df="each", constant_in_k=False)


def iv_aer() -> list:
    """AER::ivreg, sandwich and AER's diagnostics on CigarettesSW."""
    ag = _agreement()
    ref = _load("iv_aer.json")
    v = ref["versions"]
    r_version = v["R"].split()[2]  # 'R version 4.2.2 (2022-10-31)'
    col = ag._Collector("iv_aer.json",
                        f"R {r_version} AER {v['AER']}, sandwich {v['sandwich']}", TEST)
    data = pd.read_csv(HERE / "data" / "iv_cigarettes.csv")
    full, no_adj = _ssc_full(), mi.ssc(adj=False, cluster_df="each", constant_in_k=False)
    variances = {"iid": ("iid", full), "HC1": ("hetero", full), "HC0": ("hetero", no_adj),
                 "CRV1_state": ({"CRV1": "state"}, full),
                 "CRV1_state_default": ({"CRV1": "state"}, no_adj),
                 "CRV0_state": ({"CRV0": "state"}, full)}
    for name, model in ref["models"].items():
        rows = data[data["year"] == 1995] if model["sample"] == "1995" else data
        where = f"CigarettesSW {model['sample']}"
        label = "2SLS" + (" (state, year FE absorbed vs dummies)" if name == "dummies" else "")
        fit = _fit(model["formula"], rows, vcov="iid", ssc=full)
        ref_names = [n for n in model["coef"] if _ours_names([n])[0] in fit.params.index]
        names = _ours_names(ref_names)
        col.add(label, where, "coefficients", fit.params[names],
                [model["coef"][n] for n in ref_names], 1e-8)
        for key, se in model["se"].items():
            choice, ssc = variances[key]
            ours = fit.with_vcov(choice, ssc=ssc)
            col.add(label, where, "standard errors (iid, HC0/HC1, CRV0/CRV1)", ours.bse[names],
                    [se[n] for n in ref_names], 1e-8)
        for key, table in model["diagnostics"].items():
            choice = {"iid": "iid", "HC1": "hetero", "CRV1_state": {"CRV1": "state"}}[key]
            diag = _fit(model["formula"], rows, vcov=choice, ssc=full).diagnostics
            col.add(label, where, "statistics (weak-instrument F, Wu-Hausman)",
                    [diag.first_stage["lrprice"].f, diag.endogeneity.statistic],
                    [table["Weak instruments"]["statistic"], table["Wu-Hausman"]["statistic"]],
                    1e-8)
            if key == "iid" and table["Sargan"]["statistic"] is not None:
                col.add(label, where, "statistics (Sargan)",
                        [diag.overidentification.statistic], [table["Sargan"]["statistic"]], 1e-8)
    return col.rows()


# -- linearmodels 7.1 ---------------------------------------------------------------------------


def iv_linearmodels() -> list:
    """linearmodels IV2SLS, IVLIML, IVGMM on CigarettesSW (FE as dummies for 2SLS/LIML)."""
    ag = _agreement()
    ref = _load("iv_linearmodels.json")
    col = ag._Collector("iv_linearmodels.json",
                        f"linearmodels {ref['packages']['linearmodels']}", TEST)
    data = pd.read_csv(HERE / "data" / "iv_cigarettes.csv")
    full = _ssc_full()
    for case in ref["cases"].values():
        rows = data[data["year"] == 1995] if case["sample"] == "1995" else data
        fit = _fit(case["formula"], rows, vcov=case["vcov"], method=case["method"], ssc=full)
        names = [n for n in case["coef"] if n in fit.params.index]
        label = {"2sls": "2SLS", "liml": "LIML", "gmm": "two-step GMM"}[case["method"]]
        where = f"CigarettesSW {case['sample']}"
        col.add(label, where, "coefficients", fit.params[names],
                [case["coef"][n] for n in names], 1e-8)
        col.add(label, where, "standard errors (iid, robust, clustered)", fit.bse[names],
                [case["se"][n] for n in names], 1e-8)
        diag = fit.diagnostics
        if "kappa" in case:
            col.add(label, where, "statistics (LIML kappa)", [fit.stats["kappa"]],
                    [case["kappa"]], 1e-8)
        if "j_stat" in case:
            col.add(label, where, "statistics (J)", [fit.stats["j"]], [case["j_stat"]["stat"]],
                    1e-8)
        if "first_stage" in case:
            fs = diag.first_stage["lrprice"]
            L = len(fit.first_stage["lrprice"].params) - len(fit.params) + 1
            wald = fs.f if case["vcov"] == "iid" else fs.f * L  # linearmodels: Wald (robust)
            col.add(label, where, "statistics (first-stage F or Wald, partial R2)",
                    [wald, fs.partial_r2],
                    [case["first_stage"]["f_stat"], case["first_stage"]["partial_r2"]], 1e-8)
            col.add(label, where, "statistics (Wooldridge regression test)",
                    [diag.endogeneity.statistic], [case["wooldridge_regression"]["stat"]], 1e-8)
        if "sargan" in case:
            col.add(label, where, "statistics (Sargan, Wu-Hausman)",
                    [diag.overidentification.statistic, diag.endogeneity.statistic],
                    [case["sargan"]["stat"], case["wu_hausman"]["stat"]], 1e-8)
    return col.rows()


# -- Stata ivregress (frozen in linearmodels' tests) --------------------------------------------

_STATA_VCOV = {"unadjusted": "iid", "robust": "hetero",
               "cluster cluster_id": {"CRV1": "cluster_id"},
               "hac bartlett 12": {"DK": {"lags": 12, "time": "time"}}}


def stata_ivregress_options(case: dict) -> dict | None:
    """Our options for one ivregress case, or None where the conventions differ.

    ``small``: ``ssc="stata"``. Without ``small`` Stata's iid variance divides by N (ours by
    N-K or N-1: not compared), its clustered variance has no G/(G-1) (``CRV0``), its HAC
    variance no factor (Driscoll-Kraay with one row per period is Newey-West); with
    ``small`` the HAC variance gains N/(N-K), which ours does not (not compared).
    """
    variance = case["stata_variance"]
    kind = variance[variance.index("(") + 1 : -1]
    if case["small"]:
        if kind.startswith("hac"):
            return None
        return {"vcov": _STATA_VCOV[kind], "ssc": "stata"}
    if kind == "unadjusted":
        return None
    if kind.startswith("cluster"):
        return {"vcov": {"CRV0": "cluster_id"}, "ssc": "stata"}
    return {"vcov": _STATA_VCOV[kind], "ssc": mi.ssc(adj=False)}


def iv_stata_ivregress() -> list:
    """Stata ivregress 2sls/liml/gmm on linearmodels' simulated data."""
    ag = _agreement()
    ref = _load("iv_stata_ivregress.json")
    col = ag._Collector("iv_stata_ivregress.json",
                        "Stata 13 ivregress (output frozen in linearmodels' tests)", TEST)
    data = pd.read_csv(HERE / "data" / "iv_stata_simulated.csv.gz")
    for case in ref["cases"].values():
        options = stata_ivregress_options(case)
        if options is None:
            continue
        fit = _fit(case["formula"], data, method=case["method"], **options)
        names = list(case["coef"])
        ours = _ours_names(names)
        label = {"2sls": "2SLS", "liml": "LIML", "gmm": "two-step GMM"}[case["method"]]
        where = "linearmodels simulated data"
        col.add(label, where, "coefficients", fit.params[ours],
                [case["coef"][n] for n in names], 1e-8)
        col.add(label, where, "standard errors (iid, robust, cluster, HAC)", fit.bse[ours],
                [case["se"][n] for n in names], 1e-6)
        if case["method"] == "liml":
            col.add(label, where, "statistics (LIML kappa)", [fit.stats["kappa"]],
                    [case["scalars"]["kappa"]], 1e-8)
        if case["method"] == "gmm" and "J" in case["scalars"] and "j" in fit.stats and (
                fit.diagnostics.overidentification is not None):
            col.add(label, where, "statistics (Hansen J)", [fit.stats["j"]],
                    [case["scalars"]["J"]], 1e-8)
    return col.rows()


# -- Stata ivreg2 (frozen in ivreg2r's tests) ---------------------------------------------------


def ivreg2_comparisons(case: dict) -> dict[str, tuple[list, list]]:
    """Ours against ivreg2 for one case, by quantity: (ours, reference)."""
    data = pd.read_csv(HERE / "data" / case["data"])
    fit = _fit(case["formula"], data, vcov=case["vcov"], ssc="stata")
    out: dict[str, tuple[list, list]] = {}
    names = list(case["coef"])
    out["coefficients"] = (list(fit.params[_ours_names(names)]), [case["coef"][n] for n in names])
    if case["small"]:
        out["standard errors (small)"] = (list(fit.bse[_ours_names(names)]),
                                          [case["se"][n] for n in names])
    diag = fit.diagnostics
    ref = case["diagnostics"]
    ours, theirs = [], []
    for endog, stats in case["first_stage"].items():
        fs = diag.first_stage[endog]
        ours += [fs.f, fs.partial_r2]
        theirs += [stats["F"], stats["pr2"]]
        if fs.sanderson_windmeijer is not None:
            ours.append(fs.sanderson_windmeijer.statistic)
            theirs.append(stats["SWF"])
    out["statistics (first-stage F, partial R2, Sanderson-Windmeijer F)"] = (ours, theirs)
    out["statistics (Cragg-Donald F, Kleibergen-Paap rk Wald F and LM)"] = (
        [diag.cragg_donald.statistic, diag.kleibergen_paap_wald.statistic,
         diag.kleibergen_paap_lm.statistic], [ref["cdf"], ref["widstat"], ref["idstat"]])
    out["statistics (Anderson-Rubin F)"] = ([diag.anderson_rubin.statistic], [ref["arf"]])
    if diag.overidentification is not None:
        key = "sargan" if case["vcov"] == "iid" else "j"
        out["statistics (Hansen J / Sargan)"] = ([diag.overidentification.statistic], [ref[key]])
    return out


def iv_stata_ivreg2() -> list:
    """Stata ivreg2 on Card's data and simulated data (ivreg2r's fixtures)."""
    ag = _agreement()
    ref = _load("iv_stata_ivreg2.json")
    col = ag._Collector("iv_stata_ivreg2.json",
                        "Stata ivreg2 (output frozen in ivreg2r's tests)", TEST)
    note = "data exported by Stata with about 8 significant digits"
    for key, case in ref["cases"].items():
        where = key.split("/")[0]
        for quantity, (ours, theirs) in ivreg2_comparisons(case).items():
            tol = 1e-6 if quantity == "coefficients" else 1e-5
            col.add("2SLS and diagnostics", where, quantity, ours, theirs, tol, note=note)
    return col.rows()


# -- pyfixest feols IV with absorbed fixed effects ---------------------------------------------


def iv_pyfixest() -> list:
    """pyfixest feols IV with two-way fixed effects (ssc="fixest")."""
    ag = _agreement()
    ref = _load("iv_pyfixest.json")
    col = ag._Collector("iv_pyfixest.json", f"pyfixest {ref['packages']['pyfixest']}", TEST)
    data = pd.read_csv(HERE / "data" / "iv_fe_panel.csv")
    for case in ref["cases"].values():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = mi.iv(case["formula"], data, vcov=case["vcov"], ssc="fixest")
        names = list(case["coef"])
        label = "2SLS, two-way FE absorbed"
        col.add(label, "simulated panel", "coefficients", fit.params[names],
                [case["coef"][n] for n in names], 1e-8)
        col.add(label, "simulated panel", "standard errors (iid, hetero, CRV1 one- and two-way)",
                fit.bse[names], [case["se"][n] for n in names], 1e-8)
        col.add(label, "simulated panel", "rows used", [fit.nobs], [case["nobs"]], 1e-12)
    return col.rows()


REFERENCE_SETS = {
    "iv_aer.json": iv_aer,
    "iv_linearmodels.json": iv_linearmodels,
    "iv_stata_ivregress.json": iv_stata_ivregress,
    "iv_stata_ivreg2.json": iv_stata_ivreg2,
    "iv_pyfixest.json": iv_pyfixest,
}
