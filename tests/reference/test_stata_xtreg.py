"""``ssc="stata"`` against Stata's own output: ``regress`` and ``xtreg, fe/re/be``.

The numbers are Stata 13 output frozen in the test suite of linearmodels (source,
commit and licence in ``stata_xtreg_simulated.md``; extracted by
``stata_xtreg_simulated.py`` into ``stata_xtreg_simulated.json``), on its simulated
panel of 1,000 firms x 3 years, balanced and with 5% ("light") and 20% ("heavy") of
the cells missing (unbalanced, firms with one to three years; Stata keeps singletons).
Variances: ``vce(ols)``/``vce(conventional)``, ``vce(robust)`` (for ``xtreg`` that is
clustered by firm) and ``vce(cluster firm_id)``. Stata prints 12 significant digits
(fewer for small variance entries); tolerances 1e-6 relative, observed about 3e-9.
The comparisons are the ones the book's validation chapter prints
(``agreement.stata_xtreg_case``).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import massincidents as mi

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "stata_xtreg_simulated.json").read_text())


def _agreement():
    name = "massincidents_reference_agreement"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "agreement.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


agreement = _agreement()


@pytest.mark.parametrize("case", sorted(REF["cases"]))
def test_stata_preset_reproduces_stata(case: str) -> None:
    for quantity, (ours, stata) in agreement.stata_xtreg_case(case).items():
        rtol = 0 if quantity == "observations and units" else 1e-6
        np.testing.assert_allclose(ours, stata, rtol=rtol, err_msg=f"{case}: {quantity}")


def test_the_data_are_the_panel_stata_read() -> None:
    for label, n in (("balanced", 3000), ("light", 2239), ("heavy", 891)):
        d = agreement.stata_panel(label)
        assert len(d) == n == REF["cases"][f"pooled-conventional/{label}"]["scalars"]["N"]
    assert agreement.stata_panel("balanced").groupby("firm_id").size().eq(3).all()


def test_r_conventions_differ_from_stata_where_stata_differs() -> None:
    """The default (R) reproduces Stata only where the two agree: the switch matters."""
    d = agreement.stata_panel("heavy")
    f = "y ~ x1 + x2 + x3 + x4 + x5"
    ref = REF["cases"]["fixed_effect-cluster/heavy"]
    stata_se = np.sqrt(np.diag(np.array(ref["vcov"]["matrix"])))[0]
    fe_r = mi.linear(f"{f} | firm_id", d, vcov={"CRV1": "firm_id"}, drop_singletons=False)
    assert abs(fe_r.bse["x1"] / stata_se - 1) > 1e-4  # K without the constant
    re_r = mi.random_effects(f, d, entity="firm_id")  # plm's unbalanced Swamy-Arora
    sigma_u = REF["cases"]["random_effect-conventional/heavy"]["scalars"]["sigma_u"]
    assert abs(np.sqrt(re_r.stats["sigma2_id"]) / sigma_u - 1) > 1e-3
    # and where they agree, they agree: iid within, balanced random effects
    fe_iid = mi.linear(f"{f} | firm_id", d, vcov="iid", drop_singletons=False)
    ref_iid = REF["cases"]["fixed_effect-conventional/heavy"]
    iid_se = np.sqrt(np.array(ref_iid["vcov"]["matrix"])[0][0])
    assert fe_iid.bse["x1"] == pytest.approx(iid_se, rel=1e-6)
