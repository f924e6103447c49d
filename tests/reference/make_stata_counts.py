"""Write ``stata_counts.json``: Stata output for poisson, nbreg and zinb frozen by statsmodels.

Stata's own numbers (not statsmodels' estimates): the statsmodels developers ran Stata and
stored its ``e()`` results (``cmdline``, ``b``, ``se``, ``V``, ``ll``) as Python modules in
their test suite. This script reads those modules from an installed statsmodels (they ship
in the wheel; statsmodels 0.15.0's copies are byte-identical to the repository files named
in ``SOURCES`` below) and stores the numbers, the Stata command of each, and the source.
It also writes the two data sets the commands ran on to ``data/`` (columns used only).

Run: ``python tests/reference/make_stata_counts.py`` (needs statsmodels, no Stata, no R).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels

HERE = Path(__file__).resolve().parent
SM = Path(statsmodels.__file__).resolve().parent
REPO = "statsmodels/statsmodels"
SNAPSHOT = "82c59e378bdfb5ae324006c477954879ad3e24be"  # repository commit the files were read at
SOURCES = {
    "results_count_robust_cluster": {
        "path": "statsmodels/discrete/tests/results/results_count_robust_cluster.py",
        "last_changed_in": "2e579ae4be1f64b82aebe429320202924dc54dae",
        "used_by": "statsmodels/discrete/tests/test_sandwich_cov.py",
    },
    "results_predict": {
        "path": "statsmodels/discrete/tests/results/results_predict.py",
        "last_changed_in": "01143c5c5321a6beb077017b109d322971014717",
        "used_by": "statsmodels/discrete/tests/test_predict.py",
    },
    "ships.csv": {
        "path": "statsmodels/discrete/tests/results/ships.csv",
        "last_changed_in": "7d2dfb7fd358a8651990b697f15b24c7408dad80",
    },
    "results_count_margins": {
        "path": "statsmodels/discrete/tests/results/results_count_margins.py",
        "last_changed_in": "2e579ae4be1f64b82aebe429320202924dc54dae",
        "used_by": "statsmodels/discrete/tests/test_margins.py",
    },
    "cpunish": {
        "path": "statsmodels/datasets/cpunish (the data set; transformed as test_margins.py does)",
    },
    "racd10data_with_transformed.csv": {
        "path": "statsmodels/sandbox/regression/tests/racd10data_with_transformed.csv",
        "last_changed_in": "8e3882909c981ff0b02e319647ff5372967af622",
    },
}

# name in the JSON -> (module, bunch)
SHIPS = {
    "poisson_robust": "results_poisson_hc1",
    "poisson_cluster": "results_poisson_clu",
    "poisson_exposure_oim": "results_poisson_exposure_nonrobust",
    "poisson_exposure_robust": "results_poisson_exposure_hc1",
    "poisson_exposure_cluster": "results_poisson_exposure_clu",
    "nbreg_robust": "results_negbin_hc1",
    "nbreg_cluster": "results_negbin_clu",
    "nbreg_exposure_oim": "results_negbin_exposure_nonrobust",
    "nbreg_exposure_cluster": "results_negbin_exposure_clu",
}
DOCVIS = {"nbreg_oim": "results_nb_docvis", "zinb_oim": "results_zinb_docvis"}
# margins, dydx(*) after poisson/nbreg with i.south (discrete change of the dummy)
MARGINS = {
    "poisson_margins": "results_poisson_margins_dummy",
    "nbreg_margins": "results_negbin_margins_dummy",
}


def _margins(bunch, source: str) -> dict:
    table = np.asarray(bunch.margins_table, dtype=float)
    cols = list(bunch.margins_table_colnames)
    rows = list(bunch.margins_table_rownames)
    keep = [i for i, r in enumerate(rows) if not r.startswith("0b.")]  # base level: empty row
    return {
        "cmdline": bunch.cmdline + " ; margins, dydx(*)",
        "vce": bunch.vce,
        "N": int(bunch.N),
        "ll": float(bunch.ll),
        "terms": [rows[i].split(".")[-1] for i in keep],
        "dydx": table[keep, cols.index("b")].tolist(),
        "se": table[keep, cols.index("se")].tolist(),
        "source": source,
    }


def cpunish() -> pd.DataFrame:
    """The data of test_margins.py: log of VC100k96, every regressor over its rounded maximum,
    executions minus one (the Stata variables s*, LN_VC100k96)."""
    from statsmodels.datasets.cpunish import load

    data = load()
    exog = data.exog.astype(float)
    exog["VC100k96"] = np.log(exog["VC100k96"])
    exog = exog / np.round(exog.max(0), 3)
    return pd.DataFrame(
        {
            "sexecutions": data.endog.to_numpy(float) - 1,
            "sincome": exog["INCOME"],
            "sperpoverty": exog["PERPOVERTY"],
            "sperblack": exog["PERBLACK"],
            "LN_VC100k96": exog["VC100k96"],
            "south": exog["SOUTH"],
            "sdegree": exog["DEGREE"],
        }
    )


def _entry(bunch, source: str) -> dict:
    table = np.asarray(bunch.params_table, dtype=float)
    names = list(bunch.params_table_rownames)
    cols = list(bunch.params_table_colnames)
    b, se = table[:, cols.index("b")], table[:, cols.index("se")]
    return {
        "cmdline": bunch.cmdline,
        "vce": bunch.vce,
        "N": int(bunch.N),
        "N_clust": int(bunch.N_clust) if hasattr(bunch, "N_clust") else None,
        "ll": float(bunch.ll),
        "rownames": names,  # Stata's equation order; '_cons' repeats per equation
        "b": b.tolist(),
        "se": se.tolist(),
        "source": source,
    }


def main() -> None:
    out: dict = {
        "README": (
            "Stata output (e(b), standard errors, e(ll), e(cmdline)) for poisson, nbreg and zinb, "
            "as frozen by the statsmodels developers in their test suite; no Stata was run "
            "here. Repository statsmodels/statsmodels, read at commit " + SNAPSHOT + "; each "
            "model names its file. Data: Stata's ships data (McCullagh and Nelder) as "
            "statsmodels ships it (data/ships.csv, rows with a missing value dropped, 34 rows, "
            "as the Stata runs used); the docvis data (Cameron and Trivedi, racd10) as "
            "data/docvis.csv; the cpunish data (statsmodels.datasets.cpunish) transformed as "
            "statsmodels' test_margins.py does, as data/cpunish.csv (it differs from the data "
            "Stata ran on at about 1e-7: the Poisson log-likelihoods differ by 5e-8 relative) "
            "('cpunish': Stata's "
            "margins, dydx(*) after poisson and nbreg, south as i.south). In 'rownames' "
            "nbreg's and zinb's last '_cons' is ln(alpha) (and nbreg's 'alpha' row its "
            "delta-method transform); zinb's inflate equation is the 'aget _cons' pair before "
            "it. Made by make_stata_counts.py."
        ),
        "producer": "Stata (output frozen by the statsmodels developers)",
        "source": (
            f"{REPO}@{SNAPSHOT}: "
            + ", ".join(v["path"] for k, v in SOURCES.items() if k.startswith("results_"))
        ),
        "repository": REPO,
        "commit": SNAPSHOT,
        "sources": SOURCES,
        "statsmodels_version_read": statsmodels.__version__,
        "ships": {},
        "docvis": {},
    }
    results = "statsmodels.discrete.tests.results."
    robust = importlib.import_module(results + "results_count_robust_cluster")
    predict = importlib.import_module(results + "results_predict")
    for key, name in SHIPS.items():
        path = SOURCES["results_count_robust_cluster"]["path"]
        out["ships"][key] = _entry(getattr(robust, name), path)
    for key, name in DOCVIS.items():
        out["docvis"][key] = _entry(getattr(predict, name), SOURCES["results_predict"]["path"])
    margins = importlib.import_module(results + "results_count_margins")
    out["cpunish"] = {
        key: _margins(getattr(margins, name), SOURCES["results_count_margins"]["path"])
        for key, name in MARGINS.items()
    }
    (HERE / "stata_counts.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")

    ships = pd.read_csv(SM / "discrete/tests/results/ships.csv")
    ships.to_csv(HERE / "data" / "ships.csv", index=False)
    docvis = pd.read_csv(SM / "sandbox/regression/tests/racd10data_with_transformed.csv")
    columns = "docvis private medicaid aget aget2 educyr actlim totchr".split()
    docvis[columns].to_csv(HERE / "data" / "docvis.csv", index=False)
    cpunish().to_csv(HERE / "data" / "cpunish.csv", index=False)


if __name__ == "__main__":
    main()
