"""``mi.random_effects(..., random_method=...)`` against R plm's ``random.method``.

Numbers from ``plm_random_methods.R`` (R plm, stored with the exact call of each in
``plm_random_methods.json``) on Grunfeld: balanced, unbalanced by staggered entry, and
with holes inside firms. Coefficients, iid standard errors, the two variance components
and theta of every firm; coefficients and components 1e-6 relative, SEs 1e-4 (observed
1e-14). The comparisons are the ones the book prints (``agreement.plm_random_methods_case``).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import massincidents as mi

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "plm_random_methods.json").read_text())


def _agreement():
    name = "massincidents_reference_agreement"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "agreement.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


agreement = _agreement()


@pytest.mark.parametrize("key", sorted(REF["fits"]))
def test_random_method_reproduces_plm(key: str) -> None:
    for quantity, (ours, plm) in agreement.plm_random_methods_case(key).items():
        rtol = 1e-4 if quantity.startswith("standard errors") else 1e-6
        np.testing.assert_allclose(ours, plm, rtol=rtol, err_msg=f"{key}: {quantity}")


def test_the_methods_give_different_components() -> None:
    """Not one estimator under four names: the components differ by method."""
    data = pd.read_csv(HERE / "data" / "grunfeld_gaps.csv")
    s2 = {
        m: mi.random_effects("inv ~ value + capital", data, entity="firm", random_method=m).stats[
            "sigma2_id"
        ]
        for m in ("swar", "amemiya", "walhus", "nerlove", "stata")
    }
    assert len({round(v, 6) for v in s2.values()}) == 5


def test_unknown_method_and_missing_intercept_are_refused() -> None:
    data = pd.read_csv(HERE / "data" / "grunfeld.csv")
    with pytest.raises(ValueError, match="random_method is one of"):
        mi.random_effects("inv ~ value + capital", data, entity="firm", random_method="ht")
    with pytest.raises(mi.DataError, match="needs a model with an intercept"):
        mi.random_effects("inv ~ value + capital - 1", data, entity="firm", random_method="walhus")
