"""mi.staggered_did against the PyPI package `differences` (a second independent port of R did).

`csdid` is the main reference (tests/did/test_callaway_santanna.py); `differences` is written
separately, so agreement with both guards against a shared porting error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import massincidents as mi

differences = pytest.importorskip("differences")


def _panel(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, t = 300, 10
    cohort = rng.choice([0, 5, 7, 9], n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    unit = np.repeat(np.arange(1, n + 1), t)
    year = np.tile(np.arange(1, t + 1), n)
    g = np.repeat(cohort, t)
    e = year - g
    tau = np.where((g > 0) & (e >= 0), 0.5 + 0.1 * e, 0.0)
    y = (
        np.repeat(rng.normal(size=n), t)
        + 0.1 * year
        + 0.5 * np.repeat(x1, t)
        + 0.3 * np.repeat(x2, t) * year / t
        + tau
        + rng.normal(size=n * t)
    )
    return pd.DataFrame(
        {"id": unit, "year": year, "cohort": g.astype(float), "y": y,
         "x1": np.repeat(x1, t), "x2": np.repeat(x2, t)}
    )


KINDS = {"simple": None, "dynamic": "event", "group": "cohort", "calendar": "time"}


@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize("method", ["dr", "reg"])
def test_att_gt_and_aggregations_equal_differences(control: str, method: str) -> None:
    df = _panel(seed=7)
    ours = mi.staggered_did(
        df, outcome="y", unit="id", time="year", cohort="cohort", control_group=control,
        covariates=["x1", "x2"], method=method, bootstrap=False,
    )
    theirs_data = df.assign(cohort=df["cohort"].replace(0, np.nan)).set_index(["id", "year"])
    theirs = differences.ATTgt(data=theirs_data, cohort_column="cohort")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(
            formula="y ~ x1 + x2", est_method=method,
            control_group={"never": "never_treated", "notyet": "not_yet_treated"}[control],
            boot_iterations=0, n_jobs=1, progress_bar=False,
        )
    cells = theirs.results()
    cells.columns = ["att", "se", *[f"c{i}" for i in range(cells.shape[1] - 2)]]
    cells = cells.reset_index()[["cohort", "time", "att", "se"]]
    merged = ours.att_gt.merge(cells, left_on=["group", "time"], right_on=["cohort", "time"])
    assert len(merged) == len(ours.att_gt) == len(cells)
    np.testing.assert_allclose(merged["att_x"], merged["att_y"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(merged["se_x"], merged["se_y"], rtol=1e-6, atol=1e-9)

    for kind, their_kind in KINDS.items():
        agg = ours.aggregate(kind)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = theirs.aggregate(their_kind or "simple")
        values = ref.iloc[:, :2].to_numpy(dtype=float)
        if kind == "simple":
            np.testing.assert_allclose(
                [agg.overall_att, agg.overall_se], values[0, :2], rtol=1e-6, atol=1e-9
            )
            continue
        mine = agg.estimates.iloc[:, :3].to_numpy()  # index column, att, se
        np.testing.assert_allclose(mine[:, 0], ref.index.to_numpy(dtype=float))
        np.testing.assert_allclose(mine[:, 1:3], values[:, :2], rtol=1e-6, atol=1e-9)
