"""Peak memory of ``mi.events_to_panel`` on a large events CSV (DuckDB out of core).

    python benchmarks/bench_events_memory.py [--gb 5] [--path /tmp/events_big.csv] [--keep]

Writes an events CSV of about ``--gb`` gigabytes (columns ``province`` in mixed
spellings, ``date`` in mixed formats, ``size_band``) in chunks to ``--path``,
after checking with :func:`shutil.disk_usage` that at least twice that much disk
is free; then runs ``mi.events_to_panel(path, freq="month", by="size_band")`` in
a subprocess under ``/usr/bin/time -v`` (Debian package ``time``) and reports the
peak resident set size and the wall time. The target is a peak RSS under 2 GB.
The file is deleted afterwards unless ``--keep``. Not run by the test suite.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

GB = 1024**3

# Mixed spellings of a few provinces: English, Chinese, pinyin, short names, codes.
SPELLINGS = [
    "Guangdong", "广东", "广东省", "guangdong", "440000",
    "Sichuan", "四川", "四川省", "510000",
    "Beijing", "北京", "北京市", "110000",
    "Xinjiang", "新疆", "新疆维吾尔自治区",
    "Inner Mongolia", "内蒙古", "Nei Mongol",
    "Henan", "河南", "Hubei", "湖北", "Zhejiang", "浙江",
]  # fmt: skip
SIZE_BANDS = ["<100", "100-999", "1000-9999", ">=10000", ""]

CHILD = """
import sys, time
import massincidents as mi
t0 = time.perf_counter()
panel = mi.events_to_panel(sys.argv[1], freq="month", by="size_band")
acc = panel.attrs.get("accounting", {})
print("rows", panel.shape[0], "total", int(panel["total"].sum()))
print("accounting", acc)
print("seconds", round(time.perf_counter() - t0, 1))
"""


def write_events(path: Path, gb: float, seed: int = 1, chunk_rows: int = 2_000_000) -> int:
    """Write about ``gb`` gigabytes of events to ``path``; return the number of rows."""
    target = int(gb * GB)
    need = 2 * target
    free = shutil.disk_usage(path.parent).free
    if free < need:
        raise SystemExit(
            f"refusing: {free / GB:.1f} GB free on {path.parent}, need {need / GB:.1f} GB"
        )
    rng = np.random.default_rng(seed)
    spellings = np.array(SPELLINGS, dtype=object)
    bands = np.array(SIZE_BANDS, dtype=object)
    days = np.arange(np.datetime64("2000-01-01"), np.datetime64("2020-01-01")).astype(str)
    # every day in three formats: ISO, slashes, Chinese (2015年3月2日)
    chinese = [f"{d[:4]}年{int(d[5:7])}月{int(d[8:])}日" for d in days]
    date_pool = np.array([*days, *(d.replace("-", "/") for d in days), *chinese], dtype=object)
    written = rows = 0
    with path.open("wb") as fh:
        fh.write(b"province,date,size_band\n")
        while written < target:
            prov = spellings[rng.integers(0, len(spellings), chunk_rows)]
            dates = date_pool[rng.integers(0, len(date_pool), chunk_rows)]
            band = bands[rng.integers(0, len(bands), chunk_rows)]
            lines = prov + "," + dates + "," + band
            data = ("\n".join(lines) + "\n").encode("utf-8")
            fh.write(data)
            written += len(data)
            rows += chunk_rows
            print(f"  written {written / GB:.2f} GB", file=sys.stderr, flush=True)
    return rows


def measure(path: Path) -> dict[str, object]:
    """Run ``events_to_panel`` under ``/usr/bin/time -v``; return peak RSS and times."""
    time_bin = shutil.which("time") or "/usr/bin/time"
    if not Path(time_bin).exists():
        raise SystemExit("/usr/bin/time is missing: apt-get install -y time")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [time_bin, "-v", sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stdout}\n{proc.stderr}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)[1])
    return {"peak_rss_gb": peak_kb / 1024**2, "wall_s": wall, "child_stdout": proc.stdout.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=5.0, help="size of the CSV in GB")
    parser.add_argument("--path", type=Path, default=Path("/tmp/events_big.csv"))
    parser.add_argument("--keep", action="store_true", help="keep the CSV afterwards")
    args = parser.parse_args()
    try:
        t0 = time.perf_counter()
        rows = write_events(args.path, args.gb)
        print(f"wrote {rows:,} rows, {args.path.stat().st_size / GB:.2f} GB "
              f"in {time.perf_counter() - t0:.0f} s")  # fmt: skip
        out = measure(args.path)
        print(out["child_stdout"])
        ok = "OK" if out["peak_rss_gb"] < 2 else "ABOVE TARGET"
        print(f"peak RSS {out['peak_rss_gb']:.2f} GB ({ok}, target < 2 GB); "
              f"wall {out['wall_s']:.1f} s")  # fmt: skip
    finally:
        if not args.keep and args.path.exists():
            args.path.unlink()


if __name__ == "__main__":
    main()
