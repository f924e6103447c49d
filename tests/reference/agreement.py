"""How closely every estimator reproduces its stored reference: one row per comparison.

Each function below takes one reference file of this folder (``*.json``, made by the R
script of the same name), refits our estimators on the reference data exactly as the
tests next to it do, and returns rows with the largest relative difference between our
numbers and the reference, and the tolerance those tests hold the comparison to. The
book's validation chapter shows :func:`agreement_table`, and
``tests/reference/test_agreement.py`` asserts that every row is within its tolerance and
that every reference file has a function here, so the book prints the tested numbers.

The relative difference of one value is ``|ours - ref| / |ref|`` (0 when both are equal,
including both 0); a row reports the largest over its values. Where a test uses a
criterion other than a relative tolerance (noted in the row), the row reports that
criterion's own ratio under the column's name ``max_rel_diff`` and says so in ``note``.

This module is imported by file path (``tests/`` is not a package); it needs only the
package, numpy, pandas and the files of this folder, never R.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

import massincidents as mi

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Row:
    """One comparison of our estimates with a reference implementation."""

    estimator: str
    reference: str  # implementation and version
    data: str
    quantity: str  # coefficients, standard errors, statistics, curves
    n_values: int
    max_rel_diff: float
    tolerance: float
    source: str  # reference file in tests/reference
    test: str  # the test file holding the same comparison
    note: str = ""  # a criterion other than relative difference <= tolerance, in words
    share: float | None = None  # largest discrepancy as a share of what the test allows

    def __post_init__(self):
        if self.share is None:  # plain relative tolerance
            object.__setattr__(self, "share", self.max_rel_diff / self.tolerance)

    @property
    def within(self) -> bool:
        """Whether the comparison meets the criterion of its test."""
        return bool(np.isfinite(self.share) and self.share <= 1)


def _load(name: str) -> dict:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def rel_diff(ours, ref) -> tuple[int, float]:
    """Number of values and largest relative difference; NaN must match NaN exactly."""
    ours = np.asarray(ours, dtype=float).ravel()
    ref = np.asarray(ref, dtype=float).ravel()
    if ours.shape != ref.shape:
        raise ValueError(f"shapes differ: {ours.shape} vs {ref.shape}")
    if not np.array_equal(np.isnan(ours), np.isnan(ref)):
        return int(ours.size), float("inf")
    ok = ~np.isnan(ref)
    diff = np.abs(ours[ok] - ref[ok])
    rel = np.where(diff == 0, 0.0, diff / np.maximum(np.abs(ref[ok]), 1e-300))
    return int(ok.sum()), float(rel.max()) if rel.size else 0.0


class _Collector:
    """Accumulate comparisons per (estimator, quantity) and turn them into rows."""

    def __init__(self, source: str, reference: str, test: str):
        self.source, self.reference, self.test = source, reference, test
        self._groups: dict[tuple, list[tuple[int, float, bool | None]]] = {}

    def add(
        self,
        estimator,
        data,
        quantity,
        ours,
        ref,
        tolerance,
        *,
        note="",
        reference=None,
        share=None,
    ):
        """Compare values by their relative difference.

        ``share``: for a criterion other than a relative tolerance (described in ``note``), the
        largest discrepancy as a share of what that criterion allows.
        """
        key = (estimator, reference or self.reference, data, quantity, tolerance, note)
        self._groups.setdefault(key, []).append((*rel_diff(ours, ref), share))

    def rows(self) -> list[Row]:
        out = []
        for (est, ref_impl, data, qty, tol, note), parts in self._groups.items():
            n = sum(k for k, _, _ in parts)
            worst = max(w for _, w, _ in parts)
            share = max(sh if sh is not None else w / tol for _, w, sh in parts)
            out.append(
                Row(est, ref_impl, data, qty, n, worst, tol, self.source, self.test, note, share)
            )
        return out


def _r_version(text: str) -> str:
    """'R version 4.2.2 Patched (2022-11-10 r83330)' -> '4.2.2'."""
    return text.split()[2]


def _floats(mapping: dict, names=None) -> np.ndarray:
    names = list(mapping) if names is None else names
    return np.array([float(mapping[n]) for n in names])


SE_PANEL = "standard errors (iid, CRV0, CRV1, Driscoll-Kraay)"


# -- R plm on Grunfeld ----------------------------------------------------------------------


def plm_grunfeld() -> list[Row]:
    ref = _load("plm_grunfeld.json")
    col = _Collector(
        "plm_grunfeld.json",
        f"R plm {ref['packages']['plm']}",
        "tests/reference/test_plm_grunfeld.py",
    )

    def data(name):
        df = pd.read_csv(HERE / ref["data"][name]["file"])
        return df.assign(big=(df["firm"] <= 4) * 1.0)

    bal, unb = data("balanced"), data("unbalanced")
    f = "inv ~ value + capital"
    calls = {
        "pooling": ("Pooled OLS", lambda: mi.linear(f, bal, vcov="iid")),
        "within": (
            "Within (one- and two-way FE)",
            lambda: mi.linear(f"{f} | firm", bal, vcov="iid"),
        ),
        "within2": (
            "Within (one- and two-way FE)",
            lambda: mi.linear(f"{f} | firm + year", bal, vcov="iid"),
        ),
        "random": (
            "Random effects (Swamy-Arora)",
            lambda: mi.random_effects(f, bal, entity="firm"),
        ),
        "between": ("Between", lambda: mi.between(f, bal, entity="firm")),
        "fd": ("First differences", lambda: mi.first_difference(f, bal, entity="firm")),
        "u_within": (
            "Within (one- and two-way FE)",
            lambda: mi.linear(f"{f} | firm", unb, vcov="iid"),
        ),
        "u_random": (
            "Random effects (Swamy-Arora)",
            lambda: mi.random_effects(f, unb, entity="firm"),
        ),
        "u_between": ("Between", lambda: mi.between(f, unb, entity="firm")),
        "u_fd": ("First differences", lambda: mi.first_difference(f, unb, entity="firm")),
        "random_tinv": (
            "Random effects (Swamy-Arora)",
            lambda: mi.random_effects(f"{f} + big", bal, entity="firm"),
        ),
        "u_random_tinv": (
            "Random effects (Swamy-Arora)",
            lambda: mi.random_effects(f"{f} + big", unb, entity="firm"),
        ),
    }
    if set(calls) != set(ref["models"]):
        raise AssertionError("plm_grunfeld.json models and agreement.py calls differ")
    fits = {name: call() for name, (_, call) in calls.items()}
    where = "Grunfeld"
    for name, (label, _) in calls.items():
        m, fit = ref["models"][name], fits[name]
        coef, se = pd.Series(m["coef"]), pd.Series(m["se_iid"])
        col.add(label, where, "coefficients", fit.params[coef.index], coef, 1e-6)
        col.add(label, where, SE_PANEL, fit.bse[se.index], se, 1e-4)
        if "sigma2_idios" in m:
            theta = pd.Series(m["theta_by_firm"])
            theta.index = theta.index.astype(int)
            col.add(
                label,
                where,
                "variance components and theta",
                [
                    fit.stats["sigma2_idios"],
                    fit.stats["sigma2_id"],
                    *fit.extra["theta"][theta.index],
                ],
                [m["sigma2_idios"], m["sigma2_id"], *theta],
                1e-6,
            )
    for entry in ref["variances"]:
        fit = fits[entry["model"]]
        se = pd.Series(entry["se"])
        label = calls[entry["model"]][0]
        if entry["ours"] is None:  # plm's arellano HC1: N/(N-k) times CRV0, not a menu entry
            crv0 = fit.with_vcov({"CRV0": "firm"})
            n, k = fit.nobs, len(fit.params)
            ours = crv0.bse[se.index] * np.sqrt(n / (n - k))
        else:
            ours = fit.with_vcov(entry["ours"]["vcov"]).bse[se.index]
        col.add(label, where, SE_PANEL, ours, se, 1e-4)
    fe, re_ = fits["within"], fits["random"]
    tests = {
        "classic": mi.hausman(fe, re_),
        "classic_unbalanced": mi.hausman(fits["u_within"], fits["u_random"]),
        "aux_iid": mi.hausman(fe, re_, method="robust", vcov="iid"),
        "aux_arellano": mi.hausman(fe, re_, method="robust", vcov={"CRV0": "firm"}),
        "aux_arellano_sss": mi.hausman(fe, re_, method="robust"),
    }
    for name, t in tests.items():
        r = ref["tests"][name]
        col.add(
            "Hausman test (classic, robust auxiliary regression)",
            where,
            "statistics and p-values",
            [t.statistic, t.pvalue],
            [r["statistic"], r["p_value"]],
            1e-6,
        )
    return col.rows()


# -- R sandwich / plm on Petersen --------------------------------------------------------------


def sandwich_petersen() -> list[Row]:
    ref = _load("sandwich_petersen.json")
    pk = ref["packages"]
    col = _Collector(
        "sandwich_petersen.json",
        f"R sandwich {pk['sandwich']}, plm {pk['plm']}",
        "tests/reference/test_sandwich_petersen.py",
    )
    df = pd.read_csv(HERE / ref["data"]["file"])
    formulas = {
        "pooled": ("Pooled OLS", "y ~ x"),
        "within_firm": ("Within (one- and two-way FE)", "y ~ x | firm"),
    }
    fits = {k: mi.linear(f, df) for k, (_, f) in formulas.items()}
    where = "PetersenCL"
    for name, (label, _) in formulas.items():
        coef = ref["models"][name]["coef"]
        col.add(label, where, "coefficients", fits[name].params[list(coef)], _floats(coef), 1e-10)
    for entry in ref["entries"]:
        if entry["ours"] is None:  # documented non-equivalence (vcovPL by year alone)
            continue
        fit = fits[entry["model"]].with_vcov(entry["ours"]["vcov"])
        terms = entry["terms"]
        col.add(
            "Variance menu: iid, hetero, CRV1/CRV0 one- and two-way, Driscoll-Kraay",
            where,
            "standard errors",
            fit.bse[terms],
            [entry["se"][t] for t in terms],
            1e-6,
        )
    return col.rows()


# -- R glm/sandwich, MASS, pscl on counts --------------------------------------------------------


def counts_reference() -> list[Row]:
    ref = _load("counts_reference.json")
    pk = ref["packages"]
    test = "tests/counts/test_reference.py"
    r_glm = f"R {_r_version(ref['r_version'])} glm"
    col = _Collector("counts_reference.json", f"{r_glm}, sandwich {pk['sandwich']}", test)
    panel = pd.read_csv(HERE / "data" / "count_panel.csv")
    quine = pd.read_csv(HERE / "data" / "quine.csv")
    bc = pd.read_csv(HERE / "data" / "biochemists.csv")
    slopes = ["x1", "x2", "treated"]
    fe_formula = "y ~ x1 + x2 + treated | province + year"
    sim = "simulated panel"

    pois = mi.poisson(fe_formula, panel, exposure="population")
    r = ref["poisson"]["fe"]
    col.add(
        "Poisson, two-way FE",
        sim,
        "coefficients",
        pois.params[slopes],
        _floats(r["coef"], slopes),
        1e-6,
    )
    menu = {
        "iid": "iid",
        "CRV1_province": {"CRV1": "province"},
        "CRV0_province": {"CRV0": "province"},
        "hetero": "hetero",
        "hetero_check": "hetero",
        "CRV1_province_year": {"CRV1": "province+year"},
    }
    for key, choice in menu.items():
        col.add(
            "Poisson, two-way FE",
            sim,
            "standard errors (iid, hetero, CRV1, CRV0, two-way)",
            pois.with_vcov(choice).bse[slopes],
            _floats(r["se"][key]["se"], slopes),
            1e-4,
        )
    r = ref["poisson"]["pooled"]
    pooled = mi.poisson("y ~ x1 + x2 + treated", panel, exposure="population")
    col.add("Poisson, pooled", sim, "coefficients", pooled.params, _floats(r["coef"]), 1e-6)
    col.add("Poisson, pooled", sim, "standard errors (iid)", pooled.bse, _floats(r["se_iid"]), 1e-4)
    ame_ref = r["ame"]
    terms = list(ame_ref["estimate"])
    for vcov, key in [("iid", "se_iid"), ({"CRV1": "province"}, "se_CRV1_province")]:
        fit = mi.poisson("y ~ x1 + x2 + treated", panel, exposure="population", vcov=vcov)
        ame = mi.marginal_effects(fit, panel).set_index("term")
        label = "Average marginal effects (Poisson)"
        ref_impl = f"{r_glm}, delta method by hand"
        col.add(
            label,
            sim,
            "coefficients",
            ame.loc[terms, "estimate"],
            _floats(ame_ref["estimate"]),
            1e-6,
            reference=ref_impl,
        )
        col.add(
            label,
            sim,
            "standard errors (iid, CRV1)",
            ame.loc[terms, "std_error"],
            _floats(ame_ref[key]),
            1e-4,
            reference=ref_impl,
        )

    mass = f"R MASS::glm.nb {pk['MASS']}"
    r = ref["negbin"]["quine"]
    names = ["Intercept", "EthN", "SexM", "AgeF1", "AgeF2", "AgeF3", "LrnSL"]
    nb = mi.negbin("Days ~ Eth + Sex + Age + Lrn", quine)
    col.add(
        "Negative binomial (NB2)",
        "quine",
        "coefficients",
        [*nb.params, nb.stats["theta"]],
        [*_floats(r["coef"], names), r["theta"]],
        1e-6,
        reference=mass,
    )
    col.add(
        "Negative binomial (NB2)",
        "quine",
        "standard errors (iid, hetero)",
        [*nb.bse, *nb.with_vcov("hetero").bse],
        [*_floats(r["se_iid"]["se"], names), *_floats(r["se_hetero"]["se"], names)],
        1e-4,
        reference=mass,
    )
    r = ref["negbin"]["panel_fe"]
    nbfe = mi.negbin(fe_formula, panel, exposure="population")
    col.add(
        "Negative binomial (NB2), FE as dummies",
        sim,
        "coefficients",
        [*nbfe.params[slopes], nbfe.stats["theta"]],
        [*_floats(r["coef"], slopes), r["theta"]],
        1e-6,
        reference=mass,
    )
    col.add(
        "Negative binomial (NB2), FE as dummies",
        sim,
        "standard errors (iid, CRV1)",
        [*nbfe.with_vcov("iid").bse[slopes], *nbfe.bse[slopes]],
        [*_floats(r["se_iid"], slopes), *_floats(r["se_CRV1_province"]["se"], slopes)],
        1e-4,
        reference=mass,
    )

    pscl = f"R pscl::zeroinfl {pk['pscl']}"
    from massincidents.counts import BoundaryWarning

    for key, inflate, dist in [
        ("zip_const", "~ 1", "poisson"),
        ("zinb_const", "~ 1", "negbin"),
        ("zip_ment", "~ ment", "poisson"),
        ("zinb_ment", "~ ment", "negbin"),
    ]:
        r = ref["zero_inflated"][key]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BoundaryWarning)
            fit = mi.zero_inflated(
                "art ~ fem + mar + kid5 + phd + ment", bc, inflate=inflate, dist=dist
            )
        names = list(r["coef"])
        # ZINB with a constant inflation: zero_Intercept runs to -infinity (not identified)
        compare = [n for n in names if n.startswith("count_")] if key == "zinb_const" else names
        label = "Zero-inflated Poisson (ZIP)" if dist == "poisson" else "Zero-inflated NB (ZINB)"
        ref_se = _floats(r["se_fine_hessian"]["se"], compare)
        ref_coef = _floats(r["coef"], compare)
        diff = np.abs(fit.params[compare].to_numpy() - ref_coef)
        bound = 1e-6 * np.abs(ref_coef) + 1e-5 * ref_se
        col.add(
            label,
            "bioChemists",
            "coefficients",
            fit.params[compare],
            ref_coef,
            1e-6,
            reference=pscl,
            note=ZI_NOTE,
            share=float(np.max(diff / bound)),
        )
        col.add(
            label,
            "bioChemists",
            "standard errors (pscl's own Hessian)",
            fit.bse[compare],
            _floats(r["se"], compare),
            1e-3,
            reference=pscl,
        )
        col.add(
            label,
            "bioChemists",
            "standard errors (fine-step Hessian rerun)",
            fit.bse[compare],
            ref_se,
            1e-6,
            reference=pscl,
        )
    return col.rows()


ZI_NOTE = "1e-6 rel. + 1e-5 SE"


# -- R survival: Cox models, cox.zph, gamma frailty ---------------------------------------------

_COX_X = {
    "rossi": "fin + age + race + wexp + mar + paro + prio",
    "bladder": "rx + number + size",
    "bladder2": "rx + number + size",
    "heart": "age + year + surgery + transplant",
    "kidney": "age + sex + C(disease)",
}
_COX_CALLS: dict[str, tuple[str, str, str, dict]] = {
    # name: (label, data, rhs key, options), as tests/reference/test_survival_cox.py
    "rossi_efron": (
        "Cox PH (Efron and Breslow ties)",
        "rossi",
        "rossi",
        {"stop": "week", "event": "arrest"},
    ),
    "rossi_breslow": (
        "Cox PH (Efron and Breslow ties)",
        "rossi",
        "rossi",
        {"stop": "week", "event": "arrest", "ties": "breslow"},
    ),
    "rossi_robust": (
        "Cox PH (Efron and Breslow ties)",
        "rossi",
        "rossi",
        {"stop": "week", "event": "arrest", "cluster": "row"},
    ),
    "bladder2_ag": (
        "Cox, Andersen-Gill recurrent events",
        "bladder2",
        "bladder2",
        {"start": "start", "stop": "stop", "event": "event", "cluster": "id", "id": "id"},
    ),
    "bladder2_ag_breslow": (
        "Cox, Andersen-Gill recurrent events",
        "bladder2",
        "bladder2",
        {"start": "start", "stop": "stop", "event": "event", "cluster": "id", "ties": "breslow"},
    ),
    "bladder2_pwp_total": (
        "Cox, PWP total and gap time",
        "bladder2",
        "bladder2",
        {"start": "start", "stop": "stop", "event": "event", "strata": "enum", "cluster": "id"},
    ),
    "bladder2_pwp_gap": (
        "Cox, PWP total and gap time",
        "bladder2",
        "bladder2",
        {"stop": "gap", "event": "event", "strata": "enum", "cluster": "id", "id": "id"},
    ),
    "bladder_wlw": (
        "Cox, WLW marginal model",
        "bladder",
        "bladder",
        {"stop": "stop", "event": "event", "strata": "enum", "cluster": "id", "id": "id"},
    ),
    "heart": (
        "Cox, time-varying covariates",
        "heart",
        "heart",
        {"start": "start", "stop": "stop", "event": "event", "id": "id"},
    ),
    "heart_breslow_robust": (
        "Cox, time-varying covariates",
        "heart",
        "heart",
        {"start": "start", "stop": "stop", "event": "event", "cluster": "id", "ties": "breslow"},
    ),
    "kidney_disease": (
        "Cox PH (Efron and Breslow ties)",
        "kidney",
        "kidney",
        {"stop": "time", "event": "status"},
    ),
}


def _cox_term(name: str) -> str:
    if name.startswith("disease"):
        return f"C(disease)[T.{name[len('disease') :]}]" if name != "disease" else "C(disease)"
    return name


def survival_cox() -> list[Row]:
    ref = _load("survival_cox.json")
    col = _Collector(
        "survival_cox.json",
        f"R survival {ref['versions']['survival']}",
        "tests/reference/test_survival_cox.py",
    )
    if set(_COX_CALLS) != set(ref["models"]):
        raise AssertionError("survival_cox.json models and agreement.py calls differ")
    data = {k: pd.read_csv(HERE / v["file"]) for k, v in ref["data"].items()}
    data["rossi"]["row"] = np.arange(len(data["rossi"]))
    data["bladder2"]["gap"] = data["bladder2"]["stop"] - data["bladder2"]["start"]
    fits = {}
    for name, (label, d, rhs, kw) in _COX_CALLS.items():
        fit = fits[name] = mi.cox(_COX_X[rhs], data[d], **kw)
        m = ref["models"][name]
        terms = [_cox_term(t) for t in m["coef"]]
        d = "rossi, kidney" if d in ("rossi", "kidney") else d
        col.add(label, d, "coefficients", fit.params[terms], _floats(m["coef"]), 1e-6)
        iid = fit.with_vcov("iid")
        col.add(label, d, "standard errors (model-based)", iid.bse[terms], _floats(m["se"]), 1e-4)
        if "robust_se" in m:
            col.add(
                label,
                d,
                "standard errors (robust, CRV0 by cluster)",
                fit.bse[terms],
                _floats(m["robust_se"]),
                1e-4,
            )
    for z in ref["zph"].values():
        transform = z["call"].split("transform = '")[1].split("'")[0]
        zph = mi.cox_zph(fits[z["model"]], transform, terms="terms = FALSE" not in z["call"])
        rows = [_cox_term(r) for r in z["table"]]
        col.add(
            "cox.zph proportional-hazards test",
            "rossi, heart, kidney, bladder2",
            "statistics",
            zph.table.loc[rows, "chisq"],
            [float(v["chisq"]) for v in z["table"].values()],
            1e-6,
        )
    kidney = data["kidney"]

    def frailty(**kw):
        return mi.cox(
            "age + sex",
            kidney,
            stop="time",
            event="status",
            frailty={"cluster": "id", **{k: v for k, v in kw.items() if k != "ties"}},
            ties=kw.get("ties", "efron"),
        )

    label = "Cox, shared gamma frailty"
    tight = ref["frailty"]["kidney_tight"]
    fit = frailty()
    col.add(
        label,
        "kidney",
        "theta and coefficients (R run to convergence)",
        [fit.stats["theta"], *fit.params],
        [float(tight["theta"]), *_floats(tight["coef"])],
        1e-4,
    )
    col.add(label, "kidney", "standard errors", fit.bse, _floats(tight["se"]), 1e-4)
    default = ref["frailty"]["kidney_default"]
    at_r = frailty(theta=float(default["theta"]))
    col.add(
        label,
        "kidney",
        "coefficients at R's default stopping theta",
        at_r.params,
        _floats(default["coef"]),
        1e-4,
    )
    for key, kw in [
        ("kidney_theta_0.5", {"theta": 0.5}),
        ("kidney_theta_0.5_breslow", {"theta": 0.5, "ties": "breslow"}),
        ("kidney_theta_0.5_dense", {"theta": 0.5, "sparse": False}),
    ]:
        r = ref["frailty"][key]
        fit = frailty(**kw)
        col.add(
            label,
            "kidney",
            "coefficients (theta fixed at 0.5)",
            fit.params,
            _floats(r["coef"]),
            1e-6,
        )
        col.add(label, "kidney", "standard errors", fit.bse, _floats(r["se"]), 1e-4)
    return col.rows()


# -- R survival: AFT, Kaplan-Meier, Nelson-Aalen, Aalen-Johansen; glm discrete hazard -----------


def _na_array(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def survival_parametric() -> list[Row]:
    ref = _load("survival_parametric.json")
    version = ref["packages"]["survival"]
    col = _Collector(
        "survival_parametric.json",
        f"R survival {version}",
        "tests/survival/test_reference_survival.py",
    )
    lung = pd.read_csv(HERE / ref["data"]["lung"]).rename(columns={"ph.ecog": "ph_ecog"})
    lung["rowid"] = np.arange(len(lung))
    for dist in ["weibull", "lognormal", "loglogistic", "exponential"]:
        r = ref["aft"][dist]
        r_terms = r["terms"]
        ours = [t.replace("ph.ecog", "ph_ecog") for t in r_terms]
        label = "Parametric AFT (Weibull, log-normal, log-logistic, exponential)"
        fit = mi.weibull("age + sex + ph_ecog", lung, duration="time", event="event", dist=dist)
        col.add(
            label, "lung", "coefficients", fit.params[ours], [r["coef"][t] for t in r_terms], 1e-8
        )
        col.add(
            label,
            "lung",
            "standard errors (model-based)",
            fit.bse[ours],
            [r["se"][t] for t in r_terms],
            1e-7,
        )
        robust = fit.with_vcov({"CRV0": "rowid"})
        sub = lung.dropna(subset=["inst"])
        clustered = mi.weibull(
            "age + sex + ph_ecog",
            sub,
            duration="time",
            event="event",
            dist=dist,
            vcov={"CRV0": "inst"},
        )
        cl = r["cluster_inst"]
        col.add(
            label,
            "lung",
            "standard errors (robust, clustered)",
            [*robust.bse[ours], *clustered.bse[ours]],
            [*(r["robust"]["se"][t] for t in r_terms), *(cl["se"][t] for t in r_terms)],
            1e-7,
        )
    km_cols = {
        "time": "time",
        "n_risk": "n_risk",
        "n_event": "n_event",
        "n_censor": "n_censor",
        "survival": "surv",
        "std_err_log": "std_err",
        "conf_low": "lower",
        "conf_high": "upper",
        "cumhaz": "cumhaz",
        "cumhaz_se": "std_chaz",
    }
    label = "Kaplan-Meier (log, log-log, plain bands; delayed entry)"
    for key, conf_type, level in [
        ("log", "log", 0.95),
        ("loglog", "log-log", 0.95),
        ("plain", "plain", 0.95),
        ("level90", "log", 0.90),
    ]:
        r = ref["kaplan_meier"][key]
        km = mi.kaplan_meier(
            lung, duration="time", event="event", by="sex", conf_type=conf_type, level=level
        )
        for ours, theirs in km_cols.items():
            col.add(
                label,
                "lung, heart",
                "curves, standard errors and bands",
                km[ours],
                _na_array(r[theirs]),
                1e-12,
            )
    heart = pd.read_csv(HERE / ref["data"]["heart"])
    r = ref["kaplan_meier"]["heart"]
    km = mi.kaplan_meier(heart, duration="stop", event="event", entry="start", by="transplant")
    for ours, theirs in km_cols.items():
        col.add(
            label,
            "lung, heart",
            "curves, standard errors and bands",
            km[ours],
            _na_array(r[theirs]),
            1e-12,
        )
    for conf_type in ["log", "plain"]:
        r = ref["nelson_aalen"][conf_type]
        na = mi.nelson_aalen(lung, duration="time", event="event", by="sex", conf_type=conf_type)
        for ours, theirs in [
            ("cumhaz", "cumhaz"),
            ("std_err", "std_chaz"),
            ("conf_low", "lower"),
            ("conf_high", "upper"),
        ]:
            col.add(
                "Nelson-Aalen",
                "lung",
                "curves, standard errors and bands",
                na[ours],
                _na_array(r[theirs]),
                1e-12,
            )
    mgus2 = pd.read_csv(HERE / ref["data"]["mgus2"])
    label = "Aalen-Johansen cumulative incidence"
    for key, by in [("all", None), ("by_sex", "sex")]:
        r = ref["aalen_johansen"][key]
        ci = mi.cumulative_incidence(mgus2, duration="etime", event="etype", by=by)
        for j, state in enumerate(["event-free", 1, 2]):
            part = ci[ci["state"] == state]
            col.add(
                label,
                "mgus2",
                "probabilities",
                part["probability"],
                _na_array(r["pstate"][j]),
                1e-12,
            )
            col.add(
                label,
                "mgus2",
                "standard errors and bands",
                [*part["std_err"], *part["conf_low"], *part["conf_high"]],
                [*_na_array(r["std_err"][j]), *_na_array(r["lower"][j]), *_na_array(r["upper"][j])],
                1e-10,
            )
    spells = pd.read_csv(HERE / ref["data"]["discrete_spells"])
    label = "Discrete-time hazard (cloglog, logit; FE, spline)"
    glm = f"R {_r_version(ref['r_version'])} glm"
    for key, link, duration, fe in [
        ("cloglog_dummies", "cloglog", "dummies", None),
        ("logit_dummies", "logit", "dummies", None),
        ("cloglog_fe", "cloglog", "dummies", "group"),
        ("cloglog_spline", "cloglog", "spline", None),
    ]:
        r = ref["discrete_hazard"][key]
        fit = mi.discrete_hazard(
            spells,
            unit="id",
            time="duration",
            event="event",
            entry="entry",
            formula_rhs="x1 + x2",
            link=link,
            duration=duration,
            fixed_effects=fe,
            layout="spells",
        )
        names = list(r["coef"])
        ours = [_glm_term(n) for n in names]
        col.add(
            label,
            "simulated spells",
            "coefficients",
            fit.params[ours],
            [r["coef"][n] for n in names],
            1e-8,
            reference=glm,
        )
        col.add(
            label,
            "simulated spells",
            "standard errors (at R's estimate)",
            fit.bse[ours],
            [r["se_at_estimate"]["se"][n] for n in names],
            1e-9,
            reference=glm,
        )
        col.add(
            label,
            "simulated spells",
            "standard errors (R's vcov, one IRLS step behind)",
            fit.bse[ours],
            [r["se"][n] for n in names],
            1e-5,
            reference=glm,
        )
        if "se_crv1_id" in r:
            clustered = fit.with_vcov({"CRV1": "id"})
            col.add(
                label,
                "simulated spells",
                "standard errors (CRV1 by spell)",
                clustered.bse[ours],
                [r["se_crv1_id"]["se"][n] for n in names],
                1e-5,
                reference=f"{glm} + sandwich {ref['packages']['sandwich']}",
            )
    return col.rows()


def _glm_term(name: str) -> str:
    if name.startswith("factor(t)"):
        return f"duration[{name[len('factor(t)') :]}]"
    if name.startswith("factor(group)"):
        return f"C(group)[T.{name[len('factor(group)') :]}]"
    if name.startswith("bs(t, df = 4)"):
        return f"bs(duration)[{name[-1]}]"
    return name


# -- R plm::pgmm on EmplUK ---------------------------------------------------------------------


def plm_pgmm() -> list[Row]:
    from massincidents.dynamic import TooManyInstrumentsWarning

    ref = _load("plm_pgmm.json")
    col = _Collector("plm_pgmm.json", f"R plm {ref['plm']}", "tests/reference/test_plm_pgmm.py")
    data = pd.read_csv(HERE / "data" / "emplUK.csv")
    gaps = data[
        ~(
            ((data.firm <= 10) & (data.year == 1980))
            | ((data.firm >= 20) & (data.firm <= 25) & (data.year == 1982))
        )
    ]
    ab = (
        "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital + lag(log_output, 0:1)"
        " | lag(log_emp, 2:99)"
    )
    bb = (
        "log_emp ~ lag(log_emp, 1) + lag(log_wage, 0:1) + lag(log_capital, 0:1)"
        " | lag(log_emp, 2:99) + lag(log_wage, 2:99) + lag(log_capital, 2:99)"
    )
    std = (
        "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital | lag(log_emp, 2:99)"
        " | lag(log_wage, 0:1) + log_capital"
    )
    trend = (
        "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital + year"
        " | lag(log_emp, 2:99)"
    )
    two = {"effects": "twoways", "steps": 2}
    calls = {
        "ab_onestep": (ab, data, {"effects": "twoways", "steps": 1}),
        "ab_twosteps": (ab, data, two),
        "ab_onestep_individual": (ab, data, {"effects": "individual", "steps": 1}),
        "ab_twosteps_collapse": (ab, data, {**two, "collapse": True}),
        "ab_onestep_collapse": (ab, data, {"effects": "twoways", "steps": 1, "collapse": True}),
        "ab_std_instruments": (std, data, two),
        "ab_gaps": (ab, gaps, two),
        "bb_onestep": (bb, data, {"effects": "twoways", "steps": 1, "system": True}),
        "bb_twosteps": (bb, data, {**two, "system": True}),
        "bb_twosteps_collapse": (bb, data, {**two, "system": True, "collapse": True}),
        "ab_trend_onestep": (trend, data, {"effects": "individual", "steps": 1}),
        "ab_trend_twosteps": (trend, data, {"effects": "individual", "steps": 2}),
    }
    if set(calls) != set(ref["models"]):
        raise AssertionError("plm_pgmm.json models and agreement.py calls differ")
    for name, (formula, d, options) in calls.items():
        r = ref["models"][name]
        label = (
            "Blundell-Bond system GMM" if options.get("system") else "Arellano-Bond difference GMM"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TooManyInstrumentsWarning)
            rob = mi.arellano_bond(formula, d, entity="firm", time="year", robust=True, **options)
            non = mi.arellano_bond(formula, d, entity="firm", time="year", robust=False, **options)
        where = "EmplUK"
        col.add(
            label,
            where,
            "coefficients",
            rob.params,
            _floats(r["coef"], list(rob.params.index)),
            1e-6,
        )
        col.add(
            label,
            where,
            "standard errors (robust, Windmeijer; non-robust)",
            [*rob.bse, *non.bse],
            [
                *_floats(r["se_robust"], list(rob.params.index)),
                *_floats(r["se_nonrobust"], list(rob.params.index)),
            ],
            1e-4,
        )
        stats_ours = [rob.stats[k] for k in ("hansen", "hansen_p", "ar1", "ar2", "ar1_p")]
        stats_ref = [
            float(r[k]) for k in ("sargan", "sargan_p", "ar1_robust", "ar2_robust", "ar1_robust_p")
        ]
        if "sigma2" in r:
            stats_ours += [non.stats[k] for k in ("sigma2", "sargan", "ar1", "ar2")]
            stats_ref += [
                float(r[k])
                for k in ("sigma2", "sargan_classical", "ar1_classical", "ar2_classical")
            ]
        else:
            stats_ours += [non.stats["ar1"], non.stats["ar2"]]
            stats_ref += [float(r["ar1_nonrobust"]), float(r["ar2_nonrobust"])]
        col.add(
            label, where, "statistics (Sargan/Hansen, AR(1), AR(2))", stats_ours, stats_ref, 1e-6
        )
    return col.rows()



# -- ssc conventions: Stata xtreg (frozen output of linearmodels' tests), plm random.method ---

STATA_X = ["x1", "x2", "x3", "x4", "x5"]
STATA_FORMULA = "y ~ x1 + x2 + x3 + x4 + x5"
#: Stata command family -> (estimator label, our call on the data d, Stata names -> ours)
STATA_CALLS: dict[str, tuple[str, Callable[[pd.DataFrame], mi.results.Result]]] = {
    "pooled-conventional": (
        "regress",
        lambda d: mi.linear(STATA_FORMULA, d, vcov="iid", ssc="stata"),
    ),
    "pooled-robust": (
        "regress",
        lambda d: mi.linear(STATA_FORMULA, d, vcov="hetero", ssc="stata"),
    ),
    "pooled-cluster": (
        "regress",
        lambda d: mi.linear(STATA_FORMULA, d, vcov={"CRV1": "firm_id"}, ssc="stata"),
    ),
    "fixed_effect-conventional": (
        "xtreg, fe",
        lambda d: mi.linear(
            f"{STATA_FORMULA} | firm_id", d, vcov="iid", ssc="stata", drop_singletons=False
        ),
    ),
    # xtreg, fe vce(robust) is clustered by the panel variable: the same call
    "fixed_effect-robust": (
        "xtreg, fe",
        lambda d: mi.linear(
            f"{STATA_FORMULA} | firm_id",
            d,
            vcov={"CRV1": "firm_id"},
            ssc="stata",
            drop_singletons=False,
        ),
    ),
    "fixed_effect-cluster": (
        "xtreg, fe",
        lambda d: mi.linear(
            f"{STATA_FORMULA} | firm_id",
            d,
            vcov={"CRV1": "firm_id"},
            ssc="stata",
            drop_singletons=False,
        ),
    ),
    "random_effect-conventional": (
        "xtreg, re",
        lambda d: mi.random_effects(STATA_FORMULA, d, entity="firm_id", ssc="stata"),
    ),
    "random_effect-robust": (
        "xtreg, re",
        lambda d: mi.random_effects(
            STATA_FORMULA, d, entity="firm_id", vcov={"CRV1": "firm_id"}, ssc="stata"
        ),
    ),
    "random_effect-cluster": (
        "xtreg, re",
        lambda d: mi.random_effects(
            STATA_FORMULA, d, entity="firm_id", vcov={"CRV1": "firm_id"}, ssc="stata"
        ),
    ),
    "between-conventional": (
        "xtreg, be",
        lambda d: mi.between(STATA_FORMULA, d, entity="firm_id", ssc="stata"),
    ),
}
STATA_PANELS = {"balanced": "", "light": "_light", "heavy": "_heavy"}


@cache
def stata_panel(label: str) -> pd.DataFrame:
    """linearmodels' simulated panel as Stata read it: ``balanced``, ``light``, ``heavy``.

    The unbalanced variants drop the rows with a missing value in any of their own
    columns (Stata's listwise deletion), leaving firms with one to three years.
    """
    raw = pd.read_csv(
        HERE / "data" / "stata_xtreg_simulated.csv.gz", float_precision="round_trip"
    )
    suffix = STATA_PANELS[label]
    d = raw[["firm_id", "year"]].copy()
    for v in ["y", *STATA_X]:
        d[v] = raw[v + suffix]
    return d.dropna().reset_index(drop=True)


def stata_xtreg_case(case: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Ours and Stata's numbers of one case (``"fixed_effect-robust/heavy"``), by quantity."""
    ref = _load("stata_xtreg_simulated.json")["cases"][case]
    command, panel = case.split("/")
    fit = STATA_CALLS[command][1](stata_panel(panel))
    stata_names = [n for n in ref["coef"] if n != "_cons" or "Intercept" in fit.params.index]
    ours_names = ["Intercept" if n == "_cons" else n for n in stata_names]
    vnames = ref["vcov"]["names"]
    V = pd.DataFrame(ref["vcov"]["matrix"], index=vnames, columns=vnames)
    out = {
        "coefficients": (
            fit.params[ours_names].to_numpy(),
            np.array([ref["coef"][n] for n in stata_names]),
        ),
        "standard errors": (
            fit.bse[ours_names].to_numpy(),
            np.sqrt(np.diag(V.loc[stata_names, stata_names].to_numpy())),
        ),
    }
    scalars = ref["scalars"]
    if command.startswith("between"):  # e(N) counts rows, e(N_g) units (our nobs)
        counts = ([fit.stats["n_rows"], fit.nobs], [scalars["N"], scalars["N_g"]])
    elif command.startswith("random_effect"):
        counts = ([fit.nobs, fit.stats["n_units"]], [scalars["N"], scalars["N_g"]])
    else:
        counts = ([fit.nobs], [scalars["N"]])
    out["observations and units"] = (np.array(counts[0]), np.array(counts[1]))
    if command.startswith("random_effect"):
        out["variance components"] = (
            np.sqrt([fit.stats["sigma2_idios"], fit.stats["sigma2_id"]]),
            np.array([ref["scalars"]["sigma_e"], ref["scalars"]["sigma_u"]]),
        )
    return out


def stata_xtreg_simulated() -> list[Row]:
    ref = _load("stata_xtreg_simulated.json")
    col = _Collector(
        "stata_xtreg_simulated.json",
        "Stata 13 (output frozen in linearmodels' tests)",
        "tests/reference/test_stata_xtreg.py",
    )
    for case in ref["cases"]:
        command = case.split("/")[0]
        label = f"{STATA_CALLS[command][0]}, ssc=\"stata\""
        data = "simulated 1,000 x 3 panel, balanced and unbalanced"
        for quantity, (ours, theirs) in stata_xtreg_case(case).items():
            tol = 1e-6 if quantity != "observations and units" else 1e-12
            if quantity == "standard errors":
                quantity = "standard errors (conventional, robust, cluster)"
            col.add(label, data, quantity, ours, theirs, tol)
    return col.rows()


PLM_RE_FILES = {
    "balanced": "grunfeld.csv",
    "unbalanced": "grunfeld_unbalanced.csv",
    "gaps": "grunfeld_gaps.csv",
}


def plm_random_methods_case(key: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Ours and plm's numbers of one fit (``"gaps/amemiya"``), by quantity."""
    r = _load("plm_random_methods.json")["fits"][key]
    panel, method = key.split("/")
    data = pd.read_csv(HERE / "data" / PLM_RE_FILES[panel], float_precision="round_trip")
    fit = mi.random_effects("inv ~ value + capital", data, entity="firm", random_method=method)
    names = list(r["coef"])
    return {
        "coefficients": (fit.params[names].to_numpy(), _floats(r["coef"], names)),
        "standard errors (iid)": (fit.bse[names].to_numpy(), _floats(r["se"], names)),
        "variance components and theta": (
            np.array(
                [fit.stats["sigma2_idios"], fit.stats["sigma2_id"], *fit.extra["theta"].to_numpy()]
            ),
            np.array(
                [float(r["sigma2_idios"]), float(r["sigma2_id"]), *map(float, r["theta_by_firm"])]
            ),
        ),
    }


def plm_random_methods() -> list[Row]:
    ref = _load("plm_random_methods.json")
    col = _Collector(
        "plm_random_methods.json",
        f"R plm {ref['packages']['plm']}",
        "tests/reference/test_plm_random_methods.py",
    )
    for key in ref["fits"]:
        method = key.split("/")[1]
        label = f"Random effects, random_method={method!r}"
        for quantity, (ours, theirs) in plm_random_methods_case(key).items():
            tol = 1e-4 if quantity.startswith("standard errors") else 1e-6
            col.add(label, "Grunfeld, balanced, unbalanced, with gaps", quantity, ours, theirs, tol)
    return col.rows()



def stata_grunfeld_case(case: str, ssc: str = "stata") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Ours and Stata's numbers of one statsmodels-frozen Grunfeld case, by quantity."""
    c = _load("stata_grunfeld_clusters.json")["cases"][case]
    data = pd.read_csv(HERE / "data" / "grunfeld.csv", float_precision="round_trip")
    fit = mi.linear("inv ~ value + capital", data, vcov=c["ours_vcov"], ssc=ssc)
    return {
        "coefficients": (fit.params[c["names"]].to_numpy(), np.array(c["coef"])),
        "standard errors": (fit.bse[c["names"]].to_numpy(), np.array(c["se"])),
    }


def stata_grunfeld_clusters() -> list[Row]:
    ref = _load("stata_grunfeld_clusters.json")
    col = _Collector(
        "stata_grunfeld_clusters.json",
        "Stata regress, ivreg2, xtscc (output frozen in statsmodels' tests)",
        "tests/reference/test_stata_grunfeld.py",
    )
    for case in ref["cases"]:
        for quantity, (ours, theirs) in stata_grunfeld_case(case).items():
            if quantity == "standard errors":
                quantity = "standard errors (CRV1, CRV0 one- and two-way, Driscoll-Kraay)"
            col.add(
                'OLS, ssc="stata"',
                "Grunfeld (Stata's single-precision copy)",
                quantity,
                ours,
                theirs,
                1e-6,
            )
    return col.rows()

# -- Stata output frozen by statsmodels: poisson, nbreg, zinb (oim, robust, cluster) ------------

STATA_TEST = "tests/counts/test_stata_reference.py"
_SHIPS_FORMULA = "accident ~ yr_con + op_75_79"
_DOCVIS_X = "private + medicaid + aget + aget2 + educyr + actlim + totchr"
_STATA_VCOV = {"oim": "iid", "robust": "hetero", "cluster": {"CRV1": "ship"}}
ZINB_NOTE = "1e-6 rel. + 5e-3 SE (Stata stopped short of the maximum)"


def stata_model(name: str, entry: dict, data: pd.DataFrame):
    """Our fit of one frozen Stata run (``ssc="stata"``), and its terms in Stata's order.

    Returns ``fit, ours, ref`` where ``ours`` and ``ref`` are the coefficients and standard
    errors (with ln(alpha) last for nbreg) in Stata's row order.
    """
    exposure = "service" if "exposure(service)" in entry["cmdline"] else None
    vcov = _STATA_VCOV[entry["vce"]]
    if name.startswith("poisson"):
        fit = mi.poisson(_SHIPS_FORMULA, data, exposure=exposure, vcov=vcov, ssc="stata")
    else:
        formula = _SHIPS_FORMULA if "accident" in entry["cmdline"] else f"docvis ~ {_DOCVIS_X}"
        fit = mi.negbin(formula, data, exposure=exposure, vcov=vcov, ssc="stata")
    terms = [t for t in entry["rownames"] if t not in ("_cons", "alpha")]
    order = [*terms, "Intercept"]
    b = [*fit.params[order]]
    se = [*fit.bse[order]]
    k = len(order)
    if name.startswith("nbreg"):
        b.append(fit.stats["lnalpha"])
        se.append(fit.stats["lnalpha_se"])
        k += 1
    return fit, (np.array(b), np.array(se)), (np.array(entry["b"][:k]), np.array(entry["se"][:k]))


def zinb_docvis(entry: dict, data: pd.DataFrame):
    """ZINB on docvis: our fit, and our log-likelihood and OIM standard errors at Stata's estimates.

    Stata's ``zinb`` stopped where the flat inflation equation still had a gradient (our
    maximum has a higher log-likelihood); evaluated at Stata's own estimates, the likelihood
    and the observed information are those Stata reports.
    """
    from massincidents.core.least_squares import inverse_symmetric
    from massincidents.counts.zero_inflated import zi_loglik

    fit = mi.zero_inflated(
        f"docvis ~ {_DOCVIS_X}", data, inflate="~ aget", dist="negbin", ssc="stata"
    )
    xs = _DOCVIS_X.split(" + ")
    b = np.array(entry["b"])
    se = np.array(entry["se"])
    # Stata: count (7 regressors, _cons), inflate (aget, _cons), lnalpha
    stata_params = np.concatenate([[b[7]], b[:7], [b[9], b[8]], [-b[10]]])
    stata_se = np.concatenate([[se[7]], se[:7], [se[9], se[8]], [se[10]]])
    X = np.column_stack([np.ones(len(data)), data[xs].to_numpy(float)])
    Z = np.column_stack([np.ones(len(data)), data["aget"].to_numpy(float)])
    y = data["docvis"].to_numpy(float)
    ll, _, hess, _ = zi_loglik(stata_params, y, X, Z, np.zeros(len(y)), True)
    se_at_stata = np.sqrt(np.diag(inverse_symmetric(-hess)))
    ours = np.concatenate([fit.params.to_numpy(), [fit.stats["log_theta"]]])
    ours_se = np.concatenate([fit.bse.to_numpy(), [fit.stats["log_theta_se"]]])
    return fit, ll, se_at_stata, (ours, ours_se), (stata_params, stata_se)


def stata_counts() -> list[Row]:
    ref = _load("stata_counts.json")
    src = f"Stata (frozen in {ref['repository']}@{ref['commit'][:7]} tests)"
    col = _Collector("stata_counts.json", src, STATA_TEST)
    ships = pd.read_csv(HERE / "data" / "ships.csv").dropna()
    docvis = pd.read_csv(HERE / "data" / "docvis.csv")
    for name, entry in ref["ships"].items():
        _, (b, se), (rb, rse) = stata_model(name, entry, ships)
        label = "Poisson (Stata poisson)" if name.startswith("poisson") else "NB2 (Stata nbreg)"
        col.add(label, "ships", "coefficients", b, rb, 1e-6)
        col.add(label, "ships", "standard errors (oim, robust, cluster)", se, rse, 1e-6)
        col.add(label, "ships", "log-likelihood", [_ll(name, entry, ships)], [entry["ll"]], 1e-9)
    entry = ref["docvis"]["nbreg_oim"]
    fit, (b, se), (rb, rse) = stata_model("nbreg_oim", entry, docvis)
    col.add("NB2 (Stata nbreg)", "docvis", "coefficients", b, rb, 1e-6)
    col.add("NB2 (Stata nbreg)", "docvis", "standard errors (oim, robust, cluster)", se, rse, 1e-6)
    col.add(
        "NB2 (Stata nbreg)", "docvis", "log-likelihood", [fit.stats["loglik"]], [entry["ll"]], 1e-9
    )
    entry = ref["docvis"]["zinb_oim"]
    fit, ll, se_at, (b, _), (rb, rse) = zinb_docvis(entry, docvis)
    label = "ZINB (Stata zinb)"
    diff = np.abs(b - rb)
    col.add(
        label,
        "docvis",
        "coefficients",
        b,
        rb,
        1e-6,
        note=ZINB_NOTE,
        share=float(np.max(diff / (1e-6 * np.abs(rb) + 5e-3 * rse))),
    )
    col.add(label, "docvis", "standard errors (oim, at Stata's estimates)", se_at, rse, 1e-6)
    col.add(label, "docvis", "log-likelihood (at Stata's estimates)", [ll], [entry["ll"]], 1e-12)
    cpunish = pd.read_csv(HERE / "data" / "cpunish.csv")
    for name, entry in ref["cpunish"].items():
        fit, ame = stata_margins(name, entry, cpunish)
        label = "Average marginal effects (Stata margins after " + name.split("_")[0] + ")"
        ours, theirs = ame["estimate"].to_numpy(), np.array(entry["dydx"])
        se = np.array(entry["se"])
        share = float(np.max(np.abs(ours - theirs) / (1e-6 * np.abs(theirs) + 1e-6 * se)))
        col.add(
            label, "cpunish", "coefficients", ours, theirs, 1e-6, note=MARGINS_NOTE, share=share
        )
        col.add(label, "cpunish", "standard errors (delta method, oim)", ame["std_error"], se, 1e-6)
        col.add(label, "cpunish", "log-likelihood", [fit.stats["loglik"]], [entry["ll"]], 1e-7)
    return col.rows()


# The cpunish data Stata ran on differ from statsmodels' reconstruction at about 1e-7 (the
# Poisson log-likelihood, whose maximum is unique, differs by 5e-8 relative): the margins
# agree to 1e-6 relative (SEs) and 1e-6 relative + 1e-6 SE (effects), not to machine precision.
MARGINS_NOTE = "1e-6 rel. + 1e-6 SE (data differ at 1e-7)"
_CPUNISH = "sexecutions ~ sincome + sperpoverty + sperblack + LN_VC100k96 + south + sdegree"


def stata_margins(name: str, entry: dict, data: pd.DataFrame):
    """Our average marginal effects (``ssc="stata"`` variance) for one frozen Stata margins run."""
    if name.startswith("poisson"):
        fit = mi.poisson(_CPUNISH, data, vcov="iid", ssc="stata")
    else:
        fit = mi.negbin(_CPUNISH, data, ssc="stata")
    ame = mi.marginal_effects(fit, data).set_index("term").loc[entry["terms"]]
    return fit, ame


def _ll(name: str, entry: dict, data: pd.DataFrame) -> float:
    return float(stata_model(name, entry, data)[0].stats["loglik"])


# -- pyfixest with fixest's i() -----------------------------------------------------------------


def pyfixest_i() -> list[Row]:
    """feols/fepois with ``i()`` on the simulated event panel (tests/core/test_interactions.py)."""
    ref = _load("pyfixest_i.json")
    cases = ref["cases"]
    version = f"pyfixest {ref['packages']['pyfixest']}"
    col = _Collector("pyfixest_i.json", version, "tests/core/test_interactions.py")
    panel = pd.read_csv(HERE / "data" / "event_panel.csv")
    formulas = {
        "fe_ref": "y ~ i(rel, ref=-1) | unit + year",
        "fe_group": "y ~ i(rel, treat, ref=-1) + x | unit + year",
        "fe_default_ref": "y ~ i(rel) + x | unit + year",
        "fe_slopes": "y ~ i(rel, x) | unit + year",
        "fe_treatment_contrast": "y ~ C(rel, Treatment(-1)) + x | unit + year",
        "fe_missing_values": "y ~ i(rel_gaps, ref=-1) + x | unit + year",
        "no_fe_ref": "y ~ i(rel, ref=-1) + x",
        "no_fe_group": "y ~ i(rel, treat, ref=-1) + x",
    }
    for name, formula in formulas.items():
        case = cases[name]
        fit = mi.linear(formula, panel, vcov={"CRV0": "unit"})
        names = list(case["coef"])
        col.add("OLS with i() (feols)", "event panel", "coefficients", fit.params[names],
                _floats(case["coef"], names), 1e-8)
        col.add("OLS with i() (feols)", "event panel", "standard errors (CRV0)",
                fit.bse[names], _floats(case["se_crv0"], names), 1e-8)
    case = cases["poisson_fe_ref"]
    fit = mi.poisson("count ~ i(rel, ref=-1) + x | unit + year", panel, vcov={"CRV1": "unit"})
    names = list(case["coef"])
    col.add("Poisson with i() (fepois)", "event panel", "coefficients", fit.params[names],
            _floats(case["coef"], names), 1e-6)
    col.add("Poisson with i() (fepois)", "event panel", "standard errors (CRV1, G/(G-1))",
            fit.bse[names], _floats(case["se_g_adj_only"], names), 1e-6)
    return col.rows()


# -- Stata xtabond / xtabond2 output published by others (abdata) ------------------------------


def _abdata() -> pd.DataFrame:
    """Stata's abdata rebuilt from emplUK.csv (see stata_xtabond.md)."""
    d = pd.read_csv(HERE / "data" / "emplUK.csv")

    def as_float32(values):
        return np.asarray(values, dtype=np.float32).astype(float)

    out = pd.DataFrame({"id": d["firm"], "year": d["year"]})
    for name, column in [
        ("n", "log_emp"),
        ("w", "log_wage"),
        ("k", "log_capital"),
        ("ys", "log_output"),
    ]:
        out[name] = as_float32(np.log(as_float32(np.exp(d[column].to_numpy()))))
    for year in range(1980, 1985):
        out[f"yr{year}"] = (out["year"] == year).astype(float)
    return out


def _half_unit(printed: str) -> float:
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return 0.5 * 10.0**-decimals


def stata_xtabond() -> list[Row]:
    """mi.arellano_bond(ssc="stata") against published Stata output, to printed precision."""
    ref = _load("stata_xtabond.json")
    col = _Collector(
        "stata_xtabond.json",
        "Stata xtabond / xtabond2 (published output)",
        "tests/reference/test_stata_xtabond.py",
    )
    data = _abdata()
    note = "to printed precision (half a unit of the last printed digit)"
    for model in ref["models"].values():
        options = dict(model["ours"])
        formula = options.pop("formula")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = mi.arellano_bond(formula, data, entity="id", time="year", **options)
        label = (
            "Blundell-Bond system GMM" if options.get("system") else "Arellano-Bond difference GMM"
        )
        where = "abdata"
        factor = 1.0
        if "se_small" in model:  # xtabond2's small (see the JSON)
            g, n_obs, k = model["n_groups"], model["nobs_small"], model["small_K"]
            factor = float(np.sqrt(g / (g - 1) * n_obs / (n_obs - k)))
        groups = {
            "coefficients": [(r.params[t], v) for t, v in model["coef"].items()],
            "standard errors": [
                (r.bse[t] * factor, v) for t, v in model.get("se", model.get("se_small")).items()
            ],
            "statistics (Sargan/Hansen, AR(1), AR(2))": [
                (r.stats[key], model[key])
                for key in ("sargan", "sargan_xtabond2", "hansen", "ar1", "ar2")
                if key in model
            ],
        }
        for quantity, pairs in groups.items():
            if not pairs:
                continue
            ours = np.array([p[0] for p in pairs], dtype=float)
            printed = [p[1] for p in pairs]
            values = np.array([float(v) for v in printed])
            share = max(
                abs(o - v) / _half_unit(p) for o, v, p in zip(ours, values, printed, strict=True)
            )
            col.add(label, where, quantity, ours, values, 1e-6, note=note, share=share)
    return col.rows()


# -- the table ----------------------------------------------------------------------------------

#: one function per reference file of this folder
def predict_survival() -> list[Row]:
    ref = _load("predict_survival.json")
    col = _Collector(
        "predict_survival.json",
        f"R survival {ref['packages']['survival']}",
        "tests/results/test_result.py",
    )
    lung = pd.read_csv(HERE / "data" / "lung.csv").rename(columns={"ph.ecog": "ph_ecog"})
    lung = lung.dropna(subset=["ph_ecog"])
    new = pd.DataFrame(ref["newdata"])
    rhs = "age + sex + ph_ecog"
    aft = mi.weibull(rhs, lung, duration="time", event="event")
    label = "Result.predict, Weibull AFT (predict.survreg)"
    col.add(label, "lung", "coefficients", aft.params, ref["weibull"]["coef"], 1e-6)
    lp, response = ref["weibull"]["lp"], ref["weibull"]["response"]
    col.add(label, "lung", "predictions (lp)", aft.predict(new, type="link"), lp, 1e-6)
    col.add(label, "lung", "predictions (response)", aft.predict(new), response, 1e-6)
    cox = mi.cox(rhs, lung, stop="time", event="event", ties="efron")
    label = "Result.predict, Cox (predict.coxph, reference='zero')"
    col.add(label, "lung", "coefficients", cox.params, ref["cox"]["coef"], 1e-6)
    col.add(label, "lung", "predictions (risk)", cox.predict(new), ref["cox"]["risk"], 1e-6)
    return col.rows()


def _area_module(area: str):
    """``tests/reference/agreement_AREA.py``, loaded by file path (``tests`` is not a package)."""
    import importlib.util
    import sys

    name = f"massincidents_reference_agreement_{area}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / f"agreement_{area}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_multtest = _area_module("multtest")
_iv = _area_module("iv")  # instrumental variables (issue 15)
_jackknife = _area_module("jackknife")  # cluster jackknife and influence (issue 15)
_gmm = _area_module("gmm")  # dynamic GMM, more instruments than groups (issue 19)
_honestdid = _area_module("honestdid")  # HonestDiD (issue 15)

REFERENCE_SETS: dict[str, Callable[[], list[Row]]] = {
    "plm_grunfeld.json": plm_grunfeld,
    "sandwich_petersen.json": sandwich_petersen,
    "plm_pgmm.json": plm_pgmm,
    "counts_reference.json": counts_reference,
    "survival_cox.json": survival_cox,
    "survival_parametric.json": survival_parametric,
    # ssc conventions (issue 13)
    "stata_xtreg_simulated.json": stata_xtreg_simulated,
    "plm_random_methods.json": plm_random_methods,
    "stata_grunfeld_clusters.json": stata_grunfeld_clusters,
    "stata_counts.json": stata_counts,
    "pyfixest_i.json": pyfixest_i,
    "stata_xtabond.json": stata_xtabond,
    "predict_survival.json": predict_survival,
    # multiple testing (issue 15)
    "multtest_pyfixest.json": _multtest.multtest_pyfixest,
    "multtest_stata_rwolf.json": _multtest.multtest_stata_rwolf,
    "multtest_padjust.json": _multtest.multtest_padjust,
    # instrumental variables (issue 15)
    "iv_aer.json": _iv.iv_aer,
    "iv_linearmodels.json": _iv.iv_linearmodels,
    "iv_stata_ivregress.json": _iv.iv_stata_ivregress,
    "iv_stata_ivreg2.json": _iv.iv_stata_ivreg2,
    "iv_pyfixest.json": _iv.iv_pyfixest,
    # cluster jackknife and influence (issue 15)
    "jackknife_sandwich.json": _jackknife.jackknife_sandwich,
    "jackknife_influence.json": _jackknife.jackknife_influence,
    "jackknife_summclust.json": _jackknife.jackknife_summclust,
    # dynamic GMM (issue 19)
    "plm_pgmm_few_groups.json": _gmm.plm_pgmm_few_groups,
    # HonestDiD (issue 15)
    "honestdid_readme.json": _honestdid.honestdid_readme,
    "honestdid_pypi.json": _honestdid.honestdid_pypi,
    "stata_honestdid.json": _honestdid.stata_honestdid,
}


def reference_origin(name: str) -> tuple[str, str]:
    """Who produced a reference file and with which versions, as two short texts.

    R files record their R and package versions; Python-made files (pyfixest) their
    packages; frozen third-party output (Stata) a ``producer`` and a ``source``
    (repository + path + commit, or publication + table).
    """
    ref = _load(name)
    if "producer" in ref:
        return str(ref["producer"]), str(ref.get("source", ""))
    if "python" in ref and "packages" in ref:
        packages = ", ".join(f"{k} {v}" for k, v in ref["packages"].items())
        return f"Python {ref['python']}", packages
    r_version, packages = reference_versions(name)
    return f"R {r_version}", ", ".join(f"{k} {v}" for k, v in packages.items())


def reference_versions(name: str) -> tuple[str, dict[str, str]]:
    """The R version and the R package versions a reference file records (jsonlite left out)."""
    ref = _load(name)
    meta = ref.get("versions") or ref.get("packages") or {}
    if isinstance(ref.get("plm"), str):  # plm_pgmm.json keeps its versions at the top level
        meta = {"plm": ref["plm"]}
    r = ref.get("r_version") or ref.get("R") or meta.get("R")
    packages = {k: v for k, v in meta.items() if k not in ("R", "jsonlite")}
    return _r_version(r), packages


def reference_files() -> list[str]:
    """Every reference file stored in this folder."""
    return sorted(p.name for p in HERE.glob("*.json"))


@cache
def _rows_and_timing() -> tuple[tuple[Row, ...], dict[str, float]]:
    rows: list[Row] = []
    seconds = {}
    for name, func in REFERENCE_SETS.items():
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            # the reference data have the clusters they have (Grunfeld: 10 firms)
            warnings.simplefilter("ignore", mi.FewClustersWarning)
            rows += func()
        seconds[name] = time.perf_counter() - t0
    return tuple(rows), seconds


def agreement_rows() -> list[Row]:
    """Every row of every reference set (computed once per process)."""
    return list(_rows_and_timing()[0])


def seconds_by_reference() -> dict[str, float]:
    """Seconds each reference set took to refit (first call)."""
    return dict(_rows_and_timing()[1])


def agreement_table() -> pd.DataFrame:
    """The rows as a DataFrame, with a ``within`` column (the test's verdict)."""
    rows = agreement_rows()
    df = pd.DataFrame([asdict(r) for r in rows])
    df["within"] = [r.within for r in rows]
    return df
