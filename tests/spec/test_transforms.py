"""The closed vocabulary of transforms, computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from massincidents.spec import load_spec
from massincidents.spec.transforms import apply_transforms


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "u": ["a", "a", "a", "b", "b"],
            "t": [2000, 2001, 2003, 2000, 2001],
            "x": [1.0, 4.0, -2.0, 0.0, np.nan],
            "pop": [10.0, 0.0, 20.0, 5.0, 5.0],
        }
    )


def test_each_transform_by_hand() -> None:
    df = _frame()
    transforms = {
        "lx": ("log", ["x"]),
        "r": ("ratio", ["x", "pop"]),
        "r2": ("ratio", ["x", 4]),
        "s": ("share", ["x", "pop"]),
        "pm": ("per_million", ["x", "pop", 10000]),
        "sc": ("scale", ["x", -0.5]),
        "l1": ("lag", ["x", 1]),
        "l2": ("lag", ["lx", 2]),
    }
    out, undefined = apply_transforms(df, transforms, unit="u", time="t")
    x, pop = df["x"].to_numpy(), df["pop"].to_numpy()
    np.testing.assert_array_equal(out["lx"], [0.0, np.log(4.0), np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(out["r"], [0.1, np.nan, -0.1, 0.0, np.nan])
    np.testing.assert_array_equal(out["r2"], x / 4)
    np.testing.assert_array_equal(out["s"], [100 * 1.0 / 10, np.nan, 100 * -2.0 / 20, 0.0, np.nan])
    np.testing.assert_allclose(out["pm"], [10.0, np.nan, -10.0, 0.0, np.nan], equal_nan=True)
    np.testing.assert_array_equal(out["sc"], -0.5 * x)
    # lags follow the calendar, not the row order: 2003 has no 2002, b's 2001 lags b's 2000
    np.testing.assert_array_equal(out["l1"], [np.nan, 1.0, np.nan, np.nan, 0.0])
    np.testing.assert_array_equal(out["l2"], [np.nan, np.nan, np.log(4.0), np.nan, np.nan])
    assert pop.tolist() == out["pop"].tolist() and "lx" not in df.columns
    # log of -2 and of 0; x / 0 (ratio, share, per_million); nothing undefined for a lag
    assert undefined == {"lx": 2, "r": 1, "r2": 0, "s": 1, "pm": 1, "sc": 0, "l1": 0, "l2": 0}


def test_sum_and_first() -> None:
    df = _frame().assign(event=[0, 1, 1, 0, 0], y=[1.0, 2.0, 3.0, 4.0, 5.0])
    inside = df["t"] >= 2001
    out, undefined = apply_transforms(
        df,
        {"total": ("sum", ["x", "pop", "y"]), "cohort": ("first", ["event"])},
        unit="u",
        time="t",
        inside=inside,
    )
    np.testing.assert_array_equal(out["total"], [12.0, 6.0, 21.0, 9.0, np.nan])
    # unit a first has the event in 2001; unit b never does (0)
    assert out["cohort"].tolist() == [2001.0, 2001.0, 2001.0, 0.0, 0.0]
    out, _ = apply_transforms(
        df.assign(event=[1, 1, 0, 0, 1]),
        {"cohort": ("first", ["event"])},
        unit="u",
        time="t",
        inside=inside,
    )
    assert out["cohort"].tolist() == [2001.0, 2001.0, 2001.0, 2001.0, 2001.0]  # 2000 is outside
    assert undefined == {"total": 0, "cohort": 0}


def test_undefined_counted_in_the_window_only() -> None:
    df = _frame()
    inside = df["t"] >= 2001
    _, undefined = apply_transforms(df, {"lx": ("log", ["x"])}, unit="u", time="t", inside=inside)
    assert undefined == {"lx": 1}


def test_spec_transforms_keep_their_order_and_arguments() -> None:
    spec = load_spec(
        """
version: 1
data: {unit: u, time: t, level: other}
outcome: {count: y}
transforms:
  lx: {log: x}
  llx: {lag: [lx, 1]}
  pm: {per_million: [y, pop, 10000]}
causes: {social: [llx], solving: [], legal: [], system: []}
measures: {rule_of_law: [], government_functions: [], system_construction: [],
           cadre_quality: [], responsibility_system: [], livelihood: []}
models: [poisson]
"""
    )
    assert list(spec.transforms) == ["lx", "llx", "pm"]
    assert spec.transforms["pm"] == ("per_million", ["y", "pop", 10000])
    assert spec.needed_columns() == ["u", "t", "y", "x", "pop"]
