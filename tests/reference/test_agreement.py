"""The validation table of the book (``agreement.py``): every row within its tolerance.

``agreement.py`` refits every estimator on the data of every reference file of this folder
and reduces each comparison to the largest relative difference. The book's validation
chapter prints those rows; these tests make sure that every row printed there meets the
tolerance of the test holding the same comparison, that every reference file has rows (a
new reference file without a function in ``agreement.REFERENCE_SETS`` fails here), and that
a disagreement would show (the comparison is not vacuous).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]


def _load_agreement():
    name = "massincidents_reference_agreement"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "agreement.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules[name]


agreement = _load_agreement()


def test_every_reference_file_has_a_function() -> None:
    files = agreement.reference_files()
    assert len(files) >= 6
    missing = sorted(set(files) - set(agreement.REFERENCE_SETS))
    assert not missing, f"reference files without rows in agreement.py: {missing}"
    stale = sorted(set(agreement.REFERENCE_SETS) - set(files))
    assert not stale, f"agreement.py names reference files that do not exist: {stale}"
    # each has the script that made it (R or Python), or names the published output it holds
    for name in files:
        made_by = [HERE / name.replace(".json", ext) for ext in (".R", ".py")]
        published = "source" in json.loads((HERE / name).read_text(encoding="utf-8"))
        assert published or any(p.is_file() for p in made_by), f"no script or source for {name}"


@pytest.mark.parametrize("name", sorted(agreement.REFERENCE_SETS))
def test_every_row_is_within_its_tolerance(name) -> None:
    rows = [r for r in agreement.agreement_rows() if r.source == name]
    assert rows, f"{name}: no rows"
    quantities = {r.quantity.split(" (")[0] for r in rows}
    assert "coefficients" in quantities, f"{name}: no coefficients compared"
    outside = [
        f"{r.estimator} / {r.quantity}: {r.max_rel_diff:.3g} > {r.note or r.tolerance}"
        for r in rows
        if not r.within
    ]
    assert not outside, f"{name}: rows outside their tolerance:\n" + "\n".join(outside)
    for r in rows:
        assert r.n_values > 0, f"{r.estimator} / {r.quantity}: nothing compared"
        assert np.isfinite(r.max_rel_diff)
        assert 0 < r.tolerance <= 1e-3, f"{r.estimator} / {r.quantity}: tolerance {r.tolerance}"
        peers = {"R", "Stata", "pyfixest", "fixest", "linearmodels", "honestdid"}
        assert r.reference.split()[0] in peers, r.reference
        assert any(ch.isdigit() for ch in r.reference), f"no version in {r.reference}"
        assert (REPO_ROOT / r.test).is_file(), f"{r.test} does not exist"


def test_table_has_one_row_per_comparison_and_a_verdict() -> None:
    table = agreement.agreement_table()
    keys = ["source", "estimator", "data", "quantity", "tolerance", "note"]
    assert not table.duplicated(keys).any()
    assert table["within"].all()
    assert set(table["source"]) == set(agreement.reference_files())


def test_relative_difference() -> None:
    assert agreement.rel_diff([1.0, 2.0], [1.0, 2.0]) == (2, 0.0)
    n, worst = agreement.rel_diff([1.0, 2.0 * (1 + 3e-5)], [1.0, 2.0])
    assert n == 2 and worst == pytest.approx(3e-5, rel=1e-6)
    assert agreement.rel_diff([0.0], [0.0]) == (1, 0.0)
    assert agreement.rel_diff([1e-20], [0.0])[1] > 1  # nonzero against an exact zero
    assert agreement.rel_diff([np.nan, 1.0], [np.nan, 1.0]) == (1, 0.0)
    assert agreement.rel_diff([np.nan, 1.0], [1.0, 1.0])[1] == np.inf  # NaN where R has a number
    with pytest.raises(ValueError, match="shapes differ"):
        agreement.rel_diff([1.0], [1.0, 2.0])


def test_a_perturbed_reference_shows_as_outside(monkeypatch) -> None:
    """Move one reference coefficient by 1e-5 relative: its row must leave the 1e-6 band."""
    original = agreement._load

    def perturbed(name: str) -> dict:
        ref = original(name)
        if name == "plm_grunfeld.json":
            coef = ref["models"]["pooling"]["coef"]
            coef["value"] = coef["value"] * (1 + 1e-5)
        return ref

    monkeypatch.setattr(agreement, "_load", perturbed)
    rows = agreement.plm_grunfeld()
    (row,) = [r for r in rows if r.estimator == "Pooled OLS" and r.quantity == "coefficients"]
    assert row.max_rel_diff == pytest.approx(1e-5, rel=1e-3)
    assert not row.within
    assert all(r.within for r in rows if r is not row)


def test_reference_files_are_valid_json_with_versions() -> None:
    for name in agreement.reference_files():
        ref = json.loads((HERE / name).read_text(encoding="utf-8"))
        producer, versions = agreement.reference_origin(name)
        if "producer" in ref:  # frozen third-party output: who made it, and where it is kept
            assert ref.get("source"), f"{name} does not say where its numbers come from"
        elif "python" in ref:
            assert ref.get("packages"), f"{name} does not record its package versions"
        else:
            assert "R version" in json.dumps(ref), f"{name} does not record the R version"
        assert producer and versions, name


def _load_peers():
    name = "massincidents_reference_peers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "peers.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_peer_rows_are_within_the_tests_tolerance() -> None:
    """The book's table of Python peers (csdid, wildboottest) meets the tests' tolerances."""
    pytest.importorskip("csdid")
    pytest.importorskip("wildboottest")
    rows = _load_peers().peer_rows()
    assert {r.test for r in rows} == {
        "tests/did/test_callaway_santanna.py",
        "tests/inference/test_bootstrap.py",
    }
    for r in rows:
        assert r.cases >= 2 and np.isfinite(r.max_abs_diff)
        assert r.within, f"{r.estimator}: {r.max_abs_diff:.3g} > {r.tolerance:.3g}"
        assert 0 < r.tolerance <= 1e-8
