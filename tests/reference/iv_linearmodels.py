"""Reference numbers for mi.iv from linearmodels (IV2SLS, IVLIML, IVGMM) on the cigarette data.

    /work/main/.venv/bin/python tests/reference/iv_linearmodels.py   (from the repository root)

writes ``tests/reference/iv_linearmodels.json``: coefficients, standard errors, LIML's
kappa, the J statistic, first-stage diagnostics and the exogeneity tests, with the exact
call of each and the Python and package versions. It reads
``tests/reference/data/iv_cigarettes.csv`` (written by ``iv_aer.R``). Tests read the JSON
and never need linearmodels.

linearmodels is used here only to produce reference numbers: the package does not depend
on it (its IV estimators take no absorbed fixed effects and use their own variance
conventions; see :mod:`massincidents.iv.model`). GMM is compared without fixed effects only: with
dummies, linearmodels' GMM weights every dummy's moment condition, mi.iv only the moments
of the variables partialled out of the fixed effects (as Stata's ivreghdfe). Fixed effects
are entered as dummy variables (``C(state) + C(year)``), which mi.iv absorbs. Every fit uses
``debiased=True`` (the small-sample factors of the package's ``"R"`` convention on the
dummy regression: iid :math:`RSS/(N-K)`, HC1, CRV1 with :math:`G/(G-1)\\,(N-1)/(N-K)`).
"""

from __future__ import annotations

import json
import platform
from importlib.metadata import version
from pathlib import Path

import pandas as pd
from linearmodels.iv import IV2SLS, IVGMM, IVLIML

HERE = Path(__file__).resolve().parent


def _floats(series: pd.Series) -> dict[str, float]:
    return {str(k): float(v) for k, v in series.items() if not str(k).startswith("C(")}


def _test(stat) -> dict[str, float]:
    return {"stat": float(stat.stat), "pval": float(stat.pval), "df": int(stat.df)}


def main() -> None:
    d = pd.read_csv(HERE / "data" / "iv_cigarettes.csv")
    c1995 = d[d["year"] == 1995].reset_index(drop=True)
    cases: dict[str, dict] = {}
    specs = {
        "over_1995": (c1995, "lpacks ~ 1 + lrincome + [lrprice ~ tdiff + rtax]",
                      "lpacks ~ lrincome | lrprice ~ tdiff + rtax"),
        "fe_dummies": (d, "lpacks ~ 1 + lrincome + C(state) + C(year) + [lrprice ~ tdiff + rtax]",
                       "lpacks ~ lrincome | state + year | lrprice ~ tdiff + rtax"),
    }
    covs = {
        "unadjusted": ({"cov_type": "unadjusted"}, "iid"),
        "robust": ({"cov_type": "robust"}, "hetero"),
        "clustered": ({"cov_type": "clustered"}, {"CRV1": "state"}),
    }
    for data_name, (data, lm_formula, our_formula) in specs.items():
        for cov_name, (cov, ours) in covs.items():
            if cov_name == "clustered" and data_name == "over_1995":
                continue  # one row per state in 1995
            extra = {"clusters": data["state"].astype("category").cat.codes} if (
                cov_name == "clustered") else {}
            for method, model in (("2sls", IV2SLS), ("liml", IVLIML), ("gmm", IVGMM)):
                if method == "gmm" and data_name == "fe_dummies":
                    # the dummies are moments of their own (52 moments, 48 clusters): not the
                    # partialled-out GMM of mi.iv, which has the 3 moments of the slopes
                    continue
                kwargs = {}
                if method == "gmm":
                    weight = {"unadjusted": "unadjusted", "robust": "robust",
                              "clustered": "clustered"}[cov_name]
                    kwargs = {"weight_type": weight, **extra} if weight != "clustered" else {
                        "weight_type": "clustered", "clusters": extra["clusters"]}
                    mod = model.from_formula(lm_formula, data, **kwargs)
                else:
                    mod = model.from_formula(lm_formula, data)
                res = mod.fit(debiased=True, **cov, **extra)
                key = f"{data_name}/{method}/{cov_name}"
                case = {
                    "formula": our_formula,
                    "vcov": ours,
                    "method": method,
                    "sample": "1995" if data_name == "over_1995" else "both years",
                    "call": (f"{model.__name__}.from_formula({lm_formula!r}, data"
                             + (f", **{ {k: v for k, v in kwargs.items() if k != 'clusters'} }"
                                if kwargs else "")
                             + f").fit(debiased=True, **{cov}"
                             + (", clusters=state codes" if extra else "") + ")"),
                    "coef": _floats(res.params),
                    "se": _floats(res.std_errors),
                }
                if method == "liml":
                    case["kappa"] = float(res.kappa)
                if method == "gmm":
                    case["j_stat"] = _test(res.j_stat)
                if method == "2sls":
                    diag = res.first_stage.diagnostics
                    case["first_stage"] = {
                        "partial_r2": float(diag.loc["lrprice", "partial.rsquared"]),
                        "f_stat": float(diag.loc["lrprice", "f.stat"]),
                        "f_note": "Wald/L under unadjusted, Wald under other covariances",
                    }
                    case["wooldridge_regression"] = _test(res.wooldridge_regression)
                    if cov_name == "unadjusted":
                        case["sargan"] = _test(res.sargan)
                        case["wu_hausman"] = _test(res.wu_hausman())
                        case["durbin"] = _test(res.durbin())
                cases[key] = case
    out = {
        "description": "linearmodels IV2SLS/IVLIML/IVGMM on CigarettesSW (data/iv_cigarettes.csv)",
        "python": platform.python_version(),
        "packages": {name: version(name) for name in ("linearmodels", "pandas", "numpy")},
        "cases": cases,
    }
    (HERE / "iv_linearmodels.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
