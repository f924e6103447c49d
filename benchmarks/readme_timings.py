"""Measure the README's two commands on a fresh clone and write the timings into README.md.

    python benchmarks/readme_timings.py [--dry-run] [--keep]

Clones the committed state of this repository (``git clone`` of HEAD) into a temporary
folder and runs there, timing each step:

1. ``make .venv/.installed``: creating ``.venv`` and installing the pinned packages;
2. ``make reproduce``: the data steps, the analysis and the cold book build (every notebook
   executed); the book's own time is read from the step table ``massincidents reproduce``
   prints;
3. ``make reproduce`` again: an unchanged rebuild (execution cached);
4. ``make test-pinned``: the test suite in ``.venv`` (fresh book build and browser check
   included);
5. ``make test-latest``: creating ``.venv-latest`` with the newest versions and running the
   library's tests there.

The numbers of tests come from pytest's closing lines. The paragraph between
``<!-- timings:start -->`` and ``<!-- timings:end -->`` in README.md is replaced by one
written from these measurements (``--dry-run`` prints it instead). The first installation
downloads packages unless pip's cache holds them; the paragraph says the cache was warm
when it was (a second run of the script on the same machine).

Takes as long as the commands (several minutes); not run by the test suite, which checks
the parsing and the rewriting (``tests/test_readme_timings.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
START = "<!-- timings:start -->"
END = "<!-- timings:end -->"
SUMMARY = re.compile(r"^=+ (?P<counts>.*?) in (?P<seconds>[\d.]+)s(?: \([\d:]+\))? =+$", re.M)
COUNT = re.compile(r"(\d+) (passed|failed|skipped|deselected|xfailed|xpassed|errors?|warnings?)")
# a row of the step table `massincidents reproduce` prints: name, seconds, status
STEP = re.compile(r"^\W*(?P<name>[\w.-]+)\s*\W\s*(?P<seconds>\d+(?:\.\d+)?)\s*\W\s*ok\b", re.M)


@dataclass(frozen=True)
class Run:
    """One timed command: wall-clock seconds and what it printed."""

    seconds: float
    output: str


@dataclass(frozen=True)
class Timings:
    """What the README reports."""

    date: str
    cores: int
    setup: float
    reproduce: float
    book: float | None
    rebuild: float
    test_pinned: float
    tests_pinned: dict[str, int]
    test_latest: float | None
    tests_latest: dict[str, int] | None
    latest_skipped_reason: str | None = None


def pytest_counts(output: str) -> dict[str, int]:
    """The counts of pytest's last closing line (``= 5 passed, 1 skipped in 2.0s =``)."""
    lines = list(SUMMARY.finditer(output))
    if not lines:
        raise ValueError("no pytest summary line in the output")
    counts = {}
    for number, word in COUNT.findall(lines[-1]["counts"]):
        word = {"error": "errors", "warning": "warnings"}.get(word, word)
        counts[word] = int(number)
    return counts


def step_seconds(output: str, name: str) -> float | None:
    """Seconds of one step in the table ``massincidents reproduce`` prints."""
    for row in STEP.finditer(output):
        if row["name"] == name:
            return float(row["seconds"])
    return None


def _duration(seconds: float) -> str:
    if seconds < 100:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _tests(counts: dict[str, int]) -> str:
    ran = counts.get("passed", 0) + counts.get("failed", 0) + counts.get("errors", 0)
    text = f"{ran:,} tests"
    if counts.get("skipped"):
        text += f", {counts['skipped']} skipped"
    if counts.get("failed") or counts.get("errors"):
        text += f", {counts.get('failed', 0) + counts.get('errors', 0)} FAILED"
    return text


def paragraph(t: Timings) -> str:
    """The README's timing paragraph, written from measurements."""
    book = (
        f", of which {_duration(t.book)} the cold book build (every notebook executed)"
        if t.book is not None
        else ""
    )
    text = (
        f"How long it takes ({t.cores}-core machine, fresh clone, measured {t.date} by "
        f"`benchmarks/readme_timings.py`): creating `.venv` and installing the pinned packages "
        f"took {_duration(t.setup)} (pip's download cache warm), then `make reproduce` "
        f"{_duration(t.reproduce)}{book}. An unchanged rebuild takes {_duration(t.rebuild)} "
        f"(execution is cached). `make test` took {_duration(t.test_pinned)} in `.venv` "
        f"({_tests(t.tests_pinned)}, including a fresh build of the book and the browser check)"
    )
    if t.test_latest is not None and t.tests_latest is not None:
        text += (
            f", then {_duration(t.test_latest)} for `.venv-latest` (installing the newest "
            f"versions and running {_tests(t.tests_latest)}: everything but `tests/book`)."
        )
    else:
        text += f"; the `.venv-latest` run was skipped ({t.latest_skipped_reason})."
    return text


def replace_between_markers(readme: str, new: str) -> str:
    """README text with what stands between the timing markers replaced by ``new``."""
    if readme.count(START) != 1 or readme.count(END) != 1:
        raise ValueError(f"README.md must hold {START} and {END} once each")
    head, rest = readme.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{new.strip()}\n{END}{tail}"


def _wrap(text: str, width: int = 110) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def _run(cmd: list[str], cwd: Path, log: Path) -> Run:
    print("$", " ".join(cmd), flush=True)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - t0
    output = proc.stdout + proc.stderr
    with log.open("a", encoding="utf-8") as f:
        f.write(f"$ {' '.join(cmd)}  ({seconds:.1f} s, exit {proc.returncode})\n{output}\n")
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed (exit {proc.returncode}); see {log}")
    return Run(seconds, output)


def measure(work: Path, log: Path) -> Timings:
    clone = work / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
    env_make = ["make", "--no-print-directory"]
    setup = _run([*env_make, ".venv/.installed"], clone, log)
    reproduce = _run([*env_make, "reproduce"], clone, log)
    rebuild = _run([*env_make, "reproduce"], clone, log)
    pinned = _run([*env_make, "test-pinned"], clone, log)
    latest = _run([*env_make, "test-latest"], clone, log)
    skipped = "SKIPPED the newest-versions run" in latest.output
    return Timings(
        date=dt.date.today().isoformat(),
        cores=os.cpu_count() or 1,
        setup=setup.seconds,
        reproduce=reproduce.seconds,
        book=step_seconds(reproduce.output, "book"),
        rebuild=rebuild.seconds,
        test_pinned=pinned.seconds,
        tests_pinned=pytest_counts(pinned.output),
        test_latest=None if skipped else latest.seconds,
        tests_latest=None if skipped else pytest_counts(latest.output),
        latest_skipped_reason="no Python 3.13 on the machine" if skipped else None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print, do not write README.md")
    parser.add_argument("--keep", action="store_true", help="keep the clone and the log")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="massincidents-timings-"))
    log = work / "commands.log"
    try:
        timings = measure(work, log)
    finally:
        print(f"log: {log}")
    text = _wrap(paragraph(timings))
    print(text)
    if not args.dry_run:
        README.write_text(
            replace_between_markers(README.read_text(encoding="utf-8"), text), encoding="utf-8"
        )
        print(f"wrote {README}")
    if not args.keep:
        shutil.rmtree(work / "clone", ignore_errors=True)


if __name__ == "__main__":
    main()
