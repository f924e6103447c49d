"""The examples in the spec modules' docstrings run as printed."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "massincidents.spec._yaml",
    "massincidents.spec.errors",
    "massincidents.spec.schema",
    "massincidents.spec.core",
    "massincidents.spec.transforms",
    "massincidents.spec.data",
    "massincidents.spec.engine",
    "massincidents.spec.software",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
