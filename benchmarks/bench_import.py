"""Import time of massincidents, its command line and its first model calls, beside pandas and
pyfixest in the same run.

    python benchmarks/bench_import.py [--repeat 9] [--skip-first-call] [--importtime 12]
                                      [--baseline-src OTHER_CHECKOUT/src]

Each case runs in ``--repeat`` fresh interpreters (one warm-up run first, so that the
byte-code caches exist); the table gives the median and the fastest wall time of the whole
process (``python -c ...``: interpreter start-up included, which the ``python -c pass`` row
shows), and the ratio of the median to ``import pandas``. On a shared machine the absolute
times move with the load; the ratio to ``import pandas``, measured in the same run, is the
robust number. The targets (issue 18): ``import massincidents`` <= 1 s and
``massincidents --help`` <= 1.5 s on the 2-core machine class.

Cases:

* ``python -c pass``: the interpreter alone;
* ``import pandas``, ``import pyfixest``: the peers;
* ``import massincidents``: the package (its public names load on first use);
* ``massincidents --help``: the console script of ``pyproject.toml``, run as pip's wrapper
  runs it;
* ``mi.poisson`` / ``mi.linear`` / ``mi.cox``: import and look up one model of a family
  (loads pandas, scipy, formulaic and the family);
* first call (unless ``--skip-first-call``): import and one Poisson fit with two-way fixed
  effects on ``mi.datasets.simulate_panel(seed=1)``, against pyfixest's ``fepois`` on the
  same data (its first call compiles with numba).

With ``--baseline-src``, ``import massincidents`` and ``import + mi.poisson`` are also timed
with the package of another checkout (an older commit) in the same run.

Then ``python -X importtime`` of ``import massincidents`` and of ``massincidents --help``:
the ``--importtime`` modules with the largest cumulative import time. Run from the
repository root with the package importable (``PYTHONPATH=src``). Not run by the tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _console_script(folder: Path) -> Path:
    """The ``massincidents`` script pip writes for the entry point of pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    module, function = config["project"]["scripts"]["massincidents"].split(":")
    script = folder / "massincidents"
    script.write_text(
        f"import sys\nfrom {module} import {function}\n"
        f"if __name__ == '__main__':\n    sys.exit({function}())\n",
        encoding="utf-8",
    )
    return script


FIRST_POISSON = (
    "import massincidents as mi\n"
    "df = mi.datasets.simulate_panel(seed=1)\n"
    "mi.poisson('y ~ x1 + x2 + treated | province + year', df)\n"
)
FIRST_FEPOIS = (
    "import massincidents as mi\n"  # the same data; pyfixest's own import is timed with the fit
    "df = mi.datasets.simulate_panel(seed=1)\n"
    "import pyfixest as pf\n"
    "pf.fepois('y ~ x1 + x2 + treated | province + year', data=df)\n"
)


def cases(script: Path, first_call: bool) -> dict[str, list[str]]:
    python = [sys.executable]
    found = {
        "python -c pass": [*python, "-c", "pass"],
        "import pandas": [*python, "-c", "import pandas"],
        "import pyfixest": [*python, "-c", "import pyfixest"],
        "import massincidents": [*python, "-c", "import massincidents"],
        "massincidents --help": [*python, str(script), "--help"],
        "import + mi.poisson": [*python, "-c", "import massincidents as mi; mi.poisson"],
        "import + mi.linear": [*python, "-c", "import massincidents as mi; mi.linear"],
        "import + mi.cox": [*python, "-c", "import massincidents as mi; mi.cox"],
    }
    if first_call:
        found["data + first mi.poisson fit"] = [*python, "-c", FIRST_POISSON]
        found["data + first pf.fepois fit"] = [*python, "-c", FIRST_FEPOIS]
    return found


def wall_times(command: list[str], repeat: int, env: dict[str, str]) -> list[float]:
    """Wall times of ``repeat`` fresh runs of ``command``."""
    subprocess.run(command, env=env, capture_output=True, check=True)  # warm-up: byte-code
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def importtime(command: list[str], env: dict[str, str], top: int) -> list[tuple[int, str]]:
    """The ``top`` modules with the largest cumulative import time (microseconds)."""
    done = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--skip-first-call", action="store_true")
    parser.add_argument("--importtime", type=int, default=12)
    parser.add_argument("--baseline-src", type=Path, default=None)
    args = parser.parse_args()

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_import_{os.getpid()}"
    folder.mkdir(exist_ok=True)
    script = _console_script(folder)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load {load:.1f}")
    print(f"medians of {args.repeat} fresh processes (after one warm-up run)\n")

    results = {}
    for name, command in cases(script, not args.skip_first_call).items():
        results[name] = wall_times(command, args.repeat, env)
    if args.baseline_src is not None:
        baseline = {**env, "PYTHONPATH": str(args.baseline_src.resolve())}
        for name in ("import massincidents", "import + mi.poisson"):
            command = cases(script, False)[name]
            results[f"baseline: {name}"] = wall_times(command, args.repeat, baseline)
    pandas = statistics.median(results["import pandas"])
    print(f"{'case':32s} {'median s':>9s} {'fastest s':>9s} {'/ pandas':>9s}")
    for name, times in results.items():
        median = statistics.median(times)
        print(f"{name:32s} {median:9.3f} {min(times):9.3f} {median / pandas:9.2f}")
    if not args.skip_first_call:
        ours = statistics.median(results["data + first mi.poisson fit"])
        theirs = statistics.median(results["data + first pf.fepois fit"])
        print(f"\nfirst Poisson fit, pyfixest / massincidents: {theirs / ours:.1f}x")

    for name in ("import massincidents", "massincidents --help"):
        print(f"\npython -X importtime, {name}: largest cumulative (ms)")
        for cumulative, module in importtime(cases(script, False)[name], env, args.importtime):
            print(f"{cumulative / 1000:9.1f}  {module}")
    script.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
