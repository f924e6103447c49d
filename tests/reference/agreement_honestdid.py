"""HonestDiD (Rambachan and Roth) against the R package's README and the PyPI port `honestdid`.

``honestdid_readme.json`` (made by ``honestdid_readme.R`` from the knitr cache committed with
the README of asheshrambachan/HonestDiD) holds, in full precision, the README's confidence
sets: relative magnitudes (C-LF) and smoothness (FLCI) for the Medicaid TWFE event study, the
average effect, Sun-Abraham (fixest) and Callaway-Sant'Anna (did, universal base period).
The TWFE coefficients are refitted here from the README's data (``data/ehec_data.csv``) and
the Callaway-Sant'Anna event study re-estimated with :func:`massincidents.staggered_did`;
Sun-Abraham's sets use fixest's coefficients and variance as stored; ``sun_abraham`` itself
is checked against them with ``ssc="fixest"`` (its default, ``ssc="R"``, leaves the constant
the unit effects absorb out of :math:`K`: a variance 485/486 of fixest's on these data).

``honestdid_pypi.json`` (made by ``honestdid_pypi.py``) freezes `honestdid` 0.1.1, a port of
the CRAN code: zero-centred grid, numpy's random draws instead of R's. On these inputs its
C-LF sets are the same grid points as ours with ``grid="zero"`` (its least-favourable
critical value, from other draws, moves no grid point of 100); its FLCI simulates the
folded-normal quantile with numpy's 10^6 draws, so it differs from our exact quantile by
that Monte Carlo error, about 1e-3 of the half-length.

``stata_honestdid.json`` holds the tables the README of the Stata package prints (three
decimals) for the same TWFE event study: the FLCI and the original intervals agree to the
printed digits; its C-LF bounds come from Halton draws for the least-favourable critical
value and sit within a few grid points of R's (and ours).

Imported by file path, by ``agreement.py`` and by ``tests/did/test_honest.py``.
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
from massincidents.did.honest import GridEndWarning, honest_did_from_estimates

HERE = Path(__file__).resolve().parent
TEST = "tests/did/test_honest.py"
README = "honestdid_readme.json"
PYPI = "honestdid_pypi.json"
README_REF = "R HonestDiD 0.2.6 (README, grid of branch issue_grid)"
PYPI_REF = "honestdid 0.1.1 (PyPI)"


def _agreement():
    name = "massincidents_reference_agreement"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "agreement.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def load(name: str) -> dict:
    return _agreement()._load(name)


def ehec() -> pd.DataFrame:
    """The README's Medicaid-expansion panel (states, 2008-2019)."""
    return pd.read_csv(HERE / "data" / "ehec_data.csv")


YEARS = [2008, 2009, 2010, 2011, 2012, 2014, 2015]


