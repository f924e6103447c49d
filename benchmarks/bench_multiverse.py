"""Specification curve of the book's multiverse: serial, joblib, Dask and ``specification-curve``.

    python benchmarks/bench_multiverse.py [repeats] [--no-simulated] [--no-peer] [--full-peer]

Compares, in one run and one process, the wall time of fitting every specification of
a multiverse with

(a) ``mi.specification_curve(..., n_jobs=1)`` (serial, in this process);
(b) ``mi.specification_curve(..., n_jobs=2)`` (joblib's loky processes);
(c) ``mi.specification_curve(..., scheduler=client)`` on a
    ``distributed.LocalCluster(n_workers=2, threads_per_worker=1)``; the cluster's start-up
    (and the client's connection) is timed once and reported apart from the fits;
(d) the peer package ``specification-curve`` (PyPI, 0.3.9; not a dependency of
    massincidents: ``pip install specification-curve==0.3.9``; skipped with a message when
    it is not installed, or with ``--no-peer``) fitting statsmodels models.

Each row reports the first run (it pays for loky's and Dask's worker processes importing
the package) and the median wall time of ``repeats`` further runs (default 3), the ratio
of that median to the serial one, the time per model, and the largest difference of the
estimates from the serial run's, which shows that each computes the same numbers ((a)-(c)
are exactly equal by construction).

Data and multiverses:

* **book**: the bundled ``mi.datasets.load("province_year")`` with the default spec
  (``mi.spec.default_spec()``, passed as ``spec``, so the data are prepared with
  ``mi.spec.prepare_data`` inside each run): outcome ``strikes``, window 2011-2017 (31
  provinces x 7 years), social indicator in {log_gdppc, unemployment_rate,
  urbanisation_rate} x system indicator in {ps_share, tenure_years, gdp_growth_target} x
  family {Poisson PML, NB2} x fixed effects {province + year, province} x exposure
  {population, none} x window {2011-2017, 2013-2017}: 144 specifications, estimates per
  standard deviation of the indicator, CRV1 by province;
* **simulated** (skip with ``--no-simulated``): ``mi.datasets.simulate_panel`` with 300
  units x 20 years and four decoy regressors with no effect (d1-d4), the same design of
  choices (social {x1, d1, d2} x system {x2, d3, d4} x 2 families x 2 fixed effects x 2
  exposures x windows {2000-2019, 2005-2019}): 144 specifications on 6,000 rows, per-unit
  estimates. specification-curve takes 1-4 s a model here (dense 6,000 x 322 designs;
  about 7 minutes for the whole multiverse), so by default it fits one block per family
  (province + year dummies, population exposure, 2000-2019: 24 models, 18 of them ours)
  and only once; ``--full-peer`` fits all of it ``1 + repeats`` times.

What ``specification-curve`` can express, and so what (d) fits. Its ``SpecificationCurve``
takes one data frame, outcomes ``y_endog``, focal regressors ``x_exog`` and ``controls``
(it fits every subset of the controls, minus those in ``exclu_grps``, with every
``always_include`` column), adds a constant and calls ``estimator(y, X).fit()`` for a
statsmodels estimator. It has no notion of fixed effects, exposure, families or sample
windows, so:

* fixed effects are dummy columns (``drop_first``, the package adds the constant) in
  ``always_include``; Poisson with dummies is the same model as Poisson PML with absorbed
  fixed effects, and NB2 with dummies the same as ``mi.negbin`` (which estimates the fixed
  effects as parameters, equivalent to dummies);
* the family, fixed effects, exposure and window are looped over outside the package:
  16 ``SpecificationCurve`` objects, one per combination, each on its window's rows;
* the exposure is an offset ``log(population)`` given to the statsmodels model by the
  estimator object (the package's ``estimator(y, X)`` call cannot pass one);
* the social indicator is ``x_exog``; the system indicators are ``controls`` in one
  exclusive group, so that at most one enters. The package also fits the empty subset,
  so each object fits 3 x 4 = 12 models, 9 of them ours: (d) fits 192 models for our 144
  specifications, all timed (the ms/model columns account for it); the 48 without a
  system indicator are left out of the comparison;
* the estimator is a small adapter (``Statsmodels`` below) that drops the rows with a
  missing value (each of our specifications deletes listwise, on its own columns) and
  the columns redundant in that sample (the dummies of the 4 provinces without
  ``gdp_growth_target``, the year dummies of years without ``ps_share``), then fits
  Poisson with ``statsmodels.api.GLM`` (IRLS) and NB2 with
  ``statsmodels.api.NegativeBinomial`` (ML, BFGS as statsmodels' default, then Newton's
  method from there: BFGS alone stops about 1e-3 from the maximum, and Newton's method
  from statsmodels' start values or on a rank-deficient design fails);
* (d') on the book's data, for reference, the direct use: Poisson only, with
  ``functools.partial(sm.GLM, family=Poisson(), offset=..., missing="drop")`` as the
  estimator. statsmodels then keeps the all-zero dummy columns of the provinces whose rows
  were all dropped, its IRLS does not converge on those designs (the deviance oscillates
  until ``maxiter=100``), and some estimates are 1e-3 off;
* the comparison divides our per-SD estimates by ``indicator_sd`` (the package fits
  indicators as they are) and reports the largest relative difference of both focal
  coefficients over the matched specifications, and whether the numbers of observations
  match. Standard errors are not compared (the package gives the model's default, ours
  are clustered by province).

BLAS runs on one thread everywhere (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and
``MKL_NUM_THREADS`` default to 1; set them to override): the parallel backends are
process-parallel, and on the 2-core machine statsmodels' dense fits with two OpenBLAS
threads took up to 40 s instead of 1 s a model whenever the other core was busy.

Not run by the test suite. On the 2 noisy cores of the development machine the whole run
takes three to four minutes (with ``--full-peer``, about half an hour).
"""

