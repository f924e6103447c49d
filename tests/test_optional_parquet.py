"""pyarrow is an optional extra ("parquet"): without it, Parquet is refused by name.

The tests hide pyarrow (and pandas' other engine, fastparquet) from imports, as on an
installation without the extra, and check that reading and writing Parquet say which
extra to install, while CSV keeps working and the event readers (DuckDB) still read Parquet.
"""

from __future__ import annotations

import sys

import pandas as pd
import pytest

import massincidents as mi
from massincidents.errors import DataError

pytest.importorskip("pyarrow")  # the test writes its input with pyarrow, then hides it


@pytest.fixture
def no_parquet_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("pyarrow", "fastparquet"):
        monkeypatch.setitem(sys.modules, name, None)  # `import pyarrow` now fails


def _panel() -> pd.DataFrame:
    return pd.DataFrame({"province": ["北京", "上海"], "year": [2015, 2015], "strikes": [3, 4]})


def test_read_panel_names_the_extra(tmp_path, no_parquet_engine) -> None:
    path = tmp_path / "panel.parquet"
    path.write_bytes(b"PAR1 not read: the engine is missing before the file is opened")
    with pytest.raises(DataError, match=r"massincidents\[parquet\]") as info:
        mi.read_panel(path, counts=["strikes"])
    assert info.value.problems[0].file == str(path)


def test_export_names_the_extra_and_leaves_nothing(tmp_path, no_parquet_engine) -> None:
    target = tmp_path / "ni.parquet"
    with pytest.raises(ImportError, match=r"massincidents\[parquet\]"):
        mi.datasets.export("national_incidents", target)
    assert list(tmp_path.iterdir()) == []  # no partial file
    assert mi.datasets.export("national_incidents", tmp_path / "ni.csv").is_file()


def test_events_read_parquet_without_pyarrow(tmp_path, monkeypatch) -> None:
    events = pd.DataFrame(
        {"date": pd.to_datetime(["2016-01-05", "2016-01-20"]), "province": ["北京", "北京"]}
    )
    path = tmp_path / "events.parquet"
    events.to_parquet(path, index=False)
    for name in ("pyarrow", "fastparquet"):
        monkeypatch.setitem(sys.modules, name, None)
    counts = mi.events_to_panel(path, freq="month")
    assert int(counts["count"].sum()) == 2