def twfe_inputs(with_control: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The README's TWFE event study (fixest ``i(year, D, ref = 2013)``, clustered by state).

    ``with_control``: the README's regression with its simulated control, whose coefficients
    are stored (to check that our fit is fixest's); the control itself is not in the data.
    """
    df = ehec()
    df = df[(df["year"] < 2016) & (df["yexp2"].isna() | (df["yexp2"] != 2015))].copy()
    treated = (df["yexp2"] == 2014).astype(float)
    terms = [f"y{y}" for y in YEARS]
    for y, term in zip(YEARS, terms, strict=True):
        df[term] = ((df["year"] == y) * treated).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        fit = mi.linear(
            "dins ~ " + " + ".join(terms) + " | stfips + year",
            df,
            vcov={"CRV1": "stfips"},
            ssc="fixest",
        )
    return fit.params[terms].to_numpy(), fit.vcov.loc[terms, terms].to_numpy()


def sun_abraham_fit():
    """fixest ``sunab(yexp2, year) | stfips + year``, clustered by state, as the README's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.FewClustersWarning)
        return mi.sun_abraham(
            ehec(), outcome="dins", unit="stfips", time="year", cohort="yexp2",
            vcov={"CRV1": "stfips"}, ssc="fixest",
        )


def cs_aggregation():
    """did::att_gt(base_period = "universal", control_group = "notyettreated"), dynamic."""
    df = ehec()
    df["yexp2"] = df["yexp2"].fillna(0)
    res = mi.staggered_did(
        df,
        outcome="dins",
        unit="stfips",
        time="year",
        cohort="yexp2",
        control_group="notyet",
        base_period="universal",
        bootstrap=False,
    )
    return res.aggregate("dynamic")


def _bounds(rows: list[dict], key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frame = pd.DataFrame(rows)
    return frame[key].to_numpy(float), frame["lb"].to_numpy(float), frame["ub"].to_numpy(float)


@cache
def readme_comparisons() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Our numbers and the README's, keyed by comparison (lb and ub stacked)."""
    ref = load(README)
    b, v = twfe_inputs()
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    mbar, lb, ub = _bounds(ref["rm"], "Mbar")
    ours = honest_did_from_estimates(b, v, num_pre=5, values=mbar, breakdown=False)
    out["rm"] = (ours.robust[["lb", "ub"]].to_numpy().ravel(), np.c_[lb, ub].ravel())

    mbar, lb, ub = _bounds(ref["rm_average"], "Mbar")
    ours = honest_did_from_estimates(
        b, v, num_pre=5, values=mbar, target=[0.5, 0.5], breakdown=False
    )
    out["rm_average"] = (ours.robust[["lb", "ub"]].to_numpy().ravel(), np.c_[lb, ub].ravel())
    orig = ref["original_average"][0]
    out["original_average"] = (
        ours.original[["lb", "ub"]].to_numpy().ravel(),
        np.array([orig["lb"], orig["ub"]]),
    )

    m, lb, ub = _bounds(ref["sd"], "M")
    ours = honest_did_from_estimates(
        b, v, num_pre=5, method="smoothness", values=m, folded_normal="simulated",
        breakdown=False,
    )
    got = ours.robust[["lb", "ub"]].to_numpy()
    out["sd"] = (got[1:].ravel(), np.c_[lb, ub][1:].ravel())
    out["sd_m0"] = (got[0], np.array([lb[0], ub[0]]))

    s = ref["sunab"]
    sa = sun_abraham_fit()
    terms = [f"rel_time::{e}" for e in s["event_times"]]
    out["sunab_att"] = (sa.params[terms].to_numpy(), np.array(s["beta"]))
    out["sunab_vcov"] = (sa.vcov.loc[terms, terms].to_numpy().ravel(),
                         np.array(s["sigma"]).ravel())
    ours = honest_did_from_estimates(
        np.array(s["beta"]), np.array(s["sigma"]), num_pre=10,
        values=_bounds(s["robust"], "Mbar")[0], grid_points=100, breakdown=False,
    )
    _, lb, ub = _bounds(s["robust"], "Mbar")
    out["sunab"] = (ours.robust[["lb", "ub"]].to_numpy().ravel(), np.c_[lb, ub].ravel())
    o = s["original"][0]
    out["sunab_original"] = (ours.original[["lb", "ub"]].to_numpy().ravel(),
                             np.array([o["lb"], o["ub"]]))

    cs = ref["cs"]
    agg = cs_aggregation()
    times = np.array(cs["event_times"])
    est = agg.estimates.set_index("event_time")
    out["cs_att"] = (est.loc[times, "att"].to_numpy(), np.array(cs["att"]))
    keep = times != -1
    vcov = agg.vcov.loc[times[keep], times[keep]].to_numpy().ravel()
    out["cs_vcov"] = (vcov, np.array(cs["vcov"])[np.ix_(keep, keep)].ravel())
    mbar, lb, ub = _bounds(cs["robust"], "Mbar")
    ours = mi.honest_did(agg, mbar=list(mbar), window=(-5, 5), grid_points=100, breakdown=False)
    out["cs"] = (ours.robust[["lb", "ub"]].to_numpy().ravel(), np.c_[lb, ub].ravel())
    o = cs["original"][0]
    out["cs_original"] = (ours.original[["lb", "ub"]].to_numpy().ravel(),
                          np.array([o["lb"], o["ub"]]))

    # older renders, with CRAN's grid [-20 sd, 20 sd]
    cran = ref["cran_grid"]
    mbar, lb, ub = _bounds(cran["rm"], "Mbar")
    ours = honest_did_from_estimates(b, v, num_pre=5, values=mbar, grid="zero", breakdown=False)
    out["cran_rm"] = (ours.robust[["lb", "ub"]].to_numpy().ravel(), np.c_[lb, ub].ravel())
    mbar, lb, ub = _bounds(cran["cs"], "Mbar")
    ours = mi.honest_did(agg, mbar=list(mbar), window=(-5, 5), grid_points=100, grid="zero",
                         breakdown=False)
    out["cran_cs"] = (ours.robust[["lb", "ub"]].to_numpy().ravel(), np.c_[lb, ub].ravel())
    return out


def printed_digits(ours: np.ndarray, printed: np.ndarray) -> np.ndarray:
    """Whether each of ours, rounded to three significant digits, prints as the README."""
    ours = np.asarray(ours, dtype=float)
    printed = np.asarray(printed, dtype=float)
    return np.array([float(f"{o:.3g}") == p for o, p in zip(ours, printed, strict=True)])


@cache
def readme_printed() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Our FLCI (exact and R's simulated quantile) and C-LF sets against README's printed tables."""
    ref = load(README)["printed"]
    b, v = twfe_inputs()
    out = {}
    rm = pd.DataFrame(ref["rm"])
    ours = honest_did_from_estimates(b, v, num_pre=5, values=rm["Mbar"], breakdown=False)
    out["rm"] = (ours.robust[["lb", "ub"]].to_numpy().ravel(), rm[["lb", "ub"]].to_numpy().ravel())
    controls = load(README)["controls"]
    for key, (bb, vv) in {
        "sd": (b, v),
        "sd_controls": (np.array(controls["betahat"]), np.array(controls["sigma"])),
    }.items():
        sd = pd.DataFrame(ref[key])
        for how in ("exact", "simulated"):
            ours = honest_did_from_estimates(
                bb, vv, num_pre=5, method="smoothness", values=sd["M"],
                folded_normal=how, breakdown=False,
            )
            out[f"{key}_{how}"] = (
                ours.robust[["lb", "ub"]].to_numpy().ravel(),
                sd[["lb", "ub"]].to_numpy().ravel(),
            )
    return out


@cache
def pypi_comparisons() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """Ours (CRAN grid) and honestdid's; for the FLCI also its half-lengths."""
    ref = load(PYPI)
    readme = load(README)
    inputs = {
        "twfe_controls": (np.array(readme["controls"]["betahat"]),
                          np.array(readme["controls"]["sigma"])),
        "twfe_controls_first_post": (np.array(readme["controls"]["betahat"])[:6],
                                     np.array(readme["controls"]["sigma"])[:6, :6]),
        "sunab": (np.array(readme["sunab"]["beta"]), np.array(readme["sunab"]["sigma"])),
    }
    cs = readme["cs"]
    keep = np.array(cs["event_times"]) != -1
    inputs["cs"] = (np.array(cs["att"])[keep], np.array(cs["vcov"])[np.ix_(keep, keep)])
    out = {}
    for name, entry in ref["results"].items():
        b, v = inputs[name]
        n_pre = entry["num_pre"]
        mbar, lb, ub = _bounds(entry["rm"], "Mbar")
        with warnings.catch_warnings():
            # the zero-centred grid cuts the Sun-Abraham sets at Mbar >= 1.5, as in the port
            warnings.simplefilter("ignore", GridEndWarning)
            ours = honest_did_from_estimates(
                b, v, num_pre=n_pre, values=mbar, grid_points=100, grid="zero", breakdown=False
            )
        out[f"{name}_rm"] = (ours.robust[["lb", "ub"]].to_numpy().ravel(),
                             np.c_[lb, ub].ravel(), None)
        if "sd" in entry:
            m, lb, ub = _bounds(entry["sd"], "M")
            ours = honest_did_from_estimates(
                b, v, num_pre=n_pre, method="smoothness", values=m, breakdown=False
            )
            out[f"{name}_sd"] = (ours.robust[["lb", "ub"]].to_numpy().ravel(),
                                 np.c_[lb, ub].ravel(), np.repeat((ub - lb) / 2, 2))
    return out


# tolerances of the tests (relative unless noted)
TOL_GRID = 1e-9  # C-LF sets: the same grid points as R
TOL_FLCI = 1e-5  # FLCI with R's simulated quantile: R's ECOS solutions
TOL_FLCI_M0 = 5e-4  # M = 0: R's ECOS solution at the edge of feasibility (see the test)
TOL_CS = 1e-10  # Callaway-Sant'Anna estimates and variance (did)
TOL_PYPI_FLCI = 2e-3  # of the half-length: honestdid's folded-normal quantile from 10^6 draws


def honestdid_readme() -> list:
    agreement = _agreement()
    col = agreement._Collector(README, README_REF, TEST)
    got = readme_comparisons()
    data = "Medicaid expansion (ehec), README"
    label = "honest_did, relative magnitudes (C-LF)"
    col.add(label, data + ", TWFE", "confidence sets (lb, ub)", *got["rm"], TOL_GRID)
    col.add(label, data + ", TWFE, average effect", "confidence sets (lb, ub)",
            *got["rm_average"], TOL_GRID)
    col.add(label, data + ", Sun-Abraham (fixest)", "confidence sets (lb, ub)",
            *got["sunab"], TOL_GRID)
    col.add(label, data + ", Callaway-Sant'Anna (did)", "confidence sets (lb, ub)",
            *got["cs"], TOL_GRID)
    label = "honest_did, relative magnitudes (C-LF), grid='zero'"
    col.add(label, data + ", TWFE (render of 2022)", "confidence sets (lb, ub)",
            *got["cran_rm"], TOL_GRID, reference="R HonestDiD (README, CRAN grid, 2022-09)")
    col.add(label, data + ", Callaway-Sant'Anna (render of 2023)", "confidence sets (lb, ub)",
            *got["cran_cs"], TOL_GRID, reference="R HonestDiD (README, CRAN grid, 2023-05)")
    label = "honest_did, original interval"
    for key in ("original_average", "sunab_original", "cs_original"):
        col.add(label, data, "confidence intervals", *got[key], TOL_GRID)
    label = "honest_did, smoothness (FLCI, folded_normal='simulated')"
    col.add(label, data + ", TWFE", "confidence sets (lb, ub), M > 0", *got["sd"], TOL_FLCI)
    col.add(label, data + ", TWFE", "confidence sets (lb, ub), M = 0", *got["sd_m0"],
            TOL_FLCI_M0,
            note="R's FLCI at M = 0 is ECOS's solution at the edge of its feasible set")
    label = "sun_abraham(ssc='fixest')"
    col.add(label, data + ", fixest sunab", "coefficients", *got["sunab_att"], TOL_CS)
    col.add(label, data + ", fixest sunab", "variance (CRV1 by state)", *got["sunab_vcov"],
            TOL_CS)
    label = "staggered_did(base_period='universal'), dynamic"
    col.add(label, data + ", Callaway-Sant'Anna", "coefficients", *got["cs_att"], TOL_CS)
    col.add(label, data + ", Callaway-Sant'Anna", "variance (influence function)",
            *got["cs_vcov"], TOL_CS)
    return col.rows()


def honestdid_pypi() -> list:
    agreement = _agreement()
    col = agreement._Collector(PYPI, PYPI_REF, TEST)
    for key, (ours, theirs, half) in pypi_comparisons().items():
        data = "Medicaid expansion (ehec), " + key.rsplit("_", 1)[0]
        quantity = "coefficients (bounds lb, ub of the robust sets)"
        if half is None:
            col.add("honest_did, relative magnitudes (C-LF), grid='zero'", data, quantity,
                    ours, theirs, TOL_GRID)
        else:
            share = float(np.max(np.abs(ours - theirs) / half)) / TOL_PYPI_FLCI
            col.add("honest_did, smoothness (FLCI, exact quantile)", data, quantity,
                    ours, theirs, 1e-3, share=share,
                    note="criterion: within 2e-3 of the half-length (honestdid simulates "
                    "the folded-normal quantile with numpy's 10^6 draws)")
    return col.rows()


STATA = "stata_honestdid.json"
STATA_REF = "Stata honestdid 1.3.4 (README, printed to 3 decimals)"
PRINTED = 5e-4  # half a unit of the third decimal
GRID_STEPS = 3  # C-LF: Stata's Halton draws move its bounds by a few grid points


@cache
def stata_comparisons() -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    """Ours and Stata's printed numbers, with the allowed absolute difference of each block."""
    ref = load(STATA)
    b, v = twfe_inputs()
    out = {}
    for key, method, target in (
        ("rm", "relative_magnitudes", None),
        ("sd", "smoothness", None),
        ("rm_average", "relative_magnitudes", [0.5, 0.5]),
    ):
        block = ref[key]
        values = block["Mbar" if method == "relative_magnitudes" else "M"]
        ours = honest_did_from_estimates(b, v, num_pre=5, method=method, values=values,
                                         target=target, breakdown=False)
        theirs = np.c_[block["lb"], block["ub"]].ravel()
        l_vec = np.array([1.0, 0.0]) if target is None else np.asarray(target)
        step = 40 * float(np.sqrt(l_vec @ v[5:, 5:] @ l_vec)) / 999
        allowed = PRINTED + (GRID_STEPS * step if method == "relative_magnitudes" else 0.0)
        out[key] = (ours.robust[["lb", "ub"]].to_numpy().ravel(), theirs, allowed)
        out[f"{key}_original"] = (ours.original[["lb", "ub"]].to_numpy().ravel(),
                                  np.asarray(block["original"], dtype=float), PRINTED)
    return out


def stata_honestdid() -> list:
    agreement = _agreement()
    col = agreement._Collector(STATA, STATA_REF, TEST)
    data = "Medicaid expansion (ehec), TWFE"
    labels = {
        "rm": "honest_did, relative magnitudes (C-LF)",
        "rm_average": "honest_did, relative magnitudes (C-LF), average effect",
        "sd": "honest_did, smoothness (FLCI, exact quantile)",
    }
    for key, (ours, theirs, allowed) in stata_comparisons().items():
        share = float(np.max(np.abs(ours - theirs))) / allowed
        if key.endswith("_original"):
            label, note = "honest_did, original interval", "criterion: to the printed 3 decimals"
        elif key.startswith("rm"):
            label = labels[key]
            note = (f"criterion: within the printed 3 decimals plus {GRID_STEPS} grid steps "
                    "(Stata's least-favourable critical value uses Halton draws, not R's)")
        else:
            label, note = labels[key], "criterion: to the printed 3 decimals"
        col.add(label, data, "coefficients (bounds lb, ub of the robust sets)", ours, theirs,
                1e-3, share=share, note=note)
    return col.rows()
