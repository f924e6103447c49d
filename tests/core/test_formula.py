"""The formula grammar: its documented examples (i(), reference levels) run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

from massincidents.core.formula import parse_formula


def test_doctests() -> None:
    result = doctest.testmod(importlib.import_module("massincidents.core.formula"))
    assert result.attempted >= 5 and result.failed == 0


def test_i_terms_stay_on_the_regressor_side() -> None:
    parsed = parse_formula("y ~ i(rel, treated, ref=[-1, -5]) + x | unit + year")
    assert parsed.rhs == "i(rel, treated, ref=[-1, -5]) + x"
    assert parsed.fe_names == ("unit", "year")


def test_fixed_effect_must_be_a_column() -> None:
    with pytest.raises(ValueError, match="fixed effects must be column names"):
        parse_formula("y ~ x | i(unit)")
