"""The versions of the software that shapes a run's numbers, as recorded in ``run.json``.

A coefficient can change with the Python interpreter, NumPy and pandas, and also with
SciPy (optimisers, distributions), statsmodels, pyfixest (the fixed-effects demeaning),
formulaic (the design matrix), DuckDB (the event readers) and matplotlib (the figures);
``run.json`` names every one of them, and massincidents itself, so that a number in a
paper can be traced to the exact software that produced it.
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

__all__ = ["RECORDED", "software_versions"]

#: Distributions recorded besides Python and massincidents, by their PyPI names.
RECORDED = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "pyfixest",
    "formulaic",
    "duckdb",
    "matplotlib",
)


def software_versions() -> dict[str, str]:
    """Python, massincidents and :data:`RECORDED` with their installed versions.

    A distribution that is not installed is recorded as ``"not installed"``.
    massincidents' version is the one it reports (``massincidents.__version__``),
    also when it runs from a source tree without being installed.

    Examples
    --------
    >>> from massincidents.spec.software import software_versions
    >>> sorted(software_versions())[:4]
    ['duckdb', 'formulaic', 'massincidents', 'matplotlib']
    """
    from massincidents import __version__

    found: dict[str, str] = {
        "python": platform.python_version(),
        "massincidents": str(__version__),
    }
    for name in RECORDED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found
