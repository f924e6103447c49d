"""events_to_panel below the province (``src/massincidents/events/levels.py``)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.errors import DataQualityWarning


def _quiet(*args: object, **kwargs: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return mi.events_to_panel(*args, **kwargs)


def _simulated(level: str, n: int, seed: int, first: int = 2011, last: int = 2017) -> pd.DataFrame:
    """Events with codes valid at their date, spread over the whole roster."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(f"{first}-01-01", f"{last}-12-31", freq="D")
    date = pd.Series(days[rng.integers(0, len(days), n)])
    roster = mi.prefectures() if level == "prefecture" else mi.counties()
    codes = np.empty(n, dtype=np.int64)
    for year in range(first, last + 1):
        valid = roster[(roster.valid_from <= year) & (roster.valid_to >= year)]["code"].to_numpy()
        rows = np.flatnonzero(date.dt.year.to_numpy() == year)
        codes[rows] = valid[rng.integers(0, len(valid), len(rows))]
    return pd.DataFrame({"province": codes // 10000 * 10000, level: codes, "date": date})


@pytest.mark.parametrize("level", ["prefecture", "county"])
@pytest.mark.parametrize("freq", ["year", "month"])
def test_units_sum_to_the_province_counts(level: str, freq: str) -> None:
    events = _simulated(level, 5000, seed=3)
    units = mi.events_to_panel(events, freq=freq, level=level)
    provinces = mi.events_to_panel(events, freq=freq)
    assert units.attrs["accounting"]["counted"] == 5000
    summed = units.groupby(["province", freq])["count"].sum()
    assert summed.reindex(provinces.index, fill_value=0).equals(provinces["count"])
    # every event's own unit-period cell
    period = (
        events["date"].dt.year
        if freq == "year"
        else (events["date"].dt.year * 100 + events["date"].dt.month)
    )
    direct = events.groupby([events[level], period]).size()
    assert units.loc[direct.index, "count"].to_numpy().tolist() == direct.tolist()


def test_zero_fill_respects_validity_years() -> None:
    events = pd.DataFrame(
        {"province": ["Xinjiang"], "prefecture": [650500], "date": ["2016-06-01"]}
    )
    panel = mi.events_to_panel(events, freq="year", level="prefecture", start=2011, end=2017)
    units = panel.index.get_level_values("prefecture")
    years = panel.index.get_level_values("year")
    assert sorted(years[units == 650500]) == [2016, 2017]  # Hami city from 2016
    assert sorted(years[units == 652200]) == [2011, 2012, 2013, 2014, 2015]  # Hami 地区
    assert sorted(years[units == 460300]) == [2012, 2013, 2014, 2015, 2016, 2017]  # Sansha
    assert sorted(years[units == 341400]) == []  # Chaohu, abolished in 2011
    for year in range(2011, 2018):
        expected = set(mi.prefectures(year)["code"])
        assert set(units[years == year]) == expected
    assert int(panel["count"].sum()) == 1


def test_names_resolved_within_province_and_year() -> None:
    events = pd.DataFrame(
        {
            "province": ["Guizhou", "贵州", "Shandong", "Jilin", "Beijing", "Xinjiang", "Xinjiang"],
            "prefecture": ["Bijie", "毕节地区", "Linyi", "吉林", "Chaoyang", "Hami", "哈密地区"],
            "date": [
                "2012-01-03",
                "2010-05-01",
                "2013-01-01",
                "2014-01-01",
                "2014-02-02",
                "2015-05-05",
                "2015-06-06",
            ],
        }
    )
    with pytest.warns(DataQualityWarning, match=r"ambiguous prefecture|unknown prefecture"):
        panel = mi.events_to_panel(events, freq="year", level="prefecture")
    got = panel[panel["count"] > 0]["count"].to_dict()
    assert got == {
        (520500, 2012): 1,
        (522400, 2010): 1,
        (371300, 2013): 1,
        (220200, 2014): 1,
        (652200, 2015): 2,
    }
    # Chaoyang in Beijing is a district, not a prefecture: left out, not guessed
    assert panel.attrs["accounting"]["left_out"]["unknown_prefecture"] == 1


def test_left_out_by_reason() -> None:
    rows = [
        ("Guangdong", "110105", "2015-01-01"),  # a Beijing district: other province
        ("Guangdong", None, "2015-01-01"),  # missing
        ("Guangdong", "Nowhere", "2015-01-01"),  # unknown
        ("Shanxi", "440306", "2015-01-01"),  # a Shenzhen district: other province
        ("Guizhou", "522401", "2015-01-01"),  # 毕节市 (county-level) ended in 2010
        ("Hebei", "桥东区", "2015-01-01"),  # a district of Xingtai and of Zhangjiakou
        ("Hebei", "Qiaodong", "2015-01-01"),
        ("Hebei", "130104", "2009-01-01"),  # before the lists
        ("Guangdong", "罗湖区", "2015-03-01"),  # counted
    ]
    events = pd.DataFrame(rows, columns=["province", "county", "date"])
    with pytest.warns(DataQualityWarning) as caught:
        panel = mi.events_to_panel(events, freq="year", level="county")
    accounting = panel.attrs["accounting"]
    left = accounting["left_out"]
    assert left["county_in_other_province"] == 2
    assert left["missing_county"] == 1
    assert left["unknown_county"] == 1
    assert left["county_not_valid_in_period"] == 1
    assert left["ambiguous_county"] == 2
    assert left["year_outside_registry"] == 1
    assert accounting["counted"] == 1
    assert panel.loc[(440303, 2015), "count"] == 1
    assert accounting["counted"] + sum(left.values()) == accounting["events_read"]
    message = str(caught[0].message)
    assert "'桥东区' in 2015 (130502, 130702)" in message
    assert "unknown county: 'Nowhere'" in message


def test_csv_file_and_unit_column(tmp_path: Path) -> None:
    events = _simulated("county", 300, seed=5)
    path = tmp_path / "events.csv"
    events.rename(columns={"county": "xian"}).to_csv(path, index=False)
    from_file = mi.events_to_panel(path, freq="quarter", level="county", unit="xian")
    in_memory = mi.events_to_panel(events, freq="quarter", level="county")
    assert from_file.equals(in_memory)
    with pytest.raises(mi.DataError, match="county column is missing"):
        mi.events_to_panel(path, freq="year", level="county")
    with pytest.raises(mi.DataError, match="level must be"):
        mi.events_to_panel(events, level="township")
    with pytest.raises(mi.DataError, match="pass level="):
        mi.events_to_panel(events, unit="county")


def test_categories_provinces_and_days() -> None:
    events = pd.DataFrame(
        {
            "province": ["Guangdong", "Guangdong", "Guangdong", "Sichuan"],
            "prefecture": [440300, 440300, 441900, 510100],
            "date": ["2015-01-03", "2015-01-03", "2015-02-01", "2015-03-01"],
            "band": ["<100", "100-999", None, "<100"],
        }
    )
    with pytest.warns(DataQualityWarning, match="1 province not in panel"):
        panel = mi.events_to_panel(
            events, level="prefecture", freq="day", by="band", provinces=["Guangdong"]
        )
    guangdong = mi.prefectures(2015)
    guangdong = guangdong[guangdong["province_code"] == 440000]
    assert len(panel) == len(guangdong) * 30  # 3 January to 1 February
    assert list(panel.columns) == ["province", "100-999", "<100", "missing", "total"]
    day = pd.Timestamp("2015-01-03")
    assert panel.loc[(440300, day), ["100-999", "<100", "total"]].tolist() == [1, 1, 2]
    assert panel.loc[(441900, pd.Timestamp("2015-02-01")), "missing"] == 1
    assert int(panel["total"].sum()) == 3 == panel.attrs["accounting"]["counted"]


def test_one_vintage_for_every_period() -> None:
    events = pd.DataFrame(
        {
            "province": ["Tibet", "Tibet", "Xinjiang", "Guangdong"],
            "prefecture": [540200, 542300, 650500, 440300],
            "date": ["2012-01-03", "2012-05-01", "2013-02-01", "2005-06-01"],
        }
    )
    with pytest.warns(DataQualityWarning, match="1 prefecture not valid in period"):
        panel = mi.events_to_panel(events, level="prefecture", freq="year", vintage=2017)
    roster = set(mi.prefectures(2017)["code"])
    years = panel.index.get_level_values("year")
    for year in range(2005, 2014):
        assert set(panel.index.get_level_values("prefecture")[years == year]) == roster
    # Shigatse's 2017 code counts in 2012; its 地区 code of 2012 is not in the 2017 roster
    assert panel.loc[(540200, 2012), "count"] == 1
    assert panel.loc[(440300, 2005), "count"] == 1  # before the lists: the vintage decides
    assert panel.attrs["accounting"]["counted"] == 3
    with pytest.raises(mi.DataError, match="vintage"):
        mi.events_to_panel(events, level="prefecture", vintage=2025)
    with pytest.raises(mi.DataError, match="pass level="):
        mi.events_to_panel(events, vintage=2017)
