"""The docstring examples of massincidents.dynamic run."""

from __future__ import annotations

import doctest

import pytest

from massincidents.dynamic import estimator, formula


@pytest.mark.parametrize("module", [estimator, formula])
def test_doctests(module: object) -> None:
    failures, _ = doctest.testmod(module, raise_on_error=False)
    assert failures == 0
