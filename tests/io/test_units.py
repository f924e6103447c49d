"""read_panel and validate below the province (``io/units.py``, ``validate/units.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

import massincidents as mi


def _write(tmp_path: Path, text: str, name: str = "pref.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_prefecture_file_keyed_by_names_with_a_province_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "省份,城市,年份,罢工\n广东,深圳,2015,3\n广东,Dongguan,2015,5\nXinjiang,哈密地区,2015,1\n"
        "Xinjiang,Hami,2016,2\nLiaoning,Chaoyang,2016,1\nAnhui,Suzhou,2016,4\n",
        encoding="gbk",
    )
    panel = mi.read_panel(path, level="prefecture", counts=["罢工"])
    assert panel.index.names == ["prefecture", "year"]
    assert panel["罢工"].to_dict() == {
        (211300, 2016): 1, (341300, 2016): 4, (440300, 2015): 3, (441900, 2015): 5,
        (650500, 2016): 2, (652200, 2015): 1,
    }  # fmt: skip
    assert panel["province"].tolist() == [210000, 340000, 440000, 440000, 650000, 650000]
    assert panel.attrs["encoding"] == "gbk" and panel.attrs["level"] == "prefecture"
    assert panel.attrs["source_rows"][(650500, 2016)] == 5
    # the result validates as it is
    assert mi.validate(panel, level="prefecture", counts=["罢工"]) is panel


def test_county_file_keyed_by_codes(tmp_path: Path) -> None:
    path = _write(tmp_path, "county_code,year,x\n440303,2015,1.5\n440303,2016,2\n371324,2013,0\n")
    panel = mi.read_panel(path, level="county")
    assert list(panel.index) == [(371324, 2013), (440303, 2015), (440303, 2016)]
    assert panel["x"].tolist() == [0.0, 1.5, 2.0]


def test_every_problem_named_with_file_row_and_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "prefecture,year,strikes\nSuzhou,2015,3\n522400,2015,1\nNowhere,2015,2\n深圳,2015,-1\n"
        "深圳市,2015,2\n,2015,1\n",
    )
    with pytest.raises(mi.DataError) as info:
        mi.read_panel(path, level="prefecture", counts=["strikes"])
    problems = {(p.row, p.column): p.message for p in info.value.problems}
    assert all(p.file == str(path) for p in info.value.problems)
    assert problems[(2, "prefecture")].startswith(
        "ambiguous prefecture 'Suzhou': 320500 苏州市 (320000); 341300 宿州市 (340000)"
    )
    assert "not in force in 2015 (valid 2010-2010)" in problems[(3, "prefecture")]
    assert problems[(4, "prefecture")].startswith("unknown prefecture 'Nowhere'")
    assert problems[(5, "strikes")].startswith("negative count")
    assert problems[(6, "prefecture")].startswith("duplicate prefecture-year")
    assert problems[(7, "prefecture")] == "prefecture is missing"
    assert len(info.value.problems) == 6


def test_arguments(tmp_path: Path) -> None:
    path = _write(tmp_path, "code,year,x\n440300,2015,1\n")
    with pytest.raises(mi.DataError, match="no prefecture column found"):
        mi.read_panel(path, level="prefecture")
    assert mi.read_panel(path, level="prefecture", unit="code")["x"].item() == 1
    with pytest.raises(mi.DataError, match="long tables"):
        mi.read_panel(path, level="prefecture", layout="wide")
    with pytest.raises(mi.DataError, match="level must be"):
        mi.read_panel(path, level="town")
