"""The IV part of fixest's formula grammar (massincidents.iv.formula)."""

from __future__ import annotations

import pytest

from massincidents.errors import DataError
from massincidents.iv.formula import parse_iv_formula


def test_parts_with_and_without_fixed_effects() -> None:
    f = parse_iv_formula("y ~ x1 + x2 | unit + year | d ~ z1 + z2")
    assert (f.lhs, f.exogenous, f.fixed_effects, f.endogenous, f.instruments) == (
        "y", "x1 + x2", "unit + year", "d", "z1 + z2")
    assert f.structural == "y ~ x1 + x2 + d | unit + year"
    g = parse_iv_formula("y ~ 1 | d1 + d2 ~ z1 + z2 + z3")
    assert g.structural == "y ~ d1 + d2" and g.fixed_effects == ""
    assert parse_iv_formula("y ~ | d ~ z").exogenous == "1"


@pytest.mark.parametrize(
    "text",
    ["y ~ x | unit", "y ~ x", "y ~ x | unit | d", "y ~ x | a | b | d ~ z", "y ~ x | | d ~ z",
     "y ~ x | d ~ ", "~ x | d ~ z", "y | d ~ z"],
)
def test_formulas_without_a_readable_iv_part_are_refused(text: str) -> None:
    with pytest.raises(DataError, match="IV formula"):
        parse_iv_formula(text)