from __future__ import annotations

import os

# One BLAS thread in this process and in the loky and Dask workers it starts (before numpy
# is imported; set the variables to override). See the module docstring.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import functools  # noqa: E402
import itertools  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from importlib.metadata import PackageNotFoundError, version  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import massincidents as mi  # noqa: E402

Run = Callable[[], pd.DataFrame]


def timed(fn: Run, repeats: int) -> tuple[float, float, pd.DataFrame]:
    """Wall time of a first run, median over ``repeats`` further runs, last result.

    With ``repeats=0`` the median is the first run's time.
    """
    start = time.perf_counter()
    out = fn()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times) if times else first, out


# --- the multiverses -------------------------------------------------------------------


def book_case() -> dict[str, Any]:
    data = mi.datasets.load("province_year")
    spec = mi.spec.default_spec()
    frame = mi.spec.prepare_data(data, spec).frame
    multiverse = dict(spec.multiverse)
    multiverse.pop("standardize", None)
    return {
        "name": "book (province_year, 217 rows)",
        "fit": functools.partial(mi.specification_curve, data, spec),
        "frame": frame,
        "outcome": spec.outcome_column,
        "unit": spec.unit,
        "time": spec.time,
        "choices": multiverse,
        "plain_peer": True,
    }


def simulated_case() -> dict[str, Any]:
    effects = {"x1": 0.3, "x2": -0.2, "d1": 0.0, "d2": 0.0, "d3": 0.0, "d4": 0.0}
    frame = mi.datasets.simulate_panel(n_provinces=300, n_years=20, effects=effects, seed=1)
    frame.attrs = {}
    choices = {
        "indicators": {"social": ["x1", "d1", "d2"], "system": ["x2", "d3", "d4"]},
        "families": ["poisson", "negbin"],
        "fixed_effects": [["unit", "time"], ["unit"]],
        "exposure": ["population", None],
        "windows": [[2000, 2019], [2005, 2019]],
    }
    keys = {"outcome": "y", "unit": "province", "time": "year"}
    return {
        "name": f"simulated (300 x 20, {len(frame):,} rows)",
        "fit": functools.partial(mi.specification_curve, frame, choices=choices, **keys),
        "frame": frame,
        "choices": choices,
        # specification-curve takes 1-4 s a model here (dense 6,000 x 322 designs): by
        # default it fits one block per family, once (--full-peer: all, with repeats).
        "peer_subset": {
            "fixed_effects": [["unit", "time"]],
            "exposure": ["population"],
            "windows": [[2000, 2019]],
        },
        **keys,
    }


