"""Arellano-Bond / Blundell-Bond GMM: mi.arellano_bond against R plm's pgmm.

    python benchmarks/bench_gmm.py [--repeat 5] [--r-repeat 5]

Needs ``Rscript`` with plm. Not run by the test suite.

Data and models (``twoways`` effects, as plm's ``?pgmm`` examples):

* EmplUK (tests/reference/data/emplUK.csv; 140 firms, 1976-1984, 1,031 rows):
  the Arellano-Bond (1991) employment equation, one-step and two-step difference
  GMM, and the Blundell-Bond system GMM, two-step;
* a simulated panel of 2,000 firms x 10 years (20,000 rows),
  ``y ~ lag(y, 1) + x | lag(y, 2:99)``, two-step difference GMM, uncollapsed
  (36 GMM instruments) and collapsed.

Each model is timed ``--repeat`` times in Python after a warm-up and ``--r-repeat``
times inside R (``system.time`` around each ``pgmm`` call, after one warm-up), so
process start-up and data reading are not counted. The table shows medians, the
ratio plm / massincidents, and the largest absolute difference of coefficients.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import massincidents as mi

ROOT = Path(__file__).resolve().parents[1]
EMPL = ROOT / "tests" / "reference" / "data" / "emplUK.csv"
AB = (
    "log_emp ~ lag(log_emp, 1:2) + lag(log_wage, 0:1) + log_capital + lag(log_output, 0:1)"
    " | lag(log_emp, 2:99)"
)
BB = (
    "log_emp ~ lag(log_emp, 1) + lag(log_wage, 0:1) + lag(log_capital, 0:1)"
    " | lag(log_emp, 2:99) + lag(log_wage, 2:99) + lag(log_capital, 2:99)"
)
SIM = "y ~ lag(y, 1) + x | lag(y, 2:99)"

# name: (data, formula, index, python options, R options)
CASES = {
    "EmplUK, difference, one-step": ("empl", AB, {"steps": 1}, 'model = "onestep"'),
    "EmplUK, difference, two-step": ("empl", AB, {"steps": 2}, 'model = "twosteps"'),
    "EmplUK, system, two-step": (
        "empl",
        BB,
        {"steps": 2, "system": True},
        'model = "twosteps", transformation = "ld"',
    ),
    "2,000 x 10 simulated, difference, two-step": ("sim", SIM, {"steps": 2}, 'model = "twosteps"'),
    "2,000 x 10 simulated, difference, two-step, collapsed": (
        "sim",
        SIM,
        {"steps": 2, "collapse": True},
        'model = "twosteps", collapse = TRUE',
    ),
}


def simulate(n: int = 2000, t: int = 10, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    x = rng.normal(size=(n, t)) + 0.5 * a[:, None]
    y = np.zeros((n, t))
    y[:, 0] = 2 * a + rng.normal(size=n)
    for s in range(1, t):
        y[:, s] = 0.5 * y[:, s - 1] + 0.3 * x[:, s] + a + rng.normal(size=n)
    return pd.DataFrame(
        {
            "firm": np.repeat(np.arange(1, n + 1), t),
            "year": np.tile(np.arange(2001, 2001 + t), n),
            "y": y.ravel(),
            "x": x.ravel(),
        }
    )


def time_python(data: pd.DataFrame, formula: str, options: dict, repeat: int):
    def run() -> pd.Series:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return mi.arellano_bond(
                formula, data, entity="firm", time="year", effects="twoways", **options
            ).params

    params = run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        params = run()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), params


R_TEMPLATE = r"""
suppressPackageStartupMessages(library(plm))
d <- read.csv("{csv}")
pd <- pdata.frame(d, index = c("firm", "year"))
f <- {formula}
run <- function() suppressWarnings(pgmm(f, data = pd, effect = "twoways", {options}))
m <- run()
times <- vapply(seq_len({repeat}), function(i) system.time(run())[["elapsed"]], 0)
cat(sprintf("%.17g", median(times)), "\n")
cat(sprintf("%.17g", coef(m)), "\n")
"""


def time_r(csv: Path, formula: str, options: str, repeat: int) -> tuple[float, np.ndarray]:
    script = R_TEMPLATE.format(csv=csv, formula=formula, options=options, repeat=repeat)
    out = subprocess.run(
        ["Rscript", "-e", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return float(out[0]), np.array(out[1].split(), dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--r-repeat", type=int, default=5)
    args = parser.parse_args()
    r_version = subprocess.run(
        ["Rscript", "-e", 'cat(R.version.string, "plm", format(packageVersion("plm")))'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        sim_csv = Path(tmp) / "sim.csv"
        sim = simulate()
        sim.to_csv(sim_csv, index=False, float_format="%.17g")
        frames = {"empl": (pd.read_csv(EMPL), EMPL), "sim": (sim, sim_csv)}
        rows = []
        for name, (which, formula, options, r_options) in CASES.items():
            data, csv = frames[which]
            ours, params = time_python(data, formula, options, args.repeat)
            theirs, r_coef = time_r(csv, formula, r_options, args.r_repeat)
            diff = float(np.max(np.abs(params.to_numpy() - r_coef)))
            rows.append((name, ours, theirs, theirs / ours, diff))
    print(f"Python {platform.python_version()}, massincidents {mi.__version__}; {r_version}")
    print(f"medians of {args.repeat} (Python) and {args.r_repeat} (R) runs\n")
    print("| model | massincidents (s) | plm pgmm (s) | plm / ours | max abs coef diff |")
    print("|---|---:|---:|---:|---:|")
    for name, ours, theirs, ratio, diff in rows:
        print(f"| {name} | {ours:.4f} | {theirs:.3f} | {ratio:.1f} | {diff:.2e} |")
    json.dumps(rows)  # keeps the rows serialisable for anyone who wants to store them


if __name__ == "__main__":
    main()
