"""Write the event files of the bad-input corpus used by tests/test_bad_events.py.

Each file is small and made up (no third-party data). Regenerate with::

    python tests/data/bad/events/make_bad_events.py

The expected outcome of counting each file with
:func:`massincidents.events_to_panel` is the table ``CASES`` in
tests/test_bad_events.py (issue 14: time zones, paths that look like globs,
mistyped years, dates that read two ways, reserved category names, and
arguments that cannot be used).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = "province,date\n"


def _events(rows: str, header: str = HEADER) -> bytes:
    return (header + rows).encode("utf-8")


#: name -> bytes
FILES: dict[str, bytes] = {
    # A plain file, read with arguments that cannot be used.
    "events_ok.csv": _events("Guangdong,2015-03-02\nSichuan,2016-07-01\n"),
    # One mistyped year each: the window must not widen to centuries.
    "events_typo_year_1015.csv": _events(
        "Guangdong,2015-03-02\nSichuan,1015-03-02\nHebei,2016-01-01\n"
    ),
    "events_typo_year_0001.csv": _events(
        "Guangdong,2015-03-02\nSichuan,0001-03-02\nHebei,2016-01-01\n"
    ),
    "events_typo_year_9999.csv": _events(
        "Guangdong,2015-03-02\nSichuan,9999-03-02\nHebei,2016-01-01\n"
    ),
    # Text with UTC offsets: 20:00 the day before in California is 2016 in Beijing.
    "events_tz_offsets.csv": _events(
        "Guangdong,2015-12-31T20:00:00-08:00\nGuangdong,2015-12-31T17:00:00Z\n"
        "Guangdong,2016-01-01 02:00:00+08:00\nSichuan,2015-12-31 23:00:00\n"
    ),
    # 03/04/2015: 3 April or 4 March; 25/12/2015 reads only day first.
    "events_day_first_ambiguous.csv": _events("Guangdong,03/04/2015\nGuangdong,25/12/2015\n"),
    # One date only day first, one only month first: two conventions in one column.
    "events_day_month_mixed.csv": _events("Guangdong,13/04/2015\nSichuan,04/13/2015\n"),
    # Category values that are the names of the output's own columns.
    "events_category_total.csv": _events(
        "Guangdong,2015-03-02,large\nSichuan,2015-03-02,\nHebei,2015-04-01,total\n",
        header="province,date,band\n",
    ),
    "events_category_missing.csv": _events(
        "Guangdong,2015-03-02,large\nSichuan,2015-03-02,\nHebei,2015-04-01,missing\n",
        header="province,date,band\n",
    ),
    # A file whose name is a DuckDB glob matching the file next to it.
    "events_glob[1].csv": _events("Hebei,2017-01-01\n"),
    "events_glob1.csv": _events("Guangdong,2015-01-01\n"),
}


def write(directory: Path) -> list[Path]:
    """Write every event file of the corpus into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in FILES.items():
        path = directory / name
        path.write_bytes(data)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(written.name)
