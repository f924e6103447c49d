"""pyarrow is an optional extra ("parquet"): without it, Parquet is refused by name.

A fresh interpreter in which ``import pyarrow`` (and pandas' other engine, fastparquet)
fails from the start stands for an installation without the extra: pandas then works
without pyarrow throughout (pandas 3 keeps its strings in Python objects), as it would
there. Hiding pyarrow inside this test process instead would break pandas 3's
pyarrow-backed strings that already exist, which no real installation has.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("pyarrow")  # the inputs are written with pyarrow, then it is hidden

SRC = Path(__file__).resolve().parents[1] / "src"

SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.modules["pyarrow"] = None
    sys.modules["fastparquet"] = None
    from pathlib import Path
    import massincidents as mi
    from massincidents.errors import DataError

    folder = Path(sys.argv[1])
    seen = {}
    try:
        mi.read_panel(folder / "panel.parquet", counts=["strikes"])
    except DataError as err:
        seen["read"] = [str(err.problems[0].file), err.problems[0].message]
    try:
        mi.datasets.export("national_incidents", folder / "out" / "ni.parquet")
    except ImportError as err:
        seen["export"] = str(err)
    seen["left"] = sorted(p.name for p in (folder / "out").iterdir())
    seen["csv"] = mi.datasets.export("national_incidents", folder / "out" / "ni.csv").is_file()
    counts = mi.events_to_panel(folder / "events.parquet", freq="month")
    seen["events"] = int(counts["count"].sum())
    print(json.dumps(seen))
    """
)


@pytest.fixture(scope="module")
def without_pyarrow(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("no_pyarrow")
    (folder / "out").mkdir()
    pd.DataFrame(
        {"province": ["北京", "上海"], "year": [2015, 2015], "strikes": [3, 4]}
    ).to_parquet(folder / "panel.parquet", index=False)
    pd.DataFrame(
        {"date": pd.to_datetime(["2016-01-05", "2016-01-20"]), "province": ["北京", "北京"]}
    ).to_parquet(folder / "events.parquet", index=False)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "HOME": str(folder)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"folder": folder, **json.loads(proc.stdout.strip().splitlines()[-1])}


def test_read_panel_names_the_extra_and_the_file(without_pyarrow) -> None:
    file, message = without_pyarrow["read"]
    assert file == str(without_pyarrow["folder"] / "panel.parquet")
    assert "pip install 'massincidents[parquet]'" in message


def test_export_names_the_extra_and_leaves_nothing(without_pyarrow) -> None:
    assert "pip install 'massincidents[parquet]'" in without_pyarrow["export"]
    assert without_pyarrow["left"] == []  # no partial file beside the target
    assert without_pyarrow["csv"]  # other formats still work


def test_events_read_parquet_through_duckdb_without_pyarrow(without_pyarrow) -> None:
    assert without_pyarrow["events"] == 2
