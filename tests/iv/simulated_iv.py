"""A simulated panel with two-way fixed effects, two instruments and an endogenous regressor."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate(
    seed: int = 3, units: int = 30, years: int = 12, strength: float = 0.6
) -> pd.DataFrame:
    """``d`` endogenous (shares ``u`` with ``y``), instruments ``z1``, ``z2``; truth 1.5."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(units), years)
    year = np.tile(np.arange(2000, 2000 + years), units)
    a = rng.normal(size=units)[unit]
    g = rng.normal(size=years)[year - 2000]
    z1, z2, x, v, u = rng.normal(size=(5, unit.size))
    d = strength * z1 + strength * 0.5 * z2 + 0.3 * x + a + g + v + 0.8 * u
    y = 1.5 * d - 0.5 * x + 2 * a - g + u
    return pd.DataFrame({"unit": unit, "year": year, "y": y, "d": d, "x": x, "z1": z1, "z2": z2})
