"""The examples in the docstrings of the survival modules (other than Cox) run as printed."""

from __future__ import annotations

import doctest
import importlib

import matplotlib
import pytest

matplotlib.use("Agg")

MODULES = [
    "massincidents.survival.conventions",
    "massincidents.survival.discrete",
    "massincidents.survival.nonparametric",
    "massincidents.survival.parametric",
    "massincidents.survival.plots",
    "massincidents.survival.recurrent",
    "massincidents.survival.spells",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
