"""The prefecture-month Poisson with two-way fixed effects, side by side with pyfixest.

    python benchmarks/bench_prefecture_poisson.py [--repeats 5]

Fits placed strikes in ``mi.datasets.load("prefecture_month")`` (units in force
with a census population, 84 months of 2011-2017) on a new-mayor indicator
(``mayor_turnover`` in the month) with prefecture and month effects and log
population as an offset, clustered by prefecture: ``mi.poisson`` against
``pyfixest.fepois`` on the same rows, interleaved in one process after a
warm-up (pyfixest compiles its demeaning on first use). The estimates are
checked to agree first. Medians of the repeats; the ratio (ours / pyfixest) is
what to quote. Issue #16 asks for a fit "in seconds". Not run by the test suite.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf

import massincidents as mi


def panel() -> pd.DataFrame:
    data = mi.datasets.load("prefecture_month").reset_index()
    data = data[data["in_force"].astype(bool) & data["population"].notna()].copy()
    data["period"] = data["year"] * 100 + data["month"]
    data["log_population"] = np.log(data["population"])
    data["new_mayor"] = (data["mayor_turnover"].fillna(0) > 0).astype(float)
    return data[["prefecture", "period", "strikes", "log_population", "new_mayor"]]


def ours(data: pd.DataFrame) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separation notes
        fit = mi.poisson("strikes ~ new_mayor | prefecture + period", data,
                         offset="log_population", vcov={"CRV1": "prefecture"})  # fmt: skip
    return fit.params


def peer(data: pd.DataFrame) -> pd.Series:
    fit = pf.fepois("strikes ~ new_mayor | prefecture + period", data, offset="log_population",
                    vcov={"CRV1": "prefecture"})  # fmt: skip
    return fit.coef()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data = panel()
    mine, theirs = ours(data), peer(data)  # warm-up, and the check
    assert abs(mine["new_mayor"] - theirs["new_mayor"]) <= 1e-6 * max(1.0, abs(theirs["new_mayor"]))
    times: dict[str, list[float]] = {"ours": [], "peer": []}
    for _ in range(args.repeats):
        for name, fn in (("ours", ours), ("peer", peer)):
            t0 = time.perf_counter()
            fn(data)
            times[name].append(time.perf_counter() - t0)
    o, p = statistics.median(times["ours"]), statistics.median(times["peer"])
    print(
        f"massincidents {mi.__version__}, pyfixest {pf.__version__}, Python "
        f"{platform.python_version()}; {len(data):,} prefecture-months, medians of {args.repeats}"
    )
    print(f"mi.poisson, prefecture + month effects, CRV1: {o:.3f} s")
    print(f"pyfixest.fepois, same model:                   {p:.3f} s")
    print(f"ours / pyfixest: {o / p:.2f}; new_mayor {mine['new_mayor']:.6f} in both")


if __name__ == "__main__":
    main()
