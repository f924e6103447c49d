"""The README's example runs as printed."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import massincidents as mi

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(tmp_path, monkeypatch, capsys) -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Example") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 14
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mi.DataQualityWarning)  # CLB's 7 unknown-province events
        exec(compile(code, str(README), "exec"), {})
    printed = capsys.readouterr().out
    assert "unemployment_rate" in printed
    assert "'unknown_province': 7" in printed
    assert "150000 610000" in printed


def test_readme_has_exactly_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## Two commands.*?```bash\n(.*?)```", text, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make reproduce", "make test"]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = [
        line.strip()
        for line in ci.splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci_commands == commands
