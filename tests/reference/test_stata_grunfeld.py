"""The variance menu with ``ssc="stata"`` against Stata output on Grunfeld.

Stata's ``regress``, ``ivreg2`` (one- and two-way clustering, with and without ``small``)
and ``xtscc`` output frozen in statsmodels' tests (source in
``stata_grunfeld_clusters.md``). Stata keeps the data in single precision: coefficients
and standard errors agree to about 2e-8 (tolerance 1e-6). The two-way ``small`` case
checks the min(G) rule of the Stata preset; the R preset (each term its own G) must miss
it.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "stata_grunfeld_clusters.json").read_text())


def _agreement():
    name = "massincidents_reference_agreement"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "agreement.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


agreement = _agreement()
pytestmark = pytest.mark.filterwarnings("ignore::massincidents.FewClustersWarning")


@pytest.mark.parametrize("case", sorted(REF["cases"]))
def test_stata_preset_reproduces_stata_on_grunfeld(case: str) -> None:
    for quantity, (ours, stata) in agreement.stata_grunfeld_case(case).items():
        np.testing.assert_allclose(ours, stata, rtol=1e-6, err_msg=f"{case}: {quantity}")


def test_two_way_small_needs_the_min_rule() -> None:
    case = agreement.stata_grunfeld_case("results_cluster_2groups_small", ssc="R")
    ours, stata = case["standard errors"]
    assert np.max(np.abs(ours / stata - 1)) > 1e-3
