"""Romano-Wolf p-values, 9,999 draws over 10 hypotheses: mi.romano_wolf against pyfixest's rwolf.

    python benchmarks/bench_romano_wolf.py [--reps 9999] [--outcomes 10] [--years 20]
                                           [--repeat 3] [--peer-repeat 1]

Needs, beyond the package: ``pyfixest`` (with ``wildboottest``). Not run by the tests.

Data (simulated, seed 20261207): a 31-province panel (``--years`` years, 620 rows by
default) with regressors ``x1``, ``x2`` and ``--outcomes`` outcomes (default 10) whose
errors share a province shock and a common component, so the tests are correlated;
``x1`` has a small effect on the first three outcomes and none on the others.

Both programs test ``x1 = 0`` in the same ``y_k ~ x1 + x2 | province + year`` models,
clustered by province, with the wild cluster bootstrap (WCR, Rademacher weights, null
imposed) and ``--reps`` draws shared by all models (2^31 sign vectors are too many to
enumerate, so the draws are random and the two programs' p-values agree only within Monte
Carlo error). pyfixest's ``rwolf`` calls ``wildboottest`` once per model on a design with
the fixed effects as dummies; ``mi.romano_wolf`` builds, per model, the bootstrap
statistics of all draws from :math:`G \\times G` matrices (Roodman et al. 2019) and draws
once. Times are medians of ``--repeat`` runs (after one warm-up) of ours and of
``--peer-repeat`` runs of pyfixest; the ratio is pyfixest's time over ours. Model fitting is
not timed (both fit beforehand).
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


def simulate(outcomes: int, years: int, seed: int = 20261207) -> pd.DataFrame:
    """31 provinces x ``years``; ``outcomes`` correlated outcomes y0, y1, ..."""
    rng = np.random.default_rng(seed)
    G = 31
    province = np.repeat(np.arange(G), years)
    year = np.tile(np.arange(2000, 2000 + years), G)
    n = G * years
    x1 = rng.normal(size=n) + 0.5 * rng.normal(size=G)[province]
    x2 = rng.normal(size=n)
    shared = 0.5 * rng.normal(size=G)[province] + rng.normal(size=n)
    frame = {"province": province, "year": year, "x1": x1, "x2": x2}
    for k in range(outcomes):
        effect = 0.15 if k < 3 else 0.0
        own = 0.5 * rng.normal(size=G)[province] + rng.normal(size=n)
        frame[f"y{k}"] = effect * x1 + 0.3 * x2 + 0.8 * shared + 0.6 * own
    return pd.DataFrame(frame)


def _median_seconds(run, repeat: int) -> tuple[float, object]:
    out = None
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=9999)
    parser.add_argument("--outcomes", type=int, default=10)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peer-repeat", type=int, default=1)
    args = parser.parse_args()

    data = simulate(args.outcomes, args.years)
    outcomes = [f"y{k}" for k in range(args.outcomes)]
    formulas = [f"{y} ~ x1 + x2 | province + year" for y in outcomes]
    ours_fits = {y: mi.linear(f, data, vcov={"CRV1": "province"}) for y, f in zip(
        outcomes, formulas, strict=True)}

    def ours():
        return mi.romano_wolf(ours_fits, "x1", reps=args.reps, seed=1)

    ours()  # warm-up
    t_ours, rw = _median_seconds(ours, args.repeat)

    rows = [("mi.romano_wolf", t_ours, 1.0)]
    theirs_p = None
    try:
        import pyfixest as pf
    except ImportError:
        print("pyfixest is not installed: only our time is shown")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pf_fits = [pf.feols(f, data, vcov={"CRV1": "province"}) for f in formulas]

            def theirs():
                return pf.rwolf(pf_fits, "x1", reps=args.reps, seed=1)

            t_pf, table = _median_seconds(theirs, args.peer_repeat)
        theirs_p = table.loc["RW Pr(>|t|)"].astype(float).to_numpy()
        rows.append((f"pyfixest {version('pyfixest')} rwolf", t_pf, t_pf / t_ours))

    print(
        f"Romano-Wolf, {len(rw.table)} hypotheses, {rw.reps} {rw.weights} draws, "
        f"{rw.n_clusters} clusters, {len(data)} rows; Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    print(f"{'program':<28}{'seconds':>10}{'time / ours':>14}")
    for name, seconds, ratio in rows:
        print(f"{name:<28}{seconds:>10.2f}{ratio:>14.1f}")
    shown = rw.table[["model", "statistic", "p_boot", "p_rw", "p_holm"]].copy()
    if theirs_p is not None:
        shown["pyfixest p_rw"] = theirs_p
    print(shown.round(4).to_string(index=False))


if __name__ == "__main__":
    main()
