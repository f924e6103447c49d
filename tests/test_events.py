"""events_to_panel: zero-filled counts with row accounting, in memory and out of core."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import massincidents as mi


@pytest.fixture(scope="module")
def simulated():
    return mi.datasets.simulate_events(n_provinces=31, n_years=5, start_year=2013, seed=11)


def _expected(events: pd.DataFrame) -> pd.Series:
    return pd.DataFrame(events.attrs["panel"]).set_index(["province", "year"])["y"]


def test_yearly_counts_equal_simulated_counts(simulated) -> None:
    panel = mi.events_to_panel(simulated, freq="year")
    assert panel.shape == (31 * 5, 1)
    expected = _expected(simulated).reindex(panel.index)
    np.testing.assert_array_equal(panel["count"].to_numpy(), expected.to_numpy())
    assert panel.attrs["accounting"]["counted"] == len(simulated)


@pytest.mark.parametrize(("freq", "periods"), [("quarter", 20), ("month", 60)])
def test_finer_periods_are_zero_filled_and_add_up(simulated, freq: str, periods: int) -> None:
    panel = mi.events_to_panel(simulated, freq=freq)
    assert panel.shape[0] == 31 * periods
    assert int(panel["count"].sum()) == len(simulated)
    # Summing months (or quarters) within a year gives the yearly count.
    year = panel.index.get_level_values(freq) // (10 if freq == "quarter" else 100)
    by_year = panel["count"].groupby([panel.index.get_level_values("province"), year]).sum()
    expected = _expected(simulated).reindex(by_year.index)
    np.testing.assert_array_equal(by_year.to_numpy(), expected.to_numpy())


def test_daily_counts(simulated) -> None:
    panel = mi.events_to_panel(simulated, freq="day")
    days = (simulated["date"].max() - simulated["date"].min()).days + 1
    assert panel.shape[0] == 31 * days
    assert int(panel["count"].sum()) == len(simulated)


def test_breakdown_by_category(simulated) -> None:
    panel = mi.events_to_panel(simulated, freq="year", by="size_band")
    assert set(panel.columns) == {"1-100", "100-1000", "1000-10000", "10000+", "total"}
    assert (panel.drop(columns="total").sum(axis=1) == panel["total"]).all()
    counts = simulated["size_band"].value_counts()
    for band, n in counts.items():
        assert int(panel[band].sum()) == n


def test_zero_is_explicit_for_quiet_provinces() -> None:
    events = pd.DataFrame(
        {"province": ["Guangdong"] * 3, "date": ["2015-01-01", "2015-05-05", "2016-01-01"]}
    )
    panel = mi.events_to_panel(events)
    assert panel.loc[(440000, 2015), "count"] == 2
    assert panel.loc[(110000, 2015), "count"] == 0
    assert panel.shape == (62, 1)


def test_nothing_dropped_silently() -> None:
    events = pd.DataFrame(
        {
            "province": ["广东", "0", "Hong Kong", "Sichuan", "Hebei", "Hebei"],
            "date": [
                "2015-01-03",
                "2015-01-01",
                "2015-02-01",
                "not a date",
                "2015年3月2日",
                "2014-12-31",
            ],
        }
    )
    with pytest.warns(mi.DataQualityWarning, match="counted 2 of 6 events") as record:
        panel = mi.events_to_panel(events, start="2015-01-01", end="2015-12-31")
    message = str(record[0].message)
    for reason in ("unknown province", "outside mainland", "unparseable date", "outside window"):
        assert reason in message
    acc = panel.attrs["accounting"]
    assert acc["events_read"] == 6 and acc["counted"] == 2
    assert acc["left_out"] == {
        "unknown_province": 1,
        "outside_mainland": 1,
        "province_not_in_panel": 0,
        "unparseable_date": 1,
        "outside_window": 1,
    }
    assert acc["counted"] + sum(acc["left_out"].values()) == acc["events_read"]
    assert int(panel["count"].sum()) == 2
    assert panel.loc[(130000, 2015), "count"] == 1  # the Chinese-format date was parsed


def test_window_cuts_mid_period_exactly() -> None:
    events = pd.DataFrame(
        {
            "province": ["Hebei"] * 4,
            "date": ["2015-01-31", "2015-02-01", "2015-02-28", "2015-03-01"],
        }
    )
    with pytest.warns(mi.DataQualityWarning):
        panel = mi.events_to_panel(events, freq="month", start="2015-02-01", end="2015-02-28")
    assert int(panel["count"].sum()) == 2
    assert panel.index.get_level_values("month").unique().tolist() == [201502]


def test_reads_csv_and_parquet_out_of_core(tmp_path, simulated) -> None:
    csv = tmp_path / "events.csv"
    parquet = tmp_path / "events.parquet"
    simulated.to_csv(csv, index=False)
    simulated.to_parquet(parquet, index=False)
    in_memory = mi.events_to_panel(simulated)
    for path in (csv, parquet, str(csv)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            from_file = mi.events_to_panel(path)
        pd.testing.assert_frame_equal(from_file, in_memory)


def test_missing_column_is_a_data_error_with_close_names(simulated) -> None:
    with pytest.raises(mi.DataError, match="close column names: province"):
        mi.events_to_panel(simulated, province="provnce")
    with pytest.raises(mi.DataError, match="'when'"):
        mi.events_to_panel(simulated, date="when")


def test_missing_file_and_bad_type(tmp_path) -> None:
    with pytest.raises(mi.DataError, match="file not found"):
        mi.events_to_panel(tmp_path / "nope.csv")
    bad = tmp_path / "events.json"
    bad.write_text("{}")
    with pytest.raises(mi.DataError, match="unsupported file type"):
        mi.events_to_panel(bad)


def test_no_valid_event_is_an_error() -> None:
    events = pd.DataFrame({"province": ["0"], "date": ["2015-01-01"]})
    with pytest.raises(mi.DataError, match="no event"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mi.events_to_panel(events)


def test_bad_freq() -> None:
    with pytest.raises(ValueError, match="freq"):
        mi.events_to_panel(pd.DataFrame({"province": [], "date": []}), freq="week")  # type: ignore[arg-type]


def test_month_precision_dates_count_except_for_daily_panels() -> None:
    events = pd.DataFrame({"province": ["广东", "广东"], "date": ["2015年3月", "2015-03-02"]})
    panel = mi.events_to_panel(events, freq="month")
    assert panel.loc[(440000, 201503), "count"] == 2
    with pytest.warns(mi.DataQualityWarning, match="1 unparseable date"):
        daily = mi.events_to_panel(events, freq="day")
    assert daily["count"].sum() == 1


# ---------------------------------------------------------------------------
# Issue 14: one time-zone rule, a path names one file, bad input named
# ---------------------------------------------------------------------------

TZ_SCRIPT = r"""
import json, sys, tempfile, warnings
from pathlib import Path
import pandas as pd
import massincidents as mi

