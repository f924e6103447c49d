"""pyfixest's ``rwolf`` under full enumeration (``multtest_pyfixest.json``).

    python tests/reference/multtest_pyfixest.py   (from the repository root; needs pyfixest)

Writes ``data/multtest_panel.csv`` (10 clusters ``g`` x 12 years, four correlated
outcomes; numpy's default_rng(20261207)) and, for each tested parameter, the
output of ``pyfixest.rwolf(models, param, reps=9999, seed=1)`` over four models
fitted with ``vcov={"CRV1": "g"}``: two-way FE, one-way FE and pooled. With
:math:`2^{10} = 1024 \\le 9999` pyfixest (through ``wildboottest``) enumerates
all Rademacher sign vectors, so its output is deterministic. Stored per
parameter: the ``RW Pr(>|t|)`` row, the ``t value`` of each model's
``wildboottest`` (the statistic rwolf ranks by) and the bootstrapped
t-statistics (1024 x 4, rwolf's ``boot_t_stats``, in the order of
``itertools.product([-1, 1], repeat=10)``), so that the test can compare the
joint bootstrap distribution draw by draw. ``tests/inference/test_multiple_testing.py``
and ``agreement_multtest.py`` compare ``mi.romano_wolf`` with these numbers.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

HERE = Path(__file__).parent
DATA = HERE / "data" / "multtest_panel.csv"
MODELS = {
    "twoway_y1": "Y1 ~ X1 + X2 | g + year",
    "twoway_y2": "Y2 ~ X1 + X2 | g + year",
    "oneway_y3": "Y3 ~ X1 + X2 | g",
    "pooled_y4": "Y4 ~ X1 + X2",
}
PARAMS = ["X1", "X2"]
REPS, SEED = 9999, 1


def make_data() -> pd.DataFrame:
    rng = np.random.default_rng(20261207)
    G, T = 10, 12
    g = np.repeat(np.arange(G), T)
    year = np.tile(np.arange(2001, 2001 + T), G)
    n = G * T
    x1 = rng.normal(size=n) + 0.5 * rng.normal(size=G)[g]
    x2 = rng.normal(size=n) + 0.3 * x1
    common = rng.normal(size=n) + rng.normal(size=G)[g]  # correlates the outcomes
    scale = 1.0 + 0.5 * np.abs(x1)  # heteroskedastic
    out = {"g": g, "year": year, "X1": x1, "X2": x2}
    for k, (b1, b2) in enumerate([(0.4, 0.2), (0.0, 0.15), (0.25, 0.0), (0.05, -0.3)], start=1):
        out[f"Y{k}"] = 1 + b1 * x1 + b2 * x2 + 0.7 * common + scale * rng.normal(size=n)
    return pd.DataFrame(out)


def _t_value(fit, param: str) -> float:
    """The statistic of pyfixest's wildboottest, which rwolf ranks the hypotheses by."""
    return float(np.ravel(fit.wildboottest(param=param, reps=REPS, seed=SEED)["t value"])[0])


def main() -> None:
    data = make_data()
    data.to_csv(DATA, index=False, float_format="%.17g")
    data = pd.read_csv(DATA)  # fit what the test reads
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = [pf.feols(f, data, vcov={"CRV1": "g"}) for f in MODELS.values()]
        params = {}
        for param in PARAMS:
            table = pf.rwolf(fits, param, reps=REPS, seed=SEED)
            boot = []
            for fit in fits:
                _, tstar = fit.wildboottest(
                    param=param, reps=REPS, seed=SEED, return_bootstrapped_t_stats=True
                )
                boot.append(np.asarray(tstar, dtype=float).ravel())
            params[param] = {
                "rw_pvalue": dict(zip(MODELS, table.loc["RW Pr(>|t|)"].astype(float), strict=True)),
                "estimate": dict(zip(MODELS, table.loc["Estimate"].astype(float), strict=True)),
                "t_wildboottest": {
                    name: _t_value(fit, param) for name, fit in zip(MODELS, fits, strict=True)
                },
                "boot_t_stats": {
                    name: [float(f"{x:.12g}") for x in tstar]
                    for name, tstar in zip(MODELS, boot, strict=True)
                },
            }
    out = {
        "description": (
            "pyfixest rwolf (wild cluster bootstrap, full enumeration) on data/multtest_panel.csv"
        ),
        "generated_by": "tests/reference/multtest_pyfixest.py",
        "data": "data/multtest_panel.csv, written by this script",
        "python": platform.python_version(),
        "packages": {
            p: importlib.metadata.version(p)
            for p in ("pyfixest", "wildboottest", "numpy", "pandas")
        },
        "call": (
            f"pyfixest.rwolf(fits, param, reps={REPS}, seed={SEED}); "
            'fits = [pyfixest.feols(f, data, vcov={"CRV1": "g"}) for f in models]'
        ),
        "models": MODELS,
        "reps": REPS,
        "draws": 2**10,
        "params": params,
    }
    (HERE / "multtest_pyfixest.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
