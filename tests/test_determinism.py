"""Determinism (issue 8): the same inputs and seed give byte-identical output.

Tables (etable LaTeX and markdown), bootstrap bands of ``mi.staggered_did``,
``mi.wild_bootstrap`` results and figures (PNG and SVG with fixed metadata) are
compared byte for byte across two runs in one process, and the printed results
of the bootstraps and a simulation across two subprocesses run with 1 and 2
BLAS/OpenMP threads.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import matplotlib
import numpy as np
import pandas as pd
import pytest

import massincidents as mi

matplotlib.use("Agg")


def _panel() -> pd.DataFrame:
    d = mi.datasets.simulate_panel(n_provinces=30, n_years=8, seed=3)
    d["cohort"] = d["cohort"].fillna(0)
    return d


def _tables() -> tuple[str, str]:
    d = _panel()
    fits = [
        mi.linear("y_linear ~ x1 + x2 | province + year", d),
        mi.poisson("y ~ x1 + x2 | province + year", d, exposure="population"),
        mi.negbin("y ~ x1 + x2 | province + year", d),
    ]
    return mi.etable(fits, format="latex"), mi.etable(fits, format="markdown")


def _did_bands(seed: int = 5) -> pd.DataFrame:
    r = mi.staggered_did(
        _panel(), outcome="y_linear", unit="province", time="year", cohort="cohort", reps=199,
        seed=seed,
    )  # fmt: skip
    return r.aggregate("dynamic").estimates


def _wild(seed: int = 1) -> tuple:
    d = _panel()
    out = []
    for fit in (
        mi.linear("y_linear ~ x1 + x2 | province + year", d, vcov={"CRV1": "province"}),
        mi.poisson("y ~ x1 + x2 | province + year", d, vcov={"CRV1": "province"}),
    ):
        b = mi.wild_bootstrap(fit, "x1", reps=199, seed=seed, weights="webb")
        out.append((b.estimate, b.statistic, b.pvalue, *b.conf_int))
    return tuple(out)


def test_tables_are_byte_identical():
    first, second = _tables(), _tables()
    assert first[0].encode() == second[0].encode()
    assert first[1].encode() == second[1].encode()
    assert "\\begin{tabular}" in first[0] or "tabular" in first[0]


def test_staggered_did_bootstrap_bands_reproducible():
    a, b = _did_bands(), _did_bands()
    assert a["band_low"].notna().any()
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    c = _did_bands(seed=6)
    assert not np.array_equal(a["band_low"].to_numpy(), c["band_low"].to_numpy(), equal_nan=True)


def test_wild_bootstrap_reproducible():
    assert _wild() == _wild()
    assert _wild(seed=1) != _wild(seed=2)


def test_simulation_reproducible():
    pd.testing.assert_frame_equal(
        mi.datasets.simulate_panel(seed=11), mi.datasets.simulate_panel(seed=11), check_exact=True
    )


# -------------------------------------------------------------------------- figures


def _event_study_figure():
    from massincidents.did.plots import plot_event_study

    table = _did_bands().rename(columns={"att": "estimate"})
    return plot_event_study(table, title="Policy")


def _survival_figure():
    from massincidents.survival.plots import plot_survival

    rng = np.random.default_rng(4)
    n = 120
    d = pd.DataFrame(
        {
            "time": rng.exponential(2.0, n).round(2) + 0.01,
            "event": rng.integers(0, 2, n),
            "group": np.repeat(["a", "b"], n // 2),
        }
    )
    ax = plot_survival(mi.kaplan_meier(d, duration="time", event="event", by="group"))
    return ax.figure


def _render(make, fmt: str) -> bytes:
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.hashsalt": "massincidents", "path.simplify": True}):
        fig = make()
        buf = io.BytesIO()
        metadata = {"Software": None} if fmt == "png" else {"Date": None}
        fig.savefig(buf, format=fmt, metadata=metadata)
        plt.close(fig)
    return buf.getvalue()


@pytest.mark.parametrize("make", [_event_study_figure, _survival_figure], ids=["event", "km"])
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_figures_are_byte_identical(make, fmt):
    first, second = _render(make, fmt), _render(make, fmt)
    assert len(first) > 1000
    assert first == second


# ------------------------------------------------- across processes and thread counts

SCRIPT = textwrap.dedent(
    """
    import numpy as np, pandas as pd
    import massincidents as mi
    d = mi.datasets.simulate_panel(n_provinces=30, n_years=8, seed=3)
    d["cohort"] = d["cohort"].fillna(0)
    r = mi.staggered_did(d, outcome="y_linear", unit="province", time="year",
                         cohort="cohort", reps=199, seed=5)
    e = r.aggregate("dynamic").estimates
    print(e.to_csv(float_format="%.17g"))
    for fit in (mi.linear("y_linear ~ x1 + x2 | province + year", d, vcov={"CRV1": "province"}),
                mi.poisson("y ~ x1 + x2 | province + year", d, vcov={"CRV1": "province"})):
        b = mi.wild_bootstrap(fit, "x1", reps=199, seed=1)
        print(repr((b.estimate, b.statistic, b.pvalue, *b.conf_int)))
        print(fit.params.to_csv(float_format="%.17g"), fit.bse.to_csv(float_format="%.17g"))
    s = mi.datasets.simulate_panel(n_provinces=31, n_years=20, seed=11)
    print(pd.util.hash_pandas_object(s, index=True).sum())
    """
)


def _run(threads: int) -> str:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["RAYON_NUM_THREADS"] = str(threads)  # pyfixest's compiled demeaning core
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout


def test_results_identical_across_processes_and_threads():
    one, two, again = _run(1), _run(2), _run(1)
    assert one == again
    assert one == two
