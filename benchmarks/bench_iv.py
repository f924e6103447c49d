"""IV with two-way fixed effects on 1,000,000 rows: mi.iv against pyfixest's feols IV.

    python benchmarks/bench_iv.py [--rows 1000000] [--repeat 3] [--diagnostics]

Needs only the package's dependencies (pyfixest is one). Not run by the tests: there are no
timed assertions anywhere; this prints the times and their ratio from one run.

Data (simulated, seed 20261207): ``--rows`` rows, 10,000 units by ``rows / 10,000``
periods (100 with the default), two-way fixed effects, one exogenous regressor ``x``, one
endogenous regressor ``d`` (sharing the structural error) and two instruments ``z1``,
``z2``. Model ``y ~ x | unit + year | d ~ z1 + z2``, variance clustered by unit (CRV1),
in both packages (``ssc="fixest"`` for us, pyfixest's default).

``mi.iv`` computes more than pyfixest's ``feols``: the first-stage results are part of the
fit, and the diagnostics (first-stage F, Cragg-Donald, Kleibergen-Paap, Anderson-Rubin test
and confidence set, Hansen J, Durbin-Wu-Hausman) are computed on first use of
``fit.diagnostics``. The ratio is printed for the fit (the like-for-like comparison with
``feols``) and for the fit with every diagnostic; times are medians of ``--repeat`` runs
after one warm-up run of each.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings
from importlib.metadata import version

import numpy as np
import pandas as pd

import massincidents as mi

FORMULA = "y ~ x | unit + year | d ~ z1 + z2"


def simulate(rows: int, units: int = 10_000, seed: int = 20261207) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    periods = max(rows // units, 2)
    unit = np.repeat(np.arange(units), periods)
    year = np.tile(np.arange(periods), units)
    a = rng.normal(size=units)[unit]
    g = rng.normal(size=periods)[year]
    n = unit.size
    z1, z2, x, v, u = rng.normal(size=(5, n))
    d = 0.6 * z1 + 0.4 * z2 + 0.3 * x + a + g + v + 0.8 * u
    y = 1.5 * d - 0.5 * x + 2 * a - g + u
    return pd.DataFrame({"unit": unit, "year": year, "y": y, "d": d, "x": x, "z1": z1, "z2": z2})


def _median_time(run, repeat: int) -> tuple[float, object]:
    result = run()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import pyfixest as pf

    data = simulate(args.rows)
    print(f"Python {platform.python_version()}, numpy {version('numpy')}, "
          f"pyfixest {version('pyfixest')}, massincidents {mi.__version__}")
    print(f"{len(data):,} rows, {data['unit'].nunique():,} units x {data['year'].nunique()} "
          f"periods; {FORMULA}, CRV1 by unit")

    def ours():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return mi.iv(FORMULA, data, vcov={"CRV1": "unit"}, ssc="fixest")

    def ours_with_diagnostics():
        fit = ours()
        assert fit.diagnostics is not None
        return fit

    def peer():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pf.feols(FORMULA, data=data, vcov={"CRV1": "unit"})

    t_ours, fit = _median_time(ours, args.repeat)
    t_all, _ = _median_time(ours_with_diagnostics, args.repeat)
    t_peer, other = _median_time(peer, args.repeat)
    coef_diff = float(np.max(np.abs(fit.params[["x", "d"]].to_numpy()
                                    - other.coef()[["x", "d"]].to_numpy())))
    se_diff = float(np.max(np.abs(fit.bse[["x", "d"]].to_numpy() / other.se()[["x", "d"]]
                                  .to_numpy() - 1)))
    print(f"mi.iv (estimates, variance, first stages):  {t_ours:8.2f} s")
    print(f"mi.iv and every diagnostic:                  {t_all:8.2f} s")
    print(f"pyfixest feols IV:                           {t_peer:8.2f} s")
    print(f"ratio mi.iv / pyfixest: {t_ours / t_peer:.2f} (fit), {t_all / t_peer:.2f} "
          "(fit and every diagnostic)")
    print(f"largest |coefficient difference| {coef_diff:.2e}, largest relative SE "
          f"difference {se_diff:.2e}")


if __name__ == "__main__":
    main()
