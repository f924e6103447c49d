"""The simulated IV panel as a fixture (see simulated_iv.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # simulated_iv

from simulated_iv import simulate


@pytest.fixture
def panel() -> pd.DataFrame:
    return simulate()
