"""The rerun engine's helpers (``massincidents.spec.engine``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from massincidents.spec.engine import within_sd


@pytest.mark.parametrize("effects", [("u",), ("u", "t"), ("u", "t", "s")])
def test_within_sd_divides_by_the_rank_of_the_dummies(effects) -> None:
    """s = sqrt(RSS / (n - r)), r the rank of [constant, dummies of every effect]: with three
    effects two dummies are redundant, not one."""
    rng = np.random.default_rng(4)
    n = 60
    frame = pd.DataFrame(
        {
            "u": rng.integers(0, 6, n),
            "t": rng.integers(0, 5, n),
            "s": rng.integers(0, 4, n),
            "x": rng.normal(size=n),
        }
    )
    D = np.column_stack(
        [np.ones(n)]
        + [pd.get_dummies(frame[e]).to_numpy(dtype=float) for e in effects]
    )
    rank = np.linalg.matrix_rank(D)
    resid = frame["x"].to_numpy() - D @ np.linalg.lstsq(D, frame["x"].to_numpy(), rcond=None)[0]
    expected = np.sqrt(resid @ resid / (n - rank))
    assert within_sd(frame, "x", effects) == pytest.approx(expected, rel=1e-10)
