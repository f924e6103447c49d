"""massincidents rerun killed or interrupted at any point, or out of disk: one whole run in --out.

Each run is a real ``massincidents rerun`` in a subprocess on a small
simulated panel. It is killed with SIGKILL after various delays, and at exact
points of the writing (through a driver that patches the writing functions to
kill the process where they are called). After every kill the output folder
must be byte for byte the previous complete run or the new complete one.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import massincidents as mi

SPEC = """\
version: 1
data: {unit: province, time: year}
outcome: {count: y, exposure: population, window: [2003, 2010]}
causes: {social: [x1], solving: [], legal: [], system: [x2]}
measures:
  rule_of_law: []
  government_functions: []
  system_construction: []
  cadre_quality: []
  responsibility_system: []
  livelihood: [treated]
models: [poisson]
"""

# Kills the process at an exact point of the writing, then runs the command line.
DRIVER = r"""
import os, signal, sys

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def after_calls(module, name, n, before=True):
    original = getattr(module, name)
    calls = [0]
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if before and calls[0] == n:
            die()
        result = original(*args, **kwargs)
        if not before and calls[0] == n:
            die()
        return result
    setattr(module, name, wrapper)

point = os.environ.get("KILL_AT", "")
kind, _, n = point.partition(":")
if kind in ("table", "figure"):  # before the n-th table or figure is written
    import massincidents.report.write as write
    after_calls(write, "write_table" if kind == "table" else "save_figure", int(n))
elif kind:
    import massincidents.report.publish as publish
    if kind == "record":  # every output flushed, run.json not yet written
        after_calls(publish, "_fsync_tree", 1, before=False)
    elif kind == "swap":  # run.json written, the folders not yet swapped
        after_calls(publish.OutputFolder, "_swap", 1)
    elif kind == "swapped":  # the folders swapped, the earlier run not yet removed
        after_calls(publish, "_exchange", 1, before=False)

from massincidents.cli import app
app(args=sys.argv[1:], prog_name="massincidents")
"""


def _env() -> dict[str, str]:
    source = str(Path(mi.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": source, "COLUMNS": "200"}


def _command(data: Path, spec: Path, out: Path) -> list[str]:
    args = ["rerun", "--data", str(data), "--spec", str(spec), "--out", str(out)]
    return [sys.executable, "-c", DRIVER, *args]


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, object]:
    """Two specifications, the complete output of each, and how long a run takes."""
    folder = tmp_path_factory.mktemp("killed")
    data = folder / "panel.csv"
    mi.datasets.simulate_panel(31, 12, seed=8).to_csv(data, index=False)
    specs = {"a": folder / "a.yaml", "b": folder / "b.yaml"}
    specs["a"].write_text(SPEC, encoding="utf-8")
    specs["b"].write_text(SPEC.replace("[2003, 2010]", "[2002, 2011]"), encoding="utf-8")
    trees, seconds = {}, []
    for name, spec in specs.items():
        started = time.perf_counter()
        done = subprocess.run(
            _command(data, spec, folder / f"ref_{name}"),
            env=_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        seconds.append(time.perf_counter() - started)
        assert done.returncode == 0, done.stderr
        trees[name] = _tree(folder / f"ref_{name}")
    assert trees["a"]["tables/coefficients.csv"] != trees["b"]["tables/coefficients.csv"]
    refs = {name: folder / f"ref_{name}" for name in specs}
    return {"data": data, "specs": specs, "trees": trees, "ref": refs, "seconds": max(seconds)}


def _state(out: Path, trees: dict[str, dict[str, bytes]]) -> str:
    """Which complete run the folder holds; fails on anything else (a mix, a part)."""
    tree = _tree(out)
    for name, complete in trees.items():
        if tree == complete:
            return name
    mixed = {
        path: [name for name, complete in trees.items() if complete.get(path) == content]
        for path, content in tree.items()
    }
    raise AssertionError(f"{out} is neither complete run: {mixed}")


def _expected(point: object, before: str, other: str) -> tuple[str, ...]:
    """The states a kill at ``point`` may leave."""
    if point == "swapped":  # killed after the swap: the new run
        return (other,)
    if isinstance(point, str):  # killed before run.json was written or the swap: the old
        return (before,)
    if isinstance(point, tuple) and point[0] == "SIGINT":
        return (before, other)
    return (before, other)  # killed after a delay: either, but one of them whole


def test_a_run_killed_at_any_point_leaves_one_complete_run(runs, tmp_path: Path) -> None:
    data, specs, trees = runs["data"], runs["specs"], runs["trees"]
    total = float(runs["seconds"])
    # exact points of the writing, and delays from the start of the process
    points: list[object] = ["table:2", 0.3 * total, "record", 0.6 * total, "swap"]
    points += [0.85 * total, "swapped", 1.05 * total, ("SIGINT", 0.75 * total)]
    parent = tmp_path / "runs"
    out = parent / "out"
    shutil.copytree(runs["ref"]["a"], out)
    state, seen = "a", []
    for point in points:
        other = "b" if state == "a" else "a"
        env = _env()
        command = _command(data, specs[other], out)
        if isinstance(point, str):
            env["KILL_AT"] = point
            proc = subprocess.run(command, env=env, capture_output=True, check=False)
            assert proc.returncode == -signal.SIGKILL, (point, proc.stderr)
        elif isinstance(point, tuple):  # Ctrl-C: the run cleans up after itself
            running = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            time.sleep(point[1])
            running.send_signal(signal.SIGINT)
            _, err = running.communicate()
            if running.returncode == 130:  # interrupted inside the command, not while importing
                assert b"was left as it was" in err
            assert [p.name for p in parent.iterdir()] == ["out"], err
        else:
            running = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(point)
            running.send_signal(signal.SIGKILL)
            running.wait()
        new_state = _state(out, trees)
        seen.append((point, new_state))
        assert new_state in _expected(point, state, other), seen
        state = new_state
    # the next run tidies what the killed ones left, and leaves nothing beside the folder
    last = "b" if state == "a" else "a"
    done = subprocess.run(
        _command(data, specs[last], out), env=_env(), capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert _state(out, trees) == last
    assert [p.name for p in parent.iterdir()] == ["out"]


def _limit_file_size(kib: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (kib * 1024, kib * 1024))

    return limit


def test_a_full_disk_leaves_the_previous_run_and_says_so(runs, tmp_path: Path) -> None:
    data, specs, trees = runs["data"], runs["specs"], runs["trees"]
    out = tmp_path / "out"
    shutil.copytree(runs["ref"]["a"], out)
    # a file-size limit below the size of the figures (what `ulimit -f 20` does)
    done = subprocess.run(
        _command(data, specs["b"], out),
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_limit_file_size(20),
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "could not be written" in done.stderr and "left as it was" in done.stderr
    assert "Traceback" not in done.stderr
    assert _state(out, trees) == "a"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
