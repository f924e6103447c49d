"""Fixtures of the tests of results/."""

from __future__ import annotations

import pytest

from model_families import fit_every_family


@pytest.fixture(scope="session")
def every_family() -> dict[str, object]:
    """One fit of each model family (fitted once per test session)."""
    return fit_every_family()
