"""The console script: Ctrl-C at any point after Python has started prints no traceback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

import massincidents as mi

SOURCE = Path(mi.__file__).resolve().parents[1]
REPO_ROOT = SOURCE.parent


def _console_script(folder: Path) -> Path:
    """The ``massincidents`` script pip writes for the entry point of pyproject.toml."""
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    module, function = config["project"]["scripts"]["massincidents"].split(":")
    script = folder / "massincidents"
    script.write_text(
        "import sys\n"
        f"from {module} import {function}\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = sys.argv[0].removesuffix('.exe')\n"
        f"    sys.exit({function}())\n",
        encoding="utf-8",
    )
    return script


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
MULTIVERSE = """\
multiverse:
  indicators: {social: [x1], system: [x2]}
  families: [poisson, negbin]
  fixed_effects: [[unit, time], [unit]]
"""


def _interrupt(script: Path, args: list[str], delay: float) -> tuple[int, list[str]]:
    """Run ``massincidents ARGS``; SIGINT ``delay`` s after Python's start-up.

    Python itself (``site``, before any code of ours runs) prints a traceback for
    a Ctrl-C during its own start-up; ``-X importtime`` tells when that is over.
    """
    env = {**os.environ, "PYTHONPATH": str(SOURCE), "COLUMNS": "300"}
    running = subprocess.Popen(
        [sys.executable, "-X", "importtime", str(script), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert running.stderr is not None
    for line in running.stderr:
        if line.rstrip().endswith("| site"):
            break
    time.sleep(delay)
    running.send_signal(signal.SIGINT)
    rest = running.stderr.read()
    running.wait()
    said = [line for line in rest.splitlines() if not line.startswith("import time:")]
    return running.returncode, said


def test_ctrl_c_while_importing_exits_130_without_a_traceback(tmp_path: Path) -> None:
    # on main the script imported the whole package (1-2 s) before any handler:
    # every one of these delays printed a KeyboardInterrupt traceback
    script = _console_script(tmp_path)
    codes = []
    for delay in (0.03, 0.06, 0.1, 0.2, 0.35, 0.6, 1.0):
        code, said = _interrupt(script, ["datasets", "list"], delay)
        codes.append(code)
        assert not any("Traceback" in line for line in said), (delay, said)
        # -SIGINT: the command had finished and Python was shutting down (signals are the
        # system's again then): killed without a word
        assert code in (0, 130, -signal.SIGINT), (delay, code, said)
        if code == -signal.SIGINT:
            assert said == [], (delay, said)
        if code == 130:  # typer's own silent exit 130 (Ctrl-C while it parses) says it too
            assert said == ["massincidents: interrupted"], (delay, said)
    assert codes.count(130) >= 3, codes  # the command was really interrupted, not finished


@pytest.mark.parametrize("command", ["rerun", "multiverse"])
def test_ctrl_c_while_the_models_load_says_out_was_left(tmp_path: Path, command: str) -> None:
    # rerun and multiverse import the models inside the command: an interrupt there
    # exited 130 in silence
    script = _console_script(tmp_path)
    data, spec, out = tmp_path / "panel.csv", tmp_path / "spec.yaml", tmp_path / "runs" / "out"
    mi.datasets.simulate_panel(31, 12, seed=8).to_csv(data, index=False)
    spec.write_text(SPEC + (MULTIVERSE if command == "multiverse" else ""), encoding="utf-8")
    out.parent.mkdir()
    args = [command, "--data", str(data), "--spec", str(spec), "--out", str(out)]
    codes = []
    for delay in (0.03, 0.1, 0.2, 0.35, 0.6, 1.0):
        code, said = _interrupt(script, args, delay)
        codes.append(code)
        assert not any("Traceback" in line for line in said), (delay, said)
        assert code in (0, 130, -signal.SIGINT), (delay, code, said)
        if code == 130:
            assert said == ["massincidents: interrupted"] or (
                len(said) == 1 and said[0].endswith("was left as it was")
            ), (delay, said)
            assert list(out.parent.iterdir()) == [], (delay, said)
        shutil.rmtree(out, ignore_errors=True)  # finished before the signal: start again
    assert codes.count(130) >= 3, codes


def test_python_dash_m_runs_the_command_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(SOURCE)}
    done = subprocess.run(
        [sys.executable, "-m", "massincidents", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "reproduce" in done.stdout and "datasets" in done.stdout


def test_the_exit_code_is_the_command_line_s() -> None:
    from massincidents import __main__, cli

    assert __main__.EXIT_INTERRUPTED == cli.EXIT_INTERRUPTED == 130


def test_a_ctrl_c_python_swallows_in_a_finaliser_still_stops_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a Ctrl-C that arrived while a weakref callback ran (an import lock freed under
    # Python 3.13) was printed as "Exception ignored ... KeyboardInterrupt" and the
    # command ran on to the end
    from massincidents import __main__

    monkeypatch.setattr(sys, "unraisablehook", __main__._interrupt_again)

    class Finaliser:
        def __del__(self) -> None:
            raise KeyboardInterrupt

    reached = []
    with pytest.raises(KeyboardInterrupt):
        Finaliser()
        for step in range(10_000):  # the interrupt arrives at the next check of the loop
            reached.append(step)
    assert len(reached) < 10_000


def test_other_unraisable_errors_are_reported_as_python_does(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from massincidents import __main__

    monkeypatch.setattr(sys, "unraisablehook", __main__._interrupt_again)

    class Finaliser:
        def __del__(self) -> None:
            raise ValueError("broken finaliser")

    Finaliser()
    assert "broken finaliser" in capsys.readouterr().err
