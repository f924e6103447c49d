"""Andersen-Gill Cox model on 1,000,000 counting-process rows: mi.cox against lifelines and
statsmodels.

    python benchmarks/bench_cox.py [--units 100000] [--repeat 5] [--peer-repeat 1]
                                   [--skip-lifelines] [--statsmodels-entry-shift 0.5]

Needs, beyond the package: ``lifelines`` (statsmodels is a dependency). Not run by the tests.

Data (simulated, seed 20240611): ``--units`` units (default 100,000) followed for ten
periods of 365 days, one row per unit-period (1,000,000 rows by default), with covariates
``x1`` (unit-level, normal), ``x2`` (changes every period, normal) and ``treated``
(switches on in period 5 for half the units). Within each period an event happens at rate
``0.05 exp(0.3 x1 - 0.2 x2 - 0.4 treated)`` per 365 days; an event ends that row at the
event day (rounded up to whole days, so event times tie, as in daily incident data) and the
unit is back at risk from the next period. Recurrent events of a unit: Andersen-Gill.

Models, all ``(start, stop] ~ x1 + x2 + treated`` with Efron ties:

* ``mi.cox(..., cluster="unit")``: coefficients and the robust (clustered) variance of R
  ``coxph(Surv(start, stop, event) ~ x1 + x2 + treated + cluster(unit))``;
* lifelines ``CoxTimeVaryingFitter``: coefficients and model-based SE only (it has no robust
  or clustered variance);
* statsmodels ``PHReg(..., entry=start + 0.5, ties="efron")``, ``fit(groups=unit)``:
  coefficients and its clustered variance. PHReg counts a row as at risk at ``t >= entry``
  (R and we: ``t > start``), so with ``entry=start`` a unit whose row starts on an event
  day would be in that day's risk set twice; times are whole days, so ``start + 0.5``
  (``--statsmodels-entry-shift``) gives the same risk sets.

Times are medians of ``--repeat`` runs of ``mi.cox`` (after one warm-up run) and of
``--peer-repeat`` runs of each peer (default 1: they take minutes). ``mi.cox`` is timed twice:
with the robust variance clustered by unit (compared with statsmodels' clustered variance)
and with the model-based variance only (compared with lifelines, which has no other): each
ratio compares like with like. The table also gives the largest absolute difference of the
coefficients from ``mi.cox``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from importlib.metadata import version

import numpy as np
import pandas as pd

import massincidents as mi

X_NAMES = ["x1", "x2", "treated"]
BETA = np.array([0.3, -0.2, -0.4])


def simulate(units: int, periods: int = 10, seed: int = 20240611) -> pd.DataFrame:
    """Counting-process rows of recurrent events with daily (tied) event times."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(units), periods)
    period = np.tile(np.arange(periods), units)
    x1 = np.repeat(rng.normal(size=units), periods)
    x2 = rng.normal(size=units * periods)
    treated = ((np.repeat(rng.random(units) < 0.5, periods)) & (period >= 5)).astype(float)
    rate = 0.05 * np.exp(BETA[0] * x1 + BETA[1] * x2 + BETA[2] * treated)
    wait = rng.exponential(1.0 / rate) * 365.0
    event = wait < 365.0
    start = period * 365.0
    stop = np.where(event, start + np.maximum(np.ceil(wait), 1.0), start + 365.0)
    return pd.DataFrame(
        {
            "unit": unit,
            "start": start,
            "stop": stop,
            "event": event.astype(int),
            "x1": x1,
            "x2": x2,
            "treated": treated,
        }
    )


def timed(fn: Callable[[], pd.Series], repeat: int, warm_up: bool) -> tuple[float, pd.Series]:
    if warm_up:
        fn()
    times, result = [], pd.Series(dtype=float)
    for _ in range(repeat):
        begin = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - begin)
    return statistics.median(times), result


