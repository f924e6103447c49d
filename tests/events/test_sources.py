"""The DuckDB connections of ``events_to_panel`` (``massincidents.events.sources.connect``).

One in-memory database per process, a connection of its own for every call: calls in
threads must not see each other's registered tables or settings, and a forked child
must not use its parent's database.
"""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

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
    with connect() as a, connect() as b:
        a.execute("SET TimeZone = 'America/New_York'")
        a.register("events_input", pd.DataFrame({"x": [1]}))
        assert b.execute("SELECT current_setting('TimeZone')").fetchone() != (
            "America/New_York",
        )
        with pytest.raises(Exception, match="events_input"):
            b.execute("SELECT * FROM events_input").fetchall()
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


DIALECTS = {
    "plain": "province,date\nGuangdong,2015-01-03\n四川,2015-06-01\n110000,2016-02-02\n",
    "semicolon, CRLF": "province;date\r\nGuangdong;2015-01-03\r\n四川;2015-06-01\r\n",
    "quoted, a line break in a field": (
        'id,province,note,date\n1,"Guangdong","a, b",2015-01-03\n'
        '2,"四川","two\nlines",2015-06-01\n3,Hebei,,2016-02-02\n'
    ),
    "byte-order mark": "\ufeffprovince,date\nGuangdong,2015-01-03\nHebei,2015-02-01\n",
    "blank lines, empty fields": "province,date\n\nGuangdong,2015-01-03\n,2015-01-04\n\nHebei,\n",
}


@pytest.mark.parametrize("text", DIALECTS.values(), ids=DIALECTS.keys())
def test_sniffing_once_reads_as_auto_detection_does(text, tmp_path, monkeypatch) -> None:
    """A CSV's dialect is sniffed once and the query reads with it spelled out: the panel
    and its accounting are those of DuckDB's auto-detection at every query."""
    from massincidents.events import sources

    path = tmp_path / "events.csv"
    path.write_text(text, encoding="utf-8")
    with sources.connect() as con:  # the fast path runs
        assert sources._sniffed(con, str(path)) is not None
    with pytest.warns(mi.DataQualityWarning) if ",2015-01-04" in text else nullcontext():
        once = mi.events_to_panel(path, freq="year")
    monkeypatch.setattr(sources, "_sniffed", lambda con, file: None)
    with pytest.warns(mi.DataQualityWarning) if ",2015-01-04" in text else nullcontext():
        auto = mi.events_to_panel(path, freq="year")
    pd.testing.assert_frame_equal(once, auto)
    assert once.attrs["accounting"] == auto.attrs["accounting"]


def test_a_row_is_named_by_its_line_either_way(tmp_path, monkeypatch) -> None:
    from massincidents.errors import DataError
    from massincidents.events import sources

    path = tmp_path / "events.csv"
    path.write_text(
        'province,note,date\nGuangdong,"two\nlines",2015-01-03\nHebei,x,03/04/2015\n',
        encoding="utf-8",
    )
    with pytest.raises(DataError) as once:
        mi.events_to_panel(path, freq="month")
    monkeypatch.setattr(sources, "_sniffed", lambda con, file: None)
    with pytest.raises(DataError) as auto:
        mi.events_to_panel(path, freq="month")
    assert str(once.value) == str(auto.value) and "row 4" in str(once.value)



def test_a_column_name_is_data_not_sql(tmp_path, monkeypatch) -> None:
    """DuckDB's sniffer spells the header's names into its statement unescaped: a name
    with a quote would end the literal and run the rest of the header as SQL."""
    from massincidents.events import sources

    written = tmp_path / "written.csv"
    name = (
        "a': 'VARCHAR'}); COPY (SELECT 1 AS x) TO " + sources.literal(str(written))
        + "; SELECT * FROM read_csv('/dev/null', columns={'b"
    )
    path = tmp_path / "events.csv"
    path.write_text(
        f'province,"{name}",date\nGuangdong,x,2015-01-03\nHebei,x,2016-02-02\n',
        encoding="utf-8",
    )
    once = mi.events_to_panel(path, freq="year")
    assert not written.exists()
    with sources.connect() as con:  # the fast path runs
        assert sources._sniffed(con, str(path)) is not None
    assert not written.exists()
    monkeypatch.setattr(sources, "_sniffed", lambda con, file: None)
    auto = mi.events_to_panel(path, freq="year")
    pd.testing.assert_frame_equal(once, auto)
    assert once.attrs["accounting"] == auto.attrs["accounting"]