warnings.simplefilter("error")
aware_shanghai = pd.date_range("2016-01-01 02:00", periods=3, freq="3h", tz="Asia/Shanghai")
aware_la = pd.to_datetime(["2015-12-31 12:00"]).tz_localize("America/Los_Angeles")
frames = {
    # 2016-01-01 02:00-08:00 in Beijing: 2015-12-31 in UTC and in New York.
    "aware_shanghai": pd.DataFrame({"province": "Guangdong", "date": aware_shanghai}),
    # 2015-12-31 12:00 in Los Angeles is 2016-01-01 04:00 in Beijing.
    "aware_los_angeles": pd.DataFrame({"province": "Sichuan", "date": aware_la}),
    # naive: local China time as it stands.
    "naive": pd.DataFrame({"province": "Hebei",
                           "date": pd.to_datetime(["2015-12-31 23:30", "2016-01-01 00:30"])}),
    # text with an offset is converted; text without one is China time.
    "text": pd.DataFrame({"province": "Beijing",
                          "date": ["2015-12-31T20:00:00-08:00", "2015-12-31T17:00:00Z",
                                   "2015-12-31 23:00:00", "2016-01-01 07:59:00+00:00"]}),
}
out = {}
tmp = Path(tempfile.mkdtemp())
frames["text"].to_csv(tmp / "text.csv", index=False)
frames["aware_shanghai"].to_parquet(tmp / "aware.parquet")
inputs = {**frames, "text_csv": tmp / "text.csv", "aware_parquet": tmp / "aware.parquet"}
for name, events in inputs.items():
    panel = mi.events_to_panel(events, freq="day")
    nonzero = panel[panel["count"] > 0]["count"]
    out[name] = {f"{p} {d.date()}": int(n) for (p, d), n in nonzero.items()}
