"""County-month counts from a large simulated events file: ``mi.events_to_panel(level="county")``.

    python benchmarks/bench_divisions.py [--events 1000000] [--repeats 5]

Simulates ``--events`` events 2011-2017, each in a county in force at its date
(codes drawn from ``mi.counties(year)``), writes them to a CSV (``province``
code, ``county`` code, ISO ``date``), and times, interleaved in one process:

- ours: ``mi.events_to_panel(path, freq="month", level="county")`` -- reads the
  file out of core (DuckDB), checks every county against the registry and the
  event's year, zero-fills over each year's roster, and accounts for every row;
- peer: ``pandas.read_csv`` + ``groupby([county, month]).size()`` -- the plain
  count, no checks, no zero-fill.

The counts are checked to agree before anything is timed. Medians of the
repeats; the ratio (ours / peer) is what to quote. The target: ours well under
a second for a million events. Not run by the test suite.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import massincidents as mi


def simulate(n: int, seed: int = 1) -> pd.DataFrame:
    """``n`` events 2011-2017, each in a county in force in its year."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2011-01-01", "2017-12-31", freq="D")
    date = days[rng.integers(0, len(days), n)]
    years = date.year.to_numpy()
    counties = mi.counties()
    codes = np.empty(n, dtype=np.int64)
    for year in range(2011, 2018):
        valid = counties[(counties.valid_from <= year) & (counties.valid_to >= year)]
        pool = valid["code"].to_numpy()
        rows = np.flatnonzero(years == year)
        codes[rows] = pool[rng.integers(0, len(pool), len(rows))]
    return pd.DataFrame(
        {"province": codes // 10000 * 10000, "county": codes, "date": date.strftime("%Y-%m-%d")}
    )


def ours(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may be left out of a clean file
        return mi.events_to_panel(path, freq="month", level="county")


def peer(path: Path) -> pd.Series:
    frame = pd.read_csv(path, usecols=["county", "date"])
    month = frame["date"].str.slice(0, 4).astype(int) * 100 + frame["date"].str.slice(5, 7).astype(
        int
    )
    return frame.groupby([frame["county"], month]).size()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    events = simulate(args.events)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.csv"
        events.to_csv(path, index=False)
        mine, theirs = ours(path), peer(path)  # warm-up, and the check
        nonzero = mine[mine["count"] > 0]["count"]
        assert nonzero.sort_index().to_numpy().tolist() == theirs.sort_index().tolist()
        assert int(mine["count"].sum()) == args.events == mine.attrs["accounting"]["counted"]
        times: dict[str, list[float]] = {"ours": [], "peer": []}
        for _ in range(args.repeats):
            for name, fn in (("ours", ours), ("peer", peer)):
                t0 = time.perf_counter()
                fn(path)
                times[name].append(time.perf_counter() - t0)
    o, p = statistics.median(times["ours"]), statistics.median(times["peer"])
    print(
        f"massincidents {mi.__version__}, pandas {pd.__version__}, Python "
        f"{platform.python_version()}, {platform.machine()}; {args.events:,} events, "
        f"{len(mine):,} county-months (zero-filled), medians of {args.repeats}"
    )
    print(f"ours (events_to_panel, level='county', freq='month'): {o:.3f} s")
    print(f"peer (pandas read_csv + groupby().size()):           {p:.3f} s")
    print(f"ours / peer: {o / p:.2f}; counts agree: yes")


if __name__ == "__main__":
    main()