def ours_estimates(table: pd.DataFrame) -> pd.DataFrame:
    """One row per specification: key columns, the two focal coefficients (per unit), nobs."""
    table = table.assign(
        per_unit=np.where(
            table["scale"] == "per SD", table["estimate"] / table["indicator_sd"], table["estimate"]
        )
    )
    wide = table.pivot(index="spec_number", columns="term", values=["indicator", "per_unit"])
    wide.columns = [f"{a}_{b}" for a, b in wide.columns]
    keys = table.groupby("spec_number")[["family", "fixed_effects", "exposure", "window", "nobs"]]
    return wide.join(keys.first()).reset_index()


# --- (d) specification-curve -------------------------------------------------------------


class Statsmodels:
    """A statsmodels count model as ``specification-curve`` calls an estimator.

    ``Statsmodels(family, offset)(y, X).fit()``: drops the rows with a missing value and
    the columns of ``X`` that are zero or a combination of the columns before them in the
    sample (the dummies of provinces with no complete row, a year dummy whose year has no
    rows, the base year's absence), then fits ``family``: ``"poisson"`` with
    ``statsmodels.api.GLM`` (IRLS), ``"negbin"`` (NB2) with
    ``statsmodels.api.NegativeBinomial`` by maximum likelihood, statsmodels' default BFGS
    polished by Newton's method from there.
    """

    def __init__(self, family: str, offset: pd.Series | None = None) -> None:
        self.family, self.offset = family, offset

    def __call__(self, endog: pd.Series, exog: pd.DataFrame) -> Statsmodels:
        self.endog, self.exog = endog, exog
        return self

    def fit(self) -> Any:
        import statsmodels.api as sm

        keep = self.exog.notna().all(axis=1) & self.endog.notna()
        x = self.exog.loc[keep]
        values = x.to_numpy(dtype=float)
        norms = np.linalg.norm(values, axis=0)
        r = np.abs(np.diag(np.linalg.qr(values, mode="r")))
        x = x.loc[:, (norms > 0) & (r > 1e-9 * np.maximum(norms, 1e-300))]
        offset = None if self.offset is None else self.offset.loc[keep]
        y = self.endog.loc[keep]
        if self.family == "poisson":
            return sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit()
        model = sm.NegativeBinomial(y, x, offset=offset)
        start = model.fit(disp=0, maxiter=1000).params
        return model.fit(method="newton", start_params=start, maxiter=100, disp=0)