def _outcome(frame: pd.DataFrame) -> object:
    try:
        return _count_in_child(frame)
    except Exception as err:  # the failure being tested for
        return f"{type(err).__name__}: {err}"


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_fork_leaves_a_call_in_another_thread_alone(monkeypatch) -> None:
    """Closing the database before a fork closed the connection of a call running in
    another thread ("Connection already closed!"): it is closed only when no call holds one."""
    import os
    import threading

    from massincidents.events import query

    parent, inside, resume = os.getpid(), threading.Event(), threading.Event()
    grouped = query.EventQuery.grouped

    def paused(self):
        if os.getpid() == parent:  # the call holds its connection while the process forks
            inside.set()
            resume.wait(60)
        return grouped(self)

    monkeypatch.setattr(query.EventQuery, "grouped", paused)
    frame = _events(2)
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(_outcome(frame)))
    thread.start()
    try:
        assert inside.wait(60)
        with multiprocessing.get_context("fork").Pool(1) as pool:
            child = pool.apply_async(_outcome, (frame,)).get(timeout=60)
    finally:
        resume.set()
        thread.join(60)
    assert results == [len(frame)] and child == len(frame)
    assert _outcome(frame) == len(frame)  # and the next call in this process


def test_a_file_the_sniffed_dialect_cannot_read_is_reported_as_auto_detection_does(
    tmp_path, monkeypatch
) -> None:
    """A row past the sniffer's sample that does not fit the dialect: DuckDB's message
    listed the sniffed dialect as "Set By User", which the user never set."""
    from massincidents.errors import DataError
    from massincidents.events import sources

    path = tmp_path / "events.csv"
    rows = "".join(f"Guangdong,{i},2015-01-{1 + i % 28:02d}\n" for i in range(25_000))
    path.write_text(f'province,note,date\n{rows}Hebei,"a,b",2015-06-01\n', encoding="utf-8")
    with sources.connect() as con:  # the fast path runs
        assert sources._sniffed(con, str(path)) is not None
    with pytest.raises(DataError) as once:
        mi.events_to_panel(path, freq="year")
    monkeypatch.setattr(sources, "_sniffed", lambda con, file: None)
    with pytest.raises(DataError) as auto:
        mi.events_to_panel(path, freq="year")
    assert "Line: 25002" in str(once.value) and "delimiter = , (Auto-Detected)" in str(once.value)
    assert str(once.value) == str(auto.value)


PREAMBLES = {
    "a title and a blank line": ("Events table\n\nprovince,date\nGuangdong,2015-01-01\n", 5),
    "a comment": ("# made by hand\nprovince,date\nGuangdong,2015-01-01\n", 4),
    "a title, then a quoted line break": (
        'title\nprovince,note,date\nGuangdong,"a\nb",2015-01-01\n\n', 6
    ),
}


@pytest.mark.parametrize("text, line", PREAMBLES.values(), ids=PREAMBLES.keys())
def test_a_row_after_lines_skipped_above_the_header_is_named_by_its_line(
    text, line, tmp_path, monkeypatch
) -> None:
    """DuckDB skips the lines above the header; the row named must still be the file's line."""
    from massincidents.errors import DataError
    from massincidents.events import sources

    path = tmp_path / "events.csv"
    comma = "Hebei,x,03/04/2015\n" if "note" in text else "Hebei,03/04/2015\n"
    path.write_text(text + comma, encoding="utf-8")
    with pytest.raises(DataError) as once:
        mi.events_to_panel(path, freq="month")
    monkeypatch.setattr(sources, "_sniffed", lambda con, file: None)
    with pytest.raises(DataError) as auto:
        mi.events_to_panel(path, freq="month")
    assert [p.row for p in once.value.problems] == [line]
    assert str(once.value) == str(auto.value)


def test_a_ctrl_c_during_a_query_is_a_keyboard_interrupt(monkeypatch) -> None:
    """DuckDB's Python client turns a Ctrl-C during a query into RuntimeError("Query
    interrupted"); events_to_panel raises KeyboardInterrupt, so that the command line stops
    as for any Ctrl-C (exit 130), and the next call works."""
    import massincidents.events.panel as panel_module

    frame = _events(0)

    class Interrupted:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def grouped(self):
            raise RuntimeError("Query interrupted")

    with monkeypatch.context() as m:
        m.setattr(panel_module, "EventQuery", Interrupted)
        with pytest.raises(KeyboardInterrupt):
            mi.events_to_panel(frame, freq="year")
        m.setattr(Interrupted, "grouped", lambda self: (_ for _ in ()).throw(RuntimeError("x")))
        with pytest.raises(RuntimeError, match=r"^x$"):  # any other RuntimeError is itself
            mi.events_to_panel(frame, freq="year")
    assert int(mi.events_to_panel(frame, freq="year")["count"].sum()) == len(frame)
