"""One BLAS thread for algebra on small or tall-and-thin matrices.

Dynamic-panel GMM multiplies and inverts matrices of the number of instruments
(tens to a few hundred), and PPML's least-squares steps and separation check
work on n x k matrices with a handful of columns: too small (or too thin) for
BLAS threads to help, and OpenBLAS's threads then cost far more than the
arithmetic whenever the cores are busy (each threaded call waits for its
threads to be scheduled). Measured on the 2-core benchmark machine under load:
``benchmarks/scaling.py`` GMM at 93 firms took 0.153 s with OpenBLAS's default
two threads and 0.011 s with one, at 2,000 firms 0.687 s and 0.084 s; PPML on
``countymurders`` 0.294 s and 0.200 s; PPML with three fixed effects on
1,000,000 rows the same either way (3.9 s and 4.0 s).

:func:`one_blas_thread` limits the BLAS libraries loaded in the process
(numpy's and scipy's wheels each bundle one) to one thread for the duration of
a fit with ``threadpoolctl`` (the library joblib and scikit-learn use for the
same purpose), and restores the previous counts after. Results never depend on
it beyond rounding; with a BLAS that threadpoolctl does not know it does
nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any


@cache
def _controller() -> Any:
    """The process's BLAS libraries, found once (after numpy and scipy have loaded theirs)."""
    import numpy  # noqa: F401  (their BLAS libraries must be loaded to be found)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with the BLAS libraries limited to one thread; restore the counts after."""
    with _controller().limit(limits=1, user_api="blas"):
        yield


def blas_threads() -> list[int]:
    """The thread count of each BLAS library loaded in the process (for tests and benchmarks)."""
    return [int(info["num_threads"]) for info in _controller().select(user_api="blas").info()]
