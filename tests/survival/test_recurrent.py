"""mi.recurrent_data: counting-process rows for AG, PWP and WLW, and their accounting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.survival.recurrent import (
    AFTER_WINDOW,
    BEFORE_ORIGIN,
    BEFORE_WINDOW,
    NOT_A_UNIT,
    SAME_DAY,
    UNKNOWN_UNIT,
)

START, END = "2012-01-01", "2016-12-31"
DAYS = (pd.Timestamp(END) - pd.Timestamp(START)).days + 1  # 1827


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return mi.datasets.simulate_events(n_provinces=31, n_years=7, start_year=2011, seed=11)


@pytest.fixture(scope="module")
def units(simulated) -> list[int]:
    return sorted(set(simulated.attrs["panel"]["province"]))


def _in_window(events: pd.DataFrame) -> pd.DataFrame:
    return events[events["date"].between(pd.Timestamp(START), pd.Timestamp(END))]


# -- simulation: every event and every day at risk accounted for -----------------------------
def test_ag_counts_every_event_and_every_day_at_risk(simulated, units) -> None:
    rows = mi.recurrent_data(simulated, start=START, end=END, units=units)
    inside = _in_window(simulated)
    assert rows["event"].sum() == len(inside)
    assert (rows["stop"] - rows["start"]).sum() == pytest.approx(len(units) * DAYS, abs=1e-6)
    assert rows["province"].nunique() == len(units) == 31
    acc = rows.attrs["accounting"]
    assert acc["used"] == len(inside)
    assert acc[BEFORE_WINDOW] == int((simulated["date"] < START).sum())
    assert acc[AFTER_WINDOW] == int((simulated["date"] > END).sum())
    assert acc["used"] + acc[BEFORE_WINDOW] + acc[AFTER_WINDOW] == acc["events"] == len(simulated)
    excluded = pd.DataFrame(rows.attrs["excluded"])
    assert len(excluded) == acc[BEFORE_WINDOW] + acc[AFTER_WINDOW]
    assert set(excluded["reason"]) == {BEFORE_WINDOW, AFTER_WINDOW}
    # rows of a unit tile (0, DAYS] without gaps
    for _, g in rows.groupby("province"):
        assert g["start"].iloc[0] == 0 and g["stop"].iloc[-1] == DAYS
        np.testing.assert_array_equal(g["start"].to_numpy()[1:], g["stop"].to_numpy()[:-1])


def test_ag_event_counts_by_unit_and_year_match_the_simulated_panel(simulated, units) -> None:
    """The simulated province-year counts (known rates) come back from the rows."""
    rows = mi.recurrent_data(simulated, start="2011-01-01", end="2017-12-31", units=units)
    panel = pd.DataFrame(simulated.attrs["panel"])
    event_day = pd.Timestamp("2011-01-01") + pd.to_timedelta(np.ceil(rows["stop"]) - 1, unit="D")
    got = rows.assign(year=event_day.dt.year).groupby(["province", "year"])["event"].sum()
    want = panel.set_index(["province", "year"])["y"]
    pd.testing.assert_series_equal(got.reindex(want.index, fill_value=0), want, check_names=False)


@pytest.mark.parametrize("ties", ["spread", "count", "first"])
def test_tie_rules_keep_time_at_risk(simulated, units, ties) -> None:
    rows = mi.recurrent_data(simulated, start=START, end=END, units=units, ties=ties)
    assert (rows["stop"] - rows["start"]).sum() == pytest.approx(31 * DAYS, abs=1e-6)
    assert (rows["stop"] > rows["start"]).all()
    inside = _in_window(simulated)
    unit_days = inside.groupby(["province", inside["date"].dt.normalize()]).size()
    info = rows.attrs["ties"]
    assert info["unit_days_with_several_events"] == int((unit_days > 1).sum())
    if ties == "first":
        assert rows["event"].sum() == len(unit_days)
        assert rows.attrs["accounting"][SAME_DAY] == len(inside) - len(unit_days)
    else:
        assert rows["event"].sum() == len(inside)
    if ties == "count":
        assert rows["event"].max() == unit_days.max()


def test_pwp_total_time_is_ag_stratified_by_event_number(simulated, units) -> None:
    ag = mi.recurrent_data(simulated, start=START, end=END, units=units)
    pwp = mi.recurrent_data(simulated, start=START, end=END, units=units, scheme="pwp-total")
    pd.testing.assert_frame_equal(pwp.drop(columns="stratum"), ag)
    assert (pwp["stratum"] == pwp["enum"]).all()
    capped = mi.recurrent_data(
        simulated, start=START, end=END, units=units, scheme="pwp-total", max_enum=3
    )
    assert capped["stratum"].max() == 3
    assert (capped["stratum"] == np.minimum(capped["enum"], 3)).all()


def test_pwp_gap_time_resets_the_clock_at_each_event(simulated, units) -> None:
    ag = mi.recurrent_data(simulated, start=START, end=END, units=units)
    gap = mi.recurrent_data(simulated, start=START, end=END, units=units, scheme="pwp-gap")
    np.testing.assert_array_equal(gap["calendar_start"], ag["start"])
    np.testing.assert_array_equal(gap["calendar_stop"], ag["stop"])
    np.testing.assert_allclose(gap["stop"] - gap["start"], ag["stop"] - ag["start"])
    after_event = gap.groupby("province")["event"].shift(1).fillna(0).to_numpy() > 0
    assert (gap.loc[after_event, "start"] == 0).all()
    first = gap.groupby("province").head(1)
    assert (first["start"] == 0).all()
    assert (gap["start"] >= 0).all()


def test_wlw_puts_every_unit_at_risk_for_every_event_number(simulated, units) -> None:
    rows = mi.recurrent_data(
        simulated, start=START, end=END, units=units, scheme="wlw", max_enum=5
    )
    inside = _in_window(simulated)
    per_unit = inside.groupby("province").size().reindex(units, fill_value=0)
    for k in range(1, 6):
        series = rows[rows["stratum"] == k]
        assert series["province"].nunique() == 31
        assert series["event"].sum() == int((per_unit >= k).sum())
        assert (series.groupby("province")["start"].min() == 0).all()
        # the k-th series ends at the k-th event, or at the end of the window
        kth = series.groupby("province")["stop"].max()
        censored = per_unit[per_unit < k].index
        assert (kth.loc[censored] == DAYS).all()
    mi.check_counting_process(rows, unit="province", start="start", stop="stop",
                              event="event", strata="stratum")


# -- small worked examples ------------------------------------------------------------------
def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "province": pd.array([110000, 110000, 110000, 120000, None, 130000], dtype="Int64"),
            "date": pd.to_datetime(
                ["2011-01-05", "2011-01-05", "2011-03-01", "2011-02-01", "2011-05-01",
                 "2011-04-01"]
            ),
        }
    )


def test_same_day_events_are_spread_within_the_day() -> None:
    rows = mi.recurrent_data(_events(), start="2011-01-01", end="2011-12-31",
                             units=[110000, 120000])
    bj = rows[rows["province"] == 110000]
    assert bj["stop"].tolist() == [4.5, 5.0, 60.0, 365.0]
    assert bj["event"].tolist() == [1, 1, 1, 0]
    assert bj["enum"].tolist() == [1, 2, 3, 4]
    assert rows["province"].dtype == pd.Int64Dtype()
    acc = rows.attrs["accounting"]
    assert acc == {"events": 6, "used": 4, UNKNOWN_UNIT: 1, NOT_A_UNIT: 1}
    excluded = pd.DataFrame(rows.attrs["excluded"])
    assert excluded["row"].tolist() == [4, 5]


def test_count_ties_give_one_interval_with_the_count() -> None:
    rows = mi.recurrent_data(_events(), start="2011-01-01", end="2011-12-31",
                             units=[110000], ties="count")
    assert rows["stop"].tolist() == [5.0, 60.0, 365.0]
    assert rows["event"].tolist() == [2, 1, 0]
    assert rows["enum"].tolist() == [1, 3, 4]
    wlw = mi.recurrent_data(_events(), start="2011-01-01", end="2011-12-31",
                            units=[110000], ties="count", scheme="wlw")
    # events 1 and 2 both end their series on day 5
    ends = wlw[wlw["event"] == 1].set_index("stratum")["stop"]
    assert ends.to_dict() == {1: 5.0, 2: 5.0, 3: 60.0}


def test_origin_gives_left_truncation_and_time_since_origin() -> None:
    ev = _events().dropna()
    origin = {110000: "2010-12-01", 120000: "2011-01-15", 130000: "2011-01-01"}
    rows = mi.recurrent_data(ev, start="2011-01-01", end="2011-12-31", origin=origin)
    bj = rows[rows["province"] == 110000]
    assert bj["start"].iloc[0] == 31  # observed from day 31 after its origin
    assert bj["stop"].iloc[-1] == 31 + 365
    tj = rows[rows["province"] == 120000]
    assert tj["start"].iloc[0] == 0  # origin inside the window: observed from its origin
    assert tj["stop"].tolist() == [18.0, 351.0]  # 2011-02-01 is day 18 since 2011-01-15
    late = mi.recurrent_data(ev, start="2011-01-01", end="2011-12-31",
                             origin={**origin, 130000: "2011-06-01"})
    assert late.attrs["accounting"][BEFORE_ORIGIN] == 1


def test_per_unit_windows_and_events_after_a_unit_ends() -> None:
    ev = _events().dropna()
    end = {110000: "2011-02-28", 120000: "2011-12-31", 130000: "2011-12-31"}
    rows = mi.recurrent_data(ev, start="2011-01-01", end=end)
    assert rows.loc[rows["province"] == 110000, "stop"].max() == 59
    assert rows.attrs["accounting"][AFTER_WINDOW] == 1
    with pytest.raises(mi.DataError) as err:
        mi.recurrent_data(ev, start="2011-01-01", end=end, on_outside="raise")
    (problem,) = err.value.problems
    assert problem.row == 2 and "110000" in problem.message
    assert AFTER_WINDOW in problem.message


def test_unit_with_no_time_at_risk_is_an_error() -> None:
    with pytest.raises(mi.DataError, match=r"unit 120000: no time at risk"):
        mi.recurrent_data(
            _events().dropna(), start="2011-01-01",
            end={110000: "2011-12-31", 120000: "2010-12-31", 130000: "2011-12-31"},
        )
    with pytest.raises(mi.DataError, match="no time at risk"):
        mi.recurrent_data(_events().dropna(), start="2011-01-01", end="2011-12-31",
                          origin={110000: "2012-03-01", 120000: "2011-01-01",
                                  130000: "2011-01-01"})


def test_yearly_covariates_split_where_they_change() -> None:
    cov = pd.DataFrame(
        {"province": [110000] * 3, "year": [2011, 2012, 2013], "gdp": [1.0, 1.0, 2.0]}
    ).set_index(["province", "year"])
    ev = pd.DataFrame({"province": [110000], "date": pd.to_datetime(["2012-06-30"])})
    rows = mi.recurrent_data(ev, start="2011-01-01", end="2013-12-31", covariates=cov)
    # no cut on 2012-01-01 (gdp unchanged), a cut on 2013-01-01
    assert rows["stop"].tolist() == [547.0, 731.0, 1096.0]
    assert rows["gdp"].tolist() == [1.0, 1.0, 2.0]
    assert rows.attrs["covariates_missing"] == 0
    short = cov.drop(index=(110000, 2013))
    rows = mi.recurrent_data(ev, start="2011-01-01", end="2013-12-31", covariates=short)
    assert rows["gdp"].isna().tolist() == [False, False, True]
    assert rows.attrs["covariates_missing"] == 1


def test_monthly_covariates() -> None:
    cov = pd.DataFrame(
        {"province": [1, 1, 1], "month": ["2011-01", "2011-02", "2011-03"], "x": [0, 1, 1]}
    )
    ev = pd.DataFrame({"province": [1], "date": pd.to_datetime(["2011-03-10"])})
    rows = mi.recurrent_data(ev, start="2011-01-01", end="2011-03-31", covariates=cov,
                             covariate_time="month")
    assert rows["stop"].tolist() == [31.0, 69.0, 90.0]
    assert rows["x"].tolist() == [0, 1, 1]


def test_splits_cut_intervals_and_carry_values() -> None:
    ev = pd.DataFrame({"province": [1], "date": pd.to_datetime(["2011-06-30"])})
    splits = pd.DataFrame(
        {"province": [1, 1], "date": pd.to_datetime(["2010-05-01", "2011-03-01"]),
         "leader": ["a", "b"]}
    )
    rows = mi.recurrent_data(ev, start="2011-01-01", end="2011-12-31", splits=splits)
    assert rows["stop"].tolist() == [59.0, 181.0, 365.0]
    assert rows["leader"].tolist() == ["a", "b", "b"]
    bare = splits.drop(columns="leader").iloc[[1]]
    rows = mi.recurrent_data(ev, start="2011-01-01", end="2011-12-31", splits=bare)
    assert rows["stop"].tolist() == [59.0, 181.0, 365.0]


def test_clb_strikes_with_province_covariates_and_leader_changes() -> None:
    events = mi.datasets.load("clb_strikes")
    py = mi.datasets.load("province_year")[["gdp", "population"]]
    leaders = mi.datasets.load("leader_spells")
    splits = leaders.loc[leaders["role"] == "secretary", ["province", "start", "leader_id"]]
    rows = mi.recurrent_data(
        events, start="2011-01-01", end="2017-12-31", covariates=py,
        splits=splits.rename(columns={"start": "date"}),
    )
    days = (pd.Timestamp("2017-12-31") - pd.Timestamp("2011-01-01")).days + 1
    acc = rows.attrs["accounting"]
    assert acc["used"] + acc[UNKNOWN_UNIT] == acc["events"] == len(events)
    assert rows["event"].sum() == acc["used"] == int(events["province"].notna().sum())
    assert rows["province"].nunique() == 31
    assert (rows["stop"] - rows["start"]).sum() == pytest.approx(31 * days)
    assert rows[["gdp", "population", "leader_id"]].notna().all().all()


def test_bad_arguments() -> None:
    ev = _events().dropna()
    with pytest.raises(ValueError, match="scheme"):
        mi.recurrent_data(ev, start="2011-01-01", end="2011-12-31", scheme="andersen")
    with pytest.raises(ValueError, match="ties"):
        mi.recurrent_data(ev, start="2011-01-01", end="2011-12-31", ties="jitter")
    with pytest.raises(mi.DataError, match="column not found"):
        mi.recurrent_data(ev, date="day", start="2011-01-01", end="2011-12-31")
    with pytest.raises(mi.DataError, match="cannot read"):
        mi.recurrent_data(ev, start="not a date", end="2011-12-31")


# -- check_counting_process ---------------------------------------------------------------
def test_check_counting_process_lists_every_problem_with_unit_and_row() -> None:
    rows = pd.DataFrame(
        {
            "u": ["a", "a", "b", "b", "c"],
            "t0": [0.0, 5.0, 0.0, 3.0, -1.0],
            "t1": [10.0, 20.0, 3.0, 3.0, 2.0],
            "d": [0, 1, 0, 1, 1],
        }
    )
    with pytest.raises(mi.DataError) as err:
        mi.check_counting_process(rows, unit="u", start="t0", stop="t1", event="d", end=15)
    found = {(p.row, p.column) for p in err.value.problems}
    messages = " | ".join(p.message for p in err.value.problems)
    assert (1, "t0") in found and "overlaps" in messages  # a: (5, 20] overlaps (0, 10]
    assert (3, "t1") in found and "not after start" in messages  # b: (3, 3]
    assert (4, "t0") in found and "negative time" in messages  # c
    assert (1, "t1") in found and "after the end of observation" in messages
    assert all(p.message.startswith("unit ") for p in err.value.problems)


def test_check_counting_process_accepts_valid_rows_and_strata() -> None:
    rows = pd.DataFrame(
        {"u": [1, 1, 1], "s": [1, 2, 2], "t0": [0.0, 0.0, 4.0], "t1": [4.0, 4.0, 9.0],
         "d": [1, 0, 1]}
    )
    mi.check_counting_process(rows, unit="u", start="t0", stop="t1", event="d", strata="s")
    with pytest.raises(mi.DataError, match="overlaps"):
        mi.check_counting_process(rows, unit="u", start="t0", stop="t1", event="d")


def test_wlw_reports_events_beyond_max_enum_and_refuses_huge_data(monkeypatch) -> None:
    ev = _events().dropna()
    rows = mi.recurrent_data(ev, start="2011-01-01", end="2011-12-31", scheme="wlw", max_enum=2)
    assert rows.attrs["wlw_events_beyond_max_enum"] == 1  # Beijing's third event
    assert rows["event"].sum() == 4  # strata 1 and 2 of Beijing, stratum 1 of the others
    monkeypatch.setattr("massincidents.survival.recurrent.WLW_MAX_ROWS", 5)
    with pytest.raises(ValueError, match="max_enum"):
        mi.recurrent_data(ev, start="2011-01-01", end="2011-12-31", scheme="wlw")


def test_monthly_covariates_need_dates_not_numbers() -> None:
    cov = pd.DataFrame({"province": [1], "month": [201101], "x": [0]})
    ev = pd.DataFrame({"province": [1], "date": pd.to_datetime(["2011-01-10"])})
    with pytest.raises(mi.DataError, match="not numbers"):
        mi.recurrent_data(ev, start="2011-01-01", end="2011-03-31", covariates=cov,
                          covariate_time="month")
