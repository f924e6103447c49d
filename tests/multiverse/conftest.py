"""A simulated panel with alternative indicators, for the multiverse tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import massincidents as mi


def multiverse_panel(seed: int = 7) -> pd.DataFrame:
    """simulate_panel (true x1 = 0.3, x2 = -0.2, log-population exposure) plus decoys.

    ``x1_noisy`` is x1 measured with error (attenuated), ``z`` is unrelated to
    the outcome, ``x2_proxy`` is a noisy proxy of x2.
    """
    df = mi.datasets.simulate_panel(seed=seed)
    rng = np.random.default_rng(seed + 100)
    df["x1_noisy"] = df["x1"] + rng.normal(0.0, 1.0, len(df))
    df["z"] = rng.normal(size=len(df))
    df["x2_proxy"] = df["x2"] + rng.normal(0.0, 1.0, len(df))
    return df


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return multiverse_panel()
