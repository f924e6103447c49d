"""run.json names the version of every library that shapes the numbers."""

from __future__ import annotations

import importlib
import platform

import massincidents as mi
from massincidents.spec.software import RECORDED, software_versions


def test_every_library_that_shapes_the_numbers_is_recorded() -> None:
    found = software_versions()
    for name in (
        "numpy",
        "pandas",
        "scipy",
        "statsmodels",
        "pyfixest",
        "formulaic",
        "duckdb",
        "matplotlib",
    ):
        assert name in RECORDED
        # the version of the module that is actually imported
        assert found[name] == importlib.import_module(name).__version__, name
    assert found["python"] == platform.python_version()
    assert found["massincidents"] == mi.__version__


def test_a_missing_library_is_said_to_be_missing(monkeypatch) -> None:
    monkeypatch.setattr("massincidents.spec.software.RECORDED", ("no-such-distribution-x",))
    assert software_versions()["no-such-distribution-x"] == "not installed"

