"""Shared fixtures: where the raw folder is, and a marker to skip without it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
RAW_DIR = Path(os.environ.get("MASSINCIDENTS_RAW", REPO_ROOT.parent / "shared" / "data" / "raw"))

requires_raw = pytest.mark.skipif(
    not RAW_DIR.is_dir(), reason=f"raw data folder {RAW_DIR} is absent"
)


@pytest.fixture
def raw_dir() -> Path:
    if not RAW_DIR.is_dir():
        pytest.skip(f"raw data folder {RAW_DIR} is absent")
    return RAW_DIR


# Plain helper modules shared by tests of several families (tests/scaling.py).
sys.path.insert(0, str(Path(__file__).resolve().parent))
