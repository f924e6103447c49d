"""mi.iv against R AER, linearmodels, Stata ivregress and ivreg2 output, and pyfixest.

The comparisons are those of ``tests/reference/agreement_iv.py`` (the rows of the book's
validation table); each reference file and the script or source that made it is described
there. Every row must be within its tolerance.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def _module():
    name = "massincidents_reference_agreement_iv"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REFERENCE / "agreement_iv.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


agreement_iv = _module()


@pytest.mark.parametrize("name", sorted(agreement_iv.REFERENCE_SETS))
def test_reference_set_within_tolerance(name: str) -> None:
    rows = agreement_iv.REFERENCE_SETS[name]()
    assert rows
    assert any(r.quantity == "coefficients" for r in rows)
    outside = [f"{r.estimator} / {r.data} / {r.quantity}: {r.max_rel_diff:.3g} > {r.tolerance}"
               for r in rows if not r.within]
    assert not outside, "\n".join(outside)
    assert sum(r.n_values for r in rows) > 10


def test_stata_ivreg2_covers_every_diagnostic() -> None:
    rows = agreement_iv.iv_stata_ivreg2()
    quantities = {r.quantity for r in rows}
    for what in ("Cragg-Donald", "Kleibergen-Paap", "Anderson-Rubin", "Hansen J",
                 "Sanderson-Windmeijer", "standard errors"):
        assert any(what in q for q in quantities), what


def test_a_wrong_number_would_show(monkeypatch) -> None:
    """The comparison is not vacuous: a perturbed reference coefficient fails its row."""
    original = agreement_iv._load

    def perturbed(name):
        ref = original(name)
        case = next(iter(ref["cases"].values()))
        key = next(iter(case["coef"]))
        case["coef"][key] *= 1 + 1e-5
        return ref

    monkeypatch.setattr(agreement_iv, "_load", perturbed)
    rows = agreement_iv.iv_pyfixest()
    assert not all(r.within for r in rows)
