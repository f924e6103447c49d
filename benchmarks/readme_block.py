"""Write a generated block into README.md between ``<!-- NAME:start -->`` and ``:end -->``."""

from __future__ import annotations

from pathlib import Path


def replace_block(readme: Path, name: str, text: str) -> None:
    """Replace what lies between the markers ``name`` with ``text`` (the markers stay)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    content = readme.read_text(encoding="utf-8")
    head, rest = content.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{text}\n{end}{tail}", encoding="utf-8")
