"""The examples in the count models' docstrings run as printed."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "massincidents.counts.poisson",
    "massincidents.counts.negbin",
    "massincidents.counts.conditional_negbin",
    "massincidents.counts.zero_inflated",
    "massincidents.counts.margins",
    "massincidents.counts.separation",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
