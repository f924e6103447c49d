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
