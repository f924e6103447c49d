"""Published summclust output on nlswork, and the data it was computed on.

    python tests/reference/jackknife_summclust.py PATH/TO/nlswork.dta   (from the repository root)

writes ``tests/reference/data/nlswork_summclust.csv.gz`` (the eight columns the example uses,
rows with a missing value dropped as the example's ``na.omit``; every value written with 17
significant digits, so the float32 values of the .dta file come back exactly) and
``tests/reference/jackknife_summclust.json`` (the published numbers, as printed).

Source of the numbers: the summclust R package's test file ``tests/testthat/test-r-vs-stata.R``
(repository ``s3alfisc/summclust``, commit ``0f21a908fd05976d1d0aa6fa294abc5f536ae5b2``),
whose expected values are the output of MacKinnon, Nielsen and Webb's Stata ``summclust`` on
Stata's ``nlswork`` example data (the R package is tested to reproduce them). The example:
``lm(ln_wage ~ as.factor(grade) + as.factor(age) + as.factor(birth_yr) + union + race + msp)``
clustered by ``ind_code`` (12 industries), CV3 for ``msp``; and the same with ``grade``,
``age``, ``birth_yr`` and ``ind_code`` fixed effects (fixest ``feols``, the cluster fixed
effect projected out). Data: ``nlswork.dta`` (Stata's ``webuse nlswork``: National
Longitudinal Survey of Young Women 1968-88, a US Bureau of Labor Statistics public survey),
taken from repository ``reisportela/HDFE``, path ``nlswork.dta``, commit
``f10159e0cc109b07a7ea940489dae17f7018b218`` (sha256 of the file:
0ec6671a54796c2aa54cf50c945b47d040b3290430dd9712137f5a9ea4a5420e).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
COLUMNS = ["ln_wage", "grade", "age", "birth_yr", "union", "race", "msp", "ind_code"]

PUBLISHED = {
    "producer": "Stata summclust (MacKinnon, Nielsen and Webb), as frozen in the summclust "
    "R package's tests",
    "source": "github.com/s3alfisc/summclust tests/testthat/test-r-vs-stata.R at commit "
    "0f21a908fd05976d1d0aa6fa294abc5f536ae5b2; MacKinnon, Nielsen and Webb (2023), "
    "'Leverage, influence, and the jackknife in clustered regression models: reliable "
    "inference using summclust', Stata Journal",
    "data": "data/nlswork_summclust.csv.gz",
    "data_source": "nlswork.dta (Stata webuse nlswork) from github.com/reisportela/HDFE "
    "nlswork.dta at commit f10159e0cc109b07a7ea940489dae17f7018b218, sha256 "
    "0ec6671a54796c2aa54cf50c945b47d040b3290430dd9712137f5a9ea4a5420e; rows with a missing "
    "value in the eight columns dropped (na.omit)",
    "cluster": "ind_code",
    "term": "msp",
    "cases": {
        "dummies": {
            "formula": "ln_wage ~ C(grade) + C(age) + C(birth_yr) + union + race + msp",
            "r_call": "summclust(lm(ln_wage ~ as.factor(grade) + as.factor(age) + "
            "as.factor(birth_yr) + union + race + msp, data = nlswork), cluster = ~ind_code, "
            "type = 'CRV3')",
            "cv3": {
                "estimate": "-0.027515",
                "t": "-1.9564",
                "std_error": "0.014064",
                "p_value": "0.0763",
                "conf_low": "-0.058470",
                "conf_high": "0.003440",
            },
            "leverage": {"min": "0.093321", "max": "20.28918", "median": "3.51549",
                         "mean": "5.416667"},
            "beta_no_g": {"min": "-0.033200", "max": "-0.015835", "median": "-0.027765",
                          "mean": "-0.026920"},
            "partial_leverage": {"min": "0.001622", "max": "0.312995", "median": "0.056682",
                                 "mean": "0.083333"},
        },
        "absorbed": {
            "formula": "ln_wage ~ union + race + msp + C(grade) + C(age) + C(birth_yr) "
            "| ind_code",
            "r_call": "summclust(feols(ln_wage ~ union + race + msp | grade + age + birth_yr "
            "+ ind_code, data = nlswork), cluster = ~ind_code, type = 'CRV3') (the cluster "
            "fixed effect projected out, the others as dummies)",
            "leverage": {"min": "0.087112", "max": "20.011074", "median": "3.442673",
                         "mean": "5.333333"},
            "beta_no_g": {"min": "-0.023382", "max": "-0.015001", "median": "-0.021258",
                          "mean": "-0.020770"},
            "partial_leverage": {"min": "0.001561", "max": "0.312377", "median": "0.056073",
                                 "mean": "0.083333"},
        },
    },
}


def main(dta: str) -> None:
    data = pd.read_stata(dta, convert_categoricals=False)[COLUMNS].dropna()
    data = data.astype(float)
    data.to_csv(
        HERE / "data" / "nlswork_summclust.csv.gz", index=False, float_format="%.17g"
    )
    (HERE / "jackknife_summclust.json").write_text(
        json.dumps(PUBLISHED, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main(sys.argv[1])
