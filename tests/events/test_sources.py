"""The DuckDB connections of ``events_to_panel`` (``massincidents.events.sources.connect``).

One in-memory database per process, a connection of its own for every call: calls in
threads must not see each other's registered tables or settings, and a forked child
must not use its parent's database.
"""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.events.sources import connect


def _events(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 2_000 + 500 * seed
    return pd.DataFrame(
        {
            "province": rng.choice(["Guangdong", "四川", "110000", "Hebei"], size=n),
            "date": pd.Timestamp("2015-01-01")
            + pd.to_timedelta(rng.integers(0, 700, size=n), unit="D"),
        }
    )


def test_calls_in_threads_each_count_their_own_events() -> None:
    frames = [_events(seed) for seed in range(6)]
    serial = [mi.events_to_panel(f, freq="month") for f in frames]
    with ThreadPoolExecutor(max_workers=6) as pool:
        threaded = list(pool.map(lambda f: mi.events_to_panel(f, freq="month"), frames * 3))
    for i, panel in enumerate(threaded):
        pd.testing.assert_frame_equal(panel, serial[i % 6])
        assert int(panel["count"].sum()) == len(frames[i % 6])


def test_each_connection_has_its_own_time_zone_and_tables() -> None:
    a, b = connect(), connect()
    try:
        a.execute("SET TimeZone = 'America/New_York'")
        a.register("events_input", pd.DataFrame({"x": [1]}))
        assert b.execute("SELECT current_setting('TimeZone')").fetchone() != (
            "America/New_York",
        )
        with pytest.raises(Exception, match="events_input"):
            b.execute("SELECT * FROM events_input").fetchall()
    finally:
        a.close()
        b.close()
    # a call after a connection set another time zone still counts in China time
    frame = pd.DataFrame(
        {"province": ["Guangdong"], "date": [pd.Timestamp("2015-12-31 20:00", tz="UTC")]}
    )
    panel = mi.events_to_panel(frame, freq="year")
    assert int(panel.loc[(440000, 2016), "count"]) == 1


def _count_in_child(frame: pd.DataFrame) -> int:
    return int(mi.events_to_panel(frame, freq="year")["count"].sum())


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_opens_a_database_of_its_own() -> None:
    frame = _events(1)
    assert _count_in_child(frame) == len(frame)  # the parent's database is open now
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(_count_in_child, (frame,)).get(timeout=30) == len(frame)
