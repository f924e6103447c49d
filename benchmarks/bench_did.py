"""Callaway-Sant'Anna DR with 2 covariates: massincidents vs csdid vs differences.

5,000 units x 20 periods x 8 cohorts, analytic SEs (bootstrap off everywhere).
Run: ``python benchmarks/bench_did.py [repeats]``; prints a Markdown table of the
median wall time over ``repeats`` runs (default 5) of each package.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd

import massincidents as mi


def make_panel(n: int = 5000, t: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cohorts = np.array([0, *range(5, 21, 2)])  # never + 8 cohorts
    g = rng.choice(cohorts, n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    unit = np.repeat(np.arange(1, n + 1), t)
    year = np.tile(np.arange(1, t + 1), n)
    gu = np.repeat(g, t)
    e = year - gu
    tau = np.where((gu > 0) & (e >= 0), 0.5 + 0.1 * e, 0.0)
    y = (np.repeat(rng.normal(size=n), t) + 0.1 * year + np.repeat(x1, t) * 0.5
         + 0.3 * np.repeat(x2, t) * year / t + tau + rng.normal(size=n * t))
    return pd.DataFrame({"id": unit, "year": year, "cohort": gu.astype(float), "y": y,
                         "x1": np.repeat(x1, t), "x2": np.repeat(x2, t)})


REPEATS = 5


def timed(f):
    """Median wall time over ``REPEATS`` runs and the last result."""
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    df = make_panel()
    rows = []
    t_mi, ours = timed(lambda: mi.staggered_did(
        df, outcome="y", unit="id", time="year", cohort="cohort", control_group="never",
        covariates=["x1", "x2"], method="dr", bootstrap=False).aggregate("simple"))
    rows.append(("massincidents", t_mi, ours.overall_att, ours.overall_se))
    warnings.simplefilter("ignore")
    try:
        from csdid.att_gt import ATTgt

        def run_csdid():
            fit = ATTgt(yname="y", tname="year", idname="id", gname="cohort", data=df.copy(),
                        control_group="nevertreated", xformla="y~x1+x2").fit(
                est_method="dr", bstrap=False)
            fit.aggte(typec="simple", bstrap=False)
            return fit.atte
        t_cs, at = timed(run_csdid)
        rows.append(("csdid", t_cs, at["overall_att"], at["overall_se"]))
    except ImportError:  # pragma: no cover
        pass
    try:
        from differences import ATTgt as DATTgt

        def run_diff():
            d = df.copy()
            d["cohort"] = d["cohort"].replace(0, np.nan)
            att = DATTgt(data=d.set_index(["id", "year"]), cohort_column="cohort")
            att.fit(formula="y ~ x1 + x2", est_method="dr", control_group="never_treated",
                    boot_iterations=0, n_jobs=1, progress_bar=False)
            agg = att.aggregate("simple")
            return agg
        t_df, agg = timed(run_diff)
        vals = agg.to_numpy().ravel()
        rows.append(("differences", t_df, float(vals[0]), float(vals[1])))
    except ImportError:  # pragma: no cover
        pass
    fastest_peer = min((r[1] for r in rows[1:]), default=np.nan)
    print("| package | seconds | simple ATT | SE | speed-up vs ours |")
    print("|---|---:|---:|---:|---:|")
    for name, sec, att, se in rows:
        print(f"| {name} | {sec:.3f} | {att:.8f} | {se:.8f} | {sec / t_mi:.1f}x |")
    diffs = [max(abs(att - rows[0][2]), abs(se - rows[0][3])) for _, _, att, se in rows[1:]]
    print(f"\nmedian of {REPEATS} runs each; largest |difference| of ATT/SE: {max(diffs):.1e}")
    print(f"massincidents is {fastest_peer / t_mi:.1f}x faster than the fastest peer.")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        REPEATS = int(sys.argv[1])
    main()