def run_ours(df: pd.DataFrame) -> pd.Series:
    fit = mi.cox("x1 + x2 + treated", df, start="start", stop="stop", event="event", cluster="unit")
    return pd.concat([fit.params, fit.bse.add_prefix("se_")])


def run_ours_model_based(df: pd.DataFrame) -> pd.Series:
    """The like-for-like comparison with lifelines: the model-based variance only."""
    fit = mi.cox("x1 + x2 + treated", df, start="start", stop="stop", event="event", vcov="iid")
    return pd.concat([fit.params, fit.bse.add_prefix("se_")])


def run_lifelines(df: pd.DataFrame) -> pd.Series:
    from lifelines import CoxTimeVaryingFitter

    ctv = CoxTimeVaryingFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctv.fit(
            df[["unit", "start", "stop", "event", *X_NAMES]],
            id_col="unit",
            event_col="event",
            start_col="start",
            stop_col="stop",
        )
    return pd.concat([ctv.params_, ctv.standard_errors_.add_prefix("se_")])


def run_statsmodels(df: pd.DataFrame, entry_shift: float = 0.5) -> pd.Series:
    from statsmodels.duration.hazard_regression import PHReg

    model = PHReg(
        df["stop"].to_numpy(),
        df[X_NAMES].to_numpy(),
        status=df["event"].to_numpy(),
        entry=df["start"].to_numpy() + entry_shift,
        ties="efron",
    )
    fit = model.fit(groups=df["unit"].to_numpy())
    return pd.concat(
        [
            pd.Series(fit.params, index=X_NAMES),
            pd.Series(fit.bse, index=X_NAMES).add_prefix("se_"),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peer-repeat", type=int, default=1)
    parser.add_argument("--statsmodels-entry-shift", type=float, default=0.5)
    parser.add_argument("--skip-lifelines", action="store_true")
    args = parser.parse_args()

    df = simulate(args.units)
    print(
        f"{len(df):,} rows, {df['unit'].nunique():,} units, {int(df['event'].sum()):,} events, "
        f"{df.loc[df['event'] == 1, 'stop'].nunique():,} distinct event times"
    )
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"lifelines {version('lifelines')}, statsmodels {version('statsmodels')}, "
        f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores\n"
    )
    runs: dict[str, tuple[float, pd.Series]] = {
        "mi.cox (robust SE by unit)": timed(lambda: run_ours(df), args.repeat, True),
        "mi.cox (model-based SE)": timed(lambda: run_ours_model_based(df), args.repeat, True),
    }
    runs["statsmodels PHReg (efron, groups=unit)"] = timed(
        lambda: run_statsmodels(df, args.statsmodels_entry_shift), args.peer_repeat, False
    )
    if not args.skip_lifelines:
        runs["lifelines CoxTimeVaryingFitter (no robust SE)"] = timed(
            lambda: run_lifelines(df), args.peer_repeat, False
        )

    # Like with like: a peer with a robust (clustered) variance against our robust fit,
    # a peer with the model-based variance only (lifelines) against our model-based fit.
    robust_time, base = runs["mi.cox (robust SE by unit)"]
    model_time = runs["mi.cox (model-based SE)"][0]
    lines = [
        "| library | variance | median time (s) | ratio to mi.cox with the same variance "
        "| max abs coef diff | SE of x1 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, (seconds, result) in runs.items():
        robust = "robust" in name or "PHReg" in name
        ours_time = robust_time if robust else model_time
        diff = float(np.max(np.abs(result[X_NAMES].to_numpy() - base[X_NAMES].to_numpy())))
        lines.append(
            f"| {name} | {'robust, by unit' if robust else 'model-based'} | {seconds:.2f} | "
            f"{seconds / ours_time:.1f} | {diff:.1e} | {result['se_x1']:.6f} |"
        )
    print("\n".join(lines))
    truth = dict(zip(X_NAMES, BETA.tolist(), strict=True))
    print("\ncoefficients (mi.cox):", base[X_NAMES].round(6).to_dict(), "truth:", truth)


if __name__ == "__main__":
    main()
