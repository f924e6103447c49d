"""Specifications with ``data.level: prefecture|county``: units checked by the division registry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.errors import DataError
from massincidents.spec import load_spec
from massincidents.spec.data import prepare_data

SPEC = """\
version: 1
data: {unit: prefecture, time: year, level: prefecture}
outcome: {count: strikes, exposure: null, window: [2011, 2017]}
causes:
  social: [x]
  solving: []
  legal: []
  system: []
measures:
  rule_of_law: []
  government_functions: []
  system_construction: []
  cadre_quality: []
  responsibility_system: []
  livelihood: []
models: [poisson]
"""


def _panel(seed: int = 1) -> pd.DataFrame:
    """Prefecture-years 2011-2017 over each year's roster, keyed by Chinese name and province."""
    rng = np.random.default_rng(seed)
    frames = []
    for year in range(2011, 2018):
        roster = mi.prefectures(year)
        roster = roster[roster["type"].isin(["地级市", "地区", "自治州", "盟"])]
        frames.append(
            pd.DataFrame(
                {
                    "province": roster["province_code"].to_numpy(),
                    "prefecture": roster["name_zh"].to_numpy(),
                    "code": roster["code"].to_numpy(),
                    "year": year,
                    "x": rng.normal(size=len(roster)),
                }
            )
        )
    panel = pd.concat(frames, ignore_index=True)
    panel["strikes"] = rng.poisson(np.exp(0.5 + 0.3 * panel["x"]))
    return panel


def test_names_resolve_to_the_codes_of_each_year(tmp_path: Path) -> None:
    panel = _panel()
    path = tmp_path / "pref.csv"
    panel.drop(columns="code").to_csv(path, index=False, encoding="gbk")
    prepared = prepare_data(path, load_spec(SPEC))
    frame = prepared.frame.sort_values(["prefecture", "year"]).reset_index(drop=True)
    expected = panel.sort_values(["code", "year"]).reset_index(drop=True)
    assert frame["prefecture"].tolist() == expected["code"].tolist()
    assert frame["strikes"].tolist() == expected["strikes"].tolist()
    assert prepared.accounting["encoding"] == "gbk"
    # 毕节地区 became 毕节市 (520500) in 2011: the name of each year gives that year's code
    assert set(frame.loc[frame["year"] == 2017, "prefecture"]) >= {520500, 540200, 650500}


def test_units_that_are_not_prefectures_are_refused_with_their_rows(tmp_path: Path) -> None:
    panel = _panel().drop(columns="code")
    panel.loc[3, "prefecture"] = "Gotham"
    panel.loc[5, "prefecture"] = "Suzhou"
    panel.loc[5, "province"] = None
    path = tmp_path / "pref.csv"
    panel.to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        prepare_data(path, load_spec(SPEC))
    problems = {(p.row, p.column): p.message for p in info.value.problems}
    assert problems[(5, "prefecture")].startswith("unknown prefecture 'Gotham'")
    assert problems[(7, "prefecture")].startswith("ambiguous prefecture 'Suzhou'")
    # the same labels as arbitrary units (level: other) are read as they are
    other = prepare_data(path, load_spec(SPEC.replace("level: prefecture", "level: other")))
    assert "Gotham" in set(other.frame["prefecture"])


def test_rerun_fits_a_prefecture_panel(tmp_path: Path) -> None:
    panel = _panel(seed=2).drop(columns="prefecture").rename(columns={"code": "prefecture"})
    result = mi.spec.rerun(panel, SPEC, tmp_path / "out")
    names = [f.spec_name for f in result.fits]
    fit = result.fit(names[0])
    assert result.prepared.frame["prefecture"].nunique() == panel["prefecture"].nunique()
    assert abs(fit.params["x"] - 0.3) < 0.1
    assert fit.nobs > 0.99 * len(panel)  # a prefecture seen in one year only is a singleton
