"""Extract Stata output on Grunfeld frozen in statsmodels' tests into our reference file.

Run once, by hand, with statsmodels installed (its wheel ships the test results):

    python tests/reference/stata_grunfeld_clusters.py

It writes ``stata_grunfeld_clusters.json``: coefficients and variance matrices of Stata's
``regress ..., vce(cluster company)``, ``ivreg2 ..., cluster(company)`` (with and without
``small``), ``ivreg2 ..., cluster(company time)`` (two-way, with and without ``small``) and
``xtscc ..., lag(4)`` (Driscoll-Kraay) for ``invest ~ mvalue kstock`` on Stata's Grunfeld
data (10 companies x 20 years, the data of ``data/grunfeld.csv``). Only numbers are
taken; source and commit in ``stata_grunfeld_clusters.md``. Tests never run this script.
"""

from __future__ import annotations

import json
from pathlib import Path

import statsmodels
from statsmodels.regression.tests.results import results_grunfeld_ols_robust_cluster as res

HERE = Path(__file__).resolve().parent
CASES = {
    "results_cluster": {"CRV1": "firm"},
    "results_cluster_large": {"CRV0": "firm"},
    "results_cluster_2groups_small": {"CRV1": "firm+year"},
    "results_cluster_2groups_large": {"CRV0": "firm+year"},
    "results_nw_groupsum4": {"DK": {"lags": 4, "time": "year"}},
}


def main() -> None:
    cases = {}
    for name, ours in CASES.items():
        r = getattr(res, name)
        names = [{"mvalue": "value", "kstock": "capital", "_cons": "Intercept"}[n]
                 for n in r.params_table_rownames]
        cases[name] = {
            "command": r.cmdline if hasattr(r, "cmdline") else f"{r.cmd} invest mvalue kstock",
            "ours_vcov": ours,
            "names": names,
            "coef": [float(v) for v in r.params_table[:, 0]],
            "se": [float(v) for v in r.params_table[:, 1]],
            "vcov": [[float(v) for v in row] for row in r.cov],
            "N": int(r.N),
            "df_r": int(r.df_r) if hasattr(r, "df_r") else None,
        }
    out = {
        "producer": "Stata (version not recorded; ivreg2 03.1.07, xtscc)",
        "source": (
            "https://github.com/statsmodels/statsmodels, statsmodels/regression/tests/results/"
            "results_grunfeld_ols_robust_cluster.py at commit "
            "05d273494023f71a3b6b793bf53aa1f6c4b41288 (see stata_grunfeld_clusters.md)"
        ),
        "source_detail": {
            "repository": "https://github.com/statsmodels/statsmodels",
            "commit": "05d273494023f71a3b6b793bf53aa1f6c4b41288",
            "path": "statsmodels/regression/tests/results/results_grunfeld_ols_robust_cluster.py",
            "read_from": f"statsmodels {statsmodels.__version__} as installed",
        },
        "data": "data/grunfeld.csv (inv = invest, value = mvalue, capital = kstock)",
        "cases": cases,
    }
    (HERE / "stata_grunfeld_clusters.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
