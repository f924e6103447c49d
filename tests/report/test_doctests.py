"""The examples in the report modules' docstrings run as printed."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "massincidents.report.tables",
    "massincidents.report.figures",
    "massincidents.report.html",
    "massincidents.report.write",
    "massincidents.report.summaries",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
