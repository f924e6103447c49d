"""Shared helpers of the ``analysis/`` tests: import a build step, rebuild its table."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]

LoadStep = Callable[[str], ModuleType]


def _load_step(filename: str) -> ModuleType:
    """Import a numbered build step from ``analysis/`` (its name is not an identifier)."""
    path = ROOT / "analysis" / filename
    spec = importlib.util.spec_from_file_location(f"step_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def load_step() -> LoadStep:
    """The step importer, e.g. ``load_step("01_clb_strikes.py")``."""
    return _load_step


RebuildTable = Callable[[Sequence[str], Callable[[list[Path]], pd.DataFrame], str, str], Path]


@pytest.fixture
def rebuild_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RebuildTable:
    """Rebuild a table from the raw folder into ``tmp_path``; skip without the raw files.

    The returned function takes the raw file names, a function building the table
    from their paths, the table name and the reason given when skipping, and
    returns the path of the rebuilt CSV.
    """

    def rebuild(
        raw: Sequence[str],
        build: Callable[[list[Path]], pd.DataFrame],
        table: str,
        reason: str,
    ) -> Path:
        common = sys.modules["_common"]
        try:
            paths = common.require_raw(*raw)
        except common.RawDataMissing:
            pytest.skip(reason)
        rebuilt = build(paths)
        monkeypatch.setattr(common, "DATA_DIR", tmp_path)
        return common.write_table(rebuilt, table)

    return rebuild
