"""Agreement rows for R plm's pgmm with more instruments than groups (plm_pgmm_few_groups.json).

Imported by ``agreement.py``; refits exactly as ``test_plm_pgmm_few_groups.py`` does.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd

import massincidents as mi

HERE = Path(__file__).resolve().parent


def plm_pgmm_few_groups() -> list:
    """Rows: coefficients, robust SEs and Hansen statistics of four pgmm fits."""
    agreement = sys.modules["massincidents_reference_agreement"]  # the module that imports this
    ref = agreement._load("plm_pgmm_few_groups.json")
    col = agreement._Collector(
        "plm_pgmm_few_groups.json",
        f"R plm {ref['plm']}",
        "tests/reference/test_plm_pgmm_few_groups.py",
    )
    data = pd.read_csv(HERE / "data" / "gmm_few_groups.csv")
    for name, model in ref["models"].items():
        effect, steps = name.split("_")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mi.dynamic.TooManyInstrumentsWarning)
            warnings.simplefilter("ignore", mi.dynamic.SingularWeightingWarning)
            r = mi.arellano_bond(
                "y ~ lag(y, 1) + x | lag(y, 2:99)",
                data,
                entity="firm",
                time="year",
                effects=effect,
                steps=1 if steps == "onestep" else 2,
            )
        label = f"arellano_bond, {steps.replace('steps', '-step').replace('onestep', 'one-step')}"
        where = f"simulated, 20 groups, {model['n_instruments']} instruments ({effect})"
        names = list(model["coef"])
        coef = [float(model["coef"][n]) for n in names]
        se = [float(model["se_robust"][n]) for n in names]
        col.add(label, where, "coefficients", r.params[names], coef, 1e-6)
        col.add(label, where, "standard errors (robust)", r.bse[names], se, 1e-4)
        hansen = [float(model["sargan"])]
        col.add(label, where, "Hansen statistic", [r.stats["hansen"]], hansen, 1e-6)
    return col.rows()
