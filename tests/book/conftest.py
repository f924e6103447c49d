"""One fresh build of the book per test session, shared by every test of ``tests/book``.

How the book is checked (a deliberate choice): the ``built`` fixture copies the book's
sources (``book/`` without ``_build``) into a temporary folder and builds them there from
scratch, with the ``jupyter-book`` of the running environment
(``Path(sys.executable).parent / "jupyter-book"``) and ``--warningiserror``. It does not reuse
``book/_build/html``, for two reasons:

* a build made with ``--keep-going`` writes HTML even when it fails, so the existence of an old
  ``_build/html`` proves nothing about warnings;
* the execution cache is keyed on the code of the notebooks only, so an old build (or a copied
  cache) can hold outputs computed from an older version of the bundled data or of the package.

The fixture is session-scoped so that the build test (``test_book_build.py``), the offline test
(``test_offline.py``) and the browser test (``test_browser.py``) inspect the same build, made
once; all of them are marked ``slow``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BOOK = REPO_ROOT / "book"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _jupyter_book() -> Path:
    script = Path(sys.executable).parent / "jupyter-book"
    if not script.exists():
        pytest.fail(
            f"jupyter-book is not installed next to {sys.executable}; "
            "install the book extra: pip install -e '.[book,dev]'"
        )
    return script


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build a fresh copy of the book with warnings as errors; return its HTML folder and log."""
    work = tmp_path_factory.mktemp("book_build")
    book = work / "book"
    shutil.copytree(
        BOOK, book, ignore=shutil.ignore_patterns("_build", ".jupyter_cache", ".ipynb_checkpoints")
    )
    proc = subprocess.run(
        [str(_jupyter_book()), "build", str(book), "--warningiserror", "--keep-going"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    log = ANSI.sub("", proc.stdout + proc.stderr)
    return {
        "returncode": proc.returncode,
        "log": log,
        "html": book / "_build" / "html",
        "book": book,
    }
