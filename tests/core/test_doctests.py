"""The examples in the docstrings of the shared machinery run as printed."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "massincidents.core.least_squares",
    "massincidents.core.newton",
    "massincidents.core.demean",
    "massincidents.core.formula",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
