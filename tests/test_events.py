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
