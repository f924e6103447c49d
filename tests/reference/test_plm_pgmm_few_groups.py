"""Difference GMM with more instruments than groups, against R plm's pgmm.

20 groups and 45 instruments: the two-step weighting matrix is singular and plm
inverts it with ``MASS::ginv`` (the Moore-Penrose inverse of the unscaled matrix).
A generalised inverse is not unique there, so the two-step estimates follow that
convention; these tests hold ours to plm's numbers (``plm_pgmm_few_groups.R``,
R plm 2.6.2; data in ``data/gmm_few_groups.csv``). Tolerances: coefficients and
the Hansen statistic 1e-6 relative, standard errors 1e-4 relative.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import massincidents as mi

HERE = Path(__file__).parent
REF = json.loads((HERE / "plm_pgmm_few_groups.json").read_text())["models"]
DATA = pd.read_csv(HERE / "data" / "gmm_few_groups.csv")
FORMULA = "y ~ lag(y, 1) + x | lag(y, 2:99)"
COEF_RTOL, SE_RTOL, TEST_RTOL = 1e-6, 1e-4, 1e-6


def fit_model(name: str) -> mi.results.Result:
    effect, model = name.split("_")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.dynamic.TooManyInstrumentsWarning)
        warnings.simplefilter("ignore", mi.dynamic.SingularWeightingWarning)
        return mi.arellano_bond(
            FORMULA,
            DATA,
            entity="firm",
            time="year",
            effects=effect,
            steps=1 if model == "onestep" else 2,
        )


def _values(ref: dict, names: list[str]) -> np.ndarray:
    return np.array([float(ref[n]) for n in names])


@pytest.mark.parametrize("name", sorted(REF))
def test_estimates_match_plm_with_more_instruments_than_groups(name) -> None:
    ref = REF[name]
    r = fit_model(name)
    names = list(ref["coef"])
    assert r.stats["n_instruments"] == ref["n_instruments"]
    np.testing.assert_allclose(r.params[names], _values(ref["coef"], names), rtol=COEF_RTOL)
    np.testing.assert_allclose(r.bse[names], _values(ref["se_robust"], names), rtol=SE_RTOL)
    assert r.stats["hansen"] == pytest.approx(float(ref["sargan"]), rel=TEST_RTOL)


def test_the_singular_two_step_matrix_is_announced() -> None:
    with pytest.warns(mi.dynamic.SingularWeightingWarning, match="MASS::ginv"):
        mi.arellano_bond(FORMULA, DATA, entity="firm", time="year", effects="twoways", steps=2)
