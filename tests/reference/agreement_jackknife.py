"""Agreement rows for the cluster jackknife (issue 15): R sandwich and R refits.

Registered in :data:`tests.reference.agreement.REFERENCE_SETS`; the same comparisons are
asserted in ``tests/inference/test_jackknife.py``.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

import massincidents as mi

HERE = Path(__file__).resolve().parent


def _agreement():
    """``agreement.py`` as the book and ``test_agreement.py`` load it (one module, one ``Row``)."""
    name = "massincidents_reference_agreement"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "agreement.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _load(name: str) -> dict:
    return _agreement()._load(name)

JACKKNIFE_FILE = "jackknife_sandwich.json"
#: tolerance on standard errors: least squares and Poisson converge to machine
#: precision; NB2 alternates IRLS and theta to a relative 1e-10 in both programs
TOLERANCE = {"linear": 1e-8, "poisson": 1e-7, "negbin": 1e-5}


@cache
def _data(name: str) -> pd.DataFrame:
    ref = _load(JACKKNIFE_FILE)
    return pd.read_csv(HERE / ref["data"][name])


@cache
def _fit(model: str, formula: str, data: str):
    frame = _data(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        if model == "linear":
            return mi.linear(formula, frame, vcov="iid")
        function = mi.poisson if model == "poisson" else mi.negbin
        return function(formula, frame, exposure="population", vcov="iid")


def jackknife_comparisons() -> list[tuple[dict, np.ndarray, np.ndarray]]:
    """(entry, our standard errors, R's) for every entry of the reference file."""
    out = []
    for entry in _load(JACKKNIFE_FILE)["entries"]:
        if entry["ours"] is None:  # sandwich's glm HC3: a documented non-equivalence
            continue
        fit = _fit(entry["model"], entry["formula"], entry["data"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mi.FewClustersWarning)
            ours = fit.with_vcov(entry["ours"]["vcov"])
        terms = list(entry["se"])
        se = ours.bse[terms].to_numpy()
        if entry["ours"].get("factor") == "G/(G-1)":  # sandwich's cadjust = TRUE
            column = next(iter(entry["ours"]["vcov"].values()))
            G = _data(entry["data"])[column].nunique()
            se = se * np.sqrt(G / (G - 1.0))
        ref = np.array([float(entry["se"][t]) for t in terms])
        out.append((entry, se, ref))
    return out


def coefficient_comparisons() -> list[tuple[dict, np.ndarray, np.ndarray]]:
    """(entry, our estimates, R's) for the entries that record R's full-sample estimates."""
    out = []
    for entry in _load(JACKKNIFE_FILE)["entries"]:
        if not isinstance(entry.get("coef"), dict):
            continue
        fit = _fit(entry["model"], entry["formula"], entry["data"])
        terms = list(entry["coef"])
        ref = np.array([float(entry["coef"][t]) for t in terms])
        out.append((entry, fit.params[terms].to_numpy(), ref))
    return out


def jackknife_sandwich() -> list:
    """Rows of ``jackknife_sandwich.json`` (``agreement.Row``)."""
    ref = _load(JACKKNIFE_FILE)
    pk = ref["packages"]
    col = _agreement()._Collector(
        JACKKNIFE_FILE,
        f"R sandwich {pk['sandwich']}, MASS {pk['MASS']}",
        "tests/inference/test_jackknife.py",
    )
    labels = {
        "linear": "CV3/CV3J, least squares (closed form; re-partialled FE)",
        "poisson": "CV3/CV3J, Poisson (refits); one-step (one IRLS step)",
        "negbin": "CV3/CV3J, NB2 (refits); one-step (one IRLS step)",
    }
    def where(entry: dict) -> str:
        return "PetersenCL" if entry["data"] == "petersen" else "simulated count panel"

    for entry, ours, theirs in coefficient_comparisons():
        col.add(labels[entry["model"]], where(entry), "coefficients", ours, theirs, 1e-8)
    for entry, ours, theirs in jackknife_comparisons():
        model = entry["model"]
        col.add(labels[model], where(entry), "standard errors", ours, theirs, TOLERANCE[model])
    return col.rows()


# -- mi.influence against R (jackknife_influence.R) -----------------------------------------

INFLUENCE_FILE = "jackknife_influence.json"


def _floats(text) -> np.ndarray:
    import json

    return np.asarray(json.loads(text) if isinstance(text, str) else text, dtype=float)


@cache
def _influence_fit(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        if name == "lm pooled, by year":
            fit = mi.linear("y ~ x", _data("petersen"), vcov="iid")
        elif name == "lm firm FE as dummies, by year":
            fit = mi.linear("y ~ x | firm", _data("petersen"))
        else:
            fit = mi.poisson(
                "y ~ x1 + x2 + treated", _data("count_panel"), exposure="population"
            )
        case = next(c for c in _load(INFLUENCE_FILE)["cases"] if c["name"] == name)
        return case, mi.influence(fit, case["cluster"])


def influence_comparisons() -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """(case, quantity, ours, R's) for every number of the reference file."""
    out = []
    for case in _load(INFLUENCE_FILE)["cases"]:
        _, infl = _influence_fit(case["name"])
        terms = [t.replace("(Intercept)", "Intercept") for t in case["slopes"]]
        term = case["term"]
        levels = infl.leave_out_params.index.to_numpy()
        np.testing.assert_array_equal(levels, _floats(case["levels"]))
        out += [
            (case["name"], "coefficients", infl.params[terms].to_numpy(), _floats(case["coef"])),
            (case["name"], "leverage", infl.leverage.to_numpy(), _floats(case["leverage"])),
            (
                case["name"],
                "partial leverage",
                infl.partial_leverage[term].to_numpy(),
                _floats(case["partial_leverage"]),
            ),
            (
                case["name"],
                "G*(0), G*(1)",
                infl.effective_clusters[term].to_numpy(),
                np.array([float(case["gstar0"]), float(case["gstar1"])]),
            ),
            (
                case["name"],
                "leave-one-out coefficients",
                infl.leave_out_params[terms].to_numpy().T.ravel(),
                np.concatenate([_floats(v) for v in case["leave_out_coef"]]),
            ),
            (
                case["name"],
                "leave-one-out standard errors",
                infl.leave_out_bse[terms].to_numpy().T.ravel(),
                np.concatenate([_floats(v) for v in case["leave_out_se"]]),
            ),
        ]
    return out


#: leave-one-out Poisson refits converge to 1e-10 in the deviance, in R and here
INFLUENCE_TOLERANCE = 1e-7


def jackknife_influence() -> list:
    """Rows of ``jackknife_influence.json`` (``agreement.Row``)."""
    ref = _load(INFLUENCE_FILE)
    pk = ref["packages"]
    col = _agreement()._Collector(
        INFLUENCE_FILE,
        f"R {ref['r_version'].split()[2]} from the definitions; sandwich {pk['sandwich']}",
        "tests/inference/test_influence.py",
    )
    for name, quantity, ours, theirs in influence_comparisons():
        data = "simulated count panel" if "poisson" in name else "PetersenCL"
        label = "mi.influence, " + ("Poisson" if "poisson" in name else "least squares")
        col.add(label, data, quantity, ours, theirs, INFLUENCE_TOLERANCE)
    return col.rows()


# -- published summclust output on nlswork (jackknife_summclust.py) --------------------------

SUMMCLUST_FILE = "jackknife_summclust.json"
PRINTED = "to printed precision (half a unit of the last printed digit)"


def _half_unit(printed: str) -> float:
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return 0.5 * 10.0**-decimals


@cache
def _summclust_fits(case: str):
    ref = _load(SUMMCLUST_FILE)
    data = pd.read_csv(HERE / ref["data"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 12 clusters; dummies of levels seen in one industry
        fit = mi.linear(ref["cases"][case]["formula"], data, vcov={"CV3": ref["cluster"]})
        return fit, mi.influence(fit, ref["cluster"])


def summclust_comparisons() -> list[tuple[str, str, float, str]]:
    """(case, quantity, ours, the printed number) for every published number."""
    ref = _load(SUMMCLUST_FILE)
    term = ref["term"]
    out = []
    for case, entry in ref["cases"].items():
        fit, infl = _summclust_fits(case)
        if "cv3" in entry:
            ci = fit.conf_int().loc[term]
            ours = {
                "estimate": fit.params[term],
                "t": fit.tvalues[term],
                "std_error": fit.bse[term],
                "p_value": fit.pvalues[term],
                "conf_low": ci["lower"],
                "conf_high": ci["upper"],
            }
            out += [(case, f"CV3 {k}", float(ours[k]), v) for k, v in entry["cv3"].items()]
        series = {
            "leverage": infl.leverage,
            "beta_no_g": infl.leave_out_params[term],
            "partial_leverage": infl.partial_leverage[term],
        }
        for name, values in series.items():
            for stat, printed in entry[name].items():
                out.append((case, f"{name} {stat}", float(getattr(values, stat)()), printed))
    return out


def jackknife_summclust() -> list:
    """Rows of ``jackknife_summclust.json`` (``agreement.Row``)."""
    col = _agreement()._Collector(
        SUMMCLUST_FILE,
        "Stata summclust (MacKinnon, Nielsen & Webb 2023; as frozen in summclust R tests)",
        "tests/inference/test_influence.py",
    )
    for case, quantity, ours, printed in summclust_comparisons():
        share = abs(ours - float(printed)) / _half_unit(printed)
        if quantity.startswith("CV3"):
            group = "coefficients" if quantity == "CV3 estimate" else "standard errors"
            label = "CV3 (msp)"
        else:
            group, label = "leverage, leave-one-out estimates", "mi.influence"
        col.add(
            f"{label}, {case}", "nlswork", group, [ours], [float(printed)], 1e-4,
            note=PRINTED, share=share,
        )
    return col.rows()
