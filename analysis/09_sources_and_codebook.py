"""Render data/SOURCES.md and data/CODEBOOK.md from the records of the build steps."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_codebook_md, write_sources_md


def main() -> int:
    print(f"wrote {write_sources_md()}")
    print(f"wrote {write_codebook_md()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
