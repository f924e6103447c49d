"""A formula that cannot be read is a DataError naming it, not a parser's traceback."""

from __future__ import annotations

import pytest

import massincidents as mi
from massincidents.errors import DataError


@pytest.mark.parametrize(
    ("formula", "why"),
    [
        ("__import__('os').getcwd() ~ x1", "invalid syntax"),  # code on the left-hand side
        ("y ~ x1 +", "insuffient arguments"),  # (formulaic's spelling)
        ("y ~ (x1", "matching"),
    ],
)
@pytest.mark.parametrize("model", [mi.linear, mi.poisson])
def test_a_formula_that_cannot_be_read_is_a_data_error(formula, why, model) -> None:
    df = mi.datasets.simulate_panel(31, 6, seed=4)
    with pytest.raises(DataError, match="cannot be read") as info:
        model(formula, df)
    message = str(info.value)
    assert formula in message and why in message