def peer_runner(case: dict[str, Any], plain: bool = False, subset: bool = False) -> Run:
    """The specifications of ``case`` with specification-curve: a table as ours_estimates.

    ``plain``: Poisson only, with ``functools.partial(statsmodels.api.GLM, ...,
    missing="drop")`` as the estimator, the direct use of a statsmodels class.
    ``subset``: only the fixed effects, exposures and windows of ``case["peer_subset"]``.
    """
    import statsmodels.api as sm
    from specification_curve import SpecificationCurve

    choices = {**case["choices"], **(case["peer_subset"] if subset else {})}
    frame = case["frame"]
    outcome, unit, period = case["outcome"], case["unit"], case["time"]
    (social_term, social), (system_term, system) = choices["indicators"].items()
    units = pd.get_dummies(frame[unit], prefix="u", drop_first=True, dtype=float)
    periods = pd.get_dummies(frame[period], prefix="t", drop_first=True, dtype=float)
    columns = [outcome, *social, *system, "population"]
    base = pd.concat([frame[[period]], frame[columns], units, periods], axis=1)

    def run() -> pd.DataFrame:
        rows = []
        families = ["poisson"] if plain else choices["families"]
        blocks = itertools.product(
            families, choices["fixed_effects"], choices["exposure"], choices["windows"]
        )
        for family, fe, exposure, (start, end) in blocks:
            window = base[(base[period] >= start) & (base[period] <= end)]
            data = window.drop(columns=[period]).reset_index(drop=True)
            dummies = list(units.columns) + (list(periods.columns) if "time" in fe else [])
            offset = np.log(data[exposure]) if exposure else None
            if plain:
                estimator: Any = functools.partial(
                    sm.GLM, family=sm.families.Poisson(), offset=offset, missing="drop"
                )
            else:
                estimator = Statsmodels(family, offset)
            curve = SpecificationCurve(
                data,
                y_endog=outcome,
                x_exog=list(social),
                controls=list(system),
                exclu_grps=[list(system)],
                always_include=dummies,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # rank-deficient designs, see the docstring
                curve.fit(estimator=estimator)
            for x, specification, result in curve.df_r[
                ["x_exog", "Specification", "Results"]
            ].itertuples(index=False):
                chosen = [c for c in specification if c in system]
                rows.append(
                    {
                        "family": family,
                        "fixed_effects": "+".join(fe) if fe else "none",
                        "exposure": exposure or "none",
                        "window": f"{start}-{end}",
                        f"indicator_{social_term}": x,
                        f"indicator_{system_term}": chosen[0] if chosen else None,
                        f"per_unit_{social_term}": float(result.params[x]),
                        f"per_unit_{system_term}": (
                            float(result.params[chosen[0]]) if chosen else np.nan
                        ),
                        "nobs": int(result.nobs),
                    }
                )
        return pd.DataFrame(rows)

    return run


def compare_peer(ours: pd.DataFrame, peer: pd.DataFrame, terms: list[str]) -> tuple[str, str]:
    """Largest relative difference of the focal coefficients, and a nobs check."""
    keys = ["family", "fixed_effects", "exposure", "window", *(f"indicator_{t}" for t in terms)]
    blocks = ["family", "fixed_effects", "exposure", "window"]
    ours = ours.merge(peer[blocks].drop_duplicates(), on=blocks)  # the blocks the peer fitted
    both = ours.merge(peer.dropna(subset=keys), on=keys, suffixes=("", "_peer"), how="left")
    if both[[f"per_unit_{t}_peer" for t in terms]].isna().any().any():  # pragma: no cover
        return "some specifications unmatched", ""
    ours_b = both[[f"per_unit_{t}" for t in terms]].to_numpy(dtype=float)
    peer_b = both[[f"per_unit_{t}_peer" for t in terms]].to_numpy(dtype=float)
    rel = np.abs(peer_b - ours_b) / np.abs(ours_b)
    by_family = {
        family: float(np.max(rel[(both["family"] == family).to_numpy()]))
        for family in both["family"].unique()
    }
    text = f"{float(rel.max()):.1e} (" + ", ".join(f"{k} {v:.1e}" for k, v in by_family.items())
    same_n = int((both["nobs"] == both["nobs_peer"]).sum())
    return text + ")", f"nobs equal in {same_n}/{len(both)}"


# --- the benchmark -------------------------------------------------------------------------


def bench_case(
    case: dict[str, Any], client: Any, repeats: int, peer: bool, full_peer: bool = False
) -> tuple[list[dict[str, Any]], list[str]]:
    terms = list(case["choices"]["indicators"])
    backends = {
        "(a) mi.specification_curve, serial": lambda: case["fit"](n_jobs=1).table,
        "(b) mi.specification_curve, joblib n_jobs=2": lambda: case["fit"](n_jobs=2).table,
    }
    if client is not None:
        backends["(c) mi.specification_curve, Dask LocalCluster 2x1"] = lambda: (
            case["fit"](scheduler=client).table
        )
    rows, notes = [], []
    reference = None
    for label, fn in backends.items():
        first, median, table = timed(fn, repeats)
        if reference is None:
            reference = table
        diff = float(np.nanmax(np.abs(table["estimate"] - reference["estimate"])))
        rows.append(
            {
                "data": case["name"],
                "method": label,
                "models": table["spec_number"].nunique(),
                "first s": first,
                "median s": median,
                "diff": f"max abs {diff:.1e}",
            }
        )
        print(f"  {case['name']}: {label} {median:.3f} s", flush=True)
    assert reference is not None
    if peer:
        ours = ours_estimates(reference)
        variants = {"(d) specification-curve 0.3.9 + statsmodels": False}
        if case.get("plain_peer"):
            variants["(d') the same, Poisson only, GLM as is, missing='drop'"] = True
        subset = "peer_subset" in case and not full_peer
        for label, plain in variants.items():
            if subset:
                label += ", subset, 1 run"
            first, median, table = timed(peer_runner(case, plain, subset), 0 if subset else repeats)
            rel, nobs = compare_peer(ours, table, terms)
            rows.append(
                {
                    "data": case["name"],
                    "method": label,
                    "models": len(table),
                    "first s": first,
                    "median s": median,
                    "diff": f"max rel {rel}",
                }
            )
            notes.append(
                f"{case['name']}: {label.split()[0]} vs (a), {nobs} matched specifications"
            )
            print(f"  {case['name']}: {label} {median:.3f} s", flush=True)
    serial = rows[0]["median s"]
    for row in rows:
        row["ms/model"] = 1000 * row["median s"] / row["models"]
        row["ms/model ratio"] = row["ms/model"] / rows[0]["ms/model"]
        # The whole run against the serial one, when it covers all our specifications.
        covers = row["models"] >= rows[0]["models"]
        row["ratio to serial"] = row["median s"] / serial if covers else np.nan
    return rows, notes


def markdown(rows: list[dict[str, Any]]) -> str:
    columns = ["data", "method", "models", "first s", "median s", "time / (a)", "ms/model"]
    columns += ["ms/model / (a)", "estimates vs (a)"]
    lines = ["| " + " | ".join(columns) + " |", "|---|---|" + "---:|" * 6 + "---|"]
    for r in rows:
        cells = [
            r["data"],
            r["method"],
            str(r["models"]),
            f"{r['first s']:.3f}",
            f"{r['median s']:.3f}",
            "-" if np.isnan(r["ratio to serial"]) else f"{r['ratio to serial']:.2f}x",
            f"{r['ms/model']:.1f}",
            f"{r['ms/model ratio']:.2f}x",
            r["diff"],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repeats", nargs="?", type=int, default=3)
    parser.add_argument("--no-simulated", action="store_true", help="the book's data only")
    parser.add_argument("--no-peer", action="store_true", help="skip specification-curve")
    parser.add_argument(
        "--full-peer",
        action="store_true",
        help="specification-curve on the whole simulated multiverse, repeated (~8 min a run)",
    )
    args = parser.parse_args()

    peer = not args.no_peer
    if peer:
        try:
            import specification_curve  # noqa: F401
        except ImportError:
            print(
                "specification-curve is not installed: skipping (d). "
                "pip install specification-curve==0.3.9 to include it."
            )
            peer = False

    started = time.perf_counter()
    cases = [book_case()] + ([] if args.no_simulated else [simulated_case()])
    cluster = client = None
    startup = float("nan")
    try:
        from distributed import Client, LocalCluster

        start = time.perf_counter()
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        startup = time.perf_counter() - start
    except ImportError:  # pragma: no cover - depends on the environment
        print("dask.distributed is not installed: skipping (c).")

    rows, notes = [], []
    try:
        for case in cases:
            case_rows, case_notes = bench_case(case, client, args.repeats, peer, args.full_peer)
            rows += case_rows
            notes += case_notes
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    print()
    print(
        f"Python {platform.python_version()}, massincidents {mi.__version__}, "
        f"specification-curve {installed('specification-curve')}, "
        f"statsmodels {installed('statsmodels')}, dask {installed('dask')}, "
        f"distributed {installed('distributed')}, joblib {installed('joblib')}, "
        f"numpy {installed('numpy')}, pandas {installed('pandas')}; "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    )
    print(
        f"first run, then the median of {args.repeats} runs; Dask LocalCluster(n_workers=2, "
        f"threads_per_worker=1) start-up and client connection: {startup:.3f} s (not in the "
        "fit times)"
    )
    print()
    print(markdown(rows))
    print()
    for note in notes:
        print(note)
    print(
        "(d) fits 12 models per family x fixed effects x exposure x window, 9 of them ours "
        "(the package also fits the social indicator alone): the extra quarter is timed but "
        "not compared. time / (a): the whole run against the serial run, for rows covering "
        "all 144 specifications."
    )
    print(f"total run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
