"""Least squares with absorbed fixed effects: every variance choice against pyfixest's feols.

    python benchmarks/bench_linear_vcov.py [--rows 1000000] [--repeat 5] [--readme README.md]

Not run by the test suite. Data: ``benchmarks/scaling.py``'s ``fe_data(rows)`` (units of
20 rows, 50 periods, 100 sectors, two regressors). For one-, two- and three-way fixed
effects (``unit``; ``unit + period``; ``unit + period + sector``) and each variance choice
(``iid``, ``hetero``, CRV1 by unit, two-way CRV1 by unit and period),
``mi.linear(..., ssc="fixest")`` and ``pyfixest.feols`` fit the same model; their
coefficients and standard errors are compared first (1e-8 relative), then both are timed
in ``--repeat`` rounds in which each runs once, in turn (medians, after a warm-up run of
each, which also compiles pyfixest's numba code). ``ssc="fixest"`` makes the two compute
the same numbers; the other conventions cost the same.

With ``--readme``, the table replaces the text between ``<!-- linear-vcov:start -->`` and
``<!-- linear-vcov:end -->`` in that file.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme_block import replace_block

import massincidents as mi
from scaling import fe_data

FIXED_EFFECTS = {
    "one-way": "unit",
    "two-way": "unit + period",
    "three-way": "unit + period + sector",
}
VCOV = {
    "iid": "iid",
    "hetero": "hetero",
    "CRV1 unit": {"CRV1": "unit"},
    "CRV1 unit + period": {"CRV1": "unit+period"},
}


def case(df: pd.DataFrame, fe: str, vcov: object, repeat: int) -> dict:
    import pyfixest as pf

    formula = f"y ~ x1 + x2 | {fe}"

    def ours() -> mi.Result:
        return mi.linear(formula, df, vcov=vcov, ssc="fixest")

    def theirs():
        return pf.feols(formula, df, vcov=vcov)

    a, b = ours(), theirs()  # warm-up, and the numbers compared
    coef = float(np.max(np.abs(a.params.to_numpy() / b.coef().to_numpy() - 1)))
    se = float(np.max(np.abs(a.bse.to_numpy() / b.se().to_numpy() - 1)))
    times: dict[str, list[float]] = {"ours": [], "pyfixest": []}
    for _ in range(repeat):
        for name, fn in (("ours", ours), ("pyfixest", theirs)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    t_ours, t_pf = statistics.median(times["ours"]), statistics.median(times["pyfixest"])
    return {"ours (s)": t_ours, "pyfixest (s)": t_pf, "ours / pyfixest": t_ours / t_pf,
            "coefficients agree": coef <= 1e-8, "SEs agree": se <= 1e-8,
            "largest SE difference": se}  # fmt: skip


def markdown(rows: list[dict]) -> str:
    lines = [
        "| fixed effects | variance | ours (s) | pyfixest (s) | ours / pyfixest "
        "| estimates and SEs agree (1e-8) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        agree = "yes" if r["coefficients agree"] and r["SEs agree"] else (
            f"NO ({r['largest SE difference']:.1e})"
        )
        lines.append(
            f"| {r['fixed effects']} | {r['variance']} | {r['ours (s)']:.3f} | "
            f"{r['pyfixest (s)']:.3f} | {r['ours / pyfixest']:.2f} | {agree} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--readme", type=Path, default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    df = fe_data(args.rows)
    rows = []
    for fe_label, fe in FIXED_EFFECTS.items():
        for v_label, vcov in VCOV.items():
            row = {"fixed effects": fe_label, "variance": v_label,
                   **case(df, fe, vcov, args.repeat)}  # fmt: skip
            print(f"  {fe_label}, {v_label}: {row['ours / pyfixest']:.2f}", flush=True)
            rows.append(row)
    header = (
        f"Measured by `python benchmarks/bench_linear_vcov.py --rows {args.rows}` on "
        f"{time.strftime('%Y-%m-%d')}: {args.rows:,} rows, Python {platform.python_version()}, "
        f"massincidents {mi.__version__}, pyfixest {version('pyfixest')}, numpy "
        f"{version('numpy')}, {platform.machine()}, {len(os.sched_getaffinity(0))} cores, load "
        f"average {os.getloadavg()[0]:.1f} at the end; medians of {args.repeat} rounds after "
        "a warm-up run, ours and pyfixest in turn; `ssc=\"fixest\"` so that both compute the "
        "same standard errors."
    )
    table = markdown(rows)
    print()
    print(header)
    print()
    print(table)
    if args.readme is not None:
        replace_block(args.readme, "linear-vcov", f"{header}\n\n{table}")


if __name__ == "__main__":
    main()
