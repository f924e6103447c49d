"""Reference numbers for mi.iv with absorbed fixed effects from pyfixest's feols IV.

    /work/main/.venv/bin/python tests/reference/iv_pyfixest.py   (from the repository root)

simulates a province-year panel with two-way fixed effects, an endogenous regressor and two
instruments (seed fixed; ``tests/reference/data/iv_fe_panel.csv``, with some missing values
and a singleton), and writes ``tests/reference/iv_pyfixest.json``: coefficients and
standard errors of ``pyfixest.feols("y ~ x | unit + year | d ~ z1 + z2", vcov=...)`` under
iid, hetero, CRV1 by unit and two-way CRV1 (pyfixest's default small-sample convention,
``ssc="fixest"`` in massincidents), with the Python and package versions. Tests read the
JSON and never need pyfixest.
"""

from __future__ import annotations

import json
import platform
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

HERE = Path(__file__).resolve().parent


def simulate(seed: int = 20261207) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units, years = 40, 15
    unit = np.repeat(np.arange(units), years)
    year = np.tile(np.arange(2000, 2000 + years), units)
    a = rng.normal(size=units)[unit]
    g = rng.normal(size=years)[year - 2000]
    z1, z2, x, v, u = rng.normal(size=(5, unit.size))
    d = 0.6 * z1 + 0.4 * z2 + 0.3 * x + a + g + v + 0.8 * u
    y = 1.5 * d - 0.5 * x + 2 * a - g + u + 0.5 * rng.normal(size=unit.size) * a
    frame = pd.DataFrame({"unit": unit, "year": year, "y": y, "d": d, "x": x, "z1": z1,
                          "z2": z2, "d2": 0.5 * z2 - 0.4 * z1 + v + 0.3 * u + a})
    frame["y2"] = frame["y"] + 0.7 * frame["d2"]
    frame.loc[[3, 77, 150], "z2"] = np.nan
    frame.loc[[10, 200], "y"] = np.nan
    frame.loc[len(frame)] = {"unit": units, "year": 2000, "y": 1.0, "d": 0.0, "x": 0.0,
                             "z1": 0.0, "z2": 0.0, "d2": 0.0, "y2": 1.0}  # a singleton unit
    return frame


def main() -> None:
    frame = simulate()
    frame.to_csv(HERE / "data" / "iv_fe_panel.csv", index=False, float_format="%.17g")
    data = pd.read_csv(HERE / "data" / "iv_fe_panel.csv")
    formulas = {
        "one_endogenous": "y ~ x | unit + year | d ~ z1 + z2",
        "second_endogenous": "y2 ~ x | unit + year | d2 ~ z1 + z2",  # one at a time in pyfixest
    }
    vcovs = {"iid": "iid", "hetero": "hetero", "CRV1_unit": {"CRV1": "unit"},
             "CRV1_unit_year": {"CRV1": "unit+year"}}
    cases = {}
    for name, formula in formulas.items():
        for label, vcov in vcovs.items():
            fit = pf.feols(formula, data=data, vcov=vcov)
            cases[f"{name}/{label}"] = {
                "formula": formula,
                "vcov": vcov,
                "call": f"pyfixest.feols({formula!r}, data=data, vcov={vcov!r})",
                "nobs": int(fit._N),
                "coef": {k: float(v) for k, v in fit.coef().items()},
                "se": {k: float(v) for k, v in fit.se().items()},
            }
    out = {
        "description": "pyfixest feols IV with two-way fixed effects on a simulated panel",
        "python": platform.python_version(),
        "packages": {name: version(name) for name in ("pyfixest", "numpy", "pandas")},
        "cases": cases,
    }
    (HERE / "iv_pyfixest.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
