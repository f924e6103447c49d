"""mi.leader_spells_to_first_event: tenures as left-truncated, censored spells."""

from __future__ import annotations

import pandas as pd
import pytest

import massincidents as mi
from massincidents.survival.spells import DATA_END, EVENT, LEFT_OFFICE


def _spells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "province": [1, 1, 1, 2, 2],
            "role": ["secretary", "secretary", "secretary", "secretary", "governor"],
            "start": pd.to_datetime(
                ["2005-01-01", "2009-03-01", "2012-05-01", "2010-01-01", "2010-01-01"]
            ),
            "end": pd.to_datetime(["2009-03-01", "2012-05-01", None, "2018-06-01", None]),
            "leader_id": ["A", "B", "C", "B", "D"],
        }
    )


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "province": [1, 1, 1, 2, 2],
            "size_band": ["1000-10000", "100-1000", "10000+", None, "1000-10000"],
            "date": pd.to_datetime(
                ["2013-02-10", "2011-06-01", "2012-05-20", "2011-03-03", "2017-12-31"]
            ),
        }
    )


def _fit(**kw) -> pd.DataFrame:
    return mi.leader_spells_to_first_event(
        _spells(), _events(), events_start="2011-01-01", events_end="2017-12-31", **kw
    )


def test_months_entry_duration_and_exit_reasons() -> None:
    out = _fit(time_unit="month")
    assert out["spell_id"].tolist() == ["1-secretary-2009-03", "1-secretary-2012-05",
                                        "2-secretary-2010-01"]
    # spell A ended before the events data: left out and reported
    assert out.attrs["left_out"] == {"spell ended before the events data begin": 1}
    # B: Mar 2009 - May 2012, in office when CLB starts (entry 22 months), censored on leaving;
    # the 10000+ event of 2012-05-20 falls in the hand-over month: it counts for B and C
    assert out["entry"].tolist() == [22, 0, 12]
    assert out["event"].tolist() == [1, 1, 1]
    assert out["duration"].tolist() == [39, 1, 96]
    assert out["exit_reason"].tolist() == [EVENT, EVENT, EVENT]
    assert out["left_truncated"].tolist() == [True, False, True]
    assert out["event_date"].iloc[0] == pd.Timestamp("2012-05-20")


def test_days_and_censoring_at_the_end_of_the_data() -> None:
    out = _fit(size_at_least="10000+")
    c = out.set_index("spell_id").loc["1-secretary-2012-05"]
    assert c["event"] == 1 and c["duration"] == 20  # 2012-05-20 is day 20 of the tenure
    p2 = out.set_index("spell_id").loc["2-secretary-2010-01"]
    assert p2["event"] == 0 and p2["exit_reason"] == DATA_END
    assert p2["entry"] == (pd.Timestamp("2011-01-01") - pd.Timestamp("2010-01-01")).days
    assert p2["duration"] == (pd.Timestamp("2018-01-01") - pd.Timestamp("2010-01-01")).days
    b = out.set_index("spell_id").loc["1-secretary-2009-03"]
    assert b["event"] == 1  # the 10000+ event of the hand-over month
    assert out.attrs["events_unknown_size"] == 1


def test_left_truncated_spells_can_be_dropped() -> None:
    out = _fit(left_truncated="drop", role="secretary")
    assert out["spell_id"].tolist() == ["1-secretary-2012-05"]
    assert out.attrs["left_out"]["spell began before the events data (left_truncated='drop')"] == 2


def test_role_none_and_all_sizes() -> None:
    out = _fit(role=None, size_at_least=None)
    assert len(out) == 4
    gov = out[out["role"] == "governor"].iloc[0]
    assert gov["event"] == 1 and gov["event_date"] == pd.Timestamp("2011-03-03")


def test_censored_at_leaving_office() -> None:
    spells = _spells().iloc[[1]]
    events = _events().iloc[[0]]  # only an event after B left
    out = mi.leader_spells_to_first_event(spells, events, events_start="2011-01-01",
                                          events_end="2017-12-31")
    assert out["exit_reason"].tolist() == [LEFT_OFFICE]
    # tenure covers the whole of May 2012: censored at 2012-06-01
    assert out["duration"].iloc[0] == (pd.Timestamp("2012-06-01") - pd.Timestamp("2009-03-01")).days


def test_bad_input() -> None:
    spells = _spells()
    spells.loc[2, "end"] = pd.Timestamp("2011-01-01")
    with pytest.raises(mi.DataError) as err:
        mi.leader_spells_to_first_event(spells, _events())
    (problem,) = err.value.problems
    assert problem.row == 2 and "unit 1" in problem.message
    assert "before it starts" in problem.message
    with pytest.raises(mi.DataError, match="unknown size band"):
        _fit(size_at_least="huge")
    with pytest.raises(mi.DataError, match="column not found"):
        mi.leader_spells_to_first_event(_spells(), _events().drop(columns="size_band"))


def test_bundled_leaders_and_strikes() -> None:
    spells = mi.datasets.load("leader_spells")
    events = mi.datasets.load("clb_strikes")
    out = mi.leader_spells_to_first_event(spells, events)
    assert out.attrs["events_window"] == ["2011-01-01", "2017-12-31"]
    assert out["spell_id"].is_unique
    assert out["province"].nunique() == 31
    assert (out["duration"] > out["entry"]).all()
    assert set(out["exit_reason"]) == {EVENT, LEFT_OFFICE, DATA_END}
    km = mi.kaplan_meier(out, duration="duration", event="event", entry="entry")
    assert km["survival"].is_monotonic_decreasing
    months = mi.leader_spells_to_first_event(spells, events, time_unit="month")
    fit = mi.discrete_hazard(months, unit="spell_id", time="duration", event="event",
                             entry="entry", layout="spells", link="cloglog", duration="spline",
                             df=3)
    assert fit.stats["n_events"] == out["event"].sum()
