"""Serial, joblib and Dask runs give the same table, whatever order workers finish in."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

import massincidents as mi
from massincidents.multiverse import engine

CHOICES = {
    "indicators": {"social": ["x1", "z"], "legal": ["x2", "constant"]},
    "families": ["poisson", "negbin"],
    "fixed_effects": [["unit", "time"], ["unit"]],
    "exposure": ["population", "bad_pop"],
    "windows": [None, [2000, 2011]],
}


@pytest.fixture(scope="module")
def data(panel: pd.DataFrame) -> pd.DataFrame:
    df = panel.copy()
    df["bad_pop"] = df["population"].where(df["year"] != 2005, 0.0)  # fits fail
    df["constant"] = 1.0  # dropped as collinear, with a warning
    return df


def _fit(data: pd.DataFrame, **kw: object) -> mi.multiverse.SpecificationCurve:
    return mi.specification_curve(
        data, outcome="y", unit="province", time="year", choices=CHOICES, **kw
    )


@pytest.fixture(scope="module")
def serial(data: pd.DataFrame) -> pd.DataFrame:
    curve = _fit(data)
    assert curve.backend == "serial"
    # a mixed table: estimates, failures, dropped indicators and captured warnings
    assert set(curve.table["status"]) == {"ok", "failed", "dropped"}
    assert (curve.table["warnings"] != "").sum() > 0
    return curve.table


def test_result_does_not_depend_on_completion_order(
    data: pd.DataFrame, serial: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = engine._run_serial

    def backwards(frame, specs, progress, **kw):  # type: ignore[no-untyped-def]
        return reversed(list(original(frame, specs, progress, **kw)))

    monkeypatch.setattr(engine, "_run_serial", backwards)
    pd.testing.assert_frame_equal(_fit(data).table, serial, check_exact=True)


def test_dashboard_shows_choices_without_estimates(data: pd.DataFrame) -> None:
    choices = {"indicators": {"social": ["x1"]}, "exposure": ["population", "bad_pop"]}
    curve = mi.specification_curve(data, outcome="y", unit="province", time="year", choices=choices)
    fig = curve.plot("social")
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert labels == ["exposure: population", "exposure: bad_pop (no estimate)"]
    assert "1 without an estimate" in fig.axes[0].get_title()


def test_joblib_equals_serial(data: pd.DataFrame, serial: pd.DataFrame) -> None:
    curve = _fit(data, n_jobs=2)
    assert curve.backend == "joblib (n_jobs=2)"
    pd.testing.assert_frame_equal(curve.table, serial, check_exact=True)


def test_local_dask_cluster_threads_equals_serial(data: pd.DataFrame, serial: pd.DataFrame) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        curve = _fit(data, scheduler=cluster.scheduler_address)
        assert curve.backend == "dask"
        pd.testing.assert_frame_equal(curve.table, serial, check_exact=True)
        # a Client given is used and left open
        with distributed.Client(cluster) as client:
            again = _fit(data, scheduler=client)
            assert client.status == "running"
            pd.testing.assert_frame_equal(again.table, serial, check_exact=True)


def test_local_dask_cluster_processes_equals_serial(
    data: pd.DataFrame, serial: pd.DataFrame
) -> None:
    distributed = pytest.importorskip("distributed")
    started = time.perf_counter()
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        curve = _fit(data, scheduler=cluster.scheduler_address)
        pd.testing.assert_frame_equal(curve.table, serial, check_exact=True)
        with distributed.Client(cluster) as client:
            # the fits ran in other processes, which unpickled the data and the tasks
            info = client.run(
                lambda: (
                    os.getpid(),
                    "massincidents.multiverse.engine" in __import__("sys").modules,
                )
            )
    assert len(info) == 2
    assert all(pid != os.getpid() and imported for pid, imported in info.values())
    assert time.perf_counter() - started < 60


def test_bad_scheduler(data: pd.DataFrame) -> None:
    pytest.importorskip("distributed")
    with pytest.raises(TypeError, match="scheduler must be a Dask scheduler address"):
        _fit(data, scheduler=8786)


def test_repeated_runs_on_one_client(data: pd.DataFrame, serial: pd.DataFrame) -> None:
    # Runs one after another on the same client and the same data: with content-hashed
    # scatter keys, releasing one run's data could delete what the next run needed
    # ("lost dependencies"); found by benchmarks/bench_multiverse.py.
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        for _ in range(4):
            curve = _fit(data, scheduler=client)
            pd.testing.assert_frame_equal(curve.table, serial, check_exact=True)
