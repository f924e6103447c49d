"""Agreement with independent Python implementations, computed as the tests compute it.

Two peer comparisons are quick enough to rerun when the book is built: Callaway-Sant'Anna
against ``csdid`` (a port of R ``did``) and the wild cluster bootstrap against
``wildboottest``. This module imports the test modules that hold them
(``tests/did/test_callaway_santanna.py``, ``tests/inference/test_bootstrap.py``) and calls
their own helpers and data, so the numbers are those of the tests. The differences are
absolute (the peers' numbers can be near zero), and the tolerances are the tests' own.
``tests/reference/test_agreement.py`` asserts every row is within its tolerance.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import io
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class PeerRow:
    estimator: str
    peer: str  # package and version
    data: str
    compared: str
    cases: int
    max_abs_diff: float
    tolerance: float  # absolute, as in the test
    test: str

    @property
    def within(self) -> bool:
        return bool(np.isfinite(self.max_abs_diff) and self.max_abs_diff <= self.tolerance)


def _test_module(relative: str):
    """Import a test module by path (tests/ is not a package)."""
    name = "massincidents_peer_" + relative.replace("/", "_").removesuffix(".py")
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, TESTS / relative)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _version(dist: str) -> str:
    return f"{dist} {importlib.metadata.version(dist)}"


def csdid_rows() -> list[PeerRow]:
    """``test_matches_csdid``: every case, ATT(g,t), standard errors and four aggregations."""

    t = _test_module("did/test_callaway_santanna.py")
    df = t._panel()
    worst = 0.0
    for cg, meth, covs, bp in t.CASES:
        ours = t._ours(df, cg, meth, covs, bp)
        # _compare asserts within its tolerance and returns the largest absolute difference;
        # the largest float as tolerance lets the row report it (the test's 1e-8 is checked on
        # the row). csdid prints its aggregations: kept out of the book's output.
        with contextlib.redirect_stdout(io.StringIO()):
            theirs = t._csdid(df, cg, meth, covs, bp)
            diff = t._compare(ours, theirs, float(np.finfo(float).max))
        worst = max(worst, diff)
    units, periods = df["id"].nunique(), df["year"].nunique()
    return [
        PeerRow(
            "Callaway-Sant'Anna ATT(g,t)",
            f"{_version('csdid')} (port of R did)",
            f"simulated staggered panel, {units} units x {periods} periods",
            "ATT(g,t), standard errors and four aggregations; DR, IPW and regression, never- "
            "and not-yet-treated controls",
            len(t.CASES),
            float(worst),
            1e-8,
            "tests/did/test_callaway_santanna.py",
        )
    ]


def wildboottest_rows() -> list[PeerRow]:
    """``test_pooled_matches_wildboottest_draw_by_draw``: WCR and WCU, every enumerated draw."""
    import massincidents as mi

    t = _test_module("inference/test_bootstrap.py")
    data = t.cross_section.__wrapped__()  # the test's fixture function, called directly
    worst, tolerance = 0.0, np.inf
    for impose_null in (True, False):
        with warnings.catch_warnings():  # 10 clusters: the bootstrap is the remedy it names
            warnings.simplefilter("ignore", mi.FewClustersWarning)
            fit = mi.linear("y ~ x1 + x2", data, vcov={"CRV1": "prov"})
        boot = mi.wild_bootstrap(fit, "x1", cluster="prov", reps=9999, impose_null=impose_null)
        _, tstar, _ = t._wildboottest(
            t._design(data),
            data["y"].to_numpy(),
            data["prov"].to_numpy(),
            1,
            impose_null=impose_null,
            reps=9999,
        )
        worst = max(worst, float(np.max(np.abs(np.asarray(boot.distribution) - tstar))))
        # the test allows 1e-10 of the largest |t*| of each case; the row keeps the smaller
        tolerance = min(tolerance, 1e-10 * float(np.abs(tstar).max()))
    return [
        PeerRow(
            "Wild cluster bootstrap (least squares)",
            _version("wildboottest"),
            f"simulated cross-section, {len(data)} obs. in {data['prov'].nunique()} clusters",
            "bootstrap t statistics draw by draw, WCR and WCU, all 2^10 Rademacher draws",
            2,
            worst,
            tolerance,
            "tests/inference/test_bootstrap.py",
        )
    ]


def peer_rows() -> list[PeerRow]:
    return csdid_rows() + wildboottest_rows()