# an aware window bound is converted too: 16:00 UTC is midnight in Beijing.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    panel = mi.events_to_panel(frames["text"], freq="day",
                               start=pd.Timestamp("2015-12-31 16:00", tz="UTC"), end="2016-01-01")
out["window"] = {str(d.date()): int(n) for (_, d), n in panel["count"].items() if n}
print(json.dumps(out, sort_keys=True))
"""

TZ_EXPECTED = {
    "aware_shanghai": {"440000 2016-01-01": 3},
    "aware_los_angeles": {"510000 2016-01-01": 1},
    "naive": {"130000 2015-12-31": 1, "130000 2016-01-01": 1},
    "text": {"110000 2015-12-31": 1, "110000 2016-01-01": 3},
    "text_csv": {"110000 2015-12-31": 1, "110000 2016-01-01": 3},
    "aware_parquet": {"440000 2016-01-01": 3},
}


@pytest.mark.parametrize(
    "tz", ["UTC", "Asia/Shanghai", "America/New_York", "Pacific/Kiritimati"]
)
def test_dates_are_china_standard_time_whatever_the_machine_time_zone(tz: str) -> None:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    src = str(Path(mi.__file__).resolve().parents[1])
    env = {**os.environ, "TZ": tz, "PYTHONPATH": src}
    proc = subprocess.run(
        [sys.executable, "-c", TZ_SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    window = got.pop("window")
    assert got == TZ_EXPECTED
    # The 2015-12-31 23:00 event is before the window (midnight Beijing time).
    assert window == {"2016-01-01": 3}


def _write(path, text: str):
    path.write_text("province,date\n" + text, encoding="utf-8")
    return path


def test_a_path_names_one_file_even_with_glob_characters(tmp_path) -> None:
    _write(tmp_path / "ev1.csv", "Guangdong,2015-01-01\n")
    _write(tmp_path / "ev2.csv", "Sichuan,2015-01-01\n")
    _write(tmp_path / "ev[1].csv", "Hebei,2015-01-01\n")
    _write(tmp_path / "ev*.csv", "Jilin,2015-01-01\n")
    _write(tmp_path / "ev?.csv", "Anhui,2015-01-01\n")
    for name, code in (("ev[1].csv", 130000), ("ev*.csv", 220000), ("ev?.csv", 340000)):
        panel = mi.events_to_panel(tmp_path / name)
        assert panel.attrs["accounting"]["events_read"] == 1, name
        assert panel.loc[(code, 2015), "count"] == 1, name
    with pytest.raises(mi.DataError, match="file not found; to read the files matching"):
        mi.events_to_panel(tmp_path / "ev[12].csv")
    with pytest.raises(mi.DataError, match="events must be a DataFrame"):
        mi.events_to_panel(None)  # type: ignore[arg-type]


def test_several_files_only_when_asked(tmp_path) -> None:
    one = _write(tmp_path / "ev1.csv", "Guangdong,2015-01-01\n")
    two = _write(tmp_path / "ev2.csv", "Sichuan,2016-01-01\nGuangdong,2016-05-05\n")
    _write(tmp_path / "other.csv", "Hebei,2015-01-01\n")
    listed = mi.events_to_panel([one, two])
    assert listed.attrs["accounting"]["events_read"] == 3
    assert listed.loc[(440000, 2016), "count"] == 1
    globbed = mi.events_to_panel(str(tmp_path / "ev*.csv"), glob=True)
    pd.testing.assert_frame_equal(globbed, listed)
    with pytest.raises(mi.DataError, match="listed twice"):
        mi.events_to_panel([one, two, str(one)])
    with pytest.raises(mi.DataError, match="no file matches"):
        mi.events_to_panel(str(tmp_path / "nothing*.csv"), glob=True)
    with pytest.raises(mi.DataError, match="is a directory"):
        mi.events_to_panel(tmp_path)


def test_rows_are_named_in_the_right_file_of_several(tmp_path) -> None:
    one = _write(tmp_path / "a.csv", "Guangdong,2015-01-01\n")
    two = _write(tmp_path / "b.csv", "Sichuan,2016-01-01\nGuangdong,2061-05-05\n")
    with pytest.raises(mi.DataError) as info:
        mi.events_to_panel([one, two])
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.column) == (str(two), 3, "date")


def test_csv_rows_are_file_lines_counting_blank_lines_and_quoted_breaks(tmp_path) -> None:
    import gzip

    text = (
        'province,date\r\nGuangdong,2015-01-01\r\n\r\n"Sich\nuan",2016-01-01\r\n'
        "Hebei,1015-01-01\r\n"
    )
    plain = tmp_path / "ev[1].csv"
    plain.write_bytes(text.encode())
    packed = tmp_path / "ev.csv.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    for path in (plain, packed):
        with pytest.raises(mi.DataError) as info:
            mi.events_to_panel(path)
        (problem,) = info.value.problems
        assert (problem.file, problem.row) == (str(path), 6)
    with pytest.raises(mi.DataError) as info:
        mi.events_to_panel([_write(tmp_path / "a.csv", "Hebei,2015-01-01\n"), plain])
    (problem,) = info.value.problems
    assert (problem.file, problem.row) == (str(plain), 6)


@pytest.mark.parametrize("typo", ["1015-03-02", "0001-03-02", "9999-03-02"])
@pytest.mark.parametrize("freq", ["year", "day"])
def test_a_mistyped_year_is_refused_naming_its_row(tmp_path, typo: str, freq: str) -> None:
    path = _write(tmp_path / "ev.csv", f"Guangdong,2015-01-01\nSichuan,{typo}\nHebei,2016-01-01\n")
    with pytest.raises(mi.DataError, match="probably a mistyped year") as info:
        mi.events_to_panel(path, freq=freq)
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.column) == (str(path), 3, "date")
    assert typo in problem.message
    # With an explicit window the event is reported as outside it, and the panel stays small.
    with pytest.warns(mi.DataQualityWarning, match="1 outside window"):
        panel = mi.events_to_panel(path, freq=freq, start="2015-01-01", end="2016-12-31")
    assert panel.shape[0] == 31 * (2 if freq == "year" else 731)
    assert panel.attrs["accounting"]["counted"] == 2


def test_a_mistyped_year_with_an_unknown_province_is_only_reported() -> None:
    events = pd.DataFrame(
        {"province": ["Guangdong", "Atlantis"], "date": ["2015-01-01", "1015-01-01"]}
    )
    with pytest.warns(mi.DataQualityWarning, match="1 unknown province"):
        panel = mi.events_to_panel(events)
    assert panel.shape == (31, 1)


def test_window_outside_pandas_range_is_a_clear_error() -> None:
    events = pd.DataFrame({"province": ["Guangdong"], "date": ["2015-01-01"]})
    for start in ("0001-01-01", "1015-01-01", 1015):
        with pytest.raises(mi.DataError, match=r"start=.* is outside the dates a panel can hold"):
            mi.events_to_panel(events, freq="day", start=start, end="2015-12-31")
    with pytest.raises(mi.DataError, match=r"end=.* is outside"):
        mi.events_to_panel(events, freq="day", start="2015-01-01", end="9999-12-31")


@pytest.mark.parametrize("start", ["garbage", "", "2015-13-45", True, [2015]])
def test_a_start_that_is_not_a_date_is_a_clear_error(start: object) -> None:
    events = pd.DataFrame({"province": ["Guangdong"], "date": ["2015-01-01"]})
    with pytest.raises(mi.DataError, match="start must be a date such as '2015-01-01'"):
        mi.events_to_panel(events, start=start)


def test_start_after_end_is_refused() -> None:
    events = pd.DataFrame({"province": ["Guangdong"], "date": ["2015-01-01"]})
    with pytest.raises(mi.DataError, match="is after end="):
        mi.events_to_panel(events, start="2017-01-01", end="2015-12-31")


@pytest.mark.parametrize(
    ("freq", "start", "end", "edge"),
    [
        ("year", "2015-07-01", None, "start='2015-01-01'"),
        ("year", None, "2016-06-30", "end='2016-12-31'"),
        ("quarter", "2015-02-01", None, "start='2015-01-01'"),
        ("quarter", None, "2016-05-31", "end='2016-06-30'"),
        ("month", "2015-03-15", None, "start='2015-03-01'"),
        ("month", None, "2016-02-28", "end='2016-02-29'"),
    ],
)
def test_a_window_that_cuts_a_period_is_refused(freq, start, end, edge) -> None:
    events = pd.DataFrame({"province": ["Guangdong"] * 2, "date": ["2015-08-01", "2016-02-01"]})
    with pytest.raises(mi.DataError, match=f"falls inside a {freq}.*use {edge}"):
        mi.events_to_panel(events, freq=freq, start=start, end=end)


def test_years_as_window_bounds_cover_whole_years() -> None:
    events = pd.DataFrame({"province": ["Guangdong"] * 2, "date": ["2015-08-01", "2016-12-31"]})
    for start, end in ((2015, 2016), ("2015", "2016"), ("2015-01-01", "2016-12-31")):
        panel = mi.events_to_panel(events, freq="month", start=start, end=end)
        assert panel.shape == (31 * 24, 1)
        assert panel.attrs["accounting"]["counted"] == 2


def test_year_last_dates_that_read_two_ways_are_refused_unless_told() -> None:
    events = pd.DataFrame(
        {"province": ["Guangdong"] * 3, "date": ["03/04/2015", "25/12/2015", "2015-01-01"]}
    )
    with pytest.raises(mi.DataError) as info:
        mi.events_to_panel(events, freq="month")
    (problem,) = info.value.problems
    assert problem.row == 0 and problem.column == "date"
    assert "3 April 2015 (day first) or 4 March 2015 (month first)" in problem.message
    assert "dayfirst=True" in problem.message
    day_first = mi.events_to_panel(events, freq="month", dayfirst=True)
    assert day_first.loc[(440000, 201504), "count"] == 1
    assert day_first.loc[(440000, 201512), "count"] == 1
    with pytest.warns(mi.DataQualityWarning, match="1 unparseable date"):
        month_first = mi.events_to_panel(events, freq="month", dayfirst=False)
    assert month_first.loc[(440000, 201503), "count"] == 1
    with pytest.warns(mi.DataQualityWarning, match="1 unparseable date"):
        formatted = mi.events_to_panel(events, freq="month", date_format="%d/%m/%Y")
    assert formatted.loc[(440000, 201504), "count"] == 1
    # Both readings fall in 2015: a yearly panel counts it without asking.
    yearly = mi.events_to_panel(events, freq="year")
    assert yearly.loc[(440000, 2015), "count"] == 3


def test_a_column_mixing_day_first_and_month_first_is_refused() -> None:
    events = pd.DataFrame({"province": ["Guangdong"] * 2, "date": ["13/04/2015", "04/13/2015"]})
    with pytest.raises(mi.DataError, match="mixes two conventions") as info:
        mi.events_to_panel(events)
    assert [p.row for p in info.value.problems] == [0, 1]


def test_bad_date_format_and_conflicting_options() -> None:
    events = pd.DataFrame({"province": ["Guangdong"], "date": ["2015-01-01"]})
    with pytest.raises(mi.DataError, match="not a strptime format"):
        mi.events_to_panel(events, date_format="%Q")
    with pytest.raises(mi.DataError, match="not both"):
        mi.events_to_panel(events, dayfirst=True, date_format="%d/%m/%Y")


@pytest.mark.parametrize("name", ["total", "missing"])
def test_a_category_named_like_an_output_column_is_refused(name: str) -> None:
    events = pd.DataFrame(
        {"province": ["Guangdong"] * 3, "date": ["2015-01-01"] * 3, "band": ["a", None, name]}
    )
    with pytest.raises(mi.DataError, match=f"category '{name}'.*rename it") as info:
        mi.events_to_panel(events, by="band")
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (2, "band")


def test_duplicate_provinces_are_refused_and_names_accepted() -> None:
    events = pd.DataFrame({"province": ["Guangdong"], "date": ["2015-01-01"]})
    with pytest.raises(mi.DataError, match="lists 440000 twice"):
        mi.events_to_panel(events, provinces=[440000, 110000, "广东"])
    with pytest.raises(mi.DataError, match="Unknown province 'Gotham'"):
        mi.events_to_panel(events, provinces=["Gotham"])
    panel = mi.events_to_panel(events, provinces=["Guangdong", "北京"])
    assert panel.index.get_level_values("province").tolist() == [440000, 110000]
    # A place outside the mainland that is asked for is counted, not left out.
    events = pd.DataFrame({"province": ["Hong Kong", "Guangdong"], "date": ["2015-01-01"] * 2})
    panel = mi.events_to_panel(events, provinces=["Guangdong", "Hong Kong"])
    assert panel.loc[(810000, 2015), "count"] == 1
    assert panel.attrs["accounting"]["counted"] == 2


def test_a_zone_named_by_letters_is_reported_not_shifted() -> None:
    # DuckDB reads "CST" as US Central time (UTC-6), which would move these events
    # 14 hours off China Standard Time: they are counted as unparseable instead.
    events = pd.DataFrame(
        {"province": "Beijing", "date": ["2016-01-01 02:00:00 CST", "2016-01-01 02:00:00+08:00"]}
    )
    with pytest.warns(mi.DataQualityWarning):
        panel = mi.events_to_panel(events, freq="day", start="2015-12-31", end="2016-01-01")
    counts = panel.xs(110000)["count"]
    assert int(counts.sum()) == 1 and int(counts.iloc[-1]) == 1
    assert panel.attrs["accounting"]["left_out"]["unparseable_date"] == 1


_COUNT_IN_CHILD = """
import sys
import massincidents as mi
try:
    mi.events_to_panel(sys.argv[1])
except mi.DataError as err:
    print(err)
    sys.exit(3)
"""


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_special_files_are_refused_without_hanging(tmp_path, kind) -> None:
    import os
    import subprocess
    import sys

    if kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no named pipes on this platform")
        path = tmp_path / "events.csv"
        os.mkfifo(path)
    else:
        path = tmp_path / "events.parquet"
        path.symlink_to("/dev/zero")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _COUNT_IN_CHILD, str(path)],
            capture_output=True, text=True, timeout=60, env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"events_to_panel({path}) hung (still running after 60 s)")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "not a regular file" in done.stdout
