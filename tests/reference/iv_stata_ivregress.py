"""Extract Stata ``ivregress`` output frozen in linearmodels' tests into iv_stata_ivregress.json.

    python tests/reference/iv_stata_ivregress.py RESULTS_TXT SIMULATED_DTA

``RESULTS_TXT`` is ``linearmodels/tests/iv/results/stata-iv-simulated-results.txt`` and
``SIMULATED_DTA`` ``linearmodels/tests/iv/results/simulated-data.dta`` of the repository
bashtage/linearmodels (commit recorded in the JSON). The text holds the output of Stata 13's
``ivregress {2sls|liml|gmm} y exog (endog = instr), vce(...) [small]`` (GMM:
``wmatrix(...)``) written by linearmodels' ``execute-stata-simulated-data.py``, on the 600
rows of simulated data in the .dta file. This script copies the columns used into
``tests/reference/data/iv_stata_simulated.csv.gz`` and keeps, for every unweighted case
without ``noconstant``/``center``, the coefficients, standard errors (square roots of the
diagonal of ``e(V)``), LIML's kappa and GMM's J. Tests read the JSON, never Stata.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPOSITORY = "bashtage/linearmodels"
REPO_COMMIT = "2ce5503d20144e04812420601cec78af636b836c"
FILE_COMMIT = "3638b0c29831c1ea1afab229a7cd963f9e14f84a"
PATH = "linearmodels/tests/iv/results/stata-iv-simulated-results.txt"
HEADER = re.compile(r"^#+ !(?P<name>[^!]+)! #+$")


def _sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        match = HEADER.match(line.strip())
        if match:
            current = match.group("name")
            out[current] = []
        elif current is not None:
            out[current].append(line.rstrip("\n"))
    return out


def _parse(lines: list[str]) -> dict:
    coef: dict[str, float] = {}
    scalars: dict[str, float] = {}
    variance: list[list[float]] = []
    names: list[str] = []
    block = "b"
    for line in lines:
        if line.startswith("*********"):
            block = "V" if "Variance" in line else "W"
            continue
        cells = line.split("\t")
        if block == "b":
            if len(cells) == 2 and cells[0] and cells[0] not in {".", "b/t"}:
                try:
                    value = float(cells[1])
                except ValueError:
                    continue
                if cells[0] in {"r2", "r2_a", "mss", "rss", "rmse", "kappa", "J", "chi2", "F", "p"}:
                    scalars[cells[0]] = value
                else:
                    coef[cells[0]] = value
        elif block == "V":
            if len(cells) > 1 and cells[0] == "" and cells[1] and cells[1] != "V":
                names = [c for c in cells[1:] if c]
            elif cells[0] in names:
                variance.append([float(c) for c in cells[1:1 + len(names)]])
    se = dict(zip(names, np.sqrt(np.diag(np.array(variance))).tolist(), strict=True))
    return {"coef": coef, "se": se, "scalars": scalars}


def main(results_txt: str, dta: str) -> None:
    sections = _sections(Path(results_txt).read_text(encoding="utf-8"))
    data = pd.read_stata(dta)
    keep = ["time", "cluster_id", "x1", "x2", "x3", "x4", "x5", "z1", "z2",
            "y_unadjusted", "y_robust", "y_clustered", "y_kernel"]
    data[keep].to_csv(HERE / "data" / "iv_stata_simulated.csv.gz", index=False,
                      float_format="%.17g")
    cases = {}
    depvar = {"unadjusted": "y_unadjusted", "robust": "y_robust",
              "cluster cluster_id": "y_clustered", "hac bartlett 12": "y_kernel"}
    for name, lines in sections.items():
        method, endog, exog, instr, weighted, variance, other = name.split("-")
        if weighted != "weighted_False" or other not in {"", "small"}:
            continue
        kind = variance[variance.index("(") + 1 : -1]
        n_endog, n_exog, n_instr = (int(part.split("_")[-1]) for part in (endog, exog, instr))
        endogenous = ["x1", "x2"][:n_endog]
        instruments = ["z1", "z2"][:n_instr]
        exogenous = ["x3", "x4", "x5"][:n_exog]
        formula = (f"{depvar[kind]} ~ {' + '.join(exogenous) or '1'} | "
                   f"{' + '.join(endogenous)} ~ {' + '.join(instruments)}")
        parsed = _parse(lines)
        cases[name] = {
            "method": method,
            "formula": formula,
            "stata_variance": variance,
            "small": other == "small",
            **parsed,
        }
    out = {
        "producer": "Stata 13 ivregress (output frozen in linearmodels' test suite)",
        "source": f"{REPOSITORY} {PATH} (file commit {FILE_COMMIT}; repository snapshot "
                  f"{REPO_COMMIT}); data linearmodels/tests/iv/results/simulated-data.dta",
        "description": "ivregress 2sls/liml/gmm on 600 simulated rows; unweighted cases, "
                       "with and without small",
        "cases": cases,
    }
    (HERE / "iv_stata_ivregress.json").write_text(json.dumps(out, indent=1) + "\n",
                                                  encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
