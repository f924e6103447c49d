"""The cluster jackknife (CV3) against a CRV1 fit, and against pyfixest's CRV3.

    python benchmarks/bench_jackknife.py [--clusters 300] [--per-cluster 20] [--repeat 3]

Not run by the test suite (no timed assertions anywhere). Data:
``mi.datasets.simulate_panel(n_provinces=G, n_years=T, seed=1)`` (``G`` clusters of
``T`` rows; default 300 x 20 = 6,000 rows). For each model the table gives the time of a
fit with ``vcov={"CRV1": "province"}``, of the same fit with ``{"CV3": "province"}``
(the fit included), their ratio, and pyfixest's ``feols(..., vcov={"CRV3": "province"})``
where pyfixest offers it (least squares), with the largest ratio of its standard
errors to ours (its CRV3 is ours times :math:`(G/(G-1))^2 (N-1)/(N-K)`, see
:mod:`massincidents.inference.vcov`).

* ``| province``: the fixed effect is nested in the clusters: the jackknife is in closed
  form, :math:`\\hat\\beta_{(g)} = \\hat\\beta - (A - X_g'X_g)^{-1}S_g` for all clusters at
  once;
* ``| province + year``: the year effects are not nested: each leave-one-out sample is
  partialled again (one short partialling per cluster);
* Poisson and NB2: exact refits, IRLS warm-started at the estimate, one per cluster
  (``n_jobs=1``; joblib parallelism is for ``mi.influence(..., n_jobs=)``);
* Poisson and NB2, ``"jackknife": "one-step"``: the one-step approximation, in closed
  form for every cluster at once also with the year effects not nested in the clusters
  (their dummies join the regressors).

Times are the best of ``--repeat`` runs after one warm-up run. On a machine whose cores
are shared, run with ``OPENBLAS_NUM_THREADS=1``: multithreaded BLAS on small matrices
then swings by a factor of 20 from run to run.

Run on 2026-12-07 on a quiet machine (``OPENBLAS_NUM_THREADS=1``), 300 clusters x 20:
CV3 fit / CRV1 fit 1.0 (``| province``), 3.0 (``| province + year``), 1.1 (pooled), 156
(Poisson: 300 warm-started refits), 171 (NB2: 300 refits with theta); one-step: 1.8
(Poisson ``| province + year``), 2.3 (Poisson ``| year``), 1.2 (NB2 ``| year``); before
the closed form for effects not nested in the clusters, the one-step cost about 44 CRV1
fits. pyfixest 0.60's CRV3 took 185-629 times our CV3 fit with fixed effects (it refits
each leave-one-out sample), 4.7 times pooled.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from collections.abc import Callable
from importlib.metadata import version

import numpy as np
import pandas as pd

import massincidents as mi


def best_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=300)
    parser.add_argument("--per-cluster", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    df = mi.datasets.simulate_panel(n_provinces=args.clusters, n_years=args.per_cluster, seed=1)
    df = df.reset_index() if "province" not in df.columns else df
    try:
        import pyfixest as pf
    except ImportError:  # pragma: no cover
        pf = None
    exposure = {"exposure": "population"}
    one_step = {"jackknife": "one-step"}
    cases = [
        ("OLS | province", mi.linear, "y_linear ~ x1 + x2 + treated | province", {}, {}),
        ("OLS | province + year", mi.linear, "y_linear ~ x1 + x2 + treated | province + year",
         {}, {}),
        ("OLS pooled", mi.linear, "y_linear ~ x1 + x2 + treated", {}, {}),
        ("Poisson | province + year", mi.poisson, "y ~ x1 + x2 + treated | province + year",
         exposure, {}),
        ("Poisson | province + year, one-step", mi.poisson,
         "y ~ x1 + x2 + treated | province + year", exposure, one_step),
        ("Poisson | year, one-step", mi.poisson, "y ~ x1 + x2 + treated | year", exposure,
         one_step),
        ("NB2 | year", mi.negbin, "y ~ x1 + x2 + treated | year", exposure, {}),
        ("NB2 | year, one-step", mi.negbin, "y ~ x1 + x2 + treated | year", exposure, one_step),
    ]  # fmt: skip
    rows = []
    for label, function, formula, kwargs, how in cases:

        def fit(vcov, function=function, formula=formula, kwargs=kwargs):
            return lambda: function(formula, df, vcov=vcov, **kwargs)

        t_crv1, _ = best_time(fit({"CRV1": "province"}), args.repeat)
        t_cv3, ours = best_time(fit({"CV3": "province", **how}), args.repeat)
        row = {"model": label, "CRV1 fit (s)": t_crv1, "CV3 fit (s)": t_cv3,
               "CV3 / CRV1": t_cv3 / t_crv1}
        if pf is not None and function is mi.linear:
            t_pf, fit_pf = best_time(
                lambda formula=formula: pf.feols(formula, df, vcov={"CRV3": "province"}),
                args.repeat,
            )
            # pyfixest's CRV3 is G/(G-1) (N-1)/(N-K) sum (b_g - b)(b_g - b)': ours
            # times (G/(G-1))^2 (N-1)/(N-K); the ratio of the SEs is shown as it is
            se = fit_pf.se().reindex(ours.params.index)
            row["pyfixest CRV3 (s)"] = t_pf
            row["pyfixest / ours"] = t_pf / t_cv3
            row["pyfixest SE / ours"] = float(np.max(se / ours.bse))
        rows.append(row)
    print(f"{args.clusters} clusters x {args.per_cluster} rows = {len(df):,} rows; "
          f"Python {platform.python_version()}, massincidents {mi.__version__}, "
          f"pyfixest {version('pyfixest') if pf else 'absent'}; {platform.machine()}")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
