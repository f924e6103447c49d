"""One OpenBLAS thread for algebra on small or tall-and-thin matrices.

Dynamic-panel GMM multiplies and inverts matrices of the number of instruments
(tens to a few hundred), and PPML's least-squares steps and separation check
work on n x k matrices with a handful of columns: too small (or too
thin) for BLAS threads to help, and OpenBLAS's threads then cost far more than
the arithmetic whenever the cores are busy (each threaded call waits for its
threads to be scheduled). Measured on the 2-core benchmark machine under load:
``benchmarks/scaling.py`` GMM at 93 firms took 0.153 s with OpenBLAS's default
two threads and 0.011 s with one, at 2,000 firms 0.687 s and 0.084 s; PPML on
``countymurders`` 0.294 s and 0.200 s; PPML with three fixed effects on
1,000,000 rows the same either way (3.9 s and 4.0 s). :func:`one_blas_thread`
sets OpenBLAS to one thread for the duration of a fit and restores the previous
count, as ``threadpoolctl`` does (the setting is process-wide: overlapping
blocks, nested or in other threads, share it, and the last to leave restores
it). It finds the OpenBLAS libraries loaded in the process (numpy's and scipy's
wheels each bundle one) through ``/proc/self/maps``; elsewhere (another system,
another BLAS) it does nothing, and results never depend on it beyond rounding.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

_LOCK = threading.Lock()
#: how many blocks are inside one_blas_thread, and the counts to restore after the last
_STATE: dict = {"depth": 0, "previous": []}
#: ``(set, get)`` symbol names of the thread count in the OpenBLAS builds we know:
#: the library's own, and the renamed copies of the numpy and scipy wheels.
_SYMBOLS = (
    ("openblas_set_num_threads", "openblas_get_num_threads"),
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
)


@cache
def _openblas() -> tuple[tuple[Callable[[int], None], Callable[[], int]], ...]:
    """``(set, get)`` of every OpenBLAS library loaded in this process (Linux)."""
    if not sys.platform.startswith("linux"):
        return ()
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {
                line.split(maxsplit=5)[5].strip()
                for line in maps
                if "openblas" in line.lower() and len(line.split(maxsplit=5)) == 6
            }
    except OSError:
        return ()
    found = []
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in _SYMBOLS:
            setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                getter.argtypes, getter.restype = [], ctypes.c_int
                found.append((setter, getter))
                break
    return tuple(found)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with OpenBLAS limited to one thread; restore the count after.

    Blocks may overlap (nested, or in several threads at once): the first to
    enter sets one thread and the last to leave restores the count it found.
    """
    libraries = _openblas()
    if not libraries:
        yield
        return
    with _LOCK:
        if _STATE["depth"] == 0:
            _STATE["previous"] = [get() for _, get in libraries]
            for set_threads, _ in libraries:
                set_threads(1)
        _STATE["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _STATE["depth"] -= 1
            if _STATE["depth"] == 0:
                for (set_threads, _), count in zip(libraries, _STATE["previous"], strict=True):
                    set_threads(count)
